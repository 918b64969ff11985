"""The bot answers users while it analyses a large batch; and the memory of its whole process tree.

    .venv/bin/python -m bench.responsiveness --articles 500 --workers 2

The bot runs as deployed: ``python -m bot run`` in a child process (App, Dispatcher, long polling,
SQLite in a temporary directory, ANALYSIS_WORKERS worker processes), talking to the Bot API emulator
in this process, as tests/conftest.py's running_bot wires them, but in processes of their own: the
emulator's work is not on the bot's event loop, and the bot's workers import only what it needs
(spawned workers re-import a benchmark's own main module, never ``bot.__main__``).

Readers send /start every ~100 ms, each from a chat of its own: a few idle seconds first, then while an
admin uploads a .jsonl of ~5 KB Russian articles (real news joined from ../shared/corpora at run time)
that the bot parses, stores and analyses. A /start's latency runs from the moment its update was due
(a late send counts against the bot) to the moment the emulator received the bot's reply.

While the batch is analysed, a second admin uploads a 5-line .jsonl every ``--upload-interval`` seconds
(the batch's first five articles: parsed, checked against the archive and answered "already stored", so
the analysis has no more to do): work that needs a worker process, timed from the send to the reply.

Memory: every 0.5 s the bot's process tree (the bot, its analysis workers, multiprocessing's resource
tracker) is sampled with psutil. RSS counts pages shared between processes (libraries, models mapped
from the same files) once in every process; PSS divides them among their sharers, USS is what each
process holds alone. The peaks are of the totals over the tree.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import signal
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from bench.analysis import russian_texts
from bot.emulator import BotAPIEmulator, TelegramUser
from bot.eval import corpus_path

ROOT = Path(__file__).resolve().parents[1]
ADMIN = TelegramUser(1, "Admin", language_code="ru")
EDITOR = TelegramUser(2, "Editor", language_code="ru")
FIRST_READER = 1_000_000


def role(process: psutil.Process, root: psutil.Process) -> str:
    if process.pid == root.pid:
        return "bot: event loop, SQLite"
    command = " ".join(process.cmdline())
    if "resource_tracker" in command:
        return "multiprocessing resource tracker"
    return "worker" if "spawn_main" in command or "forkserver" in command else command[:60]


@dataclass
class TreeMemory:
    """Peaks of the total RSS, PSS and USS of a process and all its descendants; CPU of each."""

    rss: int = 0
    pss: int = 0
    uss: int = 0
    processes: int = 0
    samples: int = 0
    by_process: dict[int, tuple[str, int]] = field(default_factory=dict)  # pid -> (what, peak RSS)
    started: dict[int, float] = field(default_factory=dict)  # pid -> its create_time
    cpu: dict[int, float] = field(default_factory=dict)  # pid -> CPU seconds at its last sample

    def sample(self, root: psutil.Process) -> None:
        rss = pss = uss = 0
        tree = [root, *root.children(recursive=True)]
        for process in tree:
            try:
                info = process.memory_full_info()
                what = role(process, root)
                times = process.cpu_times()
                self.started.setdefault(process.pid, process.create_time())
            except psutil.NoSuchProcess:
                continue
            self.cpu[process.pid] = times.user + times.system
            rss, pss, uss = rss + info.rss, pss + info.pss, uss + info.uss
            _, peak = self.by_process.get(process.pid, (what, 0))
            self.by_process[process.pid] = (what, max(peak, info.rss))
        self.rss, self.pss, self.uss = max(self.rss, rss), max(self.pss, pss), max(self.uss, uss)
        self.processes = max(self.processes, len(tree))
        self.samples += 1


def watch_memory(memory: TreeMemory, root: psutil.Process, stop: threading.Event, every: float = 0.5) -> None:
    while not stop.is_set():
        with contextlib.suppress(psutil.NoSuchProcess):
            memory.sample(root)
        stop.wait(every)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


def summary(label: str, millis: list[float], lost: int) -> str:
    if not millis:
        return f"  {label}: no replies"
    return (
        f"  {label:<34} n={len(millis):<4} p50 {statistics.median(millis):6.1f} ms"
        f"  p95 {percentile(millis, 0.95):6.1f} ms  max {max(millis):7.1f} ms"
        + (f"  ({lost} unanswered)" if lost else "")
    )


class Pings:
    """/start every `interval` seconds, each from a new reader, timed from when it was due."""

    def __init__(self, emulator: BotAPIEmulator, interval: float) -> None:
        self.emulator = emulator
        self.interval = interval
        self.due: dict[int, tuple[float, str]] = {}  # chat -> (when the update was due, phase)
        self.replied: dict[int, float] = {}  # chat -> when the emulator received the bot's reply
        self.phase = "idle"
        self._stop = asyncio.Event()
        original = emulator._m_sendmessage

        async def recorded(params: dict[str, Any]) -> dict[str, Any]:
            result = await original(params)
            self.replied.setdefault(int(params["chat_id"]), time.perf_counter())
            return result

        emulator._m_sendmessage = recorded  # type: ignore[method-assign]

    async def run(self) -> None:
        chat = FIRST_READER
        due = time.perf_counter()
        while not self._stop.is_set():
            chat += 1
            self.due[chat] = (due, self.phase)
            await self.emulator.send_text(TelegramUser(chat, "Читатель", language_code="ru"), "/start")
            due += self.interval
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), max(0.0, due - time.perf_counter()))

    def stop(self) -> None:
        self._stop.set()

    def latencies(self, phase: str) -> tuple[list[float], int]:
        chats = [c for c, (_, p) in self.due.items() if p == phase]
        millis = [1000 * (self.replied[c] - self.due[c][0]) for c in chats if c in self.replied]
        return millis, len(chats) - len(millis)


class Uploads:
    """A small .jsonl from another admin every `interval` seconds, each timed from its send to its reply."""

    def __init__(self, emulator: BotAPIEmulator, content: bytes, interval: float) -> None:
        self.emulator = emulator
        self.content = content
        self.interval = interval
        self.millis: list[float] = []
        self.unanswered = 0
        self._stop = asyncio.Event()

    async def run(self) -> None:
        while not self._stop.is_set():
            due = time.perf_counter() + self.interval
            before = len(self.emulator.messages(EDITOR.id))
            sent = time.perf_counter()
            await self.emulator.send_document(EDITOR, "five.jsonl", self.content)
            try:
                await self.emulator.replies(EDITOR.id, 1, after=before, timeout=600)
                self.millis.append(1000 * (time.perf_counter() - sent))
            except TimeoutError:
                self.unanswered += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), max(0.0, due - time.perf_counter()))

    def stop(self) -> None:
        self._stop.set()


def count(database: Path, table: str) -> int:
    """Rows of a table, read beside the running bot (WAL lets a reader in while it writes)."""
    if not database.exists():
        return 0
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)) as conn:
        try:
            return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
        except sqlite3.OperationalError:  # not migrated yet
            return 0


async def start_bot(emulator: BotAPIEmulator, folder: Path, args: argparse.Namespace, upload: int) -> Any:
    environment = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "BOT_TOKEN": emulator.token,
        "TELEGRAM_API_URL": emulator.url,
        "DATABASE_PATH": str(folder / "news.sqlite3"),
        "ADMIN_IDS": f"{ADMIN.id},{EDITOR.id}",
        "DEFAULT_TIMEZONE": "Europe/Moscow",
        "ANALYSIS_WORKERS": str(args.workers),
        "MAX_UPLOAD_BYTES": str(max(upload + 1, 5 * 1024 * 1024)),
        "LOG_LEVEL": "WARNING",
    }
    log = (folder / "bot.log").open("wb")
    # The temporary folder as the working directory: no developer's .env is read.
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=folder, env=environment, stdout=log, stderr=log
    )


async def run(args: argparse.Namespace) -> int:
    texts = russian_texts(args.articles)
    if not texts:
        print(f"corpora not found at {corpus_path('').parent}: nothing to measure")
        return 0
    lines = [
        json.dumps({"title": title, "text": text, "date": "2025-11-26", "lang": "ru"}, ensure_ascii=False)
        for title, text in texts
    ]
    if args.english:
        # English articles spread through the batch: each worker loads spaCy's model on its first one.
        english = [
            json.dumps({"title": title, "text": text, "date": "2025-11-26", "lang": "en"}, ensure_ascii=False)
            for title, text in english_texts(args.english)
        ]
        step = max(1, len(lines) // max(1, len(english)))
        for k, line in enumerate(english):
            lines.insert(min(len(lines), k * (step + 1)), line)
    batch = "\n".join(lines).encode()
    print(
        f"{len(texts)} articles ({len(batch) / 1e6:.1f} MB of .jsonl), ANALYSIS_WORKERS={args.workers},"
        f" /start every {args.interval * 1000:.0f} ms; {os.cpu_count()} CPUs, load average"
        f" {os.getloadavg()[0]:.1f}"
    )
    memory = TreeMemory()
    stop_watching = threading.Event()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        database = folder / "news.sqlite3"
        emulator = BotAPIEmulator()
        await emulator.start()
        process = await start_bot(emulator, folder, args, len(batch))
        watcher = threading.Thread(
            target=watch_memory, args=(memory, psutil.Process(process.pid), stop_watching), daemon=True
        )
        pings = Pings(emulator, args.interval)
        pinging: asyncio.Task[None] | None = None
        uploads = Uploads(emulator, "\n".join(lines[:5]).encode(), args.upload_interval)
        uploading: asyncio.Task[None] | None = None
        try:
            # Polling starts once the start-up hooks (commands registered) have run.
            await emulator.wait_for(lambda: any(m == "getUpdates" for m, _ in emulator.calls), timeout=60)
            watcher.start()
            pinging = asyncio.create_task(pings.run())
            await asyncio.sleep(args.idle_seconds)
            pings.phase = "ingest"
            began = time.perf_counter()
            await emulator.send_document(ADMIN, "batch.jsonl", batch)
            articles = len(texts)
            for table, phase in (("articles", "analysis"), ("analyses", "after")):
                while (done := await asyncio.to_thread(count, database, table)) < articles:
                    if process.returncode is not None:
                        raise RuntimeError("the bot stopped")
                    if table == "articles" and emulator.messages(ADMIN.id):
                        articles = done  # the upload's report: every article that will be is stored
                        break
                    await asyncio.sleep(0.25)
                pings.phase = phase
                if phase == "analysis":
                    stored = time.perf_counter() - began
                    uploading = asyncio.create_task(uploads.run())
            analysed = time.perf_counter() - began
            await emulator.replies(ADMIN.id, 1, timeout=600)  # the upload's report comes after its hooks
            await asyncio.sleep(0.5)
        finally:
            pings.stop()
            uploads.stop()
            if pinging is not None:
                await pinging
            if uploading is not None:
                await uploading
            with contextlib.suppress(TimeoutError):
                await emulator.wait_for(lambda: len(pings.replied) >= len(pings.due), timeout=10.0)
            stop_watching.set()
            if watcher.is_alive():
                watcher.join()
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(process.wait(), 60)
            await emulator.stop()
            if code != 0:
                print((folder / "bot.log").read_text(errors="replace")[-3000:])

    print(
        f"batch: {articles} articles stored {stored:.1f}s after the upload,"
        f" all analysed after {analysed:.1f}s ({articles / (analysed - stored):.1f} articles/s analysed)"
    )
    print("/start latency, from the update being due to the reply reaching the emulator:")
    millis, lost = pings.latencies("ingest")
    more, more_lost = pings.latencies("analysis")
    for label, values, unanswered in (
        ("idle bot", *pings.latencies("idle")),
        ("batch being parsed and stored", millis, lost),
        ("batch being analysed", more, more_lost),
        ("whole batch", millis + more, lost + more_lost),
    ):
        print(summary(label, values, unanswered))
    print(f"a 5-line .jsonl from another admin every {args.upload_interval:g} s while the batch is analysed:")
    print(summary("send to reply", uploads.millis, uploads.unanswered))
    if uploads.millis:
        # The first is sent once the batch is stored, while the batch's story vectors may still be computed.
        others = max(uploads.millis[1:] or [0.0])
        print(f"  first {uploads.millis[0]:.0f} ms, slowest of the others {others:.0f} ms")
    print(
        f"memory of the bot's process tree ({memory.processes} processes at most, {memory.samples} samples):"
        f" peak RSS {memory.rss / 2**20:.0f} MB, peak PSS {memory.pss / 2**20:.0f} MB,"
        f" peak USS {memory.uss / 2**20:.0f} MB"
    )
    workers = [pid for pid, (what, _) in memory.by_process.items() if what == "worker"]
    if len(workers) == args.workers + 1:
        # The upload's parse is the first work for a worker: the first one started is the interactive lane's.
        first = min(workers, key=lambda pid: memory.started[pid])
        memory.by_process[first] = ("interactive worker (started first)", memory.by_process[first][1])
    for pid, (what, peak) in sorted(memory.by_process.items()):
        print(f"  pid {pid:<7} peak RSS {peak / 2**20:6.0f} MB, CPU {memory.cpu[pid]:6.1f}s  {what}")
    print(f"bot exit code {code}; load average after the run {os.getloadavg()[0]:.1f}")
    return 0


def english_texts(count: int, size: int = 5000) -> list[tuple[str, str]]:
    """(title, text) of up to `count` English articles of about `size` characters, consecutive contest
    articles joined."""
    path = corpus_path("tg_contest2019_en.jsonl")
    if not path.exists():
        return []
    texts: list[tuple[str, str]] = []
    title, parts = "", []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            title = title or (row.get("title") or "").strip()
            parts.append((row.get("text") or "").strip())
            if sum(len(p) for p in parts) >= size:
                texts.append((title, "\n\n".join(parts)))
                title, parts = "", []
                if len(texts) >= count:
                    break
    return texts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.responsiveness")
    parser.add_argument("--english", type=int, default=0, help="~5 KB English articles mixed into the batch")
    parser.add_argument("--articles", type=int, default=500, help="~5 KB articles in the uploaded batch")
    parser.add_argument("--workers", type=int, default=2, help="ANALYSIS_WORKERS")
    parser.add_argument("--interval", type=float, default=0.1, help="seconds between /start updates")
    parser.add_argument("--idle-seconds", type=float, default=3.0, help="pings before the upload")
    parser.add_argument(
        "--upload-interval", type=float, default=2.0, help="seconds between small uploads during the analysis"
    )
    args = parser.parse_args(argv)
    return asyncio.run(run(args))


if __name__ == "__main__":
    raise SystemExit(main())
