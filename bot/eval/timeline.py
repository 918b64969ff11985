"""python -m bot.eval timeline: time-expression detection on NEREL, events on BSNLP.

NEREL gold: DATE entities that name a point or span on the calendar. NEREL also tags durations,
ages and frequencies as DATE ("два года", "23-летний", "каждые три года"); those are gold
*negatives* (detecting one is a false positive). DATE mentions with no calendar anchor ("в юности",
"в настоящее время", "недавно") and COVID-19's "19" are neither: ignored both ways, as are predictions
overlapping a TIME entity ("утром 4 марта" is tagged TIME, not DATE). The POINT_IN_TIME relation is not
used as the filter: it links only dates attached to an annotated event (228 of 527), not all points.
A prediction and a gold span match when their character spans overlap. NEREL documents carry no
publication date, so resolution is not scored there, only detection (reference date 2020-01-01).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import inspect
import json
import random
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bot.analysis.events import Event, extract_events
from bot.analysis.service import Analyzer
from bot.analysis.timeexpr import RU_MONTH_FORMS, find_time_exprs
from bot.eval import corpus_path
from bot.timeline.merge import ArticleEvents
from bot.timeline.service import merge_articles
from storage.database import Database
from storage.events import EventRepo, StoredEvent

REFERENCE_DATE = dt.date(2020, 1, 1)

_MONTHS = "|".join(sorted(RU_MONTH_FORMS, key=len, reverse=True))
# A calendar anchor: a month, a year, a decade, a weekday, a season, a deictic or counted-from-now word.
_ANCHOR_RE = re.compile(
    rf"(?:{_MONTHS}|янв|фев|мар|апр|июн|июл|авг|сен|окт|ноя|дек)|\d{{4}}|\d0-|\d\.\d|девяност|восьмидесят"
    r"|понедельник|вторник|сред[уа]|четверг|пятниц|суббот|воскресень|весн|летом|лето |осен|зим"
    r"|сегодня|вчера|завтра|назад|через|спустя|ранее|позже|следующ|прошл|минувш|этом|этой|этого|том|того|тот"
    r"|текущ|выходн|нынешн",
    re.IGNORECASE,
)
# Durations, ages and frequencies: a unit of time with no anchor, or one of these markers.
_DURATION_RE = re.compile(
    r"(?:год|лет|месяц|недел|дн[яеи]|дней|день|сут[окки]|десятилет|век|полвека|час)", re.IGNORECASE
)
_FREQUENCY_OR_AGE_RE = re.compile(r"летн|кажд|ежегод|последн|в течени|на протяжении", re.IGNORECASE)


# No calendar anchor, nor a duration: a vague reference ("в юности", "на днях", "за день до").
_VAGUE_RE = re.compile(
    r"настоящ|юност|преддвери|эпох|недавно|на днях|разные годы|^в годы$|первый вечер|второй день|за день до",
    re.IGNORECASE,
)


def gold_class(text: str) -> str:
    """'point', 'negative' (duration, age, frequency) or 'ignored' for one NEREL DATE mention."""
    if re.fullmatch(r"\d{1,2}", text.strip()) or _VAGUE_RE.search(text.strip()):
        return "ignored"  # the "19" of COVID-19, and vague references
    if _FREQUENCY_OR_AGE_RE.search(text):
        return "negative"
    if _ANCHOR_RE.search(text):
        return "point"
    if _DURATION_RE.search(text):
        return "negative"
    return "ignored"


def _records(name: str) -> Iterator[dict[str, Any]]:
    with corpus_path(name).open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def nerel_detection(verbose: bool = False) -> dict[str, float | int]:
    """Recall and precision of time-expression detection against NEREL dev DATE points."""
    counts: Counter[str] = Counter()
    documents = 0
    misses: list[str] = []
    false: list[str] = []
    for record in _records("nerel_v1.1_dev.jsonl"):
        documents += 1
        text = record["text"]
        gold = {"point": [], "negative": [], "ignored": []}
        for entity in record["entities"]:
            if entity["type"] == "DATE":
                gold[gold_class(entity["text"])].append((entity["start"], entity["end"], entity["text"]))
            elif entity["type"] == "TIME":
                gold["ignored"].append((entity["start"], entity["end"], entity["text"]))
        predicted = find_time_exprs(text, REFERENCE_DATE, "ru")
        spans = [(p.start, p.stop) for p in predicted]
        for start, end, gold_text in gold["point"]:
            counts["gold_points"] += 1
            if any(_overlaps((start, end), s) for s in spans):
                counts["found"] += 1
            else:
                misses.append(f"{gold_text!r}  …{text[max(0, start - 40) : end + 30]!r}")
        counts["gold_negative"] += len(gold["negative"])
        counts["gold_ignored_dates"] += sum(1 for g in gold["ignored"] if not g[2].strip().isdigit())
        for p in predicted:
            span = (p.start, p.stop)
            if any(_overlaps(span, g[:2]) for g in gold["point"]):
                counts["pred_correct"] += 1
            elif any(_overlaps(span, g[:2]) for g in gold["ignored"]):
                counts["pred_ignored"] += 1
            else:
                counts["pred_wrong"] += 1
                false.append(f"{p.text!r}  …{text[max(0, p.start - 40) : p.stop + 30]!r}")
    recall = counts["found"] / max(counts["gold_points"], 1)
    judged = counts["pred_correct"] + counts["pred_wrong"]
    precision = counts["pred_correct"] / max(judged, 1)
    if verbose:
        print("misses:", *misses, sep="\n  ")
        print("false positives:", *false, sep="\n  ")
    return {
        "documents": documents,
        "gold points": counts["gold_points"],
        "gold negatives": counts["gold_negative"],
        "gold ignored": counts["gold_ignored_dates"],
        "predicted": judged + counts["pred_ignored"],
        "recall": recall,
        "precision": precision,
    }


def _entity_spans(text: str, entities: list[dict]) -> list[tuple[int, int, str]]:
    """BSNLP gold gives mentions without offsets: every occurrence of a mention string is a span."""
    spans = []
    for entity in entities:
        mention = entity.get("mention") or ""
        if len(mention) < 2:
            continue
        for m in re.finditer(re.escape(mention), text):
            spans.append((m.start(), m.end(), str(entity.get("entity_id") or entity.get("base_form"))))
    return spans


# Articles per transaction, as the Analyzer hands its batches to the timeline (bot/pipeline.py).
ANALYZER_BATCH: int = inspect.signature(Analyzer.__init__).parameters["batch_size"].default


async def _stored_events(articles: list[ArticleEvents]) -> list[StoredEvent]:
    """The articles' events merged as the bot merges them (bot.timeline.service.merge_articles, a batch of
    the Analyzer's size per transaction) into an empty database, and read back as /timeline reads them."""
    db = Database(Path(":memory:"))
    await db.open()
    try:
        # Only events are stored here, not the articles they cite: the reports' article ids name none.
        await db.conn.execute("PRAGMA foreign_keys=OFF")
        repo = EventRepo(db)
        for start in range(0, len(articles), ANALYZER_BATCH):
            async with db.transaction() as conn:
                await merge_articles(repo, conn, articles[start : start + ANALYZER_BATCH])
        return await repo.between(dt.date(1, 1, 1), dt.date(9999, 12, 30), limit=1_000_000)
    finally:
        await db.close()


