"""Polling feeds: conditional GETs, new items to articles (fetching the page when the feed gives a teaser),
backoff and pausing for failing feeds. Feeds are polled concurrently, each within its own time budget,
so one dead server never holds up the rest: the limits on polls at once (overall and per host) are wide
enough that slow servers cannot take every slot, and a poll's deadline starts only once it has its slot.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from bot.feeds.parse import FeedItem, NotAFeed, parse_feed
from bot.fetch import FEED_ACCEPT, Fetcher, FetchError
from bot.ingest.webpage import PageArticle, RunPure, read_article
from storage.feeds import Feed, FeedErrorKind, FeedRepo

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FeedArticle:
    """One new feed item, ready for ingestion; `text` is the page's full text when the feed had a teaser."""

    title: str
    text: str
    url: str | None
    published_at: datetime  # the item's, else the page's, else the poll time; aware UTC
    source: str
    guid: str
    feed_id: int
    author: str | None = None


Ingest = Callable[[FeedArticle], Awaitable[bool]]  # True: stored as new; False: a duplicate
NotifyAdmins = Callable[[str], Awaitable[None]]


class PollStatus(StrEnum):
    UPDATED = "updated"  # the feed answered with a document (possibly with nothing new in it)
    NOT_MODIFIED = "not_modified"
    FAILED = "failed"
    PAUSED = "paused"  # this failure paused the feed
    SKIPPED = "skipped"  # a poll of the same feed was still running


@dataclass(frozen=True)
class PollOutcome:
    feed_id: int
    status: PollStatus
    items_new: int = 0
    items_duplicate: int = 0
    items_pending: int = 0  # new items left for the next poll (time budget spent or a transient error)
    error_kind: FeedErrorKind | None = None  # why it failed (FAILED, PAUSED)
    error: str | None = None  # the failure's detail, for logs
    advertised: tuple[str, ...] = ()  # not a feed, but a page linking to these feeds


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _host(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname or ''}:{parts.port or ''}"


