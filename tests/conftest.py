"""End-to-end fixtures: the real bot (Bot, Dispatcher, polling, SQLite in tmp_path) over the emulator."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.config import load_settings
from bot.emulator import BotAPIEmulator, TelegramUser

pytest_plugins = ["tests.web_fixtures"]  # the local news site and the loopback guard, as fixtures

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "seeds" / "000_b4e76c9b5e787165.txt"

ADMIN = TelegramUser(1, "Admin", language_code="ru")
ADMIN_EN = TelegramUser(2, "Editor", language_code="en")
READER = TelegramUser(10, "Читатель", language_code="ru")
READER_EN = TelegramUser(11, "Reader", language_code="en")


def entity_texts(message: dict[str, Any], kind: str) -> list[str]:
    """The text under each entity of a kind; offsets are UTF-16 code units, as Telegram counts."""
    units = message["text"].encode("utf-16-le")
    return [
        units[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le")
        for e in message.get("entities", [])
        if e["type"] == kind
    ]


class RunningBot:
    """The bot as a user meets it: say something, read what it answered."""

    def __init__(self, app: App, emulator: BotAPIEmulator) -> None:
        self.app = app
        self.emulator = emulator

    async def ask(self, user: TelegramUser, text: str, count: int = 1, **kwargs: Any) -> list[dict[str, Any]]:
        chat_id = kwargs["chat"]["id"] if kwargs.get("chat") else user.id
        before = len(self.emulator.messages(chat_id))
        await self.emulator.send_text(user, text, **kwargs)
        return await self.emulator.replies(chat_id, count, after=before)

    async def reply(
        self, user: TelegramUser, text: str, *, timeout: float = 60.0, **kwargs: Any
    ) -> dict[str, Any]:
        """One message and its one reply. Fetching, extraction and analysis share the worker process,
        so a reply may wait behind a batch: the wait is generous, a missing reply still fails."""
        chat_id = kwargs["chat"]["id"] if kwargs.get("chat") else user.id
        before = len(self.emulator.messages(chat_id))
        await self.emulator.send_text(user, text, **kwargs)
        (answer,) = await self.emulator.replies(chat_id, 1, after=before, timeout=timeout)
        return answer

    async def send_file(self, user: TelegramUser, name: str, content: bytes, **kwargs: Any) -> dict[str, Any]:
        before = len(self.emulator.messages(user.id))
        await self.emulator.send_document(user, name, content, **kwargs)
        (reply,) = await self.emulator.replies(user.id, 1, after=before)
        return reply


@asynccontextmanager
async def running_bot(
    emulator: BotAPIEmulator, database: Path, **overrides: Any
) -> AsyncIterator[RunningBot]:
    overrides.setdefault("analysis_workers", 1)  # a test analyses a few articles: one worker loads faster
    settings = load_settings(
        bot_token=emulator.token,
        telegram_api_url=emulator.url,
        database_path=database,
        admin_ids=frozenset({ADMIN.id, ADMIN_EN.id}),
        default_timezone="Europe/Moscow",
        **overrides,
    )
    app = await App.open(settings)
    bot = app.create_bot(emulator.token, emulator.url)
    polling = asyncio.create_task(app.run_polling(bot, handle_signals=False))
    try:
        polls = sum(1 for method, _ in emulator.calls if method == "getUpdates")
        # Polling starts only after the startup hooks (commands registered) have finished.
        await emulator.wait_for(lambda: sum(1 for m, _ in emulator.calls if m == "getUpdates") > polls)
        yield RunningBot(app, emulator)
    finally:
        if app.dispatcher is not None:
            await app.dispatcher.stop_polling()
        await polling
        await app.close()


@pytest.fixture
async def emulator() -> AsyncIterator[BotAPIEmulator]:
    async with BotAPIEmulator() as server:
        yield server


@pytest.fixture
async def bot(emulator: BotAPIEmulator, tmp_path: Path) -> AsyncIterator[RunningBot]:
    async with running_bot(emulator, tmp_path / "news.sqlite3") as running:
        yield running


def free_port() -> int:
    """A loopback port nothing listens on now (the webhook URL must name it before the bot listens)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


