"""Feed documents to items: feedparser for RSS 0.9x/1.0/2.0 and Atom, JSON Feed by hand (feedparser has no
JSON Feed support, and the format is a dozen documented keys: no library is worth the dependency).

Pure: bytes in, frozen dataclasses out, so it runs in a worker process and is tested on literal documents.
feedparser and lxml are imported where they are used: the bot's own process imports this module for its
dataclasses (a parsed feed comes back from the worker as them) and never parses, so it does not load them
(~16 MB of resident memory, `tests/test_workers.py`).
"""

from __future__ import annotations

import email.utils
import hashlib
import io
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

from bot.feeds import telegram
from bot.fetch import FetchError, FetchErrorKind
from bot.ingest.webpage import parse_datetime

# Below this many characters a feed's text is a lead-in, not the article; the page has the rest.
TEASER_CHARS = 600
_CUT_OFF = re.compile(
    r"(…|\.\.\.|\[…\]|\[\.\.\.\]|\bчитать далее|\bподробнее|\bread more|\bcontinue reading)\W*$",
    re.IGNORECASE,
)
_BLOCK_TAGS = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr", "section"}
)
_JSON_FEED_VERSION = "https://jsonfeed.org/version/"
_NOT_XML_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


class NotAFeed(FetchError):
    """The document is neither RSS, Atom nor JSON Feed, or too broken to yield a single item.
    ``advertised``: the feeds it links to, when it is a web page that does (a site's front page)."""

    def __init__(self, detail: str, advertised: tuple[str, ...] = ()) -> None:
        super().__init__(FetchErrorKind.NOT_A_FEED, detail)
        self.advertised = advertised

    def __reduce__(self) -> tuple[object, ...]:
        # Raised in the worker processes, where feeds are parsed.
        return (NotAFeed, (self.detail, self.advertised))


@dataclass(frozen=True)
class FeedItem:
    guid: str
    url: str | None
    title: str
    text: str  # plain text: the full article when the feed carries it, else its summary
    published_at: datetime | None
    is_teaser: bool
    author: str | None = None


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    format: str  # feedparser's version name ("rss20", "atom10", "rss091u"...) or "json1"/"json11"
    site_url: str | None
    items: tuple[FeedItem, ...]


def html_to_text(fragment: str) -> str:
    """Feed HTML to plain text with one line per block, so paragraphs survive into the article text."""
    if not fragment or not fragment.strip():
        return ""
    if "<" not in fragment and "&" not in fragment:
        return _tidy(fragment)
    # lxml refuses to hold control characters and lone surrogates (a JSON Feed string may carry both).
    fragment = _NOT_XML_TEXT.sub("", fragment)
    import lxml.etree
    import lxml.html

    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return _tidy(fragment)
    for element in root.iter("script", "style"):
        element.drop_tree()
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag in _BLOCK_TAGS:
            element.tail = "\n" + (element.tail or "")
    return _tidy(root.text_content())


def _tidy(text: str) -> str:
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _web_url(raw: Any, base: str) -> str | None:
    if not isinstance(raw, str) or not raw.strip():
        return None
    absolute = urljoin(base, raw.strip())
    return absolute if urlsplit(absolute).scheme in ("http", "https") else None


def _is_teaser(text: str, url: str | None) -> bool:
    return url is not None and (len(text) < TEASER_CHARS or bool(_CUT_OFF.search(text[-40:])))


def _fallback_guid(url: str | None, title: str, published_at: datetime | None) -> str:
    seed = f"{url or ''}\n{title}\n{published_at.isoformat() if published_at else ''}"
    return "sha1:" + hashlib.sha1(seed.encode()).hexdigest()


# The end of a date that names its zone: "+0300", "+03:00", "Z", "GMT", "EST", a military letter...
_ZONE_AT_END_RE = re.compile(r"(?:[+-]\d{2}:?\d{2}|(?<![A-Za-z])[A-Za-z]{1,5})\s*$")
# Zone names Russian feeds write that feedparser does not know (it reads them as UTC).
_LOCAL_ZONE_NAMES = {"msk": "Europe/Moscow"}


