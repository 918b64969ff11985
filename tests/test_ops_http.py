"""/healthz and /metrics over HTTP (#14): on METRICS_LISTEN beside long polling (python -m bot run's path,
bot.web.serve_polling) and on the webhook server; the numbers move by what the bot did."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from prometheus_client.parser import text_string_to_metric_families

from bot.app import App
from bot.config import load_settings
from bot.emulator import BotAPIEmulator
from bot.metrics import POLL_STALE_SECONDS, Mode, UpdatesWatch, updates_check
from bot.web import serve_polling
from storage.database import migrations
from tests.conftest import ADMIN, ADMIN_EN, READER, ROOT, SEED, RunningBot, free_port, running_webhook_bot
from tests.test_cli import env_for

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@asynccontextmanager
async def polling_bot_with_ops(
    emulator: BotAPIEmulator, database: Path
) -> AsyncIterator[tuple[RunningBot, str]]:
    """The bot as `python -m bot run` starts it with METRICS_LISTEN set; yields it and the ops base URL."""
    port = free_port()
    settings = load_settings(
        bot_token=emulator.token,
        telegram_api_url=emulator.url,
        database_path=database,
        admin_ids=frozenset({ADMIN.id, ADMIN_EN.id}),
        default_timezone="Europe/Moscow",
        analysis_workers=1,
        metrics_listen=f"127.0.0.1:{port}",
    )
    app = await App.open(settings)
    bot = app.create_bot(emulator.token, emulator.url)
    polling = asyncio.create_task(serve_polling(app, bot, handle_signals=False))
    try:
        await emulator.wait_for(lambda: any(m == "getUpdates" for m, _ in emulator.calls))
        yield RunningBot(app, emulator), f"http://127.0.0.1:{port}"
    finally:
        if app.dispatcher is not None:
            await app.dispatcher.stop_polling()
        await polling
        await app.close()


async def get(url: str) -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, response.headers.get("Content-Type", ""), await response.text()


async def scrape(base: str) -> Samples:
    status, content_type, text = await get(f"{base}/metrics")
    assert status == 200 and content_type.startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def healthz(base: str) -> tuple[int, dict[str, Any]]:
    status, content_type, text = await get(f"{base}/healthz")
    assert content_type.startswith("application/json")
    return status, json.loads(text)


async def test_metrics_move_by_an_upload_and_a_search(emulator: BotAPIEmulator, tmp_path: Path) -> None:
    async with polling_bot_with_ops(emulator, tmp_path / "news.sqlite3") as (bot, base):
        before = await scrape(base)
        records = [
            {
                "title": "Переговоры в Минске",
                "text": "Делегации встретились в Минске и обсудили мирный план.",
            },
            {"title": "Мост закрыли", "text": "Коммунальный мост через Томь закрыли на ремонт."},
            {"title": "Спартак победил", "text": "Спартак обыграл Зенит в матче чемпионата России."},
        ]
        data = "\n".join(json.dumps(r, ensure_ascii=False) for r in records).encode()
        reply = await bot.send_file(ADMIN, "batch.jsonl", data)
        assert reply["text"].count("✅") == 3
        await bot.app.analyzer.idle()
        (found,) = await bot.ask(READER, "/search переговоры")
        assert "Переговоры в Минске" in found["text"]
        after = await scrape(base)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("newsbot_updates_handled_total", command="document") == 1
    assert moved("newsbot_updates_handled_total", command="search") == 1
    assert moved("newsbot_update_seconds_count", command="search") == 1
    assert moved("newsbot_update_seconds_count", command="document") == 1
    assert 0 < moved("newsbot_update_seconds_sum", command="search") < 60
    assert moved("newsbot_articles_ingested_total") == 3
    assert moved("newsbot_articles_analysed_total") == 3
    assert value(after, "newsbot_articles_analysis_failed_total") == 0
    assert value(after, "newsbot_analysis_queue_depth") == 0
    for name in (
        "newsbot_digests_sent_total",
        "newsbot_digests_failed_total",
        "newsbot_digest_blocked_total",
        "newsbot_digest_flood_waits_total",
        "newsbot_feed_poll_errors_total",
    ):
        assert (name, ()) in after, name
    assert ("newsbot_feed_polls_total", (("status", "failed"),)) in after


async def test_healthz_is_200_then_503_with_the_database_closed(
    emulator: BotAPIEmulator, tmp_path: Path
) -> None:
    async with polling_bot_with_ops(emulator, tmp_path / "news.sqlite3") as (bot, base):
        status, body = await healthz(base)
        assert status == 200, body
        latest = max(version for version, _, _ in migrations())
        assert body["status"] == "ok" and body["failing"] == []
        assert body["checks"]["migrations"] == {"ok": True, "applied": latest, "latest": latest}
        assert body["checks"]["updates"]["mode"] == "polling" and body["checks"]["updates"]["ok"]

        await bot.app.db.close()
        try:
            status, body = await healthz(base)
        finally:
            await bot.app.db.open()  # the App closes it again at the end
        assert status == 503
        assert body["status"] == "failing" and set(body["failing"]) == {"database", "migrations"}
        assert body["checks"]["updates"]["ok"]

        status, body = await healthz(base)
        assert status == 200, body


async def test_healthz_is_503_when_migrations_are_behind(emulator: BotAPIEmulator, tmp_path: Path) -> None:
    async with polling_bot_with_ops(emulator, tmp_path / "news.sqlite3") as (bot, base):
        latest = max(version for version, _, _ in migrations())
        await bot.app.db.conn.execute(f"PRAGMA user_version={latest - 1}")
        status, body = await healthz(base)
        assert status == 503 and body["failing"] == ["migrations"]
        assert body["checks"]["migrations"] == {"ok": False, "applied": latest - 1, "latest": latest}
        await bot.app.db.conn.execute(f"PRAGMA user_version={latest}")


def test_polling_is_healthy_while_getupdates_answers_within_two_minutes() -> None:
    watch = UpdatesWatch()
    watch.mode = Mode.POLLING
    start = watch.started
    assert updates_check(watch, now=start + 10).ok  # starting up, no poll yet
    assert not updates_check(watch, now=start + POLL_STALE_SECONDS + 1).ok
    watch.last_poll = start + 100
    assert updates_check(watch, now=start + 100 + POLL_STALE_SECONDS - 1).ok
    stale = updates_check(watch, now=start + 100 + POLL_STALE_SECONDS + 1)
    assert not stale.ok and stale.detail["seconds_since_poll"] > POLL_STALE_SECONDS
    watch.mode = None
    assert not updates_check(watch, now=time.monotonic()).ok


async def test_the_webhook_server_serves_healthz_and_metrics(
    emulator: BotAPIEmulator, tmp_path: Path
) -> None:
    async with running_webhook_bot(emulator, tmp_path / "news.sqlite3") as bot:
        assert bot.app.webhook is not None
        base = bot.app.webhook.url
        status, body = await healthz(base)
        assert status == 200, body
        assert body["checks"]["updates"] == {"ok": True, "mode": "webhook", "webhook_set": True}
        before = await scrape(base)
        await bot.ask(READER, "/start")
        await bot.ask(READER, "/search переговорам")
        saved = await bot.send_file(ADMIN, SEED.name, SEED.read_bytes(), mime_type="text/plain")
        assert saved["text"].startswith("✅")
        after = await scrape(base)
    assert (
        value(after, "newsbot_updates_handled_total", command="start")
        - value(before, "newsbot_updates_handled_total", command="start")
        == 1
    )
    assert value(after, "newsbot_updates_handled_total", command="search") == 1
    assert value(after, "newsbot_articles_ingested_total") == 1


async def test_metrics_listen_is_off_by_default(emulator: BotAPIEmulator, tmp_path: Path) -> None:
    settings = load_settings(
        bot_token=emulator.token, telegram_api_url=emulator.url, database_path=tmp_path / "db.sqlite3"
    )
    assert settings.metrics_listen is None and settings.webhook_url is None


async def run_healthcheck(tmp_path: Path, **env: str) -> tuple[int, str]:
    """`python -m bot healthcheck`, the image's HEALTHCHECK, as a separate process."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "healthcheck",
        cwd=ROOT,
        env=env_for(tmp_path, **env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert err == b"", err
    assert process.returncode is not None
    return process.returncode, out.decode()


async def test_the_healthcheck_command_asks_the_running_bot(emulator: BotAPIEmulator, tmp_path: Path) -> None:
    async with polling_bot_with_ops(emulator, tmp_path / "news.sqlite3") as (bot, base):
        listen = base.removeprefix("http://")
        code, out = await run_healthcheck(tmp_path, METRICS_LISTEN=listen)
        assert code == 0 and out.startswith('healthy: {"status": "ok"'), out
        await bot.app.db.close()
        try:
            code, out = await run_healthcheck(tmp_path, METRICS_LISTEN=listen)
        finally:
            await bot.app.db.open()
        assert code == 1 and out.startswith("unhealthy: 503 ") and '"database"' in out, out
    code, out = await run_healthcheck(tmp_path, METRICS_LISTEN=listen)  # nothing listens any more
    assert code == 1 and out.startswith("unhealthy: ")
    code, out = await run_healthcheck(tmp_path)  # polling without METRICS_LISTEN: nothing to ask
    assert code == 0 and out.startswith("healthy: no WEBHOOK_URL or METRICS_LISTEN")


def test_the_image_exposes_the_webhook_port_and_checks_health() -> None:
    lines = (ROOT / "Dockerfile").read_text().splitlines()
    assert "EXPOSE 8080" in lines
    (check,) = [line for line in lines if line.startswith("HEALTHCHECK ")]
    assert check.endswith('CMD ["python", "-m", "bot", "healthcheck"]')
    assert load_settings(_env_file=None).webhook_listen.endswith(":8080")


def test_compose_file_describes_postgres_two_webhook_bots_and_a_worker() -> None:
    # PyYAML is a test dependency: no Docker engine runs here, so the file is checked as data
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert services["postgres"]["image"] == "postgres:15"
    assert "healthcheck" in services["postgres"]
    for name in ("bot-1", "bot-2"):
        env = services[name]["environment"]
        assert env["WEBHOOK_URL"].startswith("https://") and env["WEBHOOK_SECRET"]
        assert services[name]["healthcheck"]["test"] == ["CMD", "python", "-m", "bot", "healthcheck"]
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["worker"]["command"] == ["python", "-m", "bot", "worker"]
    for name in ("bot-1", "bot-2", "worker"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgresql://") and env["SEND_BUDGET"] == "database"
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["worker"]["environment"]["WEBHOOK_URL"] == ""  # no webhook: it takes no updates
    caddy = compose["configs"]["caddyfile"]["content"]
    assert "reverse_proxy bot-1:8080 bot-2:8080" in caddy and "handle /telegram" in caddy
