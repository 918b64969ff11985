"""Digest summaries against the publisher's own description of each article (ROUGE F, read at run time).

Every system is scored with the same tokens: lower-cased words, ё read as е. ROUGE is written out
here (a few lines) because `rouge-score` drops non-Latin letters unless given a tokenizer of its own.
The summariser's length budget is chosen by k-fold cross-validation over the items, and the figure
printed for it is the held-out one, so it says what unseen articles will get.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import product

from razdel import sentenize

from bot.digest.compose import StoryMaterial, build_catalog
from bot.digest.summary import MAX_CHARS, MAX_SENTENCES, StoryArticle, digest_story, summarize
from bot.eval import corpus_path
from storage.stories import SourceReport

CORPORA = {"ru": "tg_contest2019_ru.jsonl", "en": "tg_contest2019_en.jsonl"}
FOLDS = 5
# The length budgets cross-validation chooses from: sentences at most, characters at most.
SENTENCE_GRID = (1, 2, 3)
CHAR_GRID = (200, 250, 300, 350, 400, 600)
_WORD = re.compile(r"\w+")


def tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("ё", "е"))


def _ngrams(words: Sequence[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def _f1(overlap: int, candidate: int, reference: int) -> float:
    if not overlap:
        return 0.0
    precision, recall = overlap / candidate, overlap / reference
    return 2 * precision * recall / (precision + recall)


def _lcs(a: Sequence[str], b: Sequence[str]) -> int:
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b):
            current.append(previous[j] + 1 if x == y else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1]


def rouge(candidate: str, reference: str) -> tuple[float, float, float]:
    """ROUGE-1, ROUGE-2 and ROUGE-L F1 of one summary against one reference."""
    c, r = tokens(candidate), tokens(reference)
    scores = []
    for n in (1, 2):
        cn, rn = _ngrams(c, n), _ngrams(r, n)
        scores.append(_f1(sum((cn & rn).values()), sum(cn.values()), sum(rn.values())))
    scores.append(_f1(_lcs(c, r), len(c), len(r)))
    return scores[0], scores[1], scores[2]


@dataclass(frozen=True)
class Item:
    title: str
    text: str
    description: str
    sentences: tuple[str, ...]  # the raw text's sentences, for the lead baselines
    copied: bool  # the description is a stretch of the text, not written apart from it
    site: str = ""


def _normal(text: str) -> str:
    return " ".join(tokens(text))


def dev_set(name: str) -> tuple[list[Item], Counter[str]]:
    """Articles whose description is more than the title or the first sentence (or a prefix of them)."""
    items: list[Item] = []
    left_out: Counter[str] = Counter()
    with corpus_path(name).open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            description = " ".join((row.get("description") or "").split())
            sentences = tuple(" ".join(s.text.split()) for s in sentenize(row.get("text") or ""))
            wanted = _normal(description)
            if not wanted or not sentences:
                left_out["no description or text"] += 1
            elif _normal(row["title"]).startswith(wanted):
                left_out["description = title or its prefix"] += 1
            elif _normal(sentences[0]).startswith(wanted):
                left_out["description = first sentence or its prefix"] += 1
            else:
                copied = _normal(description.rstrip(".… ")) in _normal(row["text"])
                items.append(
                    Item(
                        row["title"],
                        row["text"],
                        description,
                        sentences,
                        copied,
                        row.get("site") or "",
                    )
                )
    return items, left_out


System = Callable[[Item], str]
Scores = tuple[float, float, float]


def _lead(k: int) -> System:
    return lambda item: " ".join(item.sentences[:k])


def _lead_within(k: int, max_chars: int) -> System:
    """Lead-k under the digest's own limit: the first sentence always, the next ones while they fit,
    as `summarize` does. Beside the unlimited Lead-k, it tells choosing sentences from having room."""

    def lead(item: Item) -> str:
        chosen: list[str] = []
        length = 0
        for sentence in item.sentences[:k]:
            if chosen and length + len(sentence) > max_chars:
                break
            chosen.append(sentence)
            length += len(sentence) + 1
        return " ".join(chosen)

    return lead


def _random(k: int, seed: int = 13) -> System:
    chooser = random.Random(seed)

    def pick(item: Item) -> str:
        chosen = sorted(chooser.sample(range(len(item.sentences)), min(k, len(item.sentences))))
        return " ".join(item.sentences[i] for i in chosen)

    return pick


def _mean(scores: Sequence[tuple[float, float, float]]) -> tuple[float, float, float]:
    n = len(scores) or 1
    return (
        100 * sum(s[0] for s in scores) / n,
        100 * sum(s[1] for s in scores) / n,
        100 * sum(s[2] for s in scores) / n,
    )


def _row(name: str, scores: Sequence[Scores], apart: Sequence[bool], note: str = "") -> str:
    """Means over all items, then over the items whose description was written apart from the text."""
    every, written = _mean(scores), _mean([s for s, a in zip(scores, apart, strict=True) if a])
    cells = " ".join(f"{x:5.1f}" for x in (*every, *written))
    return f"  {name:<34} {cells}  {note}".rstrip()


def _cross_validated(
    grid_scores: dict[tuple[int, int], list[Scores]], n: int, folds: int
) -> tuple[list[Scores], Counter[tuple[int, int]]]:
    """Per item, the score of the budget chosen on the other folds (best mean of R-1+R-2+R-L there)."""
    order = list(range(n))
    random.Random(2019).shuffle(order)
    held_out: list[Scores] = [(0.0, 0.0, 0.0)] * n
    chosen: Counter[tuple[int, int]] = Counter()
    for fold in range(folds):
        test = set(order[fold::folds])

        def train_score(budget: tuple[int, int], test: set[int] = test) -> float:
            return sum(sum(s) for i, s in enumerate(grid_scores[budget]) if i not in test)

        best = max(sorted(grid_scores), key=train_score)
        chosen[best] += 1
        for i in test:
            held_out[i] = grid_scores[best][i]
    return held_out, chosen


def _site_leads(lang: str) -> dict[str, tuple[SourceReport, ...]]:
    """What the digest reads each site's boilerplate from: the hour stored and assigned to stories as
    `bot.eval stories` does it, then each site's latest reports read back as the catalog reads them."""
    from bot.eval.stories import _assign_hour, _background

    with corpus_path(CORPORA[lang]).open(encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines]
    return asyncio.run(_assign_hour(rows, lang, _background()))[3]


