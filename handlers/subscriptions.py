"""/subscribe, /settings, /unsubscribe and /digest: a chat's daily digest, in private chats and groups."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Literal
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.enums import ChatMemberStatus
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, Chat, ChatMemberAdministrator, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.keyboard import InlineKeyboardBuilder
from pydantic import Field, model_validator

from bot.config import Settings
from bot.digest.compose import MAX_TOPICS, parse_topics
from bot.digest.scheduling import parse_clock
from bot.digest.service import DigestService, OnDemand
from bot.digest.subscribe import MAX_SUBSCRIPTIONS, BadArgument, parse_subscribe, resolve_timezone
from bot.telegram import replies
from bot.telegram.filters import IsGroupAdmin
from bot.telegram.numbers import RowId
from bot.telegram.text import answer_long
from storage.subscriptions import Subscription, SubscriptionLimitReached, same_topics

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


class ChannelSettingsAction(SettingsAction, prefix="chdigest"):
    """A settings button of a channel's subscription, pressed in the private chat that set it up."""

    channel: int = Field(le=-1, ge=-(2**53))  # a channel's id (-100…)


class SubAction(SettingsAction, prefix="sub"):
    """A settings button of one subscription among several of a chat (or of a channel): by its id."""

    id: RowId


class OpenSubscription(CallbackData, prefix="subopen"):
    """A button of /subscriptions (or of an ambiguous /settings or /unsubscribe): open that one's settings."""

    id: RowId


def _action(
    subscription: Subscription, action: str, value: str = "", several: bool = False
) -> SettingsAction:
    """A chat with one subscription keeps the buttons it always had; among several, each names its own."""
    if several:
        return SubAction(action=action, value=value, id=subscription.id)
    if subscription.chat_type == "channel":
        return ChannelSettingsAction(action=action, value=value, channel=subscription.chat_id)
    return SettingsAction(action=action, value=value)


def _button_clock(value: str) -> dt.time | None:
    """A time button's "HHMM"; None unless four ASCII digits that make a time of day."""
    return parse_clock(f"{value[:2]}:{value[2:]}") if _BUTTON_TIME.fullmatch(value) else None


_CHANNEL_REF = re.compile(r"(@[A-Za-z][A-Za-z0-9_]{3,31}|-100[0-9]{1,13})(?:\s+|$)")
_ADMINS = (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.CREATOR)


class ChannelRefused(Exception):
    """A channel named in a private chat that this user may not subscribe; the message is the reply."""


def split_channel(args: str) -> tuple[str | None, str]:
    """ "@channel 08:00 …" → ("@channel", "08:00 …"); no channel named first → (None, args)."""
    match = _CHANNEL_REF.match(args.strip())
    if match is None:
        return None, args
    return match.group(1), args.strip()[match.end() :]


async def channel_for(bot: Bot, ref: str | int, user_id: int) -> Chat:
    """The channel `ref` names, once Telegram confirms that the user administers it and that the bot may
    post there; otherwise ChannelRefused saying precisely what is missing."""
    try:
        chat = await bot.get_chat(ref)
    except TelegramAPIError:
        raise ChannelRefused(replies.channels.not_found(str(ref))) from None
    if chat.type != "channel":
        raise ChannelRefused(replies.channels.not_a_channel(str(ref)))
    title = chat.title or str(chat.id)
    try:
        user = await bot.get_chat_member(chat.id, user_id)
        me = await bot.get_chat_member(chat.id, bot.id)
    except TelegramAPIError:
        raise ChannelRefused(replies.channels.not_found(str(ref))) from None
    if user.status not in _ADMINS:
        raise ChannelRefused(replies.channels.user_not_admin(title))
    if not (isinstance(me, ChatMemberAdministrator) and me.can_post_messages):
        raise ChannelRefused(replies.channels.bot_cannot_post(title))
    return chat


def _thread(message: Message) -> int | None:
    return message.message_thread_id if message.is_topic_message else None


