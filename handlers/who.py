"""/who <name>: who is who in the stored news."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.analysis.service import Analyzer
from bot.config import Settings
from bot.telegram import replies
from bot.telegram.numbers import RowId
from bot.telegram.text import answer_long
from bot.who.service import WhoService

TOP_DAYS = 7


class WhoPick(CallbackData, prefix="who"):
    """A choice among namesakes; an id that cannot be a row fails to unpack (the stale-button alert)."""

    entity_id: RowId


async def show_who(
    message: Message, command: CommandObject, who: WhoService, analyzer: Analyzer, settings: Settings
) -> None:
    query = " ".join((command.args or "").split())[:100]
    if not query:
        top = await who.most_mentioned(days=TOP_DAYS)
        days: int | None = TOP_DAYS
        if not top:
            top, days = await who.most_mentioned(days=365 * 100), None
        await message.answer(replies.who.top_people(top, days))
        return
    answer = await who.who(query)
    if answer.card is not None:
        await answer_long(message, replies.who.card(answer.card, settings.timezone))
    elif answer.choices:
        keyboard = InlineKeyboardBuilder()
        for entity in answer.choices:
            keyboard.button(text=replies.who.choice_label(entity), callback_data=WhoPick(entity_id=entity.id))
        keyboard.adjust(1)
        await message.answer(replies.who.choices(query), reply_markup=keyboard.as_markup())
    else:
        waiting = replies.common.still_analysing(await analyzer.depth())
        await message.answer(replies.who.not_found(query, answer.suggestions) + waiting)


async def picked(query: CallbackQuery, callback_data: WhoPick, who: WhoService, settings: Settings) -> None:
    card = await who.card(callback_data.entity_id)
    await query.answer()
    if query.message is None:
        return
    if card is None:
        await query.message.answer(replies.who.card_gone())
        return
    await answer_long(query.message, replies.who.card(card, settings.timezone))


def create_router() -> Router:
    router = Router(name="who")
    router.message.register(show_who, Command("who"))
    router.callback_query.register(picked, WhoPick.filter())
    return router
