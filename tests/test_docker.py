"""The image's default command, run as the image runs it: without BOT_TOKEN a container must fail loudly
(one line, non-zero exit) rather than fall into the console, seed the volume and exit 0 as if healthy.
No Docker daemon is needed: the CMD is read from the Dockerfile and run here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.test_cli import env_for


def image_command() -> list[str]:
    lines = [line for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("CMD ")]
    command = json.loads(lines[-1].removeprefix("CMD "))
    assert command[0] == "python"
    return [sys.executable, *command[1:]]


def test_the_image_command_refuses_to_start_without_a_token(tmp_path: Path) -> None:
    result = subprocess.run(
        image_command(),
        cwd=ROOT,
        env=env_for(tmp_path),  # no BOT_TOKEN
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: BOT_TOKEN is not set")
    assert result.stdout == ""
    assert not (tmp_path / "cli.sqlite3").exists()  # nothing seeded into the volume


def test_secrets_and_local_state_stay_out_of_the_build_context() -> None:
    rules = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for pattern in (".env", ".env.*", "data", ".venv", ".pytest_cache", ".ruff_cache"):
        assert pattern in rules
    assert "!.env.example" in rules and rules.index("!.env.example") > rules.index(".env.*")