WEBHOOK_SECRET = "test-secret_0123456789"


@asynccontextmanager
async def running_webhook_bot(
    emulator: BotAPIEmulator, database: Path, **overrides: Any
) -> AsyncIterator[RunningBot]:
    """The bot in webhook mode: it listens on a loopback port, calls setWebhook, and the emulator POSTs
    each update there with the secret header instead of answering getUpdates."""
    port = free_port()
    overrides.setdefault("analysis_workers", 1)
    settings = load_settings(
        bot_token=emulator.token,
        telegram_api_url=emulator.url,
        database_path=database,
        admin_ids=frozenset({ADMIN.id, ADMIN_EN.id}),
        default_timezone="Europe/Moscow",
        webhook_url=f"http://127.0.0.1:{port}/telegram/updates",
        webhook_secret=WEBHOOK_SECRET,
        webhook_listen=f"127.0.0.1:{port}",
        **overrides,
    )
    app = await App.open(settings)
    bot = app.create_bot(emulator.token, emulator.url)
    calls = sum(1 for method, _ in emulator.calls if method == "setWebhook")
    serving = asyncio.create_task(app.run_webhook(bot, handle_signals=False))
    try:
        # setWebhook comes after the startup hooks, once the server listens.
        await emulator.wait_for(
            lambda: (
                (
                    sum(1 for m, _ in emulator.calls if m == "setWebhook") > calls
                    and emulator.webhook is not None
                )
                or serving.done()
            )
        )
        if serving.done():
            serving.result()  # start-up failed: its error, not a timeout
        yield RunningBot(app, emulator)
    finally:
        if app.webhook is not None:
            app.webhook.stop()
        await serving
        await app.close()


@pytest.fixture
async def webhook_bot(emulator: BotAPIEmulator, tmp_path: Path) -> AsyncIterator[RunningBot]:
    async with running_webhook_bot(emulator, tmp_path / "news.sqlite3") as running:
        yield running


# ----- storage on both engines (#14) -----
DEFAULT_POSTGRESQL_URL = "postgresql://postgres@127.0.0.1:5432/test"
_postgresql_probe: list[str | None] = []


def postgresql_url() -> str | None:
    """TEST_DATABASE_URL, else the local server on 127.0.0.1:5432 when one answers; None otherwise."""
    if not _postgresql_probe:
        import os

        url = os.environ.get("TEST_DATABASE_URL") or None
        if url is None:
            try:
                with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
                    url = DEFAULT_POSTGRESQL_URL
            except OSError:
                url = None
        _postgresql_probe.append(url)
    return _postgresql_probe[0]


NO_POSTGRESQL = "PostgreSQL: TEST_DATABASE_URL is unset and nothing answers on 127.0.0.1:5432"


@asynccontextmanager
async def postgresql_schema() -> AsyncIterator[str]:
    """A database URL whose connections use a new, empty schema, dropped afterwards."""
    from bench.pg import fresh_schema

    base = postgresql_url()
    if base is None:
        pytest.skip(NO_POSTGRESQL)
    async with fresh_schema(base, prefix="test") as url:
        yield url


@asynccontextmanager
async def two_instances(tmp_path: Path) -> AsyncIterator[tuple[Any, Any]]:
    """Two open, migrated Databases on one new PostgreSQL schema: two instances of the bot (skipped with one
    line when no server answers)."""
    from storage.database import Database

    async with postgresql_schema() as url:
        one, other = Database(tmp_path / "a.sqlite3", url=url), Database(tmp_path / "b.sqlite3", url=url)
        await one.open()
        await other.open()
        try:
            yield one, other
        finally:
            await one.close()
            await other.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def storage_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    """An open, migrated, empty Database on each engine: a SQLite file, or a fresh PostgreSQL schema
    (skipped with one line when no server answers)."""
    from storage.database import Database

    if request.param == "sqlite":
        db = Database(tmp_path / "storage.sqlite3")
        await db.open()
        try:
            yield db
        finally:
            await db.close()
        return
    async with postgresql_schema() as url:
        db = Database(tmp_path / "unused.sqlite3", url=url)
        await db.open()
        try:
            yield db
        finally:
            await db.close()
