"""/stats and /reindex: the archive as admins see it."""

from contextlib import suppress

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import Message

from bot.analysis.service import Analyzer
from bot.config import Settings
from bot.telegram import replies
from bot.telegram.filters import IsAdmin
from storage.articles import ArticleRepo
from storage.entities import EntityRepo


async def stats(
    message: Message, articles: ArticleRepo, entities: EntityRepo, analyzer: Analyzer, settings: Settings
) -> None:
    failures = await entities.failure_counts()
    waiting = await analyzer.depth()
    await message.answer(replies.common.stats(await articles.stats(), settings.timezone, failures, waiting))


async def reindex(message: Message, analyzer: Analyzer) -> None:
    if analyzer.reindexing:
        await message.answer(replies.common.reindex_running(analyzer.reindex_done, analyzer.reindex_total))
        return
    status = await message.answer(replies.common.reindex_started())

    async def progress(done: int, total: int) -> None:
        with suppress(TelegramBadRequest):  # "message is not modified" when nothing moved
            await status.edit_text(replies.common.reindex_progress(done, total))

    report = await analyzer.reindex(progress)
    await status.edit_text(replies.common.reindex_done(report.articles, report.failed, report.seconds))


def create_router() -> Router:
    router = Router(name="admin")
    router.message.filter(IsAdmin())
    router.message.register(stats, Command("stats"))
    router.message.register(reindex, Command("reindex"))
    return router