def _keyboard(subscription: Subscription, several: bool = False) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for time in TIMES:
        mark = "• " if time == subscription.send_at else ""
        builder.button(
            text=f"{mark}{time}",
            callback_data=_action(subscription, "time", time.replace(":", ""), several=several),
        )
    for zone in ZONES:
        mark = "• " if zone == subscription.timezone else ""
        label = zone.split("/")[-1].replace("_", " ")
        builder.button(
            text=f"{mark}{label}", callback_data=_action(subscription, "zone", zone, several=several)
        )
    if subscription.paused:
        builder.button(
            text=replies.digest.button_resume(),
            callback_data=_action(subscription, "resume", several=several),
        )
    else:
        builder.button(
            text=replies.digest.button_pause(), callback_data=_action(subscription, "pause", several=several)
        )
    if subscription.topics:
        builder.button(
            text=replies.digest.button_clear_topics(),
            callback_data=_action(subscription, "all", several=several),
        )
    builder.button(
        text=replies.digest.button_unsubscribe(), callback_data=_action(subscription, "stop", several=several)
    )
    builder.adjust(3, 3, 3, 3, 2)
    return builder.as_markup()


def _settings_text(subscription: Subscription, digests: DigestService) -> str:
    _, phrases, excluded = parse_topics(subscription.topics)
    return replies.digest.settings(subscription, phrases, excluded, digests.next_run(subscription))


async def subscribe(
    message: Message, command: CommandObject, bot: Bot, digests: DigestService, settings: Settings
) -> None:
    user_id = message.from_user.id if message.from_user else None
    ref, rest = (
        split_channel(command.args or "") if message.chat.type == "private" else (None, command.args or "")
    )
    try:
        args = parse_subscribe(rest)
    except BadArgument as exc:
        errors = {
            "time": replies.digest.bad_time,
            "timezone": replies.digest.bad_timezone,
            "words": replies.digest.no_topic_words,
            "control": replies.digest.control_word,
        }
        reply = (
            errors[exc.kind](exc.value) if exc.kind in errors else replies.digest.too_many_topics(MAX_TOPICS)
        )
        await message.answer(reply)
        return
    chat_id, chat_type, thread_id = message.chat.id, message.chat.type, _thread(message)
    if ref is not None and user_id is not None:
        try:
            channel = await channel_for(bot, ref, user_id)
        except ChannelRefused as refusal:
            await message.answer(str(refusal))
            return
        chat_id, chat_type, thread_id = channel.id, "channel", None
    # A chat (or forum topic) may hold several subscriptions, each with its own topics and time. The same
    # topics again change that one's time and zone; no topics change the only one there is; new topics
    # add a subscription beside the others.
    actives = await digests.subscriptions.in_chat(chat_id, thread_id)
    same = next((s for s in actives if _same_topics(s.topics, args.topics)), None)
    if same is None and args.topics is None and len(actives) > 1:
        await message.answer(replies.digest.which_one(len(actives)))
        return
    current = same or (actives[0] if args.topics is None and actives else None)
    try:  # the limit is counted where the subscription is made, under its lock (two instances, one chat)
        subscription = await digests.subscriptions.subscribe(
            chat_id=chat_id,
            thread_id=thread_id,
            chat_type=chat_type,
            language=get_i18n().current_locale,
            send_at=args.send_at or (current.send_at if current else settings.digest_time),
            timezone=args.timezone or (current.timezone if current else settings.default_timezone),
            topics=args.topics if args.topics is not None else (current.topics if current else ""),
            by=user_id,
            into=current.id if current else None,
            limit=MAX_SUBSCRIPTIONS,
        )
    except SubscriptionLimitReached as reached:
        await message.answer(replies.digest.too_many_subscriptions(reached.limit))
        return
    await digests.subscription_changed()
    _, phrases, excluded = parse_topics(subscription.topics)
    text = replies.digest.subscribed(subscription, phrases, excluded)
    if current is None and actives:
        text += "\n" + replies.digest.one_more(len(actives) + 1)
    if ref is not None:
        text = replies.channels.for_channel(ref) + "\n" + text
    await message.answer(text)


