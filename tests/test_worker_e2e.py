"""`python -m bot worker` (#14): analysis anywhere. The bot stores articles on PostgreSQL with its own
analysis switched off; a worker process, with no Telegram and no token, analyses them from the database's
queue and /who answers from what it stored. A worker killed mid-batch leaves its batch to another consumer."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.emulator import BotAPIEmulator
from tests.conftest import (
    ADMIN,
    NO_POSTGRESQL,
    READER,
    ROOT,
    SEED,
    RunningBot,
    postgresql_schema,
    postgresql_url,
    running_bot,
)
from tests.test_crash_analysis import jsonl, news

QUESTIONS = ("/who Лукашенко", "/timeline Лукашенко")


def start_worker(url: str, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "DATABASE_PATH")}
    env.update(DATABASE_URL=url, ANALYSIS_WORKERS="1", LOG_LEVEL="INFO", DEFAULT_TIMEZONE="Europe/Moscow")
    with log.open("ab") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "worker"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )


async def count(bot: RunningBot, sql: str) -> int:
    ((n,),) = await bot.app.db.conn.execute_fetchall(sql)
    return int(n)


async def eventually(condition: Callable[[], Awaitable[bool]], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def leave_analysis_to_others(bot: RunningBot) -> None:
    """This bot only stores articles: its consumers stop, and are not started again by new articles."""
    bot.app.analyzer.consuming = False
    await bot.app.analyzer.close()


def test_the_worker_refuses_sqlite_in_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "DATABASE_URL")}
    env.update(DATABASE_PATH=str(tmp_path / "news.sqlite3"))
    done = subprocess.run(
        [sys.executable, "-m", "bot", "worker"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "DATABASE_URL=postgresql://" in done.stderr
    assert not (tmp_path / "news.sqlite3").exists()  # nothing opened


async def test_a_worker_process_analyses_what_the_bot_stored_and_who_answers(tmp_path: Path) -> None:
    if postgresql_url() is None:
        pytest.skip(NO_POSTGRESQL)
    async with BotAPIEmulator() as emulator:
        # The reference: a bot analysing its own upload (SQLite).
        async with running_bot(emulator, tmp_path / "news.sqlite3") as bot:
            await bot.send_file(ADMIN, SEED.name, SEED.read_bytes())
            await bot.app.analyzer.idle()
            expected = [m["text"] for q in QUESTIONS for m in await bot.ask(READER, q)]
        async with (
            postgresql_schema() as url,
            running_bot(emulator, tmp_path / "unused", database_url=url) as bot,
        ):
            await leave_analysis_to_others(bot)
            reply = await bot.send_file(ADMIN, SEED.name, SEED.read_bytes())
            assert reply["text"].startswith("✅ Сохранено #1")
            await asyncio.sleep(1.0)
            assert await count(bot, "SELECT count(*) FROM analyses") == 0  # the bot analyses nothing
            log = tmp_path / "worker.log"
            worker = start_worker(url, log)
            try:
                await eventually(lambda: _analysed(bot))
                said = [m["text"] for q in QUESTIONS for m in await bot.ask(READER, q)]
                assert said == expected
                assert "Лукашенко" in said[0]
                # A /reindex on the bot forgets the analyses; the worker analyses the archive again and
                # the reindex ends once it has.
                await bot.ask(ADMIN, "/reindex")
                await emulator.wait_for(lambda: _reindex_done(emulator), timeout=120)
                assert await _analysed(bot)
                assert [m["text"] for q in QUESTIONS for m in await bot.ask(READER, q)] == expected
            finally:
                worker.send_signal(signal.SIGTERM)
                code = await asyncio.to_thread(worker.wait, 60)
            assert code == 0, log.read_text()
            text = log.read_text()
            assert "analysis worker stopped: 2 analysed, 0 failed" in text, text
            assert "Traceback" not in text and "UNIQUE" not in text and "unique" not in text
            assert await count(bot, "SELECT count(*) FROM analysis_claims") == 0


def _reindex_done(emulator: BotAPIEmulator) -> bool:
    """The bot edited its /reindex status into the report (ru: "Переиндексировано статей: 1 за … с.")."""
    edits = [p.get("text", "") for m, p in emulator.calls if m == "editMessageText"]
    return any(text.startswith("✅ Переиндексировано статей: 1 за ") for text in edits)


async def _analysed(bot: RunningBot) -> bool:
    articles = await count(bot, "SELECT count(*) FROM articles")
    return articles > 0 and await count(bot, "SELECT count(*) FROM analyses") == articles


async def test_a_worker_killed_mid_batch_leaves_its_batch_to_another_consumer(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    if postgresql_url() is None:
        pytest.skip(NO_POSTGRESQL)
    async with (
        BotAPIEmulator() as emulator,
        postgresql_schema() as url,
        running_bot(emulator, tmp_path / "unused", database_url=url) as bot,
    ):
        analyzer = bot.app.analyzer
        await leave_analysis_to_others(bot)
        reply = await bot.send_file(ADMIN, "news.jsonl", jsonl(news(40)))
        assert reply["text"].startswith("📥 Сохранено: 40, уже были: 0"), reply["text"]
        worker = start_worker(url, tmp_path / "worker.log")
        try:
            # Killed once it holds a batch, before it has stored it (its models are still loading).
            await eventually(lambda: _claimed_by_other(bot, analyzer.owner))
            worker.send_signal(signal.SIGKILL)
            await asyncio.to_thread(worker.wait, 30)
        finally:
            if worker.poll() is None:
                worker.kill()
        held = await _ids(
            bot, f"SELECT article_id FROM analysis_claims WHERE claimed_by != '{analyzer.owner}'"
        )
        assert held and await count(bot, "SELECT count(*) FROM analyses") == 0
        # The bot analyses again: everything but the dead worker's batch, whose lease has not run out.
        analyzer.consuming = True
        await analyzer.enqueue_unanalysed()
        await analyzer.idle()
        analysed = await _ids(bot, "SELECT article_id FROM analyses")
        assert analysed and not set(held) & set(analysed)
        assert len(analysed) + len(held) == 40
        # As if its lease had run out: the dead worker's batch is the bot's to take, and is analysed once.
        async with bot.app.db.transaction() as conn:
            await conn.execute("UPDATE analysis_claims SET claimed_until = '2000-01-01T00:00:00Z'")
        await analyzer.enqueue_unanalysed()
        await analyzer.idle()
        assert await _ids(bot, "SELECT article_id FROM analyses") == list(range(1, 41))
        assert await count(bot, "SELECT count(*) FROM analysis_claims") == 0
        assert "UNIQUE" not in caplog.text and "unique" not in caplog.text
        (who,) = await bot.ask(READER, "/who Лавров")
        assert "Сергей Лавров" in who["text"]


async def _claimed_by_other(bot: RunningBot, owner: str) -> bool:
    return bool(await _ids(bot, f"SELECT article_id FROM analysis_claims WHERE claimed_by != '{owner}'"))


async def _ids(bot: RunningBot, sql: str) -> list[int]:
    return sorted(r[0] for r in await bot.app.db.conn.execute_fetchall(sql))


@pytest.mark.parametrize("after", [0.0, 0.5])  # just claimed; analysing (120 articles take seconds)
async def test_a_worker_stopped_mid_batch_gives_its_batch_back(tmp_path: Path, after: float) -> None:
    if postgresql_url() is None:
        pytest.skip(NO_POSTGRESQL)
    async with (
        BotAPIEmulator() as emulator,
        postgresql_schema() as url,
        running_bot(emulator, tmp_path / "unused", database_url=url) as bot,
    ):
        await leave_analysis_to_others(bot)
        await bot.send_file(ADMIN, "news.jsonl", jsonl(news(120)))
        assert await count(bot, "SELECT count(*) FROM articles") == 120
        log = tmp_path / "worker.log"
        worker = start_worker(url, log)
        try:
            await eventually(lambda: _claimed_by_other(bot, bot.app.analyzer.owner))
            await asyncio.sleep(after)
            worker.send_signal(signal.SIGTERM)
            code = await asyncio.to_thread(worker.wait, 60)
        finally:
            if worker.poll() is None:
                worker.kill()
        assert code == 0, log.read_text()
        assert (
            await count(bot, "SELECT count(*) FROM analysis_claims") == 0
        )  # given back, not left to a lease
        assert await count(bot, "SELECT count(*) FROM analyses") < 120  # it stopped before the end
