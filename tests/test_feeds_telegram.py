"""Public Telegram channels as feeds (#15): the t.me/s/<name> web preview parsed into posts, and /addfeed of
such a page end to end — a saved-and-modified preview served from loopback, polled like any feed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp import web

from bot.emulator import BotAPIEmulator
from bot.feeds.parse import NotAFeed, parse_feed
from bot.feeds.service import POLL_JOB_ID
from bot.feeds.telegram import channel_name, is_preview, parse_preview, post_title, preview_url
from tests.conftest import ADMIN_EN, RunningBot, running_bot

pytestmark = pytest.mark.usefixtures("loopback_only")


def post(number: int, inner: str, when: str = "2025-11-20T09:15:00+00:00", reply: str = "") -> str:
    """One post block as t.me/s/ renders it (the markup of the page, trimmed of styles and scripts)."""
    quoted = (
        '<a class="tgme_widget_message_reply" href="https://t.me/newsroom/1">'
        '<div class="tgme_widget_message_author">'
        '<span class="tgme_widget_message_author_name">Редакция</span></div>'
        f'<div class="tgme_widget_message_metatext js-message_reply_text" dir="auto">{reply}</div></a>'
        if reply
        else ""
    )
    return f"""
<div class="tgme_widget_message_wrap js-widget_message_wrap">
 <div class="tgme_widget_message text_not_supported_wrap js-widget_message" data-post="newsroom/{number}"
      data-view="eyJjIjotMTAwMTIzNDU2Nzg5MH0">
  <div class="tgme_widget_message_user"><a href="https://t.me/newsroom">
   <i class="tgme_widget_message_user_photo"></i></a></div>
  <div class="tgme_widget_message_bubble">
   <div class="tgme_widget_message_author accent_color"><a class="tgme_widget_message_owner_name"
      href="https://t.me/newsroom"><span dir="auto">Редакция &lt;Новости&gt;</span></a></div>
   {quoted}
   {inner}
   <div class="tgme_widget_message_footer compact js-message_footer">
    <div class="tgme_widget_message_info short js-message_info">
     <span class="tgme_widget_message_views">12.3K</span><span class="copyonly"> views</span>
     <span class="tgme_widget_message_meta"><a class="tgme_widget_message_date"
        href="https://t.me/newsroom/{number}"><time datetime="{when}" class="time">12:15</time></a></span>
    </div>
   </div>
  </div>
 </div>
</div>"""


def text_block(html: str) -> str:
    return f'<div class="tgme_widget_message_text js-message_text" dir="auto">{html}</div>'


PHOTO_ONLY = (
    '<a class="tgme_widget_message_photo_wrap" href="https://t.me/newsroom/12" '
    "style=\"width:800px;background-image:url('https://cdn4.telesco.pe/file/photo.jpg')\"></a>"
)


def page(*posts: str) -> bytes:
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Редакция &lt;Новости&gt; – Telegram</title>
<meta property="og:title" content="Редакция &lt;Новости&gt;"></head>
<body class="widget_frame_base tgme_webpreview_body">
<header class="tgme_header search_collapsed"><div class="tgme_header_title">Редакция</div></header>
<main class="tgme_main"><div class="tgme_container">
<div class="tgme_channel_info"><div class="tgme_channel_info_header">
 <div class="tgme_channel_info_header_title"><span dir="auto">Редакция &lt;Новости&gt;</span></div>
 <div class="tgme_channel_info_header_username"><a href="https://t.me/newsroom">@newsroom</a></div></div></div>
<section class="tgme_channel_history js-message_history">{"".join(posts)}</section>
</div></main></body></html>""".encode()


POSTS = (
    post(
        10,
        text_block(
            '<i class="emoji"><b>⚡️</b></i> <b>В Томске открыли пешеходный мост через Ушайку.</b><br/><br/>'
            "Мост длиной 48 метров соединил улицу Карташова с набережной. По словам мэра Дмитрия Махинина, "
            'подрядчик уложился в смету. <a href="https://example.org/most" rel="noopener">Подробнее</a>'
        ),
    ),
    post(12, PHOTO_ONLY, when="2025-11-20T10:00:00+00:00"),
    post(
        13,
        text_block(
            "Губернатор поблагодарил строителей &amp; пообещал отремонтировать мост на улице Пушкина."
        ),
        when="2025-11-20T11:30:00+00:00",
        reply="В Томске открыли пешеходный мост",
    ),
)


def test_links_to_a_channel_name_it_and_its_preview() -> None:
    assert channel_name("https://t.me/newsroom") == "newsroom"
    assert channel_name("https://t.me/s/newsroom") == "newsroom"
    assert channel_name("http://telegram.me/newsroom/123") == "newsroom"
    for other in (
        "https://t.me/joinchat/AAAA",
        "https://t.me/c/123/4",
        "https://example.org/newsroom",
        "t.me",
    ):
        assert channel_name(other) is None
    assert preview_url("newsroom") == "https://t.me/s/newsroom"
    assert is_preview("https://t.me/s/newsroom") and not is_preview("https://t.me/newsroom")


