"""Human labels for time intervals in the reader's language: "конец февраля — начало марта 2022".

The label is rebuilt from the interval and its granularity alone, following the conventions of
bot.analysis.timeexpr (parts of a month are days 1–10, 11–20, 21–end; halves 1–15, 16–end).
"""

from __future__ import annotations

import calendar
import datetime as dt

RU_MONTHS_NOMINATIVE = (
    "январь",
    "февраль",
    "март",
    "апрель",
    "май",
    "июнь",
    "июль",
    "август",
    "сентябрь",
    "октябрь",
    "ноябрь",
    "декабрь",
)
RU_MONTHS_GENITIVE = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)
EN_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_SEASONS = {
    "ru": {3: "весна", 6: "лето", 9: "осень", 12: "зима"},
    "en": {3: "spring", 6: "summer", 9: "autumn", 12: "winter"},
}
_PARTS = {
    "ru": {
        "early": "начало",
        "mid": "середина",
        "late": "конец",
        "first_half": "первая половина",
        "second_half": "вторая половина",
    },
    "en": {
        "early": "early",
        "mid": "mid",
        "late": "late",
        "first_half": "first half of",
        "second_half": "second half of",
    },
}
_WEEK = {"ru": "неделя", "en": "week of"}
_PHRASE_DASH = " — "  # between two phrases
_NUMBER_DASH = "–"  # between two numbers


def _lang(lang: str) -> str:
    return "ru" if lang.startswith("ru") else "en"


def _last_day(day: dt.date) -> int:
    return calendar.monthrange(day.year, day.month)[1]


def _day(day: dt.date, lang: str, with_year: bool = True) -> str:
    month = RU_MONTHS_GENITIVE[day.month - 1] if lang == "ru" else EN_MONTHS[day.month - 1]
    return f"{day.day} {month} {day.year}" if with_year else f"{day.day} {month}"


def _month(day: dt.date, lang: str, with_year: bool = True) -> str:
    name = RU_MONTHS_NOMINATIVE[day.month - 1] if lang == "ru" else EN_MONTHS[day.month - 1]
    return f"{name} {day.year}" if with_year else name


def _days_span(begin: dt.date, end: dt.date, lang: str) -> str:
    """'1–7 декабря 2025', '28 апреля — 4 мая 2025', '30 декабря 2025 — 2 января 2026'."""
    if begin == end:
        return _day(begin, lang)
    if (begin.year, begin.month) == (end.year, end.month):
        return f"{begin.day}{_NUMBER_DASH}{_day(end, lang)}"
    if begin.year == end.year:
        return f"{_day(begin, lang, with_year=False)}{_PHRASE_DASH}{_day(end, lang)}"
    return f"{_day(begin, lang)}{_PHRASE_DASH}{_day(end, lang)}"


def _begin_part(day: dt.date, end: dt.date) -> str:
    if day.day == 16 and end.day == _last_day(end) and (end.year, end.month) == (day.year, day.month):
        return "second_half"
    return "early" if day.day <= 10 else "mid" if day.day <= 20 else "late"


def _end_part(day: dt.date, begin: dt.date) -> str:
    if day.day == 15 and begin.day == 1 and (begin.year, begin.month) == (day.year, day.month):
        return "first_half"
    return "early" if day.day <= 10 else "mid" if day.day <= 20 else "late"


def _part_of_month(begin: dt.date, end: dt.date, lang: str) -> str:
    """'конец февраля 2022', 'конец февраля — начало марта 2022', 'late February – early March 2022'."""
    parts = _PARTS[lang]
    first, last = _begin_part(begin, end), _end_part(end, begin)

    def phrase(part: str, day: dt.date) -> str:
        if lang == "ru":
            return f"{parts[part]} {RU_MONTHS_GENITIVE[day.month - 1]}"
        return f"{parts[part]} {EN_MONTHS[day.month - 1]}"

    dash = _PHRASE_DASH if lang == "ru" else f" {_NUMBER_DASH} "
    if (begin.year, begin.month) == (end.year, end.month):
        if first == last or first in {"first_half", "second_half"}:
            return f"{phrase(first, begin)} {begin.year}"
        if last == "first_half":
            return f"{phrase(last, begin)} {begin.year}"
        return f"{phrase(first, begin)}{dash}{phrase(last, end)} {end.year}"
    if begin.year == end.year:
        return f"{phrase(first, begin)}{dash}{phrase(last, end)} {end.year}"
    return f"{phrase(first, begin)} {begin.year}{dash}{phrase(last, end)} {end.year}"


def _part_of_year(begin: dt.date, end: dt.date, lang: str) -> str:
    parts = _PARTS[lang]
    spans = {(1, 4): "early", (5, 8): "mid", (9, 12): "late", (1, 6): "first_half", (7, 12): "second_half"}
    part = spans.get((begin.month, end.month))
    if part is None:
        return _range(begin, end, lang)
    return f"{parts[part]} {begin.year}"


def _decade(begin: dt.date, end: dt.date, lang: str) -> str:
    start = begin.year // 10 * 10
    if lang == "ru":
        whole = f"{start}-е"
        genitive = f"{start}-х"
    else:
        whole = genitive = f"{start}s"
    if begin.year == start and end.year == start + 9:
        return whole
    spans = {(0, 3): "early", (4, 6): "mid", (7, 9): "late", (0, 4): "first_half", (5, 9): "second_half"}
    part = spans.get((begin.year - start, end.year - start))
    if part is None:
        return f"{begin.year}{_NUMBER_DASH}{end.year}"
    return f"{_PARTS[lang][part]} {genitive}"


def _season(begin: dt.date, end: dt.date, lang: str) -> str:
    name = _SEASONS[lang][begin.month]
    if begin.month == 12:
        return f"{name} {begin.year}{_NUMBER_DASH}{end.year}"
    return f"{name} {begin.year}"


def _range(begin: dt.date, end: dt.date, lang: str) -> str:
    """An explicit span: whole years, whole months, or days."""
    whole_months = begin.day == 1 and end.day == _last_day(end)
    if whole_months and begin.month == 1 and end.month == 12:
        return str(begin.year) if begin.year == end.year else f"{begin.year}{_NUMBER_DASH}{end.year}"
    if whole_months:
        if (begin.year, begin.month) == (end.year, end.month):
            return _month(begin, lang)
        if begin.year == end.year:
            return f"{_month(begin, lang, with_year=False)}{_PHRASE_DASH}{_month(end, lang)}"
        return f"{_month(begin, lang)}{_PHRASE_DASH}{_month(end, lang)}"
    return _days_span(begin, end, lang)


def interval_label(begin: dt.date, end: dt.date, granularity: str, lang: str) -> str:
    """The label a reader sees on the timeline for one interval."""
    lang = _lang(lang)
    if granularity == "day":
        return _days_span(begin, end, lang)
    if granularity == "week":
        return f"{_WEEK[lang]} {_days_span(begin, end, lang)}"
    if granularity == "month":
        return _range(begin, end, lang)
    if granularity == "part_of_month":
        return _part_of_month(begin, end, lang)
    if granularity == "season":
        return _season(begin, end, lang)
    if granularity == "year":
        return str(begin.year) if begin.year == end.year else f"{begin.year}{_NUMBER_DASH}{end.year}"
    if granularity == "part_of_year":
        return _part_of_year(begin, end, lang)
    if granularity == "decade":
        return _decade(begin, end, lang)
    return _range(begin, end, lang)
