"""/start and /help."""

from aiogram import Router
from aiogram.filters import Command, CommandStart
from aiogram.types import Message

from bot.config import Settings
from bot.telegram import replies
from bot.telegram.filters import is_admin


async def start(message: Message) -> None:
    await message.answer(replies.common.start())


async def help_(message: Message, settings: Settings) -> None:
    user_id = message.from_user.id if message.from_user else None
    await message.answer(replies.common.help_text(is_admin(user_id, settings)))


def create_router() -> Router:
    router = Router(name="common")
    router.message.register(start, CommandStart())
    router.message.register(help_, Command("help"))
    return router
