"""The error router: an exception no handler caught is logged once, with its update, and the user hears of it.

Without it aiogram logs the traceback and the user waits for an answer that never comes (a button's
spinner turns until Telegram gives up).
"""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, ErrorEvent, Message

from bot.telegram import replies

log = logging.getLogger(__name__)


async def apologise(event: ErrorEvent, bot: Bot) -> None:
    """Handled here, so aiogram does not log the exception a second time."""
    update = event.update
    log.error("update %d failed: %r", update.update_id, event.exception, exc_info=event.exception)
    try:
        if update.callback_query is not None:
            await _answer_query(update.callback_query, bot)
        elif (message := update.message or update.edited_message) is not None:
            await message.answer(replies.common.something_went_wrong())
    except TelegramAPIError as exc:  # the chat may be what failed: one more line, no second traceback
        log.warning("update %d: the apology was not delivered either: %s", update.update_id, exc)


async def _answer_query(query: CallbackQuery, bot: Bot) -> None:
    try:
        await bot.answer_callback_query(query.id, replies.common.something_went_wrong(), show_alert=True)
    except TelegramAPIError:
        # Answered already by the handler before it failed (Telegram takes one answer): tell the chat.
        if isinstance(query.message, Message):
            await query.message.answer(replies.common.something_went_wrong())
        else:
            raise


def create_router() -> Router:
    router = Router(name="errors")
    router.errors.register(apologise)
    return router
