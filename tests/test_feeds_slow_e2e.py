"""Slow feed servers never delay the others: six feeds that trickle a byte at a time and four good ones,
imported together from one OPML file and polled by the scheduler's job. The good feeds' articles are stored
while the slow ones are still trickling; the slow ones end with a timeout recorded, not a hang."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp import web

from bot.emulator import BotAPIEmulator
from bot.feeds.polling import PollStatus
from bot.feeds.service import POLL_JOB_ID
from storage.feeds import Feed
from tests.conftest import ADMIN_EN, RunningBot, running_bot
from tests.web_fixtures import ARTICLE_BODY

pytestmark = pytest.mark.usefixtures("loopback_only")

SLOW, GOOD = 6, 4
FETCH_TIMEOUT = 8.0  # seconds a feed may take; the trickling ones never finish within it
TRICKLE_EVERY = 0.5  # seconds between two bytes of a slow feed
TEASERS = 3


async def until(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    async with asyncio.timeout(timeout):
        while True:
            if condition():
                return
            await asyncio.sleep(0.05)


def opml_of(*urls: str) -> bytes:
    outlines = "".join(f'<outline type="rss" xmlUrl="{url}"/>' for url in urls)
    return f'<opml version="2.0"><body>{outlines}</body></opml>'.encode()


def rss(title: str, n: int, link: str) -> bytes:
    published = format_datetime(datetime(2024, 5, 10 + n, 6, 30, tzinfo=UTC), usegmt=True)
    text = f"Лента {n} сообщает. " + " ".join(ARTICLE_BODY)
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<title>{title}</title><link>{link}</link><description>Новости</description>
<item><title>{title}: мост через Ушайку открыт</title><link>{link}/1</link><guid>{link}/1</guid>
<pubDate>{published}</pubDate><description>Коротко</description>
<content:encoded><![CDATA[<p>{text}</p>]]></content:encoded></item>
</channel></rss>""".encode()


class FeedServer:
    """One local server with both kinds of feed; it counts the slow answers still streaming."""

    def __init__(self) -> None:
        self.trickling = 0
        self.closing = asyncio.Event()
        self.port = 0
        self._runner: web.AppRunner | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def good(self, request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        body = rss(f"Хорошая лента {n}", n, self.url(f"/good/{n}"))
        return web.Response(body=body, content_type="application/rss+xml")

    async def teasers(self, request: web.Request) -> web.Response:
        """A quick feed of teasers whose article pages are slow: its poll spends its time taking items."""
        items = "".join(
            f"<item><title>Анонс {n}</title><link>{self.url(f'/page/{n}')}</link><guid>teaser-{n}</guid>"
            f"<description>Анонс {n}: в Томске открыли пешеходный мост через Ушайку.</description></item>"
            for n in range(TEASERS)
        )
        body = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Анонсы</title>'
        body += f"<link>{self.url('/')}</link><description>Анонсы</description>{items}</channel></rss>"
        return web.Response(body=body.encode(), content_type="application/rss+xml")

    async def page(self, request: web.Request) -> web.StreamResponse:
        return await self._trickle(request, "text/html", b"<html><body><p>" + b"x" * 1000)

    async def slow(self, request: web.Request) -> web.StreamResponse:
        n = int(request.match_info["n"])
        return await self._trickle(
            request, "application/rss+xml", rss(f"Медленная лента {n}", n, self.url(f"/slow/{n}"))
        )

    async def _trickle(self, request: web.Request, content_type: str, body: bytes) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": content_type})
        await response.prepare(request)
        self.trickling += 1
        try:
            for byte in body:
                await response.write(bytes([byte]))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.closing.wait(), TRICKLE_EVERY)
                if self.closing.is_set():
                    break
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self.trickling -= 1
        return response

    async def __aenter__(self) -> FeedServer:
        app = web.Application()
        app.router.add_get("/good/{n}.xml", self.good)
        app.router.add_get("/slow/{n}.xml", self.slow)
        app.router.add_get("/teasers.xml", self.teasers)
        app.router.add_get("/page/{n}", self.page)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        assert site._server is not None and site._server.sockets
        self.port = site._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.closing.set()
        if self._runner is not None:
            await self._runner.cleanup()


@pytest_asyncio.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as server:
        yield server


@pytest_asyncio.fixture
async def feed_bot(emulator: BotAPIEmulator, tmp_path: Path) -> AsyncIterator[RunningBot]:
    async with running_bot(
        emulator, tmp_path / "news.sqlite3", allow_private_urls=True, fetch_timeout_seconds=FETCH_TIMEOUT
    ) as running:
        running.app.scheduler.pause_job(POLL_JOB_ID)  # the test runs the job itself, once the feeds are in
        yield running


