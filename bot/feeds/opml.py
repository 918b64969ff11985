"""OPML, the format feed readers use to move subscriptions: import a user's file, export ours."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

if TYPE_CHECKING:  # imported where a document is read or written: the bot starts without lxml
    from lxml import etree

MAX_OPML_BYTES = 2 * 1024 * 1024


class InvalidOpml(ValueError):
    """The uploaded file is not OPML, or lists no http(s) feeds."""


@dataclass(frozen=True)
class OpmlFeed:
    url: str
    title: str | None


class FeedLike(Protocol):
    @property
    def url(self) -> str: ...
    @property
    def title(self) -> str | None: ...


def _parser(recover: bool) -> etree.XMLParser:
    from lxml import etree

    # No DTDs, entities or network: an uploaded file must not make us read local files or expand bombs.
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=recover
    )


def parse_opml(body: bytes) -> list[OpmlFeed]:
    """Every http(s) feed in the document, nested folders included, in document order, without repeats."""
    if len(body) > MAX_OPML_BYTES:
        raise InvalidOpml(f"OPML file over {MAX_OPML_BYTES} bytes")
    from lxml import etree

    root = None
    # Exported files often carry a bare "&" in titles; recovery keeps the rest of the document.
    for recover in (False, True):
        try:
            root = etree.fromstring(body, _parser(recover))
        except etree.XMLSyntaxError:
            continue
        if root is not None:
            break
    if root is None or etree.QName(root).localname.lower() != "opml":
        raise InvalidOpml("not an OPML document")
    feeds: dict[str, OpmlFeed] = {}
    for outline in root.iter("{*}outline"):
        attributes = {key.lower(): value for key, value in outline.attrib.items()}
        url = (attributes.get("xmlurl") or "").strip()
        if urlsplit(url).scheme not in ("http", "https") or url in feeds:
            continue
        title = (attributes.get("title") or attributes.get("text") or "").strip() or None
        feeds[url] = OpmlFeed(url=url, title=title)
    if not feeds:
        raise InvalidOpml("no http(s) feeds in the OPML document")
    return list(feeds.values())


def export_opml(
    feeds: Iterable[FeedLike], title: str = "News digest feeds", now: datetime | None = None
) -> str:
    """OPML 2.0 that feed readers import; the serializer escapes titles with "&" or "<"."""
    from lxml import etree

    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = title
    etree.SubElement(head, "dateCreated").text = format_datetime((now or datetime.now(UTC)).astimezone(UTC))
    body = etree.SubElement(root, "body")
    for feed in feeds:
        name = feed.title or feed.url
        etree.SubElement(body, "outline", type="rss", text=name, title=name, xmlUrl=feed.url)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True).decode("utf-8")