def bsnlp_events(topic: str) -> dict[str, int]:
    """Events from one BSNLP topic (its articles carry dates) and how many merge across articles, through
    the bot's own merge: the topic's articles in corpus order, as if analysed one after another."""
    tagged: list[tuple[int, Event]] = []
    articles: list[ArticleEvents] = []
    entity_ids: dict[str, int] = {}  # the gold entities stand for stored ones
    documents = 0
    for record in _records("bsnlp_ru_dev.jsonl"):
        if record.get("topic") != topic or not record.get("date"):
            continue
        documents += 1
        published = dt.date.fromisoformat(record["date"][:10])
        body = record["text"]
        title = record.get("title") or ""
        spans = _entity_spans(body, record.get("entities", []))
        events = extract_events(title, body, published, "ru", spans)
        tagged.extend((documents, e) for e in events)
        keys = {k for e in events for k in e.participants}
        ids = {k: entity_ids.setdefault(k, len(entity_ids) + 1) for k in sorted(keys)}
        articles.append(ArticleEvents(documents, title, tuple(events), ids))
    merged = asyncio.run(_stored_events(articles))
    body_events = [e for _, e in tagged if not e.headline]
    by_granularity = Counter(e.granularity for e in body_events)
    return {
        "documents": documents,
        "events": len(tagged),
        "  headlines": len(tagged) - len(body_events),
        "  from the text": len(body_events),
        "    day": by_granularity["day"] + by_granularity["week"],
        "    month": by_granularity["month"] + by_granularity["part_of_month"],
        "    year": sum(by_granularity[g] for g in ("year", "part_of_year", "season", "decade")),
        "    explicit span": by_granularity["range"],
        "    with participants": sum(1 for e in body_events if e.participants),
        "merged events": len(merged),
        "  multi-source": sum(1 for m in merged if m.source_count > 1),
        "  largest (sources)": max((m.source_count for m in merged), default=0),
    }


