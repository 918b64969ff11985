"""Story grouping and summaries on the contest hour and the crowd-marked pairs (read at run time).

Grouping runs the bot's own path: each hour is stored in a scratch database and assigned by
`bot.digest.store.assign` (the `assign_stories` DigestService runs) in the service's chunks, then read back
with StoryRepo. A pair is judged by the rule assignment applies: does the second report continue the story
the first one started (`continuation`, the score `assign_story` compares with the threshold)?"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path

from razdel import sentenize

from bot.analysis.stems import WORD_RE, stem
from bot.digest import store
from bot.digest.inputs import story_inputs
from bot.digest.service import STORY_CHUNK
from bot.digest.stories import (
    SAME_STORY,
    STOP_STEMS,
    DocumentFrequencies,
    article_features,
    continuation,
    document_frequencies,
    start_story,
)
from bot.digest.summary import Story, StoryArticle, build_story, digest_story, rank_stories
from bot.eval import corpus_path
from storage.articles import ArticleRepo, NewArticle
from storage.database import Database
from storage.stories import ArticleText, SourceReport, StoryRepo

PAIRS = "tgcontest_same_story_pairs_dev.jsonl"
HOURS = {"ru": "tg_contest2019_ru.jsonl", "en": "tg_contest2019_en.jsonl"}
BACKGROUND = (
    "tg_contest2019_ru.jsonl",
    "tg_contest2019_en.jsonl",
    "bsnlp_ru_dev.jsonl",
    "factrueval2016_dev.jsonl",
    "nerel_v1.1_dev.jsonl",
    "ods_news_sample_ru.jsonl",
)
# Stories of the hour whose reports are known by their titles: the Supreme Court closing the
# "For Human Rights" movement (ru) and the US October jobs report (en).
KNOWN_STORY = {
    "ru": ("«За права человека»", lambda title: "ликвидировал" in title and "права человека" in title),
    "en": ("US October jobs", lambda title: ("job" in title and "october" in title) or "payrolls" in title),
}


def _read(name: str) -> list[dict]:
    with corpus_path(name).open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def _background() -> DocumentFrequencies:
    """The IDF a running bot would take from its store, here from every corpus article."""
    texts = (f"{r.get('title', '')}\n{r['text']}" for name in BACKGROUND for r in _read(name))
    return document_frequencies(texts)


PAIR_TIME = datetime(2019, 11, 1, 12, tzinfo=UTC)  # the pairs carry no times: both reports are read at once


def _pair_accuracy(frequencies: DocumentFrequencies | None, threshold: float) -> tuple[float, dict, list]:
    scored = []
    for pair in _read(PAIRS):
        first = article_features(pair["first"]["title"], pair["first"]["text"], pair["lang"], frequencies)
        second = article_features(pair["second"]["title"], pair["second"]["text"], pair["lang"], frequencies)
        score = continuation(second, PAIR_TIME, start_story(first, PAIR_TIME))
        scored.append((0.0 if score is None else score, bool(pair["same_story"]), pair))
    by_lang: dict[str, list[int]] = {}
    for score, gold, pair in scored:
        by_lang.setdefault(pair["lang"], []).append(int((score >= threshold) == gold))
    correct = sum(sum(v) for v in by_lang.values())
    per_lang = {lang: sum(v) / len(v) for lang, v in by_lang.items()}
    return correct / len(scored), per_lang, scored


THRESHOLDS = tuple(round(0.05 + 0.01 * i, 2) for i in range(86))  # 0.05 … 0.90


def _best_threshold(scored: Sequence[tuple[float, bool, dict]]) -> float:
    """The threshold that judges most pairs right (the middle one of a tie, so that no edge is chosen)."""
    hits = [sum((score >= t) == gold for score, gold, _ in scored) for t in THRESHOLDS]
    best = [t for t, h in zip(THRESHOLDS, hits, strict=True) if h == max(hits)]
    return best[len(best) // 2]


def _cross_validated(
    scored: Sequence[tuple[float, bool, dict]], folds: int = 5, repeats: int = 20, one_threshold: bool = False
) -> tuple[dict[str, float], dict[str, tuple[float, float]]]:
    """Pair accuracy per language with the threshold chosen on the other folds only (k-fold, repeated over
    shuffles; each fold holds a fifth of each language's pairs): the figure to expect on pairs the threshold
    never saw. A threshold per language, or with `one_threshold` one for every language chosen on the other
    folds of all pairs together, as the bot decides (one `SAME_STORY`). Also the range of chosen thresholds,
    per language or under "all"."""
    langs = sorted({pair["lang"] for _, _, pair in scored})
    pools = {lang: ("all" if one_threshold else lang) for lang in langs}
    correct = dict.fromkeys(langs, 0)
    chosen: dict[str, list[float]] = {pool: [] for pool in pools.values()}
    for repeat in range(repeats):
        held_by_fold: list[set[int]] = [set() for _ in range(folds)]
        for lang in langs:
            order = [i for i, (_, _, pair) in enumerate(scored) if pair["lang"] == lang]
            random.Random(repeat).shuffle(order)
            for fold in range(folds):
                held_by_fold[fold].update(order[fold::folds])
        for held in held_by_fold:
            for pool in chosen:
                members = [i for i, (_, _, pair) in enumerate(scored) if pools[pair["lang"]] == pool]
                threshold = _best_threshold([scored[i] for i in members if i not in held])
                chosen[pool].append(threshold)
                for i in held.intersection(members):
                    score, gold, pair = scored[i]
                    correct[pair["lang"]] += (score >= threshold) == gold
    counts = Counter(pair["lang"] for _, _, pair in scored)
    accuracy = {lang: correct[lang] / (repeats * counts[lang]) for lang in langs}
    return accuracy, {pool: (min(values), max(values)) for pool, values in chosen.items()}


LEAD_SENTENCES = 3  # names are read from the headline and the lead, as the story vector weighs them
FEATURE_WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0)


def _capitalised_names(title: str, text: str) -> set[str]:
    """Stems of capitalised words past a sentence's first word, and acronyms, in the headline and lead."""
    found = set()
    for sentence in [title, *(s.text for s in islice(sentenize(text), LEAD_SENTENCES))]:
        for position, match in enumerate(WORD_RE.finditer(sentence)):
            raw = match.group(0)
            if not (raw[0].isupper() and len(raw) > 1 and (position > 0 or raw.isupper())):
                continue
            if (term := stem(raw.lower().replace("ё", "е"))) not in STOP_STEMS:
                found.add(term)
    return found


def _ner_names() -> tuple[Callable[[str, str], set[str]], Callable[[], float]]:
    """natasha's NER over the headline and lead: the stems of its spans' words; and its CPU ms per call."""
    from natasha import Doc, NewsEmbedding, NewsNERTagger, Segmenter

    tagger, segmenter = NewsNERTagger(NewsEmbedding()), Segmenter()
    warm = Doc("Москва и Париж.")  # the first call pays for lazy set-up: not timed
    warm.segment(segmenter)
    warm.tag_ner(tagger)
    spent = [0.0, 0]

    def names(title: str, text: str) -> set[str]:
        start = time.process_time()
        lead = " ".join(s.text for s in islice(sentenize(text), LEAD_SENTENCES))
        doc = Doc(f"{title}.\n{lead}")
        doc.segment(segmenter)
        doc.tag_ner(tagger)
        found = {stem(w.lower()) for span in doc.spans for w in WORD_RE.findall(span.text)}
        spent[0] += time.process_time() - start
        spent[1] += 1
        return found - STOP_STEMS

    return names, lambda: 1000 * spent[0] / max(1, spent[1])


def _name_overlap(a: set[str], b: set[str], frequencies: DocumentFrequencies) -> float:
    """Shared names weighed by IDF, over the smaller side's weight: 1.0 when all of one side's are shared."""
    if not a or not b:
        return 0.0
    weight = frequencies.weight
    shared = sum(weight(t) for t in a & b)
    return shared / min(sum(weight(t) for t in a), sum(weight(t) for t in b))


def _navec_similarity(frequencies: DocumentFrequencies) -> Callable[[dict, dict], float]:
    """Cosine of the IDF-weighted mean navec vectors (natasha's news embeddings) of two reports' headline
    and lead words: the same event in other words («автокатастрофа» / «ДТП») still lands close."""
    import numpy as np
    from natasha import NewsEmbedding

    embedding = NewsEmbedding()

    def mean(report: dict) -> np.ndarray | None:
        lead = " ".join(s.text for s in islice(sentenize(report["text"]), LEAD_SENTENCES))
        total, found = np.zeros(300), False
        for word in WORD_RE.findall(f"{report['title']} {lead}".lower().replace("ё", "е")):
            term = stem(word)
            if term in STOP_STEMS or (vector := embedding.get(word)) is None:
                continue
            total += frequencies.weight(term) * vector
            found = True
        return total / (np.linalg.norm(total) or 1.0) if found else None

    def similarity(first: dict, second: dict) -> float:
        a, b = mean(first), mean(second)
        return 0.0 if a is None or b is None else max(0.0, float(a @ b))

    return similarity


def _feature_cross_validated(
    scored: Sequence[tuple[float, bool, dict]],
    feature: Callable[[dict, dict], float],
    langs: Sequence[str],
    folds: int = 5,
    repeats: int = 20,
) -> dict[str, float]:
    """Pair accuracy per language of (cosine + w * feature) / (1 + w), with w and the threshold both chosen
    on the other folds (w = 0 is the cosine alone): does the feature earn its place?"""
    rows: dict[str, list[tuple[float, float, bool]]] = {}
    for score, gold, pair in scored:
        if pair["lang"] in langs:
            value = feature(pair["first"], pair["second"])
            # a template conflict (continuation None, scored 0) stays a conflict whatever the feature says
            rows.setdefault(pair["lang"], []).append((score, value if score > 0 else 0.0, gold))

    def combined(item: tuple[float, float, bool], weight: float) -> float:
        return (item[0] + weight * item[1]) / (1 + weight)

    def choose(items: Sequence[tuple[float, float, bool]]) -> tuple[float, float]:
        grid = [(w, t) for w in FEATURE_WEIGHTS for t in THRESHOLDS]
        hits = [sum((combined(x, w) >= t) == x[2] for x in items) for w, t in grid]
        best = [g for g, h in zip(grid, hits, strict=True) if h == max(hits)]
        return best[len(best) // 2]

    accuracy = {}
    for lang, items in sorted(rows.items()):
        correct = 0
        for repeat in range(repeats):
            order = list(range(len(items)))
            random.Random(repeat).shuffle(order)
            for fold in range(folds):
                held = set(order[fold::folds])
                weight, threshold = choose([items[i] for i in order if i not in held])
                correct += sum((combined(items[i], weight) >= threshold) == items[i][2] for i in held)
        accuracy[lang] = correct / (repeats * len(items))
    return accuracy


def _features_tried(scored: Sequence[tuple[float, bool, dict]], frequencies: DocumentFrequencies) -> None:
    """Features available when a story is assigned (before analysis), each cross-validated beside the
    cosine; none is used by the bot unless it raises these figures."""

    def names(extract: Callable[[str, str], set[str]]) -> Callable[[dict, dict], float]:
        return lambda a, b: _name_overlap(
            extract(a["title"], a["text"]), extract(b["title"], b["text"]), frequencies
        )

    ner, ner_cost = _ner_names()
    tried = (
        ("names: capitalised words", names(_capitalised_names), ("en", "ru")),
        ("names: natasha NER", names(ner), ("ru",)),
        ("navec mean vectors", _navec_similarity(frequencies), ("ru",)),
    )
    for label, feature, langs in tried:
        validated = _feature_cross_validated(scored, feature, langs)
        cells = ", ".join(f"{lang} {value:.3f}" for lang, value in validated.items())
        print(f"pairs, cosine + {label} of headline and lead, cross-validated (weight chosen too): {cells}")
    print(
        f"natasha NER on a headline and {LEAD_SENTENCES}-sentence lead: {ner_cost():.1f} ms CPU per article"
    )


def _threshold_sweep(scored: Sequence[tuple[float, bool, dict]]) -> str:
    cells = []
    for threshold in (0.3, 0.35, 0.4, 0.45, 0.5):
        correct = sum((score >= threshold) == gold for score, gold, _ in scored)
        cells.append(f"{threshold:.2f}:{correct / len(scored):.3f}")
    return " ".join(cells)


async def _assign_hour(
    rows: Sequence[dict], lang: str, frequencies: DocumentFrequencies | None
) -> tuple[list[list[int]], float, float, dict[str, tuple[SourceReport, ...]]]:
    """The hour stored in a scratch database in order of publication and assigned to stories as the bot
    does it, STORY_CHUNK articles at a time; the stories read back as lists of row indices, the CPU
    seconds spent on story vectors and on assignment (with its SQLite reads and writes), and each site's
    latest reports as a digest's catalog reads them after the hour (`store.source_leads`)."""
    with tempfile.TemporaryDirectory() as scratch:
        db = Database(Path(scratch) / "stories.sqlite3")
        await db.open()
        try:
            articles, stories = ArticleRepo(db), StoryRepo(db)
            row_of: dict[int, int] = {}
            texts: list[ArticleText] = []
            for i in sorted(range(len(rows)), key=lambda i: datetime.fromisoformat(rows[i]["date"])):
                r, published = rows[i], datetime.fromisoformat(rows[i]["date"])
                unique = hashlib.sha256(f"{i}\n{r['text']}".encode()).hexdigest()  # every row an article
                new = NewArticle(
                    r["title"], r["text"], published, None, r["site"], None, lang, unique, "", ""
                )
                article = (await articles.add(new, ingested_by=None)).article
                row_of[article.id] = i
                texts.append(ArticleText(article.id, r["title"], r["text"], lang, published, r["site"]))
            featured = assigned = 0.0
            for begin in range(0, len(texts), STORY_CHUNK):
                chunk = texts[begin : begin + STORY_CHUNK]
                start = time.process_time()  # reading the sources' reports is the event loop's, as assigning
                leads = await store.source_leads(stories, {t.source for t in chunk}, None)
                assigned += time.process_time() - start
                start = time.process_time()
                inputs = story_inputs(chunk, frequencies, leads)
                featured += time.process_time() - start
                start = time.process_time()
                await store.assign(stories, inputs)
                assigned += time.process_time() - start
            until = datetime.now(UTC) + timedelta(days=1)
            stored = await stories.reports(await stories.touched(None, until), until, per_story=len(rows))
            groups = [
                sorted((row_of[a.article_id] for a in story.articles), key=lambda i: (rows[i]["date"], i))
                for story in sorted(stored, key=lambda s: s.story_id)
            ]
            leads = await store.source_leads(stories, {r["site"] for r in rows if r["site"]}, None)
            return groups, featured, assigned, leads
        finally:
            await db.close()


def _hour(lang: str, frequencies: DocumentFrequencies | None, show: int) -> list[Story]:
    rows = _read(HOURS[lang])
    stories, featured, grouped, _ = asyncio.run(_assign_hour(rows, lang, frequencies))
    sizes = Counter(len(s) for s in stories)
    print(
        f"[{lang}] {len(rows)} articles -> {len(stories)} stories, {sizes[1]} singletons, "
        f"largest {max(sizes)}; features {featured:.2f}s CPU ({1000 * featured / len(rows):.1f} ms/article), "
        f"assignment {grouped * 1000:.0f} ms CPU (with its SQLite reads and writes)"
    )
    name, is_report = KNOWN_STORY[lang]
    known = {i for i, r in enumerate(rows) if is_report(" ".join(r["title"].lower().split()))}
    if known:
        holding = [s for s in stories if known & set(s)]
        largest = max(holding, key=lambda s: len(known & set(s)))
        print(
            f"[{lang}] known story {name}: {len(known & set(largest))} of {len(known)} reports "
            f"in one story (spread over {len(holding)} stories; that story has {len(largest)} articles)"
        )
    for story in sorted(stories, key=len, reverse=True)[:show]:
        sites = len({rows[i]["site"] for i in story})
        print(f"  {len(story):2d} articles / {sites:2d} sites: {rows[story[0]]['title'][:90]}")
        for i in story[1:4]:
            print(f"        {rows[i]['title'][:90]}")
    start = time.process_time()
    built = [
        build_story(
            [
                StoryArticle(
                    i,
                    rows[i]["title"],
                    rows[i]["text"],
                    rows[i]["site"],
                    datetime.fromisoformat(rows[i]["date"]),
                )
                for i in story
            ]
        )
        for story in stories
    ]
    print(
        f"[{lang}] story headlines and ranked sentences for {len(built)} stories: "
        f"{time.process_time() - start:.2f}s CPU (once per story update, shared by all chats)"
    )
    return built


def _summaries(stories: Sequence[Story], show: int) -> None:
    """Summaries of the largest stories, then again for a chat that already got the first summary."""
    now = max(s.last_published for s in stories)
    big = [s for s in rank_stories(stories, now) if len(s.sources) >= 3][: max(show, 3)]
    repeated = total = 0
    for story in big:
        first = digest_story(story).summary
        second = digest_story(story, already_sent=first).summary
        total += len(second)
        repeated += len(set(first) & set(second))
        print(f"* {story.headline} ({len(story.sources)} sources)")
        for sentence in first:
            print(f"    - {sentence[:160]}")
        print("  after the chat got that:")
        for sentence in second:
            print(f"    + {sentence[:160]}")
    print(f"novelty: {repeated} of {total} follow-up summary sentences repeat the first summary")


def _composition(stories: Sequence[Story], digests: int) -> None:
    """Digests for many chats with distinct topic filters: rank the chat's stories, summarise the top."""
    chooser = random.Random(7)
    now = max(s.last_published for s in stories)
    sent_before: dict[int, tuple[str, ...]] = {id(s): digest_story(s).summary for s in stories}
    start = time.process_time()
    entries = 0
    for _ in range(digests):
        matching = chooser.sample(stories, 30)  # stands in for the chat's topic filter
        for story in rank_stories(matching, now)[:8]:
            already = sent_before[id(story)] if chooser.random() < 0.5 else ()
            entries += len(digest_story(story, already).summary) > 0
    spent = time.process_time() - start
    print(f"composed {digests} digests ({entries} story entries) in {spent:.2f}s CPU")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.eval stories")
    parser.add_argument(
        "--threshold",
        type=float,
        default=SAME_STORY,
        help="for the pairs; the hour is grouped as the bot does",
    )
    parser.add_argument("--show", type=int, default=0, help="print the N largest stories of each hour")
    parser.add_argument("--digests", type=int, default=10_000, help="digests to compose in the timing run")
    parser.add_argument("--errors", action="store_true", help="print misjudged pairs")
    parser.add_argument(
        "--features", action="store_true", help="cross-validate names and navec beside the cosine (pairs)"
    )
    args = parser.parse_args(argv)
    if not corpus_path(PAIRS).exists():
        print(f"corpora not found at {corpus_path(PAIRS).parent}: nothing to evaluate")
        return 0
    start = time.process_time()
    frequencies = _background()
    print(f"IDF from {frequencies.documents} corpus articles in {time.process_time() - start:.2f}s CPU")
    for label, freq in (("with IDF", frequencies), ("no IDF (empty store)", None)):
        accuracy, per_lang, scored = _pair_accuracy(freq, args.threshold)
        langs = ", ".join(f"{lang} {value:.3f}" for lang, value in sorted(per_lang.items()))
        sweep = _threshold_sweep(scored)
        print(f"pairs {label}: accuracy {accuracy:.3f} at {args.threshold} ({langs}); by threshold {sweep}")
        validated, chosen = _cross_validated(scored)
        cells = ", ".join(
            f"{lang} {value:.3f} (thresholds chosen {chosen[lang][0]:.2f}–{chosen[lang][1]:.2f})"
            for lang, value in validated.items()
        )
        print(f"pairs {label}, cross-validated (5 folds x 20 shuffles, threshold chosen on 4 folds): {cells}")
        one, chosen_one = _cross_validated(scored, one_threshold=True)
        (low, high) = chosen_one["all"]
        cells = ", ".join(f"{lang} {value:.3f}" for lang, value in one.items())
        print(
            f"pairs {label}, cross-validated with one threshold for both languages, as the bot decides:"
            f" {cells} (thresholds chosen {low:.2f}–{high:.2f})"
        )
        if args.features and freq is not None:
            _features_tried(scored, freq)
        if args.errors and freq is not None:
            for score, gold, pair in sorted(scored, key=lambda s: s[0]):
                if (score >= args.threshold) != gold:
                    titles = f"{pair['first']['title'][:50]} || {pair['second']['title'][:50]}"
                    print(f"   {score:.2f} gold={gold} {titles}")
    stories: list[Story] = []
    for lang in HOURS:
        stories += _hour(lang, frequencies, args.show)
    _summaries(stories, args.show)
    _composition(stories, args.digests)
    return 0
