"""/latest and /search: reading the archive."""

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.config import Settings
from bot.search import read_query
from bot.search import search as find
from bot.telegram import replies
from bot.telegram.text import answer_long
from bot.who.store import EntityStore
from storage.articles import ArticleRepo
from storage.stories import StoryRepo


async def latest(message: Message, articles: ArticleRepo, settings: Settings) -> None:
    await answer_long(message, replies.common.latest(await articles.latest(10), settings.timezone))


async def search(
    message: Message,
    command: CommandObject,
    articles: ArticleRepo,
    stories: StoryRepo,
    entities: EntityStore,
    settings: Settings,
) -> None:
    query = (command.args or "").strip()
    if not query:
        await message.answer(replies.common.search_usage())
        return
    read = await read_query(query, entities)  # a person known in both scripts is looked for in both
    hits = await find(articles, stories, read)
    await answer_long(message, replies.common.search_results(query, hits, settings.timezone, read.also))


def create_router() -> Router:
    router = Router(name="articles")
    router.message.register(latest, Command("latest"))
    router.message.register(search, Command("search"))
    return router
