"""One connection, one writer at a time: a write never lands inside another coroutine's transaction."""

from __future__ import annotations

import asyncio

import pytest

from storage.database import Database
from storage.feeds import FeedRepo


async def test_a_write_waits_for_an_open_transaction_and_survives_its_rollback(storage_db: Database) -> None:
    db = storage_db  # SQLite, and PostgreSQL when one answers (tests/conftest.py)
    feeds = FeedRepo(db)
    inside, release = asyncio.Event(), asyncio.Event()

    async def failing_transaction() -> None:
        with pytest.raises(RuntimeError):
            async with db.transaction() as conn:
                await conn.execute(
                    "INSERT INTO feeds (url, added_at, next_poll_at) VALUES ('https://a.example/', 'x', 'x')"
                )
                inside.set()
                await release.wait()
                raise RuntimeError("the analysis failed half-way")

    failing = asyncio.create_task(failing_transaction())
    await inside.wait()
    adding = asyncio.create_task(feeds.add("https://b.example/"))
    await asyncio.sleep(0.05)
    waited = not adding.done()  # it waits for the open transaction instead of committing half of it
    release.set()
    await failing
    await adding
    assert waited
    assert [f.url for f in await feeds.list()] == ["https://b.example/"]
