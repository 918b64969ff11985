"""The stories aggregate: which story each article joined, story centroids, and stem frequencies (IDF).

Which story a new article joins is decided in bot/digest/stories.py (`assign_stories`); this module loads
what it compares with (the open stories' centroids, as the JSON they are stored in, and the stem
frequencies) and writes back what it decided (`StoryChanges`), in one transaction the caller holds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime

import aiosqlite

from storage import locks
from storage.articles import utc_iso
from storage.database import Database

# A story's summary is built from its newest reports; older ones were summarised in earlier digests.
ARTICLES_PER_STORY = 30


@dataclass(frozen=True)
class ArticleText:
    """What story vectors are computed from: a stored article's text, language and time."""

    article_id: int
    title: str
    text: str
    lang: str
    published: datetime
    source: str = ""  # its boilerplate is left out of its vector (bot/digest/boilerplate.py)


@dataclass(frozen=True)
class SourceReport:
    """One of a source's recent reports, as its boilerplate is read: story, title, opening of the text."""

    story_id: int | None  # None: not in a story yet (a report being assigned)
    title: str
    opening: str


@dataclass(frozen=True)
class StemFrequencies:
    """How many stored articles contain each stem, and how many articles are in a story."""

    documents: int
    counts: Mapping[str, int] = field(hash=False)


@dataclass(frozen=True)
class StoryRow:
    """An open story as assignment compares with it: its centroid as stored (JSON)."""

    id: int
    centroid: str


@dataclass(frozen=True)
class StoryWrite:
    """A story a batch started (`new`) or that new articles joined: its row as it is to be stored."""

    id: int
    lang: str
    centroid: str  # JSON
    size: int
    first_published: datetime  # of the batch's articles in it (an existing story keeps an earlier one)
    last_published: datetime
    new: bool


@dataclass(frozen=True)
class ArticleStoryWrite:
    article_id: int
    story_id: int
    features: str  # JSON


@dataclass(frozen=True)
class StoryChanges:
    """What one batch of new articles changes: stories, each article's story, stem document counts."""

    stories: tuple[StoryWrite, ...]
    articles: tuple[ArticleStoryWrite, ...]
    stems: Mapping[str, int] = field(hash=False)  # stem → new articles containing it
    documents: int  # new articles counted in `stems`


@dataclass(frozen=True)
class ReportRow:
    """One stored report of a story."""

    article_id: int
    title: str
    text: str
    source: str
    published: datetime


@dataclass(frozen=True)
class StoryReports:
    """A story's newest reports and when the newest of them was ingested."""

    story_id: int
    articles: tuple[ReportRow, ...]  # newest ingested first
    last_ingested: datetime
    links: tuple[tuple[str, str], ...]  # (source, url of its first report), in order of first report
    lang: str = ""  # the language of its reports (a story holds one)


