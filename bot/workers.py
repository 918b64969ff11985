"""The worker processes: CPU-heavy parsing and NLP run here, never on the event loop."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import functools
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

import psutil

T = TypeVar("T")

BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


# Workers yield the CPU to the bot's event loop: with every core analysing, a reply must not wait for
# the scheduler to take a core from a worker. The interactive worker, whose work someone waits on, comes
# between them: it gets about three times an analysis worker's share of a busy core.
WORKER_NICENESS = 10
INTERACTIVE_NICENESS = 5

# The interactive worker holds ~100 MB once trafilatura has read a page; a 5 MB upload leaves it at up to
# ~180 MB (malloc keeps what the parse freed). Past this it is replaced by a fresh one after its task.
INTERACTIVE_RECYCLE_BYTES = 150 * 2**20


def _start_worker(parent: int, niceness: int) -> None:
    """Worker initializer: a lower priority than the bot, and an end when the bot's process is gone. A
    bot killed with SIGKILL (or by the OOM killer) cannot shut its pool down, and its idle workers,
    ~145 MB each once their models are loaded, would otherwise wait on their queue for ever."""
    if hasattr(os, "nice"):
        os.nice(niceness)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(None).malloc_trim  # type: ignore[no-any-return]
    except (AttributeError, OSError):  # not glibc: nothing to trim this way
        return None


def _call_and_trim(call: Callable[[], T]) -> T:
    """Runs in an analysis worker: the call, then glibc's heap handed back to the system. Freed memory
    otherwise stays in the worker, in pieces too scattered for malloc to return: 54 MB after 50 English
    articles in a worker holding spaCy and natasha (316 → 262 MB RSS), 16 MB after 240 Russian ones
    (250 → 233 MB), for 0.15 s more system CPU over those 240 (docs/PERFORMANCE.md)."""
    try:
        return call()
    finally:
        trim = _malloc_trim()
        if trim is not None:
            trim(0)


class _Lane:
    """One lazily started process pool; `spawn` so that no event-loop or SQLite thread is forked."""

    def __init__(
        self, processes: int, niceness: int, recycle_above: int | None = None, trim: bool = False
    ) -> None:
        self._processes = processes
        self._niceness = niceness
        self._recycle_above = recycle_above
        self._trim = trim
        self._executor: ProcessPoolExecutor | None = None

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            # One BLAS thread per worker (the spawned processes inherit this environment): the pool keeps
            # the cores busy already, and OpenBLAS's own threads spin against each other and the event
            # loop (measured on 2 cores without it: 2.6x the CPU per article, models load in 5.4s, not 1.2s).
            for variable in BLAS_THREADS:
                os.environ.setdefault(variable, "1")
            self._executor = ProcessPoolExecutor(
                max_workers=self._processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(os.getpid(), self._niceness),
            )
        return self._executor

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        call = functools.partial(fn, *args, **kwargs)
        if self._trim:
            call = functools.partial(_call_and_trim, call)
        executor = self._pool()
        try:
            return await asyncio.get_running_loop().run_in_executor(executor, call)
        except BrokenProcessPool:
            # A worker died (the OOM killer, a crash in native code): this pool refuses all work from now
            # on, so the next call starts a new one instead of failing for ever.
            self._retire(executor, cancel=True)
            raise
        finally:
            if self._recycle_above is not None and self._largest_rss(executor) > self._recycle_above:
                self._retire(executor, cancel=False)  # work already queued there still runs

    def _retire(self, executor: ProcessPoolExecutor, *, cancel: bool) -> None:
        if self._executor is executor:
            self._executor = None
            executor.shutdown(wait=False, cancel_futures=cancel)

    @staticmethod
    def _largest_rss(executor: ProcessPoolExecutor) -> int:
        largest = 0
        for process in list((executor._processes or {}).values()):  # no public accessor
            with contextlib.suppress(psutil.Error, ValueError):
                largest = max(largest, psutil.Process(process.pid).memory_info().rss)
        return largest

    @property
    def pids(self) -> list[int]:
        if self._executor is None:
            return []
        return [p.pid for p in self._executor._processes.values() if p.pid]  # no public accessor

    def close(self, wait: bool = True) -> None:
        # Taken first: a call that the ended processes break retires the pool on the event loop meanwhile
        # (`_retire`), and must find nothing left to retire.
        executor, self._executor = self._executor, None
        if executor is not None:
            if not wait:
                self._end_processes(executor)
            # Always joined: an executor left with wait=False keeps its manager thread, which the interpreter
            # joins at exit while the pool's pipes close under it ("Exception ignored in threading._shutdown …
            # Bad file descriptor" in a worker's log). With the processes ended the join is immediate.
            executor.shutdown(wait=True, cancel_futures=True)

    @staticmethod
    def _end_processes(executor: ProcessPoolExecutor, grace: float = 10.0) -> None:
        """SIGTERM to each process, SIGKILL to any still there after `grace` seconds; each reaped through its
        multiprocessing handle, so that the executor's own join finds its exit code."""
        processes = list((executor._processes or {}).values())  # no public accessor
        for process in processes:
            with contextlib.suppress(ProcessLookupError, ValueError):
                process.terminate()
        deadline = time.monotonic() + grace
        for process in processes:
            with contextlib.suppress(ValueError):
                process.join(max(0.0, deadline - time.monotonic()))
                if process.is_alive():
                    process.kill()
                    process.join(grace)


