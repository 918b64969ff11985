"""Analysis throughput on ~5 KB Russian articles over the worker processes, against natasha alone.

    .venv/bin/python -m bench.analysis --articles 200 --workers 2

Texts are real news read at run time from ../shared/corpora (consecutive articles joined to about
5,000 characters; never copied into the repository). Three runs, each on a freshly started pool whose
workers have loaded their models, so no run inherits another's word caches:

* the bot's own path: articles stored, then `Analyzer` analyses them in the `WorkerPool`, stores
  entities, roles and quotes (``EntityStore.save_many``) and merges the events into the timeline
  (``bot/pipeline.py``'s ``AnalysisTransaction``), as ``bot/app.py`` wires it — the headline articles/s;
* ``understand_batch`` alone over the same pool: our analysis without storage;
* natasha segmentation + NER alone (natasha's own tagger, loaded first) on a fresh pool, in batches of the
  same size.

The ratios to natasha show what our own layers cost. CPU seconds of the workers are printed too: on a
shared machine wall-clock rates fall with the load average (printed), CPU per article much less so.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psutil

from bot.analysis.article import article_text
from bot.analysis.service import Analyzer
from bot.analysis.understanding import ArticleInput, understand, understand_batch
from bot.eval import corpus_path
from bot.ingest.drafts import ArticleDraft, prepare
from bot.pipeline import AnalysisTransaction
from bot.timeline.service import TimelineService
from bot.who.store import EntityStore
from bot.workers import WorkerPool
from storage.articles import ArticleRepo
from storage.database import Database
from storage.events import EventRepo

# Every Russian news text the corpora hold, in this order; gold annotations are ignored.
RUSSIAN_CORPORA = (
    "tg_contest2019_ru.jsonl",
    "ods_news_sample_ru.jsonl",
    "bsnlp_ru_dev.jsonl",
    "factrueval2016_dev.jsonl",
    "nerel_v1.1_dev.jsonl",
)
WARM_UP = (
    "Министр иностранных дел России Сергей Лавров заявил журналистам в Москве, что переговоры "
    "продолжатся на следующей неделе. «Мы готовы к диалогу», — сказал Лавров во вторник."
)
ZONE = ZoneInfo("Europe/Moscow")


def russian_texts(count: int, size: int = 5000) -> list[tuple[str, str]]:
    """(title, text) of `count` articles of about `size` characters, made of consecutive corpus articles.

    When the corpora run out, the next round starts one article later, so every text is new as a whole
    (the bot would drop a repeated text as a duplicate) although its paragraphs were seen before."""
    pieces: list[tuple[str, str]] = []
    for name in RUSSIAN_CORPORA:
        path = corpus_path(name)
        if not path.exists():
            continue
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                row = json.loads(line)
                if row.get("lang", "ru") == "ru" and (row.get("text") or "").strip():
                    pieces.append(((row.get("title") or "").strip(), row["text"].strip()))
    texts: dict[str, str] = {}  # text -> title
    for shift in range(len(pieces)):
        title, parts, length = "", [], 0
        for k in range(shift, shift + len(pieces)):
            piece_title, body = pieces[k % len(pieces)]
            if not title:
                title = piece_title or body[:80]
            else:
                parts.append(piece_title)
            parts.append(body)
            length += len(piece_title) + len(body)
            if length >= size:
                texts.setdefault("\n\n".join(p for p in parts if p)[: size + 600], title)
                title, parts, length = "", [], 0
                if len(texts) >= count:
                    return [(title, text) for text, title in texts.items()]
    return [(title, text) for text, title in texts.items()]


# ----- what the worker processes run (top-level, so a spawned process can unpickle them) -----
def load_models(hold_seconds: float) -> tuple[int, float]:
    """Load the models and analyse a sentence; hold the process a moment so the next call starts another."""
    began = time.perf_counter()
    understand(ArticleInput(0, "", WARM_UP, "ru", date(2025, 11, 26)))
    loaded = time.perf_counter() - began
    time.sleep(hold_seconds)
    return os.getpid(), loaded


def load_natasha(hold_seconds: float) -> tuple[int, float]:
    """natasha's own NER tagger loaded before the clock starts, as ``load_models`` does for ours."""
    began = time.perf_counter()
    segment_and_tag([WARM_UP])
    loaded = time.perf_counter() - began
    time.sleep(hold_seconds)
    return os.getpid(), loaded


@lru_cache(maxsize=1)
def natasha_ner() -> Any:
    """natasha's own NER tagger as the package ships it (the bot runs the same model its own way).
    It needs neither pymorphy2 nor our models: the pool it runs on holds natasha's tagger alone."""
    from natasha import NewsEmbedding, NewsNERTagger

    return NewsNERTagger(NewsEmbedding())


def segment_and_tag(texts: list[str]) -> int:
    """natasha's segmentation and NER alone, as natasha runs them; the names found."""
    from natasha import Doc, Segmenter

    tagger = natasha_ner()
    segmenter = Segmenter()
    found = 0
    for text in texts:
        doc = Doc(text)
        doc.segment(segmenter)
        doc.tag_ner(tagger)
        found += len(doc.spans)
    return found


