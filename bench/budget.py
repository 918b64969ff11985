"""What one huge input costs a worker: time and peak memory, within the budgets and without them (issue #10).

    .venv/bin/python -m bench.budget [--megabytes 5] [--timeout 120] [--unbounded]

Each case runs in a fresh process (as a spawned worker would, one BLAS thread) on generated input: real
Russian news from ../shared/corpora joined to `--megabytes` MB, and a news page of those articles repeated to
that size and cut inside a two-byte letter. The cases: the analysis of the text as one article
(`understand_batch`, models loaded inside the clock, as a fresh worker would); the extraction of the page
(`extract_article`); an upload's parse of the text as a `.txt` and its story vectors (the interactive
worker's work). `--unbounded` adds the analysis and the page without their budgets (`analysed_text` and
`trim_page` switched off), as they ran before: they are stopped after `--timeout` seconds.
Each line: wall and CPU seconds, peak RSS (the process's own figure, or psutil's samples every 0.2 s when
it was stopped), and what came out.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import resource
import subprocess
import sys
import time
from typing import Any

import psutil

from bot.eval import corpus_path

CORPUS = "tg_contest2019_ru.jsonl"


def news() -> list[dict[str, Any]]:
    path = corpus_path(CORPUS)
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as lines:
        return [row for row in map(json.loads, lines) if row.get("text")]


def russian_text(size: int) -> str:
    """Consecutive corpus articles, a paragraph each, to `size` UTF-8 bytes."""
    rows, parts, total = news(), [], 0
    while total < size:
        text = rows[len(parts) % len(rows)]["text"]
        parts.append(text)
        total += len(text.encode()) + 1
    return "\n".join(parts).encode()[:size].decode("utf-8", "ignore")


def news_page(size: int) -> bytes:
    """A news page (navigation, articles with headings, 'read also' lists) to `size` bytes, cut mid-letter."""
    rows = news()
    menu = "".join(f'<li><a href="/r{i}">Раздел {i}</a></li>' for i in range(20))
    parts = [f'<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>Новости</title></head>'
             f"<body><header><nav><ul>{menu}</ul></nav></header><main>"]
    total = len(parts[0].encode())
    while total < size:
        row = rows[len(parts) % len(rows)]
        paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in row["text"].split(". "))
        more = "".join(f'<li><a href="/n{len(parts)}{j}">Читайте также {j}</a></li>' for j in range(5))
        heading = html.escape(row["title"])
        block = f"<article><h1>{heading}</h1>{paragraphs}<aside><ul>{more}</ul></aside></article>"
        parts.append(block)
        total += len(block.encode())
    data = "".join(parts).encode()
    cut = size
    while data[cut] & 0xC0 != 0x80:  # a continuation byte: the cut falls inside a letter
        cut -= 1
    return data[:cut]


def child(case: str, size: int) -> None:
    """One case in this process; prints one JSON line."""
    from datetime import UTC, date, datetime

    from bot.analysis import understanding
    from bot.ingest import webpage

    if case.endswith("-unbounded"):
        understanding.analysed_text = lambda text, limit=0: text  # type: ignore[assignment]
        webpage.trim_page = lambda tree: False  # type: ignore[assignment]
    from bot.digest.inputs import story_inputs
    from bot.ingest.documents import parse_document
    from storage.stories import ArticleText

    text, page = (russian_text(size), None) if not case.startswith("page") else ("", news_page(size))
    began, cpu = time.perf_counter(), time.process_time()  # the input is ready, the modules imported
    if case.startswith("analysis"):
        item = understanding.ArticleInput(1, "Обзор", text, "ru", date(2025, 11, 26))
        (result,) = understanding.understand_batch([item])
        outcome = f"{len(result.analysis.entities) if result.analysis else 0} entities, error {result.error}"
    elif page is not None:
        article = webpage.extract_article(page, "https://example.org/news", "utf-8")
        outcome = f"{len(article.text) if article else 0} characters of text extracted"
    else:
        data = ("Обзор\n" + text).encode()[:size].decode("utf-8", "ignore").encode()
        parsed = parse_document("huge.txt", data, "Europe/Moscow", size)
        draft = parsed.articles[0].draft
        story_inputs([ArticleText(1, draft.title, draft.text, "ru", datetime.now(UTC))], None)
        outcome = f"{len(draft.text)} characters stored"
    print(
        json.dumps(
            {
                "wall": time.perf_counter() - began,
                "cpu": time.process_time() - cpu,
                "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                "outcome": outcome,
            }
        ),
        flush=True,
    )


def measure(case: str, size: int, timeout: float) -> str:
    environment = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "bench.budget", "--child", case, "--megabytes", str(size / 2**20)]
    began = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=environment)
    watched, peak, cpu = psutil.Process(process.pid), 0, 0.0
    while process.poll() is None and time.perf_counter() - began < timeout:
        try:
            peak = max(peak, watched.memory_info().rss)
            times = watched.cpu_times()
            cpu = times.user + times.system
        except psutil.NoSuchProcess:
            break
        time.sleep(0.2)
    if process.poll() is None:
        process.kill()
        process.wait()
        return (
            f"  {case:<18} stopped after {time.perf_counter() - began:.0f}s: CPU {cpu:.1f}s so far,"
            f" peak RSS {peak / 2**20:.0f} MB (sampled)"
        )
    assert process.stdout is not None
    result = json.loads(process.stdout.read().strip().splitlines()[-1])
    return (
        f"  {case:<18} {result['wall']:6.1f}s wall, CPU {result['cpu']:5.1f}s,"
        f" peak RSS {result['rss'] / 2**20:5.0f} MB; {result['outcome']}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.budget")
    parser.add_argument("--megabytes", type=float, default=5.0, help="size of the text and of the page")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds before an unbounded case stops")
    parser.add_argument("--unbounded", action="store_true", help="also run without the budgets")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    size = int(args.megabytes * 2**20)
    if not news():
        print(f"corpora not found at {corpus_path('').parent}: nothing to measure")
        return 0
    if args.child:
        child(args.child, size)
        return 0
    print(f"{args.megabytes:g} MB inputs; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    cases = ["analysis", "page", "upload"]
    if args.unbounded:
        cases += ["analysis-unbounded", "page-unbounded"]
    for case in cases:
        print(measure(case, size, args.timeout), flush=True)
    print(f"load average after the runs {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
