"""Configuration: one clear line per invalid variable; the token stays out of the logs."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest

from bot.config import ConfigError, load_settings, parse_listen
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
        ("ACCESS", "closed", "invalid ACCESS: expected open or private"),
        ("TELEGRAM_API_URL", "api.telegram.org", "invalid TELEGRAM_API_URL"),
        ("WEBHOOK_URL", "http://bot.example.org/tg", "invalid WEBHOOK_URL: Telegram posts to https only"),
        (
            "WEBHOOK_URL",
            "https://bot.example.org:9000/tg",
            "invalid WEBHOOK_URL: Telegram posts to ports 443",
        ),
        ("WEBHOOK_URL", "https://bot.example.org/metrics", "invalid WEBHOOK_URL: /metrics is served"),
        ("WEBHOOK_URL", "bot.example.org/tg", "invalid WEBHOOK_URL: expected a URL"),
        ("WEBHOOK_SECRET", "has spaces", "invalid WEBHOOK_SECRET: expected 1-256 characters of A-Z"),
        ("WEBHOOK_SECRET", "x" * 257, "invalid WEBHOOK_SECRET: expected 1-256 characters of A-Z"),
        ("WEBHOOK_LISTEN", "8080", "invalid WEBHOOK_LISTEN: expected host:port"),
        ("METRICS_LISTEN", "0.0.0.0:99999", "invalid METRICS_LISTEN: expected host:port"),
        (
            "SUMMARY_LLM_URL",
            "localhost:11434/v1/chat/completions",
            "invalid SUMMARY_LLM_URL: expected an http(s)",
        ),
        ("SUMMARY_LLM_URL", "ftp://llm.example.org/v1", "invalid SUMMARY_LLM_URL: expected an http(s)"),
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


def test_a_webhook_needs_its_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.org/telegram")
    monkeypatch.delenv("WEBHOOK_SECRET", raising=False)
    with pytest.raises(ConfigError) as error:
        load_settings(_env_file=None)
    assert str(error.value) == "WEBHOOK_SECRET is required when WEBHOOK_URL is set"


def test_webhook_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.org:8443/telegram/updates")
    monkeypatch.setenv("WEBHOOK_SECRET", "Ab_0-" * 10)
    monkeypatch.setenv("METRICS_LISTEN", "[::1]:9100")
    settings = load_settings(_env_file=None)
    assert settings.webhook_path == "/telegram/updates"
    assert settings.secret == "Ab_0-" * 10 and "Ab_0-" not in repr(settings)
    assert settings.webhook_listen == "0.0.0.0:8080"
    assert parse_listen(settings.webhook_listen) == ("0.0.0.0", 8080)
    assert settings.metrics_listen is not None and parse_listen(settings.metrics_listen) == ("::1", 9100)
    # http is for loopback only: tests and the emulator, or a proxy on the same host
    assert load_settings(_env_file=None, webhook_url="http://127.0.0.1:8081/hook").webhook_path == "/hook"
    assert load_settings(_env_file=None, webhook_url="https://bot.example.org").webhook_path == "/"


def test_access_defaults_to_open_and_reads_any_case(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACCESS", raising=False)
    assert load_settings().access == "open"
    monkeypatch.setenv("ACCESS", " Private ")
    assert load_settings().access == "private"


def test_llm_summaries_are_optional_and_need_a_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SUMMARY_LLM_URL", raising=False)
    monkeypatch.delenv("SUMMARY_LLM_MODEL", raising=False)
    settings = load_settings(_env_file=None)
    assert settings.summary_llm_url is None and settings.summary_llm_model is None
    monkeypatch.setenv("SUMMARY_LLM_URL", " http://127.0.0.1:11434/v1/chat/completions ")
    with pytest.raises(ConfigError) as error:
        load_settings(_env_file=None)
    assert str(error.value) == "SUMMARY_LLM_MODEL is required when SUMMARY_LLM_URL is set"
    monkeypatch.setenv("SUMMARY_LLM_MODEL", "qwen2.5:3b")
    settings = load_settings(_env_file=None)
    assert settings.summary_llm_url == "http://127.0.0.1:11434/v1/chat/completions"
    assert settings.summary_llm_model == "qwen2.5:3b"


def test_no_analysis_in_the_bot_needs_postgresql(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("ANALYSIS_WORKERS", "0")
    with pytest.raises(ConfigError, match="ANALYSIS_WORKERS=0 leaves the analysis to `python -m bot worker`"):
        load_settings()
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    assert load_settings().analysis_workers == 0
