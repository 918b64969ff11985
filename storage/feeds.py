"""The feeds aggregate: subscriptions, their polling schedule and health, and the items already taken."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import aiosqlite

from storage.articles import utc_iso
from storage.database import Database

DEFAULT_INTERVAL_MINUTES = 15
PAUSE_AFTER_FAILURES = 10
MAX_BACKOFF = timedelta(hours=24)


class FeedErrorKind(StrEnum):
    """Why a feed's last poll failed, kept in feeds.error_kind. A fetch failure has the value of its
    bot.fetch.FetchErrorKind (a test keeps the two in step); INTERNAL is our own fault (a parser or storage
    bug). The admins read the kind; last_error keeps the detail for logs."""

    INVALID_URL = "invalid_url"
    UNSUPPORTED_SCHEME = "unsupported_scheme"
    PRIVATE_ADDRESS = "private_address"
    DNS_FAILURE = "dns_failure"
    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    NOT_FOUND = "not_found"
    HTTP_ERROR = "http_error"
    TOO_LARGE = "too_large"
    NOT_HTML = "not_html"
    NO_ARTICLE_TEXT = "no_article_text"
    NOT_A_FEED = "not_a_feed"
    INTERNAL = "internal"


@dataclass(frozen=True)
class Feed:
    id: int
    url: str
    title: str
    added_by: int | None
    added_at: datetime
    interval_minutes: int
    etag: str | None
    last_modified: str | None
    next_poll_at: datetime
    last_polled_at: datetime | None
    last_success_at: datetime | None
    consecutive_failures: int
    last_error: str | None  # the last failure's detail, for logs; None after a success
    error_kind: FeedErrorKind | None  # the last failure's kind, for admins; None after a success
    paused_at: datetime | None
    items_total: int

    @property
    def paused(self) -> bool:
        return self.paused_at is not None


def backoff_delay(interval_minutes: int, failures: int, ceiling: timedelta = MAX_BACKOFF) -> timedelta:
    """The wait after `failures` failures in a row: the interval doubled per failure, up to a ceiling."""
    interval = timedelta(minutes=interval_minutes)
    return max(interval, min(interval * 2 ** min(failures, 30), ceiling))


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _feed(row: aiosqlite.Row) -> Feed:
    return Feed(
        id=row["id"],
        url=row["url"],
        title=row["title"],
        added_by=row["added_by"],
        added_at=datetime.fromisoformat(row["added_at"]),
        interval_minutes=row["interval_minutes"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        next_poll_at=datetime.fromisoformat(row["next_poll_at"]),
        last_polled_at=_moment(row["last_polled_at"]),
        last_success_at=_moment(row["last_success_at"]),
        consecutive_failures=row["consecutive_failures"],
        last_error=row["last_error"],
        error_kind=FeedErrorKind(row["error_kind"]) if row["error_kind"] else None,
        paused_at=_moment(row["paused_at"]),
        items_total=row["items_total"],
    )


class FeedRepo:
    def __init__(
        self, db: Database, *, pause_after: int = PAUSE_AFTER_FAILURES, max_backoff: timedelta = MAX_BACKOFF
    ) -> None:
        self._db = db
        self.pause_after = pause_after
        self.max_backoff = max_backoff

    async def add(
        self,
        url: str,
        title: str = "",
        added_by: int | None = None,
        interval_minutes: int = DEFAULT_INTERVAL_MINUTES,
        *,
        now: datetime | None = None,
    ) -> tuple[Feed, bool]:
        """Subscribe to `url`, due at once: (feed, True) when new, (the existing feed, False) when known."""
        existing = await self.get_by_url(url)
        if existing is not None:
            return existing, False
        stamp = utc_iso(now or datetime.now(UTC))
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO feeds (url, title, added_by, added_at, interval_minutes, next_poll_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (url) DO NOTHING",
                (url, title, added_by, stamp, interval_minutes, stamp),
            )
        created = cursor.rowcount == 1
        feed = await self.get_by_url(url)
        assert feed is not None
        return feed, created

    async def get(self, feed_id: int) -> Feed | None:
        async with self._db.conn.execute("SELECT * FROM feeds WHERE id = ?", (feed_id,)) as cursor:
            row = await cursor.fetchone()
        return _feed(row) if row else None

    async def get_by_url(self, url: str) -> Feed | None:
        async with self._db.conn.execute("SELECT * FROM feeds WHERE url = ?", (url,)) as cursor:
            row = await cursor.fetchone()
        return _feed(row) if row else None

    async def delete(self, feed_id: int) -> bool:
        async with self._db.transaction() as conn:
            cursor = await conn.execute("DELETE FROM feeds WHERE id = ?", (feed_id,))
        return cursor.rowcount == 1

    async def due(self, now: datetime) -> list[Feed]:
        """Active feeds whose next poll time has come, the longest-waiting first."""
        async with self._db.conn.execute(
            "SELECT * FROM feeds WHERE paused_at IS NULL AND next_poll_at <= ? ORDER BY next_poll_at, id",
            (utc_iso(now),),
        ) as cursor:
            return [_feed(row) for row in await cursor.fetchall()]

    async def claim(self, feed_id: int, owner: str, lease: timedelta, now: datetime) -> bool:
        """One poller per due feed, across instances: True when this instance may poll it now (unclaimed,
        or the claim's lease ran out: its poller stopped)."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE feeds SET claimed_by = ?, claimed_until = ? WHERE id = ? AND paused_at IS NULL"
                " AND next_poll_at <= ? AND (claimed_until IS NULL OR claimed_until < ? OR claimed_by = ?)",
                (owner, utc_iso(now + lease), feed_id, utc_iso(now), utc_iso(now), owner),
            )
            claimed = cursor.rowcount > 0
        return claimed

    async def set_title(self, feed_id: int, title: str) -> None:
        async with self._db.transaction() as conn:
            await conn.execute("UPDATE feeds SET title = ? WHERE id = ?", (title, feed_id))

    async def set_interval(self, feed_id: int, minutes: int, *, now: datetime | None = None) -> Feed | None:
        """Change how often the feed is polled; the next poll moves to one new interval after the last."""
        feed = await self.get(feed_id)
        if feed is None:
            return None
        base = feed.last_polled_at or now or datetime.now(UTC)
        next_poll = base + backoff_delay(minutes, feed.consecutive_failures, self.max_backoff)
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE feeds SET interval_minutes = ?, next_poll_at = ? WHERE id = ?",
                (minutes, utc_iso(next_poll), feed_id),
            )
        return await self.get(feed_id)

    async def resume(self, feed_id: int, *, now: datetime | None = None) -> Feed | None:
        """Un-pause a feed an admin has looked at: failures forgotten, due at once."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE feeds SET paused_at = NULL, consecutive_failures = 0, next_poll_at = ? WHERE id = ?",
                (utc_iso(now or datetime.now(UTC)), feed_id),
            )
        return await self.get(feed_id)

    async def record_success(
        self,
        feed_id: int,
        *,
        etag: str | None,
        last_modified: str | None,
        items_new: int,
        polled_at: datetime,
    ) -> Feed | None:
        """A poll that reached the feed (304 included): failures reset, next poll one interval later.
        Validators the server did not resend are kept for the next conditional GET."""
        feed = await self.get(feed_id)
        if feed is None:
            return None
        next_poll = polled_at + timedelta(minutes=feed.interval_minutes)
        stamp = utc_iso(polled_at)
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE feeds SET etag = COALESCE(?, etag), last_modified = COALESCE(?, last_modified),"
                " last_polled_at = ?, last_success_at = ?, next_poll_at = ?, consecutive_failures = 0,"
                " last_error = NULL, error_kind = NULL, items_total = items_total + ? WHERE id = ?",
                (etag, last_modified, stamp, stamp, utc_iso(next_poll), items_new, feed_id),
            )
        return await self.get(feed_id)

    async def record_failure(
        self,
        feed_id: int,
        kind: FeedErrorKind,
        error: str,
        polled_at: datetime,
        *,
        at_least: timedelta | None = None,
    ) -> Feed | None:
        """One more failure in a row: the next poll backs off exponentially; after `pause_after`, paused.
        ``at_least``: the wait the server asked for (Retry-After), honoured up to the longest backoff."""
        feed = await self.get(feed_id)
        if feed is None:
            return None
        failures = feed.consecutive_failures + 1
        delay = backoff_delay(feed.interval_minutes, failures, self.max_backoff)
        if at_least is not None:
            delay = max(delay, min(at_least, self.max_backoff))
        next_poll = polled_at + delay
        paused_at = feed.paused_at or (polled_at if failures >= self.pause_after else None)
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE feeds SET last_polled_at = ?, next_poll_at = ?, consecutive_failures = ?,"
                " last_error = ?, error_kind = ?, paused_at = ? WHERE id = ?",
                (
                    utc_iso(polled_at),
                    utc_iso(next_poll),
                    failures,
                    error[:500],
                    kind.value,
                    utc_iso(paused_at) if paused_at else None,
                    feed_id,
                ),
            )
        return await self.get(feed_id)

    async def seen_guid(self, feed_id: int, guid: str, url: str | None = None) -> bool:
        """Whether this feed already gave us the item, by guid or, when the guid changed, by its link."""
        async with self._db.conn.execute(
            "SELECT 1 FROM feed_items_seen WHERE feed_id = ?"
            " AND (guid = ? OR (CAST(? AS TEXT) IS NOT NULL AND url = ?))"
            " LIMIT 1",
            (feed_id, guid, url, url),
        ) as cursor:
            return await cursor.fetchone() is not None

    async def mark_seen(self, feed_id: int, guid: str, url: str | None, seen_at: datetime) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO feed_items_seen (feed_id, guid, url, seen_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (feed_id, guid) DO NOTHING",
                (feed_id, guid, url, utc_iso(seen_at)),
            )

    async def touch_seen(self, feed_id: int, guids: Sequence[str] | None, at: datetime) -> None:
        """Items still in a feed's document are seen again at `at`: their markers stay while they stay.
        ``None``: every marker of the feed (an unchanged document, answered 304, still holds its items)."""
        async with self._db.transaction() as conn:
            if guids is None:
                await conn.execute(
                    "UPDATE feed_items_seen SET seen_at = ? WHERE feed_id = ?", (utc_iso(at), feed_id)
                )
                return
            every = list(guids)
            for start in range(0, len(every), 500):
                chunk = every[start : start + 500]
                await conn.execute(
                    "UPDATE feed_items_seen SET seen_at = ?"
                    f" WHERE feed_id = ? AND guid IN ({','.join('?' * len(chunk))})",
                    (utc_iso(at), feed_id, *chunk),
                )

    async def forget_seen_before(self, cutoff: datetime) -> int:
        """Drop the markers of items no poll has seen since `cutoff`: they left their feed's document.
        Feeds not read successfully since then (paused, unreachable) keep theirs: their items may all
        still be there when they come back."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM feed_items_seen WHERE seen_at < ?"
                " AND feed_id IN (SELECT id FROM feeds WHERE last_success_at >= ?)",
                (utc_iso(cutoff), utc_iso(cutoff)),
            )
        return cursor.rowcount

    # Last in the class: a method named `list` would otherwise shadow the builtin in later annotations.
    async def list(self) -> list[Feed]:
        async with self._db.conn.execute("SELECT * FROM feeds ORDER BY id") as cursor:
            return [_feed(row) for row in await cursor.fetchall()]
