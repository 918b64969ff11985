"""Feeds end to end: admin commands over the emulator, feeds served by the local news site, the scheduler's
polling job run as the scheduler runs it, OPML in and out, and the admins' notice when a feed is paused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from apscheduler.triggers.interval import IntervalTrigger

from bot.emulator import BotAPIEmulator
from bot.feeds.opml import parse_opml
from bot.feeds.polling import PollOutcome, PollStatus
from bot.feeds.service import FORGET_JOB_ID, POLL_JOB_ID
from tests.conftest import ADMIN, ADMIN_EN, READER, READER_EN, RunningBot, running_bot
from tests.web_fixtures import (
    ARTICLE_BODY,
    FeedItemSpec,
    LocalNewsSite,
)

LONG_TEXT = " ".join(ARTICLE_BODY)

pytestmark = pytest.mark.usefixtures("loopback_only")


@pytest_asyncio.fixture
async def web_bot(emulator: BotAPIEmulator, tmp_path: Path) -> AsyncIterator[RunningBot]:
    async with running_bot(
        emulator, tmp_path / "news.sqlite3", allow_private_urls=True, feed_pause_after=3
    ) as running:
        running.app.scheduler.pause_job(POLL_JOB_ID)  # the test runs the job itself, at moments it chooses
        yield running


async def run_poll_job(bot: RunningBot, minutes_later: float) -> list[PollOutcome]:
    """The scheduler's job, called as the scheduler calls it, with the poller's clock moved ahead."""
    moment = datetime.now(UTC) + timedelta(minutes=minutes_later)
    bot.app.feeds.poller.clock = lambda: moment
    job = bot.app.scheduler.get_job(POLL_JOB_ID)
    assert job is not None
    return await job.func(*job.args, **job.kwargs)


def moving_item(n: int) -> FeedItemSpec:
    published = datetime(2024, 5, 14, tzinfo=UTC) + timedelta(hours=n)
    return FeedItemSpec(str(n), f"Новость {n}", published, f"{n}: {LONG_TEXT}", full=True, page=str(n))


async def test_polling_job_runs_every_minute_one_at_a_time(web_bot: RunningBot) -> None:
    job = web_bot.app.scheduler.get_job(POLL_JOB_ID)
    assert job is not None
    assert isinstance(job.trigger, IntervalTrigger) and job.trigger.interval == timedelta(minutes=1)
    assert (job.max_instances, job.coalesce) == (1, True)


async def test_items_feeds_no_longer_list_are_forgotten_daily(
    web_bot: RunningBot, site: LocalNewsSite
) -> None:
    job = web_bot.app.scheduler.get_job(FORGET_JOB_ID)
    assert job is not None
    assert isinstance(job.trigger, IntervalTrigger) and job.trigger.interval == timedelta(days=1)
    assert job.misfire_grace_time >= 3600  # not APScheduler's default second
    await web_bot.reply(ADMIN_EN, f"/addfeed {site.url('/rss.xml')}")
    # Run as the scheduler runs it, 31 days on: the feed was read then, its two items were not seen since.
    later = datetime.now(UTC) + timedelta(days=31)
    await web_bot.app.feeds.repo.record_success(
        1, etag=None, last_modified=None, items_new=0, polled_at=later
    )
    assert await job.func(now=later) == 2
    assert await job.func(now=later) == 0


async def test_a_site_page_given_for_a_feed_adds_the_feed_it_advertises(
    web_bot: RunningBot, site: LocalNewsSite
) -> None:
    reply = await web_bot.reply(ADMIN_EN, f"/addfeed {site.url('/home')}")
    assert reply["text"].startswith("✅ Feed #1 added: Томские новости, polled every 15 min.\n")
    assert f"That page is not a feed; this is the feed it links to: {site.url('/rss.xml')}" in reply["text"]
    assert [f.url for f in await web_bot.app.feeds.all_feeds()] == [site.url("/rss.xml")]
    assert site.paths().count("/home") == 1  # the page read once: its feed links come with the first answer
    again = await web_bot.reply(ADMIN_EN, f"/addfeed {site.url('/home')}")
    assert again["text"].startswith("↩️ This feed is already on the list as #1")


async def test_new_feed_is_polled_at_once_and_teasers_get_their_page_text(
    web_bot: RunningBot, site: LocalNewsSite
) -> None:
    reply = await web_bot.reply(ADMIN_EN, f"/addfeed {site.url('/rss.xml')}")
    assert reply["text"] == (
        "✅ Feed #1 added: Томские новости, polled every 15 min.\n"
        "First poll: new articles: 2, already stored: 0."
    )
    older, newer = await web_bot.app.articles.get(1), await web_bot.app.articles.get(2)
    assert older is not None and newer is not None
    assert older.title == "В Северске отключат горячую воду" and "Материал 2." in older.text
    assert newer.text == LONG_TEXT and newer.source == "Томские новости"
    assert newer.published_at == datetime(2024, 5, 14, 6, 30, tzinfo=UTC)
    again = await web_bot.reply(ADMIN_EN, f"/addfeed {site.url('/rss.xml')}")
    assert again["text"] == "↩️ This feed is already on the list as #1: Томские новости."


async def test_scheduled_polls_are_conditional_and_take_only_new_items(
    web_bot: RunningBot, site: LocalNewsSite
) -> None:
    site.moving_items = [moving_item(2), moving_item(1)]
    reply = await web_bot.reply(ADMIN, f"/addfeed {site.url('/moving.xml')} 30")
    assert "каждые 30 мин" in reply["text"] and "новых статей: 2" in reply["text"]
    assert await run_poll_job(web_bot, minutes_later=10) == []  # not due before its 30 minutes
    [unchanged] = await run_poll_job(web_bot, minutes_later=31)
    assert unchanged.status is PollStatus.NOT_MODIFIED
    assert site.requests[-1].headers.get("If-None-Match")
    # Item 2 left the feed, item 3 is new, item 1 is back under another guid.
    one = moving_item(1)
    renamed = FeedItemSpec("1-renamed", one.title, one.published, one.text, full=True, page="1")
    site.moving_items = [moving_item(3), one, renamed]
    [updated] = await run_poll_job(web_bot, minutes_later=62)
    assert (updated.status, updated.items_new, updated.items_duplicate) == (PollStatus.UPDATED, 1, 0)
    assert [a.title for a in await web_bot.app.articles.latest(10)] == ["Новость 3", "Новость 2", "Новость 1"]


async def test_failing_feed_backs_off_then_is_paused_and_every_admin_is_told(
    web_bot: RunningBot, emulator: BotAPIEmulator, site: LocalNewsSite
) -> None:
    # A feed that worked when added and has since gone away (404), as on a real site.
    feed, _ = await web_bot.app.feeds.repo.add(site.url("/gone.xml"), "Пропавшая <лента>")
    [first] = await run_poll_job(web_bot, minutes_later=0)
    assert first.status is PollStatus.FAILED
    assert await run_poll_job(web_bot, minutes_later=20) == []  # backing off: 30 minutes after one failure
    [second] = await run_poll_job(web_bot, minutes_later=31)
    before = {admin.id: len(emulator.messages(admin.id)) for admin in (ADMIN, ADMIN_EN)}
    [third] = await run_poll_job(web_bot, minutes_later=24 * 60)
    assert (second.status, third.status) == (PollStatus.FAILED, PollStatus.PAUSED)
    for admin in (ADMIN, ADMIN_EN):
        (notice,) = await emulator.replies(admin.id, 1, after=before[admin.id])
        assert notice["text"] == (
            f"⏸ Лента #{feed.id} Пропавшая <лента> приостановлена после 3 неудачных опросов подряд. "
            "Последняя ошибка: страница не найдена (HTTP 404).\n"
            f"/resumefeed {feed.id} включит её снова, /delfeed {feed.id} удалит."
        )
    assert await run_poll_job(web_bot, minutes_later=3 * 24 * 60) == []  # paused: never due
    listing = await web_bot.reply(ADMIN_EN, "/feeds")
    assert "⏸ paused" in listing["text"]
    assert "failed polls in a row: 3; last error: the page was not found (HTTP 404)." in listing["text"]
    resumed = await web_bot.reply(ADMIN_EN, f"/resumefeed {feed.id}")
    assert resumed["text"].startswith(f"▶️ Feed #{feed.id} resumed: Пропавшая <лента>.")
    assert [o.feed_id for o in await run_poll_job(web_bot, minutes_later=1)] == [feed.id]


async def test_feed_list_shows_each_feeds_health(web_bot: RunningBot, site: LocalNewsSite) -> None:
    empty = await web_bot.reply(ADMIN_EN, "/feeds")
    assert empty["text"].startswith("No feeds yet.")
    await web_bot.reply(ADMIN_EN, f"/addfeed {site.url('/rss.xml')}")
    await web_bot.reply(ADMIN_EN, f"/addfeed {site.url('/atom.xml')}")
    listing = await web_bot.reply(ADMIN_EN, "/feeds")
    text = listing["text"]
    assert text.startswith("📡 Feeds: 2")
    assert f"#1 Томские новости\n{site.url('/rss.xml')}\nevery 15 min · articles: 2 · last poll " in text
    # The Atom feed's article is the RSS feed's first one: stored once, counted where it came first.
    assert (
        f"#2 Томские новости (Atom)\n{site.url('/atom.xml')}\nevery 15 min · articles: 0 · last poll " in text
    )
    assert "failed" not in text
    changed = await web_bot.reply(ADMIN_EN, "/feedinterval 2 60")
    assert changed["text"] == "✅ Feed #2 is now polled every 60 min."
    refused = await web_bot.reply(ADMIN_EN, "/feedinterval 2 1")
    assert refused["text"] == "⚠️ The interval is a whole number of minutes from 5 to 1440."


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/broken.xml", "this is not an RSS, Atom or JSON feed."),
        ("/article/1", "this is not an RSS, Atom or JSON feed."),
        ("/gone.xml", "the page was not found (HTTP 404)."),
        ("/huge", "the page is larger than 5 MB."),
    ],
)
async def test_a_feed_that_cannot_be_read_is_not_added(
    web_bot: RunningBot, site: LocalNewsSite, path: str, reason: str
) -> None:
    url = site.url(path)
    reply = await web_bot.reply(ADMIN_EN, f"/addfeed {url}")
    assert reply["text"] == f"⚠️ Feed not added, {url}: {reason}"
    assert await web_bot.app.feeds.all_feeds() == []
    assert await web_bot.app.articles.count() == 0


async def test_feeds_on_private_addresses_are_refused_without_the_setting(
    bot: RunningBot, site: LocalNewsSite, loopback_only: list[str]
) -> None:
    for url in (site.url("/rss.xml"), f"http://localhost:{site.port}/rss.xml"):
        reply = await bot.reply(ADMIN_EN, f"/addfeed {url}")
        assert reply["text"] == (
            f"⚠️ Feed not added, {url}: "
            "the address leads into a private or local network; such links are refused."
        )
    assert site.requests == [] and loopback_only == []
    assert await bot.app.feeds.all_feeds() == []


async def test_opml_import_then_export_round_trips(
    web_bot: RunningBot, emulator: BotAPIEmulator, site: LocalNewsSite
) -> None:
    opml = f"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0"><head><title>Подписки</title></head><body>
<outline text="Город"><outline text="Томск &amp; область" type="rss" xmlUrl="{site.url("/rss.xml")}"/>
<outline text="JSON" type="rss" xmlUrl="{site.url("/feed.json")}"/></outline>
<outline text="FTP" type="rss" xmlUrl="ftp://127.0.0.1/feed.xml"/>
</body></opml>""".encode()
    reply = await web_bot.send_file(ADMIN_EN, "subscriptions.opml", opml)
    assert reply["text"] == (
        "📥 OPML: feeds added: 2, already on the list: 0, refused: 0.\n"
        "New feeds are polled within a minute; /feeds shows how they do."
    )
    again = await web_bot.send_file(ADMIN_EN, "subscriptions.opml", opml)
    assert again["text"].startswith("📥 OPML: feeds added: 0, already on the list: 2")
    outcomes = await run_poll_job(web_bot, minutes_later=0)
    # Both feeds carry the same two articles (same links): polled side by side, each is stored once.
    assert sum(o.items_new for o in outcomes) == 2 and sum(o.items_duplicate for o in outcomes) == 2
    assert await web_bot.app.articles.count() == 2
    before = len(emulator.messages(ADMIN_EN.id))
    await emulator.send_text(ADMIN_EN, "/feeds opml")
    (export,) = await emulator.replies(ADMIN_EN.id, 1, after=before)
    assert export["document"]["file_name"] == "feeds.opml"
    assert export["caption"].startswith("📤 Feeds in this OPML file: 2.")
    exported = parse_opml(export["content"])
    assert [(f.url, f.title) for f in exported] == [
        (site.url("/rss.xml"), "Томск & область"),
        (site.url("/feed.json"), "JSON"),
    ]


