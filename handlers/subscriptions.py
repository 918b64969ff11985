"""/subscribe, /settings, /unsubscribe and /digest: a chat's daily digest, in private chats and groups."""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal
from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.keyboard import InlineKeyboardBuilder
from pydantic import model_validator

from bot.config import Settings
from bot.digest.compose import MAX_TOPICS, parse_topics
from bot.digest.scheduling import parse_clock
from bot.digest.service import DigestService, OnDemand
from bot.digest.subscribe import BadArgument, parse_subscribe, resolve_timezone
from bot.telegram import replies
from bot.telegram.filters import IsGroupAdmin
from bot.telegram.text import answer_long
from storage.subscriptions import Subscription

TIMES = ("07:00", "08:00", "09:00", "12:00", "18:00", "21:00")
ZONES = ("Europe/Kaliningrad", "Europe/Moscow", "Europe/Minsk", "Asia/Yekaterinburg", "Europe/Berlin", "UTC")
_BUTTON_TIME = re.compile(r"[0-9]{4}")  # ASCII: parse_clock's isdigit() passes "²", which int() refuses


class SettingsAction(CallbackData, prefix="digest"):
    """A settings button. Validated as it is unpacked: a malformed or forged one matches no handler,
    so the stale-button alert answers it and nothing changes."""

    action: Literal["time", "zone", "pause", "resume", "all", "stop"]
    value: str = ""  # time: HHMM; zone: an IANA name; empty for the others

    @model_validator(mode="after")
    def _value_fits_action(self) -> SettingsAction:
        if self.action == "time":
            fits = _button_clock(self.value) is not None
        elif self.action == "zone":
            fits = resolve_timezone(self.value) is not None
        else:
            fits = self.value == ""
        if not fits:
            raise ValueError(f"{self.action} takes no value {self.value!r}")
        return self


def _button_clock(value: str) -> dt.time | None:
    """A time button's "HHMM"; None unless four ASCII digits that make a time of day."""
    return parse_clock(f"{value[:2]}:{value[2:]}") if _BUTTON_TIME.fullmatch(value) else None


def _thread(message: Message) -> int | None:
    return message.message_thread_id if message.is_topic_message else None


def _keyboard(subscription: Subscription) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for time in TIMES:
        mark = "• " if time == subscription.send_at else ""
        builder.button(
            text=f"{mark}{time}", callback_data=SettingsAction(action="time", value=time.replace(":", ""))
        )
    for zone in ZONES:
        mark = "• " if zone == subscription.timezone else ""
        label = zone.split("/")[-1].replace("_", " ")
        builder.button(text=f"{mark}{label}", callback_data=SettingsAction(action="zone", value=zone))
    if subscription.paused:
        builder.button(text=replies.digest.button_resume(), callback_data=SettingsAction(action="resume"))
    else:
        builder.button(text=replies.digest.button_pause(), callback_data=SettingsAction(action="pause"))
    if subscription.topics:
        builder.button(text=replies.digest.button_clear_topics(), callback_data=SettingsAction(action="all"))
    builder.button(text=replies.digest.button_unsubscribe(), callback_data=SettingsAction(action="stop"))
    builder.adjust(3, 3, 3, 3, 2)
    return builder.as_markup()


def _settings_text(subscription: Subscription, digests: DigestService) -> str:
    _, phrases, excluded = parse_topics(subscription.topics)
    return replies.digest.settings(subscription, phrases, excluded, digests.next_run(subscription))


async def subscribe(
    message: Message, command: CommandObject, digests: DigestService, settings: Settings
) -> None:
    user_id = message.from_user.id if message.from_user else None
    try:
        args = parse_subscribe(command.args or "")
    except BadArgument as exc:
        errors = {
            "time": replies.digest.bad_time,
            "timezone": replies.digest.bad_timezone,
        }
        reply = (
            errors[exc.kind](exc.value) if exc.kind in errors else replies.digest.too_many_topics(MAX_TOPICS)
        )
        await message.answer(reply)
        return
    current = await digests.subscriptions.of_chat(message.chat.id)
    keep = current is not None and current.active
    subscription = await digests.subscriptions.subscribe(
        chat_id=message.chat.id,
        thread_id=_thread(message),
        chat_type=message.chat.type,
        language=get_i18n().current_locale,
        send_at=args.send_at or (current.send_at if keep and current else settings.digest_time),
        timezone=args.timezone or (current.timezone if keep and current else settings.default_timezone),
        topics=args.topics if args.topics is not None else (current.topics if keep and current else ""),
        by=user_id,
    )
    await digests.subscription_changed()
    _, phrases, excluded = parse_topics(subscription.topics)
    await message.answer(replies.digest.subscribed(subscription, phrases, excluded))


