"""Private mode's list: the users and chats admins let in, and the strangers already refused once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from storage.articles import utc_iso
from storage.database import Database


class AccessKind(StrEnum):
    USER = "user"
    CHAT = "chat"


@dataclass(frozen=True)
class Allowed:
    id: int
    kind: AccessKind
    label: str | None
    added_by: int | None
    added_at: datetime


class AccessRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def allows_any(self, ids: Iterable[int]) -> bool:
        wanted = sorted(set(ids))
        if not wanted:
            return False
        marks = ", ".join("?" for _ in wanted)
        async with self._db.conn.execute(
            f"SELECT 1 FROM access_allowed WHERE id IN ({marks}) LIMIT 1", wanted
        ) as cursor:
            return await cursor.fetchone() is not None

    async def allow(self, subject: int, kind: AccessKind, label: str | None, added_by: int | None) -> bool:
        """Lets a user or chat in; False when it already was (the label is refreshed). A refusal on
        record is forgotten, so a later /deny tells them once again."""
        async with self._db.transaction() as conn:
            async with conn.execute("SELECT 1 FROM access_allowed WHERE id = ?", (subject,)) as cursor:
                fresh = await cursor.fetchone() is None
            await conn.execute(
                "INSERT INTO access_allowed (id, kind, label, added_by, added_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET kind = excluded.kind,"
                " label = COALESCE(excluded.label, access_allowed.label)",
                (subject, kind.value, label, added_by, utc_iso(datetime.now(UTC))),
            )
            await conn.execute("DELETE FROM access_refused WHERE id = ?", (subject,))
        return fresh

    async def deny(self, subject: int) -> bool:
        """Takes a user or chat off the list; False when it was not on it."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute("DELETE FROM access_allowed WHERE id = ?", (subject,))
            removed = cursor.rowcount > 0
            await cursor.close()
            await conn.execute("DELETE FROM access_refused WHERE id = ?", (subject,))
        return removed

    async def listed(self) -> list[Allowed]:
        async with self._db.conn.execute(
            "SELECT id, kind, label, added_by, added_at FROM access_allowed ORDER BY kind DESC, added_at, id"
        ) as cursor:
            rows = await cursor.fetchall()
        return [
            Allowed(
                id=row["id"],
                kind=AccessKind(row["kind"]),
                label=row["label"],
                added_by=row["added_by"],
                added_at=datetime.fromisoformat(row["added_at"]),
            )
            for row in rows
        ]

    async def first_refusal(self, subject: int) -> bool:
        """Records that `subject` was refused; True only the first time, so the refusal is said once."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO access_refused (id, refused_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING",
                (subject, utc_iso(datetime.now(UTC))),
            )
            first = cursor.rowcount > 0
            await cursor.close()
        return first
