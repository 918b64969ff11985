"""Ordinary replies wait out a flood limit: aiogram 3 raises TelegramRetryAfter and never retries.

A reply that meets a 429 is sent again after `retry_after`, a few times at most and only while the total
wait stays under a cap, so a long flood wait still ends in the error (and the error router) instead of a
reply minutes late. Bulk sends are not retried here: `bot.delivery` paces every chat of a broadcast and
must see each 429 itself to pause them all, so its sends run inside `bot.delivery.caller_retries()` and
pass through.
"""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import AnswerCallbackQuery, GetUpdates, Response, TelegramMethod
from aiogram.methods.base import TelegramType

from bot.delivery import CALLER_RETRIES

log = logging.getLogger(__name__)

MAX_RETRIES = 3
MAX_TOTAL_WAIT = 30.0  # seconds one call may spend waiting out flood limits

# The broadcaster marks its own sends (bot.delivery.caller_retries): the bulk sender is below the
# Telegram layer, so the flag lives there and this middleware reads it.


class RetryAfter(BaseRequestMiddleware):
    """Bounded retry of a Bot API call refused with 429: at most `max_retries`, `max_total_wait` seconds."""

    def __init__(self, max_retries: int = MAX_RETRIES, max_total_wait: float = MAX_TOTAL_WAIT) -> None:
        self.max_retries = max_retries
        self.max_total_wait = max_total_wait
        self.retries = 0  # calls sent again after a flood wait, since start

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        # getUpdates: the polling loop has its own backoff. A button's answer: Telegram stops taking it
        # long before a flood wait would end.
        if CALLER_RETRIES.get() or isinstance(method, GetUpdates | AnswerCallbackQuery):
            return await make_request(bot, method)
        waited = 0.0
        attempt = 0
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                attempt += 1
                if attempt > self.max_retries or waited + exc.retry_after > self.max_total_wait:
                    raise
                log.info(
                    "%s hit a flood limit: retry %d in %d s", type(method).__name__, attempt, exc.retry_after
                )
                await asyncio.sleep(exc.retry_after)
                waited += exc.retry_after
                self.retries += 1
