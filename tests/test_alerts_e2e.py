"""Instant alerts end to end (#15): /alert in a chat, a new story on its topics sent once as it appears,
a follow-up only with a new fact and at most hourly, quiet hours and the hourly limit folding into the
digest, groups set by their admins, bad input explained, and two instances sending each alert once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.alerts.service import AlertService
from bot.delivery import MemoryBook
from bot.emulator import BotAPIEmulator, TelegramUser
from bot.telegram.replies.alerts import renderer
from storage.alerts import AlertRepo
from tests.conftest import ADMIN, READER, READER_EN, RunningBot
from tests.test_subscriptions_e2e import FOOTBALL, TALKS, add

TALKS_AGAIN = (
    "Переговоры в Минске пройдут на следующей неделе\n"
    "Переговоры в Минске пройдут на следующей неделе, заявил президент Белоруссии Александр Лукашенко. "
    "Делегации обсудят мирный план и обмен пленными."
)
TALKS_NEWS = (
    "Лукашенко назвал дату переговоров в Минске\n"
    "Переговоры в Минске начнутся во вторник, сообщил президент Белоруссии Александр Лукашенко. "
    "Делегации обсудят мирный план и обмен пленными, а также поставки зерна через порты Балтики."
)
GROUP = {"id": -1008001, "type": "supergroup", "title": "Редакция"}


def alerts_to(emulator: BotAPIEmulator, chat_id: int) -> list[str]:
    return [m["text"] for m in emulator.messages(chat_id) if m["text"].startswith(("⚡", "🔁"))]


async def run_alerts(bot: RunningBot, minutes_later: float = 0) -> None:
    later = datetime.now(UTC) + timedelta(minutes=minutes_later)
    bot.app.alerts.clock = lambda: later
    await bot.app.alerts.run()


async def test_a_new_story_on_the_topics_is_sent_once_and_followed_up_only_with_news(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    await run_alerts(bot)  # the first run: what the archive holds is not news
    (on,) = await bot.ask(READER, "/alert переговоры, -футбол")
    assert on["text"].startswith("🔔 Оповещения включены: переговоры, -футбол")
    await add(bot, TALKS, "ТАСС")
    await add(bot, FOOTBALL, "Спорт")
    await run_alerts(bot)
    await run_alerts(bot)  # a second run, or a second instance: nothing twice
    (alert,) = alerts_to(emulator, READER.id)
    assert alert.startswith("⚡ Новое: Лукашенко заявил о переговорах в Минске\n")
    assert "переговоры в Минске пройдут на следующей неделе" in alert and "ТАСС" in alert

    await add(bot, TALKS_AGAIN, "РИА Новости")  # the same facts again: no follow-up
    await run_alerts(bot, minutes_later=61)
    assert len(alerts_to(emulator, READER.id)) == 1
    await add(bot, TALKS_NEWS, "Интерфакс")  # a new fact, but within the hour of the alert
    await run_alerts(bot, minutes_later=30)
    assert len(alerts_to(emulator, READER.id)) == 1
    await run_alerts(bot, minutes_later=61)
    _, update = alerts_to(emulator, READER.id)
    assert update.startswith("🔁 Продолжение:") and "зерна" in update and "Интерфакс" in update
    await run_alerts(bot, minutes_later=200)
    assert len(alerts_to(emulator, READER.id)) == 2  # nothing newer since


async def test_quiet_hours_and_the_hourly_limit_fold_alerts_into_the_digest(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    await run_alerts(bot)
    await bot.ask(READER_EN, "/alert переговоры, футбол")
    now = datetime.now(UTC).astimezone(ZoneInfo("Europe/Moscow"))
    start, end = (now - timedelta(hours=1)).strftime("%H:%M"), (now + timedelta(hours=1)).strftime("%H:%M")
    (quiet,) = await bot.ask(READER_EN, f"/alert quiet {start}-{end}")
    assert quiet["text"].startswith(f"🌙 Quiet hours: {start}–{end} (Europe/Moscow)")
    await add(bot, TALKS, "ТАСС")
    await run_alerts(bot)
    assert alerts_to(emulator, READER_EN.id) == []  # folded: the next digest has it
    await bot.ask(READER_EN, "/alert quiet off")
    await bot.ask(READER_EN, "/alert limit 1")
    await add(bot, FOOTBALL, "Спорт")
    await run_alerts(bot)
    (sent,) = alerts_to(emulator, READER_EN.id)
    assert sent.startswith("⚡ New: Спартак обыграл Зенит")
    assert "(1 more held back: quiet hours or the hourly limit; the next digest has them)" in sent
    await add(
        bot, "Финал кубка по футболу перенесли\nФинал кубка России по футболу перенесли на июнь.", "Спорт"
    )
    await run_alerts(bot)
    assert len(alerts_to(emulator, READER_EN.id)) == 1  # over the limit of one an hour
    (setting,) = await bot.ask(READER_EN, "/alert")
    assert "At most 1 an hour" in setting["text"]


async def test_groups_set_alerts_through_their_admins_and_bad_input_is_explained(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    member = TelegramUser(30, "Участник", language_code="ru")
    (refused,) = await bot.ask(member, "/alert переговоры", chat=GROUP)
    assert "администратор" in refused["text"]
    emulator.chat_admins[GROUP["id"]].add(ADMIN.id)
    (on,) = await bot.ask(ADMIN, "/alert переговоры", chat=GROUP)
    assert on["text"].startswith("🔔")
    for text, expected in [
        ("/alert quiet 25:00-08:00", "не промежуток времени"),
        ("/alert quiet 23:00-08:00 Mars/Olympus", "Неизвестный часовой пояс «Mars/Olympus»"),
        ("/alert limit 100", "от 1 до 60"),
        ("/alert -спорт", "хотя бы одна тема"),
    ]:
        (reply,) = await bot.ask(READER, text)
        assert expected in reply["text"], text
    (first,) = await bot.ask(READER, "/alert quiet 23:00-08:00")
    assert "Сначала задайте темы" in first["text"]
    (on_nothing,) = await bot.ask(READER, "/alert on")  # "on" is no topic: there are none to turn on
    assert "Сначала задайте темы" in on_nothing["text"], on_nothing["text"]
    (off,) = await bot.ask(READER, "/alert off")
    assert "не были включены" in off["text"]
    repo: AlertRepo = bot.app.alerts.repo
    assert await repo.of_chat(READER.id, None) is None
    group = await repo.of_chat(GROUP["id"], None)
    assert group is not None and group.created_by == ADMIN.id
    # off, then on again: the topics set before, not an alert on the word "on"
    await bot.ask(ADMIN, "/alert off", chat=GROUP)
    (again,) = await bot.ask(ADMIN, "/alert on", chat=GROUP)
    assert again["text"].startswith("🔔 Оповещения включены: переговоры."), again["text"]
    group = await repo.of_chat(GROUP["id"], None)
    assert group is not None and group.active and group.topics == "переговоры"


async def test_two_instances_send_each_alert_once(bot: RunningBot, emulator: BotAPIEmulator) -> None:
    await run_alerts(bot)
    for n in range(5):
        user = TelegramUser(40 + n, f"Reader {n}", language_code="ru")
        await bot.ask(user, "/alert переговоры")
    await add(bot, TALKS, "ТАСС")
    other = AlertService(AlertRepo(bot.app.db), renderer(bot.app.i18n))  # a second instance's service
    book = MemoryBook()
    assert bot.app.alerts.broadcaster is not None
    other.start(bot.app.alerts.broadcaster.bot, book)
    await asyncio.gather(bot.app.alerts.run(), other.run())
    for n in range(5):
        assert len(alerts_to(emulator, 40 + n)) == 1


async def test_a_chat_that_blocked_the_bot_gets_no_more_alerts(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    await run_alerts(bot)
    await bot.ask(READER, "/alert переговоры")
    emulator.faults.blocked.add(READER.id)
    await add(bot, TALKS, "ТАСС")
    await run_alerts(bot)
    setting = await bot.app.alerts.repo.of_chat(READER.id, None)
    assert setting is not None and not setting.active
