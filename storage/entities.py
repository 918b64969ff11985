"""The entities aggregate: people, organisations and places across articles, and their cards."""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiosqlite

from bot.analysis.entities import ALIAS_INDEX, PER, Entity, fold
from bot.analysis.identity import KnownEntity, canonical_key, surname_variant_key
from bot.analysis.stems import stem, words
from bot.analysis.understanding import ANALYSIS_VERSION, Understanding
from storage.articles import Article, utc_iso
from storage.database import Database

# Writes derived from a batch of stored analyses (its maps, None for a no-op), in their transaction.
StoredHook = Callable[[aiosqlite.Connection, list[dict[str, int] | None]], Awaitable[None]]
ClearHook = Callable[[aiosqlite.Connection], Awaitable[None]]


@dataclass(frozen=True)
class AnalysisFailure:
    article_id: int
    reason: str
    transient: bool  # a fault of the storage (full disk, locked database), retried while the bot runs


@dataclass(frozen=True)
class FailureCounts:
    failed: int  # for a reason of the article's own: analysed again only by a reindex
    waiting: int  # after a transient fault: retried while the bot runs


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
    """The key people are looked up by: every spelling of one surname shares it (``surname_variant_key``);
    which of those candidates a name really is, ``canonical_key`` decides."""
    parts = name.replace(".", ". ").split()
    return surname_variant_key(parts[-1]) if kind == PER and parts else None


def _chunks(items: list[str], size: int = 500) -> list[list[str]]:
    """Lists short enough for one ``IN (...)`` (SQLite allows a limited number of parameters)."""
    return [items[i : i + size] for i in range(0, len(items), size)]


def _merged_id(merged: dict[int, int], entity_id: int) -> int:
    """The entity an id stands for now that merges may have folded it into another (transitively)."""
    while entity_id in merged:
        entity_id = merged[entity_id]
    return entity_id


class EntityRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    # ----- writing -----
    async def save(self, article: Article, understanding: Understanding) -> dict[str, int] | None:
        """Store one article's analysis; the map of its analysis keys to entity ids (for events), or None
        when the article already has a current analysis (storing it again is a no-op)."""
        return (await self.save_many([(article, understanding)]))[0]

    async def save_many(
        self, analysed: Sequence[tuple[Article, Understanding]], *, then: StoredHook | None = None
    ) -> list[dict[str, int] | None]:
        """Store the analyses of several articles in one transaction, in order; for each, the map of its
        analysis keys to entity ids, or None for an article already analysed by this version (a no-op,
        checked inside the transaction). An entity merged into another by a later article of the batch
        is mapped to the one it became.

        `then` writes what derives from the analyses (timeline events) in the same transaction, so a
        crash stores an article's analysis, entities and events together or not at all."""
        merged: dict[int, int] = {}  # entity id -> the id it was merged into
        async with self._db.transaction() as conn:
            maps = [
                await self._save(conn, article, understanding, merged) for article, understanding in analysed
            ]
            resolved = [
                None if ids is None else {key: _merged_id(merged, value) for key, value in ids.items()}
                for ids in maps
            ]
            await conn.executemany(
                "DELETE FROM analysis_failures WHERE article_id = ?",
                [(a.id,) for (a, _), ids in zip(analysed, resolved, strict=True) if ids is not None],
            )
            if then is not None:
                await then(conn, resolved)
        return resolved

    async def _save(
        self,
        conn: aiosqlite.Connection,
        article: Article,
        understanding: Understanding,
        merged: dict[int, int],
    ) -> dict[str, int] | None:
        published = utc_iso(article.published_at)
        analysis = understanding.analysis
        # Only an older version's analysis is replaced (a reindex cleared it first): an article with a
        # current one is not counted twice when two paths queue it.
        cursor = await conn.execute(
            "INSERT INTO analyses (article_id, version, analyzed_at) VALUES (?, ?, ?)"
            " ON CONFLICT (article_id) DO UPDATE SET version = excluded.version,"
            " analyzed_at = excluded.analyzed_at WHERE analyses.version < excluded.version",
            (article.id, ANALYSIS_VERSION, utc_iso(datetime.now(UTC))),
        )
        if cursor.rowcount == 0:
            return None
        if analysis is None:
            return {}
        ids = await self._resolve_all(conn, analysis.entities, merged)
        forms = dict(understanding.name_forms)
        mentions: Counter[int] = Counter()
        # Rows of all entities go in one statement per table: each statement is a round trip to the
        # SQLite thread, and the event loop serves users between them.
        mention_rows: list[tuple[int, int, int, int, int, str]] = []
        term_rows: list[tuple[str, int]] = []
        for entity in analysis.entities:
            entity_id = ids[entity.key]
            mentions[entity_id] += len(entity.mentions)
            mention_rows += [
                (article.id, entity_id, m.sentence, m.start, m.stop, m.text) for m in entity.mentions
            ]
            terms = name_terms(entity.name, *(m.text for m in entity.mentions)) | forms.get(entity.key, set())
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
            [(n, published, published, published, published, entity_id) for entity_id, n in mentions.items()],
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
        rows = await conn.execute_fetchall(
            f"SELECT id FROM entities WHERE kind = 'PER' AND id IN ({marks})", entity_ids
        )
        people = [row[0] for row in rows]
        await conn.executemany(
            "INSERT INTO entity_pairs (entity_id, other_id, articles) VALUES (?, ?, 1)"
            " ON CONFLICT (entity_id, other_id) DO UPDATE SET articles = articles + 1",
            [(e, p) for e in entity_ids for p in people if p != e],
        )

    async def _resolve_all(
        self, conn: aiosqlite.Connection, entities: Sequence[Entity], merged: dict[int, int]
    ) -> dict[str, int]:
        """The stored entity each of an article's entities is (one identity across articles), created
        when new; entities in the article's order, each seeing the ones resolved before it.

        What is stored is read in two queries (people by surname, everything by key) and kept up to
        date as entities are created or merged: a query per entity made storing the bot's main cost.
        """
        surnames = {e.key: surname_stem(e.kind, e.name) for e in entities}
        wanted = sorted({s for s in surnames.values() if s is not None})
        people: dict[str, list[dict[str, Any]]] = {s: [] for s in wanted}
        for chunk in _chunks(wanted):
            for row in await conn.execute_fetchall(
                "SELECT id, key, kind, name, mentions, surname_stem FROM entities"
                f" WHERE kind = 'PER' AND surname_stem IN ({','.join('?' * len(chunk))}) ORDER BY id",
                chunk,
            ):
                people[row["surname_stem"]].append({k: row[k] for k in row.keys()})  # noqa: SIM118
        by_key: dict[str, int] = {}
        every_key = sorted({e.key for e in entities})
        for chunk in _chunks(every_key):
            rows = await conn.execute_fetchall(
                f"SELECT id, key FROM entities WHERE key IN ({','.join('?' * len(chunk))})", chunk
            )
            by_key.update({row["key"]: row["id"] for row in rows})

        ids: dict[str, int] = {}
        for entity in entities:
            ids[entity.key] = await self._resolve(conn, entity, surnames[entity.key], people, by_key, merged)
        return {key: _merged_id(merged, entity_id) for key, entity_id in ids.items()}

    async def _resolve(
        self,
        conn: aiosqlite.Connection,
        entity: Entity,
        surname: str | None,
        people: dict[str, list[dict[str, Any]]],
        by_key: dict[str, int],
        merged: dict[int, int],
    ) -> int:
        key, kind, name = entity.key, entity.kind, entity.name
        if surname is not None:
            known = people[surname]
            key = canonical_key(
                Entity(key=key, kind=kind, name=name, mentions=()),
                [KnownEntity(r["key"], r["kind"], r["name"], r["mentions"]) for r in known],
            )
            same = [r["id"] for r in known if r["key"] == key]
            if same:
                return int(same[0])
        if key in by_key:
            return by_key[key]
        cursor = await conn.execute(
            "INSERT INTO entities (key, kind, name, surname_stem) VALUES (?, ?, ?, ?)",
            (key, kind, name, surname),
        )
        entity_id = int(cursor.lastrowid)
        by_key[key] = entity_id
        if surname is not None:
            row: dict[str, Any] = {"id": entity_id, "key": key, "kind": kind, "name": name, "mentions": 0}
            people[surname].append(row)
            if len(name.split()) > 1:
                absorbed = await self._absorb_surname_only(conn, entity_id, people[surname])
                for source in absorbed:
                    merged[source] = entity_id
                    for k in [k for k, v in by_key.items() if v == source]:
                        del by_key[k]
                if absorbed:
                    # The merged entities are gone; the full name now has their mentions too.
                    rows = await conn.execute_fetchall(
                        "SELECT mentions FROM entities WHERE id = ?", (entity_id,)
                    )
                    row["mentions"] = rows[0][0]
                    people[surname] = [r for r in people[surname] if r["id"] not in absorbed]
        return entity_id

    async def _absorb_surname_only(
        self, conn: aiosqlite.Connection, entity_id: int, same_surname: Sequence[Any]
    ) -> list[int]:
        """A surname stored alone ("Уиткофф") becomes the first full name seen with it ("Стив Уиткофф"),
        unless several full names share that surname and the earlier mentions cannot be told apart.
        ``same_surname``: the stored people with this surname; the ids merged into ``entity_id``."""
        others = [r for r in same_surname if r["id"] != entity_id]
        if any(len(r["name"].split()) > 1 for r in others):
            return []
        for other in others:
            await self._merge(conn, source=other["id"], target=entity_id)
        return [int(r["id"]) for r in others]

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

    async def clear(self, *, then: ClearHook | None = None) -> None:
        """Forget every analysis and failure (before a reindex of the whole archive); `then` forgets what
        derives from them (events) in the same transaction. Every article is then unanalysed, which is
        what the start-up catch-up queues: a reindex killed half-way is finished by the next start."""
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
                "analysis_failures",
            ):
                await conn.execute(f"DELETE FROM {table}")
            if then is not None:
                await then(conn)

    async def record_failures(self, failures: Sequence[AnalysisFailure]) -> None:
        """Record articles whose analysis failed, with why (the latest failure of each)."""
        now = utc_iso(datetime.now(UTC))
        async with self._db.transaction() as conn:
            await conn.executemany(
                "INSERT OR REPLACE INTO analysis_failures (article_id, reason, transient, failed_at)"
                " SELECT id, ?, ?, ? FROM articles WHERE id = ?",  # an article deleted meanwhile is skipped
                [(f.reason, int(f.transient), now, f.article_id) for f in failures],
            )

    async def failure_counts(self) -> FailureCounts:
        async with self._db.conn.execute(
            "SELECT count(*) - coalesce(sum(transient), 0), coalesce(sum(transient), 0)"
            " FROM analysis_failures"
        ) as cursor:
            failed, waiting = await cursor.fetchone()
        return FailureCounts(failed, waiting)

    async def has_stale_analyses(self, version: int = ANALYSIS_VERSION) -> bool:
        """Whether some article was analysed by an older version of the analysis."""
        rows = await self._db.conn.execute_fetchall(
            "SELECT 1 FROM analyses WHERE version < ? LIMIT 1", (version,)
        )
        return bool(rows)

    async def unanalysed(self, limit: int, version: int = ANALYSIS_VERSION) -> list[int]:
        """Articles without a current analysis, except those whose analysis failed for a reason of their own
        (retrying them would fail again: a reindex does)."""
        async with self._db.conn.execute(
            "SELECT a.id FROM articles a LEFT JOIN analyses s ON s.article_id = a.id"
            " WHERE (s.article_id IS NULL OR s.version < ?) AND NOT EXISTS"
            " (SELECT 1 FROM analysis_failures f WHERE f.article_id = a.id AND NOT f.transient)"
            " ORDER BY a.id LIMIT ?",
            (version, limit),
        ) as cursor:
            return [row[0] for row in await cursor.fetchall()]

    # ----- reading -----
    async def find(self, query: str, limit: int = 6) -> list[EntitySummary]:
        """Entities whose names contain every word of the query in any form, best known first. A name
        the alias table knows is looked up as its display name ("EU", "ЕС" → Евросоюз)."""
        alias = ALIAS_INDEX.get(fold(query))
        if alias is not None:
            query = alias[1]
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

    async def people_in(
        self, article_ids: list[int], per_article: int = 5
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
