"""/latest and /search: reading the archive."""

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.analysis.stems import query_stems
from bot.config import Settings
from bot.telegram import replies
from bot.telegram.text import answer_long
from storage.articles import ArticleRepo


async def latest(message: Message, articles: ArticleRepo, settings: Settings) -> None:
    await answer_long(message, replies.common.latest(await articles.latest(10), settings.timezone))


async def search(message: Message, command: CommandObject, articles: ArticleRepo, settings: Settings) -> None:
    query = (command.args or "").strip()
    if not query:
        await message.answer(replies.common.search_usage())
        return
    found = await articles.search(query_stems(query), limit=10)
    await answer_long(message, replies.common.search_results(query, found, settings.timezone))


def create_router() -> Router:
    router = Router(name="articles")
    router.message.register(latest, Command("latest"))
    router.message.register(search, Command("search"))
    return router
