"""/allow and /deny (admins): private mode's list of users and chats."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.types import Chat, Message

from bot.alerts.service import AlertService
from bot.config import Settings
from bot.telegram import replies
from bot.telegram.filters import IsAdmin
from storage.access import AccessKind, AccessRepo
from storage.subscriptions import SubscriptionRepo

log = logging.getLogger(__name__)

# Telegram's ids have at most 52 significant bits; a channel's or supergroup's is negative (-100…).
MAX_TELEGRAM_ID = 2**53
_ID = re.compile(r"-?[0-9]{1,16}")
_NAME = re.compile(r"@[A-Za-z][A-Za-z0-9_]{3,31}")  # public @names: 5-32 characters


@dataclass(frozen=True)
class Subject:
    id: int
    kind: AccessKind
    label: str | None


class BadSubject(Exception):
    """What the admin typed names no user or chat; the message is the reply."""


def _label(chat: Chat) -> str | None:
    if chat.username:
        return f"@{chat.username}"
    return chat.title or chat.full_name or None


async def resolve(bot: Bot, message: Message, command: str, args: str | None) -> Subject | None:
    """The user or chat the arguments name; None for none at all (a private chat's bare command)."""
    text = (args or "").strip()
    if not text:
        if message.chat.type == "private":
            return None
        return Subject(message.chat.id, AccessKind.CHAT, _label(message.chat))
    if _ID.fullmatch(text):
        number = int(text)
        if number == 0 or abs(number) >= MAX_TELEGRAM_ID:
            raise BadSubject(replies.access.bad_subject(command, text))
        kind = AccessKind.USER if number > 0 else AccessKind.CHAT
        label = None
        if kind is AccessKind.CHAT:
            try:  # a title for the list when the bot can see the chat; the id alone is enough
                label = _label(await bot.get_chat(number))
            except TelegramAPIError:
                label = None
        return Subject(number, kind, label)
    if _NAME.fullmatch(text):
        try:
            chat = await bot.get_chat(text)
        except TelegramAPIError:
            raise BadSubject(replies.access.unknown_chat(text)) from None
        kind = AccessKind.USER if chat.type == "private" else AccessKind.CHAT
        return Subject(chat.id, kind, _label(chat))
    raise BadSubject(replies.access.bad_subject(command, text))


async def allow(
    message: Message, command: CommandObject, bot: Bot, access: AccessRepo, settings: Settings
) -> None:
    try:
        subject = await resolve(bot, message, "allow", command.args)
    except BadSubject as refusal:
        await message.answer(str(refusal))
        return
    if subject is None:
        listing = replies.access.listing(await access.listed(), settings.access == "private")
        await message.answer(listing + "\n\n" + replies.access.usage("allow"))
        return
    user = message.from_user
    fresh = await access.allow(subject.id, subject.kind, subject.label, user.id if user else None)
    log.info("access: %s %s let in by %s", subject.kind.value, subject.id, user.id if user else None)
    await message.answer(
        replies.access.allowed(subject.kind, subject.id, subject.label, fresh, settings.access == "private")
    )


async def deny(
    message: Message,
    command: CommandObject,
    bot: Bot,
    access: AccessRepo,
    subscriptions: SubscriptionRepo,
    alerts: AlertService,
    settings: Settings,
) -> None:
    try:
        subject = await resolve(bot, message, "deny", command.args)
    except BadSubject as refusal:
        await message.answer(str(refusal))
        return
    if subject is None:
        await message.answer(replies.access.usage("deny"))
        return
    if subject.id in settings.admin_ids:
        await message.answer(replies.access.cannot_deny_admin(subject.id))
        return
    removed = await access.deny(subject.id)
    ended = 0
    if removed and settings.access == "private":
        # A chat that may no longer use the bot gets no more digests from it (a private chat's id is its
        # user's); letting it in again does not resume them: the chat subscribes again.
        for subscription in await subscriptions.in_chat(subject.id, any_thread=True):
            await subscriptions.end(subscription.id, "access_denied")
            ended += 1
        await alerts.repo.end_chat(subject.id)
    log.info("access: %s taken off the list (removed=%s, subscriptions ended=%d)", subject.id, removed, ended)
    await message.answer(replies.access.denied(subject.id, removed, ended))


def create_router() -> Router:
    router = Router(name="access")
    router.message.filter(IsAdmin())
    router.message.register(allow, Command("allow"))
    router.message.register(deny, Command("deny"))
    return router
