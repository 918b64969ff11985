"""The broadcaster over the emulator: a flood wait pauses every send; errors end or retry as they mean."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode

from bot import delivery
from bot.delivery import Broadcaster, Outcome, Parcel
from bot.emulator import BotAPIEmulator
from bot.emulator.server import APIError


class RecordingLedger:
    def __init__(self) -> None:
        self.sent: list[tuple[int, int, int]] = []  # (parcel key, part index, message id)
        self.moved: list[tuple[int, int]] = []
        self.outcomes: dict[int, tuple[Outcome, str | None]] = {}

    async def part_sent(self, parcel: Parcel, index: int, message_id: int) -> None:
        self.sent.append((parcel.key, index, message_id))

    async def chat_moved(self, parcel: Parcel, new_chat_id: int) -> None:
        self.moved.append((parcel.chat_id, new_chat_id))

    async def finished(self, parcel: Parcel, outcome: Outcome, error: str | None) -> None:
        self.outcomes[parcel.key] = (outcome, error)


@pytest.fixture
async def telegram(emulator: BotAPIEmulator) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(emulator.url))
    bot = Bot(emulator.token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    yield bot
    await bot.session.close()


def send_times(emulator: BotAPIEmulator) -> list[tuple[float, bool]]:
    """Wraps the emulator's sendMessage to note when each call arrived and whether it was refused."""
    arrivals: list[tuple[float, bool]] = []
    original = emulator._m_sendmessage

    async def noted(params: dict[str, Any]) -> dict[str, Any]:
        now = time.monotonic()
        try:
            result = await original(params)
        except APIError:
            arrivals.append((now, True))
            raise
        arrivals.append((now, False))
        return result

    emulator._m_sendmessage = noted  # type: ignore[method-assign]
    return arrivals


def parcels(count: int, parts: int = 1) -> list[Parcel]:
    return [
        Parcel(key=n, chat_id=1000 + n, parts=tuple(f"digest {n}, part {p}" for p in range(parts)))
        for n in range(count)
    ]


async def test_flood_wait_pauses_all_chats_and_every_message_arrives_once(
    emulator: BotAPIEmulator, telegram: Bot
) -> None:
    emulator.faults.limits.per_second = 5
    emulator.faults.limits.retry_after = 1
    arrivals = send_times(emulator)
    ledger = RecordingLedger()
    report = await Broadcaster(telegram, rate=30).broadcast(parcels(12), ledger)
    assert report.flood_waits >= 1
    assert sorted(m["chat"]["id"] for m in emulator.messages()) == [1000 + n for n in range(12)]
    assert {outcome for outcome, _ in ledger.outcomes.values()} == {Outcome.SENT}
    first_refused = next(t for t, refused in arrivals if refused)
    # Requests sent before the first 429 came back may arrive just after it (a few ms here, under load
    # more); every request sent after it waits out retry_after.
    in_flight = 0.1
    after = [t for t, _ in arrivals if t > first_refused + in_flight]
    assert after and all(t - first_refused >= 0.95 for t in after)  # no chat tried during retry_after


async def test_blocked_missing_and_bad_requests_end_without_retry(
    emulator: BotAPIEmulator, telegram: Bot
) -> None:
    emulator.faults.blocked.add(1000)
    emulator.faults.missing.add(1001)
    ledger = RecordingLedger()
    broken = Parcel(key=2, chat_id=1002, parts=("<b>unclosed",))
    report = await Broadcaster(telegram).broadcast([*parcels(2), broken], ledger)
    assert ledger.outcomes[0][0] == Outcome.BLOCKED
    assert ledger.outcomes[1][0] == Outcome.GONE
    assert ledger.outcomes[2][0] == Outcome.FAILED and "chat not found" not in (ledger.outcomes[2][1] or "")
    assert sum(1 for method, _ in emulator.calls if method == "sendMessage") == 3
    assert report.outcomes == {"blocked": 1, "gone": 1, "failed": 1}


async def test_migrated_group_gets_the_message_at_its_new_id(emulator: BotAPIEmulator, telegram: Bot) -> None:
    emulator.faults.migrated[-500] = -1009000000500
    ledger = RecordingLedger()
    group = Parcel(key=7, chat_id=-500, parts=("digest",), is_group=True)
    assert await Broadcaster(telegram).deliver(group, ledger) == Outcome.SENT
    assert ledger.moved == [(-500, -1009000000500)]
    assert [m["chat"]["id"] for m in emulator.messages()] == [-1009000000500]


async def test_server_errors_are_retried_with_backoff_then_given_up(
    emulator: BotAPIEmulator, telegram: Bot
) -> None:
    emulator.faults.server_errors = 2
    ledger = RecordingLedger()
    broadcaster = Broadcaster(telegram, backoff_base=0.01)
    assert await broadcaster.deliver(parcels(1)[0], ledger) == Outcome.SENT
    assert len(emulator.messages()) == 1 and broadcaster.report.retries == 2

    emulator.faults.server_errors = 1000
    calls = sum(1 for method, _ in emulator.calls if method == "sendMessage")
    assert await broadcaster.deliver(parcels(2)[1], ledger) == Outcome.GAVE_UP
    assert sum(1 for method, _ in emulator.calls if method == "sendMessage") - calls == delivery.MAX_ATTEMPTS


async def test_flood_waits_are_bounded(
    emulator: BotAPIEmulator, telegram: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delivery, "MAX_FLOOD_WAITS", 2)
    emulator.faults.limits.per_second = 0  # every send refused
    ledger = RecordingLedger()
    assert await Broadcaster(telegram).deliver(parcels(1)[0], ledger) == Outcome.GAVE_UP
    assert len(emulator.refused) == delivery.MAX_FLOOD_WAITS + 1
    assert ledger.sent == []


async def test_parts_of_one_digest_go_in_order_a_second_apart_and_resume_skips_sent_ones(
    emulator: BotAPIEmulator, telegram: Bot
) -> None:
    emulator.faults.limits.per_chat_per_second = 1
    ledger = RecordingLedger()
    resumed = Parcel(key=1, chat_id=42, parts=("one", "two", "three"), first=1)
    assert await Broadcaster(telegram).deliver(resumed, ledger) == Outcome.SENT
    assert [m["text"] for m in emulator.messages(42)] == ["two", "three"]
    assert [index for _, index, _ in ledger.sent] == [1, 2]
    assert not emulator.refused
