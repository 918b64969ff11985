"""Admins add articles: documents, /ingest with text, a link (see handlers.links) or as a reply,
forwarded channel posts."""

from __future__ import annotations

import io
from datetime import datetime

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message, MessageOriginChannel, MessageOriginChat

from bot.config import Settings
from bot.ingest.documents import LineProblem, Problem
from bot.ingest.links import LinkService, lone_url
from bot.ingest.service import IngestReport, IngestService
from bot.telegram import replies
from bot.telegram.filters import IsAdmin
from bot.telegram.text import answer_long
from handlers.links import answer_link


def _origin(message: Message) -> tuple[str | None, str | None, datetime | None]:
    """Source name, post URL and date of a forwarded post: the channel is the source."""
    origin = message.forward_origin
    if isinstance(origin, MessageOriginChannel):
        chat = origin.chat
        name = chat.title or chat.username
        url = f"https://t.me/{chat.username}/{origin.message_id}" if chat.username else None
        return name, url, origin.date
    if isinstance(origin, MessageOriginChat):
        return origin.sender_chat.title, None, origin.date
    return None, None, None


async def _ingest_document(message: Message, bot: Bot, ingest: IngestService) -> IngestReport:
    document = message.document
    assert document is not None
    if ingest.too_large(document.file_size):
        return IngestReport(problems=[LineProblem(Problem.TOO_LARGE)])
    buffer = io.BytesIO()
    await bot.download(document, destination=buffer)
    return await ingest.document(document.file_name or "", buffer.getvalue(), by=message.from_user.id)


async def _ingest_post(post: Message, ingest: IngestService, by: int) -> IngestReport:
    source, url, published = _origin(post)
    return await ingest.text(
        post.text or post.caption or "", by=by, source=source, url=url, published_at=published
    )


async def ingest_command(
    message: Message,
    command: CommandObject,
    bot: Bot,
    ingest: IngestService,
    links: LinkService,
    settings: Settings,
) -> None:
    if message.document is not None:
        # "/ingest" (or "/ingest@bot", or "/ingest words") as a document's caption: the user named the
        # command for this file. The file keeps its own title: a document has no title to override.
        report = await _ingest_document(message, bot, ingest)
        await answer_long(message, replies.common.ingest_report(report, settings.timezone))
        return
    target = message.reply_to_message
    # A lone link, after the command or in the replied message, means the page behind it.
    replied_text = target.text if target is not None else None
    url = lone_url(command.args) if command.args and command.args.strip() else lone_url(replied_text)
    if url:
        await answer_link(message, url, links, settings)
        return
    if command.args and command.args.strip():
        report = await ingest.text(command.args, by=message.from_user.id)
    elif target is not None and target.document is not None:
        report = await _ingest_document(target, bot, ingest)
    elif target is not None and (target.text or target.caption):
        report = await _ingest_post(target, ingest, message.from_user.id)
    else:
        await message.answer(replies.common.ingest_usage())
        return
    await answer_long(message, replies.common.ingest_report(report, settings.timezone))


async def ingest_document(message: Message, bot: Bot, ingest: IngestService, settings: Settings) -> None:
    report = await _ingest_document(message, bot, ingest)
    await answer_long(message, replies.common.ingest_report(report, settings.timezone))


async def ingest_forward(message: Message, ingest: IngestService, settings: Settings) -> None:
    report = await _ingest_post(message, ingest, message.from_user.id)
    await answer_long(message, replies.common.ingest_report(report, settings.timezone))


def create_router() -> Router:
    router = Router(name="ingest")
    router.message.filter(IsAdmin())
    router.message.register(ingest_command, Command("ingest"))
    router.message.register(ingest_document, F.chat.type == "private", F.document)
    router.message.register(ingest_forward, F.chat.type == "private", F.forward_origin, F.text | F.caption)
    return router
