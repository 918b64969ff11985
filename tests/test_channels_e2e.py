"""Channels as sources end to end (#15): /addchannel checks the bot is an administrator, every text post
of a source channel is stored (the channel as source, its t.me link as URL), media alone is skipped."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.emulator import BotAPIEmulator
from handlers.channels import channel_ref
from storage.channels import ChannelRepo
from tests.conftest import ADMIN, READER, RunningBot, running_bot
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


async def test_a_source_channel_has_its_text_posts_stored(bot: RunningBot) -> None:
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
    await emulator.post_in_channel(OTHER, "Пост канала, который не источник, не сохраняется.")
    secret = await emulator.post_in_channel(
        PRIVATE_CHANNEL, "В закрытом канале вышла новость о бюджете области."
    )
    await settle(bot)
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

    await emulator.post_in_channel(CHANNEL, POST + " Повтор.", edit_of=first)  # an edit: the first text stays
    await emulator.post_in_channel(CHANNEL, POST)  # the same text again: a duplicate
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
