"""A scheduled digest run to many subscribed chats against the emulator enforcing Telegram's flood limits.

    .venv/bin/python -m bench.delivery --chats 10000                 # 30 messages/s, about 6 minutes
    .venv/bin/python -m bench.delivery --chats 10000 --paid          # allow_paid_broadcast, 1,000/s limit

The emulator runs in a child process (so that it does not share this process's event loop) with
the limits of Telegram: 30 messages/s overall (1,000/s for paid broadcasts), 1/s per chat, 20/min per
group, 429 with retry_after beyond them. This process runs the bot's own digest service: compose,
record, send and record each message, exactly as a scheduled run does. The emulator counts what it
accepted: the achieved rate (first to last accepted message), duplicates, chats without a digest, 429s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.config import load_settings
from bot.delivery import Broadcaster
from bot.digest import store
from bot.digest.inputs import story_inputs
from bot.digest.service import DigestService
from bot.emulator.server import BotAPIEmulator, FloodLimits
from bot.ingest.documents import parse_message_text
from bot.telegram.i18n import create_i18n
from bot.telegram.replies.digest import renderer
from bot.workers import WorkerPool
from storage.articles import ArticleRepo
from storage.database import Database
from storage.stories import ArticleText, StoryRepo
from storage.subscriptions import DeliveryRepo, Slot, SubscriptionRepo

FIRST_CHAT = 10_000_000
STORIES = (
    ("Мост через Томь закрыли на ремонт", "Коммунальный мост через Томь в Томске закрыли на три месяца."),
    ("В Казани открыли станцию метро", "Станцию метро «Дубравная» открыли в Казани в пятницу утром."),
    (
        "Спартак обыграл Зенит",
        "Спартак обыграл Зенит в матче чемпионата России по футболу со счетом два один.",
    ),
)


# ----- the emulator side (child process) -----
async def serve(per_second: float, paid_per_second: float) -> None:
    emulator = BotAPIEmulator()
    emulator.faults.limits = FloodLimits(
        per_second=per_second, per_chat_per_second=1, group_per_minute=20, paid_per_second=paid_per_second
    )
    accepted: list[float] = []
    calls = 0
    original = emulator._m_sendmessage

    async def counted(params: dict[str, Any]) -> dict[str, Any]:
        nonlocal calls
        calls += 1
        result = await original(params)
        accepted.append(time.monotonic())
        return result

    emulator._m_sendmessage = counted  # type: ignore[method-assign]
    print(await emulator.start(), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    per_chat = Counter(m["chat"]["id"] for m in emulator.messages())
    flood = sum(1 for method, code, _ in emulator.refused if method == "sendMessage" and code == 429)
    report = {
        "calls": calls,
        "accepted": len(accepted),
        "seconds": (accepted[-1] - accepted[0]) if len(accepted) > 1 else 0.0,
        "chats": len(per_chat),
        "duplicates": sum(n - 1 for n in per_chat.values() if n > 1),
        "per_chat": dict(per_chat),
        "flood_429": flood,
        "other_refusals": len(emulator.refused) - flood,
        "cpu": time.process_time(),
    }
    print(json.dumps(report), flush=True)
    await emulator.stop()


# ----- the bot side -----
async def prepare(database: Path, chats: int, slot: Slot, scheduled: datetime) -> None:
    db = Database(database)
    await db.open()
    try:
        articles, stories = ArticleRepo(db), StoryRepo(db)
        for title, text in STORIES:
            prepared = parse_message_text(
                f"{title}\n{text} Подробности сообщат позже, говорится в сообщении.", "UTC"
            )
            assert prepared is not None
            a = (await articles.add(prepared.row, ingested_by=None)).article
            text = ArticleText(a.id, a.title, a.text, a.lang, a.published_at)
            await store.assign(stories, story_inputs([text], None))
        stamp = (scheduled - timedelta(minutes=1)).isoformat(timespec="seconds")
        await db.conn.executemany(
            "INSERT INTO subscriptions (chat_id, chat_type, language, send_at, timezone, topics, created_at,"
            " schedule_changed_at) VALUES (?, 'private', ?, ?, ?, ?, ?, ?)",
            [
                (
                    FIRST_CHAT + n,
                    "ru" if n % 2 else "en",
                    slot.send_at,
                    slot.timezone,
                    "" if n % 3 else "-футбол",
                    stamp,
                    stamp,
                )
                for n in range(chats)
            ],
        )
        await db.conn.commit()
    finally:
        await db.close()


async def run(chats: int, paid: bool, url: str, database: Path) -> dict[str, Any]:
    scheduled = datetime.now(UTC).replace(second=0, microsecond=0)
    slot = Slot(scheduled.strftime("%H:%M"), "UTC")
    await prepare(database, chats, slot, scheduled)
    settings = load_settings(
        bot_token=BotAPIEmulator().token, telegram_api_url=url, database_path=database, paid_broadcast=paid
    )
    db = Database(database)
    await db.open()
    workers = WorkerPool(1)
    service = DigestService(
        settings=settings,
        subscriptions=SubscriptionRepo(db),
        deliveries=DeliveryRepo(db),
        stories=StoryRepo(db),
        workers=workers,
        render=renderer(create_i18n()),
        scheduler=AsyncIOScheduler(timezone=UTC),
    )
    session = AiohttpSession(api=TelegramAPIServer.from_base(url))
    bot = Bot(settings.token or "", session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    service.broadcaster = Broadcaster(
        bot, rate=settings.broadcast_rate, paid=paid, paid_rate=settings.paid_broadcast_rate
    )
    try:
        cpu, wall = time.process_time(), time.monotonic()
        await service.run_slot(slot, scheduled)
        cpu, wall = time.process_time() - cpu, time.monotonic() - wall
        counts = await service.deliveries.counts()
    finally:
        await bot.session.close()
        await db.close()
        workers.close()
    report = service.broadcaster.report
    return {"cpu": cpu, "wall": wall, "deliveries": counts, "flood_waits": report.flood_waits}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.delivery")
    parser.add_argument("--chats", type=int, default=1000)
    parser.add_argument("--paid", action="store_true", help="allow_paid_broadcast against a 1,000/s limit")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--per-second", type=float, default=30)
    parser.add_argument("--paid-per-second", type=float, default=1000)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.per_second, args.paid_per_second))
        return 0
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.delivery",
            "--serve",
            "--per-second",
            str(args.per_second),
            "--paid-per-second",
            str(args.paid_per_second),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    url = child.stdout.readline().strip()
    with tempfile.TemporaryDirectory() as folder:
        bot_side = asyncio.run(run(args.chats, args.paid, url, Path(folder) / "bench.sqlite3"))
    child.stdin.write("report\n")
    child.stdin.flush()
    emulator = json.loads(child.stdout.readline())
    child.wait(timeout=30)
    expected = {FIRST_CHAT + n for n in range(args.chats)}
    got = {int(c) for c in emulator["per_chat"]}
    rate = (emulator["accepted"] - 1) / emulator["seconds"] if emulator["seconds"] else 0.0
    limit = args.paid_per_second if args.paid else args.per_second
    print(f"chats: {args.chats}, paid broadcast: {args.paid}, emulator limit: {limit:g} messages/s")
    print(
        f"messages accepted: {emulator['accepted']} in {emulator['seconds']:.1f}s → {rate:.1f} messages/s "
        f"({rate / limit:.1%} of the limit)"
    )
    print(
        f"duplicates: {emulator['duplicates']}, "
        f"lost (subscribed chats without a digest): {len(expected - got)}"
    )
    print(
        f"429 answers: {emulator['flood_429']} of {emulator['calls']} sends "
        f"({emulator['flood_429'] / max(emulator['calls'], 1):.2%}); "
        f"other refusals: {emulator['other_refusals']}"
    )
    print(f"emulator process: {emulator['cpu']:.1f}s CPU in all")
    print(
        f"bot side: run {bot_side['wall']:.1f}s wall, {bot_side['cpu']:.1f}s CPU; "
        f"deliveries {bot_side['deliveries']}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
