"""Analysis on PostgreSQL by one process, then by the bot's Analyzer plus one `python -m bot worker` (#14).

    .venv/bin/python -m bench.analysis_instances --articles 2000 [--workers 2] [--worker-processes 2]
        [--database-url postgresql://postgres@127.0.0.1:5432/test]

The same ~5 KB Russian articles as ``bench.analysis`` (consecutive corpus articles joined; read at run
time from ../shared/corpora; past the ~1,100 distinct texts they give, the same texts with their paragraphs
rotated) are stored on a fresh PostgreSQL schema and analysed two ways, each on its
own fresh schema:

* ``Analyzer alone``: the bot's own path (``Analyzer`` over a ``WorkerPool`` of ``--workers`` processes
  whose models are loaded before the clock starts, storing through ``AnalysisTransaction`` as
  ``bot/app.py`` wires it) takes every article from the database's queue;
* ``Analyzer + bot worker``: the same, plus one ``python -m bot worker`` subprocess
  (``ANALYSIS_WORKERS=--worker-processes``) on the same schema. The worker is started first and warmed on
  ``--warm-up`` other articles (so its models are loaded, as the Analyzer's are), then frozen (SIGSTOP to
  its process group) while the measured articles are stored, and let go (SIGCONT) when the clock starts.

For each: articles analysed (by whom), analysed twice (the Analyzer's count plus the worker's, from its
log, against the articles: more would be an article analysed twice), UNIQUE violations, errors and
tracebacks in either log, articles/s, and the load average before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.analysis import ZONE, russian_texts, started_pool
from bench.pg import fresh_schema
from bot.analysis.service import Analyzer
from bot.eval import corpus_path
from bot.ingest.drafts import ArticleDraft, prepare
from bot.pipeline import AnalysisTransaction
from bot.timeline.service import TimelineService
from bot.who.store import EntityStore
from bot.workers import WorkerPool
from storage.articles import ArticleRepo
from storage.database import Database
from storage.events import EventRepo

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"
PUBLISHED = datetime(2025, 11, 26, 9, 0, tzinfo=UTC)
BAD = re.compile(r"unique|traceback|\bERROR\b|duplicate key", re.IGNORECASE)
SPARE = 8  # warm-up texts beyond those stored, in case some are duplicates
STOPPED = re.compile(r"analysis worker stopped: (\d+) analysed, (\d+) failed")


def distinct_texts(count: int) -> list[tuple[str, str]]:
    """``bench.analysis``'s texts; the corpora give about 1,100 distinct ones, so beyond them each text comes
    again with its paragraphs rotated (a new text to the bot's duplicate check, the same words to analyse)."""
    base = russian_texts(count)
    texts = dict((text, title) for title, text in base)
    turn = 1
    while base and len(texts) < count and turn < 50:
        for title, text in base:
            paragraphs = text.split("\n\n")
            k = turn % len(paragraphs)
            texts.setdefault("\n\n".join(paragraphs[k:] + paragraphs[:k]), title)
            if len(texts) >= count:
                break
        turn += 1
    return [(title, text) for text, title in texts.items()]


async def store(db: Database, texts: list[tuple[str, str]], first: int, want: int) -> int:
    """The first `want` texts the bot stores (a text whose normalised form is stored already is a
    duplicate to it, and skipped); how many texts were used."""
    articles = ArticleRepo(db)
    created = 0
    for n, (title, text) in enumerate(texts):
        draft = ArticleDraft(title, text, PUBLISHED - timedelta(minutes=first + n), lang="ru")
        created += (await articles.add(prepare(draft).row, ingested_by=None)).created
        if created == want:
            return n + 1
    raise RuntimeError(f"only {created} of {want} texts were new to the bot")


async def count(db: Database, sql: str) -> int:
    ((n,),) = await db.conn.execute_fetchall(sql)
    return int(n)


def start_worker(url: str, processes: int, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "DATABASE_PATH")}
    env.update(
        DATABASE_URL=url, ANALYSIS_WORKERS=str(processes), LOG_LEVEL="INFO", DEFAULT_TIMEZONE=str(ZONE)
    )
    with log.open("ab") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "worker"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,  # its own process group: frozen and let go with its worker processes
        )


@dataclass
class Result:
    label: str
    articles: int
    seconds: float
    by_analyzer: int
    by_worker: int
    failed: int
    analyses: int
    claims_left: int
    bad_lines: list[str]
    load_before: float
    load_after: float

    def lines(self) -> list[str]:
        twice = max(0, self.by_analyzer + self.by_worker - self.analyses)
        return [
            f"  {self.label:<24} {self.articles / self.seconds:6.1f} articles/s ({self.articles} in"
            f" {self.seconds:.1f}s; load average {self.load_before:.1f} -> {self.load_after:.1f})",
            f"    analyses stored {self.analyses} of {self.articles}; by the Analyzer {self.by_analyzer},"
            f" by the bot worker {self.by_worker}; failed {self.failed}; analysed twice {twice};"
            f" claims left {self.claims_left}",
            f"    UNIQUE violations / errors / tracebacks in the logs: {len(self.bad_lines)}",
            *(f"      {line[:200]}" for line in self.bad_lines[:5]),
        ]


