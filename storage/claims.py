"""Claims on scheduled work, for several instances of the bot on one database: a run is started by the one
instance that claims it, and finished by another when the claim's lease runs out with the run unfinished."""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from storage.articles import utc_iso
from storage.database import Database


def instance_name() -> str:
    """This process among the bot's instances: host, pid and a random part (a pid is reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class Unfinished:
    job: str
    period: str
    claimed_by: str


class JobClaims:
    def __init__(self, db: Database, owner: str) -> None:
        self._db = db
        self.owner = owner

    async def claim(self, job: str, period: str, lease: timedelta, now: datetime | None = None) -> bool:
        """Whether this instance may run (job, period) now: nobody claimed it, or the claim is this
        instance's, or its lease ran out unfinished. A finished run is never claimed again."""
        now = now or datetime.now(UTC)
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO job_runs (job, period, claimed_by, claimed_until) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (job, period) DO UPDATE SET claimed_by = excluded.claimed_by,"
                " claimed_until = excluded.claimed_until WHERE job_runs.done_at IS NULL"
                " AND (job_runs.claimed_until < ? OR job_runs.claimed_by = excluded.claimed_by)"
                " RETURNING claimed_by",
                (job, period, self.owner, utc_iso(now + lease), utc_iso(now)),
            )
            row = await cursor.fetchone()
            await cursor.close()
        return row is not None

    async def renew(self, job: str, period: str, lease: timedelta) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE job_runs SET claimed_until = ? WHERE job = ? AND period = ? AND claimed_by = ?",
                (utc_iso(datetime.now(UTC) + lease), job, period, self.owner),
            )

    async def done(self, job: str, period: str) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE job_runs SET done_at = ? WHERE job = ? AND period = ?",
                (utc_iso(datetime.now(UTC)), job, period),
            )

    async def abandoned(self, prefix: str, now: datetime | None = None) -> list[Unfinished]:
        """Runs of jobs named `prefix…` whose instance stopped holding them before they were done."""
        async with self._db.conn.execute(
            "SELECT job, period, claimed_by FROM job_runs WHERE done_at IS NULL AND claimed_until < ?"
            " AND job LIKE ? ORDER BY period",
            (utc_iso(now or datetime.now(UTC)), f"{prefix}%"),
        ) as cursor:
            return [Unfinished(r["job"], r["period"], r["claimed_by"]) for r in await cursor.fetchall()]

    async def release_all(self) -> None:
        """Every claim let go: for a database only this process can open (SQLite's process lock), whatever
        a stopped run of the bot held is this run's to finish at once, not after its lease."""
        async with self._db.transaction() as conn:
            await conn.execute("UPDATE job_runs SET claimed_until = '' WHERE done_at IS NULL")
            await conn.execute(
                "UPDATE deliveries SET claimed_by = NULL, claimed_until = NULL WHERE status = 'pending'"
            )
            await conn.execute("UPDATE feeds SET claimed_by = NULL, claimed_until = NULL")
