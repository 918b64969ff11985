"""Links end to end: an admin's /ingest <url> or bare link → safe fetch from the local news site → extraction
in the worker → SQLite → the reply. Every failure is explained and stores nothing."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from ipaddress import ip_network
from pathlib import Path

import pytest
import pytest_asyncio
from aiogram.utils.i18n import I18n

from bot.emulator import BotAPIEmulator
from bot.fetch import USER_AGENT, AddressPolicy, FetchErrorKind
from bot.ingest.links import lone_url
from bot.telegram import replies
from bot.telegram.i18n import create_i18n
from tests.conftest import ADMIN, ADMIN_EN, READER, READER_EN, RunningBot, running_bot
from tests.web_fixtures import (
    ARTICLE_AUTHOR,
    ARTICLE_BODY,
    ARTICLE_TITLE,
    LocalNewsSite,
)

pytestmark = pytest.mark.usefixtures("loopback_only")


@pytest_asyncio.fixture
async def web_bot(emulator: BotAPIEmulator, tmp_path: Path) -> AsyncIterator[RunningBot]:
    """The bot as tests run it: loopback allowed (ALLOW_PRIVATE_URLS=true), a short fetch timeout."""
    async with running_bot(
        emulator, tmp_path / "news.sqlite3", allow_private_urls=True, fetch_timeout_seconds=2.0
    ) as running:
        yield running


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://lenta.ru/news/2024/05/14/most/", "https://lenta.ru/news/2024/05/14/most/"),
        ("  http://127.0.0.1:8080/a?b=1  ", "http://127.0.0.1:8080/a?b=1"),
        ("lenta.ru/news/2024/05/14/most/", "https://lenta.ru/news/2024/05/14/most/"),
        ("ftp://example.org/file.txt", "ftp://example.org/file.txt"),
        ("<https://example.org/a>", "https://example.org/a"),
        ("Переговоры в Женеве", None),
        ("https://example.org/a и ещё текст", None),
        ("example.org", None),
        ("т.е.", None),
        ("", None),
    ],
)
def test_only_a_message_that_is_nothing_but_a_link_is_a_link(text: str, expected: str | None) -> None:
    assert lone_url(text) == expected


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_every_fetch_error_kind_has_its_own_message(lang: str) -> None:
    i18n: I18n = create_i18n()
    with i18n.context(), i18n.use_locale(lang):
        messages = {kind: replies.feeds.fetch_problem(kind) for kind in FetchErrorKind}
        generic = replies.feeds.fetch_problem(None)
    assert len(set(messages.values())) == len(FetchErrorKind)
    assert generic not in messages.values()
    if lang == "ru":
        assert all(any("а" <= ch <= "я" for ch in text) for text in messages.values())


async def test_link_after_ingest_is_stored_with_the_page_metadata(
    web_bot: RunningBot, site: LocalNewsSite
) -> None:
    url = site.url("/article/1")
    reply = await web_bot.reply(ADMIN_EN, f"/ingest {url}")
    assert reply["text"] == f"✅ Saved #1: {ARTICLE_TITLE} (14 May 2024)"
    article = await web_bot.app.articles.get(1)
    assert article is not None
    assert (article.url, article.source, article.ingested_by) == (url, "Томские новости", ADMIN_EN.id)
    assert article.author == ARTICLE_AUTHOR
    assert article.published_at == datetime(2024, 5, 14, 6, 30, tzinfo=UTC)
    assert article.text.startswith(ARTICLE_BODY[0][:60])
    assert "Читайте также" not in article.text and "©" not in article.text
    assert site.requests[-1].headers["User-Agent"] == USER_AGENT


async def test_admin_message_that_is_only_a_link_is_stored_once(
    web_bot: RunningBot, site: LocalNewsSite
) -> None:
    # Through two redirects: the article keeps the address it was finally found at.
    reply = await web_bot.reply(ADMIN, site.url("/redirect/2"))
    assert reply["text"].startswith(f"✅ Сохранено #1: {ARTICLE_TITLE} (14 мая 2024)")
    article = await web_bot.app.articles.get(1)
    assert article is not None and article.url == site.url("/article/1")
    again = await web_bot.reply(ADMIN, site.url("/article/1"))
    assert again["text"] == f"↩️ Уже есть в архиве под #1: {ARTICLE_TITLE}"
    assert await web_bot.app.articles.count() == 1


async def test_ingest_as_a_reply_to_a_link_stores_the_page(
    web_bot: RunningBot, emulator: BotAPIEmulator, site: LocalNewsSite
) -> None:
    group = {"id": -700, "type": "group", "title": "Редакция"}
    shared = await emulator.send_text(READER, site.url("/article/1"), chat=group)
    reply = await web_bot.reply(ADMIN_EN, "/ingest", chat=group, reply_to=shared)
    assert reply["text"].startswith(f"✅ Saved #1: {ARTICLE_TITLE}")


async def test_each_unreadable_link_gets_its_reason_and_nothing_is_stored(
    web_bot: RunningBot, site: LocalNewsSite
) -> None:
    cases = [
        (site.url("/missing"), "the page was not found (HTTP 404)."),
        (site.url("/server-error"), "the site answered with an error (HTTP 503)."),
        (site.url("/image.png"), "this is not a web page (HTML)."),
        (site.url("/huge"), "the page is larger than 5 MB."),
        (site.url("/huge-declared"), "the page is larger than 5 MB."),
        (site.url("/section"), "no article text was found on this page."),
        (site.url("/redirect/6"), "the page redirects more than 5 times."),
        (site.url("/redirect-ftp"), "only http:// and https:// links can be read."),
        (site.url("/slow"), "the site did not answer in time."),
        (f"http://127.0.0.1:{closed_port()}/news", "the site could not be reached."),
        ("ftp://127.0.0.1/pub/news.txt", "only http:// and https:// links can be read."),
    ]
    for url, reason in cases:
        reply = await web_bot.reply(ADMIN_EN, f"/ingest {url}")
        assert reply["text"].startswith(f"⚠️ Nothing stored from {url}: {reason}"), (url, reply["text"])
    missing = site.url("/missing")
    russian = await web_bot.reply(ADMIN, missing)
    assert russian["text"] == f"⚠️ Ничего не сохранено из {missing}: страница не найдена (HTTP 404)."
    assert await web_bot.app.articles.count() == 0


async def test_redirect_into_a_private_network_is_refused_before_connecting(
    web_bot: RunningBot, site: LocalNewsSite, loopback_only: list[str]
) -> None:
    # As on a server without the setting, but with the local site's own address still open.
    web_bot.app.fetcher.policy = AddressPolicy(allowed_networks=(ip_network("127.0.0.1/32"),))
    for path in ("/redirect-private", "/redirect-metadata"):
        reply = await web_bot.reply(ADMIN_EN, f"/ingest {site.url(path)}")
        assert "the address leads into a private or local network" in reply["text"], path
    assert loopback_only == []
    assert await web_bot.app.articles.count() == 0


async def test_private_addresses_are_refused_without_the_setting(
    bot: RunningBot, site: LocalNewsSite, loopback_only: list[str]
) -> None:
    for url in (site.url("/article/1"), f"http://localhost:{site.port}/article/1", "http://10.1.2.3/news"):
        reply = await bot.reply(ADMIN_EN, f"/ingest {url}")
        assert "private or local network" in reply["text"], url
    assert site.requests == [] and loopback_only == []
    assert await bot.app.articles.count() == 0


async def test_non_admins_links_are_neither_fetched_nor_stored(
    web_bot: RunningBot, site: LocalNewsSite
) -> None:
    reply = await web_bot.reply(READER, f"/ingest {site.url('/article/1')}")
    assert reply["text"].startswith("⛔")
    reply = await web_bot.reply(READER_EN, site.url("/article/1"))
    assert reply["text"].startswith("I answer commands")
    assert site.requests == []
    assert await web_bot.app.articles.count() == 0