# Dated corpora whose articles carry their publication date: where the timeline's dates land.
DATED = (
    ("bsnlp_ru_dev.jsonl", "ru"),
    ("ods_news_sample_ru.jsonl", "ru"),
    ("tg_contest2019_ru.jsonl", "ru"),
    ("tg_contest2019_en.jsonl", "en"),
    ("conll2003_en_dev.jsonl", "en"),
)
# Past this many days after publication an event is a long-range projection, or a misread date.
PLAUSIBLE_AHEAD = dt.timedelta(days=2 * 366)
EARLIEST_PLAUSIBLE = dt.date(1900, 1, 1)


def dating_plausibility(sample: int) -> list[tuple[str, dict[str, int], list[str]]]:
    """Per corpus: body events, how many are dated after their article's day, how many fall outside the
    plausible range (more than two years ahead, or before 1900), and a sample of those to read."""
    rows = []
    for name, lang in DATED:
        if not corpus_path(name).exists():
            continue
        counts: Counter[str] = Counter()
        odd: list[str] = []
        for record in _records(name):
            if not record.get("date"):
                continue
            published = dt.date.fromisoformat(record["date"][:10])
            counts["articles"] += 1
            for event in extract_events(record.get("title") or "", record["text"], published, lang):
                if event.headline:
                    continue
                counts["events"] += 1
                if event.begin > published:
                    counts["after publication"] += 1
                if event.begin > published + PLAUSIBLE_AHEAD or event.end < EARLIEST_PLAUSIBLE:
                    counts["outside plausible range"] += 1
                    odd.append(f"{published} → {event.begin}..{event.end}: {event.text[:110]}")
        random.Random(3).shuffle(odd)
        rows.append((name, dict(counts), odd[:sample]))
    return rows


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.eval timeline")
    parser.add_argument("--verbose", action="store_true", help="list NEREL misses and false positives")
    parser.add_argument("--sample", type=int, default=8, help="implausibly dated events to print per corpus")
    args = parser.parse_args(argv)
    missing = [n for n in ("nerel_v1.1_dev.jsonl", "bsnlp_ru_dev.jsonl") if not Path(corpus_path(n)).exists()]
    if missing:
        print(f"corpora not found ({', '.join(missing)} under {corpus_path('')}): nothing to evaluate")
        return 0
    nerel = nerel_detection(args.verbose)
    print("NEREL dev, time-expression detection (span overlap, reference date 2020-01-01)")
    for key, value in nerel.items():
        print(f"  {key:<22} {value:.3f}" if isinstance(value, float) else f"  {key:<22} {value}")
    topics = ("ryanair", "brexit")
    figures = [bsnlp_events(topic) for topic in topics]
    print(f"BSNLP dev events         {topics[0]:>8} {topics[1]:>8}")
    for key in figures[0]:
        print(f"  {key:<22} {figures[0][key]:>8} {figures[1][key]:>8}")
    print("Event dates against publication (body events; plausible: up to 2 years ahead, from 1900)")
    for name, counts, odd in dating_plausibility(args.sample):
        events = max(counts.get("events", 0), 1)
        after = counts.get("after publication", 0)
        outside = counts.get("outside plausible range", 0)
        print(
            f"  {name:<26} articles {counts.get('articles', 0):>4}  events {counts.get('events', 0):>5}  "
            f"after publication {after:>4} ({after / events:.1%})  outside plausible range {outside:>3}"
        )
        for line in odd:
            print(f"      {line}")
    return 0