def _entry_date(entry: Any, field: str, zone: str) -> datetime | None:
    """An entry's `published` or `updated` date in UTC. feedparser reads a date written without a zone
    ("2024-05-14T12:00:00", common on Russian sites) as UTC, and gives up on an RFC 822 date without one;
    such a date is the site's local time, taken here as the bot's zone (``zone``)."""
    # dict.get: feedparser's own get maps a missing `updated` to `published`, with a deprecation warning.
    raw = (dict.get(entry, field) or "").strip()
    parsed = dict.get(entry, f"{field}_parsed")
    named = raw.rsplit(" ", 1)[-1].lower() if raw else ""
    if named in _LOCAL_ZONE_NAMES:
        zone, raw, parsed = _LOCAL_ZONE_NAMES[named], raw.rsplit(" ", 1)[0], None
    try:
        if parsed is not None:
            moment = datetime(*parsed[:6])
            if raw and _ZONE_AT_END_RE.search(raw):
                return moment.replace(tzinfo=UTC)
        elif raw:
            moment = email.utils.parsedate_to_datetime(raw)
            if moment.tzinfo is not None:
                return moment.astimezone(UTC)
        else:
            return None
        return moment.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
    except (TypeError, ValueError, IndexError, OverflowError):
        # No date rather than a failed poll: a year-1 date with a zone has no UTC moment (OverflowError);
        # an implausible one that parses is dropped, and logged, when the item is stored.
        return None


def _entry_text(entry: Any) -> str:
    candidates: list[tuple[str, str]] = []
    for content in entry.get("content") or []:
        candidates.append((content.get("value") or "", content.get("type") or "text/html"))
    # Yandex-format Russian feeds carry the whole article in <yandex:full-text>.
    if entry.get("yandex_full-text"):
        candidates.append((entry["yandex_full-text"], "text/html"))
    summary = entry.get("summary_detail") or {}
    candidates.append((entry.get("summary") or "", summary.get("type") or "text/html"))
    texts = [_tidy(value) if kind == "text/plain" else html_to_text(value) for value, kind in candidates]
    return max(texts, key=len, default="")


def _entry_title(entry: Any) -> str:
    title = entry.get("title") or ""
    detail = entry.get("title_detail") or {}
    return html_to_text(title) if detail.get("type") == "text/html" else _tidy(title)


def _parse_xml_feed(body: bytes, url: str, content_type: str | None, zone: str) -> ParsedFeed:
    import feedparser

    headers = {"content-location": url, "content-type": content_type or "application/xml"}
    parsed = feedparser.parse(io.BytesIO(body), response_headers=headers)
    version = parsed.get("version") or ""
    if not version:
        detail = f"{url}: not RSS or Atom ({parsed.get('bozo_exception') or 'no feed elements'})"
        raise NotAFeed(detail, tuple(discover_feed_urls(body, url)))
    # feedparser's loose parser recovers items from malformed XML (a stray "&" is common); a bozo
    # document is usable when that recovery found items, and broken when it found none.
    if parsed.get("bozo") and not parsed.entries:
        raise NotAFeed(f"{url}: broken {version} document: {parsed.get('bozo_exception')}")
    items: dict[str, FeedItem] = {}
    for entry in parsed.entries:
        link = _web_url(entry.get("link"), url)
        title = _entry_title(entry)
        text = _entry_text(entry)
        published_at = _entry_date(entry, "published", zone) or _entry_date(entry, "updated", zone)
        if not (title or text):
            continue
        guid = str(entry.get("id") or link or _fallback_guid(link, title, published_at))
        items.setdefault(
            guid,
            FeedItem(
                guid=guid,
                url=link,
                title=title,
                text=text,
                published_at=published_at,
                is_teaser=_is_teaser(text, link),
                author=entry.get("author") or None,
            ),
        )
    feed = parsed.get("feed") or {}
    return ParsedFeed(
        title=_tidy(feed.get("title") or ""),
        format=version,
        site_url=_web_url(feed.get("link"), url),
        items=tuple(items.values()),
    )


