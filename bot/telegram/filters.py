"""Who may do what: admin-only routers filter on the configured ADMIN_IDS; a chat's own settings (its
digest) are changed by anyone in a private chat and by the chat's admins elsewhere."""

from __future__ import annotations

from aiogram import Bot
from aiogram.filters import BaseFilter
from aiogram.types import CallbackQuery, Message

from bot.config import Settings

ADMIN_STATUSES = frozenset({"creator", "administrator"})


class IsAdmin(BaseFilter):
    async def __call__(self, event: Message | CallbackQuery, settings: Settings) -> bool:
        user = event.from_user
        return user is not None and user.id in settings.admin_ids


def is_admin(user_id: int | None, settings: Settings) -> bool:
    return user_id is not None and user_id in settings.admin_ids


class IsGroupAdmin(BaseFilter):
    """In a private chat anyone; in a group (or channel) its creator and administrators, asked of Telegram
    each time, and an anonymous admin, whose message comes from the group itself (sender_chat). A button
    counts for the chat of the message it is under. Register a refusal after the filtered handler: a
    filter that fails only passes the update on."""

    async def __call__(self, event: Message | CallbackQuery, bot: Bot) -> bool:
        if isinstance(event, CallbackQuery):
            if event.message is None:  # a button under an inline message: no chat to be admin of
                return False
            chat = event.message.chat
        else:
            chat = event.chat
            if event.sender_chat is not None and event.sender_chat.id == chat.id:
                return True
        if chat.type == "private":
            return True
        if event.from_user is None:
            return False
        member = await bot.get_chat_member(chat.id, event.from_user.id)
        return member.status in ADMIN_STATUSES