class StoryRepo:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._frequencies: Counter[str] | None = None
        self._documents = 0

    async def frequencies(self) -> StemFrequencies:
        """Document frequencies of stems over the stored articles, kept in memory after the first read."""
        if self._frequencies is None:
            counts: Counter[str] = Counter()
            async with self._db.conn.execute("SELECT stem, documents FROM stem_frequencies") as cursor:
                async for stem, documents in cursor:
                    counts[stem] = documents
            async with self._db.conn.execute("SELECT count(*) FROM article_stories") as cursor:
                (self._documents,) = await cursor.fetchone()
            self._frequencies = counts
        return StemFrequencies(self._documents, self._frequencies)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """The write lock for a whole read-modify-write: the centroids read in it are the ones updated.
        On PostgreSQL also across processes (an advisory lock held until the commit): two instances
        assigning at once numbered their new stories from the same last id (a UniqueViolation on
        stories_pkey, the assignment lost)."""
        async with self._db.transaction() as conn:
            if self._db.dialect == "postgresql":
                await conn.execute("SELECT pg_advisory_xact_lock(?)", (locks.STORIES,))
            yield conn

    async def open_stories(
        self, conn: aiosqlite.Connection, langs: Iterable[str], earliest: datetime
    ) -> list[StoryRow]:
        """Stories in these languages with a report published at `earliest` or later, language by language
        in the order given, each language's in the order SQLite reads them."""
        found: list[StoryRow] = []
        # PostgreSQL is given the order SQLite reads them in (its stories_open index): ties go alike
        order = " ORDER BY last_published, id" if self._db.dialect == "postgresql" else ""
        for lang in langs:
            async with conn.execute(
                "SELECT id, centroid FROM stories WHERE lang = ? AND last_published >= ?" + order,
                (lang, utc_iso(earliest)),
            ) as cursor:
                found += [StoryRow(row[0], row[1]) for row in await cursor.fetchall()]
        return found

    async def last_id(self, conn: aiosqlite.Connection) -> int:
        """The largest story id stored, 0 when there is none: new stories are numbered after it (as SQLite
        numbers an INTEGER PRIMARY KEY)."""
        async with conn.execute("SELECT coalesce(max(id), 0) FROM stories") as cursor:
            (last,) = await cursor.fetchone()
        return int(last)

    async def write(self, conn: aiosqlite.Connection, changes: StoryChanges) -> None:
        """Write back what a batch decided, in the transaction its stories were read in."""
        await self.frequencies()
        assert self._frequencies is not None
        await conn.executemany(
            "INSERT INTO stories (id, lang, centroid, size, first_published, last_published)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [
                (s.id, s.lang, s.centroid, s.size, utc_iso(s.first_published), utc_iso(s.last_published))
                for s in changes.stories
                if s.new
            ],
        )
        await conn.executemany(
            "INSERT OR REPLACE INTO article_stories (article_id, story_id, features) VALUES (?, ?, ?)",
            [(a.article_id, a.story_id, a.features) for a in changes.articles],
        )
        await conn.executemany(
            "UPDATE stories SET centroid = ?, size = ?, last_published = ?,"
            " first_published = min(first_published, ?) WHERE id = ?",
            [
                (s.centroid, s.size, utc_iso(s.last_published), utc_iso(s.first_published), s.id)
                for s in changes.stories
                if not s.new
            ],
        )
        await conn.executemany(
            "INSERT INTO stem_frequencies (stem, documents) VALUES (?, ?)"
            " ON CONFLICT (stem) DO UPDATE SET documents = stem_frequencies.documents + excluded.documents",
            changes.stems.items(),
        )
        self._frequencies.update(changes.stems)
        self._documents += changes.documents

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
    ) -> list[StoryReports]:
        """The latest reports of each story ingested up to `until` (later ones belong to the next digest)."""
        found: list[StoryReports] = []
        for story_id in story_ids:
            async with self._db.conn.execute(
                "SELECT a.id, a.title, a.text, a.source, a.url, a.published_at, a.ingested_at, a.lang"
                " FROM article_stories s JOIN articles a ON a.id = s.article_id"
                " WHERE s.story_id = ? AND a.ingested_at <= ?"
                " ORDER BY a.ingested_at DESC, a.id DESC LIMIT ?",
                (story_id, utc_iso(until), per_story),
            ) as cursor:
                rows = await cursor.fetchall()
            if not rows:
                continue
            articles = tuple(
                ReportRow(
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
            found.append(
                StoryReports(story_id, articles, last_ingested, tuple(links.items()), rows[0]["lang"] or "")
            )
        return found

    async def story_of(self, article_ids: Sequence[int]) -> dict[int, int]:
        """The story of each of these articles that has one (an article stored moments ago may not yet)."""
        if not article_ids:
            return {}
        marks = ",".join("?" * len(article_ids))
        async with self._db.conn.execute(
            f"SELECT article_id, story_id FROM article_stories WHERE article_id IN ({marks})",
            list(article_ids),
        ) as cursor:
            return {int(row[0]): int(row[1]) for row in await cursor.fetchall()}

    async def source_leads(
        self, sources: Iterable[str], until: datetime | None, per_source: int, chars: int
    ) -> dict[str, tuple[SourceReport, ...]]:
        """Each source's latest reports in a story, ingested up to `until` (None: all), newest first, with
        their stories, titles and the opening `chars` of their texts: what its boilerplate is read from
        (bot/digest/boilerplate.py)."""
        found: dict[str, tuple[SourceReport, ...]] = {}
        bounded = " AND a.ingested_at <= ?" if until is not None else ""
        for source in sorted(set(sources)):
            async with self._db.conn.execute(
                "SELECT s.story_id, a.title, substr(a.text, 1, ?) FROM articles a"
                f" JOIN article_stories s ON s.article_id = a.id WHERE a.source = ?{bounded}"
                " ORDER BY a.ingested_at DESC, a.id DESC LIMIT ?",
                (chars, source, *([utc_iso(until)] if until is not None else []), per_source),
            ) as cursor:
                found[source] = tuple(
                    SourceReport(int(row[0]), row[1] or "", row[2] or "") for row in await cursor.fetchall()
                )
        return found

    async def unassigned(self, limit: int) -> list[ArticleText]:
        """Stored articles in no story yet, oldest first."""
        async with self._db.conn.execute(
            "SELECT a.id, a.title, a.text, a.lang, a.published_at, a.source FROM articles a"
            " LEFT JOIN article_stories s ON s.article_id = a.id"
            " WHERE s.article_id IS NULL ORDER BY a.id LIMIT ?",
            (limit,),
        ) as cursor:
            return [
                ArticleText(row[0], row[1], row[2], row[3], datetime.fromisoformat(row[4]), row[5] or "")
                for row in await cursor.fetchall()
            ]
