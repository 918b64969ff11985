"""The alerts aggregate: each chat's instant-alert setting, the new stories the alert job reads, and what was
sent about each story (claimed before it is sent: the exactly-once guard)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import aiosqlite

from storage.articles import utc_iso
from storage.database import Database

STORY_TEXT_CHARS = 3000  # the lead and a little more: what an alert and its topic match read


class SendStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FOLDED = "folded"  # quiet hours or over the hourly limit: the next digest has it
    FAILED = "failed"


@dataclass(frozen=True)
class Alert:
    id: int
    chat_id: int
    thread_id: int | None
    chat_type: str
    language: str
    timezone: str
    topics: str
    quiet_from: str | None
    quiet_to: str | None
    per_hour: int
    active: bool
    created_by: int | None
    created_at: datetime
    since_story: int


@dataclass(frozen=True)
class Report:
    """An article of a story, as alerts read it."""

    story_id: int
    article_id: int
    title: str
    url: str | None
    source: str | None
    published_at: datetime
    ingested_at: datetime
    lang: str
    text: str  # its first STORY_TEXT_CHARS characters


@dataclass(frozen=True)
class NewStory:
    first: Report  # the story's first report
    reports: int


@dataclass(frozen=True)
class Alerted:
    """A story an alert setting was told about: what it was told, and when last."""

    story_id: int
    last_seq: int
    last_at: datetime
    reports: int  # the story's reports when it was last decided
    facts: tuple[str, ...]  # every sentence sent about it


@dataclass(frozen=True)
class PendingSend:
    alert_id: int
    story_id: int
    seq: int
    text: str
    created_at: datetime


def _alert(row: aiosqlite.Row) -> Alert:
    return Alert(
        id=row["id"],
        chat_id=row["chat_id"],
        thread_id=row["thread_id"] or None,
        chat_type=row["chat_type"],
        language=row["language"],
        timezone=row["timezone"],
        topics=row["topics"],
        quiet_from=row["quiet_from"],
        quiet_to=row["quiet_to"],
        per_hour=row["per_hour"],
        active=bool(row["active"]),
        created_by=row["created_by"],
        created_at=datetime.fromisoformat(row["created_at"]),
        since_story=row["since_story"],
    )


def _report(row: aiosqlite.Row) -> Report:
    return Report(
        story_id=row["story_id"],
        article_id=row["article_id"],
        title=row["title"],
        url=row["url"],
        source=row["source"],
        published_at=datetime.fromisoformat(row["published_at"]),
        ingested_at=datetime.fromisoformat(row["ingested_at"]),
        lang=row["lang"],
        text=row["text"],
    )


_REPORT_COLUMNS = (
    "st.story_id AS story_id, a.id AS article_id, a.title, a.url, a.source, a.published_at, a.ingested_at,"
    f" a.lang, substr(a.text, 1, {STORY_TEXT_CHARS}) AS text"
)


class AlertRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    # ----- settings -----
    async def _one(self, sql: str, params: Sequence[Any]) -> Alert | None:
        async with self._db.conn.execute(sql, params) as cursor:
            row = await cursor.fetchone()
        return _alert(row) if row else None

    async def of_chat(self, chat_id: int, thread_id: int | None) -> Alert | None:
        return await self._one(
            "SELECT * FROM alerts WHERE chat_id = ? AND thread_id = ?", (chat_id, thread_id or 0)
        )

    async def get(self, alert_id: int) -> Alert | None:
        return await self._one("SELECT * FROM alerts WHERE id = ?", (alert_id,))

    async def set_topics(
        self,
        *,
        chat_id: int,
        thread_id: int | None,
        chat_type: str,
        language: str,
        timezone: str,
        topics: str,
        by: int | None,
        since_story: int,
    ) -> Alert:
        """Start (or change) the chat's alerts; quiet hours and the hourly limit set before are kept.
        Stories up to `since_story` existed before: they are never alerted."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO alerts (chat_id, thread_id, chat_type, language, timezone, topics, created_by,"
                " created_at, since_story) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (chat_id, thread_id) DO UPDATE SET topics = excluded.topics,"
                " language = excluded.language, chat_type = excluded.chat_type, active = 1,"
                " since_story = CASE WHEN alerts.active = 1 THEN alerts.since_story"
                " ELSE excluded.since_story END",
                (
                    chat_id,
                    thread_id or 0,
                    chat_type,
                    language,
                    timezone,
                    topics,
                    by,
                    utc_iso(datetime.now(UTC)),
                    since_story,
                ),
            )
        found = await self.of_chat(chat_id, thread_id)
        assert found is not None
        return found

    async def change(self, alert_id: int, **fields: Any) -> Alert | None:
        """Set quiet_from/quiet_to, timezone, per_hour or active."""
        allowed = {"quiet_from", "quiet_to", "timezone", "per_hour", "active"}
        if not fields or not set(fields) <= allowed:
            raise ValueError(f"unknown alert fields: {sorted(set(fields) - allowed)}")
        assignments = ", ".join(f"{name} = ?" for name in fields)
        async with self._db.transaction() as conn:
            await conn.execute(f"UPDATE alerts SET {assignments} WHERE id = ?", (*fields.values(), alert_id))
        return await self.get(alert_id)

    async def end_chat(self, chat_id: int) -> int:
        """Every alert setting of a chat off (the bot was removed, blocked or denied there); how many."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE alerts SET active = 0 WHERE chat_id = ? AND active = 1", (chat_id,)
            )
            ended = cursor.rowcount
        return ended

    async def active(self) -> list[Alert]:
        async with self._db.conn.execute("SELECT * FROM alerts WHERE active = 1 ORDER BY id") as cursor:
            return [_alert(row) for row in await cursor.fetchall()]

    # ----- stories -----
    async def latest_story(self) -> int:
        async with self._db.conn.execute("SELECT COALESCE(max(id), 0) FROM stories") as cursor:
            (latest,) = await cursor.fetchone()
        return int(latest)

    async def cursor(self) -> int | None:
        async with self._db.conn.execute("SELECT story_id FROM alert_cursor WHERE id = 1") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else None

    async def advance(self, story_id: int) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO alert_cursor (id, story_id) VALUES (1, ?) ON CONFLICT (id) DO UPDATE"
                " SET story_id = CASE WHEN excluded.story_id > alert_cursor.story_id"
                " THEN excluded.story_id ELSE alert_cursor.story_id END",
                (story_id,),
            )

    async def new_stories(self, after: int, limit: int = 200) -> list[NewStory]:
        """Stories created after story `after`, oldest first, each with its first report."""
        sql = (
            f"SELECT {_REPORT_COLUMNS}, s.size AS reports FROM stories s"
            " JOIN article_stories st ON st.article_id ="
            " (SELECT min(article_id) FROM article_stories WHERE story_id = s.id)"
            " JOIN articles a ON a.id = st.article_id WHERE s.id > ? ORDER BY s.id LIMIT ?"
        )
        async with self._db.conn.execute(sql, (after, limit)) as cursor:
            rows = await cursor.fetchall()
        return [NewStory(first=_report(row), reports=row["reports"]) for row in rows]

    async def reports(self, story_id: int) -> list[Report]:
        """Every report of a story, in the order they joined it."""
        sql = (
            f"SELECT {_REPORT_COLUMNS} FROM article_stories st JOIN articles a ON a.id = st.article_id"
            " WHERE st.story_id = ? ORDER BY a.id"
        )
        async with self._db.conn.execute(sql, (story_id,)) as cursor:
            return [_report(row) for row in await cursor.fetchall()]

    # ----- sends -----
    async def claim(
        self,
        alert_id: int,
        story_id: int,
        seq: int,
        status: SendStatus,
        *,
        reports: int,
        text: str = "",
        facts: Sequence[str] = (),
        reason: str | None = None,
        now: datetime | None = None,
    ) -> bool:
        """Records the decision about (alert, story, seq); False when it was already decided (by this
        instance or another): nothing is sent twice."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO alert_sends (alert_id, story_id, seq, status, reason, text, facts, reports,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (alert_id, story_id, seq) DO NOTHING",
                (
                    alert_id,
                    story_id,
                    seq,
                    status.value,
                    reason,
                    text,
                    "\n".join(facts),
                    reports,
                    utc_iso(now or datetime.now(UTC)),
                ),
            )
            claimed = cursor.rowcount > 0
            await cursor.close()
        return claimed

    async def finish(
        self,
        alert_id: int,
        story_id: int,
        seq: int,
        status: SendStatus,
        *,
        message_id: int | None = None,
        reason: str | None = None,
    ) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE alert_sends SET status = ?, message_id = COALESCE(?, message_id),"
                " reason = COALESCE(?, reason) WHERE alert_id = ? AND story_id = ? AND seq = ?",
                (status.value, message_id, reason, alert_id, story_id, seq),
            )

    async def sent_since(self, alert_id: int, since: datetime) -> int:
        """Alerts sent (or being sent) to the setting's chat since a moment: the hourly limit counts them."""
        async with self._db.conn.execute(
            "SELECT count(*) FROM alert_sends WHERE alert_id = ? AND status IN ('sent', 'pending')"
            " AND created_at >= ?",
            (alert_id, utc_iso(since)),
        ) as cursor:
            (count,) = await cursor.fetchone()
        return int(count)

    async def folded_since_last_sent(self, alert_id: int) -> int:
        async with self._db.conn.execute(
            "SELECT count(*) FROM alert_sends WHERE alert_id = ? AND status = 'folded' AND created_at >="
            " COALESCE((SELECT max(created_at) FROM alert_sends WHERE alert_id = ? AND status = 'sent'), '')",
            (alert_id, alert_id),
        ) as cursor:
            (count,) = await cursor.fetchone()
        return int(count)

    async def alerted(self, alert_id: int, since: datetime) -> list[Alerted]:
        """Stories the setting's chat was sent an alert about since a moment, with what it was told."""
        async with self._db.conn.execute(
            "SELECT story_id, max(seq) AS last_seq, max(created_at) AS last_at, max(reports) AS reports,"
            " group_concat(facts, char(10)) AS facts FROM alert_sends WHERE alert_id = ? AND status = 'sent'"
            " AND story_id IN (SELECT story_id FROM alert_sends WHERE alert_id = ? AND seq = 0"
            " AND status = 'sent' AND created_at >= ?) GROUP BY story_id ORDER BY story_id",
            (alert_id, alert_id, utc_iso(since)),
        ) as cursor:
            rows = await cursor.fetchall()
        return [
            Alerted(
                story_id=row["story_id"],
                last_seq=row["last_seq"],
                last_at=datetime.fromisoformat(row["last_at"]),
                reports=row["reports"],
                facts=tuple(f for f in (row["facts"] or "").split("\n") if f),
            )
            for row in rows
        ]

    async def next_seq(self, alert_id: int, story_id: int) -> int:
        async with self._db.conn.execute(
            "SELECT COALESCE(max(seq), -1) + 1 FROM alert_sends WHERE alert_id = ? AND story_id = ?",
            (alert_id, story_id),
        ) as cursor:
            (seq,) = await cursor.fetchone()
        return int(seq)

    async def pending(self) -> list[PendingSend]:
        async with self._db.conn.execute(
            "SELECT alert_id, story_id, seq, text, created_at FROM alert_sends WHERE status = 'pending'"
            " ORDER BY created_at"
        ) as cursor:
            rows = await cursor.fetchall()
        return [
            PendingSend(
                r["alert_id"], r["story_id"], r["seq"], r["text"], datetime.fromisoformat(r["created_at"])
            )
            for r in rows
        ]
