"""A source's boilerplate: sentences it prints in reports about different things.

A site that opens every post with the same paragraph («В этой статье представлена вся имеющаяся информация о
релизе…», «Традиционно пятница – время новостей под рубрикой «Антислухи»») would have that paragraph as the
summary of each of its stories. No rule can list such paragraphs; the source's own other reports show them:
a sentence it printed in reports of two different stories is not the news of either, nor one it printed
under three headlines that have little in common (the intro can itself fold those posts into one story).
A sentence repeated only by the versions of one report (an update with the same lead) stays.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from itertools import combinations, islice

from razdel import sentenize

from bot.digest.stories import content_stems
from storage.stories import SourceReport

# What a source's boilerplate is read from: its latest reports, the opening of each, which is where
# summaries come from (StoryRepo.source_leads).
SOURCE_REPORTS = 20
OPENING_CHARS = 1500
LEAD_SENTENCES = 8
# Shorter sentences ("Фото: ТАСС.", "Москва, 1 ноября.") are left to the summariser's own cleaning.
MIN_CHARS = 20
# Boilerplate: printed in reports of this many different stories, or under this many headlines that share
# less than HEADLINE_OVERLAP of their words pairwise (versions of one report keep most of their headline).
STORIES = 2
HEADLINES = 3
HEADLINE_OVERLAP = 0.3

_SPACE_RE = re.compile(r"\s+")


def normalised(sentence: str) -> str:
    return _SPACE_RE.sub(" ", sentence.lower().replace("ё", "е")).strip()


def _lead(text: str) -> Iterable[str]:
    for sentence in islice(sentenize(text), LEAD_SENTENCES):
        if len(sentence.text) >= MIN_CHARS:
            yield normalised(sentence.text)


def _apart(a: frozenset[str], b: frozenset[str]) -> bool:
    return len(a & b) < HEADLINE_OVERLAP * len(a | b)


def _unrelated_headlines(headlines: Sequence[frozenset[str]]) -> bool:
    """Whether HEADLINES of these headlines are pairwise apart."""
    distinct = list(dict.fromkeys(headlines))
    if len(distinct) < HEADLINES:
        return False
    return any(
        all(_apart(a, b) for a, b in combinations(group, 2)) for group in combinations(distinct, HEADLINES)
    )


def boilerplate(reports: Sequence[SourceReport]) -> frozenset[str]:
    """The normalised sentences one source printed in reports of `STORIES` different stories, or under
    `HEADLINES` unrelated headlines. `reports`: the source's recent reports; those in no story yet (being
    assigned) count for their headlines only."""
    seen: dict[str, list[tuple[int | None, frozenset[str]]]] = {}
    for report in reports:
        headline = frozenset(content_stems(report.title))
        for sentence in dict.fromkeys(_lead(report.opening)):
            seen.setdefault(sentence, []).append((report.story_id, headline))
    return frozenset(
        sentence
        for sentence, where in seen.items()
        if len(where) >= STORIES
        and (
            len({story for story, _ in where if story is not None}) >= STORIES
            or _unrelated_headlines([h for _, h in where])
        )
    )


def by_source(leads: Mapping[str, Sequence[SourceReport]]) -> dict[str, frozenset[str]]:
    """`boilerplate` of each source that has some."""
    found = {source: boilerplate(reports) for source, reports in leads.items()}
    return {source: sentences for source, sentences in found.items() if sentences}


def without(text: str, sentences: frozenset[str]) -> str:
    """The text without the given (normalised) sentences; the rest as it was."""
    if not sentences:
        return text
    kept: list[str] = []
    last = 0
    for sentence in sentenize(text):
        if normalised(sentence.text) in sentences:
            kept.append(text[last : sentence.start])
            last = sentence.stop
            while last < len(text) and text[last].isspace():
                last += 1  # the space after it goes with it
    kept.append(text[last:])
    return "".join(kept)
