"""An article's path after it is stored, step by step (read this first; App.open wires it).

1. **Stored.** Every way an article arrives (an upload, a message, a link, a feed) ends in IngestService
   (bot/ingest/service.py), which stores each new article once, answers at once and hands the new ones to
   `ArticlePipeline.stored`.
2. **Queued, and joined to its story.** `stored` queues them for analysis (the Analyzer,
   bot/analysis/service.py) and has them join their stories in the background (DigestService.join_stories,
   one upload at a time in the order stored: their vectors in the interactive worker, then
   bot/digest/stories.py decides).
   Stories come from the words, so they do not wait for the analysis.
3. **Understood.** The Analyzer takes batches off its queue and runs bot/analysis/understanding.py in an
   analysis worker: entities with their name forms, roles, quotes, dated events.
4. **Stored with what it means, in one transaction per batch.** The Analyzer stores the analyses and their
   entities, each resolved to one identity across articles (EntityStore.save_many, bot/who/store.py:
   bot/who/identity.py decides), and in the same transaction `AnalysisTransaction.write` merges the batch's
   events into the timeline (bot/timeline/merge.py decides). A crash leaves a batch stored whole or not
   at all, and the next start queues what is not; an article that fails is recorded as failed and never
   holds back its batch-mates. A reindex forgets every analysis and, in its transaction,
   `AnalysisTransaction.clear` forgets the events.
   An **edited channel post** (handlers/channels.py → IngestService.edit) replaces its article's text in
   place (`ArticlePipeline.replace`): in one transaction the article and its full-text row get the new
   text, and its analysis and the events it reported are taken back (`Analyzer.take_back`: the entities'
   counts and the events recomputed from the rows that remain); it then waits in the queue as a new
   article does. Its story stays, and so does what digests and alerts already told of it.
5. **Read.** /search and /latest read the stored article; /who its entities (bot/who/service.py);
   /timeline its events (bot/timeline/service.py); a digest (DigestService.run_slot, digest_now) reads the
   stories touched since the chat's last digest, once `stories_settled`, with the people the analysis
   found in each article so far.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import aiosqlite

from bot.analysis.service import Analysed, Analyzer
from bot.digest.service import DigestService
from bot.timeline.merge import ArticleEvents
from bot.timeline.service import TimelineService
from storage.articles import Article, ArticleRepo, NewArticle, Replaced, TextChange


class ArticlePipeline:
    """Steps 1–2: what happens to the articles IngestService has just stored."""

    def __init__(self, analyzer: Analyzer, stories: DigestService, articles: ArticleRepo) -> None:
        self._analyzer = analyzer
        self._stories = stories
        self._articles = articles

    async def stored(self, articles: list[Article]) -> None:
        """New articles (never a duplicate): queued for analysis, and offered to their stories in the
        background. Neither waits: the admin's reply does not wait for either."""
        await self._analyzer.enqueue(articles)
        await self._stories.join_stories(articles)

    async def replace(self, article_id: int, new: NewArticle) -> Replaced:
        """A stored article's new text (an edited channel post), in one transaction with taking back its
        analysis and the events it reported; then it is analysed again, as a new article is. It stays in
        its story, and is not news again: digests and alerts that told of it are not sent again (they go
        by the time it was first stored), one still to come shows the new text."""
        async with self._articles.transaction() as conn:
            await self._analyzer.lock(conn)
            replaced = await self._articles.replace(conn, article_id, new)
            if replaced.change is TextChange.REPLACED:
                await self._analyzer.take_back(conn, [article_id])
        if replaced.change is TextChange.REPLACED and replaced.article is not None:
            await self._analyzer.enqueue([replaced.article])
        return replaced

    async def settled(self) -> None:
        """Wait until every article stored so far has joined its story and had its analysis stored (or
        failed): then what it means can be read (tests, the console)."""
        await asyncio.gather(self._analyzer.idle(), self._stories.stories_settled())


class AnalysisTransaction:
    """Step 4: what is written in the transaction that stores a batch's analyses and entities (the
    Analyzer's), so that an article is analysed with its events or not at all."""

    def __init__(self, timeline: TimelineService) -> None:
        self._timeline = timeline

    async def write(self, conn: aiosqlite.Connection, batch: list[Analysed]) -> None:
        """The batch's events merged into the timeline, participants as the entities just stored."""
        await self._timeline.merge(
            conn,
            [
                ArticleEvents(a.article.id, a.article.title, tuple(a.understanding.events), a.entity_ids)
                for a in batch
            ],
        )

    async def clear(self, conn: aiosqlite.Connection) -> None:
        """A reindex forgets every analysis: the events derived from them go in the same transaction."""
        await self._timeline.clear(conn)

    async def take_back(self, conn: aiosqlite.Connection, article_ids: Sequence[int]) -> None:
        """Articles' analyses forgotten (their texts replaced): their reports go in the same transaction,
        and the events they reported are recomputed from the others' reports."""
        await self._timeline.take_back(conn, article_ids)