class WorkerPool:
    """The worker processes, in lanes so that no one waits behind an analysis batch.

    `run`: the analysis workers, `processes` of them, for the NLP models' long batches; each is a lane of its
    own, and a call goes to the one with the fewest calls in progress. `run_pinned`: always the first analysis
    worker, for work that loads a large model of its own that most batches never need (spaCy's English NER:
    ~80 MB more in a worker that has analysed one English article, docs/PERFORMANCE.md), so that one process
    pays for it instead of each. `run_interactive`: one worker of its own for what a user or a schedule waits
    on (an upload's or a page's parsing, a feed, a digest's composition); what runs there is bounded by its
    input's size and never loads the models.
    """

    def __init__(self, processes: int) -> None:
        self._analysis = [_Lane(1, WORKER_NICENESS, trim=True) for _ in range(max(1, processes))]
        self._in_progress = [0] * len(self._analysis)
        self._changed = asyncio.Condition()
        self._interactive = _Lane(1, INTERACTIVE_NICENESS, recycle_above=INTERACTIVE_RECYCLE_BYTES)

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`fn(*args, **kwargs)` in an analysis worker: work nobody waits on, long batches welcome. A call
        waits here until a worker is idle and then goes to it (the last idle one: the first is left for
        pinned work), so no call queues behind another while a worker is free — as with one shared queue."""
        async with self._changed:
            await self._changed.wait_for(lambda: 0 in self._in_progress)
            lane = max(k for k, n in enumerate(self._in_progress) if n == 0)
            self._in_progress[lane] += 1
        return await self._on(lane, fn, *args, **kwargs)

    async def run_pinned(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`fn(*args, **kwargs)` in the first analysis worker, always (see the class); it queues there."""
        async with self._changed:
            self._in_progress[0] += 1
        return await self._on(0, fn, *args, **kwargs)

    async def _on(self, lane: int, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return await self._analysis[lane].run(fn, *args, **kwargs)
        finally:
            async with self._changed:
                self._in_progress[lane] -= 1
                self._changed.notify_all()

    async def run_interactive(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`fn(*args, **kwargs)` in the interactive worker: short work a reply or a schedule waits on."""
        return await self._interactive.run(fn, *args, **kwargs)

    @property
    def pids(self) -> list[int]:
        """Analysis worker process ids, for CPU and memory measurements."""
        return [pid for lane in self._analysis for pid in lane.pids]

    @property
    def pinned_pids(self) -> list[int]:
        """The process `run_pinned` runs in, once started."""
        return self._analysis[0].pids

    @property
    def interactive_pids(self) -> list[int]:
        return self._interactive.pids

    def close(self, wait: bool = True) -> None:
        """Stop every lane; `wait=False` ends work in progress (SIGTERM) instead of waiting for it."""
        self._interactive.close(wait)
        for lane in self._analysis:
            lane.close(wait)