def _same_topics(stored: str, given: str | None) -> bool:
    return given is not None and same_topics(stored, given)


async def _subscriptions_of(
    message: Message, command: CommandObject, bot: Bot, digests: DigestService
) -> list[Subscription] | None:
    """The subscriptions /settings or /unsubscribe is about: a channel's, named in a private chat (None
    after telling the user why not), or this chat's (this forum topic's)."""
    ref, rest = split_channel(command.args or "") if message.chat.type == "private" else (None, "")
    given = (command.args or "").strip()
    if (ref is None and given) or rest.strip():  # "/unsubscribe @x" was this chat's /unsubscribe
        await message.answer(replies.channels.names_no_channel(command.command, given))
        return None
    if ref is None or message.from_user is None:
        return await digests.subscriptions.in_chat(message.chat.id, _thread(message))
    try:
        channel = await channel_for(bot, ref, message.from_user.id)
    except ChannelRefused as refusal:
        await message.answer(str(refusal))
        return None
    return await digests.subscriptions.in_chat(channel.id)


def _choices(subscriptions: list[Subscription]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for subscription in subscriptions:
        builder.button(
            text=replies.digest.subscription_label(subscription),
            callback_data=OpenSubscription(id=subscription.id),
        )
    builder.adjust(1)
    return builder.as_markup()


async def unsubscribe(message: Message, command: CommandObject, bot: Bot, digests: DigestService) -> None:
    actives = await _subscriptions_of(message, command, bot, digests)
    if actives is None:
        return
    if not actives:
        await message.answer(replies.digest.not_subscribed())
        return
    if len(actives) > 1:  # which one: each button opens its settings, where "unsubscribe" stops it
        await message.answer(replies.digest.pick_one(len(actives)), reply_markup=_choices(actives))
        return
    await digests.subscriptions.end(actives[0].id, "unsubscribed")
    await digests.subscription_changed()
    await message.answer(replies.digest.unsubscribed())


async def show_settings(message: Message, command: CommandObject, bot: Bot, digests: DigestService) -> None:
    actives = await _subscriptions_of(message, command, bot, digests)
    if actives is None:
        return
    if not actives:
        await message.answer(replies.digest.not_subscribed())
        return
    if len(actives) > 1:
        await message.answer(replies.digest.pick_one(len(actives)), reply_markup=_choices(actives))
        return
    (current,) = actives
    await message.answer(_settings_text(current, digests), reply_markup=_keyboard(current))


async def list_subscriptions(message: Message, digests: DigestService) -> None:
    """Every digest of this chat (every forum topic's, in a forum), and in a private chat the channels'
    digests this user set up, each with a button to its settings."""
    actives = await digests.subscriptions.in_chat(message.chat.id, any_thread=True)
    if message.chat.type == "private" and message.from_user is not None:
        actives += await digests.subscriptions.created_by(message.from_user.id, "channel")
    if not actives:
        await message.answer(replies.digest.not_subscribed())
        return
    await message.answer(replies.digest.subscriptions_list(actives), reply_markup=_choices(actives))


async def _may_change(query: CallbackQuery, message: Message, subscription: Subscription, bot: Bot) -> bool:
    """A button acts on its own chat's subscription; a channel's, from a private chat, for its admins."""
    if subscription.chat_type == "channel" and message.chat.type == "private":
        try:
            await channel_for(bot, subscription.chat_id, query.from_user.id)
        except ChannelRefused as refusal:
            await query.answer(html_to_alert(str(refusal)), show_alert=True)
            return False
        return True
    if subscription.chat_id != message.chat.id:
        await query.answer(replies.common.stale_button(), show_alert=True)
        return False
    return True


async def open_subscription(
    query: CallbackQuery, callback_data: OpenSubscription, bot: Bot, digests: DigestService
) -> None:
    message = query.message
    if not isinstance(message, Message):
        await query.answer()
        return
    subscription = await digests.subscriptions.get(callback_data.id)
    if subscription is None or not subscription.active:
        await query.answer(replies.digest.not_subscribed_alert(), show_alert=True)
        return
    if not await _may_change(query, message, subscription, bot):
        return
    await query.answer()
    await message.answer(
        _settings_text(subscription, digests), reply_markup=_keyboard(subscription, several=True)
    )


async def change_subscription(
    query: CallbackQuery, callback_data: SubAction, bot: Bot, digests: DigestService
) -> None:
    message = query.message
    if not isinstance(message, Message):
        await query.answer()
        return
    subscription = await digests.subscriptions.get(callback_data.id)
    if subscription is not None and not await _may_change(query, message, subscription, bot):
        return
    await _apply(query, message, callback_data, subscription, digests, several=True)


async def change_setting(query: CallbackQuery, callback_data: SettingsAction, digests: DigestService) -> None:
    """A button of a chat with one subscription (as they always were): it acts on that one."""
    message = query.message
    if not isinstance(message, Message):
        await query.answer()
        return
    thread = message.message_thread_id if message.is_topic_message else None
    actives = await digests.subscriptions.in_chat(message.chat.id, thread)
    if len(actives) > 1:
        await query.answer(html_to_alert(replies.digest.pick_one(len(actives))), show_alert=True)
        return
    await _apply(query, message, callback_data, actives[0] if actives else None, digests)


async def change_channel_setting(
    query: CallbackQuery, callback_data: ChannelSettingsAction, bot: Bot, digests: DigestService
) -> None:
    """A channel's settings button, pressed in a private chat: its presser must still administer it."""
    message = query.message
    if not isinstance(message, Message):
        await query.answer()
        return
    try:
        await channel_for(bot, callback_data.channel, query.from_user.id)
    except ChannelRefused as refusal:
        await query.answer(html_to_alert(str(refusal)), show_alert=True)
        return
    actives = await digests.subscriptions.in_chat(callback_data.channel)
    if len(actives) > 1:
        await query.answer(html_to_alert(replies.digest.pick_one(len(actives))), show_alert=True)
        return
    await _apply(query, message, callback_data, actives[0] if actives else None, digests)


def html_to_alert(text: str) -> str:
    """An alert is plain text: the reply's tags and entities undone, cut to Telegram's 200 characters."""
    plain = html.unescape(re.sub(r"<[^>]+>", "", text))
    return plain if len(plain) <= 200 else plain[:199] + "…"


async def _apply(
    query: CallbackQuery,
    message: Message,
    callback_data: SettingsAction,
    current: Subscription | None,
    digests: DigestService,
    several: bool = False,
) -> None:
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
        await message.edit_text(_settings_text(updated, digests), reply_markup=_keyboard(updated, several))


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
        subscription = next(
            iter(await digests.subscriptions.in_chat(message.chat.id, _thread(message))), None
        )
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
    router.message.register(list_subscriptions, Command("subscriptions"))
    router.message.register(digest_now, Command("digest"))
    router.callback_query.register(change_setting, SettingsAction.filter(), IsGroupAdmin())
    router.callback_query.register(open_subscription, OpenSubscription.filter(), IsGroupAdmin())
    router.callback_query.register(change_subscription, SubAction.filter(), IsGroupAdmin())
    router.callback_query.register(setting_refused, SettingsAction.filter())
    router.callback_query.register(setting_refused, OpenSubscription.filter())
    router.callback_query.register(setting_refused, SubAction.filter())
    router.callback_query.register(
        change_channel_setting, ChannelSettingsAction.filter(), F.message.chat.type == "private"
    )
    return router
