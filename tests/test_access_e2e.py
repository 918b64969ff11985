"""Private mode and inline mode end to end (#15): /allow and /deny, one refusal per stranger, nothing
stored for them; @bot words answered from the archive, in private mode only for those let in."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot.emulator import BotAPIEmulator, TelegramUser
from storage.access import AccessRepo
from tests.conftest import ADMIN, ADMIN_EN, READER, READER_EN, SEED, RunningBot, running_bot

GROUP = {"id": -1002001, "type": "supergroup", "title": "Редакция"}
CHANNEL = {"id": -1003001, "type": "channel", "title": "Новости <канала>", "username": "news_channel"}
STRANGER = TelegramUser(20, "Чужой", language_code="ru")
STRANGER_EN = TelegramUser(21, "Stranger", language_code="en")

ARTICLES = [
    {
        "title": "Переговоры в Минске <сорваны> & отложены",
        "date": "2025-11-20",
        "text": "Переговоры в Минске отложены. Министр иностранных дел Сергей Лавров заявил, "
        "что Москва готова продолжить переговоры в декабре.",
    },
]


async def settle(bot: RunningBot) -> None:
    """Every update sent so far has been taken and handled (so a missing reply is really missing)."""
    await bot.emulator.wait_for(lambda: bot.emulator.pending_updates == 0)
    await asyncio.sleep(0.1)  # the update taken by getUpdates becomes a task
    for _ in range(200):
        if not bot.app.inflight.tasks:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("updates still being handled")


def sent_to(bot: RunningBot, chat_id: int) -> list[str]:
    return [m["text"] for m in bot.emulator.messages(chat_id)]


@pytest.fixture
async def private_bot(emulator: BotAPIEmulator, tmp_path: Path):
    async with running_bot(emulator, tmp_path / "news.sqlite3", access="private") as running:
        yield running


async def test_a_stranger_is_refused_once_and_nothing_is_stored(private_bot: RunningBot) -> None:
    bot = private_bot
    (refusal,) = await bot.ask(STRANGER, "/search переговоры")
    assert "бот закрытый" in refusal["text"].lower() and str(STRANGER.id) in refusal["text"]
    await bot.emulator.send_text(STRANGER, "/latest")
    await bot.emulator.send_text(STRANGER, "просто текст")
    await bot.emulator.send_document(STRANGER, "news.jsonl", json.dumps(ARTICLES[0]).encode())
    query = await bot.emulator.press(STRANGER, refusal, "who:1")
    inline = await bot.emulator.inline_query(STRANGER, "переговоры")
    await settle(bot)
    assert sent_to(bot, STRANGER.id) == [refusal["text"]]  # one refusal, then silence
    assert bot.emulator.answered[query["id"]].get("text") is None  # the spinner stops, nothing said
    answer = await bot.emulator.inline_answer(inline)
    assert answer["results"] == [] and answer.get("button") is None and answer["is_personal"] is True
    stats = await bot.app.articles.stats()
    assert stats.total == 0  # the stranger's document was not stored


async def test_first_contact_by_button_or_inline_query_is_refused_in_kind(private_bot: RunningBot) -> None:
    bot = private_bot
    (start,) = await bot.ask(READER, "/start")  # READER is not let in either
    query = await bot.emulator.press(STRANGER_EN, start, "who:1")
    await bot.emulator.wait_for(lambda: query["id"] in bot.emulator.answered)
    answer = bot.emulator.answered[query["id"]]
    assert answer["show_alert"] is True and "private" in answer["text"]  # in the user's language
    inline = await bot.emulator.inline_query(TelegramUser(22, "Other", language_code="en"), "minsk")
    result = await bot.emulator.inline_answer(inline)
    assert result["results"] == [] and result["button"]["text"] == "🔒 Private bot"
    await settle(bot)
    assert sent_to(bot, STRANGER_EN.id) == []


async def test_a_group_is_refused_once_until_an_admin_lets_it_in(private_bot: RunningBot) -> None:
    bot = private_bot
    (refusal,) = await bot.ask(READER, "/latest", chat=GROUP)
    assert f"/allow {GROUP['id']}" in refusal["text"]
    await bot.emulator.send_text(STRANGER, "/who Лавров", chat=GROUP)
    await settle(bot)
    assert len(bot.emulator.messages(GROUP["id"])) == 1
    (let_in,) = await bot.ask(ADMIN, "/allow", chat=GROUP)  # an admin of the bot, inside the group
    assert "Редакция" in let_in["text"] and str(GROUP["id"]) in let_in["text"]
    (answer,) = await bot.ask(STRANGER, "/latest", chat=GROUP)  # anyone in a listed group
    assert "бот закрытый" not in answer["text"].lower()
    (private,) = await bot.ask(STRANGER, "/latest")  # but not in their own chat
    assert str(STRANGER.id) in private["text"]


async def test_allow_and_deny_a_user(private_bot: RunningBot) -> None:
    bot = private_bot
    (refusal,) = await bot.ask(READER, "/latest")
    assert str(READER.id) in refusal["text"]
    (done,) = await bot.ask(ADMIN, f"/allow {READER.id}")
    assert "Допущен" in done["text"]
    (again,) = await bot.ask(ADMIN, f"/allow {READER.id}")
    assert "уже" in again["text"]
    (latest,) = await bot.ask(READER, "/latest")
    assert "закрытый" not in latest["text"]
    await bot.ask(READER, "/subscribe 08:00")
    assert (await bot.app.digests.subscriptions.of_chat(READER.id)).active
    (denied,) = await bot.ask(ADMIN, f"/deny {READER.id}")
    assert "подписка" in denied["text"].lower()
    assert not (await bot.app.digests.subscriptions.of_chat(READER.id)).active
    (told_again,) = await bot.ask(READER, "/latest")  # off the list: told once more
    assert str(READER.id) in told_again["text"]
    (listing,) = await bot.ask(ADMIN, "/allow")
    assert "Доступ: закрытый" in listing["text"] and "В списке нет" in listing["text"]
    (missing,) = await bot.ask(ADMIN, f"/deny {READER.id}")
    assert "не было" in missing["text"]
    (admin,) = await bot.ask(ADMIN, f"/deny {ADMIN.id}")
    assert "ADMIN_IDS" in admin["text"]


async def test_allow_names_chats_by_at_name_and_refuses_bad_input(private_bot: RunningBot) -> None:
    bot = private_bot
    bot.emulator.add_chat(CHANNEL)
    (done,) = await bot.ask(ADMIN, "/allow @news_channel")
    assert "@news_channel" in done["text"] and str(CHANNEL["id"]) in done["text"]
    assert [e.id for e in await AccessRepo(bot.app.db).listed()] == [CHANNEL["id"]]
    for text, expected in [
        ("/allow @nobody_here", "Не вижу @nobody_here"),
        ("/allow <b>x</b>", "ни id"),
        ("/allow 0", "ни id"),
        ("/allow 99999999999999999", "ни id"),
        ("/deny @@", "ни id"),
    ]:
        (reply,) = await bot.ask(ADMIN, text)
        assert expected in reply["text"], text
    (refused,) = await bot.ask(READER, f"/allow {READER.id}")  # not an admin: refused (once), not let in
    assert str(READER.id) in refused["text"]
    assert [e.id for e in await AccessRepo(bot.app.db).listed()] == [CHANNEL["id"]]


async def test_open_mode_lets_everyone_in_and_says_the_list_waits(bot: RunningBot) -> None:
    (latest,) = await bot.ask(STRANGER, "/latest")
    assert "закрытый" not in latest["text"]
    (done,) = await bot.ask(ADMIN_EN, f"/allow {READER_EN.id}")
    assert "ACCESS=private" in done["text"]
    (refused,) = await bot.ask(STRANGER, "/allow 5")
    assert "админ" in refused["text"].lower()


async def test_inline_answers_from_the_archive_with_a_person_card(bot: RunningBot) -> None:
    data = "\n".join(json.dumps(a, ensure_ascii=False) for a in ARTICLES).encode()
    await bot.send_file(ADMIN, "news.jsonl", data)
    await bot.send_file(ADMIN, SEED.name, SEED.read_bytes())
    await bot.app.analyzer.idle()
    answer = await bot.emulator.inline_answer(await bot.emulator.inline_query(READER, "переговорам в Минске"))
    results = answer["results"]
    assert 1 <= len(results) <= 10 and answer["is_personal"] is False
    titles = [r["title"] for r in results]
    assert "Переговоры в Минске <сорваны> & отложены" in titles  # the list is plain text
    hit = next(r for r in results if r["title"].startswith("Переговоры в Минске"))
    content = hit["input_message_content"]
    assert "&lt;сорваны&gt; &amp; отложены" in content["message_text"]  # the message is escaped HTML
    assert content["text"].startswith("Переговоры в Минске <сорваны> & отложены\n20 ноября 2025")
    assert hit["reply_markup"]["inline_keyboard"][0][0]["url"] == "https://t.me/newsdigest_bot"

    person = await bot.emulator.inline_answer(await bot.emulator.inline_query(READER, "Лукашенко"))
    first = person["results"][0]
    assert first["id"].startswith("p") and first["title"] == "Александр Лукашенко"
    assert first["input_message_content"]["text"].startswith("👤 Александр Лукашенко")
    assert any(r["id"].startswith("a") for r in person["results"][1:])

    latest = await bot.emulator.inline_answer(await bot.emulator.inline_query(READER, "   "))
    assert len(latest["results"]) == 2  # no words: the newest articles

    nothing = await bot.emulator.inline_answer(await bot.emulator.inline_query(READER, "абракадабра"))
    assert nothing["results"] == []


async def test_inline_in_private_mode_answers_those_let_in(private_bot: RunningBot) -> None:
    bot = private_bot
    data = "\n".join(json.dumps(a, ensure_ascii=False) for a in ARTICLES).encode()
    await bot.send_file(ADMIN, "news.jsonl", data)
    await bot.ask(ADMIN, f"/allow {READER.id}")
    answer = await bot.emulator.inline_answer(await bot.emulator.inline_query(READER, "Минск"))
    assert [r["id"] for r in answer["results"]] != [] and answer["is_personal"] is True
