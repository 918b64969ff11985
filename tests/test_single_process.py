"""One process per database: deliveries are claimed in a process's memory, so a second bot on the same file
would send digests twice. The second one must refuse to start, name the first, and write nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import sys
from pathlib import Path

import pytest

from bot.emulator import BotAPIEmulator
from storage.database import Database, DatabaseInUse, lock_path
from tests.conftest import ADMIN, ROOT, SEED
from tests.test_cli import env_for


async def test_a_second_database_object_on_a_held_file_is_refused_until_the_first_closes(
    tmp_path: Path,
) -> None:
    first, second = Database(tmp_path / "one.sqlite3"), Database(tmp_path / "one.sqlite3")
    await first.open()
    try:
        with pytest.raises(DatabaseInUse) as refused:
            await second.open()
        assert f"pid {os.getpid()} on host {socket.gethostname()}, started " in refused.value.holder
    finally:
        await first.close()
    await second.open()  # the lock goes with the holder
    await second.close()


async def _cli(env: dict[str, str], *args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args,
        cwd=ROOT, env=env, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, stderr = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, stderr.decode()


async def test_second_process_is_refused_naming_the_first_and_starts_once_it_is_killed(
    tmp_path: Path,
) -> None:
    database = tmp_path / "cli.sqlite3"
    async with BotAPIEmulator() as emulator:
        env = env_for(
            tmp_path, BOT_TOKEN=emulator.token, TELEGRAM_API_URL=emulator.url, ADMIN_IDS=str(ADMIN.id)
        )
        command = (sys.executable, "-m", "bot", "run")
        first = await asyncio.create_subprocess_exec(*command, cwd=ROOT, env=env)
        second = None
        try:
            await emulator.wait_for(lambda: any(m == "getUpdates" for m, _ in emulator.calls), timeout=60)
            holder = lock_path(database).read_text()
            assert holder.startswith(f"pid {first.pid} on host {socket.gethostname()}, started ")
            with sqlite3.connect(database) as db:
                schema = db.execute("SELECT count(*) FROM sqlite_master").fetchone()
            # Every entry point that writes: the bot, the console, a shell ingest, a reindex.
            inbox = tmp_path / "in"
            inbox.mkdir()
            (inbox / SEED.name).write_bytes(SEED.read_bytes())
            results = await asyncio.gather(
                _cli(env, "run"),
                _cli({k: v for k, v in env.items() if k != "BOT_TOKEN"}),  # no token: the console
                _cli(env, "ingest", str(inbox)),
                _cli(env, "reindex"),
            )
            for code, stderr in results:
                assert code == 1, stderr
                (line,) = stderr.splitlines()
                assert line.startswith(f"error: cannot use DATABASE_PATH={database}: in use by another")
                assert f"(pid {first.pid} on host {socket.gethostname()}, started " in line
            with sqlite3.connect(database) as db:
                assert db.execute("SELECT count(*) FROM articles").fetchone() == (0,)
                assert db.execute("SELECT count(*) FROM sqlite_master").fetchone() == schema

            first.send_signal(signal.SIGKILL)
            assert await asyncio.wait_for(first.wait(), 30) == -signal.SIGKILL
            polls = sum(1 for m, _ in emulator.calls if m == "getUpdates")
            second = await asyncio.create_subprocess_exec(*command, cwd=ROOT, env=env)
            await emulator.wait_for(
                lambda: sum(1 for m, _ in emulator.calls if m == "getUpdates") > polls, timeout=60
            )
            assert lock_path(database).read_text().startswith(f"pid {second.pid} on host ")
            await emulator.send_document(ADMIN, SEED.name, SEED.read_bytes())
            (reply,) = await emulator.replies(ADMIN.id, 1, timeout=60)
            assert reply["text"].startswith("✅ Сохранено #1")
            second.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(second.wait(), 60) == 0
        finally:
            for process in (first, second):
                if process is not None and process.returncode is None:
                    process.kill()
                    await process.wait()
