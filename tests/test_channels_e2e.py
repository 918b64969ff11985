"""Channels as sources end to end (#15): /addchannel checks the bot is an administrator, every text post
of a source channel is stored (the channel as source, its t.me link as URL), media alone is skipped, and an
edited post replaces its article's text and analysis."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.emulator import BotAPIEmulator
from handlers.channels import channel_ref
from storage.channels import ChannelRepo
from tests.conftest import ADMIN, READER, READER_EN, RunningBot, running_bot
from tests.test_access_e2e import settle

CHANNEL = {"id": -1006001, "type": "channel", "title": "Новости <клуба>", "username": "club_news"}
PRIVATE_CHANNEL = {"id": -1006002, "type": "channel", "title": "Закрытый канал"}
OTHER = {"id": -1006003, "type": "channel", "title": "Чужой канал", "username": "other_news"}
GROUP = {"id": -1006004, "type": "supergroup", "title": "Группа", "username": "club_group"}

POST = (
    "В Томске открыли пешеходный мост через Ушайку\n"
    "Мост длиной 48 метров соединил улицу Карташова с набережной, сообщил мэр Дмитрий Махинин."
)


def test_channel_references() -> None:
    assert channel_ref("@club_news") == "@club_news"
    assert channel_ref("club_news") == "@club_news"
    assert channel_ref("https://t.me/club_news") == "@club_news"
    assert channel_ref("t.me/s/club_news/") == "@club_news"
    assert channel_ref("-1006001") == -1006001
    for bad in ("", "hello world", "@ab", "-5", "12345", "https://example.org/club_news"):
        assert channel_ref(bad) is None, bad


async def stored_urls(bot: RunningBot) -> list[str]:
    return sorted(a.url or "" for a in await bot.app.articles.latest(20))


async def test_a_source_channel_has_its_text_posts_stored(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    emulator = bot.emulator
    for chat in (CHANNEL, PRIVATE_CHANNEL, OTHER, GROUP):
        emulator.add_chat(chat)
    (refused,) = await bot.ask(ADMIN, "/addchannel @club_news")
    assert "не администратор" in refused["text"] and "«Новости &lt;клуба&gt;»" not in refused["text"]
    assert "«Новости <клуба>»" in refused["text"]
    emulator.chat_admins[CHANNEL["id"]].add(int(emulator.token.split(":")[0]))
    emulator.chat_admins[PRIVATE_CHANNEL["id"]].add(int(emulator.token.split(":")[0]))
    (added,) = await bot.ask(ADMIN, "/addchannel https://t.me/club_news")
    assert added["text"].startswith("✅ «Новости <клуба>» (@club_news) теперь источник")
    (again,) = await bot.ask(ADMIN, "/addchannel @club_news")
    assert "уже источник" in again["text"]
    (private,) = await bot.ask(ADMIN, f"/addchannel {PRIVATE_CHANNEL['id']}")
    assert "Закрытый канал" in private["text"]

    first = await emulator.post_in_channel(CHANNEL, POST)
    await emulator.post_in_channel(CHANNEL, photo=True)  # a photo alone: nothing to read
    await emulator.post_in_channel(CHANNEL, photo=True, caption="Губернатор открыл второй мост через Томь")
    await emulator.post_in_channel(CHANNEL, "🔥🔥🔥 !!!")  # emoji alone: nothing to read, and no warning
    await emulator.post_in_channel(OTHER, "Пост канала, который не источник, не сохраняется.")
    secret = await emulator.post_in_channel(
        PRIVATE_CHANNEL, "В закрытом канале вышла новость о бюджете области."
    )
    await settle(bot)
    assert not [r for r in caplog.records if r.levelname == "WARNING" and "not stored" in r.getMessage()]
    urls = await stored_urls(bot)
    assert urls == sorted(
        [
            f"https://t.me/club_news/{first['message_id']}",
            f"https://t.me/club_news/{first['message_id'] + 2}",
            f"https://t.me/c/6002/{secret['message_id']}",
        ]
    )
    article = next(
        a
        for a in await bot.app.articles.latest(20)
        if a.url == f"https://t.me/club_news/{first['message_id']}"
    )
    assert (
        article.source == "Новости <клуба>"
        and article.title == "В Томске открыли пешеходный мост через Ушайку"
    )
    assert article.published_at == datetime.fromtimestamp(first["date"], UTC)

    await emulator.post_in_channel(CHANNEL, POST + " Повтор.", edit_of=first)  # an edit: the new text
    await settle(bot)
    edited = await bot.app.articles.get(article.id)
    assert edited is not None and edited.text.endswith("Повтор.") and edited.url == article.url
    await emulator.post_in_channel(CHANNEL, POST + " Повтор.")  # the same text again: a duplicate
    await settle(bot)
    assert len(await stored_urls(bot)) == 3

    (listing,) = await bot.ask(ADMIN, "/channels")
    assert "«Новости <клуба>» (@club_news) — сохранено постов: 2" in listing["text"]
    (removed,) = await bot.ask(ADMIN, "/delchannel @club_news")
    assert "больше не источник" in removed["text"] and "(2)" in removed["text"]
    await emulator.post_in_channel(CHANNEL, "После удаления источника посты не сохраняются, даже новые.")
    await settle(bot)
    assert len(await stored_urls(bot)) == 3


async def test_bad_channel_commands_are_explained(bot: RunningBot) -> None:
    bot.emulator.add_chat(GROUP)
    for text, expected in [
        ("/addchannel", "Как указать"),
        ("/addchannel hello world", "«hello world» — не канал"),
        ("/addchannel @no_such_channel", "Не вижу @no_such_channel"),
        ("/addchannel @club_group", "не канал: источником может быть только канал"),
        ("/delchannel @club_news", "не источник"),
        ("/channels", "Каналов-источников пока нет"),
    ]:
        (reply,) = await bot.ask(ADMIN, text)
        assert expected in reply["text"], text
    (refused,) = await bot.ask(READER, "/addchannel @club_news")
    assert "администратор" in refused["text"]
    assert await ChannelRepo(bot.app.db).listed() == []


async def test_in_private_mode_a_source_channel_passes_the_gate(
    emulator: BotAPIEmulator, tmp_path: Path
) -> None:
    async with running_bot(emulator, tmp_path / "news.sqlite3", access="private") as bot:
        emulator.add_chat(CHANNEL)
        emulator.chat_admins[CHANNEL["id"]].add(int(emulator.token.split(":")[0]))
        await bot.ask(ADMIN, "/addchannel @club_news")
        post = await emulator.post_in_channel(CHANNEL, POST)
        await settle(bot)
        assert await stored_urls(bot) == [f"https://t.me/club_news/{post['message_id']}"]


async def add_source(bot: RunningBot) -> None:
    bot.emulator.add_chat(CHANNEL)
    bot.emulator.chat_admins[CHANNEL["id"]].add(int(bot.emulator.token.split(":")[0]))
    await bot.ask(ADMIN, "/addchannel @club_news")


async def analysed(bot: RunningBot) -> None:
    await settle(bot)
    await bot.app.pipeline.settled()


async def test_an_edited_post_is_searched_and_known_by_its_new_text(bot: RunningBot) -> None:
    await add_source(bot)
    post = await bot.emulator.post_in_channel(
        CHANNEL,
        "Мэр Томска Дмитрий Махинин открыл мост через Ушайку\n"
        "Пешеходный мост через Ушайку открыл мэр Дмитрий Махинин. Дмитрий Махинин поблагодарил строителей.",
    )
    await analysed(bot)
    (before,) = await bot.app.articles.latest(5)
    (card,) = await bot.ask(READER_EN, "/who Махинин")
    assert card["text"].startswith("👤 Дмитрий Махинин") and "Ушайку" in card["text"]

    await bot.emulator.post_in_channel(
        CHANNEL,
        "Губернатор Владимир Мазур открыл каток на набережной\n"
        "Большой каток на набережной открыл губернатор Владимир Мазур. Владимир Мазур покатался первым.",
        edit_of=post,
    )
    await analysed(bot)

    (after,) = await bot.app.articles.latest(5)  # stored once: the same article, with the new text
    assert (after.id, after.url, after.published_at) == (before.id, before.url, before.published_at)
    assert after.title == "Губернатор Владимир Мазур открыл каток на набережной"
    (old_word,) = await bot.ask(READER_EN, "/search Ушайку")
    assert old_word["text"].startswith("Nothing found")
    (new_word,) = await bot.ask(READER_EN, "/search каток")
    assert "Губернатор Владимир Мазур открыл каток" in new_word["text"]
    (new_card,) = await bot.ask(READER_EN, "/who Мазур")
    assert (
        new_card["text"].startswith("👤 Владимир Мазур") and "открыл каток на набережной" in new_card["text"]
    )
    (old_card,) = await bot.ask(READER_EN, "/who Махинин")
    assert old_card["text"].startswith("I know nobody called")
    assert (await ChannelRepo(bot.app.db).listed())[0].posts == 1


async def test_an_edit_to_the_same_or_no_text_changes_nothing_and_an_unknown_post_is_stored(
    bot: RunningBot,
) -> None:
    await add_source(bot)
    post = await bot.emulator.post_in_channel(CHANNEL, POST)
    captioned = await bot.emulator.post_in_channel(
        CHANNEL, photo=True, caption="Губернатор открыл второй мост"
    )
    bare = await bot.emulator.post_in_channel(CHANNEL, photo=True)  # media alone: not stored
    await analysed(bot)
    rows = "SELECT a.*, s.analyzed_at FROM articles a JOIN analyses s ON s.article_id = a.id ORDER BY a.id"
    before = [tuple(r) for r in await bot.app.db.conn.execute_fetchall(rows)]
    assert len(before) == 2

    await bot.emulator.post_in_channel(CHANNEL, POST.replace("мост", "мост "), edit_of=post)  # the same text
    await bot.emulator.post_in_channel(CHANNEL, photo=True, edit_of=captioned)  # the caption removed
    await analysed(bot)
    assert [tuple(r) for r in await bot.app.db.conn.execute_fetchall(rows)] == before

    await bot.emulator.post_in_channel(
        CHANNEL, photo=True, caption="Фото недели: ледоход на Томи", edit_of=bare
    )
    await analysed(bot)
    urls = await stored_urls(bot)
    assert f"https://t.me/club_news/{bare['message_id']}" in urls and len(urls) == 3
    assert (await ChannelRepo(bot.app.db).listed())[0].posts == 3
