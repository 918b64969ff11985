"""Telegram channels as sources (#15): /addchannel, /delchannel, /channels (admins), and every post of a
source channel stored as it is published (channel_post), and stored again as it is edited
(edited_channel_post)."""

from __future__ import annotations

import logging
import re

from aiogram import Bot, Router
from aiogram.enums import ChatMemberStatus
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.types import Chat, Message

from bot.config import Settings
from bot.ingest.documents import Problem
from bot.ingest.service import Edit, IngestService
from bot.telegram import replies
from bot.telegram.filters import IsAdmin
from bot.telegram.text import answer_long
from storage.access import AccessKind, AccessRepo
from storage.channels import ChannelRepo

log = logging.getLogger(__name__)

_NAME = re.compile(r"@?([A-Za-z][A-Za-z0-9_]{3,31})")
_ID = re.compile(r"-100[0-9]{1,13}")
_LINK = re.compile(r"(?:https?://)?(?:t|telegram)\.me/(?:s/)?([A-Za-z][A-Za-z0-9_]{3,31})/?")


def channel_ref(text: str) -> str | int | None:
    """What /addchannel names: @name, name, a t.me link, or the channel's -100… id; None otherwise."""
    text = text.strip()
    if _ID.fullmatch(text):
        return int(text)
    match = _NAME.fullmatch(text) or _LINK.fullmatch(text)
    return f"@{match.group(1)}" if match else None


def post_url(chat: Chat, message_id: int) -> str:
    """The post's link: t.me/<name>/<id>, or t.me/c/<id>/<post> for a channel without a public name."""
    if chat.username:
        return f"https://t.me/{chat.username}/{message_id}"
    return f"https://t.me/c/{str(chat.id).removeprefix('-100')}/{message_id}"


async def _channel(bot: Bot, message: Message, command: CommandObject, name: str) -> Chat | None:
    """The channel the command names, or None after telling the admin what is wrong."""
    ref = channel_ref(command.args or "")
    if ref is None:
        await message.answer(replies.channels.usage(name, command.args or ""))
        return None
    try:
        chat = await bot.get_chat(ref)
    except TelegramAPIError:
        await message.answer(replies.channels.not_found(str(ref)))
        return None
    if chat.type != "channel":
        await message.answer(replies.channels.not_a_channel(str(ref)))
        return None
    return chat


async def add_channel(
    message: Message,
    command: CommandObject,
    bot: Bot,
    channels: ChannelRepo,
    access: AccessRepo,
    settings: Settings,
) -> None:
    chat = await _channel(bot, message, command, "addchannel")
    if chat is None:
        return
    try:
        member = await bot.get_chat_member(chat.id, bot.id)
    except TelegramAPIError:
        member = None
    if member is None or member.status not in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.CREATOR):
        # Telegram sends a bot the posts of a channel only when it is one of its administrators.
        await message.answer(replies.channels.bot_not_admin(chat.title or str(chat.id)))
        return
    by = message.from_user.id if message.from_user else None
    fresh = await channels.add(chat.id, chat.username, chat.title or str(chat.id), by)
    if settings.access == "private":  # a source's posts must pass private mode's gate
        label = f"@{chat.username}" if chat.username else chat.title
        await access.allow(chat.id, AccessKind.CHAT, label, by)
    log.info("channel %s (%s) is a source (new: %s)", chat.id, chat.username, fresh)
    await message.answer(replies.channels.added(chat.title or str(chat.id), chat.username, fresh))


async def delete_channel(message: Message, command: CommandObject, bot: Bot, channels: ChannelRepo) -> None:
    ref = channel_ref(command.args or "")
    if ref is None:
        await message.answer(replies.channels.usage("delchannel", command.args or ""))
        return
    source = await channels.get(ref) if isinstance(ref, int) else await channels.find(ref)
    if source is None:
        await message.answer(replies.channels.not_a_source(str(ref)))
        return
    await channels.remove(source.chat_id)
    await message.answer(replies.channels.removed(source))


async def list_channels(message: Message, channels: ChannelRepo) -> None:
    await answer_long(message, replies.channels.listing(await channels.listed()))


async def channel_post(message: Message, channels: ChannelRepo, ingest: IngestService) -> None:
    """A post in a channel: stored when the channel is a source; a photo or video alone has nothing to
    read. Nobody is there to answer, so what goes wrong is logged."""
    chat = message.chat
    source = await channels.get(chat.id)
    text = message.text or message.caption or ""
    if source is None or not text.strip():
        return
    report = await ingest.text(
        text,
        by=None,
        source=chat.title or source.title,
        url=post_url(chat, message.message_id),
        published_at=message.date,
    )
    if report.saved:
        await channels.count_post(chat.id, chat.username, chat.title or source.title)
    elif report.problems:
        # a post of emoji or marks alone has nothing to read, as a photo alone: no warning for it
        empty = all(p.problem is Problem.EMPTY for p in report.problems)
        (log.info if empty else log.warning)(
            "post %s of channel %s not stored: %s", message.message_id, chat.id, report.problems
        )


async def edited_channel_post(message: Message, channels: ChannelRepo, ingest: IngestService) -> None:
    """An edited post of a source channel: its article gets the new text and is analysed again; a post
    not stored before (media alone, or from before /addchannel) is stored now. An edit that leaves no
    text changes nothing: the archive keeps what was read."""
    chat = message.chat
    source = await channels.get(chat.id)
    if source is None:
        return
    text = message.text or message.caption or ""
    report = await ingest.edit(
        text,
        url=post_url(chat, message.message_id),
        source=chat.title or source.title,
        published_at=message.date,
    )
    if report.outcome is Edit.NEW and report.ingested is not None and report.ingested.saved:
        await channels.count_post(chat.id, chat.username, chat.title or source.title)
    if report.outcome is Edit.DUPLICATE:
        log.warning(
            "post %s of channel %s was edited to the text of article #%s; article #%s keeps its text",
            message.message_id,
            chat.id,
            report.other_id,
            report.article_id,
        )
    else:
        log.info(
            "post %s of channel %s was edited: %s (article #%s)",
            message.message_id,
            chat.id,
            report.outcome.value,
            report.article_id,
        )


def create_router() -> Router:
    router = Router(name="channels")
    router.channel_post.register(channel_post)
    router.edited_channel_post.register(edited_channel_post)
    admins = Router(name="channel commands")
    admins.message.filter(IsAdmin())
    admins.message.register(add_channel, Command("addchannel"))
    admins.message.register(delete_channel, Command("delchannel"))
    admins.message.register(list_channels, Command("channels"))
    router.include_router(admins)
    return router
