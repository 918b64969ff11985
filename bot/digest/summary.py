"""What a reader sees of a story: headline, a short extractive summary of what is new, people, sources.

The chat-independent part (`Story`: headline, sentences ranked by TextRank) is built once per story
update; per chat only `summarize` runs, a greedy MMR over a dozen precomputed candidates, so
composing thousands of digests costs microseconds per story.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice

import numpy as np
from razdel import sentenize

from bot.analysis.stems import words
from bot.digest.stories import content_stems, cosine

CANDIDATES = 12
SENTENCES_PER_ARTICLE = 15
# Two sentences this similar say the same thing (rewrites of one agency line): one is kept.
DUPLICATE = 0.5
# A candidate this close to a sentence the chat already got, or to one already chosen, restates it.
RESTATES = 0.4
# MMR trade-off between centrality and novelty (Carbonell & Goldstein).
RELEVANCE = 0.5
DAMPING = 0.85
MIN_WORDS, MAX_WORDS = 6, 60
# Bylines, photo credits and calls to subscribe are in every article and never news.
_BOILERPLATE = re.compile(
    r"(фото|photo|видео|video|источник|читайте|подпис|subscribe|reuters/|getty|image|©|https?://|www\.|@)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class RankedSentences:
    """A story's best distinct sentences, most central first, with what novelty checks need."""

    sentences: tuple[str, ...]
    scores: tuple[float, ...]  # centrality, the best one 1.0
    # TF-IDF with IDF over the story's own sentences: the words every report repeats (the bridge,
    # the city) say nothing new, so overlap on them alone does not make a sentence old news.
    vectors: tuple[Mapping[str, float], ...] = field(hash=False)
    overlap: tuple[tuple[float, ...], ...]  # cosine between candidates
    term_weights: Mapping[str, float] = field(hash=False)  # IDF of the candidates' terms
    unknown_weight: float = 1.0  # IDF of a term no candidate uses

    def vector_of(self, sentence: str) -> Mapping[str, float]:
        """The vector of a sentence sent earlier: looked up when it came from this story, else computed."""
        try:
            return self.vectors[self.sentences.index(sentence)]
        except ValueError:
            counts = Counter(content_stems(sentence))
            return _vector(counts, {t: self.term_weights.get(t, self.unknown_weight) for t in counts})


def _vector(counts: Mapping[str, int], weights: Mapping[str, float] | None = None) -> dict[str, float]:
    raw = {t: (1.0 + math.log(c)) * (weights[t] if weights else 1.0) for t, c in counts.items()}
    norm = math.sqrt(sum(w * w for w in raw.values())) or 1.0
    return {t: w / norm for t, w in raw.items()}


# Wire-style datelines ("WASHINGTON:", "INTERFAX.RU -", "МОСКВА, 1 ноя — РИА Новости.") name the desk,
# not the news; five capitals at least, so that "США — крупнейший..." keeps its subject.
_DATELINE = re.compile(
    r"^(?:[A-ZА-ЯЁ][A-ZА-ЯЁ.]{4,}(?:\s[A-ZА-ЯЁ.]+)*|(?:[A-Z]{3,}(?:\s[A-Z]+)*\s)?\([^)]{1,20}\))"
    r"(?:,[^,:—–-]{1,25}\s*[—–-]\s*[^.:]{1,25}\.\s+|\s*(?:[:—–]|-\s)\s*)"
)


def _without_dateline(sentence: str) -> str:
    stripped = _DATELINE.sub("", sentence, count=1)
    return stripped[:1].upper() + stripped[1:] if stripped else sentence


def _newsworthy(sentence: str) -> bool:
    """Sentences a reader can take alone: whole statements of reasonable length, not captions.

    A sentence with an unclosed quotation mark is a piece of a quote the splitter cut inside; one
    without final punctuation is a caption, a list item or a run of related links.
    """
    n = len(words(sentence))
    return (
        MIN_WORDS <= n <= MAX_WORDS
        and sentence.endswith((".", "!", "…", "»", '"', "”", "’", "'"))
        and not sentence.startswith(("•", "|", "-", "—", "*", "("))
        and not _BOILERPLATE.search(sentence)
        and sentence.count("«") == sentence.count("»")
        and sentence.count('"') % 2 == 0
        and sentence.count("“") == sentence.count("”")
    )


