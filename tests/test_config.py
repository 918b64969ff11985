"""Configuration: one clear line per invalid variable; the token stays out of the logs."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest

from bot.config import ConfigError, load_settings
from bot.logs import RedactToken
from tests.conftest import ROOT


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "DEFAULT_TIMEZONE",
            "Mars/Olympus",
            "invalid DEFAULT_TIMEZONE: unknown IANA time zone 'Mars/Olympus'",
        ),
        ("ADMIN_IDS", "12,abc", "invalid ADMIN_IDS: expected comma-separated numeric user ids, got 'abc'"),
        ("BOT_TOKEN", "not-a-token", "invalid BOT_TOKEN: expected the form 123456:ABC-DEF"),
        ("LOG_LEVEL", "loud", "invalid LOG_LEVEL"),
        ("TELEGRAM_API_URL", "api.telegram.org", "invalid TELEGRAM_API_URL"),
    ],
)
def test_invalid_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)


def test_defaults_and_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_IDS", " 5, 7 ,")
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    settings = load_settings(_env_file=None)
    assert settings.admin_ids == {5, 7}
    assert settings.token is None
    assert settings.telegram_api_url == "https://api.telegram.org"
    assert str(settings.database_path) == "data/newsbot.sqlite3"
    assert settings.default_timezone == "Europe/Moscow"


def test_start_up_with_a_bad_variable_prints_one_line_and_exits(tmp_path) -> None:
    env = {"PATH": "/usr/bin:/bin", "DEFAULT_TIMEZONE": "Mars/Olympus", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "console"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: invalid DEFAULT_TIMEZONE: unknown IANA time zone 'Mars/Olympus' (example: Europe/Moscow)"
    ]


def test_token_is_redacted_from_log_records() -> None:
    token = "123456:SECRET-TOKEN"
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "POST https://api/bot%s/getMe", (token,), None)
    RedactToken(token).filter(record)
    assert token not in record.getMessage() and "<BOT_TOKEN>" in record.getMessage()