async def test_trickling_feeds_do_not_delay_good_ones_from_the_same_opml(
    feed_bot: RunningBot, feed_server: FeedServer
) -> None:
    # The worker process started and its models loaded, so that what is timed below is the polling.
    warm = await feed_bot.send_file(ADMIN_EN, "warm.txt", "Разминка\nМэр Томска открыл мост.".encode())
    assert warm["text"].startswith("✅ Saved #1")
    await feed_bot.app.analyzer.idle()

    # The slow feeds come first in the file, so they are the first due.
    urls = [feed_server.url(f"/slow/{n}.xml") for n in range(SLOW)]
    urls += [feed_server.url(f"/good/{n}.xml") for n in range(GOOD)]
    reply = await feed_bot.send_file(ADMIN_EN, "feeds.opml", opml_of(*urls))
    assert reply["text"].startswith(f"📥 OPML: feeds added: {SLOW + GOOD}, already on the list: 0")

    job = feed_bot.app.scheduler.get_job(POLL_JOB_ID)
    assert job is not None
    began = time.monotonic()
    polling = asyncio.create_task(job.func(*job.args, **job.kwargs))  # as the scheduler calls it

    def by_kind(feeds: list[Feed]) -> tuple[list[Feed], list[Feed]]:
        return [f for f in feeds if "/slow/" in f.url], [f for f in feeds if "/good/" in f.url]

    while True:
        slow, good = by_kind(await feed_bot.app.feeds.all_feeds())
        if all(f.items_total == 1 for f in good) or polling.done():
            break
        await asyncio.sleep(0.05)
    good_done_after = time.monotonic() - began
    # Stored while every slow feed was still sending its bytes, none of them failed yet.
    assert all(f.items_total == 1 for f in good), [(f.url, f.last_error) for f in good]
    assert feed_server.trickling == SLOW, good_done_after
    assert [f.consecutive_failures for f in slow] == [0] * SLOW

    outcomes = await asyncio.wait_for(polling, FETCH_TIMEOUT + 30)
    statuses = {o.feed_id: o.status for o in outcomes}
    slow, good = by_kind(await feed_bot.app.feeds.all_feeds())
    assert [statuses[f.id] for f in good] == [PollStatus.UPDATED] * GOOD
    assert [statuses[f.id] for f in slow] == [PollStatus.FAILED] * SLOW
    assert all(f.consecutive_failures == 1 and "timeout" in (f.last_error or "") for f in slow), [
        f.last_error for f in slow
    ]
    reply = await feed_bot.reply(ADMIN_EN, "/latest")
    for n in range(GOOD):
        assert f"Хорошая лента {n}: мост через Ушайку открыт" in reply["text"]
    assert "Медленная лента" not in reply["text"]


async def test_the_polling_job_does_not_wait_for_a_feed_still_taking_its_items(
    feed_bot: RunningBot, feed_server: FeedServer
) -> None:
    """The job runs one at a time (a run still going makes the scheduler skip the next): a poll that spends
    long on its items carries on by itself, and feeds falling due meanwhile are polled at the next run."""
    feeds = feed_bot.app.feeds
    feeds.job_wait = 1.0
    reply = await feed_bot.send_file(ADMIN_EN, "a.opml", opml_of(feed_server.url("/teasers.xml")))
    assert reply["text"].startswith("📥 OPML: feeds added: 1")
    job = feed_bot.app.scheduler.get_job(POLL_JOB_ID)
    assert job is not None
    assert await job.func(*job.args, **job.kwargs) == []  # returned, the poll carries on
    await until(lambda: feed_server.trickling == TEASERS)
    (teasers,) = await feeds.all_feeds()
    assert teasers.last_polled_at is None  # still taking its items: their pages are trickling

    reply = await feed_bot.send_file(ADMIN_EN, "b.opml", opml_of(feed_server.url("/good/0.xml")))
    assert reply["text"].startswith("📥 OPML: feeds added: 1")
    feeds.job_wait = 30.0
    outcomes = await job.func(*job.args, **job.kwargs)
    assert [o.status for o in outcomes] == [PollStatus.SKIPPED, PollStatus.UPDATED]  # teasers still busy

    # The teasers' poll ends by itself: each page out of time, each teaser stored as it is.
    for _ in range(int(FETCH_TIMEOUT + 60) * 10):
        polled = await feeds.repo.get(teasers.id)
        assert polled is not None
        if polled.last_polled_at is not None:
            break
        await asyncio.sleep(0.1)
    assert polled.items_total == TEASERS and polled.consecutive_failures == 0
