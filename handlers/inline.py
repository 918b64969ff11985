"""Inline mode: @bot words in any chat answers from the archive (search hits and a person card)."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQuery,
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
)

from bot.config import Settings
from bot.search import read_query
from bot.search import search as find
from bot.telegram import replies
from bot.who.service import WhoService
from bot.who.store import EntityStore
from storage.articles import ArticleRepo
from storage.stories import StoryRepo

MAX_RESULTS = 10
QUERY_LIMIT = 100  # as /who: a longer query names nothing more
CACHE_SECONDS = 30  # Telegram keeps the answer this long; the archive grows all day


async def inline_search(
    query: InlineQuery,
    bot: Bot,
    articles: ArticleRepo,
    stories: StoryRepo,
    who: WhoService,
    entities: EntityStore,
    settings: Settings,
) -> None:
    words = " ".join(query.query.split())[:QUERY_LIMIT]
    me = await bot.me()
    more = InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=replies.inline.more_button(), url=f"https://t.me/{me.username}")]
        ]
    )
    tz = settings.timezone
    results: list[InlineQueryResultArticle] = []
    if words:
        answer = await who.who(words)
        if answer.card is not None and answer.card.entity.kind == "PER":
            results.append(
                InlineQueryResultArticle(
                    id=f"p{answer.card.entity.id}",
                    title=replies.inline.person_title(answer.card),
                    description=replies.inline.person_description(answer.card),
                    input_message_content=InputTextMessageContent(
                        message_text=replies.inline.person_message(answer.card, tz),
                        link_preview_options=LinkPreviewOptions(is_disabled=True),
                    ),
                    reply_markup=more,
                )
            )
        # one result per story: ten outlets' reports of one event would hide every other story
        read = await read_query(words, entities)  # a person known in both scripts, in both
        found = [hit.article for hit in await find(articles, stories, read, MAX_RESULTS - len(results))]
    else:
        found = await articles.latest(MAX_RESULTS)
    for article in found:
        results.append(
            InlineQueryResultArticle(
                id=f"a{article.id}",
                title=replies.inline.article_title(article),
                description=replies.inline.article_description(article, tz),
                url=article.url,
                input_message_content=InputTextMessageContent(
                    message_text=replies.inline.article_message(article, words, tz),
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                ),
                reply_markup=more,
            )
        )
    # Personal in private mode: another user's answer must not be served from Telegram's cache.
    await query.answer(results, cache_time=CACHE_SECONDS, is_personal=settings.access == "private")


def create_router() -> Router:
    router = Router(name="inline")
    router.inline_query.register(inline_search)
    return router
