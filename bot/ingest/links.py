"""Links admins send: the page behind a URL becomes an article, stored like pasted text."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from bot.fetch import Fetcher, with_default_scheme
from bot.ingest.service import IngestReport, IngestService
from bot.ingest.webpage import PageArticle, RunPure, read_article

# A message that is one token with a scheme ("https://…", also "ftp://…" so it is refused by name),
# or a bare host with a path ("lenta.ru/news/…"), as people paste links; a lone word is never a link.
_WITH_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://\S*$", re.IGNORECASE)  # "http://" too: told what is wrong
_BARE_HOST_PATH = re.compile(r"^(?:www\.)?[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}/\S*$", re.IGNORECASE)


def lone_url(text: str | None) -> str | None:
    """The URL when the text is nothing but a URL (a scheme added when typed without one), else None."""
    candidate = (text or "").strip().strip("<>")
    if not candidate or any(ch.isspace() for ch in candidate):
        return None
    if _WITH_SCHEME.match(candidate):
        return candidate
    if _BARE_HOST_PATH.match(candidate):
        return with_default_scheme(candidate)
    return None


def _message_text(page: PageArticle) -> str:
    """Title line and body, the shape IngestService.text() stores: the first line becomes the title."""
    return f"{' '.join(page.title.split())}\n{page.text}"


class LinkService:
    """URL → fetched safely → main text extracted in a worker → stored; FetchError when it cannot be."""

    def __init__(self, fetcher: Fetcher, ingest: IngestService, run: RunPure) -> None:
        self._fetcher = fetcher
        self._ingest = ingest
        self._run = run

    async def ingest(self, url: str, *, by: int | None) -> IngestReport:
        """Store the article at `url`; raises FetchError (nothing stored) when the page cannot be read."""
        page = await read_article(self._fetcher, url, run=self._run)
        return await self._ingest.text(
            _message_text(page),
            by=by,
            source=page.site_name or urlsplit(page.url).hostname,
            url=page.url,
            published_at=page.published_at,
            author=page.author,
        )
