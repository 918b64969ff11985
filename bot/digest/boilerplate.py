"""A source's boilerplate: sentences it prints in reports of different stories.

A site that opens every post with the same paragraph («В этой статье представлена вся имеющаяся информация о
релизе…», «Традиционно пятница – время новостей под рубрикой «Антислухи»») would have that paragraph as the
summary of each of its stories. No rule can list such paragraphs; the source's own other reports show them:
a sentence it printed in reports of two different stories is not the news of either. A sentence repeated
only within one story (the lead of a report and of its update) stays.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from itertools import islice

from razdel import sentenize

# What a source's boilerplate is read from: its latest reports, the opening of each, which is where
# summaries come from (StoryRepo.source_leads).
SOURCE_REPORTS = 20
OPENING_CHARS = 1500
LEAD_SENTENCES = 8
# Shorter sentences ("Фото: ТАСС.", "Москва, 1 ноября.") are left to the summariser's own cleaning.
MIN_CHARS = 20
# A sentence is boilerplate once the source printed it in reports of this many different stories.
STORIES = 2

_SPACE_RE = re.compile(r"\s+")


def normalised(sentence: str) -> str:
    return _SPACE_RE.sub(" ", sentence.lower().replace("ё", "е")).strip()


def _lead(text: str) -> Iterable[str]:
    for sentence in islice(sentenize(text), LEAD_SENTENCES):
        if len(sentence.text) >= MIN_CHARS:
            yield normalised(sentence.text)


def boilerplate(reports: Sequence[tuple[int, str]]) -> frozenset[str]:
    """The normalised sentences one source printed in reports of `STORIES` different stories or more.

    `reports`: (story id, text or its opening) of the source's recent reports.
    """
    stories: dict[str, set[int]] = {}
    for story_id, text in reports:
        for sentence in _lead(text):
            stories.setdefault(sentence, set()).add(story_id)
    return frozenset(s for s, ids in stories.items() if len(ids) >= STORIES)


def by_source(leads: Mapping[str, Sequence[tuple[int, str]]]) -> dict[str, frozenset[str]]:
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
