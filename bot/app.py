"""Wiring: settings → database, repositories, services → Dispatcher with routers and middlewares."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.types import BotCommand, BotCommandScopeDefault, TelegramObject
from aiogram.utils.i18n import I18n, SimpleI18nMiddleware
from apscheduler.schedulers.asyncio import AsyncIOScheduler

import handlers
from bot.config import Settings
from bot.i18n import N_, create_i18n
from bot.ingestion import IngestService
from bot.workers import WorkerPool
from storage.articles import ArticleRepo
from storage.database import Database

log = logging.getLogger(__name__)

SHUTDOWN_GRACE_SECONDS = 30.0
COMMANDS = (
    ("search", N_("Search the articles")),
    ("latest", N_("The newest articles")),
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
    inflight: InFlight = field(default_factory=InFlight)
    dispatcher: Dispatcher | None = None

    @classmethod
    async def open(cls, settings: Settings) -> App:
        db = Database(settings.database_path)
        await db.open()
        workers = WorkerPool(settings.analysis_workers)
        articles = ArticleRepo(db)
        ingest = IngestService(articles, workers, settings.default_timezone, settings.max_upload_bytes)
        return cls(
            settings=settings,
            db=db,
            workers=workers,
            articles=articles,
            ingest=ingest,
            i18n=create_i18n(),
            scheduler=AsyncIOScheduler(timezone=settings.timezone),
        )

    async def close(self) -> None:
        await self.db.close()
        await asyncio.to_thread(self.workers.close)

    def create_bot(self, token: str, api_url: str) -> Bot:
        session = AiohttpSession(api=TelegramAPIServer.from_base(api_url))
        return Bot(token=token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))

    def create_dispatcher(self) -> Dispatcher:
        dp = Dispatcher(settings=self.settings, articles=self.articles, ingest=self.ingest, app=self)
        dp.update.outer_middleware(self.inflight)
        SimpleI18nMiddleware(self.i18n).setup(dp)
        dp.include_routers(*handlers.create_routers())
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
        self.scheduler.start()
        log.info("bot started")

    async def _on_shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        await self.inflight.drain(SHUTDOWN_GRACE_SECONDS)

    async def run_polling(self, bot: Bot, *, handle_signals: bool = True) -> None:
        """Long polling until SIGINT/SIGTERM (or stop_polling); updates in progress finish first."""
        dp = self.create_dispatcher()
        self.dispatcher = dp
        await dp.start_polling(bot, handle_signals=handle_signals, polling_timeout=10)
