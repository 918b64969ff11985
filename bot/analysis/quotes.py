"""Direct quotes and reported statements, each attributed to a person of the article.

A speaker is named ("— сказал Лавров"), referred to by a pronoun ("— добавил он") or by a title
("— сказал белорусский президент"), which is matched against the roles the article gave its people.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from bot.analysis.entities import (
    PER,
    Entity,
    NamedSpan,
    ParsedText,
    Token,
    first_name_gender,
    fold,
    surname_gender,
)
from bot.analysis.roles import RoleSense


@dataclass(frozen=True)
class Quote:
    """Words attributed to an entity: a direct "quote" in quotation marks or a reported "statement"."""

    entity_key: str
    text: str
    kind: str
    start: int
    stop: int


# fmt: off
ENGLISH_SPEECH_VERBS = frozenset(
    [
        "said", "says", "say", "told", "tells", "added", "adds", "stated", "states", "noted", "notes",
        "wrote", "writes", "explained", "explains", "argued", "argues", "insisted", "insists", "warned",
        "warns", "claimed", "claims", "announced", "announces", "declared", "declares", "confirmed",
        "confirms", "stressed", "stresses", "recalled", "recalls", "replied", "replies", "asked", "asks",
    ]
)
# fmt: on
PRONOUNS = {"ru": frozenset({"он", "она"}), "en": frozenset({"he", "she"})}
PRONOUN_GENDERS = {
    "он": "m",
    "его": "m",
    "he": "m",
    "him": "m",
    "она": "f",
    "ее": "f",
    "she": "f",
    "her": "f",
}
# Honorifics right before a name that tell a person's sex.
_HONORIFIC_GENDER_RE = re.compile(
    r"\b(?:(?P<m>mr|sir|lord|господин|г-н)|(?P<f>ms|mrs|miss|madam|lady|dame|госпожа|г-жа))\.?\s*$",
    re.IGNORECASE,
)


def _russian_gender(first: str, last: str) -> str | None:
    """A Russian name's sex: a surname in -ова/-ина/-ская or -ов/-ин/-ский, else a first name the dictionary
    gives one gender in the nominative («Вероника», «Андрей»). Not the tagger's reading: it guesses a foreign
    name's gender from its context («пользовательницы Мариям Абсаттар»: masculine)."""
    gender = surname_gender(last) or (first_name_gender(first) if first else None)
    return {"Fem": "f", "Masc": "m"}.get(gender or "")


def _gender_of(parsed: ParsedText, span: NamedSpan) -> str | None:
    """The sex one mention tells: an honorific right before it; a Russian name's own form
    (`_russian_gender`); in English a given name the census gives mostly to one sex."""
    honorific = _HONORIFIC_GENDER_RE.search(parsed.text, max(0, span.start - 12), span.start)
    if honorific:
        return "m" if honorific.group("m") else "f"
    if parsed.lang == "ru":
        return _russian_gender(span.first, span.last)
    if span.first:
        from bot.analysis.english_ner import census_gender

        return census_gender(span.first.split()[0])
    return None


COMPLEMENTIZER = {"ru": frozenset({"что", "чтобы"}), "en": frozenset({"that"})}

_OPENING = {"«": "»", "„": "“", "“": "”", '"': '"'}
_DASH_AFTER_QUOTE_RE = re.compile(r"\s*[,.!?…]?\s*[—–-]{1,2}\s*")
_MIN_QUOTE_CHARS = 12
MAX_QUOTED_PASSAGE = 600  # characters: a longer "quotation" is marks paired across paragraphs
# "По словам Лаврова, ...", "По его словам, ...", "According to Lavrov, ...", "In his words, ...".
_ACCORDING_RE = re.compile(
    r"\s*(?:по\s+(?:(?P<pronoun>его|ее|её)\s+)?(?:словам|мнению|данным|оценке)"
    r"|according\s+to(?:\s+(?P<en_pronoun>him|her))?)\s*",
    re.IGNORECASE,
)


