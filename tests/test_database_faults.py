"""A database the bot cannot write stops start-up at once with one line naming DATABASE_PATH and why, and a
failure exit code, so a supervisor restarts it (it used to print a traceback and hang on the SQLite thread).

The tests run as root, which ignores file permissions: the faults are built from what fails for root too
(a directory, a path under a file, `chattr +i`, a file-size limit)."""

from __future__ import annotations

import resource
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from storage.database import Database
from tests.conftest import ROOT
from tests.test_cli import env_for


def start_bot(tmp_path: Path, database: Path, *, file_size_limit: int | None = None) -> tuple[int, str]:
    """`python -m bot run` as a supervisor starts it; a hang fails the test by its timeout."""

    def limit_file_size() -> None:
        if file_size_limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))

    env = env_for(
        tmp_path,
        BOT_TOKEN="123456:TEST",
        TELEGRAM_API_URL="http://127.0.0.1:9",  # never reached: the database comes first
    )
    env["DATABASE_PATH"] = str(database)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=limit_file_size,
    )
    return result.returncode, result.stderr


def refused(tmp_path: Path, database: Path, **kwargs: int) -> str:
    code, stderr = start_bot(tmp_path, database, **kwargs)
    assert code == 1, stderr
    (line,) = stderr.splitlines()
    assert line.startswith(f"error: cannot use DATABASE_PATH={database}: "), line
    return line.removeprefix(f"error: cannot use DATABASE_PATH={database}: ")


@contextmanager
def immutable(path: Path) -> Iterator[None]:
    """`chattr +i`: not even root may write the file or add to the folder (ext4, xfs, btrfs)."""
    chattr = shutil.which("chattr")
    if chattr is None:
        pytest.skip("chattr is not installed")
    done = subprocess.run([chattr, "+i", str(path)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"chattr +i does not work here: {done.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", str(path)], check=True)


def test_a_database_path_that_is_a_directory_stops_start_up(tmp_path: Path) -> None:
    folder = tmp_path / "db.sqlite3"
    folder.mkdir()
    assert refused(tmp_path, folder) == "it is a directory, not a file"


def test_a_database_path_under_a_regular_file_stops_start_up(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("not a folder")
    reason = refused(tmp_path, tmp_path / "plain" / "news.sqlite3")
    assert reason == f"{tmp_path / 'plain'} is a file, not a folder"
    reason = refused(tmp_path, tmp_path / "plain" / "deeper" / "news.sqlite3")
    assert reason.startswith("a part of the path is a file, not a folder")


async def test_a_read_only_database_file_stops_start_up(tmp_path: Path) -> None:
    database = tmp_path / "news.sqlite3"
    db = Database(database)  # a migrated database: opening it needs no write, so SQLite reads it silently
    await db.open()
    await db.close()
    with immutable(database):
        assert refused(tmp_path, database).startswith("the file is read-only")


def test_a_folder_that_cannot_be_written_stops_start_up(tmp_path: Path) -> None:
    folder = tmp_path / "frozen"
    folder.mkdir()
    with immutable(folder):
        reason = refused(tmp_path, folder / "news.sqlite3")
    assert reason.startswith("operation not permitted (creating ")


def test_a_full_disk_at_start_up_stops_start_up(tmp_path: Path) -> None:
    # A file-size limit fails writes as a full disk does (root is bound by it as well); the migrations of
    # a fresh database need more than 16 KiB.
    reason = refused(tmp_path, tmp_path / "news.sqlite3", file_size_limit=16 * 1024)
    assert "disk" in reason, reason
