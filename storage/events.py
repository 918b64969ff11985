"""The events aggregate: dated events merged across articles as they are stored, read a page at a time.

A new report joins the stored event it describes (bot.analysis.events.same_event) or starts its own; the
event keeps its best-dated report's date and clause, and every article that reported it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import aiosqlite

from bot.analysis.events import Event, content_stems, dating_precision, granularity_rank, same_event
from bot.analysis.stems import STOPWORDS, stem, words
from storage.articles import fts_query
from storage.database import Database
from storage.entities import ArticleRef

# timeline_position packs (first day, granularity rank, length in days, cluster id) into 63 bits.
_RANK_BITS, _SPAN_BITS, _ID_BITS = 4, 13, 25
_MAX_DAY = (1 << 21) - 1
FINE_DAYS = 31  # intervals up to a month are looked up a month back; longer ones a year back
COARSE_LOOKBACK_DAYS = 366
CANDIDATES_PER_REPORT = 8
MEMBERS_COMPARED = 8  # the newest reports of a candidate, besides its representative
PROBED_STEMS = 4  # a report looks for its event by its rarest content stems
BATCH_ARTICLES = 100
SOURCES_SHOWN = 3


def timeline_position(begin: dt.date, end: dt.date, granularity: str, cluster_id: int) -> int:
    """The timeline order of bot.analysis.events.sort_key as one integer, made unique by the cluster id."""
    if not 0 < cluster_id < 1 << _ID_BITS:
        raise ValueError(f"cluster id {cluster_id} does not fit the position")
    day = min(begin.toordinal(), _MAX_DAY)
    span = min((end - begin).days, (1 << _SPAN_BITS) - 1)
    return (
        ((day << _RANK_BITS | granularity_rank(granularity)) << _SPAN_BITS | span) << _ID_BITS
    ) | cluster_id


def first_position(day: dt.date) -> int:
    """The smallest position of an event beginning on `day`."""
    return min(day.toordinal(), _MAX_DAY) << (_RANK_BITS + _SPAN_BITS + _ID_BITS)


def index_terms(text: str) -> str:
    """Distinct stems of a text, function words dropped, as the full-text index stores them."""
    return " ".join(dict.fromkeys(stem(w) for w in words(text) if w not in STOPWORDS))


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
class ArticleEvents:
    """One analysed article's events, participants as analysis keys; `ids_by_key` maps them to entities."""

    article_id: int
    title: str
    events: tuple[Event, ...]
    ids_by_key: dict[str, int]


@dataclass(eq=False)
class _Cluster:
    """An event while a batch of reports is merged into it; written back once, at the end of the batch."""

    id: int
    position: int | None  # as stored; None: new in this batch
    best: Event
    members: list[Event]
    participants: set[int]
    terms: str  # as stored
    context: str
    stems: set[str]  # content stems known to be indexed in event_terms
    new_reports: list[tuple[int, Event]] = field(default_factory=list)  # (article id, report)
    new_context: list[str] = field(default_factory=list)
    new_participants: set[int] = field(default_factory=set)
    new_stems: set[str] = field(default_factory=set)

    @property
    def new_position(self) -> int:
        return timeline_position(self.best.begin, self.best.end, self.best.granularity, self.id)

    def take(self, article_id: int, report: Event, context: str) -> None:
        """Add a report; a better-dated one becomes the representative (a finer date wins)."""
        if self.new_reports or self.position is not None:
            if dating_precision(report) > dating_precision(self.best):
                self.members.append(self.best)
                self.best = report
            else:
                self.members.append(report)
        self.new_reports.append((article_id, report))
        if context not in self.new_context:
            self.new_context.append(context)
        self.new_participants |= {int(p) for p in report.participants} - self.participants
        self.new_stems |= content_stems(report.text) - self.stems


def _ids(participants: str) -> set[int]:
    return {int(p) for p in participants.split()}


def _event(row: aiosqlite.Row, participants: Iterable[int] = ()) -> Event:
    return Event(
        dt.date.fromisoformat(row["begin_on"]),
        dt.date.fromisoformat(row["end_on"]),
        row["granularity"],
        row["text"],
        tuple(str(p) for p in participants),
        0,
        headline=bool(row["headline"]),
    )


def _coarse(event: Event) -> int:
    return int((event.end - event.begin).days >= FINE_DAYS)


def _merged_words(*texts: str) -> str:
    return " ".join(dict.fromkeys(w for text in texts for w in text.split()))


def _overlap(a: Event, b: Event) -> bool:
    return a.begin <= b.end and b.begin <= a.end


class EventRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    # ----- writing -----
    async def add(
        self, article_id: int, title: str, events: Sequence[Event], ids_by_key: dict[str, int]
    ) -> None:
        """Merge one article's events into the stored ones: each joins the event it reports, or is new."""
        await self.add_many([ArticleEvents(article_id, title, tuple(events), ids_by_key)])

    async def add_many(self, articles: Sequence[ArticleEvents]) -> None:
        """Merge the events of many articles in one transaction, BATCH_ARTICLES at a time.

        Articles whose events are stored already are left as they are.
        """
        async with self._db.transaction() as conn:
            await self.add_in(conn, articles)

    async def add_in(self, conn: aiosqlite.Connection, articles: Sequence[ArticleEvents]) -> None:
        """add_many inside a transaction the caller holds: the one that stores the articles' analyses."""
        for start in range(0, len(articles), BATCH_ARTICLES):
            await self._merge(conn, articles[start : start + BATCH_ARTICLES])

    async def _merge(self, conn: aiosqlite.Connection, articles: Sequence[ArticleEvents]) -> None:
        """One batch: stored candidates read once, reports merged in memory, every change written once."""
        marks = ",".join("?" * len(articles))
        async with conn.execute(
            f"SELECT DISTINCT article_id FROM event_reports WHERE article_id IN ({marks})",
            [a.article_id for a in articles],
        ) as cursor:
            stored = {row[0] for row in await cursor.fetchall()}
        reports: list[tuple[int, str, Event]] = []
        for item in articles:
            if item.article_id in stored:
                continue
            context = index_terms(item.title)
            mine = [
                Event(
                    e.begin,
                    e.end,
                    e.granularity,
                    e.text,
                    tuple(str(item.ids_by_key[k]) for k in e.participants if k in item.ids_by_key),
                    e.sentence_start,
                    e.headline,
                )
                for e in item.events
            ]
            # Finest-dated first, as merge_events does: a cluster's first report carries the date.
            reports += [
                (item.article_id, context, e) for e in sorted(mine, key=dating_precision, reverse=True)
            ]
        if not reports:
            return
        counts = await self._counts(conn, {t for _, _, e in reports for t in content_stems(e.text)})
        candidates = await self._candidates(conn, [e for _, _, e in reports], counts)
        clusters = await self._load(conn, {c for ids in candidates for c in ids})
        async with conn.execute("SELECT coalesce(max(id), 0) FROM event_clusters") as cursor:
            (last_id,) = await cursor.fetchone()
        touched: dict[int, _Cluster] = {}
        fresh: dict[str, dict[int, _Cluster]] = {}  # clusters this batch wrote to, by content stem
        for (article_id, context, report), ids in zip(reports, candidates, strict=True):
            stems = content_stems(report.text)
            rarest = sorted(stems, key=lambda t: counts.get(t, 0) + len(fresh.get(t, ())))[:PROBED_STEMS]
            near = {i: c for t in rarest for i, c in fresh.get(t, {}).items() if _overlap(report, c.best)}
            choices = [clusters[i] for i in ids] + [c for i, c in near.items() if i not in ids]
            cluster = next((c for c in choices if same_event(report, c.best, c.members)), None)
            if cluster is None:
                last_id += 1
                cluster = _Cluster(last_id, None, report, [], set(), "", "", set())
            cluster.take(article_id, report, context)
            touched[cluster.id] = cluster
            for t in stems:
                fresh.setdefault(t, {})[cluster.id] = cluster
        await self._write(conn, list(touched.values()))

    async def _counts(self, conn: aiosqlite.Connection, stems: set[str]) -> dict[str, int]:
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

    async def _candidates(
        self, conn: aiosqlite.Connection, reports: list[Event], counts: dict[str, int]
    ) -> list[list[int]]:
        """Per report, the stored events it may belong to: overlapping in time, most shared stems first.

        Only a report's rarest stems are looked up (a retelling shares several; common ones would
        bring thousands of rows), each among events beginning a month back (a year for long intervals).
        """
        found: list[list[int]] = [[] for _ in reports]
        chunks: list[list[tuple[int, str, int, int, int, int]]] = [[]]
        for k, report in enumerate(reports):
            if len(chunks[-1]) >= 1000:
                chunks.append([])  # one report's probes always share a query (ranked together)
            begin, end = report.begin.toordinal(), report.end.toordinal()
            known = sorted((counts[t], t) for t in content_stems(report.text) if t in counts)
            for _, term in known[:PROBED_STEMS]:
                chunks[-1].append((k, term, 0, begin - FINE_DAYS, end, begin))
                chunks[-1].append((k, term, 1, begin - COARSE_LOOKBACK_DAYS, end, begin))
        for chunk in chunks:
            if not chunk:
                continue
            values = ",".join("(?, ?, ?, ?, ?, ?)" for _ in chunk)
            async with conn.execute(
                f"WITH probe (k, term, coarse, lo, hi, b) AS (VALUES {values})"
                " SELECT k, cluster_id FROM ("
                "  SELECT p.k, t.cluster_id, row_number() OVER (PARTITION BY p.k ORDER BY count(*) DESC) AS r"
                "  FROM probe p JOIN event_terms t"
                "  ON t.term = p.term AND t.coarse = p.coarse AND t.begin_day BETWEEN p.lo AND p.hi"
                "  WHERE t.end_day >= p.b GROUP BY p.k, t.cluster_id"
                f") WHERE r <= {CANDIDATES_PER_REPORT} ORDER BY k, r",
                [v for probe in chunk for v in probe],
            ) as cursor:
                for k, cluster_id in await cursor.fetchall():
                    found[k].append(cluster_id)
        return found

    async def _load(self, conn: aiosqlite.Connection, ids: set[int]) -> dict[int, _Cluster]:
        """Stored events with their representative and their newest reports."""
        clusters: dict[int, _Cluster] = {}
        ordered = sorted(ids)
        for start in range(0, len(ordered), 500):
            chunk = ordered[start : start + 500]
            marks = ",".join("?" * len(chunk))
            async with conn.execute(f"SELECT * FROM event_clusters WHERE id IN ({marks})", chunk) as cursor:
                for row in await cursor.fetchall():
                    participants = _ids(row["participants"])
                    clusters[row["id"]] = _Cluster(
                        row["id"], row["position"], _event(row, participants), [], participants,
                        row["terms"], row["context"], set(row["terms"].split()),
                    )  # fmt: skip
            async with conn.execute(
                "SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY cluster_id ORDER BY id DESC) AS r"
                f" FROM event_reports WHERE cluster_id IN ({marks})) WHERE r <= ?",
                [*chunk, MEMBERS_COMPARED],
            ) as cursor:
                for row in await cursor.fetchall():
                    clusters[row["cluster_id"]].members.append(_event(row))
        return clusters

    async def _write(self, conn: aiosqlite.Connection, clusters: list[_Cluster]) -> None:
        """Write back the events a batch touched: a statement per kind of change, not per event."""
        new, changed, moved, fts_old, fts_new = [], [], [], [], []
        reports, terms, counted, links = [], [], [], []
        for c in clusters:
            best, position = c.best, c.new_position
            words = _merged_words(c.terms, *(index_terms(r.text) for _, r in c.new_reports))
            headlines = _merged_words(c.context, *c.new_context)
            participants = " ".join(str(p) for p in sorted(c.participants | c.new_participants))
            sources = len({a for a, _ in c.new_reports})  # a batch only holds articles not stored yet
            row = (
                position, best.begin.isoformat(), best.end.isoformat(), best.granularity, best.text,
                int(best.headline), participants, words, headlines, sources, c.id,
            )  # fmt: skip
            if c.position is None:
                new.append(row)
            else:
                changed.append(row)
                fts_old.append((c.position, c.terms, c.context))
                if position != c.position:
                    moved.append(
                        (position, best.begin.toordinal(), best.end.toordinal(), _coarse(best), c.id)
                    )
            fts_new.append((position, words, headlines))
            reports += [
                (c.id, a, r.begin.isoformat(), r.end.isoformat(), r.granularity, r.text, int(r.headline))
                for a, r in c.new_reports
            ]
            span = (_coarse(best), best.begin.toordinal(), best.end.toordinal(), c.id)
            terms += [(t, *span) for t in sorted(c.new_stems)]
            counted += [(t,) for t in sorted(c.new_stems)]
            links += [(position, c.id, p) for p in sorted(c.new_participants)]
        await conn.executemany(
            "INSERT INTO events_fts (events_fts, rowid, terms, context) VALUES ('delete', ?, ?, ?)", fts_old
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
        await conn.executemany("INSERT INTO events_fts (rowid, terms, context) VALUES (?, ?, ?)", fts_new)
        if moved:
            await conn.executemany("UPDATE event_entities SET position = ?1 WHERE cluster_id = ?5", moved)
            await conn.executemany(
                "UPDATE event_terms SET begin_day = ?2, end_day = ?3, coarse = ?4 WHERE cluster_id = ?5",
                moved,
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
            " ON CONFLICT (term) DO UPDATE SET events = events + 1",
            counted,
        )
        await conn.executemany(
            "INSERT OR IGNORE INTO event_entities (entity_id, position, cluster_id)"
            " SELECT id, ?, ? FROM entities WHERE id = ?",
            links,
        )

    async def clear(self) -> None:
        """Forget every event (a reindex analyses the archive again)."""
        async with self._db.transaction() as conn:
            await self.clear_in(conn)

    async def clear_in(self, conn: aiosqlite.Connection) -> None:
        """clear inside a transaction the caller holds: the one that forgets the analyses."""
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
        self, query: str, *, after: int | None = None, before: int | None = None, limit: int = 10
    ) -> list[StoredEvent]:
        """Events whose clause or headline has every word of the query, in any form."""
        queries = fts_query(query)
        if queries is None:
            return []
        return await self._page(
            "events_fts", "rowid", "events_fts MATCH ?", [queries[0]], after, before, limit
        )

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
            " JOIN articles a ON a.id = s.article_id) WHERE r <= ?",
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
