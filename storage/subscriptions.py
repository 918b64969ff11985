"""The subscriptions aggregate: who gets a digest when, what each chat was sent, how each delivery went."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import aiosqlite

from storage import locks
from storage.articles import utc_iso
from storage.database import Database


class SubscriptionLimitReached(Exception):
    """A new subscription would give the chat more active ones than its limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the chat already has {limit} active subscriptions")
        self.limit = limit


@dataclass(frozen=True, order=True)
class Slot:
    """A local time of day in a time zone: every subscription of a slot is served by one scheduled run."""

    send_at: str  # HH:MM
    timezone: str


@dataclass(frozen=True)
class Subscription:
    id: int
    chat_id: int
    thread_id: int | None
    chat_type: str
    language: str
    send_at: str
    timezone: str
    topics: str
    paused: bool
    active: bool
    ended_reason: str | None
    created_by: int | None
    created_at: datetime
    schedule_changed_at: datetime
    last_digest_until: datetime | None

    @property
    def slot(self) -> Slot:
        return Slot(self.send_at, self.timezone)

    @property
    def is_group(self) -> bool:
        return self.chat_type in ("group", "supergroup")


def same_topics(a: str, b: str) -> bool:
    """Two topic lines that say the same, letter case and spacing aside."""
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _subscription(row: aiosqlite.Row) -> Subscription:
    return Subscription(
        id=row["id"],
        chat_id=row["chat_id"],
        thread_id=row["thread_id"],
        chat_type=row["chat_type"],
        language=row["language"],
        send_at=row["send_at"],
        timezone=row["timezone"],
        topics=row["topics"],
        paused=bool(row["paused"]),
        active=bool(row["active"]),
        ended_reason=row["ended_reason"],
        created_by=row["created_by"],
        created_at=datetime.fromisoformat(row["created_at"]),
        schedule_changed_at=datetime.fromisoformat(row["schedule_changed_at"]),
        last_digest_until=_when(row["last_digest_until"]),
    )


def _now() -> datetime:
    return datetime.now(UTC)


class SubscriptionRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def _one(self, sql: str, params: Sequence[Any]) -> Subscription | None:
        async with self._db.conn.execute(sql, params) as cursor:
            row = await cursor.fetchone()
        return _subscription(row) if row else None

    async def of_chat(self, chat_id: int) -> Subscription | None:
        """The chat's subscription when it has one: its first active one, else the latest it had."""
        return await self._one(
            "SELECT * FROM subscriptions WHERE chat_id = ? ORDER BY active DESC, CASE WHEN active = 1 THEN id"
            " ELSE -id END LIMIT 1",
            (chat_id,),
        )

    async def in_chat(
        self, chat_id: int, thread_id: int | None = None, *, any_thread: bool = False
    ) -> list[Subscription]:
        """The chat's active subscriptions, oldest first: those of a forum topic (None: the chat itself),
        or of every topic with any_thread."""
        if any_thread:
            sql, params = (
                "SELECT * FROM subscriptions WHERE chat_id = ? AND active = 1 ORDER BY id",
                (chat_id,),
            )
        else:
            sql = (
                "SELECT * FROM subscriptions WHERE chat_id = ? AND active = 1"
                " AND COALESCE(thread_id, 0) = ? ORDER BY id"
            )
            params = (chat_id, thread_id or 0)
        async with self._db.conn.execute(sql, params) as cursor:
            return [_subscription(row) for row in await cursor.fetchall()]

    async def created_by(self, user_id: int, chat_type: str) -> list[Subscription]:
        """Active subscriptions a user set up for chats of a type (their channels' digests)."""
        async with self._db.conn.execute(
            "SELECT * FROM subscriptions WHERE created_by = ? AND chat_type = ? AND active = 1 ORDER BY id",
            (user_id, chat_type),
        ) as cursor:
            return [_subscription(row) for row in await cursor.fetchall()]

    async def get(self, subscription_id: int) -> Subscription | None:
        return await self._one("SELECT * FROM subscriptions WHERE id = ?", (subscription_id,))

    async def subscribe(
        self,
        *,
        chat_id: int,
        thread_id: int | None,
        chat_type: str,
        language: str,
        send_at: str,
        timezone: str,
        topics: str,
        by: int | None,
        now: datetime | None = None,
        into: int | None = None,
        limit: int | None = None,
    ) -> Subscription:
        """Start a subscription of the chat (or of its forum topic), or change `into` (an id), or restart
        the one this chat and topic had with the same topics; what it was already sent is remembered.
        With a `limit`, raises SubscriptionLimitReached instead of giving the chat (all its forum topics
        together) more active subscriptions than that: counted under the lock below, so two instances
        adding the chat's last allowed subscription at once cannot both add it."""
        stamp = utc_iso(now or _now())
        async with self._db.transaction() as conn:
            if self._db.dialect == "postgresql":
                # Two instances handling the same /subscribe at once (a double tap, two updates) would both
                # find no subscription and both insert one: two digests a day; two different ones would both
                # count the chat under its limit. Until the commit, a second subscribe of this chat waits
                # here, then finds the first's row and counts it. SQLite has one writer.
                await conn.execute(
                    "SELECT pg_advisory_xact_lock(?, ?)", (locks.SUBSCRIBE, chat_id % 2_147_483_647)
                )
            if into is None:  # the same topics (letter case and spacing aside): that subscription again
                async with conn.execute(
                    "SELECT id, topics FROM subscriptions WHERE chat_id = ? AND COALESCE(thread_id, 0) = ?"
                    " ORDER BY active DESC, id",
                    (chat_id, thread_id or 0),
                ) as cursor:
                    rows = await cursor.fetchall()
                into = next((row[0] for row in rows if same_topics(row[1], topics)), None)
            if limit is not None:  # only a subscription that becomes active counts against it
                async with conn.execute(
                    "SELECT COUNT(*), COALESCE(SUM(CASE WHEN id = ? THEN 1 ELSE 0 END), 0) FROM subscriptions"
                    " WHERE chat_id = ? AND active = 1",
                    (into or 0, chat_id),
                ) as cursor:
                    active, already = await cursor.fetchone()
                if not already and active >= limit:
                    raise SubscriptionLimitReached(limit)
            if into is None:
                cursor = await conn.execute(
                    "INSERT INTO subscriptions (chat_id, thread_id, chat_type, language, send_at, timezone,"
                    " topics, created_by, created_at, schedule_changed_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    (chat_id, thread_id, chat_type, language, send_at, timezone, topics, by, stamp, stamp),
                )
                (into,) = await cursor.fetchone()
                await cursor.close()
            else:
                await conn.execute(
                    "UPDATE subscriptions SET thread_id = ?, chat_type = ?, language = ?, send_at = ?,"
                    " timezone = ?, topics = ?, paused = 0, active = 1, ended_reason = NULL,"
                    " created_by = COALESCE(created_by, ?), schedule_changed_at = ? WHERE id = ?",
                    (thread_id, chat_type, language, send_at, timezone, topics, by, stamp, into),
                )
        found = await self.get(into)
        assert found is not None
        return found

    async def change(
        self,
        subscription_id: int,
        *,
        send_at: str | None = None,
        timezone: str | None = None,
        topics: str | None = None,
        paused: bool | None = None,
        language: str | None = None,
        now: datetime | None = None,
    ) -> Subscription | None:
        current = await self.get(subscription_id)
        if current is None:
            return None
        updated = replace(
            current,
            send_at=current.send_at if send_at is None else send_at,
            timezone=current.timezone if timezone is None else timezone,
            topics=current.topics if topics is None else topics,
            paused=current.paused if paused is None else paused,
            language=current.language if language is None else language,
        )
        rescheduled = updated.slot != current.slot or (current.paused and not updated.paused)
        changed_at = (now or _now()) if rescheduled else current.schedule_changed_at
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE subscriptions SET send_at = ?, timezone = ?, topics = ?, paused = ?, language = ?,"
                " schedule_changed_at = ? WHERE id = ?",
                (
                    updated.send_at,
                    updated.timezone,
                    updated.topics,
                    int(updated.paused),
                    updated.language,
                    utc_iso(changed_at),
                    subscription_id,
                ),
            )
        return await self.get(subscription_id)

    async def end(self, subscription_id: int, reason: str) -> None:
        """Stop the digests: the chat unsubscribed ('unsubscribed'), blocked the bot or is gone."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE subscriptions SET active = 0, ended_reason = ? WHERE id = ?",
                (reason, subscription_id),
            )

    async def move_chat(self, subscription_id: int, new_chat_id: int) -> int:
        """A group became a supergroup: the subscription follows it."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE subscriptions SET chat_id = ?, chat_type = 'supergroup' WHERE id = ?",
                (new_chat_id, subscription_id),
            )
        return new_chat_id

    async def slots(self) -> list[Slot]:
        """Every (time, zone) some active, unpaused subscription wants its digest at."""
        async with self._db.conn.execute(
            "SELECT DISTINCT send_at, timezone FROM subscriptions WHERE active = 1 AND paused = 0"
        ) as cursor:
            return sorted(Slot(row[0], row[1]) for row in await cursor.fetchall())

    async def due(self, slot: Slot, scheduled: datetime) -> list[Subscription]:
        """Subscriptions served by the run of `slot` scheduled at `scheduled` (set up before it)."""
        async with self._db.conn.execute(
            "SELECT * FROM subscriptions WHERE active = 1 AND paused = 0 AND send_at = ? AND timezone = ?"
            " AND schedule_changed_at <= ? ORDER BY id",
            (slot.send_at, slot.timezone, utc_iso(scheduled)),
        ) as cursor:
            return [_subscription(row) for row in await cursor.fetchall()]


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # composed; some messages may be left to send
    SENT = "sent"
    EMPTY = "empty"  # nothing new: a scheduled digest is then not sent
    UNDELIVERABLE = "undeliverable"  # the chat blocked the bot or is gone
    FAILED = "failed"  # Telegram refused the message, or retries ran out


