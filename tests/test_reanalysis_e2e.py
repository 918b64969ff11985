"""A new version of the analysis re-analyses the archive at start-up, counting nothing twice."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.analysis.understanding import ANALYSIS_VERSION
from bot.emulator import BotAPIEmulator
from tests.conftest import ADMIN, READER, SEED, running_bot


async def test_analyses_of_an_older_version_are_redone_from_scratch(tmp_path: Path) -> None:
    database = tmp_path / "news.sqlite3"
    async with BotAPIEmulator() as emulator:
        async with running_bot(emulator, database) as bot:
            await bot.send_file(ADMIN, SEED.name, SEED.read_bytes())
            await bot.app.analyzer.idle()
            (before,) = await bot.ask(READER, "/who Лукашенко")
            # As if these analyses had been stored by the previous version of the bot.
            async with bot.app.db.transaction() as conn:
                await conn.execute("UPDATE analyses SET version = ?", (ANALYSIS_VERSION - 1,))
        async with running_bot(emulator, database) as bot:
            # Started: the archive is being analysed again in the background; wait for it (a minute at most).
            for _ in range(600):
                if not bot.app.analyzer.reindexing and not await bot.app.entities.has_stale_analyses():
                    break
                await asyncio.sleep(0.1)
            (after,) = await bot.ask(READER, "/who Лукашенко")
            assert after["text"] == before["text"]  # "1 статья, 6 упоминаний": nothing counted twice
            assert not await bot.app.entities.has_stale_analyses()
            # and nothing analysed over its old rows before the clear: each such article failed (a second
            # article_entities row) and the archive was analysed twice
            assert bot.app.analyzer.failed == 0


async def test_reindex_while_one_runs_says_how_far_it_got(tmp_path: Path) -> None:
    async with BotAPIEmulator() as emulator, running_bot(emulator, tmp_path / "news.sqlite3") as bot:
        analyzer = bot.app.analyzer
        analyzer.reindexing, analyzer.reindex_total = True, 40  # as the start-up reindex sets them
        try:
            (reply,) = await bot.ask(ADMIN, "/reindex")
        finally:
            analyzer.reindexing = False
        assert reply["text"] == "⏳ Переиндексация уже идёт: взято 40 из 40 статей."
