"""The articles aggregate: storing prepared drafts once, finding them by words and by date."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import aiosqlite

from storage.database import Database


@dataclass(frozen=True)
class Article:
    id: int
    title: str
    text: str
    published_at: datetime
    url: str | None
    source: str | None
    lang: str
    ingested_at: datetime
    ingested_by: int | None
    author: str | None = None
    content_hash: str = ""  # of the normalised text, as stored (an analysis checks it is still the one read)


@dataclass(frozen=True)
class NewArticle:
    """An article as it is stored: the draft's fields with what ingestion derived from them."""

    title: str
    text: str
    published_at: datetime | None  # None: stored with the ingest time
    url: str | None
    source: str | None
    author: str | None
    lang: str
    content_hash: str  # of the normalised text: the same text from two places is one article
    title_stems: str  # what full-text search indexes
    body_stems: str


@dataclass(frozen=True)
class Stored:
    """The outcome of adding one article: a new row, or the row that already held it."""

    article: Article
    created: bool


class TextChange(StrEnum):
    """What replacing an article's text did (an edited channel post)."""

    REPLACED = "replaced"
    SAME = "same"  # the stored text is this one already
    DUPLICATE = "duplicate"  # another article holds this text: kept as it was
    GONE = "gone"  # no such article


@dataclass(frozen=True)
class Replaced:
    change: TextChange
    article: Article | None  # as stored afterwards (None: GONE)
    duplicate_of: int | None = None  # DUPLICATE: the article that holds the text


@dataclass(frozen=True)
class ArticleStats:
    total: int
    by_lang: dict[str, int]
    sources: int
    last_ingested_at: datetime | None
    newest_published_at: datetime | None


def utc_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


# Stored moments the bot can show in any time zone: a year-1 or year-9999 date overflows in astimezone().
_SHOWABLE_FROM = datetime(1900, 1, 1, tzinfo=UTC)
_SHOWABLE_UNTIL = datetime(9000, 1, 1, tzinfo=UTC)


def _showable(value: str | None, fallback: datetime) -> datetime:
    """A stored date, or `fallback` when it cannot be read or shown. Since migration 0007 and the ingest
    check no such date is stored; this keeps a database written otherwise readable."""
    try:
        moment = datetime.fromisoformat(value) if value else None
    except ValueError:
        moment = None
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment if moment is not None and _SHOWABLE_FROM <= moment < _SHOWABLE_UNTIL else fallback


def _article(row: aiosqlite.Row) -> Article:
    ingested_at = datetime.fromisoformat(row["ingested_at"])
    return Article(
        id=row["id"],
        title=row["title"],
        text=row["text"],
        published_at=_showable(row["published_at"], ingested_at),
        url=row["url"],
        source=row["source"],
        lang=row["lang"],
        ingested_at=ingested_at,
        ingested_by=row["ingested_by"],
        author=row["author"],
        content_hash=row["content_hash"],
    )


# A search term: one stem, or stems any of which will do (a person's surname in either script).
SearchTerm = str | Sequence[str]
# A checked search reads at most this many times its limit of matches to find that many that pass the check:
# the check runs on the event loop (40 contest articles: 6.6 ms of CPU; 40 four times as long: 26 ms).
CHECKED_READS = 4


def _groups(terms: Sequence[SearchTerm]) -> list[tuple[str, ...]]:
    groups = [(t,) if isinstance(t, str) else tuple(dict.fromkeys(t)) for t in terms]
    return [g for g in groups if g]


def _query_text(
    terms: Sequence[SearchTerm], quote: Callable[[str], str], both: str, either: str
) -> tuple[str, str] | None:
    groups = _groups(terms)
    if not groups:
        return None

    def group(alternatives: tuple[str, ...]) -> str:
        quoted = [quote(t) for t in alternatives]
        return quoted[0] if len(quoted) == 1 else "(" + either.join(quoted) + ")"

    every = dict.fromkeys(t for g in groups for t in g)
    return both.join(group(g) for g in groups), either.join(quote(t) for t in every)


def fts_query(terms: Sequence[SearchTerm]) -> tuple[str, str] | None:
    """FTS5 queries for the stems of the user's words (``query_stems``): all of them first, then any. A
    term given as several stems matches any of them ("zelensk" or "зеленск")."""
    return _query_text(terms, lambda t: '"' + t.replace('"', '""') + '"', " AND ", " OR ")


