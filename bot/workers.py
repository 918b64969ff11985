"""The analysis worker processes: CPU-heavy parsing and NLP run here, never on the event loop."""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


# Workers yield the CPU to the bot's event loop: with every core analysing, a reply must not wait for
# the scheduler to take a core from a worker.
WORKER_NICENESS = 10


def _start_worker(parent: int) -> None:
    """Worker initializer: a lower priority than the bot, and an end when the bot's process is gone. A
    bot killed with SIGKILL (or by the OOM killer) cannot shut its pool down, and its idle workers,
    ~145 MB each once their models are loaded, would otherwise wait on their queue for ever."""
    if hasattr(os, "nice"):
        os.nice(WORKER_NICENESS)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


class WorkerPool:
    """A lazily started process pool; `spawn` so that no event-loop or SQLite thread is forked."""

    def __init__(self, processes: int) -> None:
        self._processes = processes
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
                initargs=(os.getpid(),),
            )
        return self._executor

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        call = functools.partial(fn, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._pool(), call)

    @property
    def pids(self) -> list[int]:
        """Worker process ids, for memory measurements."""
        if self._executor is None:
            return []
        return [p.pid for p in self._executor._processes.values() if p.pid]  # no public accessor

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
