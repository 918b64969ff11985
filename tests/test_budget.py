"""One article's cost is bounded: the analysis reads a prefix of a huge text, parsing a huge page is capped,
and interactive work has its own worker process."""

from __future__ import annotations

import asyncio
import os
import time
from concurrent.futures.process import BrokenProcessPool
from datetime import date

import lxml.html
import psutil
import pytest

from bot import workers
from bot.analysis.article import article_text
from bot.analysis.understanding import (
    MAX_ANALYSED_CHARS,
    ArticleInput,
    analysed_text,
    understand,
    understand_batch,
)
from bot.ingest.webpage import MAX_PAGE_ELEMENTS, extract_article, trim_page
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
        # The scheduler prefers it to the analysis workers, and the bot's event loop to both.
        (analysis,) = pool.pids
        assert os.nice(0) < psutil.Process(interactive).nice() < psutil.Process(analysis).nice()
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


def _big_page(article: str, filler_blocks: int) -> str:
    script = "<script>var data = '" + "x" * 200_000 + "';</script>"
    filler = "<div><p>Ещё новости дня и комментарии.</p><a href='/x'>Далее</a></div>" * filler_blocks
    return (
        f"<html><head><title>Репортаж</title>{script}{script}</head>"
        f"<body><article><h1>Репортаж</h1>{article}</article>{filler}</body></html>"
    )


def test_huge_page_is_read_up_to_its_budget() -> None:
    """Inline scripts do not use up the budget; the article at the start is found, the tail is cut."""
    body = "".join(f"<p>{SENTENCE} Абзац {i}.</p>" for i in range(50))
    html = _big_page(body, 20_000)
    tree = lxml.html.fromstring(html)
    assert sum(1 for _ in tree.iter()) > 5 * MAX_PAGE_ELEMENTS
    assert trim_page(tree)
    elements = sum(1 for _ in tree.iter())
    assert elements <= MAX_PAGE_ELEMENTS
    assert "var data" not in lxml.html.tostring(tree, encoding="unicode")
    article = extract_article(html, "https://example.org/a")
    assert article is not None
    assert article.title == "Репортаж"
    assert "Абзац 0." in article.text and "Абзац 49." in article.text


def test_ordinary_page_is_not_trimmed() -> None:
    html = _big_page("".join(f"<p>{SENTENCE}</p>" for _ in range(20)), 10)
    tree = lxml.html.fromstring(html)
    before = lxml.html.tostring(tree)
    assert not trim_page(tree)
    assert lxml.html.tostring(tree) == before


def test_page_of_one_huge_paragraph_is_cut_at_the_text_budget() -> None:
    html = f"<html><body><p>{' '.join([SENTENCE] * 30_000)}</p><p>Конец.</p></body></html>"
    tree = lxml.html.fromstring(html)
    assert trim_page(tree)
    assert "Конец." not in tree.text_content()
    assert extract_article(html, "https://example.org/a") is not None


async def test_interactive_worker_is_replaced_once_it_holds_too_much_memory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pool = WorkerPool(1)
    try:
        first = await pool.run_interactive(_pid)
        assert await pool.run_interactive(_pid) == first  # a light worker is kept
    finally:
        pool.close()
    monkeypatch.setattr(workers, "INTERACTIVE_RECYCLE_BYTES", 1)  # every worker holds too much
    pool = WorkerPool(1)
    try:
        first = await pool.run_interactive(_pid)
        second = await pool.run_interactive(_pid)
        assert second != first
        for _ in range(100):  # the replaced worker exits once its queue is empty
            if not _running(first):
                break
            await asyncio.sleep(0.1)
        assert not _running(first)
    finally:
        pool.close()


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
