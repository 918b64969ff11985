"""Every update gets an answer, end to end: a failing handler, stale and forged buttons, numbers too big
for SQLite, a document captioned /ingest, and replies that meet a flood wait."""

from __future__ import annotations

import logging
import random
import string
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from aiogram import F, Router
from aiogram.exceptions import TelegramRetryAfter
from aiogram.filters import Command
from aiogram.methods import SendMessage
from aiogram.types import CallbackQuery, Message

import handlers
from bot.delivery import Broadcaster, Outcome, Parcel
from bot.emulator import BotAPIEmulator, TelegramUser
from bot.telegram.retry import RetryAfter
from tests.conftest import ADMIN, ADMIN_EN, READER, READER_EN, RunningBot, running_bot

APOLOGY_RU = "⚠️ У меня что-то сломалось, и запрос не выполнен. Попробуйте ещё раз позже."
APOLOGY_EN = "⚠️ Something went wrong on my side and the request was not completed. Please try again later."
STALE_RU = (
    "Эта кнопка устарела или повреждена: ничего не изменено. Отправьте команду ещё раз, "
    "чтобы получить новые кнопки."
)
STALE_EN = "This button is stale or broken: nothing was changed. Send the command again for fresh buttons."
HUGE = "99999999999999999999"  # past SQLite's INTEGER: sqlite3 raised OverflowError


def failing_router() -> Router:
    """A feature with a bug, for the error router to catch: /boom fails, and so do its buttons."""
    router = Router(name="failing")

    @router.message(Command("boom"))
    async def boom(message: Message) -> None:
        raise RuntimeError("boom in a handler")

    @router.callback_query(F.data == "boom")
    async def boom_button(query: CallbackQuery) -> None:
        raise RuntimeError("boom in a button")

    @router.callback_query(F.data == "boom-after-answer")
    async def boom_after_answer(query: CallbackQuery) -> None:
        await query.answer()
        raise RuntimeError("boom after the answer")

    return router