def quotation_spans(text: str) -> list[tuple[int, int]]:
    """Top-level quotations as (start, stop) including their marks; nested «...» inside stay inside."""
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(text):
        opening = text[i]
        closing = _OPENING.get(opening)
        if closing is None:
            i += 1
            continue
        depth = 0
        j = i + 1
        end = None
        while j < len(text) and text[j] != "\n":
            ch = text[j]
            if ch == closing and depth == 0:
                end = j + 1
                break
            if ch == opening and opening != closing:
                depth += 1
            elif ch == closing:
                depth -= 1
            j += 1
        if end is None:
            i += 1
            continue
        spans.append((i, end))
        i = end
    return spans


@dataclass
class _Context:
    parsed: ParsedText
    span_keys: Mapping[tuple[int, int], str]
    senses: Mapping[str, Sequence[RoleSense]]
    sense_of: Callable[[Sequence[Token]], RoleSense | None]
    is_speech_verb: Callable[[Token], bool]
    case_of: Callable[[NamedSpan], str | None]

    def __post_init__(self) -> None:
        self._genders: dict[str, str] | None = None
        self.quotations = quotation_spans(self.parsed.text)  # read once for quotes and statements
        self.starts = [t.start for t in self.parsed.tokens]
        self.people = sorted(
            (s for s in self.parsed.spans if s.kind == PER and (s.start, s.stop) in self.span_keys),
            key=lambda s: s.start,
        )

    def tokens_between(self, start: int, stop: int) -> list[Token]:
        i = bisect.bisect_left(self.starts, start)
        j = bisect.bisect_left(self.starts, stop)
        return list(self.parsed.tokens[i:j])

    def key_of(self, span: NamedSpan) -> str:
        return self.span_keys[(span.start, span.stop)]

    def people_between(self, start: int, stop: int) -> list[NamedSpan]:
        return [s for s in self.people if start <= s.start and s.stop <= stop]

    def previous_person(self, offset: int, sentences_back: int = 3, pronoun: str = "") -> str | None:
        """The person mentioned last before an offset whom the pronoun can stand for: "she added" is not the
        Boris Johnson the sentence before named, but the Sturgeon before him; nobody when nobody fits."""
        sentences = self.parsed.sentences
        here = next((i for i, (a, b) in enumerate(sentences) if a <= offset < b), len(sentences) - 1)
        floor = sentences[max(0, here - sentences_back)][0] if sentences else 0
        before = [s for s in self.people if floor <= s.start < offset]
        wanted = PRONOUN_GENDERS.get(fold(pronoun))
        for span in reversed(before):
            gender = self.gender(self.key_of(span))
            if wanted is None or gender is None or gender == wanted:
                return self.key_of(span)
        return None

    def gender(self, key: str) -> str | None:
        """ "m" or "f" when the article tells (an honorific before a mention, a Russian name's own form, a
        given name the census gives one sex), None when it does not or disagrees with itself."""
        if self._genders is None:
            votes: dict[str, set[str]] = {}
            for span in self.people:
                found = _gender_of(self.parsed, span)
                if found:
                    votes.setdefault(self.key_of(span), set()).add(found)
            self._genders = {k: v.pop() for k, v in votes.items() if len(v) == 1}
        return self._genders.get(key)

    def by_role(self, tokens: Sequence[Token]) -> str | None:
        """The person whose roles best match a title used as a reference ("белорусский президент")."""
        sense = self.sense_of(tokens)
        if sense is None:
            return None
        best: tuple[int, str] | None = None
        tied = False
        for key, senses in self.senses.items():
            heads = {s.head for s in senses}
            places = frozenset().union(*(s.places for s in senses)) if senses else frozenset()
            if sense.head not in heads:
                continue
            if sense.places and places and not sense.places & places:
                continue
            score = 1 + 2 * len(sense.places & places)
            if best is None or score > best[0]:
                best, tied = (score, key), False
            elif score == best[0]:
                tied = True
        return None if best is None or tied else best[1]

    def speaker(self, start: int, stop: int, before: int) -> str | None:
        """Who a speaker phrase names: a person, a pronoun for the last person, or a title."""
        named = self.people_between(start, stop)
        if named:
            return self.key_of(named[0])
        tokens = [t for t in self.tokens_between(start, stop) if t.text not in {",", "."}]
        if not tokens:
            return None
        if fold(tokens[0].text) in PRONOUNS[self.parsed.lang]:
            return self.previous_person(before, pronoun=tokens[0].text)
        return self.by_role(tokens)


