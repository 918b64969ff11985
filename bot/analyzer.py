"""Analysis in the background: every stored article is understood once, in the worker processes.

Ingestion answers as soon as an article is stored; the analysis queue catches up (and, at start-up,
picks up whatever a crash or a new analysis version left unanalysed). The database says what is done.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.analysis.understanding import ArticleInput, Understanding, understand_batch
from bot.workers import WorkerPool
from storage.articles import Article, ArticleRepo
from storage.entities import EntityRepo

log = logging.getLogger(__name__)

# Each analysed article with its analysis and the map of analysis keys to stored entity ids.
Analysed = tuple[Article, Understanding, dict[str, int]]
AnalyzedHook = Callable[[list[Analysed]], Awaitable[None]]


@dataclass(frozen=True)
class ReindexReport:
    articles: int
    failed: int
    seconds: float


class Analyzer:
    def __init__(
        self,
        articles: ArticleRepo,
        entities: EntityRepo,
        workers: WorkerPool,
        timezone: ZoneInfo,
        *,
        concurrency: int = 1,
        batch_size: int = 16,
    ) -> None:
        self._articles = articles
        self._entities = entities
        self._workers = workers
        self._timezone = timezone
        self._concurrency = concurrency
        self._batch_size = batch_size
        self._queue: asyncio.Queue[int] = asyncio.Queue()
        self._consumers: list[asyncio.Task[None]] = []
        self._hooks: list[AnalyzedHook] = []
        self._reset_hooks: list[Callable[[], Awaitable[None]]] = []
        self.failed = 0
        self.reindexing = False
        self.reindex_total = 0  # articles the running reindex analyses
        self._background: set[asyncio.Task[ReindexReport]] = set()

    def on_analyzed(self, hook: AnalyzedHook) -> None:
        """Run `hook` after each batch of analyses is stored (events for /timeline), with the batch."""
        self._hooks.append(hook)

    def on_reset(self, hook: Callable[[], Awaitable[None]]) -> None:
        """Run `hook` when a reindex forgets every analysis (what hooks derived must go too)."""
        self._reset_hooks.append(hook)

    async def enqueue(self, articles: list[Article]) -> None:
        self._start()
        for article in articles:
            self._queue.put_nowait(article.id)

    async def catch_up(self) -> int:
        """At start-up: analyses stored by an older ANALYSIS_VERSION mean the analysis has changed, so the
        whole archive is analysed again from scratch, in the background, as /reindex does (re-analysing
        an article over its old analysis would count its mentions twice). Otherwise the articles a crash
        left unanalysed are queued. How many articles were queued (-1: a reindex started)."""
        if await self._entities.has_stale_analyses():
            log.info("stored analyses are of an older version: analysing the archive again")
            task = asyncio.create_task(self.reindex())
            self._background.add(task)
            task.add_done_callback(self._background.discard)
            return -1
        return await self.enqueue_unanalysed()

    async def enqueue_unanalysed(self) -> int:
        """Queue every article without a current analysis; how many."""
        self._start()
        ids = await self._entities.unanalysed(limit=10_000_000)
        for article_id in ids:
            self._queue.put_nowait(article_id)
        return len(ids)

    async def idle(self) -> None:
        """Wait until everything queued so far is analysed and stored."""
        await self._queue.join()

    @property
    def pending(self) -> int:
        return self._queue.qsize()

    @property
    def reindex_done(self) -> int:
        """Articles the running reindex has taken from its queue (0 when none runs)."""
        return max(0, self.reindex_total - self.pending) if self.reindexing else 0

    def _start(self) -> None:
        if not self._consumers:
            self._consumers = [asyncio.create_task(self._consume()) for _ in range(self._concurrency)]

    async def close(self) -> None:
        for task in [*self._consumers, *self._background]:
            task.cancel()
        await asyncio.gather(*self._consumers, *self._background, return_exceptions=True)
        self._consumers = []

    async def _consume(self) -> None:
        while True:
            ids = [await self._queue.get()]
            while len(ids) < self._batch_size and not self._queue.empty():
                ids.append(self._queue.get_nowait())
            try:
                await self._analyze(ids)
            except Exception:
                log.exception("analysis of articles %s failed", ids)
            finally:
                for _ in ids:
                    self._queue.task_done()

    async def _analyze(self, ids: list[int]) -> None:
        articles = await self._articles.get_many(ids)
        inputs = [
            ArticleInput(a.id, a.title, a.text, a.lang, a.published_at.astimezone(self._timezone).date())
            for a in articles
        ]
        results = await self._workers.run(understand_batch, inputs)
        by_id = {a.id: a for a in articles}
        pairs = [(by_id[u.article_id], u) for u in results]
        for article, understanding in pairs:
            if understanding.error:
                self.failed += 1
                log.warning("article %s stored without analysis: %s", article.id, understanding.error)
        # One transaction and one hook call per batch: storing was most of the event loop's work per article.
        maps = await self._entities.save_many(pairs)
        analysed = [(a, u, ids) for (a, u), ids in zip(pairs, maps, strict=True)]
        for hook in self._hooks:
            await hook(analysed)

    async def reindex(self, progress: Callable[[int, int], Awaitable[None]] | None = None) -> ReindexReport:
        """Forget every analysis and analyse the whole archive again, reporting progress now and then."""
        self.reindexing = True
        try:
            started = time.perf_counter()
            failed_before = self.failed
            await self.idle()
            await self._entities.clear()
            for hook in self._reset_hooks:
                await hook()
            total = await self.enqueue_unanalysed()
            self.reindex_total = total
            while self.pending:
                if progress is not None:
                    await progress(total - self.pending, total)
                await asyncio.sleep(2.0)
            await self.idle()
            return ReindexReport(total, self.failed - failed_before, time.perf_counter() - started)
        finally:
            self.reindexing = False
