"""Events for /timeline: clauses anchored to a time, and whether two articles report the same one."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot.analysis.stems import stem, stems, words
from bot.analysis.timeexpr import GRANULARITIES, TimeExpr, find_time_exprs, sentence_spans

EntitySpan = tuple[int, int, str]  # start, stop, entity key

MAX_EVENT_TEXT = 200


@dataclass(frozen=True)
class Event:
    """Something an article anchors to a time: the interval, its clause and who takes part."""

    begin: dt.date
    end: dt.date
    granularity: str
    text: str
    participants: tuple[str, ...]
    sentence_start: int  # offset of the clause in the article body; -1 for the headline
    headline: bool = False


_RANK = {g: i for i, g in enumerate(GRANULARITIES)}


def granularity_rank(granularity: str) -> int:
    """0 for the coarsest (decade) up to the finest (day)."""
    return _RANK.get(granularity, _RANK["range"])


def sort_key(begin: dt.date, end: dt.date, granularity: str) -> tuple[dt.date, int, dt.date]:
    """Timeline order: by first day; on the same first day the coarser interval comes first.

    So "2022" precedes "январь 2022", which precedes "1 января 2022", and a day sorts inside its month.
    """
    return begin, granularity_rank(granularity), end


# --- extraction ---

_BOUNDARY_RE = re.compile(r"(?<!\d),|,(?!\d)|[;:(]|\s[—–]\s")  # "9,1 %" and "268,5" are numbers
# A break before a complement clause: what was announced, said or decided comes after it.
_COMPLEMENT_RE = re.compile(r"[,:]\s*(?:что|чтобы|будто|that)\b", re.IGNORECASE)
_LEADING_JUNK_RE = re.compile(r"^(?:[\s,;:—–\-(]|(?:что|и|а|но|однако|and|but|that)\s)+", re.IGNORECASE)
_TRAILING_JUNK_RE = re.compile(r"[\s,;:—–\-.(]+$")


def _clause_text(text: str) -> str:
    """The clause without connecting words and punctuation at its edges, at most MAX_EVENT_TEXT long."""
    clause = _TRAILING_JUNK_RE.sub("", _LEADING_JUNK_RE.sub("", text.strip()))
    clause = re.sub(r"\s+", " ", clause)
    if len(clause) > MAX_EVENT_TEXT:
        clause = clause[:MAX_EVENT_TEXT].rsplit(" ", 1)[0].rstrip(",;:—– ") + "…"
    return clause


def _split_point(sentence_text: str, offset: int, lo: int, hi: int) -> int:
    """Where the clause of one expression ends and the next begins: the last clause break between them."""
    breaks = [m.start() + offset for m in _BOUNDARY_RE.finditer(sentence_text, lo - offset, hi - offset)]
    return breaks[-1] if breaks else hi


def _drop_coarser_neighbours(exprs: list[TimeExpr], text: str) -> list[TimeExpr]:
    """'в 2022 году, 24 февраля' is one date: a coarse expression right next to a finer one inside it goes."""
    kept: list[TimeExpr] = []
    for expr in exprs:
        if kept:
            prev = kept[-1]
            gap = text[prev.stop : expr.start]
            close = len(gap.split()) <= 2 and not re.search(r"[.;]", gap)
            if close and prev.begin <= expr.begin and expr.end <= prev.end:
                kept[-1] = expr
                continue
            if close and expr.begin <= prev.begin and prev.end <= expr.end:
                continue
        kept.append(expr)
    return kept


MIN_EVENT_WORDS = 2
_REPORTING_RE = re.compile(
    r"(?:об этом|о чем|о чём|как сообща|как переда|как пишет|this was reported)\b", re.IGNORECASE
)


# Page furniture that carries dates but tells nothing that happened: copyright lines, reader comments
# ("10 августа 2018 13:53. ukov: …", a date with a clock time and a signature), "Читайте также" links, a
# post's or a comment's time stamp (a year or a date right against a clock time: "Гость, 01 ноября 2019
# 17:38Америка…", "12:00 01.11.2019 Фото: pixabay.com"), photo credits.
_FURNITURE_RE = re.compile(
    r"©|\(c\)\s*\d{4}|все\s+права\s+(?:защищены|сохранены)|all\s+rights\s+reserved|copyright\s"
    r"|^\s*(?:читайте\s+также|смотрите\s+также|read\s+more|related)\b"
    r"|(?:\d{4}|\d{1,2}[./]\d{1,2}[./]\d{2,4}),?\s+(?:в\s+)?\d{1,2}:\d{2}(?::\d{2})?\s*[.,|—–-]?\s*[\w.@-]{2,40}\s*:\s"
    r"|(?<!\d)\d{4}\s+\d{1,2}:\d{2}(?!\d)|(?<![\d:])\d{1,2}:\d{2}\s+\d{1,2}[./]\d{1,2}[./]\d{2,4}"
    r"|(?:^|\s)(?:фото|photo)\s*:",
    re.IGNORECASE,
)
# A dateline before the lead: "МОСКВА, 30 июл — ПРАЙМ." or "LONDON, Nov 1 (Reuters) -": the date of the
# report, said again; the event is what the sentence after it tells, with a date of its own or none.
_DATELINE_RE = re.compile(
    r"^\s*[A-ZА-ЯЁ][A-ZА-ЯЁ.\-]+(?:[\s\-][A-ZА-ЯЁ][A-ZА-ЯЁ.\-]+)*(?:\s*\([^)]{1,40}\))?\s*,\s*$"
)


def _is_furniture(sentence: str) -> bool:
    return _FURNITURE_RE.search(sentence) is not None


def _in_dateline(text: str, s_start: int, expr: TimeExpr) -> bool:
    """The expression comes right after a capitalised place at the start of its sentence."""
    return _DATELINE_RE.match(text[s_start : expr.start]) is not None


def _says_little(clause: str, expr: TimeExpr) -> bool:
    """Fewer than MIN_EVENT_WORDS words of letters besides the time expression itself."""
    rest = clause.replace(expr.text, " ")
    return sum(1 for w in words(rest) if not w.isdigit()) < MIN_EVENT_WORDS


# A clause widened by the one before it stands alone with this many words besides its date; fewer, and it is
# a piece of a list ("Чехии (13 мая), Швейцарии"), better read in its whole sentence.
MIN_WIDENED_WORDS = 4


def _tells_on_its_own(clause: str, expr: TimeExpr) -> bool:
    rest = _LEADING_JUNK_RE.sub("", clause.strip()).replace(expr.text, " ")
    return clause.count("(") == clause.count(")") and (
        sum(1 for w in words(rest) if w.isalpha()) >= MIN_WIDENED_WORDS
    )


def _participants(spans: Sequence[EntitySpan], start: int, stop: int) -> tuple[str, ...]:
    keys: list[str] = []
    for s_start, s_stop, key in sorted(spans):
        if s_start < stop and start < s_stop and key not in keys:
            keys.append(key)
    return tuple(keys)


def extract_events(
    title: str,
    text: str,
    published: dt.date,
    lang: str,
    entity_spans: Sequence[EntitySpan] = (),
    title_spans: Sequence[EntitySpan] = (),
) -> list[Event]:
    """The headline as the event of the publication date, then one event per time-anchored clause.

    ``entity_spans`` are offsets in ``text``, ``title_spans`` in ``title``.
    """
    events: list[Event] = []
    if title.strip():
        events.append(
            Event(
                published,
                published,
                "day",
                _clause_text(title),
                _participants(title_spans, 0, len(title)),
                -1,
                headline=True,
            )
        )
    exprs = find_time_exprs(text, published, lang)
    for s_start, s_stop, _ in sentence_spans(text):
        sentence = text[s_start:s_stop]
        if _is_furniture(sentence):
            continue
        inside = [e for e in exprs if s_start <= e.start < s_stop and not _in_dateline(text, s_start, e)]
        inside = _drop_coarser_neighbours(inside, text)
        seen: set[tuple[dt.date, dt.date]] = set()
        for i, expr in enumerate(inside):
            lo = s_start if i == 0 else _split_point(sentence, s_start, inside[i - 1].stop, expr.start)
            hi = (
                s_stop
                if i == len(inside) - 1
                else _split_point(sentence, s_start, expr.stop, inside[i + 1].start)
            )
            if hi < s_stop and _COMPLEMENT_RE.match(text, hi):
                # "26 ноября Трамп анонсировал, что Уиткофф встретится с Путиным на следующей неделе":
                # the announcement is dated by the first date and says what the rest of the sentence says.
                hi = s_stop
            if (expr.begin, expr.end) in seen:
                continue
            if _says_little(text[lo:hi], expr) and i > 0:
                # "…, после чего Анкара заявила о прекращении боевых действий, начатых 9 октября": the
                # clause before says what began then; the whole sentence would open with another date.
                wider = _split_point(sentence, s_start, inside[i - 1].stop, lo)
                if wider < lo and _tells_on_its_own(text[wider:hi], expr):
                    lo = wider
            if _says_little(text[lo:hi], expr):
                lo, hi = s_start, s_stop  # "Ранее стало известно, что 9 июля": the sentence says more
                if _says_little(sentence, expr):
                    continue  # a dateline or a bare date says nothing that happened
            if _REPORTING_RE.match(text[lo:hi].strip()):
                continue  # "Об этом в понедельник сообщает ТАСС": when it was reported, not what happened
            seen.add((expr.begin, expr.end))
            clause = _clause_text(text[lo:hi])
            events.append(
                Event(expr.begin, expr.end, expr.granularity, clause, _participants(entity_spans, lo, hi), lo)
            )
    return events


# --- comparing reports across articles (bot/timeline/merge.py merges them) ---

_STOP_WORDS = (
    "и в во на с со к ко по о об от до за из у для что как это этот тот его ее их он она они был была были "
    "будет также не но а же ли бы году года год том после при под над между the a an of in on at to and "
    "for with by from was were is are that this has have had said заявил сообщил"
)
_STOP_STEMS = {stem(w) for w in _STOP_WORDS.split()}


@lru_cache(maxsize=65_536)
def content_stems(text: str) -> frozenset[str]:
    """The stems that say what happened: no function words, numbers or very short stems."""
    return frozenset(s for s in stems(text) if len(s) > 2 and not s.isdigit() and s not in _STOP_STEMS)


def _similar(a: Event, b: Event, loose: bool = True) -> bool:
    """Same event: overlapping intervals, and much shared wording or some wording and a shared participant.

    A year and a day of that year overlap, but only near-identical wording makes them one event.
    """
    if a.end < b.begin or b.end < a.begin:
        return False
    a_stems, b_stems = content_stems(a.text), content_stems(b.text)
    union = a_stems | b_stems
    if not union:
        return False
    jaccard = len(a_stems & b_stems) / len(union)
    if abs(granularity_rank(a.granularity) - granularity_rank(b.granularity)) >= 3:
        return jaccard >= 0.5
    shared = loose and bool(set(a.participants) & set(b.participants))
    return jaccard >= 0.4 or (shared and jaccard >= 0.2)


def same_event(event: Event, representative: Event, others: Iterable[Event] = ()) -> bool:
    """Whether `event` reports what a group does: similar to the group's best-dated report (its
    representative), or closely similar to another report while on the representative's dates.

    Comparing with the representative keeps a chain of loosely similar reports from drifting away.
    Participants are compared as given: keys within one analysis, stored entity ids across articles.
    """
    if _similar(event, representative):
        return True
    if event.end < representative.begin or representative.end < event.begin:
        return False
    return any(_similar(event, other, loose=False) for other in others)


def dating_precision(event: Event) -> tuple[int, int, bool]:
    """Larger is better dated: finer granularity, then a shorter interval, then a headline."""
    return granularity_rank(event.granularity), -(event.end - event.begin).days, event.headline
