"""Digests as a service: stories assigned at ingest, scheduled and on-demand digests, delivered exactly once.

Exactly once, as far as Telegram allows: a delivery row per (subscription, period) holds the composed
messages before the first is sent, and each message Telegram accepts is recorded in its own commit
right after the response. A bot killed at any point resends, after restart, only the messages not
recorded. The one window left is between Telegram accepting a message and that commit (or a
network timeout that hid an accepted send): the message then goes out twice, as Telegram's Bot API
has no idempotency key to make the resend a no-op.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from aiogram import Bot
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.config import Settings
from bot.delivery import Broadcaster, BroadcastReport, Outcome, Parcel, SlotBook
from bot.digest import store
from bot.digest.compose import (
    Catalog,
    Composer,
    DigestContent,
    DigestRequest,
    Topics,
    build_catalog,
    parse_topics,
)
from bot.digest.inputs import story_inputs
from bot.digest.llm import LlmSummarizer
from bot.digest.scheduling import JOB_PREFIX, DigestScheduler, job_id, period_of, slot_of
from bot.digest.stories import MIN_DOCUMENTS_FOR_IDF
from bot.search import NO_CROSSING, Crossing, TopicCrossing
from bot.workers import WorkerPool
from storage.articles import Article
from storage.claims import JobClaims, instance_name
from storage.stories import ArticleText, StoryRepo
from storage.subscriptions import (
    Delivery,
    DeliveryDraft,
    DeliveryRepo,
    DeliveryStatus,
    SentSentence,
    Slot,
    Subscription,
    SubscriptionRepo,
)

log = logging.getLogger(__name__)

FIRST_DIGEST_SPAN = timedelta(hours=24)
RESUME_WINDOW = timedelta(hours=24)
STOP_GRACE_SECONDS = 10.0
BACKFILL_BATCH = 200
# Digests composed and recorded per transaction: each batch is committed before any of it is sent.
COMPOSE_BATCH = 100
# Articles whose story vectors one interactive-worker task computes: what another user's upload may wait for.
STORY_CHUNK = 32
# How long a delivery this process finished stays refused to stale snapshots (seconds; a day).
FINISHED_MEMORY = 24 * 3600.0
# Several instances on one database: a slot's run and each delivery are claimed for a lease. A run renews
# its lease while it goes; an instance that dies leaves them to another once the lease runs out.
# A delivery is claimed when its turn comes (a few seconds before it is sent, flood waits aside).
RUN_LEASE = timedelta(minutes=1)
DELIVERY_LEASE = timedelta(minutes=2)

# Key people per article (display names, most mentioned first) and each person's overall prominence.
PeopleSource = Callable[[list[int]], Awaitable[tuple[Mapping[int, tuple[str, ...]], Mapping[str, float]]]]
# A digest as the messages Telegram will be sent (bot/telegram/replies/digest.py's `renderer`): the service
# records them with the delivery before the first is sent, so a resend after a crash sends the same text.
DigestRenderer = Callable[[DigestContent], list[str]]


class OnDemand(StrEnum):
    SENT = "sent"
    EMPTY = "empty"
    FAILED = "failed"


@dataclass(frozen=True)
class DigestPlan:
    """One chat's digest before it is composed: its period, its topics and the stories they chose (whose
    sentences already sent to the chat are read for all the chats of a batch at once)."""

    subscription: Subscription
    since: datetime
    topics: Topics
    phrases: tuple[str, ...]  # the topics as written, shown under the digest's header
    excluded: tuple[str, ...]
    story_ids: frozenset[int]


class DigestService:
    def __init__(
        self,
        *,
        settings: Settings,
        subscriptions: SubscriptionRepo,
        deliveries: DeliveryRepo,
        stories: StoryRepo,
        workers: WorkerPool,
        render: DigestRenderer,
        scheduler: AsyncIOScheduler,
        people: PeopleSource | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        claims: JobClaims | None = None,
        crossing: TopicCrossing | None = None,
    ) -> None:
        """`claims`: scheduled runs and deliveries claimed in the database, for several instances on one
        database (bot/app.py always gives them); None: this process is the only sender (benchmarks)."""
        self.settings = settings
        self.subscriptions = subscriptions
        self.deliveries = deliveries
        self.stories = stories
        self.workers = workers
        self.render = render
        self.people = people
        self.crossing = crossing
        self.clock = clock
        # Optional LLM summaries of multi-report stories (SUMMARY_LLM_URL); None: the extractive ones.
        self.llm = LlmSummarizer.from_settings(settings.summary_llm_url, settings.summary_llm_model)
        self.scheduler = DigestScheduler(subscriptions, self.run_slot, scheduler, clock=clock)
        self.broadcaster: Broadcaster | None = None
        self.claims = claims
        self.owner = claims.owner if claims is not None else instance_name()
        self._claimed: dict[int, int] = {}  # delivery id → subscription id, while a task sends it
        # Deliveries this process finished, with when: a run or a resumption still holding a snapshot read
        # before one was sent must not claim it again (see `_claim`).
        self._finished: dict[int, float] = {}
        self._tasks: set[asyncio.Task[object]] = set()
        self._stopping = False
        self._assigning = asyncio.Lock()  # one assignment at a time, in the order articles were stored
        self._pending_assignments = 0
        self._settled = asyncio.Event()

    # ----- stories at ingest -----
    async def join_stories(self, articles: list[Article]) -> None:
        """New articles join their stories in the background, in order, a few at a time (bot/pipeline.py).

        The admin's reply does not wait for it, and the vectors of a 500-article upload go to the
        interactive worker in chunks, so another user's upload parsed there waits for one chunk at most.
        Digests wait for what is queued (`stories_settled`). A failure is logged, not raised: the article
        is stored, and the start-up backfill assigns it.
        """
        texts = [ArticleText(a.id, a.title, a.text, a.lang, a.published_at, a.source or "") for a in articles]
        self._pending_assignments += 1
        self._track(self._assign_in_background(texts))

    async def _assign_in_background(self, texts: Sequence[ArticleText]) -> None:
        try:
            async with self._assigning:
                for start in range(0, len(texts), STORY_CHUNK):
                    chunk = texts[start : start + STORY_CHUNK]
                    try:
                        await self._assign(chunk)
                    except Exception:
                        log.exception("story assignment of %d article(s) failed", len(chunk))
        finally:
            self._pending_assignments -= 1
            if self._pending_assignments == 0:
                self._settled.set()

    async def stories_settled(self) -> None:
        """Wait until every stored article so far has been offered to its story (digests; closing)."""
        while self._pending_assignments:
            self._settled.clear()
            await self._settled.wait()

    async def _assign(self, articles: Sequence[ArticleText]) -> None:
        frequencies = await store.frequencies(self.stories)
        # the sources' earlier reports (these are in no story yet): what their boilerplate is read from
        leads = await store.source_leads(self.stories, {a.source for a in articles if a.source}, None)
        inputs = await self.workers.run_interactive(
            story_inputs,
            articles,
            frequencies if frequencies.documents >= MIN_DOCUMENTS_FOR_IDF else None,
            leads,
        )
        await store.assign(self.stories, inputs)

    async def _backfill(self) -> None:
        """Articles stored without a story (a crash between storing and assigning, or older data)."""
        while not self._stopping and (batch := await self.stories.unassigned(BACKFILL_BATCH)):
            await self._assign(batch)

    # ----- lifecycle -----
    async def start(self, bot: Bot, book: SlotBook | None = None) -> None:
        """Resume deliveries a stopped bot left unfinished, then rebuild the schedule (with catch-up).

        Call it once the app's scheduler is running. `book`: the token's send budget, shared with the
        alerts (and with other instances when it is the database's); None paces digests alone.
        """
        self._stopping = False
        self.broadcaster = Broadcaster(
            bot,
            rate=self.settings.broadcast_rate,
            paid=self.settings.paid_broadcast,
            paid_rate=self.settings.paid_broadcast_rate,
            book=book,
        )
        expired = await self.deliveries.expire_pending(self.clock() - RESUME_WINDOW)
        if expired:
            log.warning("%d digest deliveries older than %s were not resumed", expired, RESUME_WINDOW)
        self._track(self._resume())
        self._track(self._backfill())
        await self.scheduler.start()

    async def stop(self) -> None:
        """Stop scheduling; sends in progress finish their current message, the rest resume at start."""
        self._stopping = True
        self.scheduler.stop()
        if self.broadcaster is not None:
            self.broadcaster.stop()
        tasks = [t for t in self._tasks if not t.done()]
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=STOP_GRACE_SECONDS)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        if self.llm is not None:
            await self.llm.close()

    def _track(self, coroutine: Awaitable[object]) -> asyncio.Task[object]:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def subscription_changed(self) -> None:
        await self.scheduler.sync()

    def next_run(self, subscription: Subscription) -> datetime | None:
        job = self.scheduler.scheduler.get_job(job_id(subscription.slot))
        return job.next_run_time if job is not None else None

    # ----- composing -----
    async def _catalog(self, since: datetime | None, until: datetime) -> Catalog:
        await self.stories_settled()
        story_ids = await self.stories.touched(since, until)
        materials = store.materials(await self.stories.reports(story_ids, until))
        prominence: Mapping[str, float] | None = None
        if self.people is not None and materials:
            people, prominence = await self.people([a.article_id for m in materials for a in m.articles])
            materials = [
                replace(
                    m, articles=tuple(replace(a, people=people.get(a.article_id, ())) for a in m.articles)
                )
                for m in materials
            ]
        if not materials:
            return Catalog((), until)
        sources = {a.source for m in materials for a in m.articles if a.source}
        leads = await store.source_leads(self.stories, sources, until)
        return await self.workers.run_interactive(build_catalog, materials, until, prominence, leads)

    def _since(self, subscription: Subscription | None, until: datetime) -> datetime:
        if subscription is not None and subscription.last_digest_until is not None:
            return subscription.last_digest_until
        return until - FIRST_DIGEST_SPAN

    async def _compose(
        self,
        composer: Composer,
        subscriptions: Sequence[Subscription],
        period: str,
        until: datetime,
        crossed: dict[str, Crossing] | None = None,
    ) -> list[DeliveryDraft]:
        """The digests of several subscriptions for a period, rendered (an empty one has no parts).
        ``crossed``: the topics' names crossed into the other script, read once per run and kept here."""
        crossed = {} if crossed is None else crossed
        if self.crossing is not None:
            for topics in dict.fromkeys(s.topics for s in subscriptions if s.topics):
                if topics not in crossed:
                    crossed[topics] = await self.crossing(topics)
        plans = [self._plan(composer, s, until, crossed.get(s.topics)) for s in subscriptions]
        story_ids = set().union(*(plan.story_ids for plan in plans))
        already = await self.deliveries.sent_sentences([s.id for s in subscriptions], story_ids)
        drafts = []
        for plan in plans:
            subscription = plan.subscription
            sent_before = already.get(subscription.id, {})
            composed = composer.compose(
                DigestRequest(subscription.id, plan.since, plan.topics, sent_before, subscription.language)
            )
            if self.llm is not None and not composed.empty:
                composed = await self.llm.rewrite(
                    composed, composer.catalog, subscription.language, sent_before
                )
            content = DigestContent(
                composed, until, subscription.timezone, subscription.language, plan.phrases, plan.excluded
            )
            parts = [] if composed.empty else self.render(content)
            sentences = tuple(SentSentence(e.story_id, s) for e in composed.entries for s in e.digest.summary)
            drafts.append(DeliveryDraft(subscription.id, period, plan.since, until, tuple(parts), sentences))
        return drafts

    def _plan(
        self,
        composer: Composer,
        subscription: Subscription,
        until: datetime,
        crossed: Crossing | None = None,
    ) -> DigestPlan:
        since = self._since(subscription, until)
        crossed = crossed or NO_CROSSING
        topics, phrases, excluded = parse_topics(subscription.topics, crossed.terms, crossed.surnames)
        chosen, _ = composer.select(since, topics, subscription.language)
        story_ids = frozenset(c.story_id for c in chosen)
        return DigestPlan(subscription, since, topics, phrases, excluded, story_ids)

    def _parcel(self, delivery: Delivery, subscription: Subscription, thread_id: int | None = None) -> Parcel:
        return Parcel(
            key=delivery.id,
            chat_id=subscription.chat_id,
            parts=delivery.parts,
            thread_id=thread_id if thread_id is not None else subscription.thread_id,
            first=delivery.parts_sent,
            is_group=subscription.is_group,
        )

    async def _claim(self, delivery: Delivery) -> bool:
        """One sender per delivery: a catch-up run and the resumption of the same delivery never both send,
        in this process or in another instance on the same database.

        Both read the pending deliveries before claiming them one by one; a delivery the other one claimed,
        sent and released in between is still "pending" in the older snapshot, so what this process
        finished stays refused for FINISHED_MEMORY (far longer than any run holds a snapshot); across
        instances, the claim in the database (a lease, taken over once it runs out) decides.
        """
        if delivery.status != DeliveryStatus.PENDING or delivery.id in self._claimed:
            return False
        if delivery.id in self._finished:
            return False
        self._claimed[delivery.id] = delivery.subscription_id
        if not await self.deliveries.claim(delivery.id, self.owner, DELIVERY_LEASE):
            self._claimed.pop(delivery.id, None)
            return False
        return True

    # ----- scheduled runs -----
    async def run_slot(self, slot: Slot, scheduled: datetime) -> None:
        """One slot's run: compose, record and send each digest; a repeated run sends only what is left."""
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        job, period = job_id(slot), period_of(scheduled)
        try:
            if self.claims is not None and not await self.claims.claim(job, period, RUN_LEASE):
                log.info("digest run %s at %s: another instance runs it", slot, period)
                return
            renewing = asyncio.ensure_future(self._renew(job, period))
            try:
                subscriptions = await self.subscriptions.due(slot, scheduled)
                if subscriptions and not self._stopping:
                    report = await self._broadcast(subscriptions, period)
                    log.info(
                        "digest run %s at %s: %d chats, %d messages, outcomes %s, %d flood waits",
                        slot,
                        period,
                        len(subscriptions),
                        report.messages,
                        dict(report.outcomes),
                        report.flood_waits,
                    )
            finally:
                renewing.cancel()
            if self.claims is not None and not self._stopping:
                await self.claims.done(job, period)
        finally:
            if task is not None:
                self._tasks.discard(task)

    async def _renew(self, job: str, period: str) -> None:
        """Keeps a run's claim while it goes (a broadcast to many chats takes minutes)."""
        if self.claims is None:
            return
        while True:
            await asyncio.sleep(RUN_LEASE.total_seconds() / 3)
            await self.claims.renew(job, period, RUN_LEASE)

    async def recover(self) -> None:
        """Every minute (bot/app.py): finish what an instance that stopped left — slot runs whose claim ran
        out unfinished, and pending deliveries nobody holds."""
        if self._stopping or self.broadcaster is None:
            return
        if self.claims is not None:
            for run in await self.claims.abandoned(JOB_PREFIX):
                slot = slot_of(run.job)
                if slot is None:
                    continue
                log.info("finishing digest run %s at %s, left by %s", run.job, run.period, run.claimed_by)
                await self.run_slot(slot, datetime.fromisoformat(run.period.replace("Z", "+00:00")))
        await self._resume()

    async def _broadcast(self, subscriptions: Sequence[Subscription], period: str) -> BroadcastReport:
        assert self.broadcaster is not None
        done = await self.deliveries.of_period(period, [s.id for s in subscriptions])
        todo = [s for s in subscriptions if s.id not in done]
        resumed = [(done[s.id], s) for s in subscriptions if s.id in done and await self._claim(done[s.id])]
        until = self.clock()
        catalog = (
            await self._catalog(min(self._since(s, until) for s in todo), until)
            if todo
            else Catalog((), until)
        )

        async def parcels() -> AsyncIterator[Parcel]:
            for delivery, subscription in resumed:
                yield self._parcel(delivery, subscription)
            composer = Composer(catalog)
            by_id = {s.id: s for s in todo}
            crossed: dict[str, Crossing] = {}
            for start in range(0, len(todo), COMPOSE_BATCH):
                if self._stopping:
                    return
                batch = todo[start : start + COMPOSE_BATCH]
                drafts = await self._compose(composer, batch, period, until, crossed)
                for delivery in await self.deliveries.record_many(drafts):
                    if await self._claim(delivery):
                        yield self._parcel(delivery, by_id[delivery.subscription_id])

        return await self.broadcaster.broadcast(parcels(), self)

    async def _resume(self) -> None:
        pending = await self.deliveries.pending(self.clock() - RESUME_WINDOW)
        work: list[Parcel] = []
        for delivery in pending:
            subscription = await self.subscriptions.get(delivery.subscription_id)
            if subscription is None or not subscription.active:
                await self.deliveries.finish(delivery.id, DeliveryStatus.FAILED, "unsubscribed")
                continue
            if await self._claim(delivery):
                work.append(self._parcel(delivery, subscription))
        if work and self.broadcaster is not None:
            log.info("resuming %d unfinished digest deliveries", len(work))
            await self.broadcaster.broadcast(work, self)

    # ----- on demand -----
    async def digest_now(
        self, *, chat_id: int, thread_id: int | None, chat_type: str, language: str
    ) -> tuple[OnDemand, datetime | None]:
        """This chat's digest now: what is new since its last digest (the first one: the last 24 hours)."""
        assert self.broadcaster is not None
        until = self.clock()
        actives = await self.subscriptions.in_chat(chat_id, thread_id)
        subscription = actives[0] if actives else None
        if subscription is None:  # the chat's on-demand record: started (or restarted) and ended at once
            subscription = await self.subscriptions.subscribe(
                chat_id=chat_id,
                thread_id=thread_id,
                chat_type=chat_type,
                language=language,
                send_at=self.settings.digest_time,
                timezone=self.settings.default_timezone,
                topics="",
                by=None,
            )
            await self.subscriptions.end(subscription.id, "on_demand_only")
        since = subscription.last_digest_until
        catalog = await self._catalog(self._since(subscription, until), until)
        (draft,) = await self._compose(Composer(catalog), [subscription], f"now:{until.isoformat()}", until)
        delivery = await self.deliveries.record(draft) if draft.parts else None
        if delivery is None:
            return OnDemand.EMPTY, since
        if not await self._claim(delivery):
            return OnDemand.FAILED, since
        outcome = await self.broadcaster.deliver(self._parcel(delivery, subscription, thread_id), self)
        return (OnDemand.SENT if outcome == Outcome.SENT else OnDemand.FAILED), since

    # ----- the ledger the broadcaster reports to -----
    async def part_sent(self, parcel: Parcel, index: int, message_id: int) -> None:
        await self.deliveries.part_sent(parcel.key, index, message_id)

    async def chat_moved(self, parcel: Parcel, new_chat_id: int) -> None:
        subscription_id = self._claimed.get(parcel.key)
        if subscription_id is not None:
            log.info("chat %s became supergroup %s", parcel.chat_id, new_chat_id)
            await self.subscriptions.move_chat(subscription_id, new_chat_id)

    async def finished(self, parcel: Parcel, outcome: Outcome, error: str | None) -> None:
        subscription_id = self._claimed.pop(parcel.key, None)
        now = time.monotonic()
        self._finished[parcel.key] = now
        if len(self._finished) % 1024 == 0:
            self._finished = {k: t for k, t in self._finished.items() if now - t < FINISHED_MEMORY}
        if outcome in (Outcome.SENT, Outcome.INTERRUPTED):
            return  # sent (recorded message by message), or stopped: the rest resumes at start
        if outcome in (Outcome.BLOCKED, Outcome.GONE):
            await self.deliveries.finish(parcel.key, DeliveryStatus.UNDELIVERABLE, error)
            if subscription_id is not None:
                log.info("chat %s is %s: its subscription ends", parcel.chat_id, outcome.value)
                await self.subscriptions.end(subscription_id, outcome.value)
            return
        await self.deliveries.finish(parcel.key, DeliveryStatus.FAILED, error)
        if outcome is Outcome.GAVE_UP and await self.deliveries.offer_again(parcel.key):
            # Telegram was unreachable or kept flooding: nothing of this digest reached the chat, and
            # the next one brings what it held. (A refused message would be refused again: not this.)
            log.info("digest %s to chat %s was not sent; the next one brings it", parcel.key, parcel.chat_id)
