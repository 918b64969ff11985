"""Time expressions in news text, resolved against the article's publication date.

Our own resolver: dateparser's search_dates reads "В 2022 году" as 2022 years ago and natasha's
DatesExtractor misses most relative, partial and anaphoric phrasings.

Conventions (documented once, used by the labels and the timeline):
- an interval is inclusive: ``begin <= day <= end``;
- parts of a month: "начало"/early = days 1–10, "середина"/mid = 11–20, "конец"/late = 21–last day,
  "первая половина" = 1–15, "вторая половина" = 16–last day;
- parts of a year: early = January–April, mid = May–August, late = September–December; halves are
  January–June and July–December; parts of a decade: early = years 0–3, mid = 4–6, late = 7–9;
- seasons: spring = March–May, summer = June–August, autumn = September–November, winter Y =
  December Y-1 – February Y (the winter that ends in Y);
- a week runs Monday to Sunday;
- "несколько дней/лет назад" (a few … ago) becomes the range 2–9 units back.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import lru_cache

from razdel import sentenize

from bot.analysis.morph import russian_morph

Interval = tuple[dt.date, dt.date]

# From coarse to fine; the timeline sorts coarser intervals first when they begin on the same day.
GRANULARITIES = (
    "decade",
    "year",
    "part_of_year",
    "season",
    "range",
    "month",
    "part_of_month",
    "week",
    "day",
)


@dataclass(frozen=True)
class TimeExpr:
    """One expression of time found in a text and the interval of days it names."""

    text: str
    start: int
    stop: int
    begin: dt.date
    end: dt.date
    granularity: str


# --- paragraphs and sentences ---


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """Non-empty lines of a text: news paragraphs, the scope of "того года" and similar anaphora."""
    spans = []
    for m in re.finditer(r"[^\n]+", text):
        if m.group(0).strip():
            spans.append((m.start(), m.end()))
    return spans


def sentence_spans(text: str) -> list[tuple[int, int, int]]:
    """Sentences as (start, stop, paragraph index), razdel inside each paragraph."""
    spans = []
    for index, (p_start, p_stop) in enumerate(paragraph_spans(text)):
        for s in sentenize(text[p_start:p_stop]):
            spans.append((p_start + s.start, p_start + s.stop, index))
    return spans


# --- tense ---


_RU_FUTURE_AUX = {"будет", "будут", "буду", "будем", "будете", "будешь"}
# Short forms that pymorphy2 reads as past participles but that speak of intentions now ("намерены провести").
_RU_MODAL_SHORT_FORMS = {
    f"{stem}{ending}"
    for stem in ("намерен", "должн", "готов", "вынужден", "рад", "обязан", "склонен")
    for ending in ("", "а", "о", "ы")
} | {"должен"}
_EN_PAST_WORDS = {
    "was",
    "were",
    "had",
    "did",
    "said",
    "met",
    "told",
    "took",
    "made",
    "went",
    "came",
    "saw",
    "gave",
    "began",
    "held",
    "left",
    "won",
    "lost",
    "spoke",
    "wrote",
    "became",
    "found",
    "got",
    "led",
    "ran",
    "sent",
    "set",
    "put",
    "hit",
    "cut",
    "fell",
    "knew",
    "thought",
    "brought",
    "bought",
    "paid",
    "sold",
}
_EN_FUTURE_WORDS = {"will", "shall", "won't", "'ll"}


@lru_cache(maxsize=100_000)
def _ru_word_tense(word: str) -> str:
    if word in _RU_FUTURE_AUX:
        return "future"
    if word in _RU_MODAL_SHORT_FORMS:
        return "present"
    tag = russian_morph().parse(word)[0].tag
    if tag.POS in {"VERB", "PRTS"}:
        return {"past": "past", "futr": "future", "pres": "present"}.get(str(tag.tense), "")
    # «Документ, подписанный … в мае» and «подписав его в мае» tell of what is done; present participles
    # («действующий президент») are left tenseless, as they often name a standing, not the time of an event.
    if tag.POS in {"PRTF", "GRND"} and tag.tense == "past":
        return _PARTICIPLE_PAST
    return ""


# A past participle dates its clause's time in the past, except the time it is aimed at: «рейсы,
# запланированные на 25 июля», «клиенты, оформившие билеты на 12 июля» fly on a coming day.
_PARTICIPLE_PAST = "past participle"
_TARGET_BEFORE_RE = re.compile(r"(?<!\w)(?:на|к|ко|до)\s+$", re.IGNORECASE)


def _en_word_tense(word: str) -> str:
    if word in _EN_FUTURE_WORDS:
        return "future"
    if word in _EN_PAST_WORDS or (len(word) > 4 and word.endswith("ed")):
        return "past"
    if word in {"is", "are", "am"}:
        return "present"
    return ""


_CLAUSE_BREAK_RE = re.compile(r"[,;()«»\"]|:(?!\d)|\s[—–-]\s")  # "4:01" is a clock time, not a break
_COMPLEMENTIZER_RE = re.compile(r"(?<![\w])(?:что|чтобы|будто|that)(?![\w])", re.IGNORECASE)
_TENSE_WORD_RE = re.compile(r"[^\W\d_]+(?:'[a-z]+)?")


def clause_tense(sentence: str, position: int, lang: str) -> str:
    """Tense of the verb nearest to ``position``: first within its clause, else within the sentence.

    A future form ("будет", "will") anywhere in the scope wins: "будет проведена" is future.
    """
    return _SentenceTenses(sentence, lang).at(position)


class _SentenceTenses:
    """``clause_tense`` for any number of positions in one sentence: its clause breaks are found once, and
    the tenses of the words of each scope (a clause, the sentence) when first needed."""

    def __init__(self, sentence: str, lang: str) -> None:
        self.sentence = sentence
        self.word_tense = _ru_word_tense if lang == "ru" else _en_word_tense
        self.breaks = [0, *(m.start() for m in _CLAUSE_BREAK_RE.finditer(sentence)), len(sentence)]
        self._tenses: dict[tuple[int, int], list[tuple[int, str]]] = {}

    def _tenses_in(self, lo: int, hi: int) -> list[tuple[int, str]]:
        """(start, tense) of the words of ``sentence[lo:hi]`` that have a tense."""
        if (lo, hi) not in self._tenses:
            self._tenses[lo, hi] = [
                (m.start(), tense)
                for m in _TENSE_WORD_RE.finditer(self.sentence, lo, hi)
                if (tense := self.word_tense(m.group(0).lower()))
            ]
        return self._tenses[lo, hi]

    def at(self, position: int) -> str:
        return self.scoped(position)[0]

    def scoped(self, position: int) -> tuple[str, bool]:
        """The tense at ``position`` and whether it is its own clause's (not a neighbouring clause's)."""
        breaks = self.breaks
        lo = max(b for b in breaks if b <= position)
        hi = (
            min(b for b in breaks if b > position)
            if any(b > position for b in breaks)
            else len(self.sentence)
        )
        # A verbless clause ("10 января, …") takes the tense of its sentence, but not of a complement clause
        # it is not in: in «10 января министр заявил, что некому будет…» the future is what he said.
        complements = [m.start() for m in _COMPLEMENTIZER_RE.finditer(self.sentence)]
        region_lo = max((c for c in complements if c <= position), default=0)
        region_hi = min((c for c in complements if c > position), default=len(self.sentence))
        aimed = _TARGET_BEFORE_RE.search(self.sentence, max(0, position - 8), position) is not None
        for scope in ((lo, hi), (region_lo, region_hi), (0, len(self.sentence))):
            found = [
                (abs(start - position), "past" if tense == _PARTICIPLE_PAST else tense)
                for start, tense in self._tenses_in(*scope)
                if not (aimed and tense == _PARTICIPLE_PAST)
            ]
            if found:
                own = scope == (lo, hi)
                if any(t == "future" for _, t in found):
                    return "future", own
                return min(found)[1], own
        return "", True


# --- calendar arithmetic ---


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _month_interval(year: int, month: int) -> Interval:
    return dt.date(year, month, 1), dt.date(year, month, _last_day(year, month))


def _add_months(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + delta
    return index // 12, index % 12 + 1


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _week_of(day: dt.date) -> Interval:
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=6)


def _year_interval(year: int) -> Interval:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


_MONTH_PARTS = {
    "early": (1, 10),
    "mid": (11, 20),
    "late": (21, 31),
    "first_half": (1, 15),
    "second_half": (16, 31),
}
_YEAR_PARTS = {"early": (1, 4), "mid": (5, 8), "late": (9, 12), "first_half": (1, 6), "second_half": (7, 12)}
_DECADE_PARTS = {"early": (0, 3), "mid": (4, 6), "late": (7, 9), "first_half": (0, 4), "second_half": (5, 9)}


def _month_part_interval(year: int, month: int, part: str) -> Interval:
    first, last = _MONTH_PARTS[part]
    return dt.date(year, month, first), dt.date(year, month, min(last, _last_day(year, month)))


def _season_interval(year: int, season: str) -> Interval:
    if season == "winter":
        return dt.date(year - 1, 12, 1), dt.date(year, 2, _last_day(year, 2))
    first = {"spring": 3, "summer": 6, "autumn": 9}[season]
    return dt.date(year, first, 1), dt.date(year, first + 2, _last_day(year, first + 2))


# --- vocabulary ---

_SP = r"[ \t\u00a0\u202f]+"
_SP0 = r"[ \t\u00a0\u202f]*"
_E = r"(?![\w])"  # right word boundary that also works after a dot
_B = r"(?<![\w])"

_RU_SOFT_MONTHS = {
    "январ": 1,
    "феврал": 2,
    "апрел": 4,
    "июн": 6,
    "июл": 7,
    "сентябр": 9,
    "октябр": 10,
    "ноябр": 11,
    "декабр": 12,
}
_RU_HARD_MONTHS = {"март": 3, "август": 8}
RU_MONTH_FORMS: dict[str, tuple[int, str]] = {"мая": (5, "gen"), "мае": (5, "prep"), "май": (5, "nom")}
for _stem, _n in _RU_SOFT_MONTHS.items():
    RU_MONTH_FORMS.update({_stem + "я": (_n, "gen"), _stem + "е": (_n, "prep"), _stem + "ь": (_n, "nom")})
for _stem, _n in _RU_HARD_MONTHS.items():
    RU_MONTH_FORMS.update({_stem + "а": (_n, "gen"), _stem + "е": (_n, "prep"), _stem: (_n, "nom")})
_RU_MONTH_ABBR = {
    "янв": 1,
    "фев": 2,
    "февр": 2,
    "мар": 3,
    "апр": 4,
    "июн": 6,
    "июл": 7,
    "авг": 8,
    "сен": 9,
    "сент": 9,
    "окт": 10,
    "ноя": 11,
    "нояб": 11,
    "дек": 12,
}
EN_MONTHS = {
    name: i + 1
    for i, name in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        )
    )
}
_EN_MONTH_ABBR = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}


def _alt(words: Iterable[str]) -> str:
    """A regex alternation of literal words, longest first so that "февр" wins over "фев"."""
    return "(?:" + "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True)) + ")"


def _ru_month_alt(*cases: str) -> str:
    return _alt(f for f, (_, case) in RU_MONTH_FORMS.items() if case in cases)


_M_GEN = _ru_month_alt("gen")
_M_PREP = _ru_month_alt("prep")
_M_NOM = _ru_month_alt("nom")
_M_ABBR = _alt(_RU_MONTH_ABBR) + r"\.?"
_EN_M_FULL = _alt(EN_MONTHS)
_EN_M_ANY = "(?:" + _EN_M_FULL + "|" + _alt(_EN_MONTH_ABBR) + r"\.?)"


def month_number(word: str) -> int | None:
    """Month number of a Russian or English month word or abbreviation ("ноября", "Nov.")."""
    w = word.lower().rstrip(".").replace("ё", "е")
    if w in RU_MONTH_FORMS:
        return RU_MONTH_FORMS[w][0]
    return _RU_MONTH_ABBR.get(w) or EN_MONTHS.get(w) or _EN_MONTH_ABBR.get(w)


# "by 1350 GMT" is a clock time, not a year.
_YEAR = r"(?:1\d\d\d|20\d\d)(?!\d)(?![ \t\u00a0]*(?:GMT|UTC|EST|EDT|BST|CET|CEST|MSK|PST|PDT)\b)"
_YEAR_SUFFIX = (
    rf"(?:{_SP0}(?:годами|годах|годов|годом|годы|года|году|год|гг\.?|г\.|г(?![а-яё]))|-(?:го|ом|ем|м|й))"
)
# Relative year words: offset from the publication year, or None for "того же" (the year last named).
_RU_YEAR_REL = {
    "этого": 0,
    "этом": 0,
    "текущего": 0,
    "текущем": 0,
    "нынешнего": 0,
    "нынешнем": 0,
    "прошлого": -1,
    "прошлом": -1,
    "минувшего": -1,
    "минувшем": -1,
    "позапрошлого": -2,
    "позапрошлом": -2,
    "следующего": 1,
    "следующем": 1,
    "будущего": 1,
    "будущем": 1,
    "того": None,
    "том": None,
}
_REL_YEAR_GEN = r"(?:этого|текущего|нынешнего|прошлого|минувшего|позапрошлого|следующего|будущего|того)"
_REL_YEAR_PREP = r"(?:этом|текущем|нынешнем|прошлом|минувшем|позапрошлом|следующем|будущем|том)"


def _year_tail(suffix: str = "") -> str:
    """An optional year after a day or month: "2022 года", "2022 г.", "1945-го", "прошлого года"."""
    return (
        rf"(?:{_SP}(?P<y{suffix}>{_YEAR})(?:{_YEAR_SUFFIX})?{_E}"
        rf"|{_SP}(?P<yr{suffix}>{_REL_YEAR_GEN})(?P<same{suffix}>{_SP}же)?{_SP}года{_E})?"
    )


_PARTS_RU = {
    "начале": "early",
    "начала": "early",
    "середине": "mid",
    "середины": "mid",
    "конце": "late",
    "конца": "late",
    "первой половине": "first_half",
    "первой половины": "first_half",
    "второй половине": "second_half",
    "второй половины": "second_half",
    "первых числах": "early",
    "последних числах": "late",
    "первой декаде": "early",
    "второй декаде": "mid",
    "третьей декаде": "late",
}
_PART_RU = _alt(_PARTS_RU).replace(r"\ ", _SP)
_PARTS_EN = {
    "early": "early",
    "mid": "mid",
    "mid-": "mid",
    "late": "late",
    "the beginning of": "early",
    "the start of": "early",
    "the middle of": "mid",
    "the end of": "late",
    "the first half of": "first_half",
    "the second half of": "second_half",
}
_PART_EN = _alt(_PARTS_EN).replace(r"\ ", _SP)

_RU_SEASONS = {"весн": "spring", "лет": "summer", "осен": "autumn", "зим": "winter"}
_EN_SEASONS = {
    "spring": "spring",
    "summer": "summer",
    "autumn": "autumn",
    "fall": "autumn",
    "winter": "winter",
}

_RU_WEEKDAYS = {
    "понедельник": 0,
    "вторник": 1,
    "сред": 2,
    "четверг": 3,
    "пятниц": 4,
    "суббот": 5,
    "воскресень": 6,
}
_RU_WEEKDAY_ACC = r"(?:понедельник|вторник|среду|четверг|пятницу|субботу|воскресенье)"
_EN_WEEKDAYS = {
    d: i for i, d in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))
}
_EN_WEEKDAY = _alt(_EN_WEEKDAYS)

_RU_NUMBERS = {
    "один": 1,
    "одну": 1,
    "одного": 1,
    "одним": 1,
    "два": 2,
    "две": 2,
    "двух": 2,
    "двумя": 2,
    "три": 3,
    "трех": 3,
    "трёх": 3,
    "тремя": 3,
    "четыре": 4,
    "четырех": 4,
    "четырёх": 4,
    "пять": 5,
    "пяти": 5,
    "шесть": 6,
    "шести": 6,
    "семь": 7,
    "семи": 7,
    "восемь": 8,
    "восьми": 8,
    "девять": 9,
    "девяти": 9,
    "десять": 10,
    "десяти": 10,
    "пятнадцать": 15,
    "двадцать": 20,
    "тридцать": 30,
    "пару": 2,
    "пара": 2,
    "несколько": -1,
    "нескольких": -1,
}
_EN_NUMBERS = {
    "one": 1,
    "a": 1,
    "an": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "a couple of": 2,
    "a few": -1,
    "several": -1,
    "few": -1,
}
_RU_NUM = _alt(_RU_NUMBERS)
_EN_NUM = _alt(_EN_NUMBERS).replace(r"\ ", _SP)
_RU_UNITS = {
    "день": "day",
    "дня": "day",
    "дней": "day",
    "сутки": "day",
    "суток": "day",
    "неделю": "week",
    "недели": "week",
    "недель": "week",
    "месяц": "month",
    "месяца": "month",
    "месяцев": "month",
    "год": "year",
    "года": "year",
    "лет": "year",
}
_RU_UNIT = _alt(_RU_UNITS)
_EN_UNIT = r"(?:days?|weeks?|months?|years?)"

_RU_PREP = r"(?:в|во|с|со|до|к|по|от|после|около|перед|между|за|на)"


# --- the context of one paragraph ---


@dataclass
class _Context:
    """What earlier expressions of the paragraph established: anaphora resolves against it."""

    published: dt.date
    tense: str = ""
    own_tense: bool = True  # the tense is the expression's own clause's, not borrowed from its sentence
    year: int | None = None
    month: tuple[int, int] | None = None
    anchor: dt.date | None = None


# A day or month named in an aside of a past-tense sentence is read as the coming one when that is at most
# NEAR_FUTURE ahead while the last one lies more than FAR_PAST_DAYS back.
NEAR_FUTURE = dt.timedelta(days=14)
FAR_PAST_DAYS = 60


def _choose(
    make: Callable[[int], Interval | None], ctx: _Context, explicit: int | None = None
) -> Interval | None:
    """The interval for a day, month or season named without a year.

    In a past-tense (or verbless) clause the year named earlier in the paragraph wins; otherwise the
    tense decides: a past-tense clause cannot place the event after the publication date, a future one
    cannot place it before; with no tense, the occurrence nearest to the publication date.
    """
    if explicit is not None:
        return make(explicit)
    if ctx.year is not None and ctx.tense in {"past", ""}:
        inherited = make(ctx.year)
        # A past-tense clause cannot inherit a year that is still to come.
        if inherited is not None and not (ctx.tense == "past" and inherited[0] > ctx.published):
            return inherited
    pub = ctx.published
    options = [iv for year in (pub.year - 1, pub.year, pub.year + 1) if (iv := make(year)) is not None]
    if not options:
        return None
    if ctx.tense == "past":
        past = [iv for iv in options if iv[0] <= pub]
        if not ctx.own_tense:
            # A verbless aside takes its sentence's past tense, yet "объявила об отмене, 28 сентября, 190
            # рейсов" two days before the 28th names the coming one, not last year's.
            soon = [iv for iv in options if pub < iv[0] <= pub + NEAR_FUTURE]
            if soon and (not past or (pub - max(past)[1]).days > FAR_PAST_DAYS):
                return soon[0]
        return max(past) if past else options[0]
    if ctx.tense == "future":
        future = [iv for iv in options if iv[1] >= pub]
        return min(future) if future else options[-1]

    def distance(iv: Interval) -> int:
        return 0 if iv[0] <= pub <= iv[1] else min(abs((iv[0] - pub).days), abs((iv[1] - pub).days))

    return min(options, key=distance)


def _explicit_year(m: re.Match[str], ctx: _Context, suffix: str = "") -> int | None:
    """The year written next to a day or month, absolute ("2022") or relative ("прошлого года")."""
    groups = m.groupdict()
    if groups.get("y" + suffix):
        return int(groups["y" + suffix])
    rel = groups.get("yr" + suffix)
    if rel:
        offset = _RU_YEAR_REL.get(rel.lower())
        if offset is None or (groups.get("same" + suffix) and rel.lower() in {"этого", "этом"}):
            return ctx.year if ctx.year is not None else ctx.published.year
        return ctx.published.year + offset
    return None


Resolution = tuple[dt.date, dt.date, str]
Resolver = Callable[[re.Match[str], _Context], Resolution | None]


# --- resolvers ---


def _weekday_number(word: str) -> int | None:
    w = word.lower()
    if w in _EN_WEEKDAYS:
        return _EN_WEEKDAYS[w]
    return next((v for k, v in _RU_WEEKDAYS.items() if w.startswith(k)), None)


def _day_month(m: re.Match[str], ctx: _Context) -> Resolution | None:
    month = month_number(m.group("m"))
    day = int(m.group("d"))
    if month is None:
        return None
    explicit = _explicit_year(m, ctx)
    weekday = _weekday_number(m.group("wd")) if m.groupdict().get("wd") else None
    if explicit is None and weekday is not None:
        # "в среду, 28 февраля": the year in which that day is a Wednesday, nearest to publication.
        fitting = [
            y
            for y in range(ctx.published.year - 3, ctx.published.year + 2)
            if (d := _safe_date(y, month, day)) and d.weekday() == weekday
        ]
        if fitting:
            explicit = min(fitting, key=lambda y: abs(y - ctx.published.year))

    def make(year: int) -> Interval | None:
        d = _safe_date(year, month, day)
        return (d, d) if d else None

    iv = _choose(make, ctx, explicit)
    return (iv[0], iv[1], "day") if iv else None


def _numeric_date(m: re.Match[str], ctx: _Context) -> Resolution | None:
    d = _safe_date(int(m.group("y")), int(m.group("mo")), int(m.group("d")))
    return (d, d, "day") if d else None


def _day_range(m: re.Match[str], ctx: _Context) -> Resolution | None:
    groups = m.groupdict()
    month2 = month_number(m.group("m"))
    month1 = month_number(groups["m1"]) if groups.get("m1") else month2
    d1, d2 = int(m.group("d1")), int(m.group("d2"))
    if month1 is None or month2 is None:
        return None
    year1_text = groups.get("y1")

    def make(year: int) -> Interval | None:
        first_year = int(year1_text) if year1_text else (year if month1 <= month2 else year - 1)
        a, b = _safe_date(first_year, month1, d1), _safe_date(year, month2, d2)
        return (a, b) if a and b and a <= b else None

    iv = _choose(make, ctx, _explicit_year(m, ctx))
    return (iv[0], iv[1], "range") if iv else None


def _month_parts(m: re.Match[str], ctx: _Context) -> Resolution | None:
    """'в конце февраля и начале марта того года': one interval from the first part to the last."""
    groups = m.groupdict()
    month1 = month_number(m.group("m1"))
    month2 = month_number(groups["m2"]) if groups.get("m2") else month1
    part1 = _part_name(m.group("p1"))
    part2 = _part_name(groups["p2"]) if groups.get("p2") else part1
    if month1 is None or month2 is None:
        return None

    def make(year: int) -> Interval | None:
        first_year = year if month1 <= month2 else year - 1  # "конец декабря и начало января 2023"
        begin = _month_part_interval(first_year, month1, part1)[0]
        return begin, _month_part_interval(year, month2, part2)[1]

    iv = _choose(make, ctx, _explicit_year(m, ctx))
    return (iv[0], iv[1], "part_of_month") if iv else None


def _month(m: re.Match[str], ctx: _Context) -> Resolution | None:
    groups = m.groupdict()
    month = month_number(m.group("m"))
    month2 = month_number(groups["m2"]) if groups.get("m2") else None
    if month is None:
        return None
    rel = (groups.get("rel") or "").lower()
    if rel:
        # "в следующем мае" / "в прошлом мае": the next (previous) May strictly after (before) publication.
        pub = ctx.published
        if rel in {"следующем", "будущем", "next"}:
            year = pub.year if month > pub.month else pub.year + 1
        else:
            year = pub.year if month < pub.month else pub.year - 1
        b, e = _month_interval(year, month)
        return b, e, "month"

    def make(year: int) -> Interval | None:
        if month2 is not None:
            second_year = year if month2 >= month else year + 1
            return _month_interval(year, month)[0], _month_interval(second_year, month2)[1]
        return _month_interval(year, month)

    iv = _choose(make, ctx, _explicit_year(m, ctx))
    if not iv:
        return None
    return iv[0], iv[1], "range" if month2 is not None else "month"


def _part_name(text: str) -> str:
    key = re.sub(r"\s+", " ", text.lower())
    return _PARTS_RU.get(key) or _PARTS_EN[key]


def _year(m: re.Match[str], ctx: _Context) -> Resolution | None:
    groups = m.groupdict()
    year = _explicit_year(m, ctx)
    if year is None:
        return None
    part = groups.get("p")
    if part:
        first, last = _YEAR_PARTS[_part_name(part)]
        return dt.date(year, first, 1), dt.date(year, last, _last_day(year, last)), "part_of_year"
    b, e = _year_interval(year)
    return b, e, "year"


def _year_range(m: re.Match[str], ctx: _Context) -> Resolution | None:
    y1 = int(m.group("y1"))
    y2_text = m.group("y2")
    y2 = int(y2_text) if len(y2_text) == 4 else y1 // 100 * 100 + int(y2_text)
    if not y1 < y2 <= y1 + 200:
        return None
    return dt.date(y1, 1, 1), dt.date(y2, 12, 31), "range"


_RU_DECADE_WORDS = {
    "двадцат": 20,
    "тридцат": 30,
    "сороков": 40,
    "пятидесят": 50,
    "шестидесят": 60,
    "семидесят": 70,
    "восьмидесят": 80,
    "девяност": 90,
}


def _decade(m: re.Match[str], ctx: _Context) -> Resolution | None:
    groups = m.groupdict()
    if groups.get("dy"):
        start = int(groups["dy"])
    else:
        word = m.group("dw").lower()
        start = 1900 + next(v for k, v in _RU_DECADE_WORDS.items() if word.startswith(k))
    part = groups.get("p")
    if part:
        first, last = _DECADE_PARTS[_part_name(part)]
        return dt.date(start + first, 1, 1), dt.date(start + last, 12, 31), "decade"
    return dt.date(start, 1, 1), dt.date(start + 9, 12, 31), "decade"


def _season_name(word: str) -> str:
    w = word.lower()
    return next(v for k, v in {**_RU_SEASONS, **_EN_SEASONS}.items() if w.startswith(k))


_SEASON_REL = {
    "этой": 0,
    "этим": 0,
    "this": 0,
    "прошлой": -1,
    "прошлым": -1,
    "минувшей": -1,
    "минувшим": -1,
    "last": -1,
    "past": -1,
    "позапрошлой": -2,
    "следующей": 1,
    "следующим": 1,
    "будущей": 1,
    "будущим": 1,
    "next": 1,
    "той": None,
    "тем": None,
}


def _season(m: re.Match[str], ctx: _Context) -> Resolution | None:
    groups = m.groupdict()
    season = _season_name(m.group("s"))

    def make(year: int) -> Interval:
        return _season_interval(year, season)

    rel = (groups.get("rel") or "").lower()
    pub = ctx.published
    if rel and _SEASON_REL.get(rel, 0) is not None:
        offset = _SEASON_REL[rel]
        occurrences = [make(y) for y in range(pub.year - 3, pub.year + 3)]
        if offset == 0:
            current = [iv for iv in occurrences if iv[0] <= pub <= iv[1]]
            iv = current[0] if current else min(occurrences, key=lambda iv: abs((iv[0] - pub).days))
        elif offset < 0:
            iv = [iv for iv in occurrences if iv[1] < pub][offset]
        else:
            iv = [iv for iv in occurrences if iv[0] > pub][offset - 1]
        return iv[0], iv[1], "season"
    explicit = _explicit_year(m, ctx)
    if rel and explicit is None and ctx.year is not None:
        explicit = ctx.year
    iv2 = _choose(make, ctx, explicit)
    return (iv2[0], iv2[1], "season") if iv2 else None


_DAY_WORDS = {
    "позавчера": -2,
    "вчера": -1,
    "сегодня": 0,
    "завтра": 1,
    "послезавтра": 2,
    "yesterday": -1,
    "today": 0,
    "tonight": 0,
    "tomorrow": 1,
    "the day before yesterday": -2,
    "the day after tomorrow": 2,
}


def _day_word(m: re.Match[str], ctx: _Context) -> Resolution | None:
    day = ctx.published + dt.timedelta(days=_DAY_WORDS[re.sub(r"\s+", " ", m.group("w").lower())])
    return day, day, "day"


_WEEK_REL = {
    "этой": 0,
    "текущей": 0,
    "this": 0,
    "прошлой": -1,
    "минувшей": -1,
    "last": -1,
    "past": -1,
    "позапрошлой": -2,
    "следующей": 1,
    "будущей": 1,
    "next": 1,
    "этом": 0,
    "текущем": 0,
    "прошлом": -1,
    "минувшем": -1,
    "следующем": 1,
    "будущем": 1,
    "earlier this": 0,
    "later this": 0,
}


def _relative_unit(m: re.Match[str], ctx: _Context) -> Resolution | None:
    """'на следующей неделе', 'в прошлом месяце', 'last year', 'в том же месяце'."""
    unit = m.group("u").lower()
    unit = (
        "week"
        if unit.startswith(("недел", "week"))
        else "month"
        if unit.startswith(("месяц", "month"))
        else "year"
    )
    rel = re.sub(r"\s+", " ", m.group("rel").lower())
    pub = ctx.published
    if rel.startswith(("том", "той", "that", "the same")) or rel.endswith("же"):
        # Anaphora: the week, month or year last named in the paragraph.
        if unit == "month" and ctx.month:
            b, e = _month_interval(*ctx.month)
            return b, e, "month"
        if unit == "year" and ctx.year is not None:
            b, e = _year_interval(ctx.year)
            return b, e, "year"
        if unit == "week" and ctx.anchor:
            b, e = _week_of(ctx.anchor)
            return b, e, "week"
        if rel.endswith("же") and rel.startswith(("этой", "этом")):
            rel = "этой"
        else:
            return None
    offset = _WEEK_REL.get(rel, 0)
    if unit == "week":
        b, e = _week_of(pub + dt.timedelta(weeks=offset))
        return b, e, "week"
    if unit == "month":
        b, e = _month_interval(*_add_months(pub.year, pub.month, offset))
        return b, e, "month"
    b, e = _year_interval(pub.year + offset)
    return b, e, "year"


def _count(text: str | None, lang: str) -> int:
    if not text:
        return 1
    text = re.sub(r"\s+", " ", text.lower())
    if text.isdigit():
        return int(text)
    return (_RU_NUMBERS if lang == "ru" else _EN_NUMBERS).get(text, 1)


def _unit_name(text: str) -> str:
    t = text.lower()
    return _RU_UNITS.get(t) or t.rstrip("s")


def _shift(base: dt.date, unit: str, amount: int) -> Resolution:
    if unit == "day":
        d = base + dt.timedelta(days=amount)
        return d, d, "day"
    if unit == "week":
        b, e = _week_of(base + dt.timedelta(weeks=amount))
        return b, e, "week"
    if unit == "month":
        b, e = _month_interval(*_add_months(base.year, base.month, amount))
        return b, e, "month"
    b, e = _year_interval(base.year + amount)
    return b, e, "year"


def _ago(m: re.Match[str], ctx: _Context) -> Resolution | None:
    lang = "ru" if re.search("[а-яё]", m.group(0), re.I) else "en"
    amount = _count(m.group("n"), lang)
    unit = _unit_name(m.group("u"))
    if amount < 0:
        # "несколько дней назад": a few units back, taken as 2 to 9.
        b, e = _shift(ctx.published, unit, -9)[0], _shift(ctx.published, unit, -2)[1]
        return b, e, "range"
    return _shift(ctx.published, unit, -amount)


def _later(m: re.Match[str], ctx: _Context) -> Resolution | None:
    """'через три дня', 'спустя год': counted from the last date of a past-tense story, else from today."""
    lang = "ru" if re.search("[а-яё]", m.group(0), re.I) else "en"
    amount = _count(m.group("n"), lang)
    unit = _unit_name(m.group("u"))
    base = ctx.anchor if ctx.anchor and ctx.tense == "past" else ctx.published
    if amount < 0:
        b, e = _shift(base, unit, 2)[0], _shift(base, unit, 9)[1]
        return b, e, "range"
    shifted = _shift(base, unit, amount)
    if ctx.tense == "past" and shifted[0] > ctx.published:
        # "оправдал спустя восемь лет после приговора": a past event counted from a date the text does
        # not give, not eight years after publication.
        return None
    return shifted


_INSTRUMENTAL_UNITS = {"год": "year", "месяц": "month", "недел": "week", "дн": "day", "сутк": "day"}


def _relative_to_anchor(m: re.Match[str], ctx: _Context) -> Resolution | None:
    """'Годом позже', 'двумя неделями ранее': counted from the last date named in the paragraph."""
    if ctx.anchor is None:
        return None
    word = m.group("u").lower()
    unit = next(v for k, v in _INSTRUMENTAL_UNITS.items() if word.startswith(k))
    amount = _count(m.group("n"), "ru")
    if amount < 0:
        return None
    sign = -1 if m.group("dir").lower() in {"ранее", "раньше"} else 1
    return _shift(ctx.anchor, unit, sign * amount)


def _next_day(m: re.Match[str], ctx: _Context) -> Resolution | None:
    """'на следующий день' / 'в тот же день': relative to the last date named in the paragraph."""
    word = m.group(0).lower()
    base = ctx.anchor or ctx.published
    same = any(w in word for w in ("тот", "того", "этот", "этого", "same", "that"))
    day = base if same else base + dt.timedelta(1)
    return day, day, "day"


_WEEKDAY_REL = {
    "прошлый": -1,
    "прошлую": -1,
    "прошлое": -1,
    "last": -1,
    "past": -1,
    "минувший": -2,
    "минувшую": -2,
    "минувшее": -2,
    "этот": 0,
    "эту": 0,
    "это": 0,
    "this": 0,
    "следующий": 1,
    "следующую": 1,
    "следующее": 1,
    "next": 1,
    "ближайший": 2,
    "ближайшую": 2,
    "ближайшее": 2,
    "coming": 2,
}


def _weekday(m: re.Match[str], ctx: _Context) -> Resolution | None:
    """'в понедельник': the nearest such day on the side of the publication date the tense points to."""
    target = _weekday_number(m.group("wd"))
    if target is None:
        return None
    pub = ctx.published
    rel = (m.groupdict().get("rel") or "").lower()
    offset = _WEEKDAY_REL.get(rel)
    back = (pub.weekday() - target) % 7
    latest_past = pub - dt.timedelta(days=back)
    next_future = pub + dt.timedelta(days=(target - pub.weekday()) % 7 or 7)
    if offset == -1:  # "в прошлую пятницу": that day of the previous week
        day = _week_of(pub)[0] - dt.timedelta(days=7 - target)
    elif offset == -2:  # "в минувшую пятницу": the latest one before today
        day = latest_past if back else pub - dt.timedelta(days=7)
    elif offset == 1:  # "в следующий понедельник": that day of the next week
        day = _week_of(pub)[0] + dt.timedelta(days=7 + target)
    elif offset == 2 or ctx.tense == "future":  # "в пятницу проведут": the coming one, today included
        day = next_future if back else pub
    elif offset == 0:
        day = _week_of(pub)[0] + dt.timedelta(days=target)
    else:
        day = latest_past
    return day, day, "day"


def _weekend(m: re.Match[str], ctx: _Context) -> Resolution | None:
    rel = (m.groupdict().get("rel") or "").lower()
    pub = ctx.published
    saturday_this_week = _week_of(pub)[0] + dt.timedelta(days=5)
    if rel in {"прошлые", "минувшие", "прошлых", "last", "past"} or (not rel and ctx.tense == "past"):
        saturday = saturday_this_week if saturday_this_week <= pub else saturday_this_week - dt.timedelta(7)
    elif rel in {"следующие", "следующих", "next"}:
        saturday = saturday_this_week + dt.timedelta(7)
    else:
        saturday = saturday_this_week
    return saturday, saturday + dt.timedelta(days=1), "range"


def _anaphoric_year(m: re.Match[str], ctx: _Context) -> Resolution | None:
    """'того года', 'в том же году', 'that year': the year last named in the paragraph."""
    if ctx.year is None:
        return None
    part = m.groupdict().get("p")
    if part:
        first, last = _YEAR_PARTS[_part_name(part)]
        return dt.date(ctx.year, first, 1), dt.date(ctx.year, last, _last_day(ctx.year, last)), "part_of_year"
    b, e = _year_interval(ctx.year)
    return b, e, "year"


# --- the grammar ---


# A probe is looked for in the lower-cased text: a lower-case literal, or a regex without case folding.
_Probe = str | re.Pattern[str]
# Groups of probes: a line of text can hold a match of a rule only if it holds a probe of every group.
_Gate = tuple[tuple[_Probe, ...], ...]


@dataclass(frozen=True)
class _Rule:
    name: str
    pattern: re.Pattern[str]
    resolve: Resolver
    accept: Callable[[re.Match[str]], bool] | None = None
    gate: _Gate = ()  # the lines its regex scans (see _Gates); () scans the whole text


def _a_season_not_a_noun(m: re.Match[str]) -> bool:
    """"the fall of Kurdish-held territory", "a hot spring": "fall" and "spring" with neither a preposition,
    nor "this"/"last"/"next", nor a year are the nouns, not the seasons."""
    if m.group("s").lower() not in ("fall", "spring"):
        return True
    return bool(m.group("rel") or m.group("y") or re.match(r"(?i)(?:in|during|by|since)\b", m.group(0)))


def _rule(
    name: str, pattern: str, resolve: Resolver, accept: Callable[[re.Match[str]], bool] | None = None
) -> _Rule:
    return _Rule(name, re.compile(pattern, re.IGNORECASE), resolve, accept)


def _consecutive_if_joined_by_and(m: re.Match[str]) -> bool:
    """'25 и 26 июля' is a two-day span; '1 и 15 июля' are two days, each matched on its own."""
    return (m.group("conj") or "").lower() != "и" or int(m.group("d2")) == int(m.group("d1")) + 1


_NUMERIC_RULES = [
    _rule(
        "dd.mm.yyyy", rf"(?<![\d.])(?P<d>[0-3]?\d)\.(?P<mo>[01]?\d)\.(?P<y>{_YEAR})(?![.,]?\d)", _numeric_date
    ),
    _rule("iso", rf"(?<![\d-])(?P<y>{_YEAR})-(?P<mo>[01]\d)-(?P<d>[0-3]\d)(?![\d-])", _numeric_date),
]

_RU_RULES = [
    *_NUMERIC_RULES,
    _rule(
        "day_month",
        rf"{_B}(?:(?:(?:в|во){_SP})?(?P<wd>{_RU_WEEKDAY_ACC}){_SP0},{_SP0}|(?:вчера|сегодня|завтра){_SP0},{_SP0})?"
        rf"(?<![\d.,])(?P<d>[0-3]?\d)(?:-?го)?{_SP}(?P<m>{_M_GEN}|{_M_ABBR}){_E}{_year_tail()}",
        _day_month,
    ),
    _rule(
        "day_range",
        rf"{_B}(?:с{_SP}|со{_SP})?(?<![\d.,])(?P<d1>[0-3]?\d){_SP0}(?:[-–—]|{_SP}(?P<conj>по|до|на|и){_SP}){_SP0}"
        rf"(?P<d2>[0-3]?\d){_SP}(?P<m>{_M_GEN}){_E}{_year_tail()}",
        _day_range,
        _consecutive_if_joined_by_and,
    ),
    _rule(
        "day_month_range",
        rf"{_B}(?:с|со){_SP}(?P<d1>[0-3]?\d){_SP}(?P<m1>{_M_GEN})(?:{_SP}(?P<y1>{_YEAR})(?:{_YEAR_SUFFIX})?)?"
        rf"{_SP}(?:по|до){_SP}(?P<d2>[0-3]?\d){_SP}(?P<m>{_M_GEN}){_E}{_year_tail()}",
        _day_range,
    ),
    _rule(
        "month_parts",
        rf"{_B}(?:(?:в|во){_SP})?(?P<p1>{_PART_RU}){_SP}(?P<m1>{_M_GEN}){_E}"
        rf"(?:{_SP0}(?:и|или|[-–—]){_SP0}(?:(?:в|во){_SP})?(?P<p2>{_PART_RU}){_SP}(?P<m2>{_M_GEN}){_E})?"
        rf"{_year_tail()}",
        _month_parts,
    ),
    _rule(
        "month",
        rf"{_B}(?:в|во){_SP}(?:(?P<rel>следующем|будущем|прошлом|минувшем){_SP})?(?P<m>{_M_PREP}){_E}"
        rf"(?:{_SP0}[-–—]{_SP0}(?P<m2>{_M_PREP}){_E})?{_year_tail()}",
        _month,
    ),
    _rule(
        "month_with_year",
        rf"{_B}(?P<m>{_M_PREP}|{_M_NOM}|{_M_GEN})"
        rf"(?:{_SP}(?P<y>{_YEAR})(?:{_YEAR_SUFFIX})?{_E}|{_SP}(?P<yr>{_REL_YEAR_GEN})(?P<same>{_SP}же)?{_SP}года{_E})",
        _month,
    ),
    _rule(
        "year",
        rf"{_B}(?:(?:в|во)(?:{_SP}|\.))?(?:(?P<p>{_PART_RU}){_SP})?(?<![\d,])(?<!\d\.)(?P<y>{_YEAR})(?:{_YEAR_SUFFIX}){_E}",
        _year,
    ),
    _rule(
        "year_after_preposition",
        rf"{_B}{_RU_PREP}{_SP}(?:(?P<p>{_PART_RU}){_SP})?(?P<y>{_YEAR})(?![\d.,]\d)(?!{_SP0}[-–—]\d)"
        rf"(?!{_SP}[а-яёa-z%])(?!{_SP0}[-–—]?{_SP0}(?:го|м|й|х|е){_E})",
        _year,
    ),
    _rule("year_in_brackets", rf"\((?P<y>{_YEAR})\)", _year),
    # "ЕГЭ-2013", "Евро-2020": an occasion named with its year.
    _rule("year_of_occasion", rf"(?<=[^\W\d_]-)(?P<y>{_YEAR})(?![\w-])", _year),
    _rule(
        "year_range",
        rf"{_B}(?:(?:в|во|с|со){_SP})?(?<![\d.,])(?P<y1>{_YEAR})(?:{_YEAR_SUFFIX})?{_SP0}(?:[-–—]|{_SP}(?:по|до){_SP})"
        rf"{_SP0}(?P<y2>{_YEAR}|\d\d)(?![\d.,]\d)(?:{_YEAR_SUFFIX})?",
        _year_range,
    ),
    _rule(
        "decade",
        rf"{_B}(?:(?:в|во|с|со|до|к){_SP})?(?:(?P<p>{_PART_RU}){_SP})?"
        rf"(?:(?P<dy>(?:1[6-9]|20)\d0)-?(?:е|х|ые|ых)|(?P<dw>(?:двадцат|тридцат|сороков|пятидесят|шестидесят"
        rf"|семидесят|восьмидесят|девяност)(?:ые|ых))){_E}(?:{_SP}(?:годы|годах|годов|гг\.?))?",
        _decade,
    ),
    _rule(
        "relative_year",
        rf"{_B}(?:(?:в|во){_SP})?(?:(?P<p>{_PART_RU}){_SP})?(?P<yr>{_REL_YEAR_PREP})(?P<same>{_SP}же)?{_SP}году{_E}",
        _year,
    ),
    _rule(
        "relative_year_genitive",
        rf"{_B}(?:(?P<p>{_PART_RU}){_SP})?(?P<yr>{_REL_YEAR_GEN})(?P<same>{_SP}же)?{_SP}года{_E}",
        _year,
    ),
    _rule("that_year", rf"{_B}в{_SP}тот{_SP}(?:же{_SP})?год{_E}", _anaphoric_year),
    _rule(
        "season",
        rf"{_B}(?:(?P<rel>этой|прошлой|минувшей|позапрошлой|следующей|будущей|той|этим|прошлым|минувшим|следующим"
        rf"|будущим|тем)(?:{_SP}же)?{_SP})?(?P<s>весной|летом|осенью|зимой){_E}"
        rf"(?:{_SP}(?P<y>{_YEAR})(?:{_YEAR_SUFFIX})?{_E}|{_SP}(?P<yr>{_REL_YEAR_GEN})(?P<same>{_SP}же)?{_SP}года{_E})?",
        _season,
    ),
    _rule(
        "season_with_year",
        rf"{_B}(?P<s>весна|весны|весне|весну|лето|лета|лете|осень|осени|зима|зимы|зиме|зиму){_SP}"
        rf"(?:(?P<y>{_YEAR})(?:{_YEAR_SUFFIX})?{_E}|(?P<yr>{_REL_YEAR_GEN})(?P<same>{_SP}же)?{_SP}года{_E})",
        _season,
    ),
    _rule("day_word", rf"{_B}(?P<w>позавчера|вчера|сегодня|завтра|послезавтра){_E}", _day_word),
    _rule(
        "relative_week",
        rf"{_B}(?:на|в|во){_SP}(?P<rel>этой|текущей|прошлой|минувшей|позапрошлой|следующей|будущей|той|этой)"
        rf"(?:{_SP}же)?{_SP}(?P<u>неделе){_E}",
        _relative_unit,
    ),
    _rule(
        "relative_month",
        rf"{_B}(?:в|во){_SP}(?P<rel>этом|текущем|прошлом|минувшем|следующем|будущем|том)(?:{_SP}же)?"
        rf"{_SP}(?P<u>месяце){_E}",
        _relative_unit,
    ),
    _rule("same_month", rf"{_B}(?P<rel>того){_SP}же{_SP}(?P<u>месяца){_E}", _relative_unit),
    _rule(
        "weekend",
        rf"{_B}(?:(?:в|во){_SP}(?:(?P<rel>эти|прошлые|минувшие|следующие|ближайшие){_SP})?выходные"
        rf"|на{_SP}(?:(?P<rel2>этих|прошлых|следующих){_SP})?выходных){_E}",
        _weekend,
    ),
    _rule(
        "ago",
        rf"{_B}(?:(?P<n>\d{{1,3}}|{_RU_NUM}){_SP})?(?P<u>{_RU_UNIT}){_SP}(?:тому{_SP})?назад{_E}",
        _ago,
    ),
    _rule(
        "later",
        rf"{_B}(?:через|спустя){_SP}(?:(?P<n>\d{{1,3}}|{_RU_NUM}){_SP})?(?P<u>{_RU_UNIT}){_E}",
        _later,
    ),
    _rule(
        "next_day",
        rf"{_B}(?:на{_SP}(?:следующий|другой){_SP}день|в{_SP}(?:тот|этот){_SP}(?:же{_SP})?день"
        rf"|(?:с|до|к|со){_SP}(?:того|этого){_SP}(?:же{_SP})?дня){_E}",
        _next_day,
    ),
    _rule(
        "today",
        rf"{_B}(?:на|с|до|к|по){_SP}(?P<w>сегодня)шн(?:ий|его|ему|ем){_SP}(?:день|дня|дню|момент|момента){_E}",
        _day_word,
    ),
    _rule(
        "earlier_or_later",
        rf"{_B}(?:(?P<n>{_RU_NUM}|\d{{1,3}}){_SP})?(?P<u>годом|годами|месяцем|месяцами|неделей|неделями|днем|днём"
        rf"|днями|сутками){_SP}(?P<dir>позже|позднее|ранее|раньше|спустя){_E}",
        _relative_to_anchor,
    ),
    _rule(
        "weekday",
        rf"{_B}(?:в|во){_SP}(?:(?P<rel>прошлый|прошлую|прошлое|минувший|минувшую|минувшее|этот|эту|это|следующий"
        rf"|следующую|следующее|ближайший|ближайшую|ближайшее){_SP})?(?P<wd>{_RU_WEEKDAY_ACC}){_E}",
        _weekday,
    ),
]
# The gates of the rules (see _Gates). Most lines of an article name no month, no year and nothing "назад",
# and probes cost less than a rule's regex scanning each line. Every probe below is a literal part of
# the rule's pattern (the text of a match lower-cases to it there), or a regex matching such a part,
# spelt lower-case where the rule matches case-insensitively. Literals, and regexes that begin with one,
# are looked for fast: a gate begins with those where it can, and its more precise but slower regexes
# come after, run only on the lines that passed.
_YEAR_PROBES = (re.compile(r"1\d\d\d"), re.compile(r"20\d\d"))  # _YEAR
_YEAR_GATE: _Gate = (_YEAR_PROBES,)
_YEAR_OR_REL_YEAR = (*_YEAR_PROBES, "года")  # "<_YEAR>" or "<_REL_YEAR_GEN> года"
# Every month form and abbreviation begins with one of these: "янв", "мар", "мая", "сен"...
_MONTH_STEMS = "|".join(sorted({word[:3] for word in (*RU_MONTH_FORMS, *_RU_MONTH_ABBR)}))
# "5 мая", "5-го мая", "25 сент.": a day and a month, which day_month, day_range and day_month_range hold.
_DAY_MONTH_GATE: _Gate = ((re.compile(rf"\d(?:-?го)?{_SP}(?:{_MONTH_STEMS})"),),)
# iso's "2020-03-", and the "-2013" of "ЕГЭ-2013" (the hyphen is year_of_occasion's lookbehind: just
# before the match, on its line).
_HYPHEN_GATE: _Gate = ((re.compile(r"-(?:[01]\d-|1\d\d\d|20\d\d)"),),)
_RU_GATES: dict[str, _Gate] = {
    "dd.mm.yyyy": ((re.compile(r"\.(?:1\d\d\d|20\d\d)"),),),
    "iso": _HYPHEN_GATE,
    "day_month": _DAY_MONTH_GATE,
    "day_range": _DAY_MONTH_GATE,
    "day_month_range": _DAY_MONTH_GATE,
    # Each part of a month ends with a word beginning so: "начал", "середин", "половин", "числа"...
    "month_parts": (
        tuple(sorted({part.split()[-1][:-1] for part in _PARTS_RU})),
        (re.compile(rf"{_SP}(?:{_MONTH_STEMS})"),),
    ),
    # "в мае", "в прошлом марте".
    "month": ((re.compile(rf"во?{_SP}(?:(?:следующем|будущем|прошлом|минувшем){_SP})?{_M_PREP}"),),),
    # "мае 2020", "марта прошлого года": a month, then a year.
    "month_with_year": (
        _YEAR_OR_REL_YEAR,
        (re.compile(rf"(?:{_MONTH_STEMS})[а-я]*{_SP}(?:1\d\d\d|20\d\d|[а-я]+(?:{_SP}же)?{_SP}года)"),),
    ),
    # "2020 г.", "2020 году", "2020-м".
    "year": (_YEAR_PROBES, (re.compile(rf"(?:1\d\d\d|20\d\d)(?:{_SP0}г|-)"),)),
    "year_after_preposition": _YEAR_GATE,
    "year_in_brackets": _YEAR_GATE,
    "year_of_occasion": _HYPHEN_GATE,
    # "2008–2010", "2008 по 10": a dash or "по"/"до" before the second year.
    "year_range": (_YEAR_PROBES, (re.compile(rf"(?:[-–—]|{_SP}(?:по|до){_SP}){_SP0}\d\d"),)),
    # "1990-е", "1990х", "1990ые"; "двадцатые", "девяностые" ("пятидесят", "семидесят"... hold "десят").
    "decade": ((re.compile("0-?[еых]"), "двадцат", "тридцат", "сороков", "десят", "девяност"),),
    # Every word of _REL_YEAR_PREP ends in "м", and every word of _REL_YEAR_GEN in "го".
    "relative_year": (("году",), (re.compile(rf"м(?:{_SP}же)?{_SP}году"),)),
    "relative_year_genitive": (("года",), (re.compile(rf"го(?:{_SP}же)?{_SP}года"),)),
    "that_year": (("тот",), (re.compile(rf"тот{_SP}(?:же{_SP})?год"),)),
    "season": (("весной", "летом", "осенью", "зимой"),),
    "season_with_year": (_YEAR_OR_REL_YEAR, ("весн", "лето", "лета", "лете", "осен", "зим")),
    "day_word": (("вчера", "сегодня", "завтра"),),
    "relative_week": (("неделе",),),
    "relative_month": (("месяце",),),
    "same_month": (("месяца",), (re.compile(rf"того{_SP}же{_SP}месяца"),)),
    "weekend": (("выходн",),),
    "ago": (("назад",),),
    "later": (("через", "спустя"),),
    # "следующий день", "другой день", "тот (же) день", "этот день", "того (же) дня", "этого дня".
    "next_day": (("день", "дня"), (re.compile(rf"(?:ий|ой|от|го){_SP}(?:же{_SP})?д(?:ень|ня)"),)),
    "today": (("сегодняшн",),),
    # Units in the instrumental case end in "м", "й" or "ми": "годом", "неделей", "днями".
    "earlier_or_later": (
        ("позже", "позднее", "ранее", "раньше", "спустя"),
        tuple(re.compile(rf"{end}{_SP}(?:позже|позднее|ранее|раньше|спустя)") for end in ("м", "й", "ми")),
    ),
    # "в пятницу", "в прошлую пятницу" (whatever the word between).
    "weekday": ((re.compile(rf"во?{_SP}(?:[а-яё]+{_SP})?{_RU_WEEKDAY_ACC}"),),),
}
_RU_RULES = [replace(rule, gate=_RU_GATES[rule.name]) for rule in _RU_RULES]

_EN_YEAR_TAIL = rf"(?:,?{_SP}(?P<y>{_YEAR}){_E})?"
_EN_RULES = [
    *_NUMERIC_RULES,
    _rule(
        "day_month",
        rf"{_B}(?:(?:on{_SP})?(?P<wd>{_EN_WEEKDAY}),?{_SP})?(?P<m>{_EN_M_ANY}){_SP}(?P<d>[0-3]?\d)(?:st|nd|rd|th)?{_E}"
        rf"{_EN_YEAR_TAIL}",
        _day_month,
    ),
    _rule(
        "day_month",
        rf"{_B}(?:(?:on{_SP})?(?P<wd>{_EN_WEEKDAY}),?{_SP})?(?<![\d.,])(?P<d>[0-3]?\d)(?:st|nd|rd|th)?{_SP}(?:of{_SP})?"
        rf"(?P<m>{_EN_M_ANY}){_E}{_EN_YEAR_TAIL}",
        _day_month,
    ),
    _rule(
        "month_parts",
        rf"{_B}(?:(?:in|at|by|until|since){_SP})?(?P<p1>{_PART_EN}){_SP0}(?P<m1>{_EN_M_FULL}){_E}"
        rf"(?:{_SP}(?:and|or|to|[-–—]){_SP}(?P<p2>{_PART_EN}){_SP0}(?P<m2>{_EN_M_FULL}){_E})?{_EN_YEAR_TAIL}",
        _month_parts,
    ),
    _rule(
        "month",
        rf"{_B}(?:in|since|by|during|until|till|from|before|after|through){_SP}(?:(?P<rel>next|last){_SP})?"
        rf"(?P<m>{_EN_M_FULL}){_E}{_EN_YEAR_TAIL}",
        _month,
    ),
    _rule("month_with_year", rf"{_B}(?P<m>{_EN_M_FULL}),?{_SP}(?P<y>{_YEAR}){_E}", _month),
    _rule(
        "year",
        rf"{_B}(?:in|since|by|during|until|till|from|before|after|of|through){_SP}(?:(?P<p>{_PART_EN}){_SP0})?"
        rf"(?P<y>{_YEAR})(?!{_SP0}[-–]\d)(?![\w%-])",
        _year,
    ),
    _rule("year_part", rf"{_B}(?P<p>{_PART_EN}){_SP0}(?P<y>{_YEAR})(?![\w%-])", _year),
    _rule("year_in_brackets", rf"\((?P<y>{_YEAR})\)", _year),
    _rule(
        "year_range",
        rf"{_B}(?:(?:in|from|between){_SP})?(?P<y1>{_YEAR}){_SP0}(?:[-–—]|{_SP}(?:to|and){_SP}){_SP0}"
        rf"(?P<y2>{_YEAR}|\d\d)(?![\d.,]\d)",
        _year_range,
    ),
    _rule(
        "decade",
        rf"{_B}(?:(?:in|during|since|by){_SP})?(?:the{_SP})?(?:(?P<p>{_PART_EN}){_SP0})?(?P<dy>(?:1[6-9]|20)\d0)'?s{_E}",
        _decade,
    ),
    _rule(
        "season",
        rf"{_B}(?:(?:in|during|by|since){_SP}(?:the{_SP})?)?(?:(?P<rel>this|last|next|past){_SP})?"
        rf"(?P<s>spring|summer|autumn|fall|winter){_E}(?:{_SP}of)?(?:{_SP}(?P<y>{_YEAR}){_E})?",
        _season,
        _a_season_not_a_noun,
    ),
    _rule(
        "day_word",
        rf"{_B}(?P<w>the{_SP}day{_SP}before{_SP}yesterday|the{_SP}day{_SP}after{_SP}tomorrow|yesterday|today"
        rf"|tonight|tomorrow){_E}",
        _day_word,
    ),
    _rule(
        "relative_unit",
        rf"{_B}(?P<rel>this|last|next|past|earlier{_SP}this|later{_SP}this|that|the{_SP}same){_SP}"
        rf"(?P<u>week|month|year){_E}",
        _relative_unit,
    ),
    _rule(
        "weekend",
        rf"{_B}(?:(?:at|on|over|during){_SP})?(?:the{_SP})?(?:(?P<rel>this|last|next|past){_SP})?weekend{_E}",
        _weekend,
    ),
    _rule("ago", rf"{_B}(?P<n>\d{{1,3}}|{_EN_NUM}){_SP}(?P<u>{_EN_UNIT}){_SP}ago{_E}", _ago),
    _rule("later", rf"{_B}(?P<n>\d{{1,3}}|{_EN_NUM}){_SP}(?P<u>{_EN_UNIT}){_SP}later{_E}", _later),
    _rule(
        "next_day",
        rf"{_B}(?:the{_SP}(?:next|following){_SP}day|that{_SP}(?:same{_SP})?day|the{_SP}same{_SP}day){_E}",
        _next_day,
    ),
    _rule(
        "weekday",
        rf"{_B}(?:on{_SP})?(?:(?P<rel>last|this|next|past|coming){_SP})?(?P<wd>{_EN_WEEKDAY}){_E}",
        _weekday,
    ),
]


# --- finding and resolving ---


# Every character that a case-insensitive pattern matches in place of a Latin or Cyrillic letter that
# lower() does not turn it into (found by trying every code point): "ı" and "ſ" (i and s), the old
# Cyrillic variants U+1C80-U+1C88; and "İ", which lower-cases to two characters, the only one to change
# length. find_time_exprs reads each as the letter it stands for (U+1C80-U+1C88: rounded ve, long-legged
# de, narrow o, wide es, tall te, three-legged te, tall hard sign, tall yat, unblended uk), so the lower-cased
# text the gates search matches what the patterns match, character for character.
_TRAP_LETTERS = str.maketrans(
    dict(zip("\u0130\u0131\u017f" + "".join(map(chr, range(0x1C80, 0x1C89))), "Iisвдосттъѣꙋ", strict=True))
)
# Lines this close to each other are scanned in one call: the text between costs less than a call.
_WINDOW_GAP = 64


class _Gates:
    """The windows of a text in which a rule's regex runs: the lines that hold a probe of every group of
    the rule's gate. The first group's probes are looked for in the whole text, once per text; those of
    the other groups only on the lines that passed the groups before.

    No part of a rule, lookarounds included, matches a line break, and none matches an empty string. So
    no match spans lines; a lookahead at a line's end fails on its "\n" as it would at the end of the
    string (``endpos``), and a lookbehind at a line's start likewise; and a scan over whole lines finds
    exactly the whole text's matches that lie on them. The lines that can hold no match are skipped.
    """

    def __init__(self, text: str, lowered: str) -> None:
        self.lowered = lowered
        self.starts = [0]
        newline = text.find("\n")
        while newline >= 0:
            self.starts.append(newline + 1)
            newline = text.find("\n", newline + 1)
        self.stops = [start - 1 for start in self.starts[1:]] + [len(text)]  # each line's "\n" or the end
        self._lines: dict[_Probe, set[int]] = {}
        self._windows: dict[_Gate, list[tuple[int, int]]] = {}

    def _find(self, probe: _Probe, start: int, stop: int) -> int:
        """Where ``probe`` first occurs within ``lowered[start:stop]``, or -1. No probe spans lines."""
        if isinstance(probe, str):
            return self.lowered.find(probe, start, stop)
        match = probe.search(self.lowered, start, stop)
        return match.start() if match else -1

    def _lines_with(self, probe: _Probe) -> set[int]:
        """The indices of the lines that hold ``probe``, searching on from the line after each one found."""
        lines = self._lines.get(probe)
        if lines is None:
            lines = set()
            found = self._find(probe, 0, len(self.lowered))
            while found >= 0:
                line = bisect_right(self.starts, found) - 1
                lines.add(line)
                found = self._find(probe, self.stops[line] + 1, len(self.lowered))
            self._lines[probe] = lines
        return lines

    def windows(self, gate: _Gate) -> list[tuple[int, int]]:
        """(pos, endpos) spans of whole lines, together covering every line the gate lets through."""
        if gate not in self._windows:
            first, *others = gate
            lines = set().union(*(self._lines_with(probe) for probe in first))
            for group in others:
                lines = {
                    line
                    for line in lines
                    if any(self._find(probe, self.starts[line], self.stops[line]) >= 0 for probe in group)
                }
            windows: list[tuple[int, int]] = []
            for line in sorted(lines):
                if windows and self.starts[line] - windows[-1][1] <= _WINDOW_GAP:
                    windows[-1] = (windows[-1][0], self.stops[line])
                else:
                    windows.append((self.starts[line], self.stops[line]))
            self._windows[gate] = windows
        return self._windows[gate]


def _candidates(text: str, rules: list[_Rule]) -> list[tuple[int, int, _Rule, re.Match[str]]]:
    """All rule matches, then the longest non-overlapping ones (leftmost on ties), in text order."""
    whole = [(0, len(text))]
    gates = None
    if any(rule.gate for rule in rules):
        lowered = text.lower()
        if len(lowered) == len(text):  # always, once the trap letters are translated; a guard
            gates = _Gates(text, lowered)
    found = [
        (m.start(), m.end(), rule, m)
        for rule in rules
        for pos, endpos in (gates.windows(rule.gate) if gates and rule.gate else whole)
        for m in rule.pattern.finditer(text, pos, endpos)
        if m.end() > m.start() and (rule.accept is None or rule.accept(m))
    ]
    found.sort(key=lambda c: (-(c[1] - c[0]), c[0]))
    taken: list[tuple[int, int, _Rule, re.Match[str]]] = []
    for cand in found:
        if all(cand[1] <= t[0] or cand[0] >= t[1] for t in taken):
            taken.append(cand)
    return sorted(taken, key=lambda c: c[0])


class _Sentences:
    """``sentence_spans(text)`` read lazily: razdel splits only the paragraphs asked about."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.paragraphs = paragraph_spans(text)
        self.starts = [start for start, _ in self.paragraphs]
        self._split: dict[int, list[tuple[int, int, int]]] = {}

    def _of(self, index: int) -> list[tuple[int, int, int]]:
        if index not in self._split:
            p_start, p_stop = self.paragraphs[index]
            self._split[index] = [
                (p_start + s.start, p_start + s.stop, index) for s in sentenize(self.text[p_start:p_stop])
            ]
        return self._split[index]

    def at(self, position: int) -> tuple[int, int, int]:
        """The first sentence that ends after ``position``, else the last one (else the whole text).

        razdel's sentences of a paragraph lie within it, in order, so those of the paragraphs before the
        one that ``position`` falls in all end before it: they need no splitting.
        """
        for index in range(max(bisect_right(self.starts, position) - 1, 0), len(self.paragraphs)):
            for span in self._of(index):
                if span[1] > position:
                    return span
        for index in reversed(range(len(self.paragraphs))):
            if self._of(index):
                return self._of(index)[-1]
        return 0, len(self.text), 0


