"""/subscribe, /settings, /unsubscribe and /digest: a chat's daily digest, in private chats and groups."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo, available_timezones

from aiogram import Bot, F, Router
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
from bot.telegram import replies
from bot.telegram.text import answer_long
from storage.subscriptions import Subscription

TIMES = ("07:00", "08:00", "09:00", "12:00", "18:00", "21:00")
ZONES = ("Europe/Kaliningrad", "Europe/Moscow", "Europe/Minsk", "Asia/Yekaterinburg", "Europe/Berlin", "UTC")
MAX_TOPICS_LENGTH = 500
_TIME_LIKE = re.compile(r"^\d{1,2}[:.]\d{1,2}$")
_BUTTON_TIME = re.compile(r"[0-9]{4}")  # ASCII: parse_clock's isdigit() passes "²", which int() refuses
_ZONE_LIKE = re.compile(r"^(?:[A-Za-z][\w+-]*(?:/[\w+-]+)+|UTC|GMT)$", re.IGNORECASE)


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


@dataclass(frozen=True)
class SubscribeArgs:
    """What /subscribe changes; None keeps the current (or default) value."""

    send_at: str | None = None
    timezone: str | None = None
    topics: str | None = None


class BadArgument(ValueError):
    def __init__(self, kind: str, value: str) -> None:
        super().__init__(f"{kind}: {value}")
        self.kind = kind
        self.value = value


@lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def resolve_timezone(value: str) -> str | None:
    """The IANA name for what the user wrote, letter case aside; None for an unknown zone."""
    name = _zones().get(value.strip().lower())
    if name is None:
        return None
    ZoneInfo(name)
    return name


def parse_subscribe(args: str) -> SubscribeArgs:
    """ "08:30 Europe/Berlin Лукашенко, переговоры, -спорт": time and zone first, topics after."""
    rest = args.strip()
    send_at = timezone = None
    while rest:
        token, _, tail = rest.partition(" ")
        if send_at is None and _TIME_LIKE.match(token):
            clock = parse_clock(token.replace(".", ":"))
            if clock is None:
                raise BadArgument("time", token)
            send_at = clock.strftime("%H:%M")
        elif timezone is None and _ZONE_LIKE.match(token):
            timezone = resolve_timezone(token)
            if timezone is None:
                raise BadArgument("timezone", token)
        else:
            break
        rest = tail.strip()
    if rest:
        _, phrases, excluded = parse_topics(rest)
        if len(phrases) + len(excluded) > MAX_TOPICS or len(rest) > MAX_TOPICS_LENGTH:
            raise BadArgument("topics", rest)
    return SubscribeArgs(send_at, timezone, rest or None)


def _button_clock(value: str) -> dt.time | None:
    """A time button's "HHMM"; None unless four ASCII digits that make a time of day."""
    return parse_clock(f"{value[:2]}:{value[2:]}") if _BUTTON_TIME.fullmatch(value) else None


def _thread(message: Message) -> int | None:
    return message.message_thread_id if message.is_topic_message else None


async def _may_change(message: Message, user_id: int | None, bot: Bot) -> bool:
    """In private chats anyone; in groups only the admins (an anonymous admin writes as the group)."""
    chat = message.chat
    if chat.type == "private":
        return True
    if message.sender_chat is not None and message.sender_chat.id == chat.id:
        return True
    if user_id is None:
        return False
    member = await bot.get_chat_member(chat.id, user_id)
    return member.status in ("creator", "administrator")


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
    message: Message, command: CommandObject, bot: Bot, digests: DigestService, settings: Settings
) -> None:
    user_id = message.from_user.id if message.from_user else None
    if not await _may_change(message, user_id, bot):
        await message.answer(replies.digest.group_admins_only())
        return
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


async def unsubscribe(message: Message, bot: Bot, digests: DigestService) -> None:
    if not await _may_change(message, message.from_user.id if message.from_user else None, bot):
        await message.answer(replies.digest.group_admins_only())
        return
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


async def change_setting(
    query: CallbackQuery, callback_data: SettingsAction, bot: Bot, digests: DigestService
) -> None:
    message = query.message
    if not isinstance(message, Message):
        await query.answer()
        return
    if message.chat.type != "private":
        member = await bot.get_chat_member(message.chat.id, query.from_user.id)
        if member.status not in ("creator", "administrator"):
            await query.answer(replies.digest.group_admins_only(), show_alert=True)
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
    router.message.register(subscribe, Command("subscribe"))
    router.message.register(unsubscribe, Command("unsubscribe"))
    router.message.register(show_settings, Command("settings"))
    router.message.register(digest_now, Command("digest"))
    router.callback_query.register(change_setting, SettingsAction.filter())
    return router
