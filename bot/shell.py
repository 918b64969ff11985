"""Ingestion from the shell: `python -m bot ingest PATH...`, one line per article."""

from __future__ import annotations

import html
import sys
from pathlib import Path
from typing import TextIO

from bot.app import App
from bot.config import Settings
from bot.ingest.documents import SUPPORTED_SUFFIXES, LineProblem, Problem
from bot.ingest.service import IngestReport
from bot.telegram import replies


def files_under(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES and not p.name.startswith(".")
            )
        else:
            found.append(path)
    return found


def report_lines(path: Path, report: IngestReport, app: App) -> list[str]:
    lines = []
    for stored in report.stored:
        a = stored.article
        status = "saved" if stored.created else "already stored"
        date = a.published_at.astimezone(app.settings.timezone).date().isoformat()
        lines.append(f"{status} #{a.id} {date} {a.title} ({path})")
    with app.i18n.context(), app.i18n.use_locale("en"):
        lines += [
            f"error {path}: {html.unescape(replies.common.problem(p)).removeprefix('⚠️ ')}"
            for p in report.problems
        ]
    return lines


async def ingest_files(app: App, paths: list[Path], out: TextIO = sys.stdout) -> int:
    """Ingest every file; the number of files with errors (0: all read)."""
    failed = 0
    for path in files_under(paths):
        if not path.is_file():
            print(f"error {path}: no such file", file=out)
            failed += 1
            continue
        if path.stat().st_size > app.ingest.max_bytes:
            report = IngestReport(problems=[LineProblem(Problem.TOO_LARGE)])
        else:
            report = await app.ingest.document(path.name, path.read_bytes(), by=None)
        failed += bool(report.problems)
        for line in report_lines(path, report, app):
            print(line, file=out, flush=True)
    return failed


async def ingest_paths(settings: Settings, paths: list[Path]) -> int:
    app = await App.open(settings)
    try:
        failed = await ingest_files(app, paths)
        if app.analyzer.pending:
            print(f"analysing {app.analyzer.pending} article(s)…", flush=True)
        await app.analyzer.idle()
        return 1 if failed else 0
    finally:
        await app.close()


async def reindex(settings: Settings) -> int:
    """Analyse the whole archive again (after an analysis upgrade), printing progress."""
    app = await App.open(settings)

    async def progress(done: int, total: int) -> None:
        print(f"analysed {done} of {total}", flush=True)

    try:
        report = await app.analyzer.reindex(progress)
        rate = report.articles / report.seconds if report.seconds else 0.0
        print(
            f"reindexed {report.articles} article(s) in {report.seconds:.1f} s ({rate:.1f}/s), "
            f"{report.failed} failed",
            flush=True,
        )
        return 0
    finally:
        await app.close()