def rank_sentences(articles: Sequence[tuple[str, str]], candidates: int = CANDIDATES) -> RankedSentences:
    """TextRank over the sentences of a story's articles, biased towards each article's lead.

    Rewrites of one event repeat its core facts, so sentences similar to many others are central;
    the random jump favours early sentences, since news puts the event first (inverted pyramid).
    """
    texts: list[str] = []
    positions: list[int] = []
    bags: list[Counter[str]] = []
    for _, text in articles:
        for position, piece in enumerate(islice(sentenize(text), SENTENCES_PER_ARTICLE)):
            sentence = _without_dateline(" ".join(piece.text.split()))
            bag = Counter(content_stems(sentence))
            if _newsworthy(sentence) and bag:
                texts.append(sentence)
                positions.append(position)
                bags.append(bag)
    if not texts:
        return RankedSentences((), (), (), (), {})
    frequency: Counter[str] = Counter(t for bag in bags for t in bag)
    n = len(texts)
    idf = {t: math.log((n + 1) / (df + 1)) + 1.0 for t, df in frequency.items()}
    vectors = [_vector(bag, idf) for bag in bags]
    scores = _textrank(vectors, positions)
    chosen: list[int] = []
    for i in sorted(range(n), key=lambda i: (-scores[i], positions[i], len(texts[i]))):
        if all(cosine(vectors[i], vectors[j]) < DUPLICATE for j in chosen):
            chosen.append(i)
            if len(chosen) == candidates:
                break
    top = scores[chosen[0]] or 1.0
    return RankedSentences(
        sentences=tuple(texts[i] for i in chosen),
        scores=tuple(round(float(scores[i] / top), 4) for i in chosen),
        vectors=tuple(vectors[i] for i in chosen),
        overlap=tuple(tuple(round(cosine(vectors[i], vectors[j]), 4) for j in chosen) for i in chosen),
        term_weights={t: idf[t] for i in chosen for t in vectors[i]},
        unknown_weight=math.log(n + 1) + 1.0,
    )


def _textrank(vectors: Sequence[Mapping[str, float]], positions: Sequence[int]) -> np.ndarray:
    vocabulary: dict[str, int] = {}
    rows, cols, values = [], [], []
    for i, vector in enumerate(vectors):
        for term, weight in vector.items():
            rows.append(i)
            cols.append(vocabulary.setdefault(term, len(vocabulary)))
            values.append(weight)
    matrix = np.zeros((len(vectors), len(vocabulary)))
    matrix[rows, cols] = values
    similarity = matrix @ matrix.T
    np.fill_diagonal(similarity, 0.0)
    out_weight = similarity.sum(axis=1, keepdims=True)
    transition = np.divide(similarity, out_weight, out=np.zeros_like(similarity), where=out_weight > 0)
    jump = 1.0 / (1.0 + np.asarray(positions, dtype=float))
    jump /= jump.sum()
    rank = np.full(len(vectors), 1.0 / len(vectors))
    for _ in range(50):
        updated = (1 - DAMPING) * jump + DAMPING * (transition.T @ rank)
        dangling = rank[out_weight[:, 0] == 0].sum()
        updated += DAMPING * dangling * jump
        if np.abs(updated - rank).sum() < 1e-6:
            return updated
        rank = updated
    return rank


def summarize(
    ranked: RankedSentences, already_sent: Sequence[str] = (), max_sentences: int = 3, max_chars: int = 600
) -> tuple[str, ...]:
    """1-3 sentences: central to the story and, by MMR, unlike each other and what the chat already got.

    Sentences the chat already got are left out while anything new remains; a story with nothing
    new still yields its most central sentence, so the result is never empty when the story has text.
    """
    if not ranked.sentences:
        return ()
    sent = [ranked.vector_of(s) for s in already_sent]
    old_news = [max((cosine(v, s) for s in sent), default=0.0) for v in ranked.vectors]
    pool = [i for i, old in enumerate(old_news) if old < RESTATES] or [0]
    chosen: list[int] = []

    def mmr(i: int) -> float:
        redundancy = max([old_news[i], *(ranked.overlap[i][j] for j in chosen)])
        return RELEVANCE * ranked.scores[i] - (1 - RELEVANCE) * redundancy

    length = 0
    while pool and len(chosen) < max_sentences:
        best = max(pool, key=mmr)
        # A later sentence must add more than it repeats, and the summary must stay short.
        if chosen and (mmr(best) <= 0 or length + len(ranked.sentences[best]) > max_chars):
            break
        chosen.append(best)
        length += len(ranked.sentences[best]) + 1
        pool = [i for i in pool if ranked.overlap[i][best] < RESTATES]
    return tuple(ranked.sentences[i] for i in chosen)


