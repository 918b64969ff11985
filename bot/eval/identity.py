"""Identity as the bot stores it: BSNLP ingested through the bot's own ingest and analysis, read back.

Nothing here re-implements identity resolution. The corpus goes through ``App.open`` (the repositories,
the analysis queue, the worker processes) into a SQLite file, one document per upload as an admin
would send it; then the stored mentions are read back. Items are gold PER (document, mention) pairs whose
mention text (case and "ё" folded) we stored as a mention of a person, with the stored entity of the
first such mention of the document. Over every pair of items from different documents, "same gold
entity" against "same stored entity": same-person precision and recall over the pairs both or either call
the same person, and merge accuracy over all pairs (most are two different people, which inflates it).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from bot.analysis.entities import PER, fold
from bot.config import load_settings

TARGETS = {"stored same-person precision": 0.98, "stored same-person recall": 0.95}


def _pairs(counts: Counter[Any], per_doc: Counter[Any]) -> int:
    """Pairs of items sharing a label, not counting pairs inside one document."""
    total = sum(n * n for n in counts.values())
    inside = sum(n * n for n in per_doc.values())
    return (total - inside) // 2


@contextlib.asynccontextmanager
async def scratch_bot(workers: int) -> AsyncIterator[Any]:
    """The whole bot (``App``) over a scratch SQLite file, closed and deleted after."""
    from bot.app import App  # aiogram and the whole bot: only when this evaluation runs

    with tempfile.TemporaryDirectory() as scratch:
        settings = load_settings(
            database_path=Path(scratch) / "eval.sqlite3", analysis_workers=workers, bot_token=None
        )
        app = await App.open(settings)
        try:
            yield app
        finally:
            await app.close()


async def _ingest_and_read(rows: list[dict[str, Any]], workers: int) -> dict[str, dict[str, int]]:
    """Each row's folded PER mention texts → the stored entity id they were filed under."""
    async with scratch_bot(workers) as app:
        article_of: dict[str, int] = {}
        for row in rows:
            line = {"title": row.get("title") or row["id"], "text": row["text"], "url": row.get("url")}
            if row.get("date"):
                line["date"] = row["date"]
            report = await app.ingest.document(
                "bsnlp.jsonl", json.dumps(line, ensure_ascii=False).encode(), by=None
            )
            if report.stored:
                article_of[row["id"]] = report.stored[0].article.id
        await app.analyzer.idle()
        stored: dict[int, dict[str, int]] = {}
        for article_id, entity_id, text in await app.db.conn.execute_fetchall(
            "SELECT m.article_id, m.entity_id, m.text FROM mentions m"
            " JOIN entities e ON e.id = m.entity_id WHERE e.kind = ?",
            (PER,),
        ):
            stored.setdefault(article_id, {}).setdefault(fold(text), entity_id)
        return {doc: stored.get(article_id, {}) for doc, article_id in article_of.items()}


def _agreement(groups: list[list[tuple[str, str, int]]]) -> tuple[float, float, float, int]:
    """Same-person precision, recall, merge accuracy and the number of cross-document pairs of items
    (document, gold id, stored id), pairs counted inside each group."""
    same_gold = same_ours = same_both = pairs = 0
    for group in groups:
        by_doc = Counter(d for d, _, _ in group)
        pairs += (len(group) ** 2 - sum(c * c for c in by_doc.values())) // 2
        same_gold += _pairs(Counter(g for _, g, _ in group), Counter((d, g) for d, g, _ in group))
        same_ours += _pairs(Counter(o for _, _, o in group), Counter((d, o) for d, _, o in group))
        same_both += _pairs(Counter((g, o) for _, g, o in group), Counter(group))
    precision = same_both / same_ours if same_ours else 0.0
    recall = same_both / same_gold if same_gold else 0.0
    correct = pairs - same_gold - same_ours + 2 * same_both
    return precision, recall, correct / pairs if pairs else 0.0, pairs


