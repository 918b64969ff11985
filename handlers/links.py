"""Links admins send: `/ingest <url>` (handlers.ingest delegates here) and a private message that is only a
link. The page's article is stored like pasted text; a page that cannot be read stores nothing."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.types import Message

from bot.config import Settings
from bot.fetch import FetchError
from bot.ingest.links import LinkService, lone_url
from bot.telegram import replies
from bot.telegram.filters import IsAdmin
from bot.telegram.text import answer_long

log = logging.getLogger(__name__)


async def answer_link(message: Message, url: str, links: LinkService, settings: Settings) -> None:
    by = message.from_user.id if message.from_user else None
    try:
        report = await links.ingest(url, by=by)
    except FetchError as exc:
        log.info("link %s not stored: %s", url, exc)
        await message.answer(replies.feeds.link_failed(url, exc.kind, exc.status))
        return
    await answer_long(message, replies.common.ingest_report(report, settings.timezone))


async def lone_link(message: Message, url: str, links: LinkService, settings: Settings) -> None:
    await answer_link(message, url, links, settings)


def create_router() -> Router:
    router = Router(name="links")
    router.message.filter(IsAdmin())
    router.message.register(
        lone_link, F.chat.type == "private", ~F.forward_origin, F.text.func(lone_url).as_("url")
    )
    return router
