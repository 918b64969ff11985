"""The stories aggregate: which story each article joined, story centroids, and stem frequencies (IDF)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.digest.compose import StoryMaterial
from bot.digest.stories import (
    STORY_GAP,
    ArticleFeatures,
    DocumentFrequencies,
    StoryCentroid,
    assign_story,
    centroid_from_json,
    centroid_to_json,
    features_to_json,
    join_story,
    start_story,
)
from bot.digest.summary import StoryArticle
from storage.articles import utc_iso
from storage.database import Database

# A story's summary is built from its newest reports; older ones were summarised in earlier digests.
ARTICLES_PER_STORY = 30


ArticleText = tuple[int, str, str, str, datetime]  # id, title, text, lang, published


@dataclass(frozen=True)
class ArticleStoryInput:
    """What assignment needs of one new article, computed in a worker process."""

    article_id: int
    published: datetime
    features: ArticleFeatures
    stems: frozenset[str]  # distinct content stems: the document-frequency update


class StoryReports:
    """A story's newest reports and when the newest of them was ingested."""

    story_id: int
    articles: tuple[StoryArticle, ...]
    last_ingested: datetime
    links: tuple[tuple[str, str], ...]  # (source, url of its first report), in order of first report


class StoryRepo:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._frequencies: Counter[str] | None = None
        self._documents = 0

    async def frequencies(self) -> DocumentFrequencies:
        """Document frequencies of stems over the stored articles, kept in memory after the first read."""
        if self._frequencies is None:
            counts: Counter[str] = Counter()
            async with self._db.conn.execute("SELECT stem, documents FROM stem_frequencies") as cursor:
                async for stem, documents in cursor:
                    counts[stem] = documents
            async with self._db.conn.execute("SELECT count(*) FROM article_stories") as cursor:
                (self._documents,) = await cursor.fetchone()
            self._frequencies = counts
        return DocumentFrequencies(self._documents, self._frequencies)

    async def _open_centroids(self, lang: str, earliest: datetime) -> dict[int, StoryCentroid]:
        async with self._db.conn.execute(
            "SELECT id, centroid FROM stories WHERE lang = ? AND last_published >= ?",
            (lang, utc_iso(earliest)),
        ) as cursor:
            return {row[0]: centroid_from_json(row[1]) for row in await cursor.fetchall()}

    async def assign(self, batch: Sequence[ArticleStoryInput]) -> dict[int, int]:
        """Put each new article into the open story it continues, or a new story; article id → story id."""
        if not batch:
            return {}
        await self.frequencies()
        assert self._frequencies is not None
        # The write lock for the whole read-modify-write: centroids read here are the ones updated.
        async with self._db.transaction() as conn:
            earliest = min(item.published for item in batch) - STORY_GAP
            candidates: dict[str, dict[int, StoryCentroid]] = {}
            changed: dict[int, str] = {}  # story id → its language
            first_published: dict[int, datetime] = {}
            assigned: dict[int, int] = {}
            for item in sorted(batch, key=lambda i: (i.published, i.article_id)):
                lang = item.features.lang
                if lang not in candidates:
                    candidates[lang] = await self._open_centroids(lang, earliest)
                open_stories = candidates[lang]
                story_id = assign_story(item.features, item.published, open_stories.items())
                if story_id is None:
                    centroid = start_story(item.features, item.published)
                    cursor = await conn.execute(
                        "INSERT INTO stories (lang, centroid, size, first_published, last_published)"
                        " VALUES (?, ?, 1, ?, ?)",
                        (lang, centroid_to_json(centroid), utc_iso(item.published), utc_iso(item.published)),
                    )
                    story_id = int(cursor.lastrowid or 0)
                    open_stories[story_id] = centroid
                else:
                    open_stories[story_id] = join_story(open_stories[story_id], item.features, item.published)
                    changed[story_id] = lang
                first_published[story_id] = min(item.published, first_published.get(story_id, item.published))
                assigned[item.article_id] = story_id
                await conn.execute(
                    "INSERT OR REPLACE INTO article_stories (article_id, story_id, features)"
                    " VALUES (?, ?, ?)",
                    (item.article_id, story_id, features_to_json(item.features)),
                )
            for story_id, lang in changed.items():
                centroid = candidates[lang][story_id]
                await conn.execute(
                    "UPDATE stories SET centroid = ?, size = ?, last_published = ?,"
                    " first_published = min(first_published, ?) WHERE id = ?",
                    (
                        centroid_to_json(centroid),
                        centroid.size,
                        utc_iso(centroid.last_published),
                        utc_iso(first_published[story_id]),
                        story_id,
                    ),
                )
            seen: Counter[str] = Counter(stem for item in batch for stem in item.stems)
            await conn.executemany(
                "INSERT INTO stem_frequencies (stem, documents) VALUES (?, ?)"
                " ON CONFLICT (stem) DO UPDATE SET documents = documents + excluded.documents",
                seen.items(),
            )
            self._frequencies.update(seen)
            self._documents += len(batch)
            return assigned

    async def touched(self, since: datetime | None, until: datetime) -> list[int]:
        """Stories with a report ingested in (since, until]."""
        async with self._db.conn.execute(
            "SELECT DISTINCT s.story_id FROM articles a JOIN article_stories s ON s.article_id = a.id"
            " WHERE a.ingested_at > ? AND a.ingested_at <= ?",
            (utc_iso(since) if since else "", utc_iso(until)),
        ) as cursor:
            return [row[0] for row in await cursor.fetchall()]

    async def reports(
        self, story_ids: Iterable[int], until: datetime, per_story: int = ARTICLES_PER_STORY
    ) -> list[StoryMaterial]:
        """The latest reports of each story ingested up to `until` (later ones belong to the next digest)."""
        found: list[StoryMaterial] = []
        for story_id in story_ids:
            async with self._db.conn.execute(
                "SELECT a.id, a.title, a.text, a.source, a.url, a.published_at, a.ingested_at"
                " FROM article_stories s JOIN articles a ON a.id = s.article_id"
                " WHERE s.story_id = ? AND a.ingested_at <= ?"
                " ORDER BY a.ingested_at DESC, a.id DESC LIMIT ?",
                (story_id, utc_iso(until), per_story),
            ) as cursor:
                rows = await cursor.fetchall()
            if not rows:
                continue
            articles = tuple(
                StoryArticle(
                    article_id=row["id"],
                    title=row["title"],
                    text=row["text"],
                    source=row["source"] or "",
                    published=datetime.fromisoformat(row["published_at"]),
                )
                for row in rows
            )
            links: dict[str, str] = {}
            for row in reversed(rows):
                if row["url"]:
                    links.setdefault(row["source"] or "", row["url"])
            last_ingested = max(datetime.fromisoformat(row["ingested_at"]) for row in rows)
            found.append(StoryMaterial(story_id, articles, last_ingested, tuple(links.items())))
        return found

    async def unassigned(self, limit: int) -> list[ArticleText]:
        """Stored articles in no story yet, oldest first."""
        async with self._db.conn.execute(
            "SELECT a.id, a.title, a.text, a.lang, a.published_at FROM articles a"
            " LEFT JOIN article_stories s ON s.article_id = a.id"
            " WHERE s.article_id IS NULL ORDER BY a.id LIMIT ?",
            (limit,),
        ) as cursor:
            return [
                (row[0], row[1], row[2], row[3], datetime.fromisoformat(row[4]))
                for row in await cursor.fetchall()
            ]
