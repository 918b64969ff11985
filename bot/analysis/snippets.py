"""Search snippets: the sentence that best shows why an article matched, with the matched words."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.analysis.furniture import is_boilerplate
from bot.analysis.stems import (
    WORD_RE,
    normal_word,
    query_names,
    query_word_terms,
    query_words,
    word_index_terms,
)

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")


@dataclass(frozen=True)
class Snippet:
    text: str
    highlights: tuple[tuple[int, int], ...]  # character spans in `text` of words that matched the query


def best_snippet(text: str, query: str, max_chars: int = 220, names: frozenset[str] = frozenset()) -> Snippet:
    """The sentence with the most distinct query stems (earliest on ties; page furniture only when nothing
    else has one), trimmed around the first hit.
    ``names``: query words read as names besides the capitalised ones (a known person's surname)."""
    names = query_names(query) | names  # a name's terms as /search reads them: «Песков» is not «песка»
    wanted = {t for w in query_words(query) for t in query_word_terms(w, w in names)}

    def terms(word: str) -> set[str]:  # "Пескова" stands for "Песков" (bot.analysis.stems.word_term)
        return wanted.intersection(word_index_terms(normal_word(word)))

    # a sentence with a hit first, one that is news before page furniture ("Читайте также: …" links to
    # another article), then the most distinct query stems, then the earliest
    best: tuple[bool, bool, int, str] = (False, False, -1, "")
    for sentence in (s.strip() for s in _SENTENCE_END.split(text)):
        if not sentence:
            continue
        found = {t for m in WORD_RE.finditer(sentence) for t in terms(m.group(0))}
        rank = (bool(found), not is_boilerplate(sentence), len(found), sentence)
        if rank[:3] > best[:3]:
            best = rank
    sentence = best[3] or text.strip()
    hits = [(m.start(), m.end()) for m in WORD_RE.finditer(sentence) if terms(m.group(0))]
    start = 0
    if len(sentence) > max_chars and hits and hits[0][0] > max_chars // 3:
        start = sentence.rfind(" ", 0, hits[0][0] - max_chars // 4) + 1
    end = min(len(sentence), start + max_chars)
    if end < len(sentence):
        end = sentence.rfind(" ", start, end) if sentence.rfind(" ", start, end) > start else end
    clipped = ("…" if start else "") + sentence[start:end] + ("…" if end < len(sentence) else "")
    shift = start - (1 if start else 0)
    spans = tuple((a - shift, b - shift) for a, b in hits if a >= start and b <= end)
    return Snippet(clipped, spans)