@dataclass(frozen=True)
class Delivery:
    """One digest to one chat for one period, as composed, and how far its sending got."""

    id: int
    subscription_id: int
    period: str
    since: datetime | None
    until: datetime
    status: DeliveryStatus
    parts: tuple[str, ...]
    parts_sent: int
    message_ids: tuple[int, ...]
    created_at: datetime

    @property
    def remaining(self) -> tuple[str, ...]:
        return self.parts[self.parts_sent :]


def _delivery(row: aiosqlite.Row) -> Delivery:
    return Delivery(
        id=row["id"],
        subscription_id=row["subscription_id"],
        period=row["period"],
        since=_when(row["since"]),
        until=datetime.fromisoformat(row["until"]),
        status=DeliveryStatus(row["status"]),
        parts=tuple(json.loads(row["parts"])),
        parts_sent=row["parts_sent"],
        message_ids=tuple(json.loads(row["message_ids"])),
        created_at=datetime.fromisoformat(row["created_at"]),
    )


@dataclass(frozen=True)
class SentSentence:
    story_id: int
    sentence: str


@dataclass(frozen=True)
class DeliveryDraft:
    """A composed digest before it is recorded: its messages and the summary sentences it tells."""

    subscription_id: int
    period: str
    since: datetime | None
    until: datetime
    parts: tuple[str, ...]
    sentences: tuple[SentSentence, ...] = ()


