"""/latest and /search: reading the archive."""

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot import render
from bot.config import Settings
from bot.telegram_text import answer_long
from storage.articles import ArticleRepo


async def latest(message: Message, articles: ArticleRepo, settings: Settings) -> None:
    await answer_long(message, render.latest(await articles.latest(10), settings.timezone))


async def search(message: Message, command: CommandObject, articles: ArticleRepo, settings: Settings) -> None:
    query = (command.args or "").strip()
    if not query:
        await message.answer(render.search_usage())
        return
    found = await articles.search(query, limit=10)
    await answer_long(message, render.search_results(query, found, settings.timezone))


def create_router() -> Router:
    router = Router(name="articles")
    router.message.register(latest, Command("latest"))
    router.message.register(search, Command("search"))
    return router