_BOUND_RE = re.compile(
    r"(?:с|со|до|к|по|от|начиная|после|перед|около|за|между|since|until|till|by|from|before|after)\s",
    re.IGNORECASE,
)


# A quotation: a year said inside it («… в апреле 2017 года») does not date the narrative after it.
_QUOTE_RE = re.compile(r"«[^«»]{1,2000}»|“[^“”]{1,2000}”|„[^„“”]{1,2000}[“”]|\"[^\"\n]{1,2000}\"")
# "Вчера, 10 января, …": the date is that yesterday, whatever the tense of the rest of the sentence.
_DEICTIC_BEFORE_RE = re.compile(
    r"(?:вчера|позавчера|сегодня|завтра|послезавтра|yesterday|today|tomorrow)[\s,]*(?:в[\s\u00a0]+)?$",
    re.IGNORECASE,
)
# A text that names centuries, years before 1800 or eras is telling history: "через 20 лет августы
# отрекутся" is counted from some year of that story, not from the day the article was published.
_HISTORICAL_RE = re.compile(
    r"(?<![\w])(?:[IVXLC]{1,6}|\d{1,2})(?:-?м|-?го|-?й)?[\s\u00a0]+(?:век|века|веке|веков|веку|столети)"
    r"|до[\s\u00a0]+н\.[\s\u00a0]*э\.|(?<![\w])н\.[\s\u00a0]*э\."
    r"|(?<![\w\d])(?:\d{1,3}|1[0-7]\d\d)[\s\u00a0]+(?:году|года|годах|г\.)(?![\w])"
    r"|(?<![\w])(?:\d{1,2}(?:st|nd|rd|th)[\s\u00a0]+century|\d{1,4}[\s\u00a0]+(?:BC|BCE|AD)\b|AD[\s\u00a0]+\d{1,4})",
    re.IGNORECASE,
)
# In a historical text, a span counted from publication day further than this is not resolved.
HISTORICAL_REACH_YEARS = 5
_FROM_PUBLICATION_RULES = {"ago", "later"}


