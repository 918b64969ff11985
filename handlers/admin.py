"""/stats: what the archive holds (admins)."""

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot import render
from bot.config import Settings
from bot.filters import IsAdmin
from storage.articles import ArticleRepo


async def stats(message: Message, articles: ArticleRepo, settings: Settings) -> None:
    await message.answer(render.stats(await articles.stats(), settings.timezone))


def create_router() -> Router:
    router = Router(name="admin")
    router.message.filter(IsAdmin())
    router.message.register(stats, Command("stats"))
    return router
