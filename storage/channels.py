"""Channels as sources: the Telegram channels whose posts the bot stores as they are published."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import aiosqlite

from storage.articles import utc_iso
from storage.database import Database


@dataclass(frozen=True)
class ChannelSource:
    chat_id: int
    username: str | None
    title: str
    added_by: int | None
    added_at: datetime
    posts: int

    @property
    def name(self) -> str:
        return f"@{self.username}" if self.username else self.title


def _source(row: aiosqlite.Row) -> ChannelSource:
    return ChannelSource(
        chat_id=row["chat_id"],
        username=row["username"],
        title=row["title"],
        added_by=row["added_by"],
        added_at=datetime.fromisoformat(row["added_at"]),
        posts=row["posts"],
    )


class ChannelRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, chat_id: int, username: str | None, title: str, by: int | None) -> bool:
        """False when the channel already was a source (its name and title are refreshed)."""
        async with self._db.transaction() as conn:
            async with conn.execute("SELECT 1 FROM channel_sources WHERE chat_id = ?", (chat_id,)) as cursor:
                fresh = await cursor.fetchone() is None
            await conn.execute(
                "INSERT INTO channel_sources (chat_id, username, title, added_by, added_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (chat_id) DO UPDATE"
                " SET username = excluded.username, title = excluded.title",
                (chat_id, username, title, by, utc_iso(datetime.now(UTC))),
            )
        return fresh

    async def remove(self, chat_id: int) -> ChannelSource | None:
        found = await self.get(chat_id)
        if found is not None:
            async with self._db.transaction() as conn:
                await conn.execute("DELETE FROM channel_sources WHERE chat_id = ?", (chat_id,))
        return found

    async def get(self, chat_id: int) -> ChannelSource | None:
        async with self._db.conn.execute(
            "SELECT * FROM channel_sources WHERE chat_id = ?", (chat_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return _source(row) if row else None

    async def find(self, username: str) -> ChannelSource | None:
        async with self._db.conn.execute(
            "SELECT * FROM channel_sources WHERE lower(username) = lower(?)", (username.removeprefix("@"),)
        ) as cursor:
            row = await cursor.fetchone()
        return _source(row) if row else None

    async def listed(self) -> list[ChannelSource]:
        async with self._db.conn.execute(
            "SELECT * FROM channel_sources ORDER BY added_at, chat_id"
        ) as cursor:
            return [_source(row) for row in await cursor.fetchall()]

    async def count_post(self, chat_id: int, username: str | None, title: str) -> None:
        """A post was stored: count it, and keep the channel's current name and title."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE channel_sources SET posts = posts + 1, username = ?, title = ? WHERE chat_id = ?",
                (username, title, chat_id),
            )
