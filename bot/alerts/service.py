"""The alert job: every ALERT_SECONDS, the stories created since the last run are matched against every
chat's alert topics, and each match is sent at once — or folded into the next digest in quiet hours or
beyond the chat's hourly limit. Stories a chat was alerted about are followed up when later reports bring
a fact it was not told (at most once an hour per story).

Exactly once: every (alert setting, story, follow-up number) is claimed in the database before it is sent,
so a second run or a second instance finds it taken; the message is recorded as sent the moment Telegram
accepts it. The sender shares the token's budget with digests and takes at most half of it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from aiogram import Bot

from bot.alerts.decide import FOLLOW_UP_GAP, FOLLOW_WINDOW, decide, is_fresh, lead, new_fact, quiet_of
from bot.analysis.stems import text_terms
from bot.delivery import Broadcaster, Outcome, Parcel, SlotBook
from bot.digest.compose import Topics, parse_topics
from bot.search import NO_CROSSING, TopicCrossing
from storage.alerts import Alert, AlertRepo, NewStory, Report, SendStatus

log = logging.getLogger(__name__)

T = TypeVar("T")
Run = Callable[..., Awaitable[Any]]

ALERT_SECONDS = 30
ALERT_JOB_ID = "alerts"
ALERT_SHARE = 0.5  # of the token's send rate: digests always keep the other half
RESUME_WINDOW = timedelta(minutes=15)  # an alert older than this is stale news: not resumed
RESUME_AFTER = timedelta(minutes=2)  # younger, a pending alert may still be in another instance's hands


@dataclass(frozen=True)
class AlertMessage:
    """What one alert or follow-up tells a chat; the Telegram layer renders it in the chat's language."""

    title: str
    url: str | None
    source: str | None
    published_at: datetime
    facts: tuple[str, ...]
    follow_up: bool
    reports: int  # the story's reports so far
    folded: int  # alerts held back (quiet hours, the limit) since the chat's last one


Render = Callable[[AlertMessage, Alert], str]


async def _inline(fn: Callable[..., T], *args: Any) -> T:
    return fn(*args)


class _Ledger:
    """Records what Telegram accepted at once; ends a chat's alerts when it blocked the bot or is gone."""

    def __init__(self, repo: AlertRepo, alert: Alert, story_id: int, seq: int) -> None:
        self.repo, self.alert, self.story_id, self.seq = repo, alert, story_id, seq

    async def part_sent(self, parcel: Parcel, index: int, message_id: int) -> None:
        await self.repo.finish(self.alert.id, self.story_id, self.seq, SendStatus.SENT, message_id=message_id)

    async def chat_moved(self, parcel: Parcel, new_chat_id: int) -> None:
        log.info("alert chat %s moved to %s", parcel.chat_id, new_chat_id)

    async def finished(self, parcel: Parcel, outcome: Outcome, error: str | None) -> None:
        if outcome is Outcome.SENT:
            return
        if outcome is Outcome.INTERRUPTED:
            return  # still pending: resumed at start while it is news
        await self.repo.finish(
            self.alert.id, self.story_id, self.seq, SendStatus.FAILED, reason=error or outcome.value
        )
        if outcome in (Outcome.BLOCKED, Outcome.GONE):
            log.info("chat %s is %s: its alerts end", parcel.chat_id, outcome.value)
            await self.repo.change(self.alert.id, active=0)