def _sentence_bounds(parsed: ParsedText, offset: int) -> tuple[int, int]:
    for start, stop in parsed.sentences:
        if start <= offset < stop:
            return start, stop
    return offset, offset


def _clause_end(text: str, start: int, limit: int) -> int:
    """Where a speaker phrase after a verb ends: a comma, full stop or the end of the sentence."""
    match = re.compile(r"[,.;:!?()\n]").search(text, start, limit)
    return match.start() if match else limit


def _subject_before(ctx: _Context, verb: Token, sentence_start: int) -> str | None:
    """The subject of a speech verb: the nearest nominative person before it in the sentence, a pronoun
    right before it, or a title phrase ("белорусский президент заявил")."""
    candidates = [
        s for s in ctx.people_between(sentence_start, verb.start) if ctx.case_of(s) in ("Nom", None)
    ]
    if candidates:
        return ctx.key_of(candidates[-1])
    preceding = ctx.tokens_between(sentence_start, verb.start)
    words = [t for t in preceding if re.match(r"\w", t.text)]
    if not words:
        return None
    # Adverbs between subject and verb: "он также заявил", "Лавров ранее напомнил".
    while words and words[-1].pos in ("ADV", "PART"):
        words.pop()
    if words and fold(words[-1].text) in PRONOUNS[ctx.parsed.lang]:
        return ctx.previous_person(words[-1].start, pronoun=words[-1].text)
    tail = words[-4:]
    return ctx.by_role(tail) if tail else None


def find_quotes(ctx: _Context) -> list[Quote]:
    parsed, text = ctx.parsed, ctx.parsed.text
    found: list[Quote] = []
    for qs, qe in ctx.quotations:
        inner = text[qs + 1 : qe - 1].strip()
        if len(inner) < _MIN_QUOTE_CHARS or " " not in inner:
            continue
        key: str | None = None
        # «...», — сказал президент России.
        dash = _DASH_AFTER_QUOTE_RE.match(text, qe)
        if dash and dash.group(0).strip(" ,.!?…"):
            after = ctx.tokens_between(dash.end(), dash.end() + 80)
            if after and ctx.is_speech_verb(after[0]):
                sentence_stop = _sentence_bounds(parsed, after[0].start)[1] or len(text)
                end = _clause_end(text, after[0].stop, max(sentence_stop, after[0].stop))
                key = ctx.speaker(after[0].stop, end, qs)
            elif after:
                # «...», — Лавров заявил / — отметил он: the speaker may precede the verb.
                sentence_stop = _sentence_bounds(parsed, after[0].start)[1] or len(text)
                end = _clause_end(text, after[0].start, max(sentence_stop, after[0].stop))
                verbs = [t for t in ctx.tokens_between(dash.end(), end) if ctx.is_speech_verb(t)]
                if verbs:
                    key = ctx.speaker(dash.end(), verbs[0].start, qs)
        if key is None and not dash:
            # "We are ready," Lavrov said.  /  "...," said the Ukrainian president.
            sentence_stop = (
                _sentence_bounds(parsed, qe)[1] or _sentence_bounds(parsed, qe - 1)[1] or len(text)
            )
            end = _clause_end(text, qe, max(sentence_stop, qe))
            clause = ctx.tokens_between(qe, end)
            if (
                clause
                and text[qe : clause[0].start].strip(" ,") == ""
                and any(ctx.is_speech_verb(t) for t in clause)
            ):
                key = ctx.speaker(qe, end, qs)
        if key is None:
            # Лавров заявил: «...»  /  Как сказал Лавров, «...»
            sentence_start = _sentence_bounds(parsed, qs)[0]
            lead = text[sentence_start:qs]
            if re.search(r"[:,]\s*$", lead):
                verbs = [t for t in ctx.tokens_between(sentence_start, qs) if ctx.is_speech_verb(t)]
                if verbs:
                    verb = verbs[-1]
                    key = _subject_before(ctx, verb, sentence_start) or ctx.speaker(verb.stop, qs, qs)
        if key is not None:
            found.append(Quote(key, inner.rstrip(",").rstrip(), "quote", qs, qe))
    return found


