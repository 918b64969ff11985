"""Analysis in the background: every stored article is understood once, in the worker processes.

Ingestion answers as soon as an article is stored; the analysis queue catches up (and, at start-up,
picks up whatever a crash or a new analysis version left unanalysed). The database says what is done: an
article's analysis, entities and events are committed in one transaction, so a crash leaves an article
analysed with its events or not analysed at all, and the next start queues it again. The queue holds an
article once, and storing an analysis an article already has is a no-op.

Failures never hold back batch-mates. A batch that fails as a whole (a worker crash, an error storing
it) is analysed article by article, each alone once; an article still failing is recorded as failed with
its reason (/stats counts them). What I chose to retry: a fault of the storage (a full disk, a locked
or read-only database, an I/O error) is transient, and the articles it hit are queued again while the bot
runs, after a pause that doubles up to RETRY_MAX_SECONDS, until they are stored. A failure of the
article's own (the models raise on it, it fails alone in a worker, its date is out of range) is final
until a /reindex: analysing it again would fail again.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol
from zoneinfo import ZoneInfo

import aiosqlite

from bot.analysis.understanding import ArticleInput, Understanding, understand_batch
from bot.workers import WorkerPool
from storage.articles import Article, ArticleRepo
from storage.entities import AnalysisFailure, EntityRepo

log = logging.getLogger(__name__)


RETRY_SECONDS = 30.0  # the first pause before articles a storage fault hit are analysed again
RETRY_MAX_SECONDS = 600.0

# SQLite's primary result codes for faults of the storage rather than of what was written.
_TRANSIENT_SQLITE = {
    sqlite3.SQLITE_BUSY,
    sqlite3.SQLITE_LOCKED,
    sqlite3.SQLITE_NOMEM,
    sqlite3.SQLITE_READONLY,
    sqlite3.SQLITE_IOERR,
    sqlite3.SQLITE_FULL,
    sqlite3.SQLITE_CANTOPEN,
}


def is_transient(exc: BaseException) -> bool:
    """A fault that may go away by itself (full disk, locked database), not one of the article's own."""
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        return code is not None and code & 0xFF in _TRANSIENT_SQLITE
    return isinstance(exc, OSError) and not isinstance(exc, TimeoutError)


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


def _failure(article_id: int, exc: BaseException) -> AnalysisFailure:
    return AnalysisFailure(article_id, _reason(exc), is_transient(exc))


@dataclass(frozen=True)
class Analysed:
    """An article whose analysis has just been stored, with the stored entity of each analysis key."""

    article: Article
    understanding: Understanding
    entity_ids: dict[str, int]