def _quote_spans(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _QUOTE_RE.finditer(text)]


def find_time_exprs(text: str, published: dt.date, lang: str = "ru") -> list[TimeExpr]:
    """Every expression of a point or span of time in ``text``, resolved against ``published``.

    Durations ("за три года", "two weeks") are not matched: they name no point on the calendar.
    """
    original = text
    # Letters a case-insensitive pattern takes for others ("ſ" for "s", old Cyrillic "ᲂ" for "о") are
    # read as those: the month and season tables then know the word. One character for one: offsets hold.
    text = text.translate(_TRAP_LETTERS)
    rules = _RU_RULES if lang == "ru" else _EN_RULES
    sentences = _Sentences(text)
    tenses: dict[tuple[int, int], _SentenceTenses] = {}
    result: list[TimeExpr] = []
    ctx = _Context(published)
    paragraph = -1
    candidates = _candidates(text, rules)
    quotes = _quote_spans(text) if candidates else []
    historical = bool(candidates) and _HISTORICAL_RE.search(text) is not None
    # The narrative's year and month from before a quotation, restored once the quotation closes.
    outside: tuple[int, int | None, tuple[int, int] | None] | None = None
    for start, stop, rule, match in candidates:
        # The sentence of a candidate: the first one that ends after its start.
        s_start, s_stop, s_paragraph = sentences.at(start)
        if s_paragraph != paragraph:
            paragraph = s_paragraph
            ctx = _Context(published)
            outside = None
        if outside is not None and start >= outside[0]:
            _, ctx.year, ctx.month = outside
            outside = None
        if (s_start, s_stop) not in tenses:
            tenses[s_start, s_stop] = _SentenceTenses(text[s_start:s_stop], lang)
        ctx.tense, ctx.own_tense = tenses[s_start, s_stop].scoped(start - s_start)
        if _DEICTIC_BEFORE_RE.search(text, max(s_start, start - 24), start):
            ctx.tense = ""  # the occurrence nearest to publication: "вчера, 10 января" is this January
        try:
            resolved = rule.resolve(match, ctx)
        except (ValueError, OverflowError):
            continue  # "завтра" said on 9999-12-31, "два года назад" in year 1: a day off the calendar
        if resolved is None:
            continue
        begin, end, granularity = resolved
        if (
            historical
            and rule.name in _FROM_PUBLICATION_RULES
            and abs(begin.year - published.year) > HISTORICAL_REACH_YEARS
            and not (ctx.anchor and ctx.tense == "past")
        ):
            continue  # "через 20 лет" in a story of Roman emperors: not 20 years after publication
        result.append(TimeExpr(original[start:stop], start, stop, begin, end, granularity))
        quote = next(((q0, q1) for q0, q1 in quotes if q0 < start and stop <= q1), None)
        if quote is not None and outside is None:
            outside = (quote[1], ctx.year, ctx.month)
        # "с 2008 года" bounds a span; it does not set the scene for the dates that follow.
        preceding = text[max(0, start - 12) : start].split()[-1:]
        bounded = _BOUND_RE.match(match.group(0)) or (preceding and _BOUND_RE.match(preceding[0] + " "))
        if begin.year == end.year and not bounded:
            ctx.year = begin.year
        if begin.year == end.year and begin.month == end.month:
            ctx.month = (begin.year, begin.month)
        ctx.anchor = begin
    return result
