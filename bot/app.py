"""Wiring: settings → database, repositories, services → Dispatcher with routers and middlewares."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.types import BotCommand, BotCommandScopeDefault, TelegramObject
from aiogram.utils.i18n import I18n, SimpleI18nMiddleware
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

import handlers
from bot.alerts.service import ALERT_JOB_ID, ALERT_SECONDS, AlertService
from bot.analysis.service import Analyzer
from bot.config import Settings
from bot.delivery import MemoryBook, SlotBook
from bot.digest.service import DigestService
from bot.feeds.service import FORGET_JOB_ID, POLL_JOB_ID, FeedService
from bot.fetch import Fetcher
from bot.ingest.links import LinkService
from bot.ingest.service import IngestService
from bot.metrics import Metrics
from bot.pipeline import AnalysisTransaction, ArticlePipeline
from bot.search import topic_crossing
from bot.telegram.access import AccessGate
from bot.telegram.i18n import N_, create_i18n
from bot.telegram.lazy_types import build_common_types
from bot.telegram.replies.alerts import renderer as alert_renderer
from bot.telegram.replies.digest import renderer as digest_renderer
from bot.telegram.replies.feeds import paused_notice as feed_paused_notice
from bot.telegram.retry import RetryAfter
from bot.timeline.service import TimelineService
from bot.web import WebhookServer
from bot.who.service import WhoService
from bot.who.store import EntityStore
from bot.workers import WorkerPool
from handlers import errors
from handlers.fallback import ADMIN_COMMANDS
from storage.access import AccessRepo
from storage.alerts import AlertRepo
from storage.articles import ArticleRepo
from storage.budget import SendBudgetRepo
from storage.channels import ChannelRepo
from storage.claims import JobClaims, instance_name
from storage.database import Database
from storage.events import EventRepo
from storage.feeds import FeedRepo
from storage.stories import StoryRepo
from storage.subscriptions import DeliveryRepo, SubscriptionRepo

log = logging.getLogger(__name__)

SHUTDOWN_GRACE_SECONDS = 30.0
RECOVER_JOB_ID = "recover digests"
COMMANDS = (
    ("search", N_("Search the articles")),
    ("who", N_("Who is who: a person, organisation or place")),
    ("timeline", N_("What happened when: a person, a place or words")),
    ("latest", N_("The newest articles")),
    ("digest", N_("This chat's digest now")),
    ("subscribe", N_("A daily digest, e.g. /subscribe 08:30 Europe/Berlin")),
    ("settings", N_("Digest time, time zone, topics, pause")),
    ("subscriptions", N_("This chat's digests, each with its settings")),
    ("alert", N_("A message as soon as news on your topics appears")),
    ("unsubscribe", N_("Stop the daily digest")),
    ("help", N_("Every command with an example")),
    ("start", N_("What this bot does")),
)


class InFlight(BaseMiddleware):
    """Tracks the updates being handled, so shutdown lets them finish."""

    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[Any]] = set()
        self.handled = 0

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        task = asyncio.current_task()
        if task is not None:
            self.tasks.add(task)
        try:
            return await handler(event, data)
        finally:
            self.handled += 1
            if task is not None:
                self.tasks.discard(task)

    async def drain(self, timeout: float) -> None:
        current = asyncio.current_task()
        pending = [t for t in self.tasks if t is not current]
        if pending:
            log.info("waiting for %d update(s) in progress", len(pending))
            await asyncio.wait(pending, timeout=timeout)


@dataclass
class App:
    settings: Settings
    db: Database
    workers: WorkerPool
    articles: ArticleRepo
    ingest: IngestService
    i18n: I18n
    scheduler: AsyncIOScheduler  # the one scheduler: digests, feed polling; runs while the bot polls
    entities: EntityStore
    analyzer: Analyzer
    digests: DigestService
    fetcher: Fetcher  # the one HTTP client for links and feeds; address checks per hop
    links: LinkService
    feeds: FeedService
    timeline: TimelineService  # events merged as articles are analysed
    pipeline: ArticlePipeline  # what happens to an article after it is stored
    alerts: AlertService  # instant alerts: new stories on a chat's topics, as they appear
    inflight: InFlight = field(default_factory=InFlight)
    dispatcher: Dispatcher | None = None
    webhook: WebhookServer | None = None  # webhook mode (WEBHOOK_URL): the server, while it runs
    metrics: Metrics = field(init=False)  # /metrics and /healthz (bot/metrics.py, bot/web.py)

    def __post_init__(self) -> None:
        self.metrics = Metrics(
            ingest=self.ingest,
            analyzer=self.analyzer,
            digests=self.digests,
            feeds=self.feeds,
            commands={name for name, _ in COMMANDS} | set(ADMIN_COMMANDS),
        )

    @classmethod
    async def open(cls, settings: Settings) -> App:
        db = Database(settings.database_path, url=settings.database_url)
        await db.open()
        workers = WorkerPool(max(1, settings.analysis_workers))  # 0: the lanes exist, no process starts
        articles = ArticleRepo(db)
        entities = EntityStore(db)
        timeline = TimelineService(EventRepo(db), entities, settings.timezone)
        # Two batches in flight per worker: one waits in the pool while the event loop stores the
        # other's results, so no worker idles between batches.
        analyzer = Analyzer(
            articles,
            entities,
            workers,
            settings.timezone,
            AnalysisTransaction(timeline),  # the events, stored with their analyses
            concurrency=2 * max(1, settings.analysis_workers),
        )
        analyzer.consuming = settings.analysis_workers > 0  # 0: `python -m bot worker` processes analyse
        i18n = create_i18n()
        scheduler = AsyncIOScheduler(timezone=settings.timezone)
        # Instances sharing a PostgreSQL database claim scheduled work there (storage/claims.py).
        claims = JobClaims(db, instance_name())
        digests = DigestService(
            settings=settings,
            subscriptions=SubscriptionRepo(db),
            deliveries=DeliveryRepo(db),
            stories=StoryRepo(db),
            workers=workers,
            render=digest_renderer(i18n),
            scheduler=scheduler,
            people=entities.people_in,
            claims=claims,
            crossing=topic_crossing(entities),
        )
        # An article's path after it is stored, step by step: bot/pipeline.py.
        pipeline = ArticlePipeline(analyzer, stories=digests, articles=articles)
        ingest = IngestService(
            articles,
            workers,
            settings.default_timezone,
            settings.max_upload_bytes,
            then=pipeline.stored,
            replace=pipeline.replace,
        )
        fetcher = Fetcher(allow_private=settings.allow_private_urls, timeout=settings.fetch_timeout_seconds)
        feeds = FeedService(
            FeedRepo(db, pause_after=settings.feed_pause_after),
            fetcher,
            ingest,
            feed_paused_notice(i18n),
            settings.admin_ids,
            run=workers.run_interactive,
            default_minutes=settings.feed_poll_minutes,
            zone=settings.default_timezone,
            owner=claims.owner,
        )
        return cls(
            fetcher=fetcher,
            links=LinkService(fetcher, ingest, workers.run_interactive),
            feeds=feeds,
            settings=settings,
            db=db,
            workers=workers,
            articles=articles,
            ingest=ingest,
            i18n=i18n,
            scheduler=scheduler,
            entities=entities,
            analyzer=analyzer,
            digests=digests,
            timeline=timeline,
            pipeline=pipeline,
            alerts=AlertService(
                AlertRepo(db),
                alert_renderer(i18n),
                rate=settings.broadcast_rate,
                run=workers.run_interactive,
                crossing=topic_crossing(entities),
            ),
        )

    async def close(self) -> None:
        await self.digests.stories_settled()  # stories of the last articles stored, before the database goes
        await self.feeds.stop()
        await self.fetcher.close()
        await self.analyzer.close()
        await self.db.close()
        await asyncio.to_thread(self.workers.close)

    def create_bot(self, token: str, api_url: str) -> Bot:
        session = AiohttpSession(api=TelegramAPIServer.from_base(api_url))
        session.middleware(RetryAfter())  # replies wait out a 429 (bounded); bot.delivery paces its own sends
        return Bot(token=token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))

    def create_dispatcher(self) -> Dispatcher:
        dp = Dispatcher(
            settings=self.settings,
            articles=self.articles,
            ingest=self.ingest,
            entities=self.entities,
            analyzer=self.analyzer,
            who=WhoService(self.entities),
            timeline=self.timeline,
            digests=self.digests,
            stories=self.digests.stories,
            links=self.links,
            feeds=self.feeds,
            access=AccessRepo(self.db),
            channels=ChannelRepo(self.db),
            alerts=self.alerts,
            subscriptions=self.digests.subscriptions,
            app=self,
        )
        dp.update.outer_middleware(self.inflight)
        dp.update.outer_middleware(self.metrics.updates)  # updates handled and their latency, by command
        SimpleI18nMiddleware(self.i18n).setup(dp)
        AccessGate(AccessRepo(self.db)).setup(dp)  # ACCESS=private; after i18n: refusals in their language
        dp.include_routers(*handlers.create_routers())
        dp.include_router(errors.create_router())  # whatever a handler raises: logged once, user answered
        dp.startup.register(self._on_startup)
        dp.shutdown.register(self._on_shutdown)
        return dp

    async def _on_startup(self, bot: Bot) -> None:
        for language in self.i18n.available_locales:
            commands = [
                BotCommand(command=name, description=self.i18n.gettext(text, locale=language))
                for name, text in COMMANDS
            ]
            code = None if language == self.i18n.default_locale else language
            await bot.set_my_commands(commands, scope=BotCommandScopeDefault(), language_code=code)
        # Every minute, and once at start-up: feeds that fell due while the bot was down go first.
        self.scheduler.add_job(
            self.feeds.poll_due,
            IntervalTrigger(minutes=1),
            kwargs={"bot": bot},
            id=POLL_JOB_ID,
            name="poll due feeds",
            max_instances=1,
            coalesce=True,
            replace_existing=True,
            next_run_time=datetime.now(UTC),
        )
        self.scheduler.add_job(
            self._forget_left_items,
            IntervalTrigger(hours=24),
            id=FORGET_JOB_ID,
            name="forget items feeds no longer list",
            max_instances=1,
            coalesce=True,
            replace_existing=True,
            misfire_grace_time=6 * 3600,  # APScheduler's default is 1 s: a busy loop would skip the run
        )
        self.scheduler.add_job(
            self.digests.recover,
            IntervalTrigger(minutes=1),
            id=RECOVER_JOB_ID,
            name="finish digest runs and deliveries a stopped instance left",
            max_instances=1,
            coalesce=True,
            replace_existing=True,
        )
        if self.db.dialect == "sqlite" and self.digests.claims is not None:
            # The process lock makes this the only instance: what a stopped run held is ours at once.
            await self.digests.claims.release_all()
        self.scheduler.start()
        # One send budget for digests and alerts (alerts take at most half): in this process, or in the
        # database when several instances share the token (SEND_BUDGET=database).
        book: SlotBook = SendBudgetRepo(self.db) if self.settings.send_budget == "database" else MemoryBook()
        await self.digests.start(bot, book)
        self.alerts.start(bot, book)
        self.scheduler.add_job(
            self.alerts.run,
            IntervalTrigger(seconds=ALERT_SECONDS),
            id=ALERT_JOB_ID,
            name="instant alerts",
            max_instances=1,
            coalesce=True,
            replace_existing=True,
            next_run_time=datetime.now(UTC),
        )
        queued = await self.analyzer.catch_up()
        if queued > 0:
            log.info("analysing %d article(s) left unanalysed", queued)
        log.info("bot started")

    async def _forget_left_items(self, now: datetime | None = None) -> int:
        """The daily clean-up, by one instance a day (claimed in the database); how many items it forgot."""
        claims, day = self.digests.claims, (now or datetime.now(UTC)).date().isoformat()
        if claims is not None and not await claims.claim(FORGET_JOB_ID, day, timedelta(hours=1)):
            return 0
        forgotten = await self.feeds.forget_left_items(now=now)
        if claims is not None:
            await claims.done(FORGET_JOB_ID, day)
        return forgotten

    async def _on_shutdown(self) -> None:
        await self.alerts.stop()
        await self.digests.stop()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        await self.inflight.drain(SHUTDOWN_GRACE_SECONDS)

    async def run_polling(self, bot: Bot, *, handle_signals: bool = True) -> None:
        """Long polling until SIGINT/SIGTERM (or stop_polling); updates in progress finish first."""
        dp = self.create_dispatcher()
        self.dispatcher = dp
        build_common_types()
        await dp.start_polling(bot, handle_signals=handle_signals, polling_timeout=10)

    async def run_webhook(self, bot: Bot, *, handle_signals: bool = True) -> None:
        """Webhook mode (WEBHOOK_URL): setWebhook, then updates served on WEBHOOK_LISTEN until SIGINT/SIGTERM
        (or self.webhook.stop()); same start-up and shutdown as polling, updates in progress finish first."""
        dp = self.create_dispatcher()
        self.dispatcher = dp
        build_common_types()
        self.webhook = WebhookServer(self, bot, dp)
        await self.webhook.serve(handle_signals=handle_signals)