# English speech verbs that take a hearer before "that" ("told reporters that"); after the others, words
# before "that" are an adverbial ("said on Monday that", "said in a statement that") or the start of what
# was said, its "that" a relative pronoun ("said employers that already offer benefits could…").
# fmt: off
_EN_HEARER_VERBS = frozenset(
    [
        "tell", "tells", "told", "telling", "inform", "informed", "assure", "assured", "warn", "warned",
        "remind", "reminded", "promise", "promised", "convince", "convinced", "persuade", "persuaded",
    ]
)
_EN_ADVERBIAL_WORDS = frozenset(
    [
        "to", "in", "on", "at", "during", "after", "before", "last", "this", "yesterday", "today", "earlier",
        "later", "again", "also", "then", "now", "recently", "previously", "separately", "repeatedly",
        "publicly", "privately", "late", "early", "once", "twice", "has", "had", "have", "was", "is", "the",
        "a", "an", "his", "her", "their", "its", "from", "by", "with", "via", "through", "over", "only",
        "simply", "just", "merely", "briefly", "flatly", "firmly",
    ]
)
# fmt: on


def _relative_that(verb: Token, between: Sequence[Token]) -> bool:
    """Whether the "that" after an English speech verb opens a relative clause inside what was said:
    common nouns only between a verb that takes no hearer and "that"."""
    if not between or fold(verb.text) in _EN_HEARER_VERBS:
        return False
    return all(
        t.text.isalpha() and t.text.islower() and fold(t.text) not in _EN_ADVERBIAL_WORDS for t in between
    )