def _json_item(raw: dict[str, Any], base: str) -> FeedItem | None:
    link = _web_url(raw.get("url") or raw.get("external_url"), base)
    title = _tidy(str(raw.get("title") or ""))
    texts = [
        html_to_text(str(raw.get("content_html") or "")),
        _tidy(str(raw.get("content_text") or "")),
        _tidy(str(raw.get("summary") or "")),
    ]
    text = max(texts, key=len)
    if not (title or text):
        return None
    published_raw = raw.get("date_published") or raw.get("date_modified")
    published_at = parse_datetime(published_raw) if isinstance(published_raw, str) else None
    authors = raw.get("authors") or ([raw["author"]] if isinstance(raw.get("author"), dict) else [])
    names = [a.get("name") for a in authors if isinstance(a, dict) and a.get("name")]
    guid = raw.get("id")
    return FeedItem(
        guid=str(guid) if guid not in (None, "") else (link or _fallback_guid(link, title, published_at)),
        url=link,
        title=title,
        text=text,
        published_at=published_at,
        is_teaser=_is_teaser(text, link),
        author=", ".join(names) or None,
    )


def _parse_json_feed(body: bytes, url: str) -> ParsedFeed:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise NotAFeed(f"{url}: broken JSON: {exc}") from exc
    version = document.get("version") if isinstance(document, dict) else None
    if not isinstance(version, str) or not version.startswith(_JSON_FEED_VERSION):
        raise NotAFeed(f"{url}: JSON without a JSON Feed version")
    raw_items = document.get("items")
    if not isinstance(raw_items, list):
        raise NotAFeed(f"{url}: JSON Feed without an items list")
    items: dict[str, FeedItem] = {}
    for raw in raw_items:
        item = _json_item(raw, url) if isinstance(raw, dict) else None
        if item is not None:
            items.setdefault(item.guid, item)
    return ParsedFeed(
        title=_tidy(str(document.get("title") or "")),
        format="json" + version.removeprefix(_JSON_FEED_VERSION).replace(".", ""),
        site_url=_web_url(document.get("home_page_url"), url),
        items=tuple(items.values()),
    )


def _telegram_feed(body: bytes, url: str) -> ParsedFeed:
    try:
        preview = telegram.parse_preview(body, url)
    except ValueError as exc:
        raise NotAFeed(str(exc)) from None
    items = tuple(
        FeedItem(
            guid=post.url,
            url=post.url,
            title=post.title,
            text=post.text,
            published_at=post.published_at,
            is_teaser=False,  # the post is the whole article
        )
        for post in preview.posts
    )
    site = f"https://t.me/{preview.name}" if preview.name else None
    return ParsedFeed(title=preview.title, format="telegram", site_url=site, items=items)


def parse_feed(body: bytes, url: str, content_type: str | None = None, zone: str = "UTC") -> ParsedFeed:
    """Parse a fetched feed; raises NotAFeed for HTML pages, empty bodies and unrecoverable documents.
    A public Telegram channel's web preview (t.me/s/<name>) is a feed of its posts; a link to the channel
    itself advertises that preview. ``zone``: where dates written without a zone are local time (the bot's
    DEFAULT_TIMEZONE)."""
    if not body.strip():
        raise NotAFeed(f"{url}: empty document")
    if telegram.is_preview(url) or telegram.PREVIEW_MARK in body[:200_000]:
        return _telegram_feed(body, url)
    if (name := telegram.channel_name(url)) is not None:
        raise NotAFeed(f"{url}: a Telegram channel's page", (telegram.preview_url(name),))
    if body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{" or (content_type or "").endswith("json"):
        return _parse_json_feed(body, url)
    return _parse_xml_feed(body, url, content_type, zone)


_FEED_LINK_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/feed+json",
        "application/json",
        "application/rdf+xml",
    }
)


def discover_feed_urls(html: bytes | str, url: str) -> list[str]:
    """Feeds a web page advertises with <link rel="alternate">, so a user may add a site's front page."""
    import lxml.etree
    import lxml.html

    try:
        tree = lxml.html.fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return []
    found: list[str] = []
    for link in tree.xpath("//link[@href]"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").split(";", 1)[0].strip().lower()
        href = _web_url(link.get("href"), url)
        if "alternate" in rel and kind in _FEED_LINK_TYPES and href and href not in found:
            found.append(href)
    return found
