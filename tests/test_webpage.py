"""Article extraction from pages written for these tests; reading a link end to end from the local site."""

from __future__ import annotations

import multiprocessing
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime

import lxml.html
import pytest
import pytest_asyncio

from bot.feeds.parse import NotAFeed, parse_feed
from bot.fetch import Fetcher, FetchError, FetchErrorKind
from bot.ingest.webpage import extract_article, parse_datetime, published_from_metadata, read_article
from tests.web_fixtures import (
    ARTICLE_AUTHOR,
    ARTICLE_BODY,
    ARTICLE_TITLE,
    LocalNewsSite,
    article_html,
    no_article_html,
)

pytestmark = pytest.mark.usefixtures("loopback_only")


@pytest_asyncio.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(allow_private=True, timeout=5.0) as client:
        yield client


def test_news_page_yields_title_author_date_and_body_without_chrome() -> None:
    article = extract_article(article_html().encode(), "https://tomsk.example/city/most")
    assert article is not None
    assert article.title == ARTICLE_TITLE
    assert article.author == ARTICLE_AUTHOR
    assert article.site_name == "Томские новости"
    assert article.published_at == datetime(2024, 5, 14, 6, 30, tzinfo=UTC)
    assert article.url == "https://tomsk.example/city/most"
    assert article.text.splitlines() == list(ARTICLE_BODY)
    for chrome in ("Читайте также", "Главная", "При цитировании"):
        assert chrome not in article.text


def test_opengraph_time_is_used_when_there_is_no_json_ld() -> None:
    html = article_html(published="2024-05-15T18:05:00+07:00", json_ld=False)
    article = extract_article(html, "https://tomsk.example/a")
    assert article is not None
    assert article.published_at == datetime(2024, 5, 15, 11, 5, tzinfo=UTC)


def test_json_ld_article_date_wins_over_meta_tags() -> None:
    html = article_html(published="2024-05-14T09:30:00+03:00").replace(
        'content="2024-05-14T09:30:00+03:00"', 'content="2024-05-01T00:00:00+03:00"'
    )
    article = extract_article(html, "https://tomsk.example/a")
    assert article is not None
    assert article.published_at == datetime(2024, 5, 14, 6, 30, tzinfo=UTC)


def test_json_ld_graph_takes_the_article_date_not_the_site_date() -> None:
    html = """<html><head><script type="application/ld+json">
    {"@context": "https://schema.org", "@graph": [
      {"@type": "WebSite", "datePublished": "2010-01-01T00:00:00Z"},
      {"@type": ["NewsArticle"], "datePublished": "2024-03-02T12:00:00+0300"}]}
    </script></head><body></body></html>"""
    assert published_from_metadata(lxml.html.fromstring(html)) == datetime(2024, 3, 2, 9, 0, tzinfo=UTC)


def test_page_without_date_metadata_gets_no_guessed_date() -> None:
    # The footer's "© 2024" must not become 1 January 2024.
    article = extract_article(article_html(published=None, json_ld=False), "https://tomsk.example/a")
    assert article is not None
    assert article.published_at is None


def test_section_index_has_no_article() -> None:
    assert extract_article(no_article_html(), "https://tomsk.example/city") is None


@pytest.mark.parametrize("html", ["", "   ", "<html><body></body></html>", "<p>Коротко.</p>"])
def test_empty_or_tiny_pages_have_no_article(html: str) -> None:
    assert extract_article(html, "https://tomsk.example/x") is None


def test_windows_1251_page_is_decoded_by_the_declared_charset() -> None:
    body = article_html(charset="windows-1251").encode("cp1251")
    for charset in ("windows-1251", None):
        article = extract_article(body, "https://tomsk.example/a", charset)
        assert article is not None
        assert article.title == ARTICLE_TITLE


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-05-14T09:30:00+03:00", datetime(2024, 5, 14, 6, 30, tzinfo=UTC)),
        ("2024-05-14T09:30:00+0300", datetime(2024, 5, 14, 6, 30, tzinfo=UTC)),
        ("2024-05-14T09:30:00.250Z", datetime(2024, 5, 14, 9, 30, 0, 250000, tzinfo=UTC)),
        ("2024-05-14 09:30", datetime(2024, 5, 14, 9, 30, tzinfo=UTC)),
        ("Tue, 14 May 2024 06:30:00 GMT", datetime(2024, 5, 14, 6, 30, tzinfo=UTC)),
        ("2024-05-14", datetime(2024, 5, 14, tzinfo=UTC)),
        ("вчера", None),
        ("", None),
    ],
)
def test_metadata_datetimes_become_utc(raw: str, expected: datetime | None) -> None:
    assert parse_datetime(raw) == expected


async def test_link_is_read_into_an_article(site: LocalNewsSite, fetcher: Fetcher) -> None:
    article = await read_article(fetcher, site.url("/redirect/2"))
    assert article.url == site.url("/article/1")
    assert article.title == ARTICLE_TITLE
    assert article.published_at == datetime(2024, 5, 14, 6, 30, tzinfo=UTC)


async def test_windows_1251_link_is_read_by_its_http_charset(site: LocalNewsSite, fetcher: Fetcher) -> None:
    article = await read_article(fetcher, site.url("/article-cp1251"))
    assert article.title == ARTICLE_TITLE
    assert ARTICLE_BODY[1] in article.text


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/section", FetchErrorKind.NO_ARTICLE_TEXT),
        ("/image.png", FetchErrorKind.NOT_HTML),
        ("/gone", FetchErrorKind.NOT_FOUND),
        ("/huge", FetchErrorKind.TOO_LARGE),
    ],
)
async def test_unreadable_links_give_a_clear_error_kind(
    site: LocalNewsSite, fetcher: Fetcher, path: str, kind: FetchErrorKind
) -> None:
    with pytest.raises(FetchError) as caught:
        await read_article(fetcher, site.url(path))
    assert caught.value.kind is kind


def test_extraction_runs_in_a_spawned_worker_process() -> None:
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        article = pool.submit(extract_article, article_html().encode(), "https://tomsk.example/a").result()
        with pytest.raises(NotAFeed) as caught:
            pool.submit(parse_feed, b"<html></html>", "https://tomsk.example/rss").result()
    assert article is not None and article.title == ARTICLE_TITLE
    assert caught.value.kind is FetchErrorKind.NOT_A_FEED
