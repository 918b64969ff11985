"""One article's cost is bounded: the analysis reads a prefix of a huge text, parsing a huge page is capped,
and interactive work has its own worker process."""

from __future__ import annotations

import asyncio
import os
import time
from concurrent.futures.process import BrokenProcessPool
from datetime import date

import pytest

from bot.analysis.article import article_text
from bot.analysis.understanding import (
    MAX_ANALYSED_CHARS,
    ArticleInput,
    analysed_text,
    understand,
    understand_batch,
)
from bot.workers import WorkerPool

SENTENCE = "Президент Белоруссии Александр Лукашенко заявил, что Минск готов принять переговоры."


def test_short_text_is_analysed_whole() -> None:
    text = "\n".join([SENTENCE] * 10)
    assert analysed_text(text) == text


def test_long_text_is_cut_at_a_paragraph_break() -> None:
    text = "\n".join([SENTENCE] * 1000)
    cut = analysed_text(text)
    assert len(cut) <= MAX_ANALYSED_CHARS
    assert len(cut) > MAX_ANALYSED_CHARS // 2
    assert text.startswith(cut)
    assert cut.endswith("переговоры.")
    assert text[len(cut)] == "\n"


def test_one_long_paragraph_is_cut_at_a_sentence_end() -> None:
    text = " ".join([SENTENCE] * 1000)
    cut = analysed_text(text)
    assert MAX_ANALYSED_CHARS // 2 < len(cut) <= MAX_ANALYSED_CHARS
    assert text.startswith(cut) and cut.endswith("переговоры.")


def test_text_without_breaks_is_cut_at_the_limit() -> None:
    text = "а" * (3 * MAX_ANALYSED_CHARS)
    assert analysed_text(text) == "а" * MAX_ANALYSED_CHARS


def test_huge_article_is_analysed_up_to_the_budget_only() -> None:
    """Names past the budget are not found; offsets of those before it index the stored text."""
    filler = "\n".join([SENTENCE] * (MAX_ANALYSED_CHARS // len(SENTENCE) + 10))
    text = f"{filler}\nПосле этого выступил Владимир Зеленский."
    item = ArticleInput(1, "Переговоры в Минске", text, "ru", date(2025, 11, 26))
    (result,) = understand_batch([item])
    assert result.error is None and result.analysis is not None
    names = {e.name for e in result.analysis.entities}
    assert "Александр Лукашенко" in names
    assert not any("Зеленск" in name for name in names)
    full = article_text(item.title, text)
    for entity in result.analysis.entities:
        for mention in entity.mentions:
            assert mention.stop <= len(full)
    assert understand(item) == result


def _pid() -> int:
    return os.getpid()


async def test_interactive_lane_answers_while_the_analysis_lane_is_busy() -> None:
    """A long analysis batch holds every analysis worker; interactive work has its own process."""
    pool = WorkerPool(1)
    try:
        busy = asyncio.ensure_future(pool.run(time.sleep, 30))
        await asyncio.sleep(0.5)
        interactive = await asyncio.wait_for(pool.run_interactive(_pid), timeout=20)
        assert not busy.done()
        assert interactive not in pool.pids
        assert interactive in pool.interactive_pids
    finally:
        pool.close(wait=False)


def _die() -> None:
    os._exit(1)


async def test_a_worker_that_dies_fails_its_call_only() -> None:
    """A worker killed mid-task (the OOM killer) breaks its pool; the next call gets a fresh one."""
    pool = WorkerPool(1)
    try:
        with pytest.raises(BrokenProcessPool):
            await pool.run(_die)
        assert await pool.run(_pid) in pool.pids
    finally:
        pool.close()
