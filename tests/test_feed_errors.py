"""Feed errors are typed: a poll's failure is stored as a FeedErrorKind in its own column and rendered from
it; the migration fills the column once from the error strings the bot stored before."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.fetch import FetchErrorKind
from bot.telegram import replies
from bot.telegram.i18n import create_i18n
from storage.database import Database, migrations
from storage.feeds import FeedErrorKind, FeedRepo
from tests.test_architecture import _graph

MIGRATION = next(version for version, name, _ in migrations() if name.endswith("_feed_error_kind.sql"))

# last_error as the bot stored it before the migration, and the kind it stands for.
OLD_ERRORS: list[tuple[str | None, FeedErrorKind | None]] = [
    ("not_found: HTTP 404", FeedErrorKind.NOT_FOUND),
    ("timeout: no feed within 30 s", FeedErrorKind.TIMEOUT),
    ("timeout", FeedErrorKind.TIMEOUT),  # a kind with no detail is stored alone
    ("not_a_feed: no RSS, Atom or JSON Feed items", FeedErrorKind.NOT_A_FEED),
    ("http_error: HTTP 503", FeedErrorKind.HTTP_ERROR),
    ("internal error: ValueError('bad date: not_found')", FeedErrorKind.INTERNAL),
    ("not_founded: a word that only starts like a kind", FeedErrorKind.INTERNAL),
    (None, None),  # never failed, or read since
    *[(f"{kind.value}: detail", FeedErrorKind(kind.value)) for kind in FetchErrorKind],
]


def database_before_the_migration(path: Path) -> None:
    """A database as the bot left it before the error kinds had a column, with feeds that failed."""
    conn = sqlite3.connect(path)
    for version, _, sql in migrations():
        if version < MIGRATION:
            conn.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version={version};\nCOMMIT;")
    for feed_id, (error, _) in enumerate(OLD_ERRORS, start=1):
        conn.execute(
            "INSERT INTO feeds (id, url, added_at, next_poll_at, consecutive_failures, last_error)"
            " VALUES (?, ?, '2025-11-26T10:00:00+00:00', '2025-11-26T10:00:00+00:00', ?, ?)",
            (feed_id, f"https://example.org/feed{feed_id}.xml", 0 if error is None else 3, error),
        )
    conn.commit()
    conn.close()


async def test_the_migration_gives_stored_errors_their_kind(tmp_path: Path) -> None:
    path = tmp_path / "news.sqlite3"
    database_before_the_migration(path)
    db = Database(path)
    await db.open()  # migrates
    try:
        feeds = await FeedRepo(db).list()
        assert [(f.last_error, f.error_kind) for f in feeds] == OLD_ERRORS  # the detail stays as it was
        i18n = create_i18n()
        with i18n.context(), i18n.use_locale("en"):
            listing = replies.feeds.feeds_list(feeds, ZoneInfo("UTC"))
        assert "last error: the page was not found (HTTP 404)." in listing
        assert "last error: the site did not answer in time." in listing
        assert "last error: it could not be read." in listing  # an internal error is not detailed
        assert "not_found" not in listing and "ValueError" not in listing
    finally:
        await db.close()


def test_every_fetch_error_kind_is_a_feed_error_kind() -> None:
    """The poller stores a FetchErrorKind as the FeedErrorKind of the same value (storage imports no bot)."""
    assert {kind.value for kind in FeedErrorKind} == {kind.value for kind in FetchErrorKind} | {"internal"}


@pytest.mark.parametrize("language", ["ru", "en"])
def test_every_feed_error_kind_has_its_own_reason(language: str) -> None:
    i18n = create_i18n()
    with i18n.context(), i18n.use_locale(language):
        reasons = {kind: replies.feeds.feed_problem(kind) for kind in FeedErrorKind}
        assert reasons[FeedErrorKind.INTERNAL] == replies.feeds.feed_problem(None)
    assert len(set(reasons.values())) == len(FeedErrorKind)


def test_the_feeds_domain_imports_nothing_of_telegram() -> None:
    """Services return data: bot/feeds polls and stores, bot/telegram renders (the paused notice too)."""
    imports = [
        f"{module} imports {target}"
        for module, targets in _graph().items()
        if module.startswith("bot.feeds")
        for target in targets
        if target.startswith("bot.telegram")
    ]
    assert imports == []
