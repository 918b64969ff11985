"""Digests to channels end to end (#15): a channel's admin subscribes it from a private chat, the bot checks
both rights with getChatMember and says what is missing; /settings and /unsubscribe @channel; the digest
goes to the channel; the subscriber losing their rights ends it."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.emulator import BotAPIEmulator
from handlers.subscriptions import ChannelSettingsAction, split_channel
from tests.conftest import ADMIN, READER, RunningBot
from tests.test_subscriptions_e2e import TALKS, add

CHANNEL = {"id": -1007001, "type": "channel", "title": "Новости <клуба>", "username": "club_news"}


def bot_id(emulator: BotAPIEmulator) -> int:
    return int(emulator.token.split(":")[0])


def test_a_channel_named_first() -> None:
    assert split_channel("@club_news 08:00 Лукашенко") == ("@club_news", "08:00 Лукашенко")
    assert split_channel("-1007001") == ("-1007001", "")
    assert split_channel("08:00 @club_news") == (None, "08:00 @club_news")
    assert split_channel("Лукашенко") == (None, "Лукашенко")


async def test_a_channel_is_subscribed_from_a_private_chat(bot: RunningBot, emulator: BotAPIEmulator) -> None:
    emulator.add_chat(CHANNEL)
    (unknown,) = await bot.ask(READER, "/subscribe @nobody_there 08:00")
    assert "Не вижу @nobody_there" in unknown["text"]
    (not_admin,) = await bot.ask(READER, "/subscribe @club_news 08:00")
    assert "Вы не администратор канала «Новости <клуба>»" in not_admin["text"]
    emulator.chat_admins[CHANNEL["id"]].add(READER.id)
    (no_bot,) = await bot.ask(READER, "/subscribe @club_news 08:00")
    assert "Я не могу публиковать в «Новости <клуба>»" in no_bot["text"]
    emulator.chat_admins[CHANNEL["id"]].add(bot_id(emulator))
    emulator.cannot_post.add(CHANNEL["id"])
    (no_rights,) = await bot.ask(READER, "/subscribe @club_news 08:00")
    assert "с правом публиковать" in no_rights["text"]
    assert await bot.app.digests.subscriptions.of_chat(CHANNEL["id"]) is None  # nothing stored so far
    emulator.cannot_post.clear()

    (done,) = await bot.ask(READER, "/subscribe @club_news 08:00 Europe/Moscow переговоры")
    assert done["text"].startswith("📣 Для @club_news") and "08:00" in done["text"]
    subscription = await bot.app.digests.subscriptions.of_chat(CHANNEL["id"])
    assert subscription is not None and subscription.chat_type == "channel"
    assert subscription.created_by == READER.id and subscription.topics == "переговоры"
    assert await bot.app.digests.subscriptions.of_chat(READER.id) is None  # the private chat has none

    (settings,) = await bot.ask(READER, "/settings @club_news")
    data = next(d for _, d in emulator.buttons(settings) if d.startswith("chdigest:time:0900"))
    assert ChannelSettingsAction.unpack(data).channel == CHANNEL["id"]
    await emulator.press(READER, settings, data)
    await emulator.wait_for(lambda: any(q.get("text") for q in emulator.answered.values()))
    changed = await bot.app.digests.subscriptions.of_chat(CHANNEL["id"])
    assert changed is not None and changed.send_at == "09:00"

    await add(bot, TALKS, "ТАСС")
    before = len(emulator.messages(CHANNEL["id"]))
    await bot.app.digests.run_slot(changed.slot, datetime.now(UTC))
    (digest,) = emulator.messages(CHANNEL["id"])[before:]
    assert "Лукашенко" in digest["text"]

    emulator.chat_admins[CHANNEL["id"]].discard(READER.id)  # no longer an admin: buttons refuse
    await emulator.press(READER, settings, next(d for _, d in emulator.buttons(settings) if ":pause" in d))
    await emulator.wait_for(
        lambda: any("не администратор" in (q.get("text") or "") for q in emulator.answered.values())
    )
    still = await bot.app.digests.subscriptions.of_chat(CHANNEL["id"])
    assert still is not None and not still.paused
    (refused,) = await bot.ask(READER, "/unsubscribe @club_news")
    assert "не администратор" in refused["text"]
    emulator.chat_admins[CHANNEL["id"]].add(READER.id)
    (stopped,) = await bot.ask(READER, "/unsubscribe @club_news")
    assert not (await bot.app.digests.subscriptions.of_chat(CHANNEL["id"])).active
    assert stopped["text"] != refused["text"]


async def test_the_subscriber_losing_their_rights_ends_the_channel_digest(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    emulator.add_chat(CHANNEL)
    emulator.chat_admins[CHANNEL["id"]].update({READER.id, ADMIN.id, bot_id(emulator)})
    await bot.ask(READER, "/subscribe @club_news 08:00")
    admin, member = emulator.member(ADMIN, "administrator"), emulator.member(ADMIN, "left")
    await emulator.membership_change(CHANNEL, ADMIN, admin, member, kind="chat_member")  # someone else
    reader_admin, reader_gone = emulator.member(READER, "administrator"), emulator.member(READER, "member")
    before = len(emulator.messages(READER.id))
    await emulator.membership_change(CHANNEL, ADMIN, reader_admin, reader_gone, kind="chat_member")
    (told,) = await emulator.replies(READER.id, 1, after=before)
    assert "«Новости <клуба>»" in told["text"] and "больше не администратор" in told["text"]
    ended = await bot.app.digests.subscriptions.of_chat(CHANNEL["id"])
    assert ended is not None and not ended.active and ended.ended_reason == "subscriber_not_admin"
