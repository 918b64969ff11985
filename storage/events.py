"""The events aggregate: dated events merged across articles as they are stored, read a page at a time.

Which stored event a new report joins is decided in bot/timeline/merge.py; this module loads the candidates
it compares with (ClusterRow) and writes back what it decided (ClusterWrite), a statement per kind of change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.articles import fts_query, tsquery
from storage.database import Database
from storage.entities import ArticleRef

# timeline_position packs (first day, granularity rank, length in days, cluster id) into 63 bits.
_RANK_BITS, _SPAN_BITS, _ID_BITS = 4, 13, 25
_MAX_DAY = (1 << 21) - 1
FINE_DAYS = 31  # intervals up to a month are looked up a month back; longer ones a year back
COARSE_LOOKBACK_DAYS = 366
CANDIDATES_PER_REPORT = 8
MEMBERS_COMPARED = 8  # the newest reports of a candidate, besides its representative
SOURCES_SHOWN = 3


def timeline_position(begin: dt.date, end: dt.date, rank: int, cluster_id: int) -> int:
    """The timeline order (first day, granularity rank from coarsest, end) as one integer, made unique by
    the cluster id."""
    if not 0 < cluster_id < 1 << _ID_BITS:
        raise ValueError(f"cluster id {cluster_id} does not fit the position")
    day = min(begin.toordinal(), _MAX_DAY)
    span = min((end - begin).days, (1 << _SPAN_BITS) - 1)
    return (((day << _RANK_BITS | rank) << _SPAN_BITS | span) << _ID_BITS) | cluster_id


def first_position(day: dt.date) -> int:
    """The smallest position of an event beginning on `day`."""
    return min(day.toordinal(), _MAX_DAY) << (_RANK_BITS + _SPAN_BITS + _ID_BITS)


@dataclass(frozen=True)
class StoredEvent:
    id: int
    position: int
    begin: dt.date
    end: dt.date
    granularity: str
    text: str
    source_count: int
    sources: tuple[ArticleRef, ...]  # the first few, oldest first


@dataclass(frozen=True)
class ReportRow:
    """One article's report of an event, as stored (and a cluster's representative report)."""

    begin: dt.date
    end: dt.date
    granularity: str
    text: str
    headline: bool


@dataclass(frozen=True)
class NewReport:
    article_id: int
    report: ReportRow


@dataclass(frozen=True)
class ClusterRow:
    """A stored event as merging compares with it: its representative and its newest reports."""

    id: int
    position: int
    best: ReportRow
    participants: frozenset[int]  # entity ids
    terms: str  # full-text column: stems of every report's clause
    context: str  # full-text column: stems of the reporting articles' headlines
    members: tuple[ReportRow, ...]  # up to MEMBERS_COMPARED, newest first


@dataclass(frozen=True)
class Probe:
    """Where one new report looks for its stored event: its interval and its rarest known stems."""

    begin: dt.date
    end: dt.date
    terms: tuple[str, ...]


@dataclass(frozen=True)
class ClusterWrite:
    """One event a batch of reports created or changed, as it is to be stored."""

    id: int
    stored: ClusterRow | None  # as loaded; None: new
    position: int
    best: ReportRow
    participants: tuple[int, ...]  # every entity id, sorted
    terms: str
    context: str
    added_sources: int  # distinct new articles
    reports: tuple[NewReport, ...]  # the new ones
    new_terms: tuple[str, ...]  # content stems the lookup index does not have for this event yet
    new_participants: tuple[int, ...]


@dataclass(frozen=True)
class RemainingReport:
    """A report of an event that stays when other articles' reports are taken back."""

    article_id: int
    report: ReportRow
    title: str  # the reporting article's: the event's context


@dataclass(frozen=True)
class ReportedEvent:
    """A stored event that articles being taken back reported, as stored and with what remains of it."""

    id: int
    position: int
    terms: str
    context: str
    participants: frozenset[int]  # as stored
    linked: frozenset[int]  # entities its event_entities rows name
    indexed: frozenset[str]  # its stems in event_terms
    remaining: tuple[RemainingReport, ...]  # the other articles' reports, in the order they were stored
    named: frozenset[int]  # the entities of the articles those reports come from


