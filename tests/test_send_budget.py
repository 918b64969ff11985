"""One send budget for the token (#14): broadcasters that reserve their slots in the database (as every
instance of the bot does with SEND_BUDGET=database) stay within Telegram's rate together; a lane with a
share of its own (instant alerts) never takes more than its share."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode

from bot.delivery import Broadcaster, MemoryBook, Pacer, Parcel, SharedPacer
from bot.emulator import BotAPIEmulator
from storage.budget import SendBudgetRepo
from storage.database import Database
from tests.test_delivery import RecordingLedger, send_times

RATE = 10.0  # the bot's rate in these tests: short runs, the same arithmetic as 30/s
# Slots are paced 4 % under the rate; a send that leaves its slot late (a busy loop, a slow database) can
# still land within one second of the one ten slots later. Telegram's limit is "about 30/s"; here the
# emulator refuses the 12th send within a second, so a refusal means a real excess, not jitter.
LIMIT = RATE + 1


class TimedLedger(RecordingLedger):
    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    async def part_sent(self, parcel: Parcel, index: int, message_id: int) -> None:
        self.times.append(asyncio.get_running_loop().time())
        await super().part_sent(parcel, index, message_id)


def batch(first: int, count: int) -> list[Parcel]:
    return [Parcel(key=n, chat_id=5000 + n, parts=(f"message {n}",)) for n in range(first, first + count)]


@pytest.fixture
async def telegram(emulator: BotAPIEmulator) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(emulator.url))
    bot = Bot(emulator.token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    yield bot
    await bot.session.close()


def busiest_second(times: list[float]) -> int:
    times = sorted(times)
    return max(sum(1 for t in times[i:] if t - start < 1.0) for i, start in enumerate(times))


async def test_two_instances_sharing_the_budget_stay_within_the_rate(
    emulator: BotAPIEmulator,
    telegram: Bot,
    tmp_path: Path,
) -> None:
    emulator.faults.limits.per_second = LIMIT
    arrivals = send_times(emulator)
    db = Database(tmp_path / "budget.sqlite3")
    await db.open()
    try:
        # Two instances: two broadcasters, two connections' worth of reservations, one table.
        first = Broadcaster(telegram, rate=RATE, book=SendBudgetRepo(db))
        second = Broadcaster(telegram, rate=RATE, book=SendBudgetRepo(db))
        ledger = RecordingLedger()
        await asyncio.gather(first.broadcast(batch(0, 15), ledger), second.broadcast(batch(100, 15), ledger))
    finally:
        await db.close()
    assert len(ledger.sent) == 30 and not any(refused for _, refused in arrivals)
    assert busiest_second([t for t, _ in arrivals]) <= LIMIT


async def test_instances_pacing_alone_exceed_the_rate_together(
    emulator: BotAPIEmulator,
    telegram: Bot,
) -> None:
    """What the shared budget prevents: each instance alone within the rate, both together over it."""
    emulator.faults.limits.per_second = LIMIT
    arrivals = send_times(emulator)
    ledger = RecordingLedger()
    first, second = Broadcaster(telegram, rate=RATE), Broadcaster(telegram, rate=RATE)
    await asyncio.gather(first.broadcast(batch(0, 15), ledger), second.broadcast(batch(100, 15), ledger))
    assert any(refused for _, refused in arrivals)  # 429s: Telegram counted both instances' sends


async def test_a_lane_with_a_share_keeps_to_it_and_leaves_the_rest(
    emulator: BotAPIEmulator,
    telegram: Bot,
    tmp_path: Path,
) -> None:
    emulator.faults.limits.per_second = LIMIT
    arrivals = send_times(emulator)
    db = Database(tmp_path / "budget.sqlite3")
    await db.open()
    try:
        book = SendBudgetRepo(db)
        digests = Broadcaster(telegram, rate=RATE, book=book)
        alerts = Broadcaster(telegram, rate=RATE, book=book, share=("alerts", 0.5))
        alert_ledger, digest_ledger = TimedLedger(), TimedLedger()
        await asyncio.gather(
            alerts.broadcast(batch(0, 12), alert_ledger), digests.broadcast(batch(100, 20), digest_ledger)
        )
    finally:
        await db.close()
    assert not any(refused for _, refused in arrivals)
    assert busiest_second([t for t, _ in arrivals]) <= LIMIT
    assert busiest_second(alert_ledger.times) <= RATE / 2 + 1  # alerts keep to their half
    # while both were sending, digests got at least the other half
    overlap = min(max(alert_ledger.times), max(digest_ledger.times))
    start = min(alert_ledger.times + digest_ledger.times)
    digests_meanwhile = sum(1 for t in digest_ledger.times if t <= overlap)
    assert digests_meanwhile >= (overlap - start) * RATE / 2 * 0.8


async def test_a_flood_wait_holds_every_instance(
    emulator: BotAPIEmulator,
    telegram: Bot,
    tmp_path: Path,
) -> None:
    db = Database(tmp_path / "budget.sqlite3")
    await db.open()
    try:
        book = SendBudgetRepo(db)
        one, other = Broadcaster(telegram, rate=RATE, book=book), Broadcaster(telegram, rate=RATE, book=book)
        await one.pacer.pause(1.5)  # what a 429 with retry_after=1.5 in one instance does
        loop = asyncio.get_running_loop()
        started = loop.time()
        await other.pacer.turn()
        assert loop.time() - started >= 1.4
    finally:
        await db.close()


@pytest.mark.parametrize("shared", [False, True], ids=["pacer", "shared pacer"])
async def test_sends_waiting_through_a_stall_do_not_go_together(shared: bool) -> None:
    """Sends that wait for their slots while the event loop is blocked wake at one moment: each one woken
    long after its slot takes a new one, so the sends after a stall keep the pace (before, three or four
    went within 20 ms, and Telegram refused the one that made a second's count exceed the rate)."""
    pacer = SharedPacer(MemoryBook(), RATE) if shared else Pacer(RATE)
    returned: list[float] = []

    async def send() -> None:
        await pacer.turn()
        returned.append(time.monotonic())

    tasks = [asyncio.create_task(send()) for _ in range(16)]
    await asyncio.sleep(0.05)  # every send has its slot; the first has gone
    time.sleep(0.45)  # noqa: ASYNC251 -- the stall under test: a blocking call holds the loop past four slots
    await asyncio.gather(*tasks)
    assert len(returned) == 16
    after = sorted(returned)[1:]
    assert busiest_second(after) <= RATE
    # at most one send goes right away when the loop comes back; the others are paced after it
    assert sum(1 for t in after if t - after[0] < pacer.interval / 2) == 1
