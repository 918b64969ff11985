"""The bot's HTTP server (#14): /healthz and /metrics for operations, and in webhook mode the path of
WEBHOOK_URL, where Telegram posts updates (aiogram's SimpleRequestHandler, the secret checked on every
request). Long polling serves only /healthz and /metrics, on METRICS_LISTEN when it is set."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from typing import Any, Protocol

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

from bot.config import Settings, parse_listen
from bot.metrics import CONTENT_TYPE, Check, Health, Metrics, Mode, updates_check
from storage.database import Database, migrations

log = logging.getLogger(__name__)

DB_CHECK_SECONDS = 5.0
REQUESTS_GRACE_SECONDS = 10.0  # webhook posts being read at shutdown: their updates are handled too


class Served(Protocol):
    """What the server needs of the App (bot.app.App), without importing it: the App imports this."""

    settings: Settings
    db: Database
    metrics: Metrics

    async def run_polling(self, bot: Bot, *, handle_signals: bool = True) -> None: ...


async def database_checks(db: Database) -> list[Check]:
    """The database answers SELECT 1, and its schema is at the newest migration shipped."""
    latest = max(version for version, _, _ in migrations())
    try:
        async with asyncio.timeout(DB_CHECK_SECONDS):
            async with db.conn.execute("SELECT 1") as cursor:
                await cursor.fetchone()
            async with db.conn.execute("PRAGMA user_version") as cursor:
                (applied,) = await cursor.fetchone()
    except Exception as exc:  # closed, locked, broken: whatever it is, the check reports it
        error = str(exc) or type(exc).__name__
        return [
            Check("database", False, {"error": error}),
            Check("migrations", False, {"error": "database unavailable", "latest": latest}),
        ]
    return [
        Check("database", True, {}),
        Check("migrations", applied == latest, {"applied": applied, "latest": latest}),
    ]


async def health(app: Served) -> Health:
    return Health((*await database_checks(app.db), updates_check(app.metrics.watch)))


def add_ops_routes(web_app: web.Application, app: Served) -> None:
    async def healthz(request: web.Request) -> web.Response:
        report = await health(app)
        return web.json_response(report.as_json(), status=200 if report.ok else 503)

    async def metrics(request: web.Request) -> web.Response:
        return web.Response(body=app.metrics.exposition(), headers={"Content-Type": CONTENT_TYPE})

    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/metrics", metrics)


async def _start(web_app: web.Application, listen: str) -> tuple[web.AppRunner, str]:
    """Runs the application's startup hooks, then listens; the bound address as http://host:port."""
    runner = web.AppRunner(web_app, access_log=None, handle_signals=False)
    await runner.setup()
    host, port = parse_listen(listen)
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    bound = site._server.sockets[0].getsockname()  # type: ignore[union-attr]  # the port when port=0
    return runner, f"http://{host}:{bound[1]}"


@asynccontextmanager
async def ops_server(app: Served, listen: str) -> AsyncIterator[str]:
    """/healthz and /metrics on `listen` while the block runs; yields the bound base URL."""
    web_app = web.Application()
    add_ops_routes(web_app, app)
    runner, url = await _start(web_app, listen)
    log.info("serving /healthz and /metrics on %s", url)
    try:
        yield url
    finally:
        await runner.cleanup()


async def serve_polling(app: Served, bot: Bot, *, handle_signals: bool = True) -> None:
    """Long polling as App.run_polling does, with /healthz and /metrics on METRICS_LISTEN when set."""
    watch = app.metrics.watch
    watch.mode = Mode.POLLING
    bot.session.middleware(watch)
    if app.settings.metrics_listen is None:
        await app.run_polling(bot, handle_signals=handle_signals)
        return
    async with ops_server(app, app.settings.metrics_listen):
        await app.run_polling(bot, handle_signals=handle_signals)


class WebhookServer:
    """Webhook mode: listen on WEBHOOK_LISTEN, call setWebhook, serve updates until stop() or a signal.

    Start-up and shutdown are polling's: the Dispatcher's startup hooks run before the server listens
    (aiogram's setup_application), and at shutdown the server stops listening, the webhook posts being
    read finish, then the Dispatcher's shutdown hooks wait for the updates in progress (App's InFlight)
    before the Bot's session closes. The webhook stays set: another instance may be serving it.
    """

    def __init__(self, app: Served, bot: Bot, dispatcher: Dispatcher) -> None:
        self.app = app
        self.bot = bot
        self.dispatcher = dispatcher
        self.url = ""  # the bound base URL once serving
        self._stop = asyncio.Event()
        self._requests: set[asyncio.Task[Any]] = set()

    def stop(self) -> None:
        self._stop.set()

    def build(self) -> web.Application:
        settings = self.app.settings
        web_app = web.Application(middlewares=[self._track])
        web_app.on_shutdown.append(self._finish_requests)  # first: before the Dispatcher's shutdown
        setup_application(web_app, self.dispatcher, bot=self.bot)
        handler = SimpleRequestHandler(self.dispatcher, self.bot, secret_token=settings.secret)
        handler.register(web_app, path=settings.webhook_path)  # its shutdown hook closes the Bot's session
        add_ops_routes(web_app, self.app)
        return web_app

    @web.middleware
    async def _track(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        task = asyncio.current_task()
        if task is not None:
            self._requests.add(task)
        try:
            return await handler(request)
        finally:
            if task is not None:
                self._requests.discard(task)

    async def _finish_requests(self, web_app: web.Application) -> None:
        current = asyncio.current_task()
        pending = [t for t in self._requests if t is not current]
        if pending:
            await asyncio.wait(pending, timeout=REQUESTS_GRACE_SECONDS)
        await asyncio.sleep(0)  # the updates they handed over start, and InFlight sees them

    async def serve(self, *, handle_signals: bool = True) -> None:
        settings = self.app.settings
        assert settings.webhook_url is not None and settings.secret is not None
        watch = self.app.metrics.watch
        watch.mode = Mode.WEBHOOK
        runner, self.url = await _start(self.build(), settings.webhook_listen)
        loop = asyncio.get_running_loop()
        try:
            if handle_signals:
                for sig in (signal.SIGINT, signal.SIGTERM):
                    loop.add_signal_handler(sig, self._stop.set)
            await self.bot.set_webhook(
                settings.webhook_url,
                secret_token=settings.secret,
                allowed_updates=self.dispatcher.resolve_used_update_types(),
                drop_pending_updates=False,
            )
            watch.webhook_set = True
            log.info("webhook set; serving updates on %s%s", self.url, settings.webhook_path)
            await self._stop.wait()
        finally:
            if handle_signals:
                for sig in (signal.SIGINT, signal.SIGTERM):
                    with suppress(NotImplementedError, RuntimeError):
                        loop.remove_signal_handler(sig)
            await runner.cleanup()