@dataclass(frozen=True)
class StoryArticle:
    """One report of a story as stored: text, source, time and the people it mentions (entity keys)."""

    article_id: int
    title: str
    text: str
    source: str
    published: datetime
    people: tuple[str, ...] = ()


@dataclass(frozen=True)
class Story:
    """The chat-independent part of a story, rebuilt when an article joins it."""

    article_ids: tuple[int, ...]
    headline: str
    people: tuple[str, ...]  # most mentioned first
    sources: tuple[str, ...]  # in order of first report
    first_published: datetime
    last_published: datetime
    sentences: RankedSentences


def _headline(articles: Sequence[StoryArticle]) -> str:
    """The title most like the others: the plain statement of the event, not one outlet's angle."""
    bags = [Counter(content_stems(a.title)) for a in articles]
    vectors = [_vector(bag) for bag in bags]

    def agreement(i: int) -> float:
        return sum(cosine(vectors[i], v) for j, v in enumerate(vectors) if j != i)

    best = max(range(len(articles)), key=lambda i: (agreement(i), -i))
    return " ".join(articles[best].title.split())


def build_story(articles: Sequence[StoryArticle], max_people: int = 5) -> Story:
    ordered = sorted(articles, key=lambda a: (a.published, a.article_id))
    mentions = Counter(p for a in ordered for p in dict.fromkeys(a.people))
    first_seen = {p: i for i, p in reversed(list(enumerate(p for a in ordered for p in a.people)))}
    people = sorted(mentions, key=lambda p: (-mentions[p], first_seen[p]))[:max_people]
    return Story(
        article_ids=tuple(a.article_id for a in ordered),
        headline=_headline(ordered),
        people=tuple(people),
        sources=tuple(dict.fromkeys(a.source for a in ordered)),
        first_published=ordered[0].published,
        last_published=ordered[-1].published,
        sentences=rank_sentences([(a.title, a.text) for a in ordered]),
    )


@dataclass(frozen=True)
class StoryDigest:
    """One entry of a chat's digest."""

    headline: str
    summary: tuple[str, ...]
    article_ids: tuple[int, ...]
    people: tuple[str, ...]
    sources: tuple[str, ...]
    last_published: datetime


def digest_story(story: Story, already_sent: Sequence[str] = (), max_sentences: int = 3) -> StoryDigest:
    return StoryDigest(
        headline=story.headline,
        summary=summarize(story.sentences, already_sent, max_sentences),
        article_ids=story.article_ids,
        people=story.people,
        sources=story.sources,
        last_published=story.last_published,
    )


RECENCY_HALF_LIFE = timedelta(hours=12)


def importance(story: Story, now: datetime, prominence: Mapping[str, float] | None = None) -> float:
    """How high a story goes in a digest: more outlets, fresher, about better-known people.

    Outlets count logarithmically (the tenth report adds less than the second); interest halves
    every RECENCY_HALF_LIFE; the best-known person of the story lifts it by up to half.
    """
    outlets = math.log2(1 + len(story.sources))
    age = max((now - story.last_published).total_seconds(), 0.0)
    recency = 0.5 ** (age / RECENCY_HALF_LIFE.total_seconds())
    fame = 0.0
    if prominence and story.people:
        top = max(prominence.values(), default=0.0)
        if top > 0:
            fame = max(prominence.get(p, 0.0) for p in story.people) / top
    return outlets * recency * (1.0 + 0.5 * fame)


def rank_stories(
    stories: Sequence[Story], now: datetime, prominence: Mapping[str, float] | None = None
) -> list[Story]:
    """Stories most important first; ties go to the more recent one."""
    return sorted(stories, key=lambda s: (-importance(s, now, prominence), -s.last_published.timestamp()))
