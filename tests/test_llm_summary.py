"""Optional LLM summaries (#13) against a fake OpenAI-compatible endpoint on 127.0.0.1: an answer replaces a
multi-report story's summary; a timeout, HTTP 500 or malformed JSON keeps the extractive one, logged once per
kind of failure; what the model says is escaped like any article string when the digest is rendered."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp import web

from bot.digest.compose import (
    Catalog,
    ComposedDigest,
    Composer,
    DigestContent,
    DigestRequest,
    StoryMaterial,
    Topics,
    build_catalog,
)
from bot.digest.llm import LlmSummarizer, parse_answer
from bot.digest.summary import MAX_CHARS, StoryArticle
from bot.emulator import BotAPIEmulator
from bot.emulator.tg_html import parse_html
from bot.telegram.i18n import create_i18n
from bot.telegram.replies.digest import renderer
from tests.conftest import READER, READER_EN, running_bot
from tests.test_subscriptions_e2e import add

NOW = datetime(2025, 11, 20, 12, tzinfo=UTC)
BRIDGE = (
    StoryArticle(
        1,
        "В Томске открыли пешеходный мост через Ушайку",
        "Пешеходный мост через Ушайку в центре Томска открыли во вторник после двух лет ремонта. "
        "Новый мост длиной 48 метров собран из металлических пролётов.",
        "tomsk.example",
        NOW - timedelta(hours=3),
    ),
    StoryArticle(
        2,
        "Мост через Ушайку открыт после реконструкции",
        "В Томске после реконструкции открыли пешеходный мост через реку Ушайку. "
        "Ремонт обошёлся областному бюджету в 86 миллионов рублей.",
        "news.example",
        NOW - timedelta(hours=2),
    ),
)
LONE = StoryArticle(
    3,
    "В Омске прошёл первый снегопад",
    "Первый снегопад прошёл в Омске в ночь на среду. Коммунальщики вывели на улицы сорок машин.",
    "omsk.example",
    NOW - timedelta(hours=1),
)


@dataclass
class FakeLlm:
    """What the fake endpoint answers, and what it was asked."""

    mode: str = "ok"
    answer: str = "Мост через Ушайку в Томске открыли после ремонта. Он обошёлся в 86 миллионов рублей."
    requests: list[dict] = field(default_factory=list)


@pytest_asyncio.fixture
async def endpoint() -> AsyncIterator[tuple[str, FakeLlm]]:
    fake = FakeLlm()

    async def completions(request: web.Request) -> web.StreamResponse:
        fake.requests.append(await request.json())
        if fake.mode == "slow":
            await asyncio.sleep(2)
        if fake.mode == "500":
            return web.Response(status=500, text="model crashed")
        if fake.mode == "not json":
            return web.Response(text="{'choices': oops", content_type="application/json")
        if fake.mode == "wrong shape":
            return web.json_response({"error": {"message": "no such model"}})
        return web.json_response(
            {"id": "x", "object": "chat.completion", "choices": [{"message": {"content": fake.answer}}]}
        )

    app = web.Application()
    app.router.add_post("/v1/chat/completions", completions)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/v1/chat/completions", fake
    finally:
        await runner.cleanup()


def catalog() -> Catalog:
    return build_catalog([StoryMaterial(7, BRIDGE, NOW), StoryMaterial(8, (LONE,), NOW)], NOW)


def compose(already_sent: dict[int, tuple[str, ...]] | None = None) -> tuple[Catalog, ComposedDigest]:
    built = catalog()
    return built, Composer(built).compose(DigestRequest(1, None, Topics(), already_sent or {}))


def summaries(composed: ComposedDigest) -> dict[int, tuple[str, ...]]:
    return {e.story_id: e.digest.summary for e in composed.entries}


async def test_a_multi_report_story_is_summarised_by_the_endpoint_told_what_the_chat_got(
    endpoint: tuple[str, FakeLlm],
) -> None:
    url, fake = endpoint
    llm = LlmSummarizer(url, "tiny-model")
    try:
        sent = ("Пешеходный мост через Ушайку в центре Томска открыли во вторник после двух лет ремонта.",)
        built, composed = compose({7: sent})
        extractive = summaries(composed)
        rewritten = await llm.rewrite(composed, built, "ru", {7: sent})
        assert summaries(rewritten)[7] == (
            "Мост через Ушайку в Томске открыли после ремонта.",
            "Он обошёлся в 86 миллионов рублей.",
        )
        assert summaries(rewritten)[8] == extractive[8]  # one report: the extractive summary, not asked
        (request,) = fake.requests
        assert request["model"] == "tiny-model"
        system, user = request["messages"]
        assert system["role"] == "system" and "по-русски" in system["content"]
        assert "Сообщение 1:" in user["content"] and "Сообщение 2:" in user["content"]
        assert "86 миллионов рублей" in user["content"]  # the reports' sentences
        assert "Читателю уже отправили: " + sent[0] in user["content"]

        # The same story for another chat with the same history: answered from the cache
        await llm.rewrite(composed, built, "ru", {7: sent})
        assert len(fake.requests) == 1
        # An English chat new to the story: asked again, in English
        await llm.rewrite(compose()[1], built, "en", {})
        system, user = fake.requests[-1]["messages"]
        assert "in English" in system["content"] and "Already sent to the reader: nothing" in user["content"]
    finally:
        await llm.close()


@pytest.mark.parametrize(
    ("mode", "kind"),
    [("slow", "timeout"), ("500", "HTTP 500"), ("not json", "malformed"), ("wrong shape", "malformed")],
)
async def test_a_failure_keeps_the_extractive_summary_and_is_logged_once(
    endpoint: tuple[str, FakeLlm], caplog: pytest.LogCaptureFixture, mode: str, kind: str
) -> None:
    url, fake = endpoint
    fake.mode = mode
    llm = LlmSummarizer(url, "tiny-model", timeout=0.3, retry_after=0)
    try:
        built, composed = compose()
        with caplog.at_level(logging.WARNING, logger="bot.digest.llm"):
            for _ in range(3):  # three digests, three requests: three failures, one log line
                llm._cache.clear()
                assert summaries(await llm.rewrite(composed, built, "ru", {})) == summaries(composed)
        assert len(fake.requests) == 3
        assert llm.failures == {kind: 3}
        logged = [r.getMessage() for r in caplog.records if r.name == "bot.digest.llm"]
        assert len(logged) == 1 and kind in logged[0]
    finally:
        await llm.close()


async def test_after_a_timeout_the_endpoint_is_rested(endpoint: tuple[str, FakeLlm]) -> None:
    url, fake = endpoint
    fake.mode = "slow"
    llm = LlmSummarizer(url, "tiny-model", timeout=0.3, retry_after=60)
    try:
        built, composed = compose()
        await llm.rewrite(composed, built, "ru", {})
        await llm.rewrite(composed, built, "en", {})
        assert len(fake.requests) == 1 and llm.failures == {"timeout": 1}
    finally:
        await llm.close()


async def test_an_unreachable_endpoint_falls_back() -> None:
    llm = LlmSummarizer("http://127.0.0.1:9/v1/chat/completions", "tiny-model", timeout=2)
    try:
        built, composed = compose()
        assert summaries(await llm.rewrite(composed, built, "ru", {})) == summaries(composed)
        assert llm.failures == {"unreachable": 1}
    finally:
        await llm.close()


def test_answers_are_cut_to_the_digest_limits() -> None:
    long = "Первое предложение ответа. " + "Очень длинное второе предложение. " * 20 + "Третье."
    summary = parse_answer({"choices": [{"message": {"content": long}}]})
    assert summary[0] == "Первое предложение ответа." and len(summary) <= 2
    assert sum(len(s) for s in summary) <= MAX_CHARS
    assert parse_answer({"choices": [{"message": {"content": "  Одно.\n\n"}}]}) == ("Одно.",)


def test_settings_turn_it_on_only_with_both_values() -> None:
    assert LlmSummarizer.from_settings(None, None) is None
    assert LlmSummarizer.from_settings("http://127.0.0.1:1/v1/chat/completions", None) is None
    assert LlmSummarizer.from_settings("http://127.0.0.1:1/v1/chat/completions", "m") is not None


async def test_what_the_model_says_is_escaped_when_rendered(endpoint: tuple[str, FakeLlm]) -> None:
    url, fake = endpoint
    fake.answer = 'Мост <b>открыт</b> & <a href="http://x">ссылка</a> <script>'
    llm = LlmSummarizer(url, "tiny-model")
    try:
        built, composed = compose()
        rewritten = await llm.rewrite(composed, built, "ru", {})
    finally:
        await llm.close()
    (html,) = renderer(create_i18n())(DigestContent(rewritten, NOW, "UTC", "ru"))
    assert "<script>" not in html and 'href="http://x"' not in html and "&lt;b&gt;открыт" in html
    plain, _ = parse_html(html)
    assert fake.answer in plain  # shown as the model wrote it, as text
    assert json.dumps(fake.requests[0])  # the request was plain JSON


def message(article: StoryArticle) -> str:
    return f"{article.title}\n{article.text}"


async def test_digest_shows_the_llm_summary_and_falls_back_when_the_endpoint_fails(
    emulator: BotAPIEmulator, tmp_path: Path, endpoint: tuple[str, FakeLlm]
) -> None:
    """The bot's own path: SUMMARY_LLM_URL set, /digest shows the endpoint's summary of the story of two
    reports (asked in the reader's language), the one-report story keeps its extractive summary; with the
    endpoint failing, the next digest still comes, summarised offline."""
    url, fake = endpoint
    async with running_bot(
        emulator, tmp_path / "news.sqlite3", summary_llm_url=url, summary_llm_model="tiny-model"
    ) as bot:
        for article in (*BRIDGE, LONE):
            await add(bot, message(article), article.source)
        (reply,) = await bot.ask(READER, "/digest")
        assert "Мост через Ушайку в Томске открыли после ремонта." in reply["text"]
        assert "Коммунальщики вывели на улицы сорок машин." in reply["text"]  # the lone story, offline
        (request,) = fake.requests
        assert "по-русски" in request["messages"][0]["content"]

        fake.mode = "500"
        third = replace(
            BRIDGE[1],
            title="Мост через Ушайку открыли после ремонта",
            text=BRIDGE[1].text + " Движение по мосту открыто круглосуточно.",
        )
        await add(bot, message(third), "third.example")
        (reply,) = await bot.ask(READER_EN, "/digest")
        assert "Мост через Ушайку в Томске открыли после ремонта." not in reply["text"]
        assert "Ушайку" in reply["text"] and len(fake.requests) == 2
