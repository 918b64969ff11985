"""Settings: the one place that reads the environment (and an optional .env file)."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_API_URL = "https://api.telegram.org"


class ConfigError(Exception):
    """An invalid setting; its message is one line naming the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = None
    telegram_api_url: str = DEFAULT_API_URL
    database_path: Path = Path("data/newsbot.sqlite3")
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    default_timezone: str = "Europe/Moscow"
    log_level: str = "INFO"
    max_upload_bytes: int = Field(default=5 * 1024 * 1024, gt=0)
    # Two workers: 19.0 articles/s in the bot against 14.4 with one, and the whole bot under 700 MB
    # (bench.responsiveness, docs/PERFORMANCE.md);
    # more than the cores only queue.
    analysis_workers: int = Field(default_factory=lambda: min(2, os.cpu_count() or 1), ge=1, le=8)
    allow_private_urls: bool = False
    # Links and feeds: a new feed's poll interval, the time a page or feed may take, and how many failed
    # polls in a row pause a feed (each failure doubles the wait first, up to a day).
    feed_poll_minutes: int = Field(default=15, ge=5, le=1440)
    fetch_timeout_seconds: float = Field(default=20.0, gt=0, le=300)
    feed_pause_after: int = Field(default=10, ge=1, le=100)
    seeds_path: Path = Path("seeds")
    # Digests: the default time of a new subscription, and the broadcaster's limits (Telegram allows
    # about 30 messages/s, or up to 1,000/s with paid broadcasts, which cost Telegram Stars).
    digest_time: str = "09:00"
    broadcast_rate: float = Field(default=30.0, gt=0, le=30)
    paid_broadcast: bool = False
    paid_broadcast_rate: float = Field(default=1000.0, gt=0, le=1000)

    @field_validator("bot_token", mode="before")
    @classmethod
    def _token(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip()
            if not value:
                return None
            head, sep, tail = value.partition(":")
            if not (sep and head.isdigit() and tail):
                raise ValueError("expected the form 123456:ABC-DEF from @BotFather")
        return value

    @field_validator("telegram_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")) or len(value.split("://", 1)[1]) == 0:
            raise ValueError("expected an http(s) URL such as https://api.telegram.org")
        return value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _admin_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").split(",") if p.strip()]
            bad = [p for p in parts if not p.lstrip("-").isdigit()]
            if bad:
                raise ValueError(f"expected comma-separated numeric user ids, got {bad[0]!r}")
            return frozenset(int(p) for p in parts)
        return value

    @field_validator("default_timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r} (example: Europe/Moscow)") from None
        return value

    @field_validator("digest_time")
    @classmethod
    def _digest_time(cls, value: str) -> str:
        hours, sep, minutes = value.strip().partition(":")
        if not (sep and hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
            raise ValueError("expected a time of day such as 09:00")
        return f"{int(hours):02d}:{int(minutes):02d}"

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        value = value.strip().upper()
        if value not in logging.getLevelNamesMapping():
            raise ValueError("expected DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return value

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.default_timezone)

    @property
    def token(self) -> str | None:
        return self.bot_token.get_secret_value() if self.bot_token else None


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment; any invalid value becomes a one-line ConfigError."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        error = exc.errors()[0]
        variable = str(error["loc"][0]).upper() if error["loc"] else "configuration"
        message = str(error["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"invalid {variable}: {message}") from None