def evaluate(lang: str, folds: int, show: int) -> None:
    items, left_out = dev_set(CORPORA[lang])
    reasons = ", ".join(f"{reason} {count}" for reason, count in left_out.most_common())
    print(f"[{lang}] {len(items)} items used, {sum(left_out.values())} left out ({reasons})")
    if not items:
        return
    leads = _site_leads(lang)
    start = time.process_time()
    until = datetime(2019, 11, 1, 13, tzinfo=UTC)
    materials = [
        StoryMaterial(i, (StoryArticle(i, item.title, item.text, item.site, until),), until)
        for i, item in enumerate(items)
    ]
    catalog = {c.story_id: c.story for c in build_catalog(materials, until, None, leads).stories}
    stories = [catalog[i] for i in range(len(items))]
    built = time.process_time() - start
    shipped = [" ".join(digest_story(story).summary) for story in stories]
    grid: dict[tuple[int, int], list[Scores]] = {}
    for budget in product(SENTENCE_GRID, CHAR_GRID):
        grid[budget] = [
            rouge(" ".join(summarize(story.sentences, (), *budget)), item.description)
            for story, item in zip(stories, items, strict=True)
        ]
    held_out, chosen = _cross_validated(grid, len(items), folds)
    picks = ", ".join(f"{k}×({s} sentences, {c} chars)" for (s, c), k in sorted(chosen.items()))
    everywhere = max(sorted(grid), key=lambda budget: sum(sum(s) for s in grid[budget]))
    apart = [not item.copied for item in items]
    print(f"  {'':<34} {'all items':^17} {f'{sum(apart)} written apart':^17}")
    print(f"  {'system':<34} {'R-1':>5} {'R-2':>5} {'R-L':>5} {'R-1':>5} {'R-2':>5} {'R-L':>5}")
    print(_row(f"ours, {folds}-fold cross-validated", held_out, apart, f"budgets chosen per fold: {picks}"))
    shipped_scores = [rouge(s, i.description) for s, i in zip(shipped, items, strict=True)]
    note = f"{MAX_SENTENCES} sentences, {MAX_CHARS} chars; all items choose {everywhere[0]}, {everywhere[1]}"
    print(_row("ours as the digest shows it", shipped_scores, apart, note))
    for name, system in (
        ("Lead-1", _lead(1)),
        ("Lead-2", _lead(2)),
        ("Lead-3", _lead(3)),
        (f"Lead-2 within {MAX_CHARS} chars", _lead_within(2, MAX_CHARS)),
        ("random 2 sentences", _random(2)),
    ):
        print(_row(name, [rouge(system(item), item.description) for item in items], apart))
    words = sum(len(tokens(s)) for s in shipped) / len(items)
    reference = sum(len(tokens(i.description)) for i in items) / len(items)
    print(
        f"  mean length: ours {words:.1f} words, description {reference:.1f} words; "
        f"story building {1000 * built / len(items):.1f} ms CPU per article"
    )
    for summary, item in list(zip(shipped, items, strict=True))[:show]:
        print(f"* {item.title[:100]}\n    ours: {summary[:300]}\n    desc: {item.description[:300]}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.eval summaries")
    parser.add_argument("--folds", type=int, default=FOLDS)
    parser.add_argument("--show", type=int, default=0, help="print N summaries beside the description")
    parser.add_argument("--lang", choices=sorted(CORPORA), action="append", help="default: both")
    args = parser.parse_args(argv)
    if not corpus_path(CORPORA["ru"]).exists():
        print(f"corpora not found at {corpus_path(CORPORA['ru']).parent}: nothing to evaluate")
        return 0
    for lang in args.lang or ("ru", "en"):
        evaluate(lang, args.folds, args.show)
    return 0