async def test_files_that_are_not_opml(web_bot: RunningBot) -> None:
    reply = await web_bot.send_file(ADMIN_EN, "feeds.opml", b"<html><body>not a list</body></html>")
    assert reply["text"] == "⚠️ This is not an OPML file listing http(s) feeds."
    # Another .xml document goes the way every document goes: the ingest path answers for it.
    other = await web_bot.send_file(ADMIN_EN, "report.xml", b"<report><p>text</p></report>")
    assert other["text"].startswith("⚠️ Files of type “.xml” are not supported.")
    assert await web_bot.app.feeds.all_feeds() == []


async def test_deleting_a_feed_keeps_its_articles(web_bot: RunningBot, site: LocalNewsSite) -> None:
    await web_bot.reply(ADMIN, f"/addfeed {site.url('/rss.xml')}")
    deleted = await web_bot.reply(ADMIN, "/delfeed 1")
    assert deleted["text"] == "🗑 Лента #1 удалена: Томские новости. Её статьи остаются в архиве."
    missing = await web_bot.reply(ADMIN, "/delfeed 1")
    assert missing["text"] == "Ленты #1 нет. Список лент — /feeds."
    usage = await web_bot.reply(ADMIN, "/delfeed")
    assert usage["text"].startswith("Напишите номер ленты из /feeds")
    assert await web_bot.app.feeds.all_feeds() == []
    assert await web_bot.app.articles.count() == 2


async def test_non_admins_cannot_touch_feeds(web_bot: RunningBot, site: LocalNewsSite) -> None:
    for command in (
        f"/addfeed {site.url('/rss.xml')}",
        "/feeds",
        "/feeds opml",
        "/delfeed 1",
        "/resumefeed 1",
    ):
        reply = await web_bot.reply(READER, command)
        assert reply["text"].startswith("⛔"), command
    opml = f'<opml version="2.0"><body><outline xmlUrl="{site.url("/rss.xml")}"/></body></opml>'.encode()
    reply = await web_bot.send_file(READER_EN, "feeds.opml", opml)
    assert reply["text"].startswith("⛔ Only the bot's admins can do that.")
    assert site.requests == []
    assert await web_bot.app.feeds.all_feeds() == []