# ----- measuring -----
@dataclass(frozen=True)
class Run:
    label: str
    articles: int
    seconds: float
    worker_cpu: float  # CPU seconds of the worker processes during the run
    main_cpu: float  # CPU seconds of this process (event loop, SQLite thread) during the run

    @property
    def rate(self) -> float:
        return self.articles / self.seconds

    def line(self) -> str:
        return (
            f"  {self.label:<34} {self.rate:6.1f} articles/s  ({self.articles} in {self.seconds:.1f}s;"
            f" worker CPU {1000 * self.worker_cpu / self.articles:.0f} ms/article,"
            f" main CPU {1000 * self.main_cpu / self.articles:.0f} ms/article)"
        )


def cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        times = psutil.Process(pid).cpu_times()
        total += times.user + times.system
    return total


async def started_pool(
    workers: int, load: Callable[[float], tuple[int, float]] = load_models
) -> tuple[WorkerPool, float, float]:
    """A pool whose every worker has its models loaded; seconds to ready, slowest model load."""
    hold = 1.0
    pool = WorkerPool(workers)
    began = time.perf_counter()
    ready = await asyncio.gather(*(pool.run(load, hold) for _ in range(workers)))
    return pool, time.perf_counter() - began - hold, max(seconds for _, seconds in ready)


async def measured(label: str, count: int, pool: WorkerPool, work: Callable[[], Awaitable[None]]) -> Run:
    pids = pool.pids
    workers_before, main_before = cpu_seconds(pids), time.process_time()
    began = time.perf_counter()
    await work()
    seconds = time.perf_counter() - began
    return Run(label, count, seconds, cpu_seconds(pids) - workers_before, time.process_time() - main_before)


def batches(items: list[ArticleInput], size: int) -> list[list[ArticleInput]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


async def run(count: int, workers: int, batch_size: int) -> int:
    texts = russian_texts(count)
    if not texts:
        print(f"corpora not found at {corpus_path('').parent}: nothing to measure")
        return 0
    average = sum(len(article_text(t, x)) for t, x in texts) / len(texts)
    print(
        f"{len(texts)} Russian articles of {average / 1000:.1f} KB on average (characters), "
        f"{workers} worker processes, batches of {batch_size}; {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    published = datetime(2025, 11, 26, 9, 0, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(Path(tmp) / "bench.sqlite3")
        await db.open()
        articles, entities = ArticleRepo(db), EntityStore(db)
        stored = [
            (
                await articles.add(
                    prepare(ArticleDraft(title, text, published - timedelta(minutes=n), lang="ru")).row,
                    ingested_by=None,
                )
            ).article
            for n, (title, text) in enumerate(texts)
        ]
        inputs = [
            ArticleInput(a.id, a.title, a.text, a.lang, a.published_at.astimezone(ZONE).date())
            for a in stored
        ]

        pool, ready, loaded = await started_pool(workers)
        print(f"worker pool ready in {ready:.1f}s (spawn, imports, models: {loaded:.1f}s in the slowest)")

        async def understand_only() -> None:
            await asyncio.gather(*(pool.run(understand_batch, b) for b in batches(inputs, batch_size)))

        alone = await measured("understand_batch (no storage)", len(inputs), pool, understand_only)
        await asyncio.to_thread(pool.close)

        pool, _, _ = await started_pool(workers)
        events = AnalysisTransaction(TimelineService(EventRepo(db), entities, ZONE))  # as bot/app.py
        analyzer = Analyzer(
            articles, entities, pool, ZONE, events, concurrency=2 * workers, batch_size=batch_size
        )

        async def analyse_and_store() -> None:
            await analyzer.enqueue(stored)
            await analyzer.idle()

        full = await measured("Analyzer: analyse + store all", len(stored), pool, analyse_and_store)
        await analyzer.close()
        await asyncio.to_thread(pool.close)
        pool, _, _ = await started_pool(workers, load_natasha)

        async def natasha_only() -> None:
            chunks = [[article_text(i.title, i.text) for i in b] for b in batches(inputs, batch_size)]
            await asyncio.gather(*(pool.run(segment_and_tag, chunk) for chunk in chunks))

        ner = await measured("natasha segmentation + NER alone", len(inputs), pool, natasha_only)
        await asyncio.to_thread(pool.close)
        async with db.conn.execute("SELECT count(*) FROM analyses") as cursor:
            (analysed,) = await cursor.fetchone()
        async with db.conn.execute("SELECT count(*) FROM entities") as cursor:
            (known,) = await cursor.fetchone()
        await db.close()

    print(f"throughput ({analysed} analyses stored, {analyzer.failed} failed, {known} entities):")
    for result in (full, alone, ner):
        print(result.line())
    print(
        f"  natasha alone is {ner.rate / full.rate:.2f}x the bot's analysis rate"
        f" ({ner.rate / alone.rate:.2f}x analysis without storage);"
        f" worker CPU per article {full.worker_cpu / ner.worker_cpu:.2f}x natasha's"
    )
    print(f"load average after the runs {os.getloadavg()[0]:.1f}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.analysis")
    parser.add_argument("--articles", type=int, default=200, help="~5 KB articles to analyse")
    parser.add_argument("--workers", type=int, default=2, help="analysis worker processes")
    parser.add_argument("--batch-size", type=int, default=16, help="articles per worker call")
    args = parser.parse_args(argv)
    return asyncio.run(run(args.articles, args.workers, args.batch_size))


if __name__ == "__main__":
    raise SystemExit(main())
