"""Ingestion: every way an article arrives ends here, parsed off the event loop and stored once."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.analysis.understanding import MAX_ANALYSED_CHARS, analysed_text
from bot.ingest.documents import (
    LineProblem,
    Notice,
    NoticeKind,
    Problem,
    parse_document,
    parse_message_text,
)
from bot.ingest.drafts import PreparedArticle
from bot.workers import WorkerPool
from storage.articles import Article, ArticleRepo, NewArticle, Replaced, Stored, TextChange

log = logging.getLogger(__name__)

# What follows storing new articles (bot/pipeline.py's ArticlePipeline.stored).
Then = Callable[[list[Article]], Awaitable[None]]
# A stored article's text replaced, with what derives from it (bot/pipeline.py's ArticlePipeline.replace).
Replace = Callable[[int, NewArticle], Awaitable[Replaced]]


@dataclass(frozen=True)
class IngestReport:
    """What happened to each article of one submission, in order, and what could not be read."""

    stored: list[Stored] = field(default_factory=list)
    problems: list[LineProblem] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)  # stored, but not quite as given

    @property
    def saved(self) -> list[Stored]:
        return [s for s in self.stored if s.created]

    @property
    def duplicates(self) -> list[Stored]:
        return [s for s in self.stored if not s.created]


class Edit(StrEnum):
    """What an edited post did to the archive."""

    REPLACED = "replaced"  # its article has the new text, and is analysed again
    NEW = "new"  # no article had its URL (a media-only post edited, or one from before /addchannel)
    UNCHANGED = "unchanged"  # the same text, once normalised
    DUPLICATE = "duplicate"  # another article has the new text: the stored one is kept
    EMPTY = "empty"  # nothing to read any more (a caption removed): the stored text is kept
    TOO_LARGE = "too_large"


@dataclass(frozen=True)
class EditReport:
    outcome: Edit
    article_id: int | None = None  # the article edited or stored (DUPLICATE: the one kept)
    other_id: int | None = None  # DUPLICATE: the article that has the new text
    ingested: IngestReport | None = None  # NEW: how it was stored


class IngestService:
    def __init__(
        self,
        articles: ArticleRepo,
        workers: WorkerPool,
        timezone: str,
        max_bytes: int,
        *,
        then: Then | None = None,
        replace: Replace | None = None,
    ) -> None:
        self._articles = articles
        self._replace = replace  # an edited post's article gets its new text (without: edits are kept out)
        self._workers = workers
        self._timezone = timezone
        self.max_bytes = max_bytes
        self._then = then  # given the newly stored articles of every submission (analysis, stories)
        self.articles_stored = 0  # since the start (duplicates not counted)

    async def _store(
        self, prepared: list[PreparedArticle], by: int | None, notices: list[Notice]
    ) -> list[Stored]:
        """Store each article, hand the new ones on (`then`), and append to `notices` what the admin should
        know about them: a date that was not believed, a text longer than the analysis reads."""
        stored = [await self._articles.add(p.row, ingested_by=by) for p in prepared]
        created = [s.article for s in stored if s.created]
        for item, outcome in zip(prepared, stored, strict=True):
            if not outcome.created:
                continue
            article = outcome.article
            if item.ignored_date is not None:
                moment = item.ignored_date
                shown = f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
                # Feeds and web pages have no one to tell: the log is where an admin finds it.
                log.warning(
                    "article #%s (%s): publication date %s is implausible; stored with its ingest time",
                    article.id,
                    article.url or article.source or "no source",
                    moment.isoformat(),
                )
                notices.append(Notice(NoticeKind.DATE_IGNORED, shown, article.id))
            if len(article.text) > MAX_ANALYSED_CHARS:
                analysed = len(analysed_text(article.text))
                notices.append(Notice(NoticeKind.PARTLY_ANALYSED, str(analysed), article.id))
        self.articles_stored += len(created)
        if created and self._then is not None:
            await self._then(created)
        return stored

    async def document(self, filename: str, data: bytes, *, by: int | None) -> IngestReport:
        parsed = await self._workers.run_interactive(
            parse_document, filename, data, self._timezone, self.max_bytes
        )
        notices = list(parsed.notices)
        stored = await self._store(parsed.articles, by, notices)
        return IngestReport(stored=stored, problems=parsed.problems, notices=notices)

    async def text(
        self,
        text: str,
        *,
        by: int | None,
        source: str | None = None,
        url: str | None = None,
        published_at: datetime | None = None,
        author: str | None = None,
    ) -> IngestReport:
        if len(text.encode("utf-8", "surrogatepass")) > self.max_bytes:
            return IngestReport(problems=[LineProblem(Problem.TOO_LARGE)])
        prepared = await self._workers.run_interactive(
            parse_message_text,
            text,
            self._timezone,
            source=source,
            url=url,
            published_at=published_at,
            author=author,
        )
        if prepared is None:
            return IngestReport(problems=[LineProblem(Problem.EMPTY)])
        notices: list[Notice] = []
        stored = await self._store([prepared], by, notices)
        return IngestReport(stored=stored, notices=notices)

    async def edit(
        self, text: str, *, url: str, source: str | None, published_at: datetime | None = None
    ) -> EditReport:
        """An edited post (of a source channel): the article stored from its URL gets the new text and is
        analysed again; one never stored (its first version had no text, or came before the channel was
        a source) is stored now, as a new post. A text that is empty, the same, or another article's
        changes nothing."""
        if len(text.encode("utf-8", "surrogatepass")) > self.max_bytes:
            return EditReport(Edit.TOO_LARGE)
        prepared = await self._workers.run_interactive(
            parse_message_text, text, self._timezone, source=source, url=url, published_at=published_at
        )
        if prepared is None:
            return EditReport(Edit.EMPTY)
        stored = await self._articles.by_url(url)
        if stored is None or self._replace is None:
            notices: list[Notice] = []
            outcome = await self._store([prepared], None, notices)
            report = IngestReport(stored=outcome, notices=notices)
            return EditReport(Edit.NEW, outcome[0].article.id, ingested=report)
        replaced = await self._replace(stored.id, prepared.row)
        if replaced.change is TextChange.REPLACED:
            return EditReport(Edit.REPLACED, stored.id)
        if replaced.change is TextChange.DUPLICATE:
            return EditReport(Edit.DUPLICATE, stored.id, replaced.duplicate_of)
        return EditReport(Edit.UNCHANGED, stored.id)

    def too_large(self, size: int | None) -> bool:
        return size is not None and size > self.max_bytes
