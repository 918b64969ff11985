"""The entry points as a newcomer runs them: shell ingest, the console chat, and a graceful stop."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.emulator import BotAPIEmulator
from bot.emulator.console import Console
from tests.conftest import ADMIN, READER, ROOT, SEED, RunningBot


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "ADMIN_IDS", "TELEGRAM_API_URL")}
    env.update(DATABASE_PATH=str(tmp_path / "cli.sqlite3"), LOG_LEVEL="WARNING", **extra)
    return env


def test_shell_ingest_prints_one_line_per_article_and_never_stores_twice(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_bytes(SEED.read_bytes())
    (folder / "b.jsonl").write_text('{"title": "B", "text": "Second article."}\n{oops\n', encoding="utf-8")
    command = [sys.executable, "-m", "bot", "ingest", str(folder)]
    first = subprocess.run(
        command, cwd=ROOT, env=env_for(tmp_path), capture_output=True, text=True, timeout=120
    )
    lines = first.stdout.strip().splitlines()
    assert lines[0].startswith("saved #1 2025-11-26 Лукашенко заявил")
    assert lines[1].startswith("saved #2 ") and lines[1].endswith(f"B ({folder / 'b.jsonl'})")
    assert lines[2].startswith(f"error {folder / 'b.jsonl'}: Line 2: not valid JSON")
    assert first.returncode == 1  # a line could not be read
    second = subprocess.run(
        command, cwd=ROOT, env=env_for(tmp_path), capture_output=True, text=True, timeout=120
    )
    assert second.stdout.startswith("already stored #1 ")
    with sqlite3.connect(tmp_path / "cli.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM articles").fetchone() == (2,)


def test_console_chat_answers_with_seeds_ingested(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot"],  # no BOT_TOKEN: the console
        cwd=ROOT,
        env=env_for(tmp_path),
        input="/search переговорам\n/latest\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "saved #1 2025-11-26 Лукашенко заявил" in out
    assert "> /search переговорам" in out and "🔎 1 статья по запросу «переговорам»" in out
    assert "🗞 Свежие статьи" in out


def console(tmp_path: Path, typed: str) -> subprocess.CompletedProcess[str]:
    """The console chat without seeds, given what the user types; it must end cleanly."""
    result = subprocess.run(
        [sys.executable, "-m", "bot", "console", "--no-seeds"],
        cwd=ROOT,
        env=env_for(tmp_path),
        input=typed,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result


def test_console_sends_a_message_of_several_lines(tmp_path: Path) -> None:
    # "/ingest Title⏎text" could not be typed: each line went as a message of its own
    typed = "/ingest Переговоры в Минске\\\nДелегации начали переговоры утром.\n/search переговоры"
    result = console(tmp_path, typed)
    assert "✅ Сохранено #1: Переговоры в Минске" in result.stdout, result.stdout
    assert "Я отвечаю на команды" not in result.stdout  # the text went with the command
    found = result.stdout.split("> /search переговоры", 1)[1]
    assert "Делегации начали переговоры утром." in found, found


def test_console_shows_a_message_a_button_edits(tmp_path: Path) -> None:
    # a button that edits its message in place (settings, a timeline's next page) showed nothing
    result = console(tmp_path, "/subscribe\n/settings\n:press 1\n")
    edited = result.stdout.split("> :press 1", 1)[1]
    assert edited.strip().startswith("🤖 ✏️ (edited) ⚙️ Настройки дайджеста"), edited
    assert "Время: 07:00" in edited


async def test_the_console_shows_what_the_bot_sends_by_itself_while_the_user_types(
    bot: RunningBot, capsys: pytest.CaptureFixture[str]
) -> None:
    # an alert or a scheduled digest came while the console waited for a line, and showed only after the next
    console = Console(bot.emulator, READER)
    watching = asyncio.create_task(console.watch(every=0.05))
    try:
        await bot.ask(READER, "/help")  # a message the console did not send: it waits for no reply
        await bot.emulator.wait_for(lambda: "Команды" in capsys.readouterr().out, timeout=10)
    finally:
        watching.cancel()
    assert not console.show_new()  # shown once


async def test_sigterm_lets_the_update_in_progress_finish(tmp_path: Path) -> None:
    async with BotAPIEmulator() as emulator:
        env = env_for(
            tmp_path, BOT_TOKEN=emulator.token, TELEGRAM_API_URL=emulator.url, ADMIN_IDS=str(ADMIN.id)
        )
        process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", cwd=ROOT, env=env)
        try:
            await emulator.wait_for(lambda: any(m == "getUpdates" for m, _ in emulator.calls), timeout=60)
            await emulator.send_document(ADMIN, SEED.name, SEED.read_bytes())
            await emulator.wait_for(lambda: any(m == "getFile" for m, _ in emulator.calls), timeout=30)
            process.send_signal(signal.SIGTERM)  # mid-update: the worker process is still starting
            assert await asyncio.wait_for(process.wait(), 60) == 0
        finally:
            if process.returncode is None:
                process.kill()
        (reply,) = emulator.messages(ADMIN.id)
        assert reply["text"].startswith("✅ Сохранено #1")
    with sqlite3.connect(tmp_path / "cli.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM articles").fetchone() == (1,)
