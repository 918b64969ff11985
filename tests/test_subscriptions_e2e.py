"""Subscriptions end to end: /subscribe, /settings buttons, /digest, scheduled runs, groups, forum topics."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.digest import store
from bot.digest.inputs import story_inputs
from bot.emulator import BotAPIEmulator, TelegramUser
from bot.ingest.documents import parse_message_text
from storage.stories import ArticleText
from storage.subscriptions import Subscription
from tests.conftest import ADMIN, READER, READER_EN, RunningBot

TALKS = (
    "Лукашенко заявил о переговорах в Минске\n"
    "Президент Белоруссии Александр Лукашенко заявил, что переговоры в Минске пройдут на следующей неделе. "
    "Делегации обсудят мирный план и обмен пленными."
)
FOOTBALL = (
    "Спартак обыграл Зенит\n"
    "Спартак обыграл Зенит в матче чемпионата России по футболу со счетом два один. "
    "Победный гол забили на последней минуте матча."
)
FORUM = {"id": -1001500, "type": "supergroup", "title": "Новости <клуба>", "is_forum": True}


async def ingest(bot: RunningBot, text: str, source: str) -> None:
    """The real ingest path: parsing and story vectors in the worker processes, the stored-article hooks."""
    report = await bot.app.ingest.text(text, by=None, source=source)
    assert report.saved


async def add(bot: RunningBot, text: str, source: str) -> None:
    """Store an article and assign its story in this process: quicker than starting the worker processes."""
    prepared = parse_message_text(text, "Europe/Moscow", source=source)
    assert prepared is not None
    article = (await bot.app.articles.add(prepared.row, ingested_by=None)).article
    inputs = story_inputs(
        [ArticleText(article.id, article.title, article.text, article.lang, article.published_at)], None
    )
    await store.assign(bot.app.digests.stories, inputs)


async def subscription(bot: RunningBot, chat_id: int) -> Subscription:
    found = await bot.app.digests.subscriptions.of_chat(chat_id)
    assert found is not None
    return found


async def run_now(bot: RunningBot, chat_id: int) -> datetime:
    """The scheduled run of the chat's slot, as if due now."""
    scheduled = datetime.now(UTC)
    await bot.app.digests.run_slot((await subscription(bot, chat_id)).slot, scheduled)
    return scheduled


def button(emulator: BotAPIEmulator, message: dict[str, Any], data: str) -> str:
    assert data in [d for _, d in emulator.buttons(message)], emulator.buttons(message)
    return data