def evaluate_stored_identity(path: Path, limit: int | None, workers: int = 2) -> dict[str, float]:
    rows = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                rows.append(json.loads(line))
            if limit is not None and len(rows) >= limit:
                break
    started = time.perf_counter()
    stored = asyncio.run(_ingest_and_read(rows, workers))
    items: list[tuple[str, str, int]] = []
    topic_of: dict[str, str] = {}
    gold_items = 0
    for row in rows:
        ours = stored.get(row["id"], {})
        topic_of[row["id"]] = row.get("topic") or ""
        for e in row["entities"]:
            if e["type"] != PER:
                continue
            gold_items += 1
            entity_id = ours.get(fold(e["mention"]))
            if entity_id is not None:
                items.append((row["id"], e["entity_id"], entity_id))
    print(
        f"BSNLP dev persons, read back from storage after ingesting {len(stored)} documents through the bot"
        f" ({time.perf_counter() - started:.0f} s): gold mentions stored as people {len(items)}/{gold_items}"
    )
    # BSNLP links mentions across the documents of one topic collection; some collections number their
    # entities ("1") where others name them ("PER-Donald-Trump"), so across topics gold ids disagree.
    everywhere = _agreement([items])
    topics = sorted(set(topic_of.values()))
    within = _agreement([[i for i in items if topic_of[i[0]] == t] for t in topics])
    for label, (precision, recall, accuracy, pairs) in (
        ("all cross-document pairs", everywhere),
        ("pairs within a topic", within),
    ):
        print(
            f"  {label}: same-person precision {precision:.3f} recall {recall:.3f}"
            f"; merge accuracy {accuracy:.4f} over {pairs} pairs"
        )
    for topic in topics:
        precision, recall, _, pairs = _agreement([[i for i in items if topic_of[i[0]] == topic]])
        print(f"    topic {topic or '-'}: precision {precision:.3f} recall {recall:.3f} over {pairs} pairs")
    figures = {
        "stored same-person precision": within[0],
        "stored same-person recall": within[1],
        "merge accuracy": everywhere[2],
    }
    for name, target in TARGETS.items():
        value = figures[name]
        verdict = "met" if value >= target else "NOT met"
        print(f"target {name} (within a topic) >= {target}: {value:.3f} {verdict}")
    return figures


async def ingest_hours(app: Any, rows: list[dict[str, Any]]) -> None:
    """Contest-hour rows uploaded to the bot as one .jsonl (each site its source), analysed to the end."""
    fields = ("title", "text", "url", "date", "lang")
    records = ({k: row[k] for k in fields if row.get(k)} | {"source": row.get("site")} for row in rows)
    lines = [json.dumps(record, ensure_ascii=False) for record in records]
    await app.ingest.document("hours.jsonl", "\n".join(lines).encode(), by=None)
    await app.analyzer.idle()


async def _both_hours(
    rows: list[dict[str, Any]], workers: int
) -> tuple[list[tuple[str, str, int, int]], int]:
    """Both contest hours through the bot: the people it named in both scripts (name, other name, mentions,
    articles), and how many people it stored."""
    async with scratch_bot(workers) as app:
        await ingest_hours(app, rows)
        both = await app.db.conn.execute_fetchall(
            "SELECT name, other_name, mentions, articles FROM entities"
            " WHERE kind = ? AND other_name IS NOT NULL ORDER BY mentions DESC, name",
            (PER,),
        )
        (people,) = await app.db.conn.execute_fetchall("SELECT count(*) FROM entities WHERE kind = ?", (PER,))
        return [tuple(row) for row in both], people[0]


def list_people_in_both_scripts(paths: list[Path], workers: int = 2) -> None:
    """The Russian and the English contest hour stored by one bot: which people it found named in both
    scripts ("Дональд Трамп"/"Donald Trump"). No gold links the two languages: read the list."""
    rows = [json.loads(line) for path in paths for line in path.open(encoding="utf-8")]
    began = time.monotonic()
    both, people = asyncio.run(_both_hours(rows, workers))
    print(
        f"contest hours ({len(rows)} Russian and English articles, {time.monotonic() - began:.0f} s"
        f" through the bot): {people} people stored, {len(both)} named in both scripts"
    )
    for name, other, mentions, articles in both:
        print(f"  {name} / {other}: {mentions} mentions in {articles} articles")