class DeliveryRepo:
    """Delivery records: written before the first message goes out and advanced after each one."""

    def __init__(self, db: Database) -> None:
        # One connection, implicit transactions: every write here goes through `Database.transaction`, the
        # one write lock, so no other commit can land between the statements of `record_many`, and
        # no rollback elsewhere can undo a part this repository has recorded as sent.
        self._db = db

    async def find(self, subscription_id: int, period: str) -> Delivery | None:
        async with self._db.conn.execute(
            "SELECT * FROM deliveries WHERE subscription_id = ? AND period = ?", (subscription_id, period)
        ) as cursor:
            row = await cursor.fetchone()
        return _delivery(row) if row else None

    async def of_period(self, period: str, subscription_ids: Sequence[int]) -> dict[int, Delivery]:
        """The deliveries a period already has, by subscription."""
        found: dict[int, Delivery] = {}
        for start in range(0, len(subscription_ids), 500):
            chunk = subscription_ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            async with self._db.conn.execute(
                f"SELECT * FROM deliveries WHERE period = ? AND subscription_id IN ({marks})",
                (period, *chunk),
            ) as cursor:
                for row in await cursor.fetchall():
                    found[row["subscription_id"]] = _delivery(row)
        return found

    async def record(self, draft: DeliveryDraft, now: datetime | None = None) -> Delivery | None:
        """One composed digest; None when its period already has a delivery."""
        recorded = await self.record_many([draft], now)
        return recorded[0] if recorded else None

    async def record_many(
        self, drafts: Sequence[DeliveryDraft], now: datetime | None = None
    ) -> list[Delivery]:
        """Composed digests, in one transaction with what each tells its chat, before any is sent.

        An empty digest is recorded as such (the period is done, nothing is sent). A draft whose period
        already has a delivery is left out: a run that sees it again must not compose a second one.
        """
        if not drafts:
            return []
        stamp = utc_iso(now or _now())
        async with self._db.transaction() as conn:
            taken: set[tuple[int, str]] = set()
            for period in {d.period for d in drafts}:
                ids = [d.subscription_id for d in drafts if d.period == period]
                taken |= {(i, period) for i in await self.of_period(period, ids)}
            fresh = [d for d in drafts if (d.subscription_id, d.period) not in taken]
            fresh = list({(d.subscription_id, d.period): d for d in fresh}.values())
            await conn.executemany(
                "INSERT INTO deliveries (subscription_id, period, since, until, status, parts, created_at,"
                " finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        d.subscription_id,
                        d.period,
                        utc_iso(d.since) if d.since else None,
                        utc_iso(d.until),
                        (DeliveryStatus.PENDING if d.parts else DeliveryStatus.EMPTY).value,
                        json.dumps(list(d.parts), ensure_ascii=False),
                        stamp,
                        None if d.parts else stamp,
                    )
                    for d in fresh
                ],
            )
            told = [d for d in fresh if d.parts]
            await conn.executemany(
                "UPDATE subscriptions SET last_digest_until = ? WHERE id = ?",
                [(utc_iso(d.until), d.subscription_id) for d in told],
            )
            await conn.executemany(
                "INSERT OR IGNORE INTO sent_sentences (subscription_id, story_id, sentence, sent_at)"
                " VALUES (?, ?, ?, ?)",
                [(d.subscription_id, s.story_id, s.sentence, stamp) for d in told for s in d.sentences],
            )
        recorded: list[Delivery] = []
        for period in {d.period for d in fresh}:
            ids = [d.subscription_id for d in fresh if d.period == period]
            recorded += (await self.of_period(period, ids)).values()
        order = {(d.subscription_id, d.period): n for n, d in enumerate(fresh)}
        return sorted(recorded, key=lambda r: order[(r.subscription_id, r.period)])

    async def part_sent(self, delivery_id: int, index: int, message_id: int) -> None:
        """Telegram accepted message `index`: recorded in its own commit, before anything else is sent."""
        json_append, json_length = (
            ("(message_ids::jsonb || to_jsonb(?2::bigint))::text", "jsonb_array_length(parts::jsonb)")
            if self._db.dialect == "postgresql"
            else ("json_insert(message_ids, '$[#]', ?2)", "json_array_length(parts)")
        )
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE deliveries SET parts_sent = ?1 + 1,"
                f" message_ids = {json_append},"
                f" status = CASE WHEN ?1 + 1 >= {json_length} THEN 'sent' ELSE status END,"
                f" finished_at = CASE WHEN ?1 + 1 >= {json_length} THEN ?3 ELSE NULL END"
                " WHERE id = ?4 AND parts_sent = ?1",
                (index, message_id, utc_iso(_now()), delivery_id),
            )

    async def claim(
        self, delivery_id: int, owner: str, lease: timedelta, now: datetime | None = None
    ) -> bool:
        """One sender per delivery, across instances: True when this instance may send the pending delivery
        now (unclaimed, its own claim, or a claim whose lease ran out: the sender stopped)."""
        now = now or _now()
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE deliveries SET claimed_by = ?, claimed_until = ? WHERE id = ? AND status = 'pending'"
                " AND (claimed_until IS NULL OR claimed_until < ? OR claimed_by = ?)",
                (owner, utc_iso(now + lease), delivery_id, utc_iso(now), owner),
            )
            claimed = cursor.rowcount > 0
        return claimed

    async def abandoned(self, created_after: datetime, now: datetime | None = None) -> list[Delivery]:
        """Pending deliveries no instance holds: never claimed, or their sender's lease ran out."""
        async with self._db.conn.execute(
            "SELECT * FROM deliveries WHERE status = 'pending' AND created_at >= ?"
            " AND (claimed_until IS NULL OR claimed_until < ?) ORDER BY id",
            (utc_iso(created_after), utc_iso(now or _now())),
        ) as cursor:
            return [_delivery(row) for row in await cursor.fetchall()]

    async def finish(self, delivery_id: int, status: DeliveryStatus, error: str | None = None) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE deliveries SET status = ?, error = ?, finished_at = ? WHERE id = ?",
                (status.value, error, utc_iso(_now()), delivery_id),
            )

    async def offer_again(self, delivery_id: int) -> bool:
        """A delivery Telegram accepted none of: its chat is told it was not sent (the stories and
        sentences recorded as told are forgotten, the chat's last digest goes back to before it), so
        the next digest brings them. A delivery that got some messages out is left as it is."""
        async with self._db.transaction() as conn:
            rows = await conn.execute_fetchall("SELECT * FROM deliveries WHERE id = ?", (delivery_id,))
            if not rows:
                return False
            delivery = _delivery(rows[0])
            if delivery.parts_sent > 0:
                return False
            await conn.execute(
                "UPDATE subscriptions SET last_digest_until = ? WHERE id = ? AND last_digest_until = ?",
                (
                    utc_iso(delivery.since) if delivery.since else None,
                    delivery.subscription_id,
                    utc_iso(delivery.until),
                ),
            )
            await conn.execute(
                "DELETE FROM sent_sentences WHERE subscription_id = ? AND sent_at = ?",
                (delivery.subscription_id, utc_iso(delivery.created_at)),
            )
        return True

    async def pending(self, created_after: datetime) -> list[Delivery]:
        """Deliveries a stopped bot left unfinished: each is resumed from its first unsent message."""
        async with self._db.conn.execute(
            "SELECT * FROM deliveries WHERE status = 'pending' AND created_at >= ? ORDER BY id",
            (utc_iso(created_after),),
        ) as cursor:
            return [_delivery(row) for row in await cursor.fetchall()]

    async def expire_pending(self, created_before: datetime) -> int:
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE deliveries SET status = 'failed', error = 'expired', finished_at = ?"
                " WHERE status = 'pending' AND created_at < ?",
                (utc_iso(_now()), utc_iso(created_before)),
            )
        return cursor.rowcount

    async def sent_sentences(
        self, subscription_ids: Sequence[int], story_ids: Iterable[int]
    ) -> dict[int, dict[int, tuple[str, ...]]]:
        """What each chat was already told about each of these stories: subscription → story → sentences."""
        stories = sorted(set(story_ids))
        found: dict[int, dict[int, list[str]]] = {}
        if not stories or not subscription_ids:
            return {}
        story_marks = ",".join("?" * len(stories))
        for start in range(0, len(subscription_ids), 400):
            chunk = list(subscription_ids[start : start + 400])
            marks = ",".join("?" * len(chunk))
            async with self._db.conn.execute(
                f"SELECT subscription_id, story_id, sentence FROM sent_sentences"
                f" WHERE subscription_id IN ({marks}) AND story_id IN ({story_marks})",
                (*chunk, *stories),
            ) as cursor:
                for subscription_id, story_id, sentence in await cursor.fetchall():
                    found.setdefault(subscription_id, {}).setdefault(story_id, []).append(sentence)
        return {
            subscription_id: {story_id: tuple(sentences) for story_id, sentences in by_story.items()}
            for subscription_id, by_story in found.items()
        }

    async def counts(self, since: datetime | None = None) -> dict[str, int]:
        """Deliveries by status (for /stats and the benchmark)."""
        async with self._db.conn.execute(
            "SELECT status, count(*) FROM deliveries WHERE created_at >= ? GROUP BY status",
            (utc_iso(since) if since else "",),
        ) as cursor:
            return {status: n for status, n in await cursor.fetchall()}
