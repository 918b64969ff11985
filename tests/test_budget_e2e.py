"""A 5 MB upload costs a bounded time and memory, and never makes other users wait behind it."""

from __future__ import annotations

import asyncio
import json
import random
import time
from pathlib import Path

from bot.analysis.understanding import MAX_ANALYSED_CHARS
from tests.conftest import ADMIN, ADMIN_EN, READER, RunningBot

PEOPLE = ("Владимир Путин", "Александр Лукашенко", "Сергей Лавров", "Эммануэль Макрон", "Ольга Любимова")
VERBS = ("заявил", "сообщил журналистам", "отметил на брифинге", "напомнил", "подчеркнул в интервью")
TOPICS = (
    "переговоры продолжатся на следующей неделе",
    "бюджет на следующий год будет принят в срок",
    "в Минске пройдёт встреча делегаций",
    "цены на зерно стабилизировались после уборки урожая",
    "новый мост через Волгу откроют осенью",
    "в Казани начался международный форум",
)
LAST_WORDS = "Напоследок участники обсудили квазикристаллы."  # a word only the last paragraph has


def huge_text(size: int) -> str:
    """Russian news prose of about `size` UTF-8 bytes: varied sentences in paragraphs."""
    rng = random.Random(5)
    paragraphs, total = [], 0
    while total < size - 200:
        paragraph = " ".join(
            f"{rng.choice(PEOPLE)} {rng.choice(VERBS)}, что {rng.choice(TOPICS)}." for _ in range(5)
        )
        paragraphs.append(paragraph)
        total += len(paragraph.encode()) + 1
    paragraphs.append(LAST_WORDS)
    return "\n".join(paragraphs)


def hold(flag: str, seconds: float) -> None:
    """An analysis batch that takes as long as the test needs (a worker's job)."""
    deadline = time.monotonic() + seconds
    while not Path(flag).exists() and time.monotonic() < deadline:
        time.sleep(0.1)


async def test_huge_upload_is_stored_whole_answered_and_analysed_within_its_budget(bot: RunningBot) -> None:
    text = huge_text(5 * 1024 * 1024 - 1000)
    assert len(text) > 50 * MAX_ANALYSED_CHARS
    reply = await bot.send_file(ADMIN, "huge.txt", f"Большой обзор\n{text}".encode(), mime_type="text/plain")
    assert reply["text"].startswith("✅ Сохранено #1: Большой обзор")
    stored = await bot.app.articles.get(1)
    assert stored is not None and stored.text.endswith(LAST_WORDS)
    # Its analysis ends (the first MAX_ANALYSED_CHARS); before the budget it took a worker over 10 minutes.
    await asyncio.wait_for(bot.app.analyzer.idle(), timeout=120)
    assert bot.app.analyzer.failed == 0
    assert await bot.app.entities.unanalysed(limit=10) == []
    (card,) = await bot.ask(READER, "/who Лукашенко")
    assert "Александр Лукашенко" in card["text"]
    # Stored whole: the last paragraph, far past the analysed part, is found.
    (found,) = await bot.ask(READER, "/search квазикристаллы")
    assert "Большой обзор" in found["text"]


async def test_upload_is_answered_while_analysis_workers_are_busy(bot: RunningBot, tmp_path: Path) -> None:
    """Every analysis worker holds a long batch; another user's small upload is parsed and answered anyway."""
    flag = tmp_path / "release"
    workers = bot.app.settings.analysis_workers
    batches = [asyncio.ensure_future(bot.app.workers.run(hold, str(flag), 120)) for _ in range(2 * workers)]
    try:
        await asyncio.sleep(1.0)
        news = [{"title": f"Новость {i}", "text": f"Текст новости {i} о переговорах."} for i in range(5)]
        lines = [json.dumps(item, ensure_ascii=False) for item in news]
        before = len(bot.emulator.messages(ADMIN_EN.id))
        await bot.emulator.send_document(ADMIN_EN, "five.jsonl", "\n".join(lines).encode())
        # Generous, but far shorter than the batches: a reply queued behind them would not come in time.
        (reply,) = await bot.emulator.replies(ADMIN_EN.id, 1, after=before, timeout=20)
        assert "Saved: 5, already stored: 0" in reply["text"]
        assert not any(batch.done() for batch in batches)
    finally:
        flag.touch()
        await asyncio.gather(*batches)


async def test_huge_html_cut_mid_character_is_stored(bot: RunningBot) -> None:
    paragraphs = "".join(f"<p>{line}</p>" for line in huge_text(200_000).split("\n"))
    article = f"<article><h1>Большой репортаж</h1>{paragraphs}</article>"
    links = "".join(f'<li><a href="/n{i}">Читайте также {i}</a></li>' for i in range(20))
    page = f"<html><head><meta charset='utf-8'><title>Большой репортаж</title></head><body>{article}"
    comments = "<div><p>Ещё новости дня и комментарии читателей.</p></div>" * 100
    body = f"<aside><ul>{links}</ul></aside>{comments}"
    data = (page + body * 1000).encode()[: 5 * 1024 * 1024 - 1]
    while data[-1] & 0xC0 != 0x80:  # end inside a two-byte letter
        data = data[:-1]
    reply = await bot.send_file(ADMIN, "huge.html", data, mime_type="text/html")
    assert reply["text"].startswith("✅ Сохранено #1: Большой репортаж")
    stored = await bot.app.articles.get(1)
    assert stored is not None and stored.title == "Большой репортаж"
    assert stored.text.startswith(huge_text(200_000)[:100])
