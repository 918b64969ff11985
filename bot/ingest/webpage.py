"""A web page to an article: trafilatura finds the main text; publication time comes from structured metadata.

`extract_article` is pure (runs in a worker process); `read_article` is the async path a handler or the feed
poller uses: fetch, check, extract off the event loop.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from bot.fetch import HTML_ACCEPT, Fetcher, FetchError, FetchErrorKind

if TYPE_CHECKING:  # lxml is imported where a page is parsed, in a worker: not in the bot's own process
    import lxml.html
    from lxml import etree

# Navigation and headline lists are short lines; an article has at least a few sentences of running text.
PROSE_LINE_CHARS = 60
MIN_ARTICLE_CHARS = 200

# What trafilatura reads of one page. Its cost grows with the page (about 1 s of CPU per MB of a news
# page's markup, docs/PERFORMANCE.md), and an upload or a link may be 5 MB: past either bound, scripts,
# styles and comments go, then whatever follows in document order. An article starts well within them.
MAX_PAGE_ELEMENTS = 10_000
MAX_PAGE_TEXT_CHARS = 500_000
_NOT_CONTENT = (
    '//script[not(@type="application/ld+json")] | //style | //noscript | //template | //svg | //comment()'
)

_DATE_META = (
    ("property", "article:published_time"),
    ("property", "og:published_time"),
    ("itemprop", "datePublished"),
    ("name", "article:published_time"),
    ("name", "pubdate"),
    ("name", "publish-date"),
    ("name", "date"),
)
RunPure = Callable[..., Awaitable[Any]]

_ARTICLE_TYPES = frozenset(
    {"Article", "NewsArticle", "ReportageNewsArticle", "AnalysisNewsArticle", "BlogPosting", "WebPage"}
)


@dataclass(frozen=True)
class PageArticle:
    url: str
    title: str
    text: str
    author: str | None
    published_at: datetime | None  # timezone-aware UTC; None when the page does not say
    site_name: str | None


def parse_datetime(value: str) -> datetime | None:
    """ISO 8601 as metadata writes it, to aware UTC; a time without an offset is taken as UTC."""
    value = value.strip()
    if not value:
        return None
    # CMS output writes offsets as "+0300"; fromisoformat in 3.11 wants "+03:00".
    iso = re.sub(r"(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)([+-]\d{2})(\d{2})$", r"\1\2:\3", value)
    moment: datetime | None
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        moment = None
    if moment is None:
        try:
            moment = parsedate_to_datetime(value)  # RFC 822, as some sites copy it from their RSS
        except (TypeError, ValueError, IndexError):
            moment = None
    if moment is None:
        try:
            moment = datetime.combine(date.fromisoformat(value[:10]), datetime.min.time())
        except ValueError:
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # "0001-01-01T00:00+05:00" is before year 1 in UTC: no date at all
        return None


def _json_ld_objects(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for element in data:
            yield from _json_ld_objects(element)
    elif isinstance(data, dict):
        yield data
        if "@graph" in data:
            yield from _json_ld_objects(data["@graph"])


def _is_article_type(obj: dict[str, Any]) -> bool:
    kinds = obj.get("@type", [])
    kinds = [kinds] if isinstance(kinds, str) else kinds
    return any(isinstance(k, str) and k in _ARTICLE_TYPES for k in kinds)


def published_from_metadata(tree: lxml.html.HtmlElement) -> datetime | None:
    """JSON-LD datePublished first (it carries a time and zone), then OpenGraph and similar meta tags."""
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text_content() or "")
        except ValueError:
            continue
        for obj in _json_ld_objects(data):
            raw = obj.get("datePublished")
            if isinstance(raw, str) and _is_article_type(obj):
                moment = parse_datetime(raw)
                if moment is not None:
                    return moment
    for attribute, name in _DATE_META:
        for content in tree.xpath(f'//meta[@{attribute}="{name}"]/@content'):
            moment = parse_datetime(str(content))
            if moment is not None:
                return moment
    return None


def _decode(html: bytes | str, charset: str | None) -> str:
    if isinstance(html, str):
        return html
    if charset:
        try:
            return html.decode(charset, errors="replace")
        except LookupError:
            pass
    # Extraction runs in the workers; importing trafilatura lazily keeps ~20 MB out of the bot's process.
    from trafilatura.utils import decode_file

    return decode_file(html)


def _body_text(text: str, title: str) -> str:
    lines = [line.strip() for line in text.splitlines()]
    # trafilatura keeps the page's <h1>; the title is stored separately.
    if lines and title and lines[0] == title.strip():
        lines = lines[1:]
    return "\n".join(line for line in lines if line)


def _has_prose(text: str) -> bool:
    return sum(len(line) for line in text.splitlines() if len(line) >= PROSE_LINE_CHARS) >= MIN_ARTICLE_CHARS


def _size(tree: lxml.html.HtmlElement) -> tuple[int, int]:
    """Elements and characters of text of a parsed page."""
    elements = chars = 0
    for element in tree.iter():
        elements += 1
        chars += len(element.text or "") + len(element.tail or "")
    return elements, chars


def _cut_after(element: etree._Element) -> None:
    """Remove everything after `element` in document order (its own text stays)."""
    for child in list(element):
        element.remove(child)
    element.tail = None
    node = element
    while (parent := node.getparent()) is not None:
        for sibling in list(node.itersiblings()):
            parent.remove(sibling)
        node = parent


def trim_page(tree: lxml.html.HtmlElement) -> bool:
    """Trim a parsed page to MAX_PAGE_ELEMENTS and MAX_PAGE_TEXT_CHARS, in place; whether it was too big."""
    elements, chars = _size(tree)
    if elements <= MAX_PAGE_ELEMENTS and chars <= MAX_PAGE_TEXT_CHARS:
        return False
    for element in tree.xpath(_NOT_CONTENT):
        if element.getparent() is not None:
            element.drop_tree()  # keeps its tail: the text after a <script> is the page's
    chars = 0
    for elements, element in enumerate(tree.iter(), start=1):
        chars += len(element.text or "") + len(element.tail or "")
        if elements >= MAX_PAGE_ELEMENTS or chars >= MAX_PAGE_TEXT_CHARS:
            _cut_after(element)
            break
    return True


def _parse(markup: str) -> lxml.html.HtmlElement | None:
    import lxml.html
    from lxml import etree

    try:
        return lxml.html.fromstring(markup)
    except (etree.ParserError, ValueError):  # nothing to parse; an XML declaration in a str
        return None


def extract_article(html: bytes | str, url: str, charset: str | None = None) -> PageArticle | None:
    """The page's article, or None when it has no running text (an index, a login wall, an empty shell).
    A huge page is read up to the budget above: its beginning, where the article is."""
    import trafilatura

    markup = _decode(html, charset)
    if not markup.strip():
        return None
    tree = _parse(markup)
    published_at = published_from_metadata(tree) if tree is not None else None
    page: str | lxml.html.HtmlElement = markup
    if tree is not None and trim_page(tree):
        page = tree
    elif tree is None and len(markup) > MAX_PAGE_TEXT_CHARS:
        page = markup[:MAX_PAGE_TEXT_CHARS]  # lxml could not parse it whole; trafilatura reads a part
    document = trafilatura.bare_extraction(
        page,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        # Markup and URL only: searching the free text takes a footer's "© 2024" for a publication date.
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    if document is None or not document.text:
        return None
    title = (document.title or "").strip()
    text = _body_text(document.text, title)
    if not _has_prose(text):
        return None
    if published_at is None and document.date:
        published_at = parse_datetime(document.date)
    return PageArticle(
        url=url,
        title=title or text.splitlines()[0][:200],
        text=text,
        author=(document.author or "").strip() or None,
        published_at=published_at,
        site_name=(document.sitename or "").strip() or None,
    )


async def read_article(fetcher: Fetcher, url: str, *, run: RunPure = asyncio.to_thread) -> PageArticle:
    """Fetch a link and extract its article, or raise FetchError (NO_ARTICLE_TEXT among others).
    `run` moves extraction off the event loop: the worker pool's `run` in the bot, a thread by default."""
    result = await fetcher.fetch(url, accept=HTML_ACCEPT, html_only=True)
    article = await run(extract_article, result.body, result.final_url, result.charset)
    if article is None:
        kind = FetchErrorKind.NO_ARTICLE_TEXT
        if not result.content_type and result.body.lstrip()[:1] != b"<":
            kind = FetchErrorKind.NOT_HTML
        raise FetchError(kind, result.final_url)
    return article
