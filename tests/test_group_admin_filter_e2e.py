"""IsGroupAdmin through the emulator: who may change a chat's digest — anyone in private, a group's admins
(asked of Telegram), an anonymous admin writing as the group — and what the others are told."""

from __future__ import annotations

from typing import Any

from aiogram.utils.i18n import I18n

from bot.emulator import BotAPIEmulator, TelegramUser
from bot.telegram import replies
from bot.telegram.i18n import create_i18n
from tests.conftest import ADMIN, READER, READER_EN, RunningBot

GROUP = {"id": -1001700, "type": "supergroup", "title": "Клуб <читателей>"}
# Telegram's stand-in sender for a group's anonymous admins: the message's sender_chat is the group.
ANONYMOUS = TelegramUser(1087968824, "Group", username="GroupAnonymousBot")


def text_in(i18n: I18n, language: str, reply: Any) -> str:
    with i18n.context(), i18n.use_locale(language):
        return reply()


def member_checks(emulator: BotAPIEmulator) -> int:
    return sum(method.lower() == "getchatmember" for method, _ in emulator.calls)


async def as_group(emulator: BotAPIEmulator, chat: dict[str, Any], sender: dict[str, Any], text: str) -> None:
    """A command written on behalf of a chat (an anonymous admin, or a linked channel)."""
    command = text.split(maxsplit=1)[0]
    message = emulator._message(
        ANONYMOUS,
        chat,
        text=text,
        entities=[{"type": "bot_command", "offset": 0, "length": len(command)}],
        sender_chat=sender,
    )
    message["from"]["is_bot"] = True
    await emulator._push("message", message)


async def test_a_group_admin_subscribes_and_changes_the_settings(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    emulator.chat_admins[GROUP["id"]].add(ADMIN.id)
    (done,) = await bot.ask(ADMIN, "/subscribe 08:00", chat=GROUP)
    assert done["text"].startswith("✅")
    (settings,) = await bot.ask(ADMIN, "/settings", chat=GROUP)
    query = await emulator.press(ADMIN, settings, "digest:time:1800")
    await emulator.wait_for(lambda: query["id"] in emulator.answered)
    await emulator.wait_for(lambda: "edit_date" in settings)  # the emulator edits its record in place
    subscription = await bot.app.digests.subscriptions.of_chat(GROUP["id"])
    assert subscription is not None and subscription.send_at == "18:00"
    assert member_checks(emulator) == 2  # the command and the button, each asked of Telegram
    (stopped,) = await bot.ask(ADMIN, "/unsubscribe", chat=GROUP)
    assert stopped["text"] == text_in(create_i18n(), "ru", replies.digest.unsubscribed)


async def test_a_member_is_told_only_admins_may_and_nothing_changes(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    i18n = create_i18n()
    refusal = text_in(i18n, "en", replies.digest.group_admins_only)
    (refused,) = await bot.ask(READER_EN, "/subscribe 08:00 Europe/Berlin", chat=GROUP)
    assert refused["text"] == refusal
    assert await bot.app.digests.subscriptions.of_chat(GROUP["id"]) is None

    emulator.chat_admins[GROUP["id"]].add(ADMIN.id)
    (done,) = await bot.ask(ADMIN, "/subscribe 08:00", chat=GROUP)
    assert done["text"].startswith("✅")
    (settings,) = await bot.ask(ADMIN, "/settings", chat=GROUP)
    before = await bot.app.digests.subscriptions.of_chat(GROUP["id"])

    query = await emulator.press(READER_EN, settings, "digest:stop:")
    await emulator.wait_for(lambda: query["id"] in emulator.answered)
    assert emulator.answered[query["id"]].get("text") == refusal
    assert emulator.answered[query["id"]].get("show_alert") is True
    (not_yours,) = await bot.ask(READER_EN, "/unsubscribe", chat=GROUP)
    assert not_yours["text"] == refusal
    assert await bot.app.digests.subscriptions.of_chat(GROUP["id"]) == before
    assert "edit_date" not in settings  # the emulator would have edited its record in place


async def test_an_anonymous_admin_writes_as_the_group_and_telegram_is_not_asked(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    before = len(emulator.messages(GROUP["id"]))
    await as_group(emulator, GROUP, GROUP, "/subscribe 07:00")
    (done,) = await emulator.replies(GROUP["id"], 1, after=before)
    assert done["text"].startswith("✅")
    subscription = await bot.app.digests.subscriptions.of_chat(GROUP["id"])
    assert subscription is not None and subscription.send_at == "07:00"
    assert member_checks(emulator) == 0

    # A message sent as some other chat (a channel linked to the group) is no admin's.
    channel = {"id": -1001800, "type": "channel", "title": "Канал"}
    before = len(emulator.messages(GROUP["id"]))
    await as_group(emulator, GROUP, channel, "/unsubscribe")
    (refused,) = await emulator.replies(GROUP["id"], 1, after=before)
    assert refused["text"] == text_in(create_i18n(), "ru", replies.digest.group_admins_only)
    still = await bot.app.digests.subscriptions.of_chat(GROUP["id"])
    assert still is not None and still.active


async def test_in_a_private_chat_anyone_may_and_telegram_is_not_asked(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    (done,) = await bot.ask(READER, "/subscribe 12:00")
    assert done["text"].startswith("✅")
    (settings,) = await bot.ask(READER, "/settings")
    query = await emulator.press(READER, settings, "digest:zone:Europe/Berlin")
    await emulator.wait_for(lambda: query["id"] in emulator.answered)
    await emulator.wait_for(lambda: "edit_date" in settings)
    subscription = await bot.app.digests.subscriptions.of_chat(READER.id)
    assert subscription is not None and subscription.timezone == "Europe/Berlin"
    (stopped,) = await bot.ask(READER, "/unsubscribe")
    assert stopped["text"] == text_in(create_i18n(), "ru", replies.digest.unsubscribed)
    assert member_checks(emulator) == 0