class AnalysisWrites(Protocol):
    """What is written with the analyses, in their transactions (bot/pipeline.py: the events)."""

    async def write(self, conn: aiosqlite.Connection, batch: list[Analysed]) -> None:
        """With a batch's analyses and entities: committed together or not at all."""

    async def clear(self, conn: aiosqlite.Connection) -> None:
        """With a reindex that forgets every analysis: what was derived from them goes too."""


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
        writes: AnalysisWrites | None = None,
        *,
        concurrency: int = 1,
        batch_size: int = 16,
    ) -> None:
        self._articles = articles
        self._entities = entities
        self._workers = workers
        self._timezone = timezone
        self._writes = writes
        self._concurrency = concurrency
        self._batch_size = batch_size
        self._queue: asyncio.Queue[int] = asyncio.Queue()
        self._queued: set[int] = set()  # ids queued or in flight: the queue never holds an article twice
        self._consumers: list[asyncio.Task[None]] = []
        self.analysed = 0  # analyses stored since the start
        self.failed = 0  # articles whose analysis failed for good since the start
        self.retry_seconds = RETRY_SECONDS
        self._fault = asyncio.Event()  # a storage fault left articles unanalysed: queue them again later
        self._retries = 0  # retries in a row that met a fault again (the pause doubles)
        self._retrying: asyncio.Task[None] | None = None
        self.reindexing = False
        self.reindex_total = 0  # articles the running reindex analyses
        self._background: set[asyncio.Task[ReindexReport]] = set()

    async def enqueue(self, articles: list[Article]) -> None:
        self._put([article.id for article in articles])

    def _put(self, ids: list[int]) -> int:
        """Queue the ids not queued or in flight already; how many were."""
        self._start()
        fresh = [article_id for article_id in dict.fromkeys(ids) if article_id not in self._queued]
        for article_id in fresh:
            self._queued.add(article_id)
            self._queue.put_nowait(article_id)
        return len(fresh)

    async def catch_up(self) -> int:
        """At start-up: analyses stored by an older ANALYSIS_VERSION mean the analysis has changed, so the
        whole archive is analysed again from scratch, in the background, as /reindex does (re-analysing
        an article over its old analysis would count its mentions twice). Otherwise the articles a crash
        (an unfinished reindex included) or a storage fault left unanalysed are queued. How many articles
        were queued (-1: a reindex started)."""
        if await self._entities.has_stale_analyses():
            log.info("stored analyses are of an older version: analysing the archive again")
            task = asyncio.create_task(self.reindex())
            self._background.add(task)
            task.add_done_callback(self._background.discard)
            return -1
        return await self.enqueue_unanalysed()

    async def enqueue_unanalysed(self) -> int:
        """Queue every article without a current analysis (but those failed for good); how many were not
        queued already."""
        return self._put(await self._entities.unanalysed(limit=10_000_000))

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
        if self._retrying is None:
            self._retrying = asyncio.create_task(self._retry_after_faults())

    async def close(self) -> None:
        tasks = [*self._consumers, *self._background, *([self._retrying] if self._retrying else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._consumers = []
        self._retrying = None

    async def _consume(self) -> None:
        while True:
            ids = [await self._queue.get()]
            while len(ids) < self._batch_size and not self._queue.empty():
                ids.append(self._queue.get_nowait())
            try:
                try:
                    await self._analyze(ids)
                except Exception as exc:  # reading the batch failed (what follows catches its own)
                    log.exception("analysis of articles %s failed", ids)
                    await self._analyze_each(ids, exc)
            finally:
                self._queued.difference_update(ids)
                for _ in ids:
                    self._queue.task_done()

    async def _analyze_each(self, ids: list[int], exc: Exception) -> None:
        """After a batch failed outside the steps that isolate its articles: each alone, once, unless the
        fault was the storage's (then they are all retried later)."""
        if len(ids) == 1 or is_transient(exc):
            await self._record([_failure(article_id, exc) for article_id in ids])
            return
        for article_id in ids:
            try:
                await self._analyze([article_id])
            except Exception as exc_alone:
                await self._record([_failure(article_id, exc_alone)])

    async def _retry_after_faults(self) -> None:
        """While the bot runs, articles a storage fault left unanalysed are queued again after a pause, so
        they are analysed once the disk has room again or the lock is gone, without a restart."""
        while True:
            await self._fault.wait()
            await asyncio.sleep(min(self.retry_seconds * 2**self._retries, RETRY_MAX_SECONDS))
            self._fault.clear()
            self._retries += 1
            try:
                queued = await self.enqueue_unanalysed()
            except Exception as exc:
                log.warning("queueing articles left unanalysed failed: %s", exc)
                self._fault.set()
                continue
            if queued:
                log.info("analysing %d article(s) again after a storage fault", queued)

    async def _analyze(self, ids: list[int]) -> None:
        articles = await self._articles.get_many(ids)
        failures: list[AnalysisFailure] = []
        inputs = []
        for a in articles:
            try:
                published = a.published_at.astimezone(self._timezone).date()
            except (OverflowError, ValueError) as exc:  # a date at the end of the calendar
                failures.append(AnalysisFailure(a.id, _reason(exc), transient=False))
                continue
            inputs.append(ArticleInput(a.id, a.title, a.text, a.lang, published))
        results = await self._understand(inputs, failures)
        by_id = {a.id: a for a in articles}
        await self._store([(by_id[u.article_id], u) for u in results], failures)
        if failures:
            await self._record(failures)

    async def _analyse(self, items: list[ArticleInput]) -> list[Understanding]:
        """English articles in the pinned worker, so that spaCy's English model loads in one process only
        (bot/workers.py); the others in any analysis worker, both at once."""
        english = [item for item in items if item.lang == "en"]
        others = [item for item in items if item.lang != "en"]
        calls = [self._workers.run(understand_batch, others)] if others else []
        if english:
            calls.append(self._workers.run_pinned(understand_batch, english))
        return [u for part in await asyncio.gather(*calls) for u in part]

    async def _understand(
        self, inputs: list[ArticleInput], failures: list[AnalysisFailure]
    ) -> list[Understanding]:
        """The analyses of a batch, in a worker; what failed goes to `failures`. A batch the worker fails
        as a whole, and an article the models failed on among others, is analysed again alone, once."""
        if not inputs:
            return []
        try:
            results = await self._analyse(inputs)
            alone = len(inputs) == 1
        except Exception as exc:
            if len(inputs) == 1:
                failures.append(_failure(inputs[0].article_id, exc))
                return []
            log.warning("analysing a batch of %d failed (%s): each alone", len(inputs), _reason(exc))
            results = []
            for item in inputs:
                try:
                    results += await self._analyse([item])
                except Exception as exc_alone:
                    failures.append(_failure(item.article_id, exc_alone))
            alone = True
        by_id = {item.article_id: item for item in inputs}
        good = []
        for understanding in results:
            article_id = understanding.article_id
            if understanding.error and not alone:
                try:
                    (understanding,) = await self._analyse([by_id[article_id]])
                except Exception as exc:
                    failures.append(_failure(article_id, exc))
                    continue
            if understanding.error:
                failures.append(AnalysisFailure(article_id, understanding.error, transient=False))
            else:
                good.append(understanding)
        return good

    async def _store(
        self, pairs: list[tuple[Article, Understanding]], failures: list[AnalysisFailure]
    ) -> None:
        """One transaction per batch (storing was most of the event loop's work per article); when it
        fails for a reason other than a storage fault, each article is stored alone so that one bad
        article does not lose its batch-mates. A storage fault fails the lot: the retry comes later."""
        if not pairs:
            return
        try:
            await self._save(pairs)
            return
        except Exception as exc:
            if is_transient(exc) or len(pairs) == 1:
                failures += [_failure(a.id, exc) for a, _ in pairs]
                return
            log.warning("storing a batch of %d failed (%s): storing each alone", len(pairs), _reason(exc))
        for pair in pairs:
            try:
                await self._save([pair])
            except Exception as exc:
                failures.append(_failure(pair[0].id, exc))

    async def _save(self, pairs: list[tuple[Article, Understanding]]) -> None:
        """The analyses, their entities and what is written with them (the events), in one transaction.
        Articles already analysed are left as they are, and not written about again."""
        stored: list[Analysed] = []

        async def derive(conn: aiosqlite.Connection, maps: list[dict[str, int] | None]) -> None:
            fresh = zip(pairs, maps, strict=True)
            stored[:] = [Analysed(a, u, ids) for (a, u), ids in fresh if ids is not None]
            if self._writes is not None:
                await self._writes.write(conn, stored)

        await self._entities.save_many(pairs, then=derive)
        self.analysed += len(stored)
        self._retries = 0

    async def _record(self, failures: list[AnalysisFailure]) -> None:
        for failure in failures:
            later = " (analysed again later)" if failure.transient else ""
            log.warning("analysis of article %s failed%s: %s", failure.article_id, later, failure.reason)
        self.failed += sum(1 for f in failures if not f.transient)
        if any(f.transient for f in failures):
            self._fault.set()
        try:
            await self._entities.record_failures(failures)
        except Exception as exc:  # the same fault, likely: the articles stay unanalysed, so are retried
            log.warning("recording %d failed analyses failed: %s", len(failures), _reason(exc))
            self._fault.set()

    async def reindex(self, progress: Callable[[int, int], Awaitable[None]] | None = None) -> ReindexReport:
        """Forget every analysis and analyse the whole archive again, reporting progress now and then.

        Safe against a crash at any moment: analyses, entities, failures and events are forgotten in one
        transaction, after which every article is simply unanalysed, which is what the start-up
        catch-up queues; each new analysis is committed with its events. A reindex killed half-way is
        thus finished by the next start, with what a reindex run to its end gives. (Not chosen: replacing
        each article's analysis in place, since entities merged across articles and their counts cannot
        be taken apart article by article.)"""
        self.reindexing = True
        try:
            started = time.perf_counter()
            failed_before = self.failed
            await self.idle()

            await self._entities.clear(then=self._writes.clear if self._writes is not None else None)
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