def tsquery(terms: Sequence[SearchTerm]) -> tuple[str, str] | None:
    """PostgreSQL's to_tsquery text for the same stems: all of them first, then any (each one quoted)."""
    return _query_text(terms, lambda t: "'" + t.replace("\\", "\\\\").replace("'", "''") + "'", " & ", " | ")


class ArticleRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, new: NewArticle, *, ingested_by: int | None, now: datetime | None = None) -> Stored:
        """Insert unless the same URL or the same normalised text is stored already."""
        async with self._db.transaction() as conn:
            existing = await self._find_duplicate(new.url, new.content_hash)
            if existing is not None:
                return Stored(existing, created=False)
            now = now or datetime.now(UTC)
            cursor = await conn.execute(
                "INSERT INTO articles (url, title, text, published_at, source, lang, content_hash,"
                " ingested_at, ingested_by, author) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    new.url,
                    new.title,
                    new.text,
                    utc_iso(new.published_at or now),
                    new.source,
                    new.lang,
                    new.content_hash,
                    utc_iso(now),
                    ingested_by,
                    new.author,
                ),
            )
            article_id = cursor.lastrowid
            if self._db.dialect == "postgresql":  # the index's configuration follows the language
                await conn.execute(
                    "INSERT INTO articles_fts (rowid, lang, title, body) VALUES (?, ?, ?, ?)",
                    (article_id, new.lang, new.title_stems, new.body_stems),
                )
            else:
                await conn.execute(
                    "INSERT INTO articles_fts (rowid, title, body) VALUES (?, ?, ?)",
                    (article_id, new.title_stems, new.body_stems),
                )
        article = await self.get(article_id)
        assert article is not None  # just inserted
        return Stored(article, created=True)

    def transaction(self) -> AbstractAsyncContextManager[aiosqlite.Connection]:
        return self._db.transaction()

    async def replace(self, conn: aiosqlite.Connection, article_id: int, new: NewArticle) -> Replaced:
        """In the caller's transaction: the article's title, text, language and hash become `new`'s, its
        full-text row with them; its id, URL, dates, source and author stay. Nothing changes when the text
        is the stored one, or another article's (one text is never stored twice)."""
        async with conn.execute("SELECT * FROM articles WHERE id = ?", (article_id,)) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return Replaced(TextChange.GONE, None)
        if row["content_hash"] == new.content_hash:
            return Replaced(TextChange.SAME, _article(row))
        async with conn.execute(
            "SELECT id FROM articles WHERE content_hash = ? AND id != ?", (new.content_hash, article_id)
        ) as cursor:
            other = await cursor.fetchone()
        if other is not None:
            return Replaced(TextChange.DUPLICATE, _article(row), other[0])
        await conn.execute(
            "UPDATE articles SET title = ?, text = ?, lang = ?, content_hash = ? WHERE id = ?",
            (new.title, new.text, new.lang, new.content_hash, article_id),
        )
        if self._db.dialect == "postgresql":
            await conn.execute(
                "UPDATE articles_fts SET lang = ?, title = ?, body = ? WHERE rowid = ?",
                (new.lang, new.title_stems, new.body_stems, article_id),
            )
        else:  # an FTS5 row is replaced whole
            await conn.execute("DELETE FROM articles_fts WHERE rowid = ?", (article_id,))
            await conn.execute(
                "INSERT INTO articles_fts (rowid, title, body) VALUES (?, ?, ?)",
                (article_id, new.title_stems, new.body_stems),
            )
        async with conn.execute("SELECT * FROM articles WHERE id = ?", (article_id,)) as cursor:
            row = await cursor.fetchone()
        return Replaced(TextChange.REPLACED, _article(row))

    async def by_url(self, url: str) -> Article | None:
        async with self._db.conn.execute("SELECT * FROM articles WHERE url = ?", (url,)) as cursor:
            row = await cursor.fetchone()
        return _article(row) if row else None

    async def _find_duplicate(self, url: str | None, content_hash: str) -> Article | None:
        async with self._db.conn.execute(
            "SELECT * FROM articles WHERE content_hash = ? OR (url IS NOT NULL AND url = ?) LIMIT 1",
            (content_hash, url),
        ) as cursor:
            row = await cursor.fetchone()
        return _article(row) if row else None

    async def get(self, article_id: int) -> Article | None:
        async with self._db.conn.execute("SELECT * FROM articles WHERE id = ?", (article_id,)) as cursor:
            row = await cursor.fetchone()
        return _article(row) if row else None

    async def get_many(self, article_ids: list[int]) -> list[Article]:
        """The stored articles among these ids, in id order: one query for a batch."""
        marks = ",".join("?" * len(article_ids))
        async with self._db.conn.execute(
            f"SELECT * FROM articles WHERE id IN ({marks}) ORDER BY id", article_ids
        ) as cursor:
            return [_article(row) for row in await cursor.fetchall()]

    async def latest(self, limit: int = 10) -> list[Article]:
        async with self._db.conn.execute(
            "SELECT * FROM articles ORDER BY published_at DESC, id DESC LIMIT ?", (limit,)
        ) as cursor:
            return [_article(row) for row in await cursor.fetchall()]

    async def search(
        self,
        terms: Sequence[SearchTerm],
        limit: int = 10,
        present: Callable[[Article], Sequence[bool]] | None = None,
        newest: bool = False,
    ) -> list[Article]:
        """Best matches first (BM25, the title weighted above the body); all the query's stems (the
        index holds stems: ``bot.analysis.stems.query_stems``), else any of them.

        ``present``: for an article the index matched, whether it really holds each term (the index's stems
        can be other words' too: ``bot.analysis.stems.holds``); a match is kept when it holds every term, or
        in the fallback any. More matches are read while the check leaves fewer than ``limit``. ``newest``:
        the newest matches first instead of the best (/latest with words)."""
        queries = (tsquery if self._db.dialect == "postgresql" else fts_query)(terms)
        if queries is None:
            return []
        for match, every in zip(queries, (True, False), strict=True):
            found = await self._checked(match, limit, present, every, newest)
            if found:
                return found
        return []

    async def _checked(
        self,
        match: str,
        limit: int,
        present: Callable[[Article], Sequence[bool]] | None,
        every: bool,
        newest: bool,
    ) -> list[Article]:
        wanted = limit
        while True:
            rows = await self._matching(match, wanted, newest)
            if present is None:
                return rows
            kept = [a for a in rows if (all if every else any)(present(a))]
            if len(kept) >= limit or len(rows) < wanted or wanted >= limit * CHECKED_READS:
                return kept[:limit]
            wanted *= 4

    async def _matching(self, match: str, limit: int, newest: bool = False) -> list[Article]:
        """One index query's matches, best first: SQLite's FTS5 ranked by BM25, or PostgreSQL's text search
        with the stems through its `russian` and `english` Snowball configurations (the index applies the
        article's own), ranked by ts_rank with the title weighted three times the body, as BM25's weights;
        or, ``newest``, the latest published first."""
        if self._db.dialect == "postgresql":
            rank = "ts_rank('{0.1, 0.2, 0.33, 1.0}', f.tsv, s.q) DESC, "
            sql = (
                "SELECT a.* FROM articles_fts f JOIN articles a ON a.id = f.rowid,"
                " (SELECT to_tsquery('russian', ?) || to_tsquery('english', ?) AS q) s"
                f" WHERE f.tsv @@ s.q ORDER BY {'' if newest else rank}a.published_at DESC, a.id DESC LIMIT ?"
            )
            parameters: tuple[object, ...] = (match, match, limit)
        else:
            rank = "bm25(articles_fts, 3.0, 1.0), "
            sql = (
                "SELECT a.* FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid"
                f" WHERE articles_fts MATCH ? ORDER BY {'' if newest else rank}a.published_at DESC, a.id DESC"
                " LIMIT ?"
            )
            parameters = (match, limit)
        async with self._db.conn.execute(sql, parameters) as cursor:
            return [_article(row) for row in await cursor.fetchall()]

    async def count(self) -> int:
        async with self._db.conn.execute("SELECT count(*) FROM articles") as cursor:
            (total,) = await cursor.fetchone()
        return int(total)

    async def stats(self) -> ArticleStats:
        conn = self._db.conn
        async with conn.execute("SELECT lang, count(*) FROM articles GROUP BY lang") as cursor:
            by_lang = {lang: n for lang, n in await cursor.fetchall()}
        async with conn.execute(
            "SELECT count(DISTINCT source), max(ingested_at), max(published_at) FROM articles"
        ) as cursor:
            sources, last_ingested, newest = await cursor.fetchone()
        return ArticleStats(
            total=sum(by_lang.values()),
            by_lang=by_lang,
            sources=sources or 0,
            last_ingested_at=datetime.fromisoformat(last_ingested) if last_ingested else None,
            newest_published_at=_showable(newest, datetime.now(UTC)) if newest else None,
        )
