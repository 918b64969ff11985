"""The entities aggregate: people, organisations and places across articles, and their cards."""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

import aiosqlite

from bot.analysis.entities import PER, Entity, fold, name_stem
from bot.analysis.identity import KnownEntity, canonical_key
from bot.analysis.stems import stem, words
from bot.analysis.understanding import ANALYSIS_VERSION, Understanding
from storage.articles import Article, utc_iso
from storage.database import Database


@dataclass(frozen=True)
class EntitySummary:
    id: int
    key: str
    kind: str
    name: str
    mentions: int
    articles: int


@dataclass(frozen=True)
class RoleSeen:
    title: str
    first_seen: datetime
    last_seen: datetime
    articles: int


@dataclass(frozen=True)
class QuoteSeen:
    text: str
    kind: str
    published_at: datetime
    article_id: int
    article_title: str
    url: str | None
    source: str | None


@dataclass(frozen=True)
class ArticleRef:
    id: int
    title: str
    published_at: datetime
    url: str | None
    source: str | None


@dataclass(frozen=True)
class EntityCard:
    entity: EntitySummary
    first_seen: datetime | None
    last_seen: datetime | None
    roles: list[RoleSeen]
    quotes: list[QuoteSeen]
    companions: list[tuple[EntitySummary, int]]  # people mentioned in the same articles, with the count
    latest: list[ArticleRef]


def _summary(row: aiosqlite.Row) -> EntitySummary:
    return EntitySummary(row["id"], row["key"], row["kind"], row["name"], row["mentions"], row["articles"])


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def name_terms(*names: str) -> set[str]:
    """Every word an entity was named with, and its stem: with the name's forms from the analysis, what
    /who matches a query's words against."""
    return {form for name in names for w in words(name) for form in (w, stem(w))}


def surname_stem(kind: str, name: str) -> str | None:
    parts = name.replace(".", ". ").split()
    return name_stem(parts[-1]) if kind == PER and parts else None


class EntityRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    # ----- writing -----
    async def save(self, article: Article, understanding: Understanding) -> dict[str, int]:
        """Store one article's analysis; the map of its analysis keys to entity ids (for events)."""
        published = utc_iso(article.published_at)
        analysis = understanding.analysis
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT OR REPLACE INTO analyses (article_id, version, analyzed_at) VALUES (?, ?, ?)",
                (article.id, ANALYSIS_VERSION, utc_iso(datetime.now(UTC))),
            )
            if analysis is None:
                return {}
            ids: dict[str, int] = {}
            forms = dict(understanding.name_forms)
            mentions: Counter[int] = Counter()
            # Rows of all entities go in one statement per table: each statement is a round trip to the
            # SQLite thread, and the event loop serves users between them.
            mention_rows: list[tuple[int, int, int, int, int, str]] = []
            term_rows: list[tuple[str, int]] = []
            for entity in analysis.entities:
                entity_id = await self._resolve(conn, entity.key, entity.kind, entity.name)
                ids[entity.key] = entity_id
                mentions[entity_id] += len(entity.mentions)
                mention_rows += [
                    (article.id, entity_id, m.sentence, m.start, m.stop, m.text) for m in entity.mentions
                ]
                terms = name_terms(entity.name, *(m.text for m in entity.mentions)) | forms.get(
                    entity.key, set()
                )
                term_rows += [(t, entity_id) for t in terms]
            await conn.executemany(
                "INSERT INTO mentions (article_id, entity_id, sentence, start, stop, text)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                mention_rows,
            )
            await conn.executemany(
                "INSERT OR IGNORE INTO entity_terms (term, entity_id) VALUES (?, ?)", term_rows
            )
            await conn.executemany(
                "INSERT INTO article_entities (article_id, entity_id, published_at, mentions)"
                " VALUES (?, ?, ?, ?)",
                [(article.id, entity_id, published, n) for entity_id, n in mentions.items()],
            )
            await conn.executemany(
                "UPDATE entities SET mentions = mentions + ?, articles = articles + 1,"
                " first_seen = min(coalesce(first_seen, ?), ?), last_seen = max(coalesce(last_seen, ?), ?)"
                " WHERE id = ?",
                [
                    (n, published, published, published, published, entity_id)
                    for entity_id, n in mentions.items()
                ],
            )
            await conn.executemany(
                "INSERT INTO roles (entity_id, article_id, title, published_at, sentence) VALUES (?,?,?,?,?)",
                [
                    (ids[r.entity_key], article.id, r.title, published, r.sentence)
                    for r in dict.fromkeys(analysis.roles)
                    if r.entity_key in ids
                ],
            )
            await conn.executemany(
                "INSERT INTO quotes (entity_id, article_id, kind, text, published_at) VALUES (?,?,?,?,?)",
                [
                    (ids[q.entity_key], article.id, q.kind, q.text, published)
                    for q in analysis.quotes
                    if q.entity_key in ids
                ],
            )
            await self._count_pairs(conn, list(mentions))
        return ids

    async def _count_pairs(self, conn: aiosqlite.Connection, entity_ids: list[int]) -> None:
        if len(entity_ids) < 2:
            return
        marks = ",".join("?" * len(entity_ids))
        async with conn.execute(
            f"SELECT id FROM entities WHERE kind = 'PER' AND id IN ({marks})", entity_ids
        ) as cur:
            people = [row[0] for row in await cur.fetchall()]
        await conn.executemany(
            "INSERT INTO entity_pairs (entity_id, other_id, articles) VALUES (?, ?, 1)"
            " ON CONFLICT (entity_id, other_id) DO UPDATE SET articles = articles + 1",
            [(e, p) for e in entity_ids for p in people if p != e],
        )

    async def _resolve(self, conn: aiosqlite.Connection, key: str, kind: str, name: str) -> int:
        """The stored entity this one is (one identity across articles), created when new."""
        surname = surname_stem(kind, name)
        if surname is not None:
            async with conn.execute(
                "SELECT id, key, kind, name, mentions FROM entities WHERE surname_stem = ? AND kind = 'PER'",
                (surname,),
            ) as cursor:
                known = await cursor.fetchall()
            key = canonical_key(
                Entity(key=key, kind=kind, name=name, mentions=()),
                [KnownEntity(r["key"], r["kind"], r["name"], r["mentions"]) for r in known],
            )
            same = [r["id"] for r in known if r["key"] == key]
            if same:
                return int(same[0])
        async with conn.execute("SELECT id FROM entities WHERE key = ?", (key,)) as cursor:
            row = await cursor.fetchone()
        if row is not None:
            return int(row[0])
        cursor = await conn.execute(
            "INSERT INTO entities (key, kind, name, surname_stem) VALUES (?, ?, ?, ?)",
            (key, kind, name, surname),
        )
        entity_id = int(cursor.lastrowid)
        if surname is not None and len(name.split()) > 1:
            await self._absorb_surname_only(conn, entity_id, surname)
        return entity_id

    async def _absorb_surname_only(self, conn: aiosqlite.Connection, entity_id: int, surname: str) -> None:
        """A surname stored alone ("Уиткофф") becomes the first full name seen with it ("Стив Уиткофф"),
        unless several full names share that surname and the earlier mentions cannot be told apart."""
        async with conn.execute(
            "SELECT id, name FROM entities WHERE surname_stem = ? AND kind = 'PER' AND id != ?",
            (surname, entity_id),
        ) as cursor:
            others = await cursor.fetchall()
        if any(len(r["name"].split()) > 1 for r in others):
            return
        for other in others:
            await self._merge(conn, source=other["id"], target=entity_id)

    async def _merge(self, conn: aiosqlite.Connection, *, source: int, target: int) -> None:
        for table in ("mentions", "roles", "quotes"):
            await conn.execute(f"UPDATE {table} SET entity_id = ? WHERE entity_id = ?", (target, source))
        await conn.execute(
            "INSERT INTO article_entities (article_id, entity_id, published_at, mentions)"
            " SELECT article_id, ?, published_at, mentions FROM article_entities WHERE entity_id = ?"
            " ON CONFLICT (article_id, entity_id) DO UPDATE SET mentions = mentions + excluded.mentions",
            (target, source),
        )
        await conn.execute(
            "INSERT OR IGNORE INTO entity_terms SELECT term, ? FROM entity_terms WHERE entity_id = ?",
            (target, source),
        )
        await conn.execute("DELETE FROM entities WHERE id = ?", (source,))  # cascades its rows
        await conn.execute(
            "UPDATE entities SET (mentions, articles, first_seen, last_seen) ="
            " (SELECT sum(mentions), count(*),"
            " min(published_at), max(published_at) FROM article_entities WHERE entity_id = ?) WHERE id = ?",
            (target, target),
        )
        await conn.execute("DELETE FROM entity_pairs WHERE entity_id = ? OR other_id = ?", (target, target))
        # Its pairs in both directions, each half read through the index by entity (an OR across the two
        # sides of the join would scan every article's entities, inside the write transaction).
        await conn.execute(
            "INSERT INTO entity_pairs (entity_id, other_id, articles)"
            " SELECT a.entity_id, b.entity_id, count(*) FROM article_entities a"
            " JOIN article_entities b ON b.article_id = a.article_id AND b.entity_id != a.entity_id"
            " JOIN entities p ON p.id = b.entity_id AND p.kind = 'PER'"
            " WHERE a.entity_id = ? GROUP BY a.entity_id, b.entity_id"
            " UNION ALL"
            " SELECT a.entity_id, b.entity_id, count(*) FROM article_entities b"
            " JOIN article_entities a ON a.article_id = b.article_id AND a.entity_id != b.entity_id"
            " JOIN entities p ON p.id = b.entity_id AND p.kind = 'PER'"
            " WHERE b.entity_id = ? GROUP BY a.entity_id, b.entity_id",
            (target, target),
        )

    async def clear(self) -> None:
        """Forget every analysis (before a reindex of the whole archive)."""
        async with self._db.transaction() as conn:
            for table in (
                "entity_pairs",
                "quotes",
                "roles",
                "mentions",
                "article_entities",
                "entity_terms",
                "entities",
                "analyses",
            ):
                await conn.execute(f"DELETE FROM {table}")

    async def unanalysed(self, limit: int, version: int = ANALYSIS_VERSION) -> list[int]:
        async with self._db.conn.execute(
            "SELECT a.id FROM articles a LEFT JOIN analyses s ON s.article_id = a.id"
            " WHERE s.article_id IS NULL OR s.version < ? ORDER BY a.id LIMIT ?",
            (version, limit),
        ) as cursor:
            return [row[0] for row in await cursor.fetchall()]

    # ----- reading -----
    async def find(self, query: str, limit: int = 6) -> list[EntitySummary]:
        """Entities whose names contain every word of the query in any form, best known first."""
        query_words = list(dict.fromkeys(words(query)))[:6]
        if not query_words:
            return []
        # Every word of the query must match, as written or by its stem.
        matches = " UNION ALL ".join(
            f"SELECT entity_id, {i} AS w FROM entity_terms WHERE term IN (?, ?)"
            for i in range(len(query_words))
        )
        params = [form for w in query_words for form in (w, stem(w))]
        async with self._db.conn.execute(
            f"SELECT e.* FROM entities e JOIN (SELECT entity_id FROM ({matches}) GROUP BY entity_id"
            f" HAVING count(DISTINCT w) = ?) t ON t.entity_id = e.id ORDER BY e.mentions DESC, e.id LIMIT ?",
            (*params, len(query_words), limit),
        ) as cursor:
            found = [_summary(row) for row in await cursor.fetchall()]
        exact = [e for e in found if fold(e.name) == fold(query)]
        return exact + [e for e in found if e not in exact]

    async def similar(self, query: str, limit: int = 5) -> list[EntitySummary]:
        """Known names closest in spelling to a query nothing matched: the first letters, then edit ratio."""
        heads = {stem(w)[:3] for w in words(query) if len(w) >= 3}
        if not heads:
            return []
        candidates: dict[int, EntitySummary] = {}
        for head in heads:
            async with self._db.conn.execute(
                "SELECT e.* FROM entity_terms t JOIN entities e ON e.id = t.entity_id"
                " WHERE t.term >= ? AND t.term < ? ORDER BY e.mentions DESC LIMIT 200",
                (head, head + "\uffff"),
            ) as cursor:
                for row in await cursor.fetchall():
                    candidates[row["id"]] = _summary(row)
        wanted = fold(query)

        def closeness(e: EntitySummary) -> float:
            name = fold(e.name)
            return max(difflib.SequenceMatcher(None, wanted, part).ratio() for part in [name, *name.split()])

        ranked = sorted(candidates.values(), key=lambda e: (-closeness(e), -e.mentions))
        return [e for e in ranked if closeness(e) >= 0.5][:limit]

    async def get(self, entity_id: int) -> EntitySummary | None:
        async with self._db.conn.execute("SELECT * FROM entities WHERE id = ?", (entity_id,)) as cursor:
            row = await cursor.fetchone()
        return _summary(row) if row else None

    async def card(self, entity_id: int) -> EntityCard | None:
        conn = self._db.conn
        async with conn.execute("SELECT * FROM entities WHERE id = ?", (entity_id,)) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        async with conn.execute(
            "SELECT title, min(published_at) AS first, max(published_at) AS last,"
            " count(DISTINCT article_id) AS n"
            " FROM roles WHERE entity_id = ? GROUP BY lower(title) ORDER BY last DESC, n DESC LIMIT 6",
            (entity_id,),
        ) as cursor:
            roles = [
                RoleSeen(r["title"], _when(r["first"]), _when(r["last"]), r["n"])
                for r in await cursor.fetchall()
            ]
        async with conn.execute(
            "SELECT q.text, q.kind, q.published_at, a.id, a.title, a.url, a.source FROM quotes q"
            " JOIN articles a ON a.id = q.article_id WHERE q.entity_id = ?"
            " ORDER BY q.published_at DESC, q.kind = 'quote' DESC, q.id LIMIT 3",
            (entity_id,),
        ) as cursor:
            quotes = [
                QuoteSeen(r[0], r[1], _when(r[2]), r[3], r[4], r[5], r[6]) for r in await cursor.fetchall()
            ]
        async with conn.execute(
            "SELECT e.*, p.articles AS together FROM entity_pairs p JOIN entities e ON e.id = p.other_id"
            " WHERE p.entity_id = ? ORDER BY p.articles DESC, e.mentions DESC LIMIT 5",
            (entity_id,),
        ) as cursor:
            companions = [(_summary(r), r["together"]) for r in await cursor.fetchall()]
        async with conn.execute(
            "SELECT a.id, a.title, a.published_at, a.url, a.source FROM article_entities ae"
            " JOIN articles a ON a.id = ae.article_id WHERE ae.entity_id = ?"
            " ORDER BY ae.published_at DESC, a.id DESC LIMIT 3",
            (entity_id,),
        ) as cursor:
            latest = [ArticleRef(r[0], r[1], _when(r[2]), r[3], r[4]) for r in await cursor.fetchall()]
        return EntityCard(
            entity=_summary(row),
            first_seen=_when(row["first_seen"]),
            last_seen=_when(row["last_seen"]),
            roles=roles,
            quotes=quotes,
            companions=companions,
            latest=latest,
        )

    async def most_mentioned(
        self, since: datetime | None, kind: str = PER, limit: int = 10
    ) -> list[tuple[EntitySummary, int]]:
        """The entities of a kind with the most mentions in articles published since a moment."""
        async with self._db.conn.execute(
            "SELECT e.*, sum(ae.mentions) AS recent FROM article_entities ae"
            " JOIN entities e ON e.id = ae.entity_id"
            " WHERE ae.published_at >= ? AND e.kind = ? GROUP BY ae.entity_id ORDER BY recent DESC LIMIT ?",
            (utc_iso(since) if since else "", kind, limit),
        ) as cursor:
            return [(_summary(r), r["recent"]) for r in await cursor.fetchall()]

    async def people_in(self, article_ids: list[int], per_article: int = 5
                        ) -> tuple[dict[int, tuple[str, ...]], dict[str, float]]:
        """The people each article mentions most (display names), and how well known each is overall
        (all-time mentions): a digest's key people and its ranking's prominence."""
        people: dict[int, list[str]] = {}
        fame: dict[str, float] = {}
        for start in range(0, len(article_ids), 500):
            chunk = article_ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            async with self._db.conn.execute(
                "SELECT ae.article_id, e.name, e.mentions FROM article_entities ae"
                f" JOIN entities e ON e.id = ae.entity_id WHERE ae.article_id IN ({marks}) AND e.kind = 'PER'"
                " ORDER BY ae.article_id, ae.mentions DESC, e.mentions DESC",
                chunk,
            ) as cursor:
                for article_id, name, total in await cursor.fetchall():
                    names = people.setdefault(article_id, [])
                    if len(names) < per_article:
                        names.append(name)
                    fame[name] = float(total)
        return {a: tuple(n) for a, n in people.items()}, fame
