"""Ingestion: every way an article arrives ends here, parsed off the event loop and stored once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot.ingest.documents import LineProblem, Problem, parse_document, parse_message_text
from bot.ingest.drafts import PreparedArticle
from bot.workers import WorkerPool
from storage.articles import Article, ArticleRepo, Stored

StoredHook = Callable[[list[Article]], Awaitable[None]]


@dataclass(frozen=True)
class IngestReport:
    """What happened to each article of one submission, in order, and what could not be read."""

    stored: list[Stored] = field(default_factory=list)
    problems: list[LineProblem] = field(default_factory=list)

    @property
    def saved(self) -> list[Stored]:
        return [s for s in self.stored if s.created]

    @property
    def duplicates(self) -> list[Stored]:
        return [s for s in self.stored if not s.created]


class IngestService:
    def __init__(self, articles: ArticleRepo, workers: WorkerPool, timezone: str, max_bytes: int) -> None:
        self._articles = articles
        self._workers = workers
        self._timezone = timezone
        self.max_bytes = max_bytes
        self._hooks: list[StoredHook] = []

    def on_stored(self, hook: StoredHook) -> None:
        """Run `hook` with the newly stored articles of every submission (analysis, stories)."""
        self._hooks.append(hook)

    async def _store(self, prepared: list[PreparedArticle], by: int | None) -> list[Stored]:
        stored = [await self._articles.add(p, ingested_by=by) for p in prepared]
        created = [s.article for s in stored if s.created]
        if created:
            for hook in self._hooks:
                await hook(created)
        return stored

    async def document(self, filename: str, data: bytes, *, by: int | None) -> IngestReport:
        parsed = await self._workers.run_interactive(
            parse_document, filename, data, self._timezone, self.max_bytes
        )
        return IngestReport(stored=await self._store(parsed.articles, by), problems=parsed.problems)

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
        if len(text.encode("utf-8")) > self.max_bytes:
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
        return IngestReport(stored=await self._store([prepared], by))

    def too_large(self, size: int | None) -> bool:
        return size is not None and size > self.max_bytes
