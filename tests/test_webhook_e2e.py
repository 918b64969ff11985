"""Webhook mode end to end (#14): the bot listens on a loopback port, calls setWebhook with its secret, and
the emulator POSTs each update there instead of answering getUpdates; requests without the secret are
refused and change nothing."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

from bot.emulator import BotAPIEmulator
from bot.emulator.server import SECRET_HEADER
from tests.conftest import (
    ADMIN,
    READER,
    READER_EN,
    ROOT,
    SEED,
    WEBHOOK_SECRET,
    RunningBot,
    free_port,
    running_webhook_bot,
)
from tests.test_cli import env_for


async def test_setwebhook_is_called_with_the_secret_and_polling_s_update_types(
    webhook_bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    ((_, params),) = [(m, p) for m, p in emulator.calls if m == "setWebhook"]
    settings = webhook_bot.app.settings
    assert params["url"] == settings.webhook_url
    assert params["secret_token"] == WEBHOOK_SECRET
    assert params["drop_pending_updates"] is False
    assert webhook_bot.app.dispatcher is not None
    assert sorted(params["allowed_updates"]) == sorted(webhook_bot.app.dispatcher.resolve_used_update_types())
    assert not any(m == "getUpdates" for m, _ in emulator.calls)
    assert emulator.commands[""]  # the startup hooks ran, as in polling


async def test_start_and_search_through_the_webhook(
    webhook_bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    (ru,) = await webhook_bot.ask(READER, "/start")
    (en,) = await webhook_bot.ask(READER_EN, "/start")
    assert ru["text"].startswith("👋 Я храню новости")
    assert en["text"].startswith("👋 I keep the news")
    saved = await webhook_bot.send_file(ADMIN, SEED.name, SEED.read_bytes(), mime_type="text/plain")
    assert saved["text"].startswith("✅ Сохранено #1: Лукашенко заявил")
    (found,) = await webhook_bot.ask(READER, "/search переговорам")
    assert "Лукашенко заявил" in found["text"]
    assert emulator.webhook is not None
    assert emulator.webhook.delivered == 4 and emulator.webhook.refused == []
    assert not any(m == "getUpdates" for m, _ in emulator.calls)


@pytest.mark.parametrize("secret", [None, "wrong-secret", WEBHOOK_SECRET + "x", ""])
async def test_a_post_without_the_right_secret_is_refused_and_changes_nothing(
    webhook_bot: RunningBot, emulator: BotAPIEmulator, secret: str | None
) -> None:
    settings = webhook_bot.app.settings
    assert webhook_bot.app.webhook is not None
    url = webhook_bot.app.webhook.url + settings.webhook_path
    text = "/ingest Поддельная новость\nЭту новость прислал не Telegram."
    update = {
        "update_id": 999,
        "message": {
            "message_id": 1,
            "date": 1_700_000_000,
            "chat": ADMIN.private_chat,
            "from": ADMIN.as_dict(),
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": 7}],
        },
    }
    headers = {} if secret is None else {SECRET_HEADER: secret}
    sent_before = len(emulator.sent)
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json=update, headers=headers) as response,
    ):
        assert response.status in (401, 403)
    await asyncio.sleep(0.3)  # what an accepted update would have had time to do
    assert len(emulator.sent) == sent_before
    assert await webhook_bot.app.articles.count() == 0
    # The same update with the secret is taken: the refusal was the secret, not the update.
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json=update, headers={SECRET_HEADER: WEBHOOK_SECRET}) as response,
    ):
        assert response.status == 200
    await emulator.wait_for(lambda: len(emulator.sent) > sent_before)
    assert await webhook_bot.app.articles.count() == 1


async def test_getupdates_is_refused_while_the_webhook_is_set(
    webhook_bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{emulator.url}/bot{emulator.token}/getUpdates") as response,
    ):
        body = await response.json()
    assert response.status == 409 and "webhook is active" in body["description"]
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{emulator.url}/bot{emulator.token}/getWebhookInfo") as response,
    ):
        info = (await response.json())["result"]
    assert info["url"] == webhook_bot.app.settings.webhook_url and info["pending_update_count"] == 0


async def test_updates_sent_while_the_bot_is_down_arrive_after_a_restart(
    emulator: BotAPIEmulator, tmp_path: Path
) -> None:
    database = tmp_path / "news.sqlite3"
    async with running_webhook_bot(emulator, database):
        pass
    # The webhook stays set when an instance stops (another may serve it): Telegram keeps retrying.
    assert emulator.webhook is not None
    before = len(emulator.messages(READER.id))
    await emulator.send_text(READER, "/start")
    await asyncio.sleep(0.5)
    assert emulator.pending_updates == 1 and emulator.webhook.last_error_message
    async with running_webhook_bot(emulator, database):
        (reply,) = await emulator.replies(READER.id, 1, after=before)
    assert reply["text"].startswith("👋 Я храню новости")


async def test_shutdown_lets_an_update_in_progress_finish(emulator: BotAPIEmulator, tmp_path: Path) -> None:
    """An upload being handled when the server stops is still stored and answered (InFlight drains)."""
    records = [
        {"title": f"Новость {i}", "text": f"Текст новости номер {i} о переговорах."} for i in range(30)
    ]
    data = "\n".join(json.dumps(r, ensure_ascii=False) for r in records).encode()
    async with running_webhook_bot(emulator, tmp_path / "news.sqlite3") as running:
        delivered = emulator.webhook.delivered if emulator.webhook else 0
        await emulator.send_document(ADMIN, "batch.jsonl", data)
        await emulator.wait_for(
            lambda: emulator.webhook is not None and emulator.webhook.delivered > delivered
        )
        assert running.app.webhook is not None
        running.app.webhook.stop()  # the context then waits for the server and closes the App
    (reply,) = emulator.messages(ADMIN.id)[-1:]
    assert reply["text"].startswith("📥 Сохранено: 30, уже были: 0, не прочитано: 0."), reply["text"]


async def test_python_m_bot_run_serves_the_webhook_and_stops_on_sigterm(
    emulator: BotAPIEmulator, tmp_path: Path
) -> None:
    """The real entry point in its own process: setWebhook, a /start answered, SIGTERM → exit 0."""
    port = free_port()
    env = env_for(
        tmp_path,
        BOT_TOKEN=emulator.token,
        TELEGRAM_API_URL=emulator.url,
        WEBHOOK_URL=f"http://127.0.0.1:{port}/hook",
        WEBHOOK_SECRET=WEBHOOK_SECRET,
        WEBHOOK_LISTEN=f"127.0.0.1:{port}",
        ANALYSIS_WORKERS="1",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=ROOT, env=env, stderr=asyncio.subprocess.PIPE
    )
    try:
        await emulator.wait_for(lambda: emulator.webhook is not None, timeout=120)
        await emulator.send_text(READER, "/start")
        (reply,) = await emulator.replies(READER.id, 1, timeout=60)
        assert reply["text"].startswith("👋 Я храню новости")
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 0, err.decode()
        assert "Traceback" not in err.decode(), err.decode()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
