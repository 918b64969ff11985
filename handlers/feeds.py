"""Feeds (admins): /addfeed, /feeds (and /feeds opml), /delfeed, /resumefeed, /feedinterval, OPML import.

Included before handlers.ingest, which takes every other document an admin sends in private.
"""

from __future__ import annotations

import io
from pathlib import PurePath

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, Message

from bot.config import Settings
from bot.feeds.opml import MAX_OPML_BYTES, InvalidOpml
from bot.feeds.service import MAX_INTERVAL_MINUTES, MIN_INTERVAL_MINUTES, FeedService, valid_interval
from bot.fetch import FetchError
from bot.ingest.documents import LineProblem, Problem
from bot.ingest.service import IngestReport, IngestService
from bot.telegram import replies
from bot.telegram.filters import IsAdmin
from bot.telegram.numbers import fits_sqlite, parse_number
from bot.telegram.text import answer_long

OPML_SUFFIXES = (".opml", ".xml")


def _user_id(message: Message) -> int | None:
    return message.from_user.id if message.from_user else None


async def add_feed(message: Message, command: CommandObject, feeds: FeedService) -> None:
    parts = (command.args or "").split()
    if not 1 <= len(parts) <= 2:
        await message.answer(replies.feeds.add_feed_usage(feeds.default_minutes))
        return
    minutes = None
    if len(parts) == 2:
        minutes = parse_number(parts[1])
        if minutes is None or not valid_interval(minutes):
            await message.answer(replies.feeds.bad_interval(MIN_INTERVAL_MINUTES, MAX_INTERVAL_MINUTES))
            return
    try:
        added = await feeds.add(parts[0], by=_user_id(message), minutes=minutes)
    except FetchError as exc:
        await message.answer(replies.feeds.feed_not_added(parts[0], exc.kind, exc.status))
        return
    if added.created:
        await message.answer(replies.feeds.feed_added(added.feed, added.first_poll, added.found_on))
    else:
        await message.answer(replies.feeds.feed_known(added.feed))


async def list_feeds(
    message: Message, command: CommandObject, feeds: FeedService, settings: Settings
) -> None:
    if (command.args or "").strip().lower() == "opml":
        data, count = await feeds.export_opml()
        if not count:
            await message.answer(replies.feeds.no_feeds())
            return
        await message.answer_document(
            BufferedInputFile(data, filename="feeds.opml"), caption=replies.feeds.opml_export_caption(count)
        )
        return
    await answer_long(message, replies.feeds.feeds_list(await feeds.all_feeds(), settings.timezone))


async def delete_feed(message: Message, command: CommandObject, feeds: FeedService) -> None:
    feed_id = parse_number(command.args or "")
    if feed_id is None:
        await message.answer(replies.feeds.feed_number_usage("delfeed"))
        return
    feed = await feeds.delete(feed_id) if fits_sqlite(feed_id) else None
    await message.answer(replies.feeds.feed_deleted(feed) if feed else replies.feeds.no_such_feed(feed_id))


async def resume_feed(message: Message, command: CommandObject, feeds: FeedService) -> None:
    feed_id = parse_number(command.args or "")
    if feed_id is None:
        await message.answer(replies.feeds.feed_number_usage("resumefeed"))
        return
    feed = await feeds.resume(feed_id) if fits_sqlite(feed_id) else None
    await message.answer(replies.feeds.feed_resumed(feed) if feed else replies.feeds.no_such_feed(feed_id))


async def feed_interval(message: Message, command: CommandObject, feeds: FeedService) -> None:
    parts = (command.args or "").split()
    numbers = [parse_number(p) for p in parts]
    if len(numbers) != 2 or numbers[0] is None or numbers[1] is None:
        await message.answer(replies.feeds.feed_interval_usage())
        return
    feed_id, minutes = numbers
    if not valid_interval(minutes):
        await message.answer(replies.feeds.bad_interval(MIN_INTERVAL_MINUTES, MAX_INTERVAL_MINUTES))
        return
    feed = await feeds.set_interval(feed_id, minutes) if fits_sqlite(feed_id) else None
    reply = replies.feeds.feed_interval_set(feed) if feed else replies.feeds.no_such_feed(feed_id)
    await message.answer(reply)


def is_opml_upload(message: Message) -> bool:
    name = message.document.file_name if message.document else None
    return bool(name) and PurePath(name).suffix.lower() in OPML_SUFFIXES


async def import_opml(
    message: Message, bot: Bot, feeds: FeedService, ingest: IngestService, settings: Settings
) -> None:
    document = message.document
    assert document is not None
    name = document.file_name or ""
    is_xml = PurePath(name).suffix.lower() == ".xml"
    if is_xml and ingest.too_large(document.file_size):
        too_large = IngestReport(problems=[LineProblem(Problem.TOO_LARGE)])
        await message.answer(replies.common.ingest_report(too_large, settings.timezone))
        return
    if not is_xml and document.file_size is not None and document.file_size > MAX_OPML_BYTES:
        await message.answer(replies.feeds.opml_too_large(MAX_OPML_BYTES))
        return
    buffer = io.BytesIO()
    await bot.download(document, destination=buffer)
    data = buffer.getvalue()
    try:
        result = await feeds.import_opml(data, by=_user_id(message))
    except InvalidOpml:
        if is_xml:  # some other XML file: the ingest path answers for it as it did before feeds
            report = await ingest.document(name, data, by=_user_id(message))
            await answer_long(message, replies.common.ingest_report(report, settings.timezone))
        else:
            await message.answer(replies.feeds.opml_invalid())
        return
    await answer_long(
        message, replies.feeds.opml_imported(len(result.added), len(result.known), result.refused)
    )


def create_router() -> Router:
    router = Router(name="feeds")
    router.message.filter(IsAdmin())
    router.message.register(add_feed, Command("addfeed"))
    router.message.register(list_feeds, Command("feeds"))
    router.message.register(delete_feed, Command("delfeed"))
    router.message.register(resume_feed, Command("resumefeed"))
    router.message.register(feed_interval, Command("feedinterval"))
    router.message.register(import_opml, F.chat.type == "private", F.document, is_opml_upload)
    return router
