"""/timeline [topic]: the events about a topic, oldest first, or those of the last two weeks."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, LinkPreviewOptions, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from pydantic import model_validator

from bot.analysis.service import Analyzer
from bot.telegram import replies
from bot.telegram.numbers import Position, RowId
from bot.timeline.service import PERIOD, RECENT, RECENT_DAYS, TimelinePage, TimelineService, period_of

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)  # a page links many sources; a preview of one misleads


class TimelineTurn(CallbackData, prefix="tl"):
    """A page button: the topic by kind and number, and the position to page from (64 bytes at most).

    Validated as it is unpacked, so a malformed or forged button matches no handler (the stale-button
    alert) instead of reaching SQLite or the calendar with a number neither can take.
    """

    kind: Literal["e", "w", "r", "p"]  # bot.timeline.service's ENTITY, WORDS, RECENT, PERIOD
    ref: RowId
    position: Position
    back: bool

    @model_validator(mode="after")
    def _recent_day_exists(self) -> TimelineTurn:
        # RECENT pages by the ordinal of their last day; the first of their RECENT_DAYS must exist too.
        if self.kind == RECENT and not RECENT_DAYS <= self.ref <= dt.date.max.toordinal():
            raise ValueError(f"no such day: {self.ref}")
        if self.kind == PERIOD and period_of(self.ref) is None:  # and a period's days
            raise ValueError(f"no such period: {self.ref}")
        return self


def buttons(page: TimelinePage) -> InlineKeyboardMarkup | None:
    if not page.events or not (page.more_before or page.more_after):
        return None
    keyboard = InlineKeyboardBuilder()
    topic = page.topic
    if page.more_before:
        first = page.events[0].position
        keyboard.button(
            text="◀", callback_data=TimelineTurn(kind=topic.kind, ref=topic.ref, position=first, back=True)
        )
    if page.more_after:
        last = page.events[-1].position
        keyboard.button(
            text="▶", callback_data=TimelineTurn(kind=topic.kind, ref=topic.ref, position=last, back=False)
        )
    return keyboard.as_markup()


async def show_timeline(
    message: Message, command: CommandObject, timeline: TimelineService, analyzer: Analyzer
) -> None:
    query = " ".join((command.args or "").split())[:100]
    if query:
        answer = await timeline.find(query)
        if answer.page is None:
            waiting = replies.common.still_analysing(await analyzer.depth())
            await message.answer(replies.timeline.not_found(query, answer.suggestions) + waiting)
            return
        page = answer.page
    else:
        page = await timeline.recent()
    page = replies.timeline.fit(page)
    await message.answer(
        replies.timeline.timeline(page), reply_markup=buttons(page), link_preview_options=NO_PREVIEW
    )


async def turned(query: CallbackQuery, callback_data: TimelineTurn, timeline: TimelineService) -> None:
    await query.answer()
    if not isinstance(query.message, Message):
        return  # too old to edit
    topic = await timeline.topic(callback_data.kind, callback_data.ref)
    if topic is None:
        await query.message.answer(replies.timeline.gone())
        return
    if callback_data.back:
        page = await timeline.page(topic, before=callback_data.position)
    else:
        page = await timeline.page(topic, after=callback_data.position)
    page = replies.timeline.fit(page)
    try:
        await query.message.edit_text(
            replies.timeline.timeline(page), reply_markup=buttons(page), link_preview_options=NO_PREVIEW
        )
    except TelegramBadRequest as exc:
        if "message is not modified" not in exc.message:  # a button pressed twice shows the same page
            raise


def create_router() -> Router:
    router = Router(name="timeline")
    router.message.register(show_timeline, Command("timeline"))
    router.callback_query.register(turned, TimelineTurn.filter())
    return router
