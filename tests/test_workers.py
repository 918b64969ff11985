"""Analysis workers run below the bot's priority and end with its process, even on SIGKILL; pinned work
always runs in the same one, and other work goes where it does not wait behind it."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures.process import BrokenProcessPool

import psutil
import pytest

from bot.workers import WorkerPool, _Lane

PARENT = textwrap.dedent(
    """
    import asyncio, os, sys, time
    from bot.workers import WorkerPool, _Lane

    async def main():
        pool = WorkerPool(2)
        # Two calls that overlap: each worker has started and run its initializer.
        await asyncio.gather(*(pool.run(time.sleep, 0.5) for _ in range(2)))
        print(*pool.pids, flush=True)
        print(os.nice(0), flush=True)
        await asyncio.sleep(60)

    asyncio.run(main())
    """
)


def test_workers_exit_when_the_bot_is_killed() -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True, cwd=os.getcwd()
    )
    try:
        assert parent.stdout is not None
        pids = [int(p) for p in parent.stdout.readline().split()]
        assert len(pids) == 2 and all(psutil.pid_exists(p) for p in pids)
        # Lower priority than the bot: the event loop gets a core first.
        niceness = int(parent.stdout.readline())
        assert all(psutil.Process(p).nice() > niceness for p in pids)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 15
        alive = pids
        while alive and time.monotonic() < deadline:
            time.sleep(0.2)
            alive = [p for p in alive if _running(p)]
        assert alive == []
    finally:
        if parent.poll() is None:
            parent.kill()


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _pid_after(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


async def test_pinned_work_runs_in_one_worker_and_other_work_beside_it() -> None:
    pool = WorkerPool(2)
    try:
        # Pinned calls one after another, and several at once: always the same process.
        first = await pool.run_pinned(_pid_after, 0)
        together = await asyncio.gather(*(pool.run_pinned(_pid_after, 0.2) for _ in range(3)))
        assert set(together) == {first} and pool.pinned_pids == [first]
        # While the pinned worker is busy, analysis goes to the other one and does not wait.
        busy = asyncio.ensure_future(pool.run_pinned(_pid_after, 5))
        await asyncio.sleep(0.5)
        started = time.monotonic()
        other = await pool.run(_pid_after, 0)
        assert other != first and time.monotonic() - started < 4
        assert sorted(pool.pids) == sorted({first, other})
        assert await busy == first
    finally:
        pool.close(wait=False)


async def test_analysis_calls_spread_over_the_workers() -> None:
    pool = WorkerPool(2)
    try:
        pids = await asyncio.gather(*(pool.run(_pid_after, 0.5) for _ in range(2)))
        assert len(set(pids)) == 2
    finally:
        pool.close(wait=False)


async def test_analysis_does_not_queue_behind_a_long_call_while_a_worker_is_free() -> None:
    # The stall of a first version: each call went to a worker when submitted, and a batch queued behind a
    # long one while the pinned worker, done with its short call, stayed idle.
    pool = WorkerPool(2)
    try:
        long = asyncio.ensure_future(pool.run(_pid_after, 6))
        await asyncio.sleep(0.3)
        pinned = asyncio.ensure_future(pool.run_pinned(_pid_after, 1))
        await asyncio.sleep(0.3)
        started = time.monotonic()
        after = await pool.run(_pid_after, 0)
        assert time.monotonic() - started < 5
        assert after == await pinned != await long
    finally:
        pool.close(wait=False)


_KEPT: list[bytes] = []


def _fragment_heap() -> int:
    """~100 MB of malloc'd blocks freed but for one in a hundred, which keeps the heap from shrinking."""
    blocks = [bytes(1000) + str(k).encode() for k in range(100_000)]
    _KEPT.extend(blocks[::100])
    del blocks
    return psutil.Process().memory_info().rss


def _rss() -> int:
    return psutil.Process().memory_info().rss


async def test_analysis_workers_give_freed_memory_back_after_each_call() -> None:
    if not sys.platform.startswith("linux"):
        return
    pool = WorkerPool(1)
    try:
        during = await pool.run(_fragment_heap)
        after = await pool.run(_rss)
        assert after < during - 50 * 2**20
    finally:
        pool.close(wait=False)


def test_the_bot_process_loads_no_model_or_parser_libraries() -> None:
    """What the bot's own process imports, and what unpickling the workers' results brings in, stays out of
    numpy, lxml, feedparser and the models: those load in the workers only (numpy ~19 MB, lxml and feedparser
    ~16 MB of resident memory in a process that never uses them)."""
    code = textwrap.dedent(
        """
        import asyncio, sys
        from datetime import date
        import bot.app, bot.pipeline, bot.analysis.service, bot.feeds.polling, bot.feeds.service
        from bot.analysis.understanding import ArticleInput, understand_batch
        from bot.feeds.parse import parse_feed
        from bot.workers import WorkerPool, _Lane

        RSS = '''<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
        <item><title>Пожар в Твери</title><link>https://example.org/a</link>
        <description>&lt;p&gt;Пожар потушили.&lt;/p&gt;</description></item></channel></rss>'''.encode()
        HEAVY = ("numpy", "lxml", "feedparser", "natasha", "pymorphy2", "slovnet", "spacy", "trafilatura")

        async def main():
            print(sorted(m for m in HEAVY if m in sys.modules))
            pool = WorkerPool(1)
            try:
                text = "Мэр Твери Алексей Огоньков заявил, что пожар потушили."
                item = ArticleInput(1, "Пожар в Твери", text, "ru", date(2025, 11, 26))
                [understood] = await pool.run(understand_batch, [item])
                feed = await pool.run_interactive(parse_feed, RSS, "https://example.org/rss")
                assert understood.analysis is not None and understood.analysis.entities, understood
                assert feed.items and "Пожар потушили" in feed.items[0].text, feed
            finally:
                pool.close()
            print(sorted(m for m in HEAVY if m in sys.modules))

        asyncio.run(main())
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.split("\n")[:2] == ["[]", "[]"], out.stdout


async def test_closing_without_waiting_ends_busy_workers_and_leaves_no_thread_behind(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A pool shut down with wait=False kept its manager thread, which the interpreter joined at exit while the
    # pool's pipes closed under it: "Exception ignored in threading._shutdown … Bad file descriptor" in a
    # worker's log. Closing now ends the processes and then joins that thread.
    end_processes = _Lane._end_processes

    def slowly(executor: object) -> None:
        end_processes(executor)  # type: ignore[arg-type]
        time.sleep(
            1.0
        )  # the broken call retires the pool on the event loop meanwhile, as on a loaded machine

    monkeypatch.setattr(_Lane, "_end_processes", staticmethod(slowly))
    before = set(threading.enumerate())
    pool = WorkerPool(1)
    busy = asyncio.ensure_future(pool.run(time.sleep, 60))
    await asyncio.sleep(1.0)
    pids = pool.pids
    started = time.monotonic()
    await asyncio.to_thread(pool.close, False)
    assert time.monotonic() - started < 15
    with pytest.raises(BrokenProcessPool):
        await busy
    left = [t for t in set(threading.enumerate()) - before if not t.name.startswith("asyncio_")]
    assert left == []
    assert pids and not any(psutil.pid_exists(pid) for pid in pids)
