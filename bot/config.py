"""Settings: the one place that reads the environment (and an optional .env file)."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from yarl import URL

DEFAULT_API_URL = "https://api.telegram.org"
# Telegram's rules: a secret_token is 1-256 characters of A-Z, a-z, 0-9, _ and -; webhooks are https on
# one of these ports. Plain http is let through for loopback only (tests, the emulator, a local proxy).
WEBHOOK_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
WEBHOOK_PORTS = frozenset({443, 80, 88, 8443})
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
OPS_PATHS = frozenset({"/healthz", "/metrics"})


class ConfigError(Exception):
    """An invalid setting; its message is one line naming the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = None
    telegram_api_url: str = DEFAULT_API_URL
    database_path: Path = Path("data/newsbot.sqlite3")
    # sqlite:///path (the default: DATABASE_PATH) or postgresql://user@host:port/database (asyncpg).
    database_url: str | None = None
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    default_timezone: str = "Europe/Moscow"
    log_level: str = "INFO"
    max_upload_bytes: int = Field(default=5 * 1024 * 1024, gt=0)
    # Two workers: 19.0 articles/s in the bot against 14.4 with one, and the whole bot under 700 MB
    # (bench.responsiveness, docs/PERFORMANCE.md);
    # more than the cores only queue.
    # 0: this instance analyses nothing, `python -m bot worker` processes do (PostgreSQL only).
    analysis_workers: int = Field(default_factory=lambda: min(2, os.cpu_count() or 1), ge=0, le=8)
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
    # Webhook mode (#14): with WEBHOOK_URL set, Telegram posts updates there and the bot serves them (and
    # /healthz, /metrics) on WEBHOOK_LISTEN; without it, long polling, with /healthz and /metrics on
    # METRICS_LISTEN when that is set.
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "0.0.0.0:8080"
    metrics_listen: str | None = None
    # Private mode (#15): with ACCESS=private only admins and the users and chats they /allow reach the bot;
    # a stranger is told once, then ignored.
    access: Literal["open", "private"] = "open"
    # Telegram's send rate is per token: "process" paces digests and alerts together in this process (one
    # instance, as SQLite allows); "database" reserves every send in the database, shared by all instances.
    send_budget: Literal["process", "database"] = "process"
    # Optional LLM summaries (#13): an OpenAI-compatible chat-completions endpoint (a local Ollama or vLLM
    # server) and its model; unset, digests use the offline extractive summariser.
    summary_llm_url: str | None = None
    summary_llm_model: str | None = None

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

    @field_validator("access", mode="before")
    @classmethod
    def _access(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip().lower() or "open"
            if value not in ("open", "private"):
                raise ValueError("expected open or private")
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

    @field_validator("webhook_url", mode="before")
    @classmethod
    def _webhook_url(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        value = value.strip()
        if not value:
            return None
        try:
            url = URL(value)
            port = url.port
        except ValueError:
            raise ValueError("expected a URL such as https://bot.example.org/telegram") from None
        if url.scheme not in ("https", "http") or not url.host:
            raise ValueError("expected a URL such as https://bot.example.org/telegram")
        if url.scheme == "http" and url.host not in LOOPBACK_HOSTS:
            raise ValueError("Telegram posts to https only (http is allowed for 127.0.0.1 and localhost)")
        if url.scheme == "https" and port not in WEBHOOK_PORTS:
            raise ValueError(f"Telegram posts to ports 443, 80, 88 or 8443 only, not {port}")
        if url.query_string or url.fragment:
            raise ValueError("expected no query or fragment: the path alone names the webhook")
        if url.path in OPS_PATHS:
            raise ValueError(f"{url.path} is served for operations; choose another path")
        return value

    @field_validator("webhook_secret", mode="before")
    @classmethod
    def _webhook_secret(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip()
            if not value:
                return None
            if not WEBHOOK_SECRET_RE.fullmatch(value):
                raise ValueError("expected 1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)")
        return value

    @field_validator("webhook_listen", "metrics_listen", mode="before")
    @classmethod
    def _listen(cls, value: object, info: ValidationInfo) -> object:
        if isinstance(value, str):
            value = value.strip()
            if not value and info.field_name == "metrics_listen":
                return None
            parse_listen(value)
        return value

    @field_validator("summary_llm_url", "summary_llm_model", mode="before")
    @classmethod
    def _summary_llm(cls, value: object, info: ValidationInfo) -> object:
        if not isinstance(value, str):
            return value
        value = value.strip()
        if not value:
            return None
        if info.field_name == "summary_llm_url":
            try:
                url = URL(value)
            except ValueError:
                url = None
            if url is None or url.scheme not in ("http", "https") or not url.host:
                raise ValueError("expected an http(s) URL such as http://127.0.0.1:11434/v1/chat/completions")
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.webhook_url and self.webhook_secret is None:
            raise ValueError("WEBHOOK_SECRET is required when WEBHOOK_URL is set")
        if self.summary_llm_url and not self.summary_llm_model:
            raise ValueError("SUMMARY_LLM_MODEL is required when SUMMARY_LLM_URL is set")
        return self

    @field_validator("database_url", mode="before")
    @classmethod
    def _database_url(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        value = value.strip()
        if not value:
            return None
        scheme = value.partition("://")[0].lower()
        if scheme == "sqlite":
            if not value.startswith("sqlite:///") or len(value) == len("sqlite:///"):
                raise ValueError("expected sqlite:///path/to/file.sqlite3 (three slashes, then the path)")
            return value
        if scheme in ("postgresql", "postgres"):
            try:
                url = URL(value)
            except ValueError:
                url = None
            if url is None or not url.host or url.path in ("", "/"):
                raise ValueError("expected postgresql://user@host:5432/database")
            return value
        raise ValueError("expected sqlite:///path or postgresql://user@host:5432/database")

    @model_validator(mode="after")
    def _database_path_from_url(self) -> Settings:
        if self.database_url is None:
            self.database_url = f"sqlite:///{self.database_path}"
        elif self.database_url.startswith("sqlite:///"):
            self.database_path = Path(self.database_url.removeprefix("sqlite:///"))
        return self

    @model_validator(mode="after")
    def _someone_analyses(self) -> Settings:
        if self.analysis_workers == 0 and self.database_engine == "sqlite":
            raise ValueError(
                "ANALYSIS_WORKERS=0 leaves the analysis to `python -m bot worker` processes, which need a"
                " PostgreSQL DATABASE_URL; with SQLite the bot must analyse itself (1 or more)"
            )
        return self

    @property
    def database_engine(self) -> Literal["sqlite", "postgresql"]:
        return "postgresql" if self.database_url and not self.database_url.startswith("sqlite:") else "sqlite"

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

    @property
    def webhook_path(self) -> str:
        """Where the bot serves updates: the path of WEBHOOK_URL."""
        return (URL(self.webhook_url).path or "/") if self.webhook_url else "/"

    @property
    def secret(self) -> str | None:
        return self.webhook_secret.get_secret_value() if self.webhook_secret else None


def parse_listen(value: str) -> tuple[str, int]:
    """'host:port' ('[::1]:8080' for IPv6) as (host, port); port 0 asks the system for a free one."""
    host, sep, port = value.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not (sep and host and port.isascii() and port.isdigit() and int(port) <= 65535):
        raise ValueError(f"expected host:port such as 0.0.0.0:8080, got {value!r}")
    return host, int(port)


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment; any invalid value becomes a one-line ConfigError."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        error = exc.errors()[0]
        if not error["loc"]:  # a rule over several variables names them itself
            raise ConfigError(str(error["msg"]).removeprefix("Value error, ")) from None
        variable = str(error["loc"][0]).upper() if error["loc"] else "configuration"
        message = str(error["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"invalid {variable}: {message}") from None