async def test_subscribe_with_defaults_and_change_the_time_with_a_button(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    (reply,) = await bot.ask(READER_EN, "/subscribe")
    assert reply["text"].startswith("✅ Subscribed: a digest every day at 09:00 (Europe/Moscow).")
    (settings,) = await bot.ask(READER_EN, "/settings")
    assert "Time: 09:00 (Europe/Moscow)" in settings["text"] and "Status: active" in settings["text"]
    await emulator.press(READER_EN, settings, button(emulator, settings, "digest:time:0800"))
    await emulator.wait_for(lambda: "Time: 08:00" in emulator.messages(READER_EN.id)[-1]["text"])
    assert set(bot.app.digests.scheduler.next_runs()) >= {"digest:08:00@Europe/Moscow"}
    assert "digest:09:00@Europe/Moscow" not in bot.app.digests.scheduler.next_runs()
    edited = emulator.messages(READER_EN.id)[-1]
    await emulator.press(READER_EN, edited, button(emulator, edited, "digest:pause:"))
    await emulator.wait_for(lambda: "Status: paused" in emulator.messages(READER_EN.id)[-1]["text"])
    assert "digest:08:00@Europe/Moscow" not in bot.app.digests.scheduler.next_runs()


async def test_invalid_time_or_zone_is_explained_and_changes_nothing(bot: RunningBot) -> None:
    (bad_time,) = await bot.ask(READER_EN, "/subscribe 25:99")
    assert (
        bad_time["text"].startswith("⚠️ “25:99” is not a time of day")
        and "/subscribe 08:30" in bad_time["text"]
    )
    assert await bot.app.digests.subscriptions.of_chat(READER_EN.id) is None
    await bot.ask(READER, "/subscribe 07:45 europe/berlin Лукашенко, -спорт")
    (bad_zone,) = await bot.ask(READER, "/subscribe 08:30 Mars/Olympus")
    assert "Mars/Olympus" in bad_zone["text"] and "Europe/Berlin" in bad_zone["text"]
    kept = await subscription(bot, READER.id)
    assert (kept.send_at, kept.timezone, kept.topics) == ("07:45", "Europe/Berlin", "Лукашенко, -спорт")
    # topics without a word made a second digest, of everything, beside the chat's own
    for wordless in ("/subscribe ,,,,", "/subscribe 09:00 -", "/subscribe — «»"):
        (no_words,) = await bot.ask(READER, wordless)
        assert no_words["text"].startswith("⚠️ В «") and "нет ни одной темы" in no_words["text"], wordless
    assert [s.id for s in await bot.app.digests.subscriptions.in_chat(READER.id, None)] == [kept.id]
    assert await subscription(bot, READER.id) == kept


async def test_digest_on_demand_says_when_there_is_nothing_new(bot: RunningBot) -> None:
    (empty,) = await bot.ask(READER_EN, "/digest")
    assert empty["text"] == "Nothing new in the last 24 hours."
    await ingest(bot, TALKS, "ТАСС")
    (digest,) = await bot.ask(READER_EN, "/digest")
    assert digest["text"].startswith("🗞 Digest for") and "Лукашенко заявил о переговорах" in digest["text"]
    (again,) = await bot.ask(READER_EN, "/digest")
    assert again["text"].startswith("Nothing new since the last digest")


async def test_scheduled_run_sends_each_chat_once_filters_topics_and_ends_blocked_chats(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    sport_fan = TelegramUser(12, "Fan", language_code="en")
    await bot.ask(READER, "/subscribe 09:00 Europe/Moscow переговоры")
    await bot.ask(READER_EN, "/subscribe 09:00 Europe/Moscow")
    await bot.ask(sport_fan, "/subscribe 09:00 Europe/Moscow теннис")  # nothing on its topic
    await add(bot, TALKS, "ТАСС")
    await add(bot, FOOTBALL, "Спорт")
    emulator.faults.blocked.add(READER_EN.id)
    before = {chat: len(emulator.messages(chat)) for chat in (READER.id, READER_EN.id, sport_fan.id)}
    scheduled = await run_now(bot, READER.id)
    await bot.app.digests.run_slot((await subscription(bot, READER.id)).slot, scheduled)  # a repeated run
    (digest,) = emulator.messages(READER.id)[before[READER.id] :]
    assert "Лукашенко заявил" in digest["text"] and "Спартак" not in digest["text"]
    assert len(emulator.messages(sport_fan.id)) == before[sport_fan.id]  # an empty digest is not sent
    assert len(emulator.messages(READER_EN.id)) == before[READER_EN.id]
    blocked = await subscription(bot, READER_EN.id)
    assert not blocked.active and blocked.ended_reason == "blocked"
    assert "digest:09:00@Europe/Moscow" in bot.app.digests.scheduler.next_runs()


async def test_a_digest_telegram_never_took_comes_with_the_next_one(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    reader = TelegramUser(31, "Ира", language_code="ru")
    await bot.ask(reader, "/subscribe 06:17 Asia/Tokyo")
    await add(bot, TALKS, "ТАСС")
    bot.app.digests.broadcaster.backoff_base = 0.01
    emulator.faults.server_errors = 1000  # Telegram answers 500 until the broadcaster gives up
    before = len(emulator.messages(reader.id))
    scheduled = await run_now(bot, reader.id)
    emulator.faults.server_errors = 0
    assert len(emulator.messages(reader.id)) == before
    told_until = (await subscription(bot, reader.id)).last_digest_until
    assert told_until is not None and told_until < scheduled  # back to before the failed digest
    (digest,) = await bot.ask(reader, "/digest")  # or the next scheduled one: it brings what failed
    assert "Лукашенко заявил о переговорах" in digest["text"]


async def test_group_digest_is_set_by_admins_and_goes_to_the_forum_topic(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    (refused,) = await bot.ask(READER, "/subscribe", chat=FORUM, thread_id=7)
    assert refused["text"].startswith("⛔")
    assert await bot.app.digests.subscriptions.of_chat(FORUM["id"]) is None
    emulator.chat_admins[FORUM["id"]].add(ADMIN.id)
    (done,) = await bot.ask(ADMIN, "/subscribe 10:00", chat=FORUM, thread_id=7)
    assert done["text"].startswith("✅")
    assert (await subscription(bot, FORUM["id"])).thread_id == 7
    await add(bot, TALKS, "ТАСС")
    before = len(emulator.messages(FORUM["id"]))
    await run_now(bot, FORUM["id"])
    (digest,) = emulator.messages(FORUM["id"])[before:]
    assert digest["message_thread_id"] == 7 and "Лукашенко" in digest["text"]


async def test_group_upgraded_to_supergroup_gets_the_digest_at_its_new_id(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    group = {"id": -4400, "type": "group", "title": "Старая группа"}
    emulator.chat_admins[-4400].add(ADMIN.id)
    await bot.ask(ADMIN, "/subscribe", chat=group)
    await add(bot, TALKS, "ТАСС")
    emulator.faults.migrated[-4400] = -1004400
    await run_now(bot, -4400)
    (digest,) = emulator.messages(-1004400)
    assert "Лукашенко" in digest["text"]
    moved = await subscription(bot, -1004400)
    assert moved.chat_type == "supergroup" and moved.active


async def test_digest_names_the_key_people_of_a_story(bot: RunningBot) -> None:
    await ingest(bot, TALKS, "БелТА")
    await bot.app.analyzer.idle()  # people come from the /who analysis of the article
    (reply,) = await bot.ask(READER, "/digest")
    assert "👤 Александр Лукашенко" in reply["text"]


TARIFFS = (
    "Trade ministers agree to halve steel tariffs\n"
    "Trade ministers agreed on Friday to halve steel tariffs from January. The deal covers imports from "
    "twelve countries."
)


async def test_each_chat_reads_its_own_language_first(bot: RunningBot) -> None:
    """Two stories alike in size and age, one Russian, one English: each reader's digest opens with the
    story in their language, and holds both."""
    await add(bot, TALKS, "ТАСС")
    await add(bot, TARIFFS, "Reuters")
    (russian,) = await bot.ask(READER, "/digest")
    (english,) = await bot.ask(READER_EN, "/digest")
    assert russian["text"].index("Лукашенко заявил") < russian["text"].index("Trade ministers")
    assert english["text"].index("Trade ministers") < english["text"].index("Лукашенко заявил")


RELEASE_INTRO = (
    "В этой статье собрана вся информация о новом релизе исполнителя. "
    "Для вашего удобства мы собираем тизеры, фото и клипы в одном посте. "
)
RELEASES = (
    "Группа «Северный ветер» представила клип\n"
    + RELEASE_INTRO
    + "Группа «Северный ветер» показала клип на песню о зимнем море, съёмки прошли на Камчатке.",
    "Певица Мира Лай выпустила альбом\n"
    + RELEASE_INTRO
    + "Певица Мира Лай выпустила первый альбом из десяти песен, записанный в Сеуле.",
    "Дуэт «Ночной город» объявил тур\n"
    + RELEASE_INTRO
    + "Дуэт «Ночной город» объявил тур по двенадцати городам, продажа билетов начнётся в пятницу.",
)


async def test_a_sites_boilerplate_never_summarises_its_stories(bot: RunningBot) -> None:
    """One site opens every post with the same intro: each story's summary is its own news, not the intro
    (the intro is the lead, which the summariser would take first)."""
    for text in RELEASES:
        await add(bot, text, "K-Pop Daily")
    (reply,) = await bot.ask(READER, "/digest")
    text = reply["text"]
    assert "показала клип на песню о зимнем море" in text, text
    assert "выпустила первый альбом из десяти песен" in text
    assert "объявил тур по двенадцати городам" in text
    assert "Для вашего удобства" not in text, text


async def test_time_and_zone_as_people_write_them(bot: RunningBot) -> None:
    # "/subscribe 8", "0830", "UTC+3", "+03:00", "MSK" were stored as topics beside the default time and zone
    (reply,) = await bot.ask(READER_EN, "/subscribe 8pm UTC+3 Trump")
    assert reply["text"].startswith("✅ Subscribed: a digest every day at 20:00 (UTC+3)."), reply["text"]
    stored = await subscription(bot, READER_EN.id)
    assert (stored.send_at, stored.timezone, stored.topics) == ("20:00", "Etc/GMT-3", "Trump")
    assert "digest:20:00@Etc/GMT-3" in bot.app.digests.scheduler.next_runs()
    (settings,) = await bot.ask(READER_EN, "/settings")
    assert "Time: 20:00 (UTC+3)" in settings["text"], settings["text"]
    (moscow,) = await bot.ask(READER, "/subscribe 8 МСК+4")  # Moscow time plus four hours
    assert moscow["text"].startswith("✅ Подписка оформлена: дайджест каждый день в 08:00 (UTC+7)."), moscow
    (holiday,) = await bot.ask(READER, "/subscribe 8 марта")  # a topic, not eight o'clock
    assert "в 09:00 (Europe/Moscow)" in holiday["text"] and "Темы: 8 марта" in holiday["text"], holiday
    (half_hour,) = await bot.ask(READER, "/subscribe 08:30 +05:30")
    assert "«+05:30»" in half_hour["text"] and "UTC+3" in half_hour["text"], half_hour["text"]
    (off,) = await bot.ask(READER, "/subscribe off")  # a digest on the word "off" was added
    assert off["text"].startswith("⚠️ «off» — не тема: /unsubscribe отключает дайджест"), off["text"]
    (not_a_time,) = await bot.ask(READER, "/subscribe 13pm")
    assert not_a_time["text"].startswith("⚠️ «13pm» — не время суток"), not_a_time["text"]


async def test_settings_or_unsubscribe_with_words_naming_no_channel_change_nothing(bot: RunningBot) -> None:
    # "/unsubscribe @x" (too short a name for a channel) was this chat's /unsubscribe
    await bot.ask(READER, "/subscribe 07:45 Лукашенко")
    for text in ("/unsubscribe @x", "/settings что-то", "/unsubscribe @club_news лишнее"):
        (reply,) = await bot.ask(READER, text)
        assert "— не канал." in reply["text"] and "например /" in reply["text"], (text, reply["text"])
    kept = await subscription(bot, READER.id)
    assert (kept.send_at, kept.topics, kept.active) == ("07:45", "Лукашенко", True)