class FeedPoller:
    def __init__(
        self,
        repo: FeedRepo,
        fetcher: Fetcher,
        ingest: Ingest,
        notify_admins: NotifyAdmins,
        *,
        run: RunPure = asyncio.to_thread,
        concurrency: int = 32,
        per_host: int = 8,
        feed_timeout: float | None = None,
        items_timeout: float = 180.0,
        page_concurrency: int = 3,
        max_items_per_poll: int = 100,
        clock: Callable[[], datetime] = _utc_now,
        zone: str = "UTC",
        owner: str | None = None,
    ) -> None:
        """`owner`: this instance's name when several share the database; each due feed is then claimed
        before it is polled, so one instance polls it (None: this process is the only poller)."""
        self.repo = repo
        self.owner = owner
        self.zone = zone  # where feed dates written without a zone are local time
        self.fetcher = fetcher
        self.ingest = ingest
        self.notify_admins = notify_admins
        self.run = run
        self.concurrency = concurrency
        self.per_host = per_host
        self.feed_timeout = feed_timeout if feed_timeout is not None else fetcher.timeout + 10.0
        self.items_timeout = items_timeout
        self.page_concurrency = page_concurrency
        self.max_items_per_poll = max_items_per_poll
        self.clock = clock
        self._in_flight: set[int] = set()
        # Shared by every run of the scheduler's job: polls still taking items count against the limits.
        self._slots = asyncio.Semaphore(concurrency)
        self._host_slots: dict[str, asyncio.Semaphore] = {}

    async def due(self) -> list[Feed]:
        now = self.clock()
        feeds = await self.repo.due(now)
        if self.owner is None:
            return feeds
        # A poll takes the fetch, then its items' pages: the claim outlives both, then another may retry.
        lease = timedelta(seconds=self.feed_timeout + self.items_timeout + 60)
        return [feed for feed in feeds if await self.repo.claim(feed.id, self.owner, lease, now)]

    async def poll_due(self) -> list[PollOutcome]:
        """Poll every due feed concurrently (see poll_in_turn); called by the scheduler every minute."""
        return list(await asyncio.gather(*(self.poll_in_turn(feed) for feed in await self.due())))

    async def poll_in_turn(self, feed: Feed) -> PollOutcome:
        """Poll within the limits: `concurrency` polls at once, `per_host` per server. (With 4 in all, slow
        feeds due first took every slot until their deadline and good ones waited behind them.)"""
        if feed.id in self._in_flight:
            return PollOutcome(feed.id, PollStatus.SKIPPED)
        self._in_flight.add(feed.id)  # while it waits for its turn too: a later run must not queue it again
        try:
            host = self._host_slots.setdefault(_host(feed.url), asyncio.Semaphore(self.per_host))
            # The host's turn first: a feed waiting for its busy server holds no slot others could use.
            async with host, self._slots:
                return await self._poll(feed)
        except Exception as exc:  # storage trouble: logged, and the other feeds still finish
            log.exception("poll of feed %s broke off", feed.url)
            return PollOutcome(
                feed.id,
                PollStatus.FAILED,
                error_kind=FeedErrorKind.INTERNAL,
                error=f"internal error: {exc!r}",
            )
        finally:
            self._in_flight.discard(feed.id)

    async def poll_one(self, feed: Feed) -> PollOutcome:
        """Poll one feed now (also right after it is added); never raises for the feed's own failures."""
        if feed.id in self._in_flight:
            return PollOutcome(feed.id, PollStatus.SKIPPED)
        self._in_flight.add(feed.id)
        try:
            return await self._poll(feed)
        finally:
            self._in_flight.discard(feed.id)

    async def _poll(self, feed: Feed) -> PollOutcome:
        polled_at = self.clock()
        try:
            async with asyncio.timeout(self.feed_timeout):
                result = await self.fetcher.fetch(
                    feed.url, etag=feed.etag, last_modified=feed.last_modified, accept=FEED_ACCEPT
                )
                if result.not_modified:
                    await self.repo.touch_seen(feed.id, None, polled_at)  # the same items are still there
                    await self.repo.record_success(
                        feed.id,
                        etag=result.etag,
                        last_modified=result.last_modified,
                        items_new=0,
                        polled_at=polled_at,
                    )
                    return PollOutcome(feed.id, PollStatus.NOT_MODIFIED)
                parsed = await self.run(
                    parse_feed, result.body, result.final_url, result.content_type, self.zone
                )
        except FetchError as exc:
            advertised = exc.advertised if isinstance(exc, NotAFeed) else ()
            kind = FeedErrorKind(exc.kind.value)
            return await self._failed(feed, kind, str(exc), polled_at, exc.retry_after, advertised)
        except TimeoutError:
            detail = f"timeout: no feed within {self.feed_timeout:g} s"
            return await self._failed(feed, FeedErrorKind.TIMEOUT, detail, polled_at)
        except Exception as exc:  # a parser bug must not stop the other feeds; admins see it as a failure
            log.exception("polling feed %s failed unexpectedly", feed.url)
            return await self._failed(feed, FeedErrorKind.INTERNAL, f"internal error: {exc!r}", polled_at)

        if not feed.title and parsed.title:
            await self.repo.set_title(feed.id, parsed.title)
        source = feed.title or parsed.title or urlsplit(feed.url).hostname or feed.url
        fresh = [
            item
            for item in parsed.items[: self.max_items_per_poll]
            if not await self.repo.seen_guid(feed.id, item.guid, item.url)
        ]
        # Items the feed still lists keep their markers (markers of items gone for a while are dropped).
        taken = {id(item) for item in fresh}
        await self.repo.touch_seen(feed.id, [i.guid for i in parsed.items if id(i) not in taken], polled_at)
        # Oldest first, so articles are stored in the order they were published.
        fresh.sort(key=lambda item: item.published_at or polled_at)
        new, duplicate, pending = await self._take_items(feed, fresh, source, polled_at)
        # Keep the old validators while items are pending: the next GET must bring the document back.
        await self.repo.record_success(
            feed.id,
            etag=result.etag if not pending else None,
            last_modified=result.last_modified if not pending else None,
            items_new=new,
            polled_at=polled_at,
        )
        return PollOutcome(feed.id, PollStatus.UPDATED, new, duplicate, pending)

    async def _take_items(
        self, feed: Feed, items: list[FeedItem], source: str, polled_at: datetime
    ) -> tuple[int, int, int]:
        """Ingest items in batches (pages fetched concurrently within a batch) until done or out of time."""
        new = duplicate = done = 0
        try:
            async with asyncio.timeout(self.items_timeout):
                for start in range(0, len(items), self.page_concurrency):
                    batch = items[start : start + self.page_concurrency]
                    articles = await asyncio.gather(
                        *(self._article(feed, item, source, polled_at) for item in batch)
                    )
                    for item, article in zip(batch, articles, strict=True):
                        if article is None:
                            continue
                        try:
                            created = await self.ingest(article)
                        except Exception:
                            log.exception("ingesting %s from feed %s failed", item.url or item.guid, feed.url)
                            continue
                        await self.repo.mark_seen(feed.id, item.guid, item.url, polled_at)
                        done += 1
                        if created:
                            new += 1
                        else:
                            duplicate += 1
        except TimeoutError:
            log.warning("feed %s: time budget spent, %d items left for later", feed.url, len(items) - done)
        return new, duplicate, len(items) - done

    async def _article(
        self, feed: Feed, item: FeedItem, source: str, polled_at: datetime
    ) -> FeedArticle | None:
        page: PageArticle | None = None
        if item.is_teaser and item.url:
            try:
                page = await read_article(self.fetcher, item.url, run=self.run)
            except FetchError as exc:
                log.info("feed %s: no full text at %s (%s); keeping the teaser", feed.url, item.url, exc)
        text = page.text if page is not None and len(page.text) > len(item.text) else item.text
        if not text:
            return None  # no teaser and no page: try again next poll
        title = item.title or (page.title if page is not None else "") or text.splitlines()[0][:200]
        published_at = item.published_at or (page.published_at if page is not None else None) or polled_at
        return FeedArticle(
            title=title,
            text=text,
            url=item.url,
            published_at=published_at,
            source=source,
            guid=item.guid,
            feed_id=feed.id,
            author=item.author or (page.author if page is not None else None),
        )

    async def _failed(
        self,
        feed: Feed,
        kind: FeedErrorKind,
        error: str,
        polled_at: datetime,
        retry_after: float | None = None,
        advertised: tuple[str, ...] = (),
    ) -> PollOutcome:
        log.info("feed %s failed: %s", feed.url, error)
        wait = timedelta(seconds=retry_after) if retry_after is not None else None
        updated = await self.repo.record_failure(feed.id, kind, error, polled_at, at_least=wait)
        if updated is None:  # deleted while we polled it
            return PollOutcome(
                feed.id, PollStatus.FAILED, error_kind=kind, error=error, advertised=advertised
            )
        if updated.paused and not feed.paused:
            message = (
                f"Feed paused after {updated.consecutive_failures} failed polls in a row: "
                f"{updated.title or updated.url} ({updated.url}). Last error: {error}"
            )
            try:
                await self.notify_admins(message)
            except Exception:
                log.exception("could not notify admins that feed %s was paused", feed.url)
            return PollOutcome(feed.id, PollStatus.PAUSED, error_kind=kind, error=error)
        return PollOutcome(feed.id, PollStatus.FAILED, error_kind=kind, error=error, advertised=advertised)
