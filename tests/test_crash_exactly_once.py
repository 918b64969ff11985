"""A bot process killed with SIGKILL mid-broadcast and restarted sends every chat its digest once, none twice.

The bot runs as a real subprocess (`python -m bot run`) against the emulator in this process. The
emulator holds sends after the first few, so the kill lands with requests in flight that Telegram
never accepted; the restarted bot must finish those chats and leave the others alone.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.digest import store
from bot.digest.inputs import story_inputs
from bot.emulator import BotAPIEmulator
from bot.ingest.documents import parse_message_text
from storage.articles import ArticleRepo
from storage.database import Database
from storage.stories import ArticleText, StoryRepo
from storage.subscriptions import DeliveryRepo, SubscriptionRepo
from tests.conftest import ROOT

CHATS = 90
SENT_BEFORE_KILL = 25
FIRST_CHAT = 700_000
ARTICLES = (
    (
        "Мост через Томь закрыли на ремонт",
        "Коммунальный мост через Томь в Томске закрыли на три месяца. "
        "Мэрия объяснила закрытие ремонтом опор.",
        "ТАСС",
    ),
    (
        "В Казани открыли станцию метро",
        "Станцию метро «Дубравная» открыли в Казани в пятницу. Поезда начнут возить пассажиров с субботы.",
        "РИА",
    ),
)


async def prepare(database: Path, scheduled: datetime) -> None:
    """Articles of the last hours and CHATS subscriptions due at `scheduled` (set up before it)."""
    db = Database(database)
    await db.open()
    try:
        articles, stories, subscriptions = ArticleRepo(db), StoryRepo(db), SubscriptionRepo(db)
        for title, text, source in ARTICLES:
            prepared = parse_message_text(f"{title}\n{text}", "UTC", source=source)
            assert prepared is not None
            stored = (await articles.add(prepared.row, ingested_by=None)).article
            text = ArticleText(stored.id, stored.title, stored.text, stored.lang, stored.published_at)
            await store.assign(stories, story_inputs([text], None))
        for n in range(CHATS):
            await subscriptions.subscribe(
                chat_id=FIRST_CHAT + n,
                thread_id=None,
                chat_type="private",
                language="ru",
                send_at=scheduled.strftime("%H:%M"),
                timezone="UTC",
                topics="",
                by=None,
                now=scheduled - timedelta(minutes=1),
            )
    finally:
        await db.close()


def start_bot(emulator: BotAPIEmulator, database: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "BOT_TOKEN": emulator.token,
        "TELEGRAM_API_URL": emulator.url,
        "DATABASE_PATH": str(database),
        "DEFAULT_TIMEZONE": "UTC",
        "BROADCAST_RATE": "30",
        "PAID_BROADCAST": "false",
        "LOG_LEVEL": "WARNING",
        "ADMIN_IDS": "",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


async def delivery_counts(database: Path) -> dict[str, int]:
    db = Database(database)
    await db.open()
    try:
        return await DeliveryRepo(db).counts()
    finally:
        await db.close()


async def test_restart_mid_broadcast_sends_each_chat_once(emulator: BotAPIEmulator, tmp_path: Path) -> None:
    database = tmp_path / "crash.sqlite3"
    scheduled = datetime.now(UTC).replace(second=0, microsecond=0)
    await prepare(database, scheduled)
    emulator.faults.hold_after = SENT_BEFORE_KILL

    first = start_bot(emulator, database)
    try:
        # Startup catches up the run due at `scheduled` (a minute ago at most): the broadcast begins.
        await emulator.wait_for(lambda: emulator.held >= 1, timeout=45)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    assert first.returncode == -signal.SIGKILL
    await asyncio.sleep(0.2)  # the emulator notices the dead connections and drops their held calls
    assert emulator.held == 0
    emulator.release_held()
    before_restart = Counter(m["chat"]["id"] for m in emulator.messages())
    assert sum(before_restart.values()) == SENT_BEFORE_KILL

    second = start_bot(emulator, database)
    try:
        await emulator.wait_for(
            lambda: len({m["chat"]["id"] for m in emulator.messages()}) >= CHATS, timeout=45
        )
        await asyncio.sleep(1.0)  # time for any duplicate to show up
    finally:
        second.send_signal(signal.SIGTERM)
        _, stderr = second.communicate(timeout=30)
    assert second.returncode == 0, stderr.decode()[-2000:]

    per_chat = Counter(m["chat"]["id"] for m in emulator.messages())
    assert set(per_chat) == {FIRST_CHAT + n for n in range(CHATS)}
    assert set(per_chat.values()) == {1}, [c for c, n in per_chat.items() if n > 1]
    assert all("Мост через Томь" in m["text"] for m in emulator.messages())
    assert await delivery_counts(database) == {"sent": CHATS}
