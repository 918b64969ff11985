"""/latest and /search: reading the archive."""

import re

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.config import Settings
from bot.search import newest, read_query
from bot.search import search as find
from bot.telegram import replies
from bot.telegram.text import answer_long
from bot.who.store import EntityStore
from storage.articles import ArticleRepo
from storage.stories import StoryRepo

LATEST = 10  # /latest shows this many articles, `/latest N` up to MAX_LATEST
MAX_LATEST = 30
_COUNT = re.compile(r"[-+−]?\d+")


async def latest(
    message: Message, command: CommandObject, articles: ArticleRepo, entities: EntityStore, settings: Settings
) -> None:
    """/latest: the newest articles; `/latest 5` that many; `/latest Песков` the newest about those words."""
    args = (command.args or "").strip()
    if _COUNT.fullmatch(args):
        count = int(args.replace("−", "-"))
        if not 1 <= count <= MAX_LATEST:
            await message.answer(replies.common.latest_usage(args, MAX_LATEST))
            return
        await answer_long(message, replies.common.latest(await articles.latest(count), settings.timezone))
        return
    if not args:
        await answer_long(message, replies.common.latest(await articles.latest(LATEST), settings.timezone))
        return
    found = await newest(articles, await read_query(args, entities), LATEST)
    await answer_long(message, replies.common.latest(found, settings.timezone, args))


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
    if not read.terms and read.without:  # "/search -спорт": nothing to look for
        await message.answer(replies.common.search_left_out_only(query))
        return
    hits = await find(articles, stories, read)
    await answer_long(
        message, replies.common.search_results(query, hits, settings.timezone, read.also, read.names)
    )


def create_router() -> Router:
    router = Router(name="articles")
    router.message.register(latest, Command("latest"))
    router.message.register(search, Command("search"))
    return router
