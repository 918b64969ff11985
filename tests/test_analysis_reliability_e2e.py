"""The analysis pipeline under faults, end to end: an article queued twice is analysed once; an article that
cannot be stored fails alone, leaving nothing half-stored; a full disk delays analyses, never loses them."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.ingest.documents import parse_message_text
from tests.conftest import ADMIN, ADMIN_EN, READER, SEED, RunningBot
from tests.test_crash_analysis import jsonl, news

REPORTING = "SELECT DISTINCT article_id FROM event_reports ORDER BY 1"  # articles with stored events


async def rows(bot: RunningBot, sql: str) -> list[tuple[object, ...]]:
    return [tuple(r) for r in await bot.app.db.conn.execute_fetchall(sql)]


async def eventually(condition: Callable[[], object], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():  # type: ignore[misc]
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def test_an_article_queued_by_ingest_and_catch_up_is_analysed_once(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    analyzer = bot.app.analyzer
    reply = await bot.send_file(ADMIN, SEED.name, SEED.read_bytes())
    assert reply["text"].startswith("✅ Сохранено #1")
    # The ingest queued it; the start-up catch-up would queue it again (a fresh console start did).
    queued_again = await analyzer.enqueue_unanalysed()
    await analyzer.idle()
    assert "UNIQUE" not in caplog.text
    assert queued_again == 0
    mentions = await rows(bot, "SELECT entity_id, count(*) FROM mentions GROUP BY 1 ORDER BY 1")
    events = await rows(bot, "SELECT cluster_id, text FROM event_reports ORDER BY 1")
    (who,) = await bot.ask(READER, "/who Лукашенко")
    assert mentions and events
    # Analysing an analysed article again stores nothing.
    (article,) = await bot.app.articles.get_many([1])
    await analyzer.enqueue([article])
    await analyzer.idle()
    assert await rows(bot, "SELECT entity_id, count(*) FROM mentions GROUP BY 1 ORDER BY 1") == mentions
    assert await rows(bot, "SELECT cluster_id, text FROM event_reports ORDER BY 1") == events
    assert (await bot.ask(READER, "/who Лукашенко"))[0]["text"] == who["text"]
    assert "UNIQUE" not in caplog.text


async def test_an_article_whose_events_cannot_be_stored_fails_alone_leaving_nothing_half_stored(
    bot: RunningBot,
) -> None:
    # A fault in the database itself, for one article of the batch: its timeline events cannot be written.
    async with bot.app.db.transaction() as conn:
        await conn.execute(
            "CREATE TRIGGER refuse_events BEFORE INSERT ON event_reports WHEN NEW.article_id = 3"
            " BEGIN SELECT RAISE(ABORT, 'events of article 3 refused'); END"
        )
    reply = await bot.send_file(ADMIN, "four.jsonl", jsonl(news(4)))
    assert reply["text"].count("✅") == 4, reply["text"]
    await bot.app.analyzer.idle()

    assert await rows(bot, "SELECT article_id FROM analyses ORDER BY 1") == [(1,), (2,), (4,)]
    assert await rows(bot, REPORTING) == [(1,), (2,), (4,)]
    for table in ("mentions", "article_entities", "roles", "quotes"):
        assert await rows(bot, f"SELECT * FROM {table} WHERE article_id = 3") == [], table
    ((reason, transient),) = await rows(bot, "SELECT reason, transient FROM analysis_failures")
    assert "events of article 3 refused" in str(reason) and transient == 0
    (stats,) = await bot.ask(ADMIN, "/stats")
    assert "Не удалось проанализировать: 1" in stats["text"]
    (stats,) = await bot.ask(ADMIN_EN, "/stats")
    assert "Analysis failed: 1" in stats["text"]
    assert await bot.app.analyzer.enqueue_unanalysed() == 0  # failed for good: a reindex retries it

    async with bot.app.db.transaction() as conn:
        await conn.execute("DROP TRIGGER refuse_events")
    await bot.ask(ADMIN, "/reindex")
    await eventually(lambda: _reindexed(bot))
    assert await rows(bot, "SELECT article_id FROM analyses ORDER BY 1") == [(1,), (2,), (3,), (4,)]
    assert await rows(bot, REPORTING) == [(1,), (2,), (3,), (4,)]
    (stats,) = await bot.ask(ADMIN, "/stats")
    assert "Не удалось проанализировать: 0" in stats["text"]


async def _reindexed(bot: RunningBot) -> bool:
    return not bot.app.analyzer.reindexing and bool(await rows(bot, "SELECT 1 FROM analyses LIMIT 1"))


async def test_an_analysis_stopped_by_a_full_disk_is_stored_once_there_is_room_again(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    analyzer = bot.app.analyzer
    analyzer.retry_seconds = 0.2
    reply = await bot.send_file(ADMIN, "first.jsonl", jsonl(news(2)))
    assert reply["text"].count("✅") == 2, reply["text"]
    await analyzer.idle()
    # Two more articles stored as the ingest stores them, then the disk is full before they are analysed.
    stored = []
    for item in news(2, first=10):
        prepared = parse_message_text(f"{item['title']}\n{item['text']}", "Europe/Moscow", source="ТАСС")
        assert prepared is not None
        stored.append((await bot.app.articles.add(prepared.row, ingested_by=ADMIN.id)).article)
    conn = bot.app.db.conn
    ((pages,),) = await conn.execute_fetchall("PRAGMA page_count")
    await conn.execute(f"PRAGMA max_page_count = {pages}")  # SQLite's own "database or disk is full"
    try:
        await analyzer.enqueue(stored)
        await eventually(lambda: _logged(caplog, "database or disk is full"))
        await asyncio.sleep(1.0)  # retries meet the full disk again
        assert await rows(bot, "SELECT count(*) FROM analyses") == [(2,)]
    finally:
        await conn.execute("PRAGMA max_page_count = 4294967294")
    # No restart: the retry finds room and stores each analysis once, with its events.
    await eventually(lambda: _count(bot, "SELECT count(*) FROM analyses", 4))
    await analyzer.idle()
    assert await rows(bot, "SELECT count(*) FROM analysis_failures") == [(0,)]
    assert await rows(bot, REPORTING) == [(1,), (2,), (3,), (4,)]
    (stats,) = await bot.ask(ADMIN, "/stats")
    assert "Не удалось проанализировать: 0" in stats["text"] and "сбоя записи" not in stats["text"]
    assert "UNIQUE" not in caplog.text


async def _logged(caplog: pytest.LogCaptureFixture, text: str) -> bool:
    return text in caplog.text


async def _count(bot: RunningBot, sql: str, expected: int) -> bool:
    return await rows(bot, sql) == [(expected,)]


async def test_a_batch_whose_worker_died_is_analysed_again_article_by_article(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    analyzer = bot.app.analyzer
    await bot.send_file(ADMIN, "first.jsonl", jsonl(news(1)))
    await analyzer.idle()
    (worker,) = bot.app.workers.pids
    os.kill(worker, signal.SIGKILL)  # as the OOM killer would: the pool is broken for the next batch
    await eventually(lambda: _gone(worker))
    reply = await bot.send_file(ADMIN, "more.jsonl", jsonl(news(4, first=1)))
    assert reply["text"].count("✅") == 4, reply["text"]
    await analyzer.idle()
    assert "each alone" in caplog.text
    assert await rows(bot, "SELECT article_id FROM analyses ORDER BY 1") == [(n,) for n in range(1, 6)]
    assert await rows(bot, REPORTING) == [(n,) for n in range(1, 6)]
    assert await rows(bot, "SELECT count(*) FROM analysis_failures") == [(0,)]


async def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    stat = Path(f"/proc/{pid}/stat").read_text()  # noqa: ASYNC240 (a tiny file in procfs)
    return stat.split(") ")[-1].startswith("Z")  # dead, not reaped yet
