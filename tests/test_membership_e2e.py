"""The bot's own membership end to end (#15): removed, blocked or unable to post, a chat's digest ends and
its subscriber is told; added back, nothing resumes by itself."""

from __future__ import annotations

from bot.emulator import TelegramUser
from tests.conftest import ADMIN, READER, RunningBot
from tests.test_access_e2e import settle

GROUP = {"id": -1004001, "type": "supergroup", "title": "Клуб <читателей>"}
CHANNEL = {"id": -1005001, "type": "channel", "title": "Канал", "username": "club_channel"}


async def subscribed(bot: RunningBot, chat: dict, by: TelegramUser = ADMIN) -> None:
    bot.emulator.chat_admins[chat["id"]].add(by.id)
    await bot.ask(by, "/subscribe 08:00", chat=chat)
    subscription = await bot.app.digests.subscriptions.of_chat(chat["id"])
    assert subscription is not None and subscription.active


async def test_removed_from_a_group_the_digest_ends_and_the_subscriber_is_told(bot: RunningBot) -> None:
    await subscribed(bot, GROUP)
    await bot.ask(ADMIN, "/alert переговоры", chat=GROUP)
    assert (await bot.app.alerts.repo.of_chat(GROUP["id"], None)).active
    before = len(bot.emulator.messages(ADMIN.id))
    member, left = bot.emulator.bot_member("member"), bot.emulator.bot_member("left")
    await bot.emulator.membership_change(GROUP, READER, member, left)
    (told,) = await bot.emulator.replies(ADMIN.id, 1, after=before)
    assert "«Клуб <читателей>»" in told["text"] and "/subscribe" in told["text"]
    subscription = await bot.app.digests.subscriptions.of_chat(GROUP["id"])
    assert subscription is not None and not subscription.active and subscription.ended_reason == "bot_removed"
    assert not (await bot.app.alerts.repo.of_chat(GROUP["id"], None)).active  # its alerts stop too

    in_group = len(bot.emulator.messages(GROUP["id"]))
    await bot.emulator.membership_change(GROUP, READER, left, member)  # added back
    (back,) = await bot.emulator.replies(GROUP["id"], 1, after=in_group)
    assert "/subscribe" in back["text"]
    subscription = await bot.app.digests.subscriptions.of_chat(GROUP["id"])
    assert subscription is not None and not subscription.active  # nothing resumed by itself


async def test_blocked_in_a_private_chat_ends_its_digest_quietly(bot: RunningBot) -> None:
    await bot.ask(READER, "/subscribe 08:00")
    sent = len(bot.emulator.messages())
    chat = READER.private_chat
    await bot.emulator.membership_change(
        chat, READER, bot.emulator.bot_member("member"), bot.emulator.bot_member("kicked")
    )
    await settle(bot)
    subscription = await bot.app.digests.subscriptions.of_chat(READER.id)
    assert subscription is not None and not subscription.active
    assert len(bot.emulator.messages()) == sent  # nobody to tell


async def test_a_channel_admin_that_may_no_longer_post_ends_the_channel_digest(bot: RunningBot) -> None:
    await bot.app.digests.subscriptions.subscribe(
        chat_id=CHANNEL["id"],
        thread_id=None,
        chat_type="channel",
        language="ru",
        send_at="08:00",
        timezone="Europe/Moscow",
        topics="",
        by=ADMIN.id,
    )
    poster = bot.emulator.bot_member("administrator", can_post_messages=True)
    reader_only = bot.emulator.bot_member("administrator", can_post_messages=False)
    await bot.emulator.membership_change(CHANNEL, ADMIN, poster, poster)  # a change that keeps posting
    await settle(bot)
    assert (await bot.app.digests.subscriptions.of_chat(CHANNEL["id"])).active
    before = len(bot.emulator.messages(ADMIN.id))
    await bot.emulator.membership_change(CHANNEL, ADMIN, poster, reader_only)
    (told,) = await bot.emulator.replies(ADMIN.id, 1, after=before)
    assert "«Канал»" in told["text"]
    assert not (await bot.app.digests.subscriptions.of_chat(CHANNEL["id"])).active