def test_a_preview_page_gives_its_text_posts_with_links_dates_and_titles() -> None:
    preview = parse_preview(page(*POSTS), "http://127.0.0.1:1/s/newsroom")
    assert preview.title == "Редакция <Новости>"
    assert [p.post_id for p in preview.posts] == [10, 13]  # the photo alone is skipped
    first, reply = preview.posts
    assert first.url == "https://t.me/newsroom/10"
    assert first.title == "⚡️ В Томске открыли пешеходный мост через Ушайку."
    assert first.text.startswith("⚡️ В Томске открыли пешеходный мост через Ушайку.\n\nМост длиной 48 метров")
    assert first.text.endswith("подрядчик уложился в смету. Подробнее")
    assert first.published_at == datetime(2025, 11, 20, 9, 15, tzinfo=UTC)
    assert reply.text.startswith("Губернатор поблагодарил строителей & пообещал")  # not the quoted post
    assert "В Томске открыли" not in reply.text


def test_long_first_lines_become_a_sentence_or_a_cut_title() -> None:
    long = "Первое предложение поста. " + "слово " * 40
    assert post_title(long) == "Первое предложение поста."
    title = post_title("очень " * 60)
    assert len(title) <= 120 and title.endswith("…")


def test_parse_feed_reads_previews_and_sends_channel_links_to_them() -> None:
    parsed = parse_feed(page(*POSTS), "https://t.me/s/newsroom", "text/html; charset=utf-8")
    assert parsed.format == "telegram" and parsed.site_url == "https://t.me/newsroom"
    assert [i.guid for i in parsed.items] == ["https://t.me/newsroom/10", "https://t.me/newsroom/13"]
    assert not any(i.is_teaser for i in parsed.items)
    with pytest.raises(NotAFeed) as landing:
        parse_feed(
            b"<html><body><div class='tgme_page'>Newsroom</div></body></html>", "https://t.me/newsroom"
        )
    assert landing.value.advertised == ("https://t.me/s/newsroom",)
    with pytest.raises(NotAFeed):
        parse_feed(b"<html><body><p>nothing</p></body></html>", "https://t.me/s/newsroom")


class PreviewSite:
    """127.0.0.1 serving one channel preview, which a test can change between polls."""

    def __init__(self) -> None:
        self.body = page(*POSTS)
        self.port = 0
        self._runner: web.AppRunner | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def start(self) -> None:
        app = web.Application()

        async def preview(_: web.Request) -> web.Response:
            return web.Response(body=self.body, content_type="text/html", charset="utf-8")

        app.router.add_get("/s/newsroom", preview)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


@pytest_asyncio.fixture
async def preview_site() -> AsyncIterator[PreviewSite]:
    site = PreviewSite()
    await site.start()
    yield site
    await site.stop()


async def test_a_channel_preview_is_added_and_polled_like_a_feed(
    emulator: BotAPIEmulator, tmp_path: Path, preview_site: PreviewSite
) -> None:
    async with running_bot(emulator, tmp_path / "news.sqlite3", allow_private_urls=True) as bot:
        bot.app.scheduler.pause_job(POLL_JOB_ID)
        await added(bot, preview_site)
        stored = await bot.app.articles.latest(10)
        assert sorted(a.url or "" for a in stored) == ["https://t.me/newsroom/10", "https://t.me/newsroom/13"]
        first = next(a for a in stored if a.url == "https://t.me/newsroom/10")
        assert first.source == "Редакция <Новости>" and first.title.startswith("⚡️ В Томске открыли")
        assert first.published_at == datetime(2025, 11, 20, 9, 15, tzinfo=UTC)

        preview_site.body = page(
            *POSTS[1:],
            post(
                14,
                text_block("Новый пост: движение по мосту открыто круглосуточно."),
                "2025-11-21T08:00:00+00:00",
            ),
        )
        later = datetime.now(UTC) + timedelta(minutes=20)  # the next poll is due after 15 minutes
        bot.app.feeds.poller.clock = lambda: later
        job = bot.app.scheduler.get_job(POLL_JOB_ID)
        assert job is not None
        await job.func(*job.args, **job.kwargs)
        urls = sorted(a.url or "" for a in await bot.app.articles.latest(10))
        assert urls == ["https://t.me/newsroom/10", "https://t.me/newsroom/13", "https://t.me/newsroom/14"]


async def added(bot: RunningBot, site: PreviewSite) -> None:
    reply = await bot.reply(ADMIN_EN, f"/addfeed {site.url('/s/newsroom')}")
    assert reply["text"].startswith("✅ Feed #1 added: Редакция <Новости>")
    assert "new articles: 2" in reply["text"]
