"""/latest and /search: reading the archive."""

import re
from datetime import UTC, datetime

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.analysis.language import written_in
from bot.analysis.timeexpr import find_time_exprs
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
_COUNT_FIRST = re.compile(r"(\d{1,2})\s+(.+)")


def opens_with_a_date(text: str) -> bool:
    """ "9 мая", "1 November": the number is a day, not how many articles to show."""
    found = find_time_exprs(text, datetime.now(UTC).date(), "ru" if written_in(text, "ru") else "en")
    return any(expr.start == 0 for expr in found)


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
    count, words = LATEST, args
    counted = _COUNT_FIRST.fullmatch(args)  # "/latest 5 Трамп": that many about the words
    if counted and 1 <= int(counted.group(1)) <= MAX_LATEST and not opens_with_a_date(args):
        count, words = int(counted.group(1)), counted.group(2)
    found = await newest(articles, await read_query(words, entities), count)
    await answer_long(message, replies.common.latest(found, settings.timezone, words))


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