def find_statements(ctx: _Context, quoted: Sequence[tuple[int, int]]) -> list[Quote]:
    """Reported speech: "Лавров заявил, что ...", "..., заявлял президент Владимир Путин.",
    "По словам Лаврова, ...", and the English "X said that ..."."""
    parsed, text, lang = ctx.parsed, ctx.parsed.text, ctx.parsed.lang
    found: list[Quote] = []
    # Someone's quoted words: "Erdogan says that…" inside Assad's “First, when Erdogan says…” is Assad's. Only
    # quotations whose marks cannot be mistaken (curly quotes, guillemets) and of a quoted passage's length:
    # straight quotes and a mark left open pair across whole paragraphs.
    speech = [
        (qs, qe)
        for qs, qe in ctx.quotations
        if text[qs] in "“«" and _MIN_QUOTE_CHARS < qe - qs <= MAX_QUOTED_PASSAGE
    ]
    for sentence_start, sentence_stop in parsed.sentences:
        if any(qs < sentence_stop and sentence_start < qe for qs, qe in quoted):
            continue
        tokens = ctx.tokens_between(sentence_start, sentence_stop)
        body_stop = sentence_stop - 1 if text[sentence_stop - 1 : sentence_stop] in ".!?" else sentence_stop
        statement: tuple[str, int, int] | None = None
        for i, token in enumerate(tokens):
            if not ctx.is_speech_verb(token) or any(qs < token.start < qe for qs, qe in speech):
                continue
            rest = tokens[i + 1 : i + 3]
            # X заявил, что ...
            if rest and (
                rest[0].text == ":"
                or (rest[0].text == "," and len(rest) > 1 and fold(rest[1].text) in COMPLEMENTIZER[lang])
                or (fold(rest[0].text) in COMPLEMENTIZER[lang] and lang == "en")
            ):
                key = _subject_before(ctx, token, sentence_start)
                if key:
                    begin = rest[-1].stop if rest[0].text == "," else rest[0].stop
                    statement = (key, begin, body_stop)
                    break
            # English: "Rubio said that ...", "Zelensky told reporters in Kyiv that ...".
            if lang == "en":
                that = next(
                    (k for k in range(i + 1, min(i + 6, len(tokens))) if fold(tokens[k].text) == "that"), None
                )
                key = _subject_before(ctx, token, sentence_start) if that is not None else None
                if key:
                    begin = tokens[that].stop
                    if _relative_that(token, tokens[i + 1 : that]):
                        begin = token.stop  # "Warren said employers that already offer benefits could…"
                    statement = (key, begin, body_stop)
                    break
            # ..., заявлял президент Владимир Путин.
            if i > 0 and tokens[i - 1].text == "," and _clause_end(text, token.stop, body_stop) >= body_stop:
                key = ctx.speaker(token.stop, body_stop, token.start)
                if key and ctx.people_between(token.stop, body_stop):
                    statement = (key, sentence_start, tokens[i - 1].start)
                    break
        if statement is None:
            according = _ACCORDING_RE.match(text, sentence_start, body_stop)
            if according:
                comma = text.find(
                    ",",
                    according.end()
                    if according.group("pronoun") or according.group("en_pronoun")
                    else according.end() + 1,
                    body_stop,
                )
                if comma > 0:
                    if according.group("pronoun") or according.group("en_pronoun"):
                        key = ctx.previous_person(
                            sentence_start,
                            pronoun=according.group("pronoun") or according.group("en_pronoun"),
                        )
                    else:
                        named = ctx.people_between(according.end(), comma)
                        head = ctx.tokens_between(according.end(), comma)
                        key = ctx.key_of(named[0]) if named else (ctx.by_role(head) if head else None)
                    if key:
                        statement = (key, comma + 1, body_stop)
        if statement:
            key, begin, end = statement
            said = text[begin:end].strip(" ,—–-")
            kind = "statement"
            if said[:1] in _OPENING_MARKS and not any(mark in said[1:] for mark in _CLOSING_MARKS):
                # "She added: “A coalition would be scary…" and the paragraph ends: a quotation the next
                # paragraph goes on with (the English way), direct speech without its opening mark
                said, kind = said[1:].strip(), "quote"
            if len(said) >= _MIN_QUOTE_CHARS:
                offset = text.index(said, begin)
                found.append(Quote(key, said, kind, offset, offset + len(said)))
    return found


_OPENING_MARKS = frozenset(_OPENING)
_CLOSING_MARKS = frozenset(_OPENING.values())


def attribute_quotes(
    parsed: ParsedText,
    entities: Sequence[Entity],
    senses: Mapping[str, Sequence[RoleSense]],
    sense_of: Callable[[Sequence[Token]], RoleSense | None],
    is_speech_verb: Callable[[Token], bool],
    case_of: Callable[[NamedSpan], str | None],
) -> tuple[Quote, ...]:
    """Quotes and statements of an article, each with the key of the person they are attributed to."""
    span_keys = {(m.start, m.stop): e.key for e in entities if e.kind == PER for m in e.mentions}
    ctx = _Context(parsed, span_keys, senses, sense_of, is_speech_verb, case_of)
    quotes = find_quotes(ctx)
    statements = find_statements(ctx, [(q.start, q.stop) for q in quotes])
    return tuple(sorted(quotes + statements, key=lambda q: q.start))
