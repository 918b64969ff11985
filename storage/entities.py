"""The entities aggregate: people, organisations and places across articles, and their cards.

Storage only stores: which stored entity an analysed one is, bot/who/identity.py decides (bot/who/store.py
runs it in the transaction this repository opens); EntityRepo loads the candidates (``people``,
``ids_of``) and writes the changeset (``write``: identities created and merged, then each article's rows).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime

import aiosqlite

from storage import locks
from storage.articles import utc_iso
from storage.database import Database

PER = "PER"  # the kind of a person (bot.analysis.entities.PER)

# What a reindex forgets with the analyses (events), in its transaction.
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
    other_name: str | None = None  # a person's full name in the other script ("Donald Trump"/"Дональд Трамп")


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


@dataclass(frozen=True)
class PersonRow:
    """A stored person, as identity resolution compares them: filed under a surname key."""

    id: int
    key: str
    kind: str
    name: str
    mentions: int
    surname_stem: str
    other_name: str | None = None  # the full name in the other script, once known


@dataclass(frozen=True)
class NewEntity:
    """An entity to create. ``ref`` (negative) names it in the changeset until ``write`` gives it an id."""

    ref: int
    key: str
    kind: str
    name: str
    surname_stem: str | None


@dataclass(frozen=True)
class EntityMerge:
    """Fold one entity into another (ids, or refs of entities the changeset creates): its mentions,
    roles, quotes, articles and terms become the target's, and it is deleted."""

    source: int
    target: int


@dataclass(frozen=True)
class ArticlePerson:
    """A person an article names: their names, all-time mentions, and the article's language."""

    article_id: int
    name: str
    other_name: str | None
    mentions: int
    lang: str
    surname_stem: str | None = None  # the key identity files them under (a first name alone: "~…")


@dataclass(frozen=True)
class EntityOtherName:
    """An entity (id or ref) is also named ``name`` in the other script; a name stored already stays."""

    entity: int
    name: str


@dataclass(frozen=True)
class EntityRename:
    """An entity (id or ref) is shown as ``name`` from now on (its key stays)."""

    entity: int
    name: str


@dataclass(frozen=True)
class MentionWrite:
    entity: int  # an id or a ref
    sentence: int
    start: int
    stop: int
    text: str


@dataclass(frozen=True)
class RoleWrite:
    entity: int
    title: str
    sentence: int


@dataclass(frozen=True)
class QuoteWrite:
    entity: int
    kind: str
    text: str


@dataclass(frozen=True)
class ArticleEntities:
    """What one article's analysis writes: identities created and merged first, in order, then its rows."""

    article_id: int
    published_at: datetime
    identities: tuple[NewEntity | EntityMerge | EntityOtherName | EntityRename, ...]
    entities: tuple[tuple[int, int], ...]  # (entity, mentions in this article), in the article's order
    mentions: tuple[MentionWrite, ...]
    terms: tuple[tuple[str, int], ...]  # (term, entity): the words /who finds the entity by
    roles: tuple[RoleWrite, ...]
    quotes: tuple[QuoteWrite, ...]


def _summary(row: aiosqlite.Row) -> EntitySummary:
    return EntitySummary(
        row["id"], row["key"], row["kind"], row["name"], row["mentions"], row["articles"], row["other_name"]
    )


ROLES_SHOWN = 6


def _roles_seen(rows: Sequence[RoleSeen], limit: int = ROLES_SHOWN) -> list[RoleSeen]:
    """A person's titles, one per title whatever its letter case ("президент США", "президент сша": SQLite's
    lower() folds only ASCII, so it is done here for both engines), written as most of its articles write it
    (on a tie, with more capitals: "США" over "сша"); the latest first, then the most seen."""
    groups: dict[str, list[RoleSeen]] = {}
    for row in rows:
        groups.setdefault(row.title.casefold(), []).append(row)
    merged = []
    for variants in groups.values():
        shown = max(variants, key=lambda r: (r.articles, sum(ch.isupper() for ch in r.title), r.title))
        merged.append(
            RoleSeen(
                shown.title,
                min(r.first_seen for r in variants),
                max(r.last_seen for r in variants),
                sum(r.articles for r in variants),  # an article writing both forms counts twice: rare
            )
        )
    merged.sort(key=lambda r: (r.last_seen, r.articles), reverse=True)
    return merged[:limit]


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _chunks(items: list[str], size: int = 500) -> list[list[str]]:
    """Lists short enough for one ``IN (...)`` (SQLite allows a limited number of parameters)."""
    return [items[i : i + size] for i in range(0, len(items), size)]


class EntityRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    def transaction(self) -> AbstractAsyncContextManager[aiosqlite.Connection]:
        return self._db.transaction()

    # ----- writing: in the caller's transaction -----
    async def lock_writers(self, conn: aiosqlite.Connection) -> None:
        """First in a transaction storing analyses: on PostgreSQL, other processes storing analyses (the
        bot, `python -m bot worker`) wait until this transaction ends, and this one sees what they
        committed (READ COMMITTED) — otherwise two of them create the same new entity (a UNIQUE
        violation) or update the same entities in another order (a deadlock). SQLite has one writer."""
        if self._db.dialect == "postgresql":
            await conn.execute("SELECT pg_advisory_xact_lock(?)", (locks.ANALYSES,))

    async def claim(
        self, conn: aiosqlite.Connection, articles: Sequence[tuple[int, str]], version: int
    ) -> list[bool]:
        """Mark articles, given as (id, content hash as read), analysed by ``version``; for each, whether
        it is new to this version (False: it already has a current analysis, and storing it again would
        count it twice; or its text was replaced since it was read, and it waits to be analysed again)."""
        claimed = []
        analysed_at = utc_iso(datetime.now(UTC))
        for article_id, content_hash in articles:
            # Only an older version's analysis is replaced (a reindex cleared it first).
            cursor = await conn.execute(
                "INSERT INTO analyses (article_id, version, analyzed_at)"
                " SELECT id, CAST(? AS BIGINT), ? FROM articles WHERE id = ? AND content_hash = ?"
                " ON CONFLICT (article_id) DO UPDATE SET version = excluded.version,"
                " analyzed_at = excluded.analyzed_at WHERE analyses.version < excluded.version",
                (version, analysed_at, article_id, content_hash),
            )
            claimed.append(cursor.rowcount != 0)
        return claimed

    async def people(self, conn: aiosqlite.Connection, surname_stems: Iterable[str]) -> list[PersonRow]:
        """The stored people filed under any of these surname keys, oldest first."""
        found: list[PersonRow] = []
        for chunk in _chunks(sorted(set(surname_stems))):
            rows = await conn.execute_fetchall(
                "SELECT id, key, kind, name, mentions, surname_stem, other_name FROM entities"
                f" WHERE kind = 'PER' AND surname_stem IN ({','.join('?' * len(chunk))}) ORDER BY id",
                chunk,
            )
            found += [PersonRow(*row) for row in rows]
        return sorted(found, key=lambda p: p.id)

    async def ids_of(self, conn: aiosqlite.Connection, keys: Iterable[str]) -> dict[str, int]:
        """The stored entity of each of these keys that is stored."""
        ids: dict[str, int] = {}
        for chunk in _chunks(sorted(set(keys))):
            rows = await conn.execute_fetchall(
                f"SELECT id, key FROM entities WHERE key IN ({','.join('?' * len(chunk))})", chunk
            )
            ids.update({row["key"]: row["id"] for row in rows})
        return ids

    async def write(self, conn: aiosqlite.Connection, articles: Sequence[ArticleEntities]) -> dict[int, int]:
        """Write articles' entities in order; the id each ref of the changeset was given."""
        ids: dict[int, int] = {}

        def id_of(entity: int) -> int:
            return ids[entity] if entity < 0 else entity

        for article in articles:
            for step in article.identities:
                if isinstance(step, NewEntity):
                    cursor = await conn.execute(
                        "INSERT INTO entities (key, kind, name, surname_stem) VALUES (?, ?, ?, ?)",
                        (step.key, step.kind, step.name, step.surname_stem),
                    )
                    ids[step.ref] = int(cursor.lastrowid)  # type: ignore[arg-type]
                elif isinstance(step, EntityRename):
                    await conn.execute(
                        "UPDATE entities SET name = ? WHERE id = ?", (step.name, id_of(step.entity))
                    )
                elif isinstance(step, EntityOtherName):
                    await conn.execute(
                        "UPDATE entities SET other_name = ? WHERE id = ? AND other_name IS NULL",
                        (step.name, id_of(step.entity)),
                    )
                else:
                    await self._merge(conn, source=id_of(step.source), target=id_of(step.target))
            await self._write_rows(conn, article, id_of)
        return ids

    async def _write_rows(
        self, conn: aiosqlite.Connection, article: ArticleEntities, id_of: Callable[[int], int]
    ) -> None:
        # Rows of all entities go in one statement per table: each statement is a round trip to the
        # SQLite thread, and the event loop serves users between them.
        published = utc_iso(article.published_at)
        counts = [(id_of(e), n) for e, n in article.entities]
        await conn.executemany(
            "INSERT INTO mentions (article_id, entity_id, sentence, start, stop, text)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [
                (article.article_id, id_of(m.entity), m.sentence, m.start, m.stop, m.text)
                for m in article.mentions
            ],
        )
        await conn.executemany(
            "INSERT OR IGNORE INTO entity_terms (term, entity_id) VALUES (?, ?)",
            [(term, id_of(e)) for term, e in article.terms],
        )
        await conn.executemany(
            "INSERT INTO article_entities (article_id, entity_id, published_at, mentions)"
            " VALUES (?, ?, ?, ?)",
            [(article.article_id, entity_id, published, n) for entity_id, n in counts],
        )
        await conn.executemany(
            "UPDATE entities SET mentions = mentions + ?, articles = articles + 1,"
            " first_seen = min(coalesce(first_seen, ?), ?), last_seen = max(coalesce(last_seen, ?), ?)"
            " WHERE id = ?",
            [(n, published, published, published, published, entity_id) for entity_id, n in counts],
        )
        await conn.executemany(
            "INSERT INTO roles (entity_id, article_id, title, published_at, sentence) VALUES (?,?,?,?,?)",
            [(id_of(r.entity), article.article_id, r.title, published, r.sentence) for r in article.roles],
        )
        await conn.executemany(
            "INSERT INTO quotes (entity_id, article_id, kind, text, published_at) VALUES (?,?,?,?,?)",
            [(id_of(q.entity), article.article_id, q.kind, q.text, published) for q in article.quotes],
        )
        await self._count_pairs(conn, [entity_id for entity_id, _ in counts])

    async def forget_failures(self, conn: aiosqlite.Connection, article_ids: Sequence[int]) -> None:
        """Articles stored at last are no longer failures."""
        await conn.executemany(
            "DELETE FROM analysis_failures WHERE article_id = ?", [(a,) for a in article_ids]
        )

    async def forget_articles(self, conn: aiosqlite.Connection, article_ids: Sequence[int]) -> None:
        """In the caller's transaction: the articles' analyses go (their mentions, roles, quotes, entity
        rows, failures, the analysis mark), as if never analysed; what was counted from them is counted
        again from the rows that remain (the entities' counts and dates, the pairs), and an entity no
        article names any more goes with its words. Identities merged meanwhile stay merged, and an entity
        other articles still name keeps every word it was named by."""
        for article_id in article_ids:
            rows = await conn.execute_fetchall(
                "SELECT ae.entity_id, e.kind FROM article_entities ae JOIN entities e ON e.id = ae.entity_id"
                " WHERE ae.article_id = ?",
                (article_id,),
            )
            named = [row[0] for row in rows]
            people = {row[0] for row in rows if row[1] == PER}
            pairs = [(e, p) for e in named for p in people if p != e]
            await conn.executemany(
                "UPDATE entity_pairs SET articles = articles - 1 WHERE entity_id = ? AND other_id = ?", pairs
            )
            await conn.executemany(
                "DELETE FROM entity_pairs WHERE entity_id = ? AND other_id = ? AND articles <= 0", pairs
            )
            for table in ("mentions", "roles", "quotes", "article_entities", "analyses", "analysis_failures"):
                await conn.execute(f"DELETE FROM {table} WHERE article_id = ?", (article_id,))
            for start in range(0, len(named), 500):
                ids = named[start : start + 500]
                marks = ",".join("?" * len(ids))
                await conn.execute(
                    "UPDATE entities SET (mentions, articles, first_seen, last_seen) ="
                    " (SELECT coalesce(sum(mentions), 0), count(*), min(published_at), max(published_at)"
                    f" FROM article_entities WHERE entity_id = entities.id) WHERE id IN ({marks})",
                    ids,
                )
                await conn.execute(f"DELETE FROM entities WHERE articles = 0 AND id IN ({marks})", ids)

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
            " ON CONFLICT (entity_id, other_id) DO UPDATE SET articles = entity_pairs.articles + 1",
            [(e, p) for e in entity_ids for p in people if p != e],
        )

    async def _merge(self, conn: aiosqlite.Connection, *, source: int, target: int) -> None:
        for table in ("mentions", "roles", "quotes"):
            await conn.execute(f"UPDATE {table} SET entity_id = ? WHERE entity_id = ?", (target, source))
        await conn.execute(
            "INSERT INTO article_entities (article_id, entity_id, published_at, mentions)"
            " SELECT article_id, CAST(? AS BIGINT), published_at, mentions FROM article_entities"
            " WHERE entity_id = ?"
            " ON CONFLICT (article_id, entity_id) DO UPDATE"
            " SET mentions = article_entities.mentions + excluded.mentions",
            (target, source),
        )
        await conn.execute(
            "INSERT OR IGNORE INTO entity_terms SELECT term, CAST(? AS BIGINT) FROM entity_terms"
            " WHERE entity_id = ?",
            (target, source),
        )
        await conn.execute(
            "UPDATE entities SET other_name = (SELECT other_name FROM entities WHERE id = ?)"
            " WHERE id = ? AND other_name IS NULL",
            (source, target),
        )
        await conn.execute("DELETE FROM entities WHERE id = ?", (source,))  # cascades its rows
        await conn.execute(
            "UPDATE entities SET (mentions, articles, first_seen, last_seen) ="
            " (SELECT coalesce(sum(mentions), 0), count(*),"
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
                " SELECT id, ?, CAST(? AS BIGINT), ? FROM articles WHERE id = ?",  # skips an article deleted
                [(f.reason, int(f.transient), now, f.article_id) for f in failures],
            )

    async def failure_counts(self) -> FailureCounts:
        async with self._db.conn.execute(
            "SELECT count(*) - coalesce(sum(transient), 0), coalesce(sum(transient), 0)"
            " FROM analysis_failures"
        ) as cursor:
            failed, waiting = await cursor.fetchone()
        return FailureCounts(failed, waiting)

    async def has_stale_analyses(self, version: int) -> bool:
        """Whether some article was analysed by an older version of the analysis."""
        rows = await self._db.conn.execute_fetchall(
            "SELECT 1 FROM analyses WHERE version < ? LIMIT 1", (version,)
        )
        return bool(rows)

    async def unanalysed(self, limit: int, version: int) -> list[int]:
        """Articles without a current analysis, except those whose analysis failed for a reason of their own
        (retrying them would fail again: a reindex does)."""
        async with self._db.conn.execute(
            "SELECT a.id FROM articles a LEFT JOIN analyses s ON s.article_id = a.id"
            " WHERE (s.article_id IS NULL OR s.version < ?) AND NOT EXISTS"
            " (SELECT 1 FROM analysis_failures f WHERE f.article_id = a.id AND f.transient = 0)"
            " ORDER BY a.id LIMIT ?",
            (version, limit),
        ) as cursor:
            return [row[0] for row in await cursor.fetchall()]

    # ----- reading -----
    async def matching(self, word_forms: Sequence[Sequence[str]], limit: int = 6) -> list[EntitySummary]:
        """Entities named with one of the forms of every word (as written, its stem), most mentioned first."""
        if not word_forms:
            return []
        matches = " UNION ALL ".join(
            f"SELECT entity_id, {i} AS w FROM entity_terms WHERE term IN ({','.join('?' * len(forms))})"
            for i, forms in enumerate(word_forms)
        )
        async with self._db.conn.execute(
            f"SELECT e.* FROM entities e JOIN (SELECT entity_id FROM ({matches}) m GROUP BY entity_id"
            f" HAVING count(DISTINCT w) = ?) t ON t.entity_id = e.id ORDER BY e.mentions DESC, e.id LIMIT ?",
            (*[form for forms in word_forms for form in forms], len(word_forms), limit),
        ) as cursor:
            return [_summary(row) for row in await cursor.fetchall()]

    async def title_holders(self, pattern: str, limit: int = 500) -> list[tuple[int, str, int]]:
        """(entity id, title, articles) of the roles whose title is LIKE ``pattern``, most articles first."""
        async with self._db.conn.execute(
            "SELECT entity_id, title, count(DISTINCT article_id) AS n FROM roles WHERE title LIKE ?"
            " GROUP BY entity_id, title ORDER BY n DESC, entity_id LIMIT ?",
            (pattern, limit),
        ) as cursor:
            return [(row[0], row[1], int(row[2])) for row in await cursor.fetchall()]

    async def filed_under(self, surname_stems: Iterable[str], limit: int = 50) -> list[EntitySummary]:
        """People filed under any of these surname keys, best known first."""
        stems = sorted(set(surname_stems))[:500]
        if not stems:
            return []
        async with self._db.conn.execute(
            f"SELECT * FROM entities WHERE kind = 'PER' AND surname_stem IN ({','.join('?' * len(stems))})"
            " ORDER BY mentions DESC, id LIMIT ?",
            (*stems, limit),
        ) as cursor:
            return [_summary(row) for row in await cursor.fetchall()]

    async def named_from(self, heads: Iterable[str], per_head: int = 200) -> list[EntitySummary]:
        """Entities named with a word beginning with one of ``heads``, each head's best known first."""
        candidates: dict[int, EntitySummary] = {}
        for head in heads:
            async with self._db.conn.execute(
                "SELECT e.* FROM entity_terms t JOIN entities e ON e.id = t.entity_id"
                " WHERE t.term >= ? AND t.term < ? ORDER BY e.mentions DESC LIMIT ?",
                (head, head + "\uffff", per_head),
            ) as cursor:
                for row in await cursor.fetchall():
                    candidates[row["id"]] = _summary(row)
        return list(candidates.values())

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
            " count(DISTINCT article_id) AS n FROM roles WHERE entity_id = ? GROUP BY title",
            (entity_id,),
        ) as cursor:
            rows = await cursor.fetchall()
        roles = _roles_seen([RoleSeen(r["title"], _when(r["first"]), _when(r["last"]), r["n"]) for r in rows])
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
    ) -> list[tuple[EntitySummary, int, int]]:
        """The entities of a kind in the most articles published since a moment, then with the most mentions
        there: (entity, mentions, articles). By articles first: 50 mentions of "Dickinson" (the TV series)
        in 7 articles put Emily Dickinson second over the contest hours, above Putin's 15 reports."""
        async with self._db.conn.execute(
            "SELECT e.*, sum(ae.mentions) AS recent, count(*) AS reports FROM article_entities ae"
            " JOIN entities e ON e.id = ae.entity_id WHERE ae.published_at >= ? AND e.kind = ?"
            " GROUP BY e.id ORDER BY reports DESC, recent DESC, e.id LIMIT ?",
            (utc_iso(since) if since else "", kind, limit),
        ) as cursor:
            return [(_summary(r), r["recent"], r["reports"]) for r in await cursor.fetchall()]

    async def people_of(self, article_ids: list[int]) -> list[ArticlePerson]:
        """The people of each article, by article, the most mentioned in it first (then the best known)."""
        found: list[ArticlePerson] = []
        for start in range(0, len(article_ids), 500):
            chunk = article_ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            async with self._db.conn.execute(
                "SELECT ae.article_id, e.name, e.other_name, e.mentions, a.lang, e.surname_stem"
                " FROM article_entities ae"
                " JOIN entities e ON e.id = ae.entity_id JOIN articles a ON a.id = ae.article_id"
                f" WHERE ae.article_id IN ({marks}) AND e.kind = 'PER'"
                " ORDER BY ae.article_id, ae.mentions DESC, e.mentions DESC",
                chunk,
            ) as cursor:
                found += [ArticlePerson(*row) for row in await cursor.fetchall()]
        return found
