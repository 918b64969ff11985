"""The analysis queue, in the database: every article without a current analysis and not failed for good
waits in it. Several consumers (the bot's Analyzer, `python -m bot worker` processes on other machines)
take disjoint batches by claiming them in `analysis_claims` (migration 0015), each claim with a lease: a
consumer that dies mid-batch leaves its articles to another once the lease has run out. Storing a batch's
analyses releases its claims in the same transaction (`release`, given the storing transaction's
connection); an analysis already stored is never stored again (EntityRepo.claim, as before).

One statement claims a batch: on SQLite (one writer at a time) an INSERT … SELECT … ON CONFLICT … RETURNING;
on PostgreSQL the same, its candidates locked FOR NO KEY UPDATE SKIP LOCKED, so two consumers claiming at
once pass each other by instead of waiting, and the upsert's condition keeps a live claim its owner's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import aiosqlite

from storage.articles import utc_iso
from storage.database import Database

# An article waiting: no analysis, no failure of its own (a transient fault's failure is retried), no live
# claim. An analysis of an older ANALYSIS_VERSION is not waiting: the start-up catch-up clears every analysis
# before the archive is analysed again (bot.analysis.service.catch_up). Taken as waiting, consumers analysed
# such articles over their old rows, and each one failed (a second article_entities row) before the clear: on
# an upgrade of the two contest hours, 713 warnings and the whole archive analysed twice.
_WAITING = (
    "a.id >= ? AND NOT EXISTS (SELECT 1 FROM analyses s WHERE s.article_id = a.id)"
    " AND NOT EXISTS (SELECT 1 FROM analysis_failures f WHERE f.article_id = a.id AND f.transient = 0)"
)
_UNCLAIMED = (
    " AND NOT EXISTS (SELECT 1 FROM analysis_claims c WHERE c.article_id = a.id AND c.claimed_until >= ?)"
)
_UPSERT = (
    " ON CONFLICT (article_id) DO UPDATE SET claimed_by = excluded.claimed_by,"
    " claimed_until = excluded.claimed_until WHERE analysis_claims.claimed_until < ?"
    " RETURNING article_id"
)
_CLAIM_SQLITE = (
    "INSERT INTO analysis_claims (article_id, claimed_by, claimed_until)"
    f" SELECT a.id, ?, ? FROM articles a WHERE {_WAITING}{_UNCLAIMED} ORDER BY a.id LIMIT ?{_UPSERT}"
)
_CLAIM_POSTGRESQL = (
    f"WITH picked AS (SELECT a.id FROM articles a WHERE {_WAITING}{_UNCLAIMED}"
    " ORDER BY a.id LIMIT ? FOR NO KEY UPDATE OF a SKIP LOCKED)"
    " INSERT INTO analysis_claims (article_id, claimed_by, claimed_until)"
    f" SELECT id, ?, ? FROM picked{_UPSERT}"
)


class AnalysisQueue:
    def __init__(self, db: Database, owner: str) -> None:
        self._db = db
        self.owner = owner
        # Every waiting article's id is at least this: the scans start there instead of at the oldest
        # article (a claim over 300,000 analysed articles read them all: 50 ms on SQLite). New articles
        # come with higher ids; `lower` and `rescan` catch the rest (a reindex, another process's insert
        # committed after a later one).
        self.floor = 0

    def lower(self, article_id: int) -> None:
        """An article that waits now, perhaps below the floor (just stored, or every one after a reindex)."""
        self.floor = min(self.floor, article_id)

    async def rescan(self) -> int:
        """The floor from scratch: the oldest waiting article, or past the newest when none waits."""
        async with self._db.conn.execute(
            f"SELECT coalesce((SELECT min(a.id) FROM articles a WHERE {_WAITING}),"
            " (SELECT coalesce(max(id), 0) + 1 FROM articles))",
            (0,),
        ) as cursor:
            (floor,) = await cursor.fetchone()
        self.floor = int(floor)
        return self.floor

    async def claim(self, limit: int, lease: timedelta, now: datetime | None = None) -> list[int]:
        """Up to `limit` waiting articles, oldest first, now this consumer's until `now + lease`; an article
        another consumer holds is not among them unless its lease has run out."""
        now = now or datetime.now(UTC)
        at, until = utc_iso(now), utc_iso(now + lease)
        if self._db.dialect == "postgresql":
            sql, params = _CLAIM_POSTGRESQL, (self.floor, at, limit, self.owner, until, at)
        else:
            sql, params = _CLAIM_SQLITE, (self.owner, until, self.floor, at, limit, at)
        async with self._db.transaction() as conn:
            cursor = await conn.execute(sql, params)
            rows = await cursor.fetchall()
            await cursor.close()
        return sorted(row[0] for row in rows)

    async def hold(self, article_ids: Sequence[int], until: datetime) -> None:
        """Keep this consumer's claims until `until` (a transient fault's pause before the retry)."""
        async with self._db.transaction() as conn:
            await conn.executemany(
                "UPDATE analysis_claims SET claimed_until = ? WHERE article_id = ? AND claimed_by = ?",
                [(utc_iso(until), a, self.owner) for a in article_ids],
            )

    async def release(self, conn: aiosqlite.Connection, article_ids: Sequence[int]) -> None:
        """Within the caller's transaction (the one storing the batch): these claims of this consumer go."""
        await conn.executemany(
            "DELETE FROM analysis_claims WHERE article_id = ? AND claimed_by = ?",
            [(a, self.owner) for a in article_ids],
        )

    async def release_now(self, article_ids: Sequence[int]) -> None:
        """Claims given back in their own transaction (failures recorded, a consumer stopping mid-batch)."""
        async with self._db.transaction() as conn:
            await self.release(conn, article_ids)

    async def forget(self, conn: aiosqlite.Connection, article_ids: Sequence[int]) -> None:
        """Within the caller's transaction (an article's text replaced): whoever's claims on these go, so
        any consumer takes them at once; one still analysing the old text cannot store it
        (EntityRepo.claim checks the text is the one it read)."""
        await conn.executemany(
            "DELETE FROM analysis_claims WHERE article_id = ?", [(a,) for a in article_ids]
        )

    async def forget_dead(self) -> int:
        """At start-up on SQLite, where one process only uses the file (storage/database.py's ProcessLock):
        every claim but this consumer's is a dead process's, so it goes now rather than when its lease runs
        out. On PostgreSQL other consumers may be alive: their claims run out with their leases. How many
        went."""
        if self._db.dialect != "sqlite":
            return 0
        async with self._db.transaction() as conn:
            cursor = await conn.execute("DELETE FROM analysis_claims WHERE claimed_by != ?", (self.owner,))
            gone = cursor.rowcount
            await cursor.close()
        return int(gone)

    async def waiting(self, limit: int = 10_000_000, now: datetime | None = None) -> list[int]:
        """The ids of the articles waiting that nobody holds a live claim on, oldest first."""
        async with self._db.conn.execute(
            f"SELECT a.id FROM articles a WHERE {_WAITING}{_UNCLAIMED} ORDER BY a.id LIMIT ?",
            (self.floor, utc_iso(now or datetime.now(UTC)), limit),
        ) as cursor:
            return [row[0] for row in await cursor.fetchall()]

    async def depth(self) -> int:
        """Articles waiting for analysis, claimed or not (the queue depth /metrics shows)."""
        async with self._db.conn.execute(
            f"SELECT count(*) FROM articles a WHERE {_WAITING}", (self.floor,)
        ) as cursor:
            (count,) = await cursor.fetchone()
        return int(count)
