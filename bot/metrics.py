"""What /metrics and /healthz report for one App (#14).

Counts are read at scrape time from what the services already keep (articles stored, the Analyzer's
analyses stored, failures and queue, the feeds' polls, the broadcaster's running report), plus one outer
middleware (updates handled and how long each took, by command). Every App has its own CollectorRegistry:
tests open several Apps in one process.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Collection, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods import GetUpdates, TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import TelegramObject, Update
from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client import Counter as PromCounter
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.analysis.service import Analyzer
from bot.delivery import Outcome
from bot.digest.service import DigestService
from bot.feeds.polling import PollStatus
from bot.feeds.service import FeedService
from bot.ingest.service import IngestService

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Replies take from a few milliseconds (/start) to tens of seconds (an upload waiting behind a batch).
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
FAILED_DIGESTS = (Outcome.BLOCKED, Outcome.GONE, Outcome.FAILED, Outcome.GAVE_UP)
POLL_ERRORS = (PollStatus.FAILED, PollStatus.PAUSED)
# Polling: getUpdates answers within its 10 s timeout; two minutes without an answer means the loop is stuck
# or Telegram unreachable.
POLL_STALE_SECONDS = 120.0


class Kind(StrEnum):
    """Labels for updates that are not one of the bot's commands (kept few: labels are time series)."""

    TEXT = "text"
    DOCUMENT = "document"
    OTHER_COMMAND = "other_command"
    CALLBACK = "callback"
    OTHER = "other"


def update_label(update: TelegramObject, commands: Collection[str]) -> str:
    """The command an update runs ('search'), or its kind ('text', 'callback' ...)."""
    if not isinstance(update, Update):
        return Kind.OTHER
    if update.callback_query is not None:
        return Kind.CALLBACK
    message = update.message
    if message is None:
        return Kind.OTHER
    text = message.text or message.caption or ""
    if text.startswith("/"):
        name = text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if len(text) > 1 else ""
        return name if name in commands else Kind.OTHER_COMMAND
    if message.document is not None:
        return Kind.DOCUMENT
    return Kind.TEXT if message.text else Kind.OTHER


class Mode(StrEnum):
    POLLING = "polling"
    WEBHOOK = "webhook"


class UpdatesWatch(BaseRequestMiddleware):
    """A session middleware: when getUpdates last answered (polling), whether setWebhook succeeded."""

    def __init__(self) -> None:
        self.mode: Mode | None = None
        self.started = time.monotonic()
        self.last_poll: float | None = None
        self.webhook_set = False

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        response = await make_request(bot, method)
        if isinstance(method, GetUpdates):
            self.last_poll = time.monotonic()
        return response


class UpdateMetrics(BaseMiddleware):
    """An outer middleware on every update: how many were handled and how long each took, by command."""

    def __init__(self, registry: CollectorRegistry, commands: Collection[str]) -> None:
        self.commands = frozenset(commands)
        self.handled = PromCounter(
            "newsbot_updates_handled", "Updates handled, by command", ["command"], registry=registry
        )
        self.seconds = Histogram(
            "newsbot_update_seconds",
            "Time from an update's arrival to the end of its handling (the reply sent), by command",
            ["command"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.last_update: float | None = None

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        label = update_label(event, self.commands)
        started = time.perf_counter()
        self.last_update = time.monotonic()
        try:
            return await handler(event, data)
        finally:
            self.handled.labels(label).inc()
            self.seconds.labels(label).observe(time.perf_counter() - started)


class ServiceCollector(Collector):
    """Reads the services' own counters at each scrape."""

    def __init__(
        self, ingest: IngestService, analyzer: Analyzer, digests: DigestService, feeds: FeedService
    ) -> None:
        self.ingest = ingest
        self.analyzer = analyzer
        self.digests = digests
        self.feeds = feeds

    def collect(self) -> Iterator[Metric]:
        yield CounterMetricFamily(
            "newsbot_articles_ingested", "Articles stored since start", self.ingest.articles_stored
        )
        yield CounterMetricFamily(
            "newsbot_articles_analysed", "Analyses stored since start", self.analyzer.analysed
        )
        yield CounterMetricFamily(
            "newsbot_articles_analysis_failed",
            "Articles whose analysis failed for good since start",
            self.analyzer.failed,
        )
        yield GaugeMetricFamily(
            "newsbot_analysis_queue_depth", "Articles waiting for analysis", self.analyzer.pending
        )
        broadcaster = self.digests.broadcaster
        outcomes = broadcaster.report.outcomes if broadcaster else {}
        yield CounterMetricFamily(
            "newsbot_digests_sent", "Digests delivered whole since start", outcomes.get(Outcome.SENT, 0)
        )
        yield CounterMetricFamily(
            "newsbot_digests_failed",
            "Digests not delivered (blocked, chat gone, refused, gave up) since start",
            sum(outcomes.get(o, 0) for o in FAILED_DIGESTS),
        )
        yield CounterMetricFamily(
            "newsbot_digest_blocked",
            "Digests refused with 403 (the user blocked the bot) since start",
            outcomes.get(Outcome.BLOCKED, 0),
        )
        yield CounterMetricFamily(
            "newsbot_digest_flood_waits",
            "429 answers to digest messages since start",
            broadcaster.report.flood_waits if broadcaster else 0,
        )
        polls = self.feeds.polls
        family = CounterMetricFamily(
            "newsbot_feed_polls", "Scheduled feed polls, by outcome", labels=["status"]
        )
        for status in PollStatus:
            family.add_metric([status.value], polls.get(status, 0))
        yield family
        yield CounterMetricFamily(
            "newsbot_feed_poll_errors",
            "Scheduled feed polls that failed (pausing the feed or not)",
            sum(polls.get(s, 0) for s in POLL_ERRORS),
        )


class Metrics:
    """One App's registry, its update middleware, its service collector and the updates watch."""

    def __init__(
        self,
        *,
        ingest: IngestService,
        analyzer: Analyzer,
        digests: DigestService,
        feeds: FeedService,
        commands: Collection[str],
    ) -> None:
        self.registry = CollectorRegistry()
        self.updates = UpdateMetrics(self.registry, commands)
        self.services = ServiceCollector(ingest, analyzer, digests, feeds)
        self.registry.register(self.services)
        self.watch = UpdatesWatch()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: dict[str, Any]


@dataclass(frozen=True)
class Health:
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def as_json(self) -> dict[str, Any]:
        return {
            "status": "ok" if self.ok else "failing",
            "failing": [c.name for c in self.checks if not c.ok],
            "checks": {c.name: {"ok": c.ok, **c.detail} for c in self.checks},
        }


def updates_check(watch: UpdatesWatch, now: float | None = None) -> Check:
    """Polling: getUpdates answered within POLL_STALE_SECONDS (or polling began less than that ago);
    webhook: setWebhook succeeded and this server is up (it is answering)."""
    now = time.monotonic() if now is None else now
    if watch.mode is Mode.WEBHOOK:
        return Check("updates", watch.webhook_set, {"mode": "webhook", "webhook_set": watch.webhook_set})
    if watch.mode is Mode.POLLING:
        since = now - (watch.last_poll if watch.last_poll is not None else watch.started)
        return Check(
            "updates",
            since < POLL_STALE_SECONDS,
            {"mode": "polling", "seconds_since_poll": round(since, 1), "limit_seconds": POLL_STALE_SECONDS},
        )
    return Check("updates", False, {"mode": None})
