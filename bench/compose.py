"""Composing many digests with distinct topic filters from one catalog: CPU and memory as the count grows.

    .venv/bin/python -m bench.compose --chats 1000 5000 10000 --stories 300

Stories are synthetic: reports made of words of the project's seed article, each story with a
vocabulary of its own, so topic filters match some stories and not others, as in real use. The
figures cover what a digest run does per chat apart from SQLite: select the chat's stories, summarise
them for what is new to it (a third of the chats were sent earlier summaries), render the HTML parts.
The catalog line includes reading each source's boilerplate from its latest reports (five of the 40
sources open every report with the same sentence).
"""

from __future__ import annotations

import argparse
import random
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.analysis.stems import words
from bot.digest import boilerplate
from bot.digest.compose import Catalog, Composer, DigestRequest, StoryMaterial, build_catalog, parse_topics
from bot.digest.summary import StoryArticle
from bot.telegram import replies
from bot.telegram.i18n import create_i18n
from storage.stories import SourceReport

SEED = Path(__file__).resolve().parents[1] / "seeds" / "000_b4e76c9b5e787165.txt"
NOW = datetime(2025, 11, 26, 9, 0, tzinfo=UTC)


def vocabulary() -> list[str]:
    found = [w for w in dict.fromkeys(words(SEED.read_text(encoding="utf-8"))) if len(w) > 3 and w.isalpha()]
    return found or [f"слово{n}" for n in range(500)]


def synthetic_stories(count: int, vocab: list[str], chooser: random.Random) -> list[StoryMaterial]:
    materials = []
    for story_id in range(1, count + 1):
        own = chooser.sample(vocab, min(25, len(vocab)))
        reports = []
        for n in range(chooser.randint(1, 4)):
            sentences = [
                " ".join(
                    chooser.choice(own if chooser.random() < 0.7 else vocab) for _ in range(12)
                ).capitalize()
                + "."
                for _ in range(8)
            ]
            source = chooser.randint(1, 40)
            if source <= 5:  # these open every report with their boilerplate, which digests leave out
                sentences.insert(0, f"Источник {source} собирает для вас все новости дня в одном месте.")
            reports.append(
                StoryArticle(
                    article_id=story_id * 10 + n,
                    title=" ".join(own[:6]).capitalize(),
                    text=" ".join(sentences),
                    source=f"Источник {source}",
                    published=NOW - timedelta(hours=chooser.uniform(0, 30)),
                )
            )
        last = max(r.published for r in reports)
        materials.append(
            StoryMaterial(
                story_id,
                tuple(reports),
                last,
                ((reports[0].source, "https://e.org/"),),
                "en" if story_id % 4 == 0 else "ru",  # a quarter in another language
            )
        )
    return materials


def source_leads(materials: list[StoryMaterial]) -> dict[str, list[SourceReport]]:
    """What the service reads for the catalog (StoryRepo.source_leads): each source's latest reports."""
    by_source: dict[str, list[tuple[datetime, SourceReport]]] = {}
    for material in materials:
        for report in material.articles:
            opening = report.text[: boilerplate.OPENING_CHARS]
            by_source.setdefault(report.source, []).append(
                (report.published, SourceReport(material.story_id, report.title, opening))
            )
    return {
        source: [r for _, r in sorted(reports, key=lambda x: x[0], reverse=True)][
            : boilerplate.SOURCE_REPORTS
        ]
        for source, reports in by_source.items()
    }


def requests(count: int, catalog: Catalog, vocab: list[str], chooser: random.Random) -> list[DigestRequest]:
    made = []
    for key in range(count):
        parts = [" ".join(chooser.sample(vocab, chooser.randint(1, 2))) for _ in range(chooser.randint(0, 3))]
        if chooser.random() < 0.3:
            parts.append("-" + chooser.choice(vocab))
        topics, _, _ = parse_topics(", ".join(parts))
        already: dict[int, tuple[str, ...]] = {}
        if chooser.random() < 0.33:
            for item in chooser.sample(catalog.stories, min(10, len(catalog.stories))):
                already[item.story_id] = item.story.sentences.sentences[:2]
        language = "en" if chooser.random() < 0.2 else "ru"  # chats read their own language first
        made.append(DigestRequest(key, NOW - timedelta(hours=24), topics, already, language))
    return made


def compose_all(catalog: Catalog, batch: list[DigestRequest], zone: ZoneInfo) -> tuple[int, int]:
    """Compose and render every digest, keeping none: a run streams them to the sender."""
    composer = Composer(catalog)
    entries = parts = 0
    for request in batch:
        composed = composer.compose(request)
        entries += len(composed.entries)
        if not composed.empty:
            parts += len(replies.digest.digest(composed, NOW, zone))
    return entries, parts


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.compose")
    parser.add_argument("--chats", type=int, nargs="+", default=[1000, 5000, 10_000])
    parser.add_argument("--stories", type=int, default=300)
    args = parser.parse_args()
    chooser = random.Random(5)
    vocab = vocabulary()
    materials = synthetic_stories(args.stories, vocab, chooser)
    leads = source_leads(materials)
    start = time.process_time()
    catalog = build_catalog(materials, NOW, None, leads)
    spent = time.process_time() - start
    print(
        f"catalog: {len(catalog.stories)} stories built and ranked in {spent:.2f}s CPU, "
        f"with the boilerplate of {len(leads)} sources read from {sum(map(len, leads.values()))} reports"
    )
    i18n = create_i18n()
    zone = ZoneInfo("Europe/Moscow")
    for count in args.chats:
        batch = requests(count, catalog, vocab, chooser)
        with i18n.context(), i18n.use_locale("ru"):
            start = time.process_time()
            entries, parts = compose_all(catalog, batch, zone)
            spent = time.process_time() - start
            tracemalloc.start()  # a second pass, traced: tracing slows the first one down
            compose_all(catalog, batch, zone)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        print(
            f"{count:>6} digests: {spent:6.2f}s CPU ({spent / count * 1000:.2f} ms each), "
            f"{entries} story entries, {parts} messages, peak traced memory {peak / 1e6:.1f} MB"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