@pytest_asyncio.fixture
async def failing_bot(
    emulator: BotAPIEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[RunningBot]:
    original = handlers.create_routers
    monkeypatch.setattr(handlers, "create_routers", lambda: [failing_router(), *original()])
    async with running_bot(emulator, tmp_path / "news.sqlite3") as running:
        yield running


async def press(emulator: BotAPIEmulator, user: TelegramUser, message: dict[str, Any], data: str) -> dict:
    """A button press and the answer to its query (waits for it)."""
    query = await emulator.press(user, message, data)
    await emulator.wait_for(lambda: query["id"] in emulator.answered)
    return emulator.answered[query["id"]]


def failures(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_failing_handler_is_logged_once_and_the_user_gets_an_apology(
    failing_bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    (reply,) = await failing_bot.ask(READER, "/boom")
    assert reply["text"] == APOLOGY_RU
    update_id = failing_bot.emulator.delivered_update_ids[-1]
    (record,) = failures(caplog)  # once: aiogram itself does not log it again
    assert record.getMessage() == f"update {update_id} failed: RuntimeError('boom in a handler')"
    assert record.exc_info is not None and "boom in a handler" in str(record.exc_info[1])
    (english,) = await failing_bot.ask(READER_EN, "/boom")
    assert english["text"] == APOLOGY_EN
    assert len(failures(caplog)) == 2


async def test_a_failing_button_is_answered_with_an_alert(
    failing_bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    emulator = failing_bot.emulator
    (start,) = await failing_bot.ask(READER_EN, "/start")
    sent = len(emulator.messages(READER_EN.id))
    answer = await press(emulator, READER_EN, start, "boom")
    assert answer["text"] == APOLOGY_EN and answer["show_alert"] is True
    assert len(emulator.messages(READER_EN.id)) == sent  # the alert is the apology
    (record,) = failures(caplog)
    assert record.getMessage().endswith(" failed: RuntimeError('boom in a button')")


async def test_a_button_that_fails_after_its_answer_gets_the_apology_in_the_chat(
    failing_bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    emulator = failing_bot.emulator
    (start,) = await failing_bot.ask(READER, "/start")
    before = len(emulator.messages(READER.id))
    await emulator.press(READER, start, "boom-after-answer")
    (apology,) = await emulator.replies(READER.id, 1, after=before)
    assert apology["text"] == APOLOGY_RU
    assert len(failures(caplog)) == 1


def forged_buttons() -> list[str]:
    letters = random.Random(10).choices(string.ascii_letters, k=40)
    return [
        "digest",
        "who:abc",
        f"who:{HUGE}",
        "who:0",
        "who:-1",
        "tl:person:1:1:maybe",
        f"tl:e:{HUGE}:0:0",
        "tl:e:1:-5:1",
        "tl:r:1:0:0",  # a recent page ending on 1 January of year 1: its first day would not exist
        f"tl:r:{HUGE}:0:1",
        "",
        "".join(letters),
        "digest:time:2500",
        "digest:time:²³00",
        "digest:zone:Mars/Olympus",
        "digest:pause:now",
        "digest:explode:",
        "digest:time:0800:extra",
        ":::",
    ]


async def test_stale_and_forged_buttons_get_an_alert_and_change_nothing(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    emulator = bot.emulator
    await bot.ask(READER, "/subscribe 08:30 Europe/Berlin")
    (settings,) = await bot.ask(READER, "/settings")
    subscription = await bot.app.digests.subscriptions.of_chat(READER.id)
    sent = [dict(m) for m in emulator.messages(READER.id)]
    for data in forged_buttons():
        answer = await press(emulator, READER, settings, data)
        assert (answer.get("text"), answer.get("show_alert")) == (STALE_RU, True), data
    assert await bot.app.digests.subscriptions.of_chat(READER.id) == subscription
    assert emulator.messages(READER.id) == sent  # nothing sent, nothing edited
    english = await press(emulator, READER_EN, settings, "who:abc")
    assert english["text"] == STALE_EN
    assert failures(caplog) == []


async def test_a_real_settings_button_still_works(bot: RunningBot) -> None:
    emulator = bot.emulator
    await bot.ask(READER, "/subscribe")
    (settings,) = await bot.ask(READER, "/settings")
    answer = await press(emulator, READER, settings, "digest:zone:Europe/Berlin")
    assert answer.get("show_alert") is not True
    subscription = await bot.app.digests.subscriptions.of_chat(READER.id)
    assert subscription is not None and subscription.timezone == "Europe/Berlin"


async def test_feed_numbers_too_big_for_sqlite_are_answered_and_change_nothing(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    commands = (f"/delfeed {HUGE}", f"/resumefeed {HUGE}", f"/feedinterval {HUGE} 10", f"/delfeed #{HUGE}")
    for command in commands:
        reply = await bot.reply(ADMIN, command)
        assert reply["text"] == f"Ленты #{HUGE} нет. Список лент — /feeds.", command
    interval = await bot.reply(ADMIN_EN, f"/feedinterval 1 {HUGE}")
    assert interval["text"] == "⚠️ The interval is a whole number of minutes from 5 to 1440."
    add = await bot.reply(ADMIN_EN, f"/addfeed https://example.com/rss {HUGE}")
    assert add["text"] == "⚠️ The interval is a whole number of minutes from 5 to 1440."
    for command in ("/delfeed ²", "/resumefeed ٣", "/delfeed -1", "/delfeed " + "9" * 200):
        usage = await bot.reply(ADMIN_EN, command)
        assert usage["text"].startswith("Send the feed's number from /feeds"), command
    usage = await bot.reply(ADMIN_EN, "/feedinterval ² 10")
    assert usage["text"].startswith("Send the feed's number and the minutes")
    assert await bot.app.feeds.all_feeds() == []
    assert failures(caplog) == []


def article(title: str) -> bytes:
    return f"{title}\nДелегации встретились в Женеве и обсудили мирный план: {title.lower()}.".encode()


async def test_a_document_captioned_ingest_is_ingested(bot: RunningBot) -> None:
    plain = await bot.send_file(ADMIN, "a.txt", article("Переговоры в Женеве"), caption="/ingest")
    assert plain["text"].startswith("✅ Сохранено #1: Переговоры в Женеве (")
    mention = await bot.send_file(
        ADMIN, "b.txt", article("Встреча в Минске"), caption="/ingest@newsdigest_bot"
    )
    assert mention["text"].startswith("✅ Сохранено #2: Встреча в Минске (")
    # Words after the command do not replace the file's title: a document has its own.
    titled = await bot.send_file(
        ADMIN_EN, "c.txt", article("Саммит в Стамбуле"), caption="/ingest Something else"
    )
    assert titled["text"].startswith("✅ Saved #3: Саммит в Стамбуле (")
    assert await bot.app.articles.count() == 3


async def test_a_document_captioned_ingest_in_a_group_is_ingested_for_an_admin_only(bot: RunningBot) -> None:
    group = {"id": -1009, "type": "supergroup", "title": "Редакция"}
    before = len(bot.emulator.messages(group["id"]))
    await bot.emulator.send_document(
        ADMIN, "a.txt", article("Переговоры в Женеве"), caption="/ingest@newsdigest_bot", chat=group
    )
    (saved,) = await bot.emulator.replies(group["id"], 1, after=before)
    assert saved["text"].startswith("✅ Сохранено #1: Переговоры в Женеве (")
    refused = await bot.send_file(READER, "b.txt", article("Встреча в Минске"), caption="/ingest")
    assert refused["text"].startswith("⛔")
    assert await bot.app.articles.count() == 1


async def test_a_reply_that_meets_a_flood_wait_is_sent_after_it(bot: RunningBot) -> None:
    emulator = bot.emulator
    emulator.faults.limits.retry_after = 1
    emulator.faults.flood_waits = 2
    reply = await bot.reply(READER_EN, "/latest")
    assert reply["text"] == "The archive is empty so far."
    assert [(method, code) for method, code, _ in emulator.refused] == [("sendMessage", 429)] * 2
    replies = [p for m, p in emulator.calls if m == "sendMessage" and p["chat_id"] == READER_EN.id]
    assert len(replies) == 3  # two refused, the third accepted: one message for the user


async def test_a_flood_wait_past_the_cap_is_not_waited_out(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    emulator = bot.emulator
    emulator.faults.limits.retry_after = 120
    emulator.faults.flood_waits = 1
    reply = await bot.reply(READER_EN, "/latest")
    assert reply["text"] == APOLOGY_EN  # the reply was given up at once; the error router spoke
    assert [(method, code) for method, code, _ in emulator.refused] == [("sendMessage", 429)]
    (record,) = failures(caplog)
    assert "TelegramRetryAfter" in record.getMessage()


class Ledger:
    def __init__(self) -> None:
        self.outcomes: list[Outcome] = []

    async def part_sent(self, parcel: Parcel, index: int, message_id: int) -> None:
        pass

    async def chat_moved(self, parcel: Parcel, new_chat_id: int) -> None:
        pass

    async def finished(self, parcel: Parcel, outcome: Outcome, error: str | None) -> None:
        self.outcomes.append(outcome)


async def test_bulk_sends_see_their_flood_waits_themselves(bot: RunningBot) -> None:
    """The broadcaster pauses every chat on a 429: the bot's retry of replies must not hide it."""
    broadcaster = bot.app.digests.broadcaster
    assert broadcaster is not None
    emulator = bot.emulator
    emulator.faults.limits.retry_after = 1
    emulator.faults.flood_waits = 1
    sender = Broadcaster(broadcaster.bot, rate=30)  # the bot the app made, its retry middleware included
    ledger = Ledger()
    report = await sender.broadcast([Parcel(key=1, chat_id=5000, parts=("digest",))], ledger)
    assert report.flood_waits == 1
    assert ledger.outcomes == [Outcome.SENT]
    assert [m["text"] for m in emulator.messages(5000)] == ["digest"]


async def test_a_timeline_button_pressed_twice_is_no_error(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    emulator = bot.emulator
    (recent,) = await bot.ask(READER, "/timeline")
    sent = len(emulator.messages(READER.id))
    today = datetime.now(ZoneInfo("Europe/Moscow")).date().toordinal()
    for _ in range(2):  # the same page again: Telegram refuses the edit as "not modified"
        answer = await press(emulator, READER, recent, f"tl:r:{today}:0:0")
        assert answer.get("show_alert") is not True
    assert len(emulator.messages(READER.id)) == sent
    assert failures(caplog) == []


async def test_the_reply_retry_is_bounded_in_attempts_and_in_total_wait() -> None:
    method = SendMessage(chat_id=1, text="x")
    calls: list[int] = []

    async def always_flooded(bot: Any, method: Any) -> Any:
        calls.append(1)
        raise TelegramRetryAfter(method=method, message="Too Many Requests", retry_after=0)

    with pytest.raises(TelegramRetryAfter):
        await RetryAfter(max_retries=3)(always_flooded, None, method)  # type: ignore[arg-type]
    assert len(calls) == 4  # the call and 3 retries

    calls.clear()

    async def flooded_long(bot: Any, method: Any) -> Any:
        calls.append(1)
        raise TelegramRetryAfter(method=method, message="Too Many Requests", retry_after=31)

    with pytest.raises(TelegramRetryAfter):
        await RetryAfter(max_total_wait=30)(flooded_long, None, method)  # type: ignore[arg-type]
    assert len(calls) == 1  # a wait past the cap is not waited out at all
