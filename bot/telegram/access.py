"""Private mode (ACCESS=private): only admins and the users and chats they let in reach the handlers.

An outer middleware on every kind of event, set up after i18n's (refusals in the user's language). A
stranger is refused once (a message, an alert or an inline button, recorded in the database, so neither a
restart nor another instance says it twice) and then ignored: nothing else is answered or stored for them.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Chat, InlineQueryResultsButton, TelegramObject, Update, User

from bot.config import Settings
from bot.telegram import replies
from storage.access import AccessRepo

log = logging.getLogger(__name__)


class AccessGate(BaseMiddleware):
    def __init__(self, repo: AccessRepo) -> None:
        self._repo = repo

    def setup(self, router: Router) -> None:
        """On each event observer, as aiogram's I18nMiddleware.setup does (so, set up after it, this runs
        inside the user's locale); "error" is the error router's, "update" is before i18n."""
        for name, observer in router.observers.items():
            if name not in ("update", "error"):
                observer.outer_middleware(self)

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        settings: Settings = data["settings"]
        if settings.access == "open":
            return await handler(event, data)
        user: User | None = data.get("event_from_user")
        chat: Chat | None = data.get("event_chat")
        if user is not None and user.id in settings.admin_ids:
            return await handler(event, data)
        # A listed user anywhere; anyone in a listed group or channel (a private chat's id is its user's).
        if await self._repo.allows_any(i.id for i in (user, chat) if i is not None):
            return await handler(event, data)
        update = data.get("event_update")
        if isinstance(update, Update):
            await self._refuse(update, user, chat, data["bot"])
        return None

    async def _refuse(self, update: Update, user: User | None, chat: Chat | None, bot: Bot) -> None:
        """Tells the stranger once, in the form the update allows; afterwards, silence (a button still gets
        its empty answer, so its spinner stops)."""
        try:
            if update.callback_query is not None:
                query = update.callback_query
                if await self._repo.first_refusal(query.from_user.id):
                    await query.answer(replies.access.refused_button(), show_alert=True)
                else:
                    await query.answer()
            elif update.inline_query is not None:
                query = update.inline_query
                first = await self._repo.first_refusal(query.from_user.id)
                button = (
                    InlineQueryResultsButton(text=replies.access.refused_inline(), start_parameter="private")
                    if first
                    else None
                )
                await query.answer([], cache_time=60, is_personal=True, button=button)
            elif chat is not None and chat.type == "private" and user is not None:
                if await self._repo.first_refusal(user.id):
                    await bot.send_message(chat.id, replies.access.refused_user(user.id))
            elif (
                chat is not None
                and chat.type in ("group", "supergroup")
                and await self._repo.first_refusal(chat.id)
            ):
                await bot.send_message(chat.id, replies.access.refused_chat(chat.id))
            # Channels, chat member changes and the like: nothing to say, nothing done.
        except TelegramAPIError as exc:  # blocked, kicked, too late for a button: the refusal was recorded
            log.warning("could not tell a stranger the bot is private (update %s): %s", update.update_id, exc)
