"""Public Telegram channels the bot cannot join, read as feeds from their web preview (t.me/s/<name>).

Telegram publishes the latest ~20 posts of every public channel at https://t.me/s/<name> as HTML; each post
is a `tgme_widget_message` block with `data-post="<name>/<id>"`, its text in `tgme_widget_message_text`
and its time in the `<time datetime>` of the `tgme_widget_message_date` link. No library reads this page
(feedparser and trafilatura see one document, not posts), so this module does, with lxml.

Pure: bytes in, frozen dataclasses out (it runs in the worker process with the other parsers). A post
with no text (a photo, a video, a sticker) is skipped; the quoted post a reply shows is not its text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:  # imported where a page is parsed: the bot's own process never does (tests/test_workers.py)
    import lxml.html

HOSTS = frozenset({"t.me", "www.t.me", "telegram.me", "www.telegram.me"})
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,31}")  # a public @name: 5-32 characters (4 for old ones)
_RESERVED = frozenset({"joinchat", "addstickers", "share", "proxy", "socks", "login", "iv", "c", "s"})
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s")
TITLE_LIMIT = 120
PREVIEW_MARK = b"tgme_channel_history"  # the posts' container on a preview page, wherever it is served

_BLOCKS = frozenset({"br", "p", "div", "blockquote", "li", "pre"})


@dataclass(frozen=True)
class PreviewPost:
    post_id: int
    url: str  # https://t.me/<name>/<id>
    title: str  # the post's first line or sentence: posts have no title of their own
    text: str
    published_at: datetime | None


@dataclass(frozen=True)
class ChannelPreview:
    name: str
    title: str
    posts: tuple[PreviewPost, ...]


def channel_name(url: str) -> str | None:
    """The channel a t.me link names (t.me/<name>, t.me/s/<name>, telegram.me/…, with or without a post
    id), or None for any other link."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or (parts.hostname or "").lower() not in HOSTS:
        return None
    path = [p for p in parts.path.split("/") if p]
    if path[:1] == ["s"]:
        path = path[1:]
    if not path or not _NAME.fullmatch(path[0]) or path[0].lower() in _RESERVED:
        return None
    return path[0]


def preview_url(name: str) -> str:
    return f"https://t.me/s/{name}"


def is_preview(url: str) -> bool:
    """A channel's preview page itself (t.me/s/<name>), the page this module parses."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    path = [p for p in parts.path.split("/") if p]
    return (parts.hostname or "").lower() in HOSTS and len(path) == 2 and path[0] == "s"


def _classes(element: lxml.html.HtmlElement) -> set[str]:
    return set((element.get("class") or "").split())


def _text(element: lxml.html.HtmlElement) -> str:
    """The element's text with line breaks where Telegram shows them (<br>, blocks); emoji images keep
    their alt text."""
    pieces: list[str] = []

    def walk(node: lxml.html.HtmlElement) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag in _BLOCKS:
            pieces.append("\n")
        if tag == "img" and node.get("alt"):
            pieces.append(node.get("alt") or "")
        if node.text and tag not in ("script", "style"):
            pieces.append(node.text)
        for child in node:
            walk(child)
            if child.tail:
                pieces.append(child.tail)
        if tag in _BLOCKS and tag != "br":
            pieces.append("\n")

    walk(element)
    lines = [" ".join(line.split()) for line in "".join(pieces).split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def post_title(text: str) -> str:
    """The first line, cut to its first sentence when long, and to TITLE_LIMIT at a word boundary."""
    first = next((line.strip() for line in text.split("\n") if line.strip()), "")
    if len(first) > TITLE_LIMIT:
        sentence = _SENTENCE_END.split(first, maxsplit=1)[0]
        first = sentence if len(sentence) <= TITLE_LIMIT else first
    if len(first) > TITLE_LIMIT:
        first = first[: TITLE_LIMIT - 1].rsplit(" ", 1)[0].rstrip(",;:—-– ") + "…"
    return first


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def parse_preview(body: bytes, url: str) -> ChannelPreview:
    """The posts of a t.me/s/<name> page, oldest first, as Telegram lists them. Raises ValueError when
    the page is not a channel preview (no posts and no channel header)."""
    import lxml.etree
    import lxml.html

    name = channel_name(url) or ""
    try:
        tree = lxml.html.fromstring(body)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise ValueError(f"{url}: not an HTML page: {exc}") from None
    header = tree.xpath(
        "//*[contains(concat(' ', normalize-space(@class), ' '), ' tgme_channel_info_header_title ')]"
    )
    og = tree.xpath("//meta[@property='og:title']/@content")
    title = " ".join((header[0].text_content() if header else (og[0] if og else name)).split())
    posts: dict[int, PreviewPost] = {}
    for block in tree.xpath("//div[@data-post]"):
        if "tgme_widget_message" not in _classes(block):
            continue
        channel, _, number = (block.get("data-post") or "").partition("/")
        if not number.isascii() or not number.isdigit():
            continue
        texts = [
            t
            for t in block.xpath(".//div[contains(@class, 'tgme_widget_message_text')]")
            if "js-message_text" in _classes(t)
            and not any("tgme_widget_message_reply" in _classes(a) for a in t.iterancestors())
        ]
        text = _text(texts[-1]) if texts else ""
        if not text:
            continue  # a photo, video, poll or sticker alone: nothing to read
        link = block.xpath(".//a[contains(@class, 'tgme_widget_message_date')]")
        times = block.xpath(".//a[contains(@class, 'tgme_widget_message_date')]//time/@datetime")
        href = link[0].get("href") if link else None
        post_url = href if href and channel_name(href) else f"https://t.me/{channel or name}/{number}"
        posts[int(number)] = PreviewPost(
            post_id=int(number),
            url=post_url,
            title=post_title(text),
            text=text,
            published_at=_when(times[0] if times else None),
        )
    if not posts and not header:
        raise ValueError(f"{url}: not a Telegram channel preview")
    return ChannelPreview(name=name, title=title, posts=tuple(posts[k] for k in sorted(posts)))