class AlertService:
    def __init__(
        self,
        repo: AlertRepo,
        render: Render,
        *,
        rate: float = 30.0,
        run: Run | None = None,
        clock: Callable[[], datetime] | None = None,
        crossing: TopicCrossing | None = None,
    ) -> None:
        """`crossing`: the other-script stems of a topic's names (bot.search.topic_crossing)."""
        self.repo = repo
        self.crossing = crossing
        self.render = render
        self.rate = rate
        self.run_cpu: Run = run or _inline  # the interactive worker: sentence ranking is CPU work
        self.clock = clock or (lambda: datetime.now(UTC))
        self.broadcaster: Broadcaster | None = None
        self._lock = asyncio.Lock()  # one run at a time in this process (the claims guard across processes)
        self._stopping = False
        self.sent = 0
        self.folded = 0

    def start(self, bot: Bot, book: SlotBook) -> None:
        """`book`: the send budget digests use too; alerts take at most ALERT_SHARE of it."""
        self._stopping = False
        self.broadcaster = Broadcaster(bot, rate=self.rate, book=book, share=("alerts", ALERT_SHARE))

    async def stop(self, timeout: float = 30.0) -> None:
        """No new run; a run in progress finishes its current message (the rest resume at start)."""
        self._stopping = True
        if self.broadcaster is not None:
            self.broadcaster.stop()
        try:
            async with asyncio.timeout(timeout), self._lock:
                pass
        except TimeoutError:
            log.warning("an alert run was still going after %.0f s at shutdown", timeout)

    async def since_story(self) -> int:
        """The newest story now: a new setting is never alerted about what existed before it."""
        return await self.repo.latest_story()

    # ----- the job -----
    async def run(self) -> None:
        if self.broadcaster is None or self._stopping or self._lock.locked():
            return
        async with self._lock:
            await self._resume()
            cursor = await self.repo.cursor()
            if cursor is None:  # the first run ever: the archive so far is not news
                await self.repo.advance(await self.repo.latest_story())
                return
            settings = await self.repo.active()
            topics: dict[str, Topics] = {}  # each chat's topics, read when a fresh story first needs them
            while not self._stopping and (stories := await self.repo.new_stories(cursor)):
                for story in stories:
                    await self._new_story(story, settings, topics)
                    cursor = story.first.story_id
                    await self.repo.advance(cursor)
            for alert in settings:
                await self._follow_ups(alert)

    async def _topics(self, text: str, read: dict[str, Topics]) -> Topics:
        """A chat's alert topics, names crossed into the other script: read once per run (``read``)."""
        if text not in read:
            crossed = await self.crossing(text) if self.crossing is not None else NO_CROSSING
            read[text] = parse_topics(text, crossed.terms, crossed.surnames)[0]
        return read[text]

    async def _new_story(self, story: NewStory, settings: list[Alert], topics_of: dict[str, Topics]) -> None:
        now = self.clock()
        first = story.first
        if not settings or not (is_fresh(first.published_at, now) and is_fresh(first.ingested_at, now)):
            return
        words = text_terms(f"{first.title}\n{first.text}")
        facts: tuple[str, ...] | None = None
        for alert in settings:
            if first.story_id <= alert.since_story:
                continue
            if not (await self._topics(alert.topics, topics_of)).matches(words):
                continue
            if facts is None:
                facts = await self.run_cpu(lead, first.title, first.text)
            await self._send(alert, first, 0, facts, story.reports, follow_up=False)

    async def _follow_ups(self, alert: Alert) -> None:
        now = self.clock()
        for told in await self.repo.alerted(alert.id, now - FOLLOW_WINDOW):
            if now - told.last_at < FOLLOW_UP_GAP:
                continue
            reports = await self.repo.reports(told.story_id)
            if len(reports) <= told.reports:
                continue
            texts = [(r.title, r.text) for r in reports]
            fact = await self.run_cpu(new_fact, texts, told.reports, told.facts)
            if fact is None:
                continue
            newest = reports[-1]
            seq = await self.repo.next_seq(alert.id, told.story_id)
            await self._send(alert, newest, seq, (fact,), len(reports), follow_up=True)

    async def _send(
        self, alert: Alert, report: Report, seq: int, facts: tuple[str, ...], reports: int, *, follow_up: bool
    ) -> None:
        now = self.clock()
        zone = ZoneInfo(alert.timezone)
        decision = decide(
            quiet_of(alert.quiet_from, alert.quiet_to),
            zone,
            now,
            await self.repo.sent_since(alert.id, now - timedelta(hours=1)),
            alert.per_hour,
        )
        if not decision.send:
            if await self.repo.claim(
                alert.id,
                report.story_id,
                seq,
                SendStatus.FOLDED,
                reports=reports,
                reason=decision.reason,
                now=now,
            ):
                self.folded += 1
            return
        message = AlertMessage(
            title=report.title,
            url=report.url,
            source=report.source,
            published_at=report.published_at,
            facts=facts,
            follow_up=follow_up,
            reports=reports,
            folded=await self.repo.folded_since_last_sent(alert.id),
        )
        text = self.render(message, alert)
        claimed = await self.repo.claim(
            alert.id,
            report.story_id,
            seq,
            SendStatus.PENDING,
            reports=reports,
            text=text,
            facts=facts,
            now=now,
        )
        if claimed:
            await self._deliver(alert, report.story_id, seq, text)

    async def _deliver(self, alert: Alert, story_id: int, seq: int, text: str) -> None:
        assert self.broadcaster is not None
        parcel = Parcel(
            key=story_id * 1000 + seq,
            chat_id=alert.chat_id,
            parts=(text,),
            thread_id=alert.thread_id,
            is_group=alert.chat_type in ("group", "supergroup"),
        )
        outcome = await self.broadcaster.deliver(parcel, _Ledger(self.repo, alert, story_id, seq))
        if outcome is Outcome.SENT:
            self.sent += 1

    async def _resume(self) -> None:
        """Alerts claimed but not sent when the bot stopped: sent now while they are news, else dropped."""
        now = self.clock()
        for pending in await self.repo.pending():
            if pending.created_at > now - RESUME_AFTER:
                continue
            if pending.created_at < now - RESUME_WINDOW:
                await self.repo.finish(
                    pending.alert_id, pending.story_id, pending.seq, SendStatus.FAILED, reason="expired"
                )
                continue
            alert = await self.repo.get(pending.alert_id)
            if alert is None or not alert.active:
                continue
            await self._deliver(alert, pending.story_id, pending.seq, pending.text)
