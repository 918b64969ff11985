"""Two storage engines (#14): SQLite, the embedded default, and PostgreSQL through DATABASE_URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings


def test_database_url_defaults_to_the_sqlite_file_of_database_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_PATH", "data/x.sqlite3")
    settings = load_settings()
    assert (settings.database_url, settings.database_engine) == ("sqlite:///data/x.sqlite3", "sqlite")


def test_a_sqlite_url_sets_the_path_and_a_postgresql_url_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite:////srv/news.sqlite3")
    assert load_settings().database_path == Path("/srv/news.sqlite3")
    monkeypatch.setenv("DATABASE_URL", "postgresql://bot@db.example:5432/news")
    settings = load_settings()
    assert (settings.database_engine, settings.database_url) == (
        "postgresql",
        "postgresql://bot@db.example:5432/news",
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("mysql://db/news", "invalid DATABASE_URL: expected sqlite:///path or postgresql://"),
        ("sqlite://news.sqlite3", "invalid DATABASE_URL: expected sqlite:///path/to/file.sqlite3"),
        ("postgresql://db.example", "invalid DATABASE_URL: expected postgresql://user@host:5432/database"),
    ],
)
def test_a_bad_database_url_is_one_line(monkeypatch: pytest.MonkeyPatch, value: str, message: str) -> None:
    monkeypatch.setenv("DATABASE_URL", value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)