async def until_analysed(db: Database, total: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while (
        await count(db, "SELECT count(*) FROM analyses")
        + await count(db, "SELECT count(*) FROM analysis_failures")
        < total
    ):
        if time.monotonic() > deadline:
            raise TimeoutError(f"not all {total} articles analysed within {timeout:.0f}s")
        await asyncio.sleep(0.2)


def analyzer_on(db: Database, pool: WorkerPool, workers: int, batch_size: int) -> Analyzer:
    entities = EntityStore(db)
    events = AnalysisTransaction(TimelineService(EventRepo(db), entities, ZONE))  # as bot/app.py
    return Analyzer(
        ArticleRepo(db), entities, pool, ZONE, events, concurrency=2 * workers, batch_size=batch_size
    )


async def one_setup(
    args: argparse.Namespace,
    texts: list[tuple[str, str]],
    warm: list[tuple[str, str]],
    with_worker: bool,
    logs: Path,
) -> Result:
    label = "Analyzer + bot worker" if with_worker else "Analyzer alone"
    bot_log = logs / f"{'two' if with_worker else 'one'}-analyzer.log"
    handler = logging.FileHandler(bot_log, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    logging.getLogger().addHandler(handler)
    worker: subprocess.Popen[bytes] | None = None
    worker_log = logs / "worker.log"
    try:
        async with fresh_schema(args.database_url) as url:
            db = Database(Path("unused"), url=url)
            await db.open()
            watch = Database(
                Path("unused"), url=url
            )  # this benchmark's counts: not the Analyzer's connection
            await watch.open()
            try:
                pool, _, _ = await started_pool(args.workers)
                try:
                    if with_worker:
                        await store(db, warm, len(texts), args.warm_up)
                        worker = start_worker(url, args.worker_processes, worker_log)
                        await until_analysed(watch, args.warm_up, 600)  # its models are loaded
                        os.killpg(worker.pid, signal.SIGSTOP)
                    began = time.perf_counter()
                    await store(db, texts, 0, args.articles)
                    print(
                        f"  {label}: {args.articles} articles stored in {time.perf_counter() - began:.1f}s",
                        flush=True,
                    )
                    total = args.articles + (args.warm_up if with_worker else 0)
                    analyzer = analyzer_on(db, pool, args.workers, args.batch_size)
                    load_before = os.getloadavg()[0]
                    began = time.perf_counter()
                    if worker is not None:
                        os.killpg(worker.pid, signal.SIGCONT)
                    await analyzer.enqueue_unanalysed()
                    await until_analysed(watch, total, 3600)
                    await analyzer.idle()
                    seconds = time.perf_counter() - began
                    load_after = os.getloadavg()[0]
                    await analyzer.close()
                    by_worker = 0
                    if worker is not None:
                        worker.send_signal(signal.SIGTERM)
                        await asyncio.to_thread(worker.wait, 120)
                        found = STOPPED.search(worker_log.read_text(encoding="utf-8"))
                        by_worker = int(found.group(1)) - (args.warm_up) if found else -1
                    analyses = await count(watch, "SELECT count(*) FROM analyses")
                    failed = await count(watch, "SELECT count(*) FROM analysis_failures")
                    claims = await count(watch, "SELECT count(*) FROM analysis_claims")
                finally:
                    await asyncio.to_thread(pool.close)
            finally:
                await db.close()
                await watch.close()
    finally:
        if worker is not None and worker.poll() is None:
            os.killpg(worker.pid, signal.SIGCONT)
            worker.kill()
        logging.getLogger().removeHandler(handler)
        handler.close()
    bad = [
        f"{path.name}: {line}"
        for path in (bot_log, worker_log)
        if path.exists() and (with_worker or path == bot_log)
        for line in path.read_text(encoding="utf-8").splitlines()
        if BAD.search(line)
    ]
    if with_worker:
        analyses -= args.warm_up
    return Result(
        label,
        args.articles,
        seconds,
        analyzer.analysed,
        by_worker,
        failed,
        analyses,
        claims,
        bad,
        load_before,
        load_after,
    )


async def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger().setLevel(logging.INFO)
    for handler in logging.getLogger().handlers:
        handler.setLevel(logging.WARNING)  # the console shows warnings; the log files get everything
    extra = args.articles // 20  # a few texts turn out duplicates to the bot (the same normalised text)
    everything = distinct_texts(args.articles + extra + args.warm_up + SPARE)
    if not everything:
        print(f"corpora not found at {corpus_path('').parent}: nothing to measure")
        return 0
    texts, warm = everything[: args.articles + extra], everything[args.articles + extra :]
    print(
        f"{args.articles} Russian articles (~5 KB) on PostgreSQL ({args.database_url}); the Analyzer with"
        f" {args.workers} worker processes, the bot worker with {args.worker_processes}, batches of"
        f" {args.batch_size}; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for with_worker in (False, True):
            logs = Path(tmp) / ("two" if with_worker else "one")
            logs.mkdir()
            results.append(await one_setup(args, texts, warm, with_worker, logs))
            for line in results[-1].lines():
                print(line, flush=True)
    one, two = results
    print(
        f"the second process gives {two.articles / two.seconds / (one.articles / one.seconds):.2f}x the"
        f" rate of the Analyzer alone, on {os.cpu_count()} CPUs"
    )
    print(f"load average after the runs {os.getloadavg()[0]:.1f}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.analysis_instances")
    parser.add_argument("--articles", type=int, default=2000, help="~5 KB articles to analyse")
    parser.add_argument("--workers", type=int, default=2, help="the Analyzer's worker processes")
    parser.add_argument("--worker-processes", type=int, default=2, help="ANALYSIS_WORKERS of the bot worker")
    parser.add_argument("--batch-size", type=int, default=16, help="articles per worker call")
    parser.add_argument("--warm-up", type=int, default=64, help="articles the bot worker is warmed on")
    parser.add_argument("--database-url", default=DEFAULT_URL, help="a PostgreSQL server (a schema is made)")
    args = parser.parse_args(argv)
    return asyncio.run(run(args))


if __name__ == "__main__":
    raise SystemExit(main())
