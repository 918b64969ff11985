"""Feeds as admins manage them: a new feed is polled at once and kept only when it reads; the scheduler
polls the due ones every minute and tells the admins when a failing feed gets paused. Returns data: the
Telegram layer renders it (the paused notice too: the service is given its renderer)."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError

from bot.feeds.opml import export_opml, parse_opml
from bot.feeds.parse import NotAFeed
from bot.feeds.polling import FeedArticle, FeedPoller, PollOutcome, PollStatus
from bot.fetch import Fetcher, FetchError, FetchErrorKind, with_default_scheme
from bot.ingest.service import IngestService
from bot.ingest.webpage import RunPure
from storage.feeds import Feed, FeedErrorKind, FeedRepo

log = logging.getLogger(__name__)

MIN_INTERVAL_MINUTES = 5
MAX_INTERVAL_MINUTES = 24 * 60
POLL_JOB_ID = "feeds:poll"
FORGET_JOB_ID = "feeds:forget-left-items"
# A seen item's marker outlives its last sighting in the feed by this long: a feed that drops an item and
# lists it again within a month does not bring it back as new.
SEEN_RETENTION = timedelta(days=30)


@dataclass(frozen=True)
class FeedAdded:
    feed: Feed
    created: bool
    first_poll: PollOutcome | None  # None when the feed was already on the list
    found_on: str | None = None  # the web page given instead of a feed, which advertised this one


@dataclass(frozen=True)
class OpmlImport:
    added: list[Feed] = field(default_factory=list)
    known: list[Feed] = field(default_factory=list)
    refused: list[tuple[str, FetchErrorKind]] = field(default_factory=list)


def valid_interval(minutes: int) -> bool:
    return MIN_INTERVAL_MINUTES <= minutes <= MAX_INTERVAL_MINUTES


def _feed_article_text(item: FeedArticle) -> str:
    """Title line and body, the shape IngestService.text() stores: the first line becomes the title."""
    return f"{' '.join(item.title.split())}\n{item.text}"


class FeedService:
    def __init__(
        self,
        repo: FeedRepo,
        fetcher: Fetcher,
        ingest: IngestService,
        paused_notice: Callable[[Feed], str],
        admin_ids: Collection[int],
        *,
        run: RunPure = asyncio.to_thread,
        default_minutes: int = 15,
        zone: str = "UTC",
        owner: str | None = None,
    ) -> None:
        self.repo = repo
        self.fetcher = fetcher
        self.poller = FeedPoller(
            repo, fetcher, self._ingest_item, self._log_pause, run=run, zone=zone, owner=owner
        )
        self.default_minutes = default_minutes
        self._ingest = ingest
        self._paused_notice = paused_notice  # bot.telegram.replies.feeds.paused_notice(i18n)
        self._admin_ids = sorted(admin_ids)
        self._polls: set[asyncio.Task[PollOutcome]] = set()
        self._stopping = False
        # How long the scheduler's job waits for its polls: under its one-minute interval, so that a poll
        # still taking items (teaser pages from a slow site, up to the poller's items_timeout) never makes
        # the scheduler skip the next run (max_instances=1) and the feeds that fall due meanwhile.
        self.job_wait = 45.0
        self.polls: Counter[PollStatus] = Counter()  # scheduled polls since start, by outcome (/metrics)

    async def _ingest_item(self, item: FeedArticle) -> bool:
        report = await self._ingest.text(
            _feed_article_text(item),
            by=None,
            source=item.source,
            url=item.url,
            published_at=item.published_at,
            author=item.author,
        )
        return bool(report.stored) and report.stored[0].created

    async def _log_pause(self, message: str) -> None:
        # The poller's own notice is English; admins get a translated one from poll_due instead.
        log.warning("%s", message)

    async def add(self, url: str, *, by: int | None, minutes: int | None = None) -> FeedAdded:
        """Subscribe and poll at once; a feed whose first poll fails is not kept (FetchError says why).
        A web page instead of a feed is fine when it advertises its feed (<link rel="alternate">)."""
        checked = str(self.fetcher.check_url(with_default_scheme(url)))
        try:
            return await self._add_feed(checked, by, minutes)
        except NotAFeed as exc:
            advertised = self._first_allowed(exc.advertised)
            if advertised is None:
                raise
        added = await self._add_feed(advertised, by, minutes)
        return replace(added, found_on=checked)

    async def _add_feed(self, url: str, by: int | None, minutes: int | None) -> FeedAdded:
        feed, created = await self.repo.add(url, "", by, minutes or self.default_minutes)
        if not created:
            return FeedAdded(feed, created=False, first_poll=None)
        outcome = await self.poller.poll_one(feed)
        if outcome.status in (PollStatus.FAILED, PollStatus.PAUSED):
            await self.repo.delete(feed.id)
            kind = outcome.error_kind
            # Our own fault reading it (INTERNAL) is told as "not a feed", as it always was.
            if kind is None or kind in (FeedErrorKind.NOT_A_FEED, FeedErrorKind.INTERNAL):
                raise NotAFeed(outcome.error or "", outcome.advertised)
            raise FetchError(FetchErrorKind(kind.value), outcome.error or "")
        return FeedAdded(await self.repo.get(feed.id) or feed, created=True, first_poll=outcome)

    def _first_allowed(self, urls: tuple[str, ...]) -> str | None:
        """The first of a page's advertised feeds the bot may fetch (not a private or non-web address)."""
        for candidate in urls:
            try:
                return str(self.fetcher.check_url(candidate))
            except FetchError:
                continue
        return None

    async def all_feeds(self) -> list[Feed]:
        return await self.repo.list()

    async def delete(self, feed_id: int) -> Feed | None:
        feed = await self.repo.get(feed_id)
        if feed is None or not await self.repo.delete(feed_id):
            return None
        return feed

    async def resume(self, feed_id: int) -> Feed | None:
        if await self.repo.get(feed_id) is None:
            return None
        return await self.repo.resume(feed_id)

    async def set_interval(self, feed_id: int, minutes: int) -> Feed | None:
        return await self.repo.set_interval(feed_id, minutes)

    async def import_opml(self, data: bytes, *, by: int | None) -> OpmlImport:
        """Subscribe to every feed of an OPML file (InvalidOpml when it is none); the scheduler polls them."""
        result = OpmlImport()
        for entry in parse_opml(data):
            try:
                checked = str(self.fetcher.check_url(entry.url))
            except FetchError as exc:
                result.refused.append((entry.url, exc.kind))
                continue
            feed, created = await self.repo.add(checked, entry.title or "", by, self.default_minutes)
            (result.added if created else result.known).append(feed)
        return result

    async def export_opml(self) -> tuple[bytes, int]:
        feeds = await self.repo.list()
        return export_opml(feeds).encode("utf-8"), len(feeds)

    async def poll_due(self, bot: Bot | None = None) -> list[PollOutcome]:
        """The scheduler's job: poll every due feed, each in its own task; admins hear about the feeds a
        poll paused. Returns the outcomes of the polls that ended within `job_wait` seconds; the others
        carry on by themselves (a later run skips their feeds until they end)."""
        if self._stopping:
            return []
        polls = [self._start_poll(feed, bot) for feed in await self.poller.due()]
        if not polls:
            return []
        done, _ = await asyncio.wait(polls, timeout=self.job_wait)
        return [poll.result() for poll in polls if poll in done and not poll.cancelled()]

    def _start_poll(self, feed: Feed, bot: Bot | None) -> asyncio.Task[PollOutcome]:
        task = asyncio.create_task(self._poll_and_tell(feed, bot))
        self._polls.add(task)
        task.add_done_callback(self._polls.discard)
        return task

    async def _poll_and_tell(self, feed: Feed, bot: Bot | None) -> PollOutcome:
        outcome = await self.poller.poll_in_turn(feed)
        self.polls[outcome.status] += 1
        if outcome.status is PollStatus.PAUSED and bot is not None:
            try:
                paused = await self.repo.get(outcome.feed_id)
                if paused is not None:
                    await self.tell_admins_paused(bot, paused)
            except Exception:
                log.exception("could not tell the admins that feed %s was paused", feed.url)
        return outcome

    async def forget_left_items(self, now: datetime | None = None) -> int:
        """The daily job: forget the items no poll has seen for SEEN_RETENTION (they left their feeds),
        so the table of seen items holds what the feeds list now, not everything they ever listed."""
        cutoff = (now or datetime.now(UTC)) - SEEN_RETENTION
        forgotten = await self.repo.forget_seen_before(cutoff)
        if forgotten:
            log.info("forgot %d feed item(s) not seen since %s", forgotten, cutoff.date())
        return forgotten

    async def tell_admins_paused(self, bot: Bot, feed: Feed) -> None:
        text = self._paused_notice(feed)
        for admin_id in self._admin_ids:
            try:
                await bot.send_message(admin_id, text)
            except TelegramAPIError as exc:  # an admin who never started the bot must not stop the rest
                log.warning("could not tell admin %s that feed %s was paused: %s", admin_id, feed.url, exc)

    async def stop(self) -> None:
        """At shutdown: polls in progress are cancelled (their items are retried at the next start)."""
        self._stopping = True
        for task in list(self._polls):
            task.cancel()
        if self._polls:
            await asyncio.gather(*self._polls, return_exceptions=True)
