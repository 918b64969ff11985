"""Analysis in the background: every stored article is understood once, in the worker processes.

Ingestion answers as soon as an article is stored; the analysis queue catches up (and, at start-up,
picks up whatever a crash or a new analysis version left unanalysed). The queue is the database
(storage/analysis_queue.py): every article without a current analysis and not failed for good waits there,
and each consumer claims a batch (with a lease) before analysing it, so the bot's own consumers and any
number of `python -m bot worker` processes sharing one PostgreSQL take disjoint batches. `enqueue` wakes
this process's consumers at once; they also look every POLL_SECONDS for work other processes stored, and
a consumer that dies mid-batch leaves its articles to the others once its lease has run out.

The database says what is done: an article's analysis, entities and events are committed in one
transaction (which also releases its claim), so a crash leaves an article analysed with its events or not
analysed at all, and it waits again. Storing an analysis an article already has is a no-op.

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
import os
import socket
import sqlite3
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

import aiosqlite

from bot.analysis.understanding import ArticleInput, Understanding, understand_batch
from bot.workers import WorkerPool
from storage.analysis_queue import AnalysisQueue
from storage.articles import Article, ArticleRepo
from storage.entities import AnalysisFailure, EntityRepo

log = logging.getLogger(__name__)


RETRY_SECONDS = 30.0  # the first pause before articles a storage fault hit are analysed again
RETRY_MAX_SECONDS = 600.0
POLL_SECONDS = 3.0  # how often the consumers look for articles another process stored
RESCAN_POLLS = 20  # every 20 polls (a minute) the queue's floor is read from scratch (AnalysisQueue.floor)
LEASE_SECONDS = 60.0  # a batch's claims, renewed while it is analysed: another's once its consumer died


def consumer_name() -> str:
    """This process among the analysis consumers: host, pid and a random part (a pid is reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


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


def _postgresql_transient(exc: BaseException) -> bool:
    """PostgreSQL's faults that pass (a dropped or refused connection, a server shutting down or out of
    disk or memory, a serialisation failure or deadlock), as opposed to a statement's own. asyncpg is only
    loaded when the database is PostgreSQL, and only then can its errors occur."""
    asyncpg = sys.modules.get("asyncpg")
    if asyncpg is None:
        return False
    errors = asyncpg.exceptions
    return isinstance(
        exc,
        (
            errors.PostgresConnectionError,
            errors.InterfaceError,
            errors.InsufficientResourcesError,
            errors.OperatorInterventionError,
            errors.TransactionRollbackError,
        ),
    )


def is_transient(exc: BaseException) -> bool:
    """A fault that may go away by itself (full disk, locked database, a lost PostgreSQL connection), not
    one of the article's own."""
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        return code is not None and code & 0xFF in _TRANSIENT_SQLITE
    if _postgresql_transient(exc):
        return True
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

    async def take_back(self, conn: aiosqlite.Connection, article_ids: Sequence[int]) -> None:
        """With articles' analyses forgotten (their texts replaced): what was derived from them goes too."""


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
        queue: AnalysisQueue | None = None,
    ) -> None:
        self._articles = articles
        self._entities = entities
        self._workers = workers
        self._timezone = timezone
        self._writes = writes
        self._concurrency = concurrency
        self._batch_size = batch_size
        # The queue is the database; claims made in the name of this process.
        self._queue = queue or AnalysisQueue(entities._db, consumer_name())
        self.consuming = True  # False: this process only stores articles, other processes analyse them
        self.poll_seconds = POLL_SECONDS
        self.lease = timedelta(seconds=LEASE_SECONDS)
        self._wake = asyncio.Event()  # set by enqueue (and the poller): the consumers claim at once
        self._busy = 0  # consumers claiming or analysing a batch right now
        self._announced: dict[int, int] = {}  # ids enqueued here, not seen done yet → generation
        self._generation = 0
        self._depth = 0  # articles waiting, as last counted (/metrics, reindex progress)
        self._consumers: list[asyncio.Task[None]] = []
        self._poller: asyncio.Task[None] | None = None
        self.analysed = 0  # analyses stored since the start
        self.failed = 0  # articles whose analysis failed for good since the start
        self.retry_seconds = RETRY_SECONDS
        self._fault = asyncio.Event()  # a storage fault left articles unanalysed: analyse them again later
        self._retry_ids: set[int] = set()  # claimed articles a storage fault hit: the retry analyses them
        self._retries = 0  # retries in a row that met a fault again (the pause doubles)
        self._retrying: asyncio.Task[None] | None = None
        self.reindexing = False
        self.reindex_total = 0  # articles the running reindex analyses
        self._background: set[asyncio.Task[ReindexReport]] = set()

    @property
    def owner(self) -> str:
        """The name this process's claims carry."""
        return self._queue.owner

    async def enqueue(self, articles: list[Article]) -> None:
        """Newly stored articles: they wait in the database already; this process's consumers look now."""
        self._announce([article.id for article in articles])

    def _announce(self, ids: list[int]) -> int:
        """Wake the consumers for these ids; how many were not announced already."""
        self._start()
        self._generation += 1
        fresh = [article_id for article_id in dict.fromkeys(ids) if article_id not in self._announced]
        if ids:
            self._queue.lower(min(ids))
        for article_id in fresh:
            self._announced[article_id] = self._generation
        self._depth += len(fresh)
        self._wake.set()
        return len(fresh)

    async def lock(self, conn: aiosqlite.Connection) -> None:
        """First in a transaction that changes what analyses are stored from (an article's text): on
        PostgreSQL, not while another process stores analyses (EntityRepo.lock_writers)."""
        await self._entities.lock_writers(conn)

    async def take_back(self, conn: aiosqlite.Connection, article_ids: Sequence[int]) -> None:
        """In the caller's transaction, which replaced these articles' texts: their analyses go with what
        derives from them (entities' counts, events), and any claim on them, so they wait to be analysed
        again; `enqueue` them once it is committed. A consumer analysing an old text cannot store it
        (EntityRepo.claim compares the text's hash)."""
        await self._entities.forget_articles(conn, article_ids)
        if self._writes is not None:
            await self._writes.take_back(conn, article_ids)
        await self._queue.forget(conn, article_ids)

    async def catch_up(self) -> int:
        """At start-up: analyses stored by an older ANALYSIS_VERSION mean the analysis has changed, so the
        whole archive is analysed again from scratch, in the background, as /reindex does (re-analysing
        an article over its old analysis would count its mentions twice). Otherwise the articles a crash
        (an unfinished reindex included) or a storage fault left unanalysed are analysed. How many
        articles wait (-1: a reindex started)."""
        if await self._entities.has_stale_analyses():
            log.info("stored analyses are of an older version: analysing the archive again")
            task = asyncio.create_task(self.reindex())
            self._background.add(task)
            task.add_done_callback(self._background.discard)
            return -1
        return await self.enqueue_unanalysed()

    async def enqueue_unanalysed(self) -> int:
        """Wake the consumers for every article without a current analysis (but those failed for good);
        how many nobody had claimed and this process did not know of already."""
        if gone := await self._queue.forget_dead():
            log.info("%d article(s) were claimed for analysis by a process that stopped", gone)
        return self._announce(await self._queue.waiting())

    async def idle(self) -> None:
        """Wait until everything waiting so far is analysed and stored (or failed), in this process or
        claimed by another."""
        self._start()
        while not await self._settled():  # noqa: ASYNC110 (the database says, another process may do it)
            await asyncio.sleep(0.05)
        await self.depth()

    async def _settled(self) -> bool:
        if self._busy or (self._wake.is_set() and self._consumers):
            return False
        return not await self._queue.waiting(limit=1)

    @property
    def pending(self) -> int:
        """Articles waiting for analysis, as last counted (every POLL_SECONDS while consuming)."""
        return self._depth

    async def depth(self) -> int:
        """Articles waiting for analysis now, claimed by a consumer or not."""
        self._depth = await self._queue.depth()
        return self._depth

    @property
    def reindex_done(self) -> int:
        """Articles the running reindex has taken from its queue (0 when none runs)."""
        return max(0, self.reindex_total - self.pending) if self.reindexing else 0

    def start(self) -> None:
        """Start consuming (`python -m bot worker`; the bot starts on its first enqueue or catch-up)."""
        self._start()

    def _start(self) -> None:
        if self.consuming and not self._consumers:
            self._consumers = [asyncio.create_task(self._consume()) for _ in range(self._concurrency)]
            self._poller = asyncio.create_task(self._poll())
        if self._retrying is None:
            self._retrying = asyncio.create_task(self._retry_after_faults())

    async def close(self) -> None:
        """Stop consuming; a batch in the middle of its analysis gives its claims back."""
        extra = [t for t in (self._retrying, self._poller) if t is not None]
        tasks = [*self._consumers, *self._background, *extra]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._retry_ids:
            await self._give_back(list(self._retry_ids))
            self._retry_ids.clear()
        self._consumers = []
        self._retrying = None
        self._poller = None

    async def _poll(self) -> None:
        """Every POLL_SECONDS: the consumers look for work (other processes' articles, expired claims) and
        the queue depth is counted again."""
        polls = 0
        while True:
            await asyncio.sleep(self.poll_seconds)
            self._wake.set()
            try:
                if polls % RESCAN_POLLS == 0:  # the oldest waiting article, read from scratch now and then
                    await self._queue.rescan()
                polls += 1
                await self.depth()
            except Exception as exc:
                log.warning("counting the articles waiting for analysis failed: %s", _reason(exc))

    async def _consume(self) -> None:
        while True:
            self._busy += 1
            ids: list[int] = []
            try:
                generation = self._generation
                self._wake.clear()
                try:
                    ids = await self._claim()
                except Exception as exc:  # a full disk, a lost connection: the poller wakes us again
                    log.warning("claiming articles for analysis failed: %s", _reason(exc))
                if ids:
                    await self._process(ids)
                    self._depth = max(0, self._depth - len(ids))  # until the poller counts again
                else:  # what was announced before is done or another consumer's
                    for article_id, announced in list(self._announced.items()):
                        if announced <= generation:
                            del self._announced[article_id]
            finally:
                self._busy -= 1
            if not ids:
                await self._wake.wait()

    async def _claim(self) -> list[int]:
        """A batch claimed; stopped (close) while claiming, a claim committed all the same is given back."""
        claiming = asyncio.ensure_future(self._queue.claim(self._batch_size, self.lease))
        try:
            return await asyncio.shield(claiming)
        except asyncio.CancelledError:
            with suppress(Exception):
                if claimed := await claiming:
                    await self._give_back(claimed)
            raise

    async def _process(self, ids: list[int]) -> None:
        """A claimed batch: analysed and stored (its claims released with it), or failed; the claims of
        what a storage fault hit are kept for the retry; a batch stopped half-way gives its claims back."""
        renewing = asyncio.create_task(self._renew(ids))
        try:
            try:
                await self._analyze(ids)
            except Exception as exc:  # reading the batch failed (what follows catches its own)
                log.exception("analysis of articles %s failed", ids)
                await self._analyze_each(ids, exc)
        finally:
            renewing.cancel()
            for article_id in ids:
                self._announced.pop(article_id, None)
            rest = [article_id for article_id in ids if article_id not in self._retry_ids]
            if rest:
                await asyncio.shield(self._give_back(rest))

    async def _renew(self, ids: list[int]) -> None:
        """While a batch is analysed, its lease is renewed every third of it (a batch can wait for a busy
        worker, or for the models to load, longer than a lease)."""
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            try:
                await self._queue.hold(ids, datetime.now(UTC) + self.lease)
            except Exception as exc:
                log.warning("renewing the claims on %d article(s) failed: %s", len(ids), _reason(exc))

    async def _give_back(self, ids: list[int]) -> None:
        try:
            await self._queue.release_now(ids)
        except Exception as exc:  # their lease runs out instead
            log.warning("releasing the claims on %d article(s) failed: %s", len(ids), _reason(exc))

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
        """While the bot runs, articles a storage fault left unanalysed (still claimed by this process) are
        analysed again after a pause, so they are stored once the disk has room again or the lock is
        gone, without a restart."""
        while True:
            await self._fault.wait()
            pause = min(self.retry_seconds * 2**self._retries, RETRY_MAX_SECONDS)
            await asyncio.sleep(pause)
            self._fault.clear()
            self._retries += 1
            ids, self._retry_ids = sorted(self._retry_ids), set()
            if not ids:
                continue
            log.info("analysing %d article(s) again after a storage fault", len(ids))
            self._busy += 1
            try:
                with_lease = datetime.now(UTC) + self.lease
                try:
                    await self._queue.hold(ids, with_lease)
                except Exception as exc:
                    log.warning("renewing the claims on %d article(s) failed: %s", len(ids), _reason(exc))
                for start in range(0, len(ids), self._batch_size):
                    await self._process(ids[start : start + self._batch_size])
            finally:
                self._busy -= 1

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
            await self._queue.release(conn, [a.id for a, _ in pairs])  # done: the claims go with it

        await self._entities.save_many(pairs, then=derive)
        self.analysed += len(stored)
        self._retries = 0

    async def _record(self, failures: list[AnalysisFailure]) -> None:
        for failure in failures:
            later = " (analysed again later)" if failure.transient else ""
            log.warning("analysis of article %s failed%s: %s", failure.article_id, later, failure.reason)
        self.failed += sum(1 for f in failures if not f.transient)
        # Their claims stay this process's until the retry (the lease hands them on if it dies).
        self._retry_ids.update(f.article_id for f in failures if f.transient)
        if any(f.transient for f in failures):
            self._fault.set()
        try:
            await self._entities.record_failures(failures)
        except Exception as exc:  # the same fault, likely: the articles stay unanalysed, so are retried
            log.warning("recording %d failed analyses failed: %s", len(failures), _reason(exc))
            self._retry_ids.update(f.article_id for f in failures)
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
            self._announced.clear()
            self._queue.lower(0)  # every article waits again
            total = await self.depth()
            self.reindex_total = total
            await self.enqueue_unanalysed()
            # Until every article is analysed or failed, here or by another consumer (`python -m bot
            # worker`), but those a storage fault left to this process's retry.
            while (left := await self.depth()) > len(self._retry_ids):
                if progress is not None:
                    await progress(total - left, total)
                await asyncio.sleep(2.0)
            await self.idle()
            self._depth = 0
            return ReindexReport(total, self.failed - failed_before, time.perf_counter() - started)
        finally:
            self.reindexing = False