@dataclass(frozen=True)
class EventRewrite:
    """A reported event without the taken-back reports: deleted (`best` None), or its row as recomputed."""

    event: ReportedEvent
    best: ReportRow | None
    position: int
    participants: tuple[int, ...]
    terms: str
    context: str
    sources: int
    unlinked: tuple[int, ...]  # entities whose event_entities rows go
    unindexed: tuple[str, ...]  # stems whose event_terms rows go (their counts go down)


def _report(row: aiosqlite.Row) -> ReportRow:
    return ReportRow(
        dt.date.fromisoformat(row["begin_on"]),
        dt.date.fromisoformat(row["end_on"]),
        row["granularity"],
        row["text"],
        bool(row["headline"]),
    )


def _coarse(report: ReportRow) -> int:
    return int((report.end - report.begin).days >= FINE_DAYS)


class EventRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    # ----- writing (bot/timeline/merge.py decides, these load and store) -----
    async def stored_articles(self, conn: aiosqlite.Connection, article_ids: Sequence[int]) -> set[int]:
        """Those of the articles whose events are stored already."""
        marks = ",".join("?" * len(article_ids))
        async with conn.execute(
            f"SELECT DISTINCT article_id FROM event_reports WHERE article_id IN ({marks})", list(article_ids)
        ) as cursor:
            return {row[0] for row in await cursor.fetchall()}

    async def term_counts(self, conn: aiosqlite.Connection, stems: set[str]) -> dict[str, int]:
        """How many stored events each stem is indexed for; stems of no stored event are absent."""
        counts: dict[str, int] = {}
        every = sorted(stems)
        for start in range(0, len(every), 500):
            chunk = every[start : start + 500]
            async with conn.execute(
                f"SELECT term, events FROM event_term_counts WHERE term IN ({','.join('?' * len(chunk))})",
                chunk,
            ) as cursor:
                counts.update({t: n for t, n in await cursor.fetchall()})
        return counts

    async def candidates(self, conn: aiosqlite.Connection, probes: Sequence[Probe]) -> list[list[int]]:
        """Per probe, the stored events it may belong to: overlapping in time, most shared stems first.

        Each stem is looked up among events beginning a month back (a year for long intervals).
        """
        found: list[list[int]] = [[] for _ in probes]
        chunks: list[list[tuple[int, str, int, int, int, int]]] = [[]]
        for k, probe in enumerate(probes):
            if len(chunks[-1]) >= 1000:
                chunks.append([])  # one report's probes always share a query (ranked together)
            begin, end = probe.begin.toordinal(), probe.end.toordinal()
            for term in probe.terms:
                chunks[-1].append((k, term, 0, begin - FINE_DAYS, end, begin))
                chunks[-1].append((k, term, 1, begin - COARSE_LOOKBACK_DAYS, end, begin))
        for chunk in chunks:
            if not chunk:
                continue
            # typed for PostgreSQL, which cannot infer a VALUES list's types from its parameters
            values = ",".join(
                "(CAST(? AS BIGINT), ?, CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT),"
                " CAST(? AS BIGINT))"
                for _ in chunk
            )
            async with conn.execute(
                f"WITH probe (k, term, coarse, lo, hi, b) AS (VALUES {values})"
                " SELECT k, cluster_id FROM ("
                "  SELECT p.k, t.cluster_id, row_number() OVER (PARTITION BY p.k ORDER BY count(*) DESC) AS r"
                "  FROM probe p JOIN event_terms t"
                "  ON t.term = p.term AND t.coarse = p.coarse AND t.begin_day BETWEEN p.lo AND p.hi"
                "  WHERE t.end_day >= p.b GROUP BY p.k, t.cluster_id"
                f") ranked WHERE r <= {CANDIDATES_PER_REPORT} ORDER BY k, r",
                [v for probe in chunk for v in probe],
            ) as cursor:
                for k, cluster_id in await cursor.fetchall():
                    found[k].append(cluster_id)
        return found

    async def load(self, conn: aiosqlite.Connection, ids: set[int]) -> dict[int, ClusterRow]:
        """Stored events with their representative and their newest reports."""
        rows: dict[int, aiosqlite.Row] = {}
        members: dict[int, list[ReportRow]] = {}
        ordered = sorted(ids)
        for start in range(0, len(ordered), 500):
            chunk = ordered[start : start + 500]
            marks = ",".join("?" * len(chunk))
            async with conn.execute(f"SELECT * FROM event_clusters WHERE id IN ({marks})", chunk) as cursor:
                for row in await cursor.fetchall():
                    rows[row["id"]] = row
                    members[row["id"]] = []
            async with conn.execute(
                "SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY cluster_id ORDER BY id DESC) AS r"
                f" FROM event_reports WHERE cluster_id IN ({marks})) newest WHERE r <= ?",
                [*chunk, MEMBERS_COMPARED],
            ) as cursor:
                for row in await cursor.fetchall():
                    members[row["cluster_id"]].append(_report(row))
        clusters = {}
        for i, row in rows.items():
            participants = frozenset(int(p) for p in row["participants"].split())
            clusters[i] = ClusterRow(
                i,
                row["position"],
                _report(row),
                participants,
                row["terms"],
                row["context"],
                tuple(members[i]),
            )
        return clusters

    async def last_id(self, conn: aiosqlite.Connection) -> int:
        """The largest event id stored, 0 when there is none: new events are numbered after it."""
        async with conn.execute("SELECT coalesce(max(id), 0) FROM event_clusters") as cursor:
            (last,) = await cursor.fetchone()
        return int(last)

    async def write(self, conn: aiosqlite.Connection, clusters: Sequence[ClusterWrite]) -> None:
        """Write back the events a batch touched: a statement per kind of change, not per event."""
        new, changed, moved, fts_old, fts_new = [], [], [], [], []
        reports, terms, counted, links = [], [], [], []
        for c in clusters:
            best, position = c.best, c.position
            participants = " ".join(str(p) for p in c.participants)
            row = (
                position, best.begin.isoformat(), best.end.isoformat(), best.granularity, best.text,
                int(best.headline), participants, c.terms, c.context, c.added_sources, c.id,
            )  # fmt: skip
            if c.stored is None:
                new.append(row)
            else:
                changed.append(row)
                fts_old.append((c.stored.position, c.stored.terms, c.stored.context))
                if position != c.stored.position:
                    moved.append(
                        (position, best.begin.toordinal(), best.end.toordinal(), _coarse(best), c.id)
                    )
            fts_new.append((position, c.terms, c.context))
            reports += [
                (c.id, n.article_id, r.begin.isoformat(), r.end.isoformat(), r.granularity, r.text,
                 int(r.headline))
                for n in c.reports
                for r in (n.report,)
            ]  # fmt: skip
            span = (_coarse(best), best.begin.toordinal(), best.end.toordinal(), c.id)
            terms += [(t, *span) for t in c.new_terms]
            counted += [(t,) for t in c.new_terms]
            links += [(position, c.id, p) for p in c.new_participants]
        postgresql = self._db.dialect == "postgresql"  # its GIN index follows event_clusters itself
        if not postgresql:
            await conn.executemany(
                "INSERT INTO events_fts (events_fts, rowid, terms, context) VALUES ('delete', ?, ?, ?)",
                fts_old,
            )
        await conn.executemany(
            "INSERT INTO event_clusters (position, begin_on, end_on, granularity, text, headline,"
            " participants, terms, context, sources, id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            new,
        )
        await conn.executemany(
            "UPDATE event_clusters SET position = ?, begin_on = ?, end_on = ?, granularity = ?, text = ?,"
            " headline = ?, participants = ?, terms = ?, context = ?, sources = sources + ? WHERE id = ?",
            changed,
        )
        if not postgresql:
            await conn.executemany("INSERT INTO events_fts (rowid, terms, context) VALUES (?, ?, ?)", fts_new)
        if moved:
            await conn.executemany(
                "UPDATE event_entities SET position = ? WHERE cluster_id = ?", [(m[0], m[4]) for m in moved]
            )
            await conn.executemany(
                "UPDATE event_terms SET begin_day = ?, end_day = ?, coarse = ? WHERE cluster_id = ?",
                [m[1:] for m in moved],
            )
        await conn.executemany(
            "INSERT INTO event_reports (cluster_id, article_id, begin_on, end_on, granularity, text,"
            " headline) VALUES (?, ?, ?, ?, ?, ?, ?)",
            reports,
        )
        await conn.executemany(
            "INSERT OR IGNORE INTO event_terms (term, coarse, begin_day, end_day, cluster_id)"
            " VALUES (?, ?, ?, ?, ?)",
            terms,
        )
        await conn.executemany(
            "INSERT INTO event_term_counts (term, events) VALUES (?, 1)"
            " ON CONFLICT (term) DO UPDATE SET events = event_term_counts.events + 1",
            counted,
        )
        await conn.executemany(
            "INSERT OR IGNORE INTO event_entities (entity_id, position, cluster_id)"
            " SELECT id, CAST(? AS BIGINT), CAST(? AS BIGINT) FROM entities WHERE id = ?",
            links,
        )

    async def reported_by(
        self, conn: aiosqlite.Connection, article_ids: Sequence[int]
    ) -> list[ReportedEvent]:
        """The events these articles reported, each with what remains of it without their reports."""
        if not article_ids:
            return []
        marks = ",".join("?" * len(article_ids))
        ids = list(article_ids)
        async with conn.execute(
            f"SELECT DISTINCT cluster_id FROM event_reports WHERE article_id IN ({marks})"
            " ORDER BY cluster_id",
            ids,
        ) as cursor:
            clusters = [row[0] for row in await cursor.fetchall()]
        found = []
        for cluster_id in clusters:
            async with conn.execute("SELECT * FROM event_clusters WHERE id = ?", (cluster_id,)) as cursor:
                row = await cursor.fetchone()
            async with conn.execute(
                "SELECT r.*, a.title AS article_title FROM event_reports r"
                " JOIN articles a ON a.id = r.article_id"
                f" WHERE r.cluster_id = ? AND r.article_id NOT IN ({marks}) ORDER BY r.id",
                [cluster_id, *ids],
            ) as cursor:
                remaining = tuple(
                    RemainingReport(r["article_id"], _report(r), r["article_title"])
                    for r in await cursor.fetchall()
                )
            linked = await conn.execute_fetchall(
                "SELECT entity_id FROM event_entities WHERE cluster_id = ?", (cluster_id,)
            )
            indexed = await conn.execute_fetchall(
                "SELECT DISTINCT term FROM event_terms WHERE cluster_id = ?", (cluster_id,)
            )
            sources = sorted({r.article_id for r in remaining})
            named: set[int] = set()
            for start in range(0, len(sources), 500):
                chunk = sources[start : start + 500]
                rows = await conn.execute_fetchall(
                    "SELECT DISTINCT entity_id FROM article_entities"
                    f" WHERE article_id IN ({','.join('?' * len(chunk))})",
                    chunk,
                )
                named |= {r[0] for r in rows}
            found.append(
                ReportedEvent(
                    cluster_id,
                    row["position"],
                    row["terms"],
                    row["context"],
                    frozenset(int(p) for p in row["participants"].split()),
                    frozenset(r[0] for r in linked),
                    frozenset(r[0] for r in indexed),
                    remaining,
                    frozenset(named),
                )
            )
        return found

    async def take_back(
        self, conn: aiosqlite.Connection, article_ids: Sequence[int], events: Sequence[EventRewrite]
    ) -> None:
        """The articles' reports go; each event they reported is deleted or rewritten as recomputed (its
        full-text row, its place in the timeline, its participants' and stems' index rows with it)."""
        postgresql = self._db.dialect == "postgresql"  # its GIN index follows event_clusters itself
        await conn.executemany("DELETE FROM event_reports WHERE article_id = ?", [(a,) for a in article_ids])
        uncounted: list[tuple[str]] = []
        for change in events:
            event = change.event
            if not postgresql:
                await conn.execute(
                    "INSERT INTO events_fts (events_fts, rowid, terms, context) VALUES ('delete', ?, ?, ?)",
                    (event.position, event.terms, event.context),
                )
            best = change.best
            if best is None:
                for table in ("event_entities", "event_terms", "event_reports"):
                    await conn.execute(f"DELETE FROM {table} WHERE cluster_id = ?", (event.id,))
                await conn.execute("DELETE FROM event_clusters WHERE id = ?", (event.id,))
                uncounted += [(t,) for t in sorted(event.indexed)]
                continue
            await conn.execute(
                "UPDATE event_clusters SET position = ?, begin_on = ?, end_on = ?, granularity = ?, text = ?,"
                " headline = ?, participants = ?, terms = ?, context = ?, sources = ? WHERE id = ?",
                (
                    change.position, best.begin.isoformat(), best.end.isoformat(), best.granularity,
                    best.text, int(best.headline), " ".join(str(p) for p in change.participants),
                    change.terms, change.context, change.sources, event.id,
                ),
            )  # fmt: skip
            if not postgresql:
                await conn.execute(
                    "INSERT INTO events_fts (rowid, terms, context) VALUES (?, ?, ?)",
                    (change.position, change.terms, change.context),
                )
            if change.position != event.position:
                await conn.execute(
                    "UPDATE event_entities SET position = ? WHERE cluster_id = ?", (change.position, event.id)
                )
                await conn.execute(
                    "UPDATE event_terms SET begin_day = ?, end_day = ?, coarse = ? WHERE cluster_id = ?",
                    (best.begin.toordinal(), best.end.toordinal(), _coarse(best), event.id),
                )
            await conn.executemany(
                "DELETE FROM event_entities WHERE cluster_id = ? AND entity_id = ?",
                [(event.id, e) for e in change.unlinked],
            )
            await conn.executemany(
                "DELETE FROM event_terms WHERE cluster_id = ? AND term = ?",
                [(event.id, t) for t in change.unindexed],
            )
            uncounted += [(t,) for t in change.unindexed]
        await conn.executemany("UPDATE event_term_counts SET events = events - 1 WHERE term = ?", uncounted)
        await conn.executemany("DELETE FROM event_term_counts WHERE term = ? AND events <= 0", uncounted)

    async def clear(self) -> None:
        """Forget every event (a reindex analyses the archive again)."""
        async with self._db.transaction() as conn:
            await self.clear_in(conn)

    async def clear_in(self, conn: aiosqlite.Connection) -> None:
        """clear inside a transaction the caller holds: the one that forgets the analyses."""
        if self._db.dialect == "sqlite":
            await conn.execute("INSERT INTO events_fts (events_fts) VALUES ('delete-all')")
        for table in (
            "event_entities",
            "event_terms",
            "event_term_counts",
            "event_reports",
            "event_clusters",
        ):
            await conn.execute(f"DELETE FROM {table}")

    async def topic_id(self, query: str) -> int:
        """A number for a word topic, the same for the same query."""
        async with self._db.transaction() as conn:
            await conn.execute("INSERT OR IGNORE INTO timeline_topics (query) VALUES (?)", (query,))
            async with conn.execute("SELECT id FROM timeline_topics WHERE query = ?", (query,)) as cursor:
                (topic,) = await cursor.fetchone()
        return int(topic)

    async def topic_query(self, topic_id: int) -> str | None:
        async with self._db.conn.execute(
            "SELECT query FROM timeline_topics WHERE id = ?", (topic_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return row[0] if row else None

    # ----- reading -----
    async def involving(
        self, entity_id: int, *, after: int | None = None, before: int | None = None, limit: int = 10
    ) -> list[StoredEvent]:
        """Events an entity takes part in, in timeline order: `limit` after a position, or before one."""
        return await self._page(
            "event_entities", "position", "entity_id = ?", [entity_id], after, before, limit
        )

    async def matching(
        self, terms: Sequence[str], *, after: int | None = None, before: int | None = None, limit: int = 10
    ) -> list[StoredEvent]:
        """Events whose clause or headline has every word of the query, in any form (``terms``: the
        query's stems, ``bot.analysis.stems.query_stems``)."""
        queries = fts_query(terms)
        if queries is None:
            return []
        if self._db.dialect == "postgresql":  # the stored column of event_clusters_search (its GIN index)
            return await self._page(
                "event_clusters",
                "position" if await self._common_word(terms) else "position + 0",
                "search @@ to_tsquery('simple', ?)",
                [tsquery(terms)[0]],  # type: ignore[index]
                after,
                before,
                limit,
            )
        return await self._page(
            "events_fts", "rowid", "events_fts MATCH ?", [queries[0]], after, before, limit
        )

    async def _common_word(self, terms: Sequence[str]) -> bool:
        """PostgreSQL only: whether a page of `terms` is best read by walking the timeline until enough
        events match (one word in many events), not by taking every match from the GIN index and sorting.

        The planner cannot tell: a word it has no statistics for is guessed in ~0.2 % of the events, so
        with a LIMIT it walked the position index for a rare or unknown word and read every row (17-21 ms
        at 17,000 events for a word in none or one, against 1 ms through the index). Walking reads some
        11·N/m rows (~1 µs each) for a word in m of N events, the index ~m (~7 µs each), so it walks when
        m ≥ 2·√N (by event_term_counts); a query of several words goes through the index,
        which intersects their lists itself. `position + 0` in the query keeps the planner off the
        position index; the results are the same either way."""
        if len(terms) != 1:
            return False
        async with self._db.conn.execute(
            "SELECT (SELECT events FROM event_term_counts WHERE term = ?),"
            " (SELECT reltuples FROM pg_class WHERE oid = 'event_clusters'::regclass)",
            (terms[0],),
        ) as cursor:
            events, rows = await cursor.fetchone()
        return bool(events) and float(events) ** 2 >= 4 * max(float(rows or 0), 1.0)

    async def between(
        self,
        first: dt.date,
        last: dt.date,
        *,
        after: int | None = None,
        before: int | None = None,
        limit: int = 10,
    ) -> list[StoredEvent]:
        """Events beginning between two days, inclusive."""
        bounds = [first_position(first), first_position(last + dt.timedelta(days=1))]
        return await self._page(
            "event_clusters", "position", "position >= ? AND position < ?", bounds, after, before, limit
        )

    async def _page(
        self,
        table: str,
        column: str,
        where: str,
        params: list[object],
        after: int | None,
        before: int | None,
        limit: int,
    ) -> list[StoredEvent]:
        """`limit` events of a table's positions that satisfy `where`: after a position, else before one.

        Keyset paging over an index in timeline order, so a page costs the same on any page of any topic.
        """
        if before is not None:
            keyset, order, bound = "<", "DESC", before
        else:
            keyset, order, bound = ">", "ASC", -1 if after is None else after
        conn = self._db.conn
        async with conn.execute(
            f"SELECT c.* FROM (SELECT {column} AS position FROM {table} WHERE {where} AND {column} {keyset} ?"
            f" ORDER BY {column} {order} LIMIT ?) s JOIN event_clusters c ON c.position = s.position",
            [*params, bound, limit],
        ) as cursor:
            rows = sorted(await cursor.fetchall(), key=lambda r: r["position"])
        if not rows:
            return []
        marks = ",".join("?" * len(rows))
        sources: dict[int, list[ArticleRef]] = {}
        async with conn.execute(
            "SELECT * FROM (SELECT s.cluster_id, a.id, a.title, a.published_at, a.url, a.source,"
            " row_number() OVER (PARTITION BY s.cluster_id ORDER BY a.published_at, a.id) AS r"
            " FROM (SELECT DISTINCT cluster_id, article_id FROM event_reports"
            f" WHERE cluster_id IN ({marks})) s"
            " JOIN articles a ON a.id = s.article_id) shown WHERE r <= ?",
            [*(r["id"] for r in rows), SOURCES_SHOWN],
        ) as cursor:
            for r in await cursor.fetchall():
                sources.setdefault(r[0], []).append(
                    ArticleRef(r[1], r[2], datetime.fromisoformat(r[3]), r[4], r[5])
                )
        return [
            StoredEvent(
                r["id"],
                r["position"],
                dt.date.fromisoformat(r["begin_on"]),
                dt.date.fromisoformat(r["end_on"]),
                r["granularity"],
                r["text"],
                r["sources"],
                tuple(sources.get(r["id"], ())),
            )
            for r in rows
        ]