async def unsubscribe(message: Message, digests: DigestService) -> None:
    current = await digests.subscriptions.of_chat(message.chat.id)
    if current is None or not current.active:
        await message.answer(replies.digest.not_subscribed())
        return
    await digests.subscriptions.end(current.id, "unsubscribed")
    await digests.subscription_changed()
    await message.answer(replies.digest.unsubscribed())


async def show_settings(message: Message, digests: DigestService) -> None:
    current = await digests.subscriptions.of_chat(message.chat.id)
    if current is None or not current.active:
        await message.answer(replies.digest.not_subscribed())
        return
    await message.answer(_settings_text(current, digests), reply_markup=_keyboard(current))


async def change_setting(query: CallbackQuery, callback_data: SettingsAction, digests: DigestService) -> None:
    message = query.message
    if not isinstance(message, Message):
        await query.answer()
        return
    current = await digests.subscriptions.of_chat(message.chat.id)
    if current is None or not current.active:
        await query.answer()
        await message.edit_text(replies.digest.not_subscribed())
        return
    action, value = callback_data.action, callback_data.value
    if action == "stop":
        await digests.subscriptions.end(current.id, "unsubscribed")
        await digests.subscription_changed()
        await query.answer()
        await message.edit_text(replies.digest.unsubscribed())
        return
    send_at = timezone = topics = None
    paused: bool | None = None
    if action == "time" and (clock := _button_clock(value)) is not None:
        send_at = clock.strftime("%H:%M")
    elif action == "zone":
        timezone = resolve_timezone(value)
    elif action in ("pause", "resume"):
        paused = action == "pause"
    elif action == "all":
        topics = ""
    updated = await digests.subscriptions.change(
        current.id, send_at=send_at, timezone=timezone, topics=topics, paused=paused
    )
    assert updated is not None
    await digests.subscription_changed()
    await query.answer(replies.digest.settings_saved())
    if updated != current:
        await message.edit_text(_settings_text(updated, digests), reply_markup=_keyboard(updated))


async def group_admins_only(message: Message) -> None:
    """/subscribe or /unsubscribe in a group from someone who is not its admin."""
    await message.answer(replies.digest.group_admins_only())


async def setting_refused(query: CallbackQuery) -> None:
    """A settings button pressed in a group by someone who is not its admin."""
    if not isinstance(query.message, Message):  # as change_setting answers it for an admin
        await query.answer()
        return
    await query.answer(replies.digest.group_admins_only(), show_alert=True)


async def digest_now(message: Message, digests: DigestService) -> None:
    outcome, since = await digests.digest_now(
        chat_id=message.chat.id,
        thread_id=_thread(message),
        chat_type=message.chat.type,
        language=get_i18n().current_locale,
    )
    if outcome == OnDemand.EMPTY:
        subscription = await digests.subscriptions.of_chat(message.chat.id)
        zone = (
            ZoneInfo(subscription.timezone) if subscription else ZoneInfo(digests.settings.default_timezone)
        )
        await answer_long(message, replies.digest.nothing_new(since, zone))
    elif outcome == OnDemand.FAILED:
        await message.answer(replies.digest.digest_failed())


def create_router() -> Router:
    router = Router(name="subscriptions")
    router.message.filter(F.chat.type.in_({"private", "group", "supergroup"}))
    # Only a chat's admins change its digest (IsGroupAdmin); the others are told so, never ignored.
    router.message.register(subscribe, Command("subscribe"), IsGroupAdmin())
    router.message.register(unsubscribe, Command("unsubscribe"), IsGroupAdmin())
    router.message.register(group_admins_only, Command("subscribe", "unsubscribe"))
    router.message.register(show_settings, Command("settings"))
    router.message.register(digest_now, Command("digest"))
    router.callback_query.register(change_setting, SettingsAction.filter(), IsGroupAdmin())
    router.callback_query.register(setting_refused, SettingsAction.filter())
    return router
