"""Time expressions: found in text and resolved against the publication date."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.analysis.timeexpr import TimeExpr, find_time_exprs

D = dt.date
SAMPLE = Path(__file__).resolve().parents[1] / "seeds" / "000_b4e76c9b5e787165.txt"
PUBLISHED = D(2025, 11, 26)  # a Wednesday


def sample_article() -> tuple[dt.date, str, str]:
    """The sample's first line is 'date YYYY-MM-DD <title>'; the body follows."""
    first, body = SAMPLE.read_text(encoding="utf-8").split("\n", 1)
    _, date_text, title = first.split(maxsplit=2)
    return dt.date.fromisoformat(date_text), title, body


def only(text: str, published: dt.date = PUBLISHED, lang: str = "ru") -> TimeExpr:
    found = find_time_exprs(text, published, lang)
    assert len(found) == 1, found
    return found[0]


def resolved(text: str, published: dt.date = PUBLISHED, lang: str = "ru") -> tuple[dt.date, dt.date, str]:
    expr = only(text, published, lang)
    return expr.begin, expr.end, expr.granularity


# --- the sample article ---


def test_sample_article_resolves_its_seven_expressions_in_order() -> None:
    published, _, body = sample_article()
    found = find_time_exprs(body, published, "ru")
    assert [(e.text, e.begin, e.end, e.granularity) for e in found] == [
        ("В 2022 году", D(2022, 1, 1), D(2022, 12, 31), "year"),
        ("В конце февраля и начале марта того года", D(2022, 2, 21), D(2022, 3, 10), "part_of_month"),
        ("весной", D(2022, 3, 1), D(2022, 5, 31), "season"),
        ("в 2025-м", D(2025, 1, 1), D(2025, 12, 31), "year"),
        ("В ноябре", D(2025, 11, 1), D(2025, 11, 30), "month"),
        ("26 ноября", D(2025, 11, 26), D(2025, 11, 26), "day"),
        ("на следующей неделе", D(2025, 12, 1), D(2025, 12, 7), "week"),
    ]


def test_sample_article_durations_are_not_time_expressions() -> None:
    published, _, body = sample_article()
    texts = " | ".join(e.text for e in find_time_exprs(body, published, "ru"))
    assert "три года" not in texts
    assert "раунд" not in texts


def test_offsets_point_at_the_expression_in_the_text() -> None:
    text = "Встреча прошла 3 марта 2024 г. в Женеве."
    expr = only(text)
    assert text[expr.start : expr.stop] == expr.text == "3 марта 2024 г."


# --- absolute dates ---


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Соглашение подписано 1 марта 2022 г. в Минске.", D(2022, 3, 1)),
        ("Документ датирован 26.11.2025 и опубликован.", D(2025, 11, 26)),
        ("Срок истёк 2024-02-29.", D(2024, 2, 29)),
        ("Он был утверждён 13 июля 2016 года.", D(2016, 7, 13)),
        ("Это произошло в апреле 1945-го, 25 апреля 1945 года.", None),
    ],
)
def test_absolute_day_dates(text: str, expected: dt.date | None) -> None:
    if expected is None:
        days = [e.begin for e in find_time_exprs(text, PUBLISHED) if e.granularity == "day"]
        assert days == [D(1945, 4, 25)]
        return
    assert resolved(text) == (expected, expected, "day")


def test_english_absolute_dates() -> None:
    assert resolved("The deal was signed on November 26, 2025 in Geneva.", lang="en") == (
        D(2025, 11, 26),
        D(2025, 11, 26),
        "day",
    )
    assert resolved("Talks resumed on 3 March 2022.", lang="en") == (D(2022, 3, 3), D(2022, 3, 3), "day")


def test_day_range_within_a_month_and_across_months() -> None:
    assert resolved("Забастовка прошла 27-28 сентября 2014 года.") == (
        D(2014, 9, 27),
        D(2014, 9, 28),
        "range",
    )
    assert resolved("Выставка работала с 16 апреля по 19 мая 2019 года.") == (
        D(2019, 4, 16),
        D(2019, 5, 19),
        "range",
    )


# --- months, years, seasons, parts ---


def test_month_and_year_granularity() -> None:
    assert resolved("В мае 2017 года он уехал.") == (D(2017, 5, 1), D(2017, 5, 31), "month")
    assert resolved("В 2022 году переговоры шли в Минске.") == (D(2022, 1, 1), D(2022, 12, 31), "year")
    assert resolved("Переговоры возобновились в 2025-м.") == (D(2025, 1, 1), D(2025, 12, 31), "year")
    assert resolved("In 2019 the company moved.", lang="en") == (D(2019, 1, 1), D(2019, 12, 31), "year")


def test_seasons_explicit_and_relative() -> None:
    assert resolved("Весной 2012 года он вернулся.") == (D(2012, 3, 1), D(2012, 5, 31), "season")
    # Published in late November: "прошлой осенью" is the autumn of the year before.
    assert resolved("Прошлой осенью завод закрылся.") == (D(2024, 9, 1), D(2024, 11, 30), "season")
    assert resolved("Last spring the plant closed.", lang="en") == (D(2025, 3, 1), D(2025, 5, 31), "season")


def test_parts_of_a_month_use_ten_day_thirds() -> None:
    assert resolved("В конце марта 2020 года границы закрыли.") == (
        D(2020, 3, 21),
        D(2020, 3, 31),
        "part_of_month",
    )
    assert resolved("В начале апреля 2020 года его выписали.") == (
        D(2020, 4, 1),
        D(2020, 4, 10),
        "part_of_month",
    )
    assert resolved("They met in late February 2022.", lang="en") == (
        D(2022, 2, 21),
        D(2022, 2, 28),
        "part_of_month",
    )


def test_parts_of_a_year_and_decades() -> None:
    assert resolved("В конце 2016 года он ушёл.") == (D(2016, 9, 1), D(2016, 12, 31), "part_of_year")
    assert resolved("В 1980-е годы он жил в Лондоне.") == (D(1980, 1, 1), D(1989, 12, 31), "decade")
    assert resolved("Он разбогател в начале 1990-х.") == (D(1990, 1, 1), D(1993, 12, 31), "decade")


# --- relative to the publication date ---


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Вчера он прилетел в Минск.", (D(2025, 11, 25), D(2025, 11, 25), "day")),
        ("На прошлой неделе он был в Москве.", (D(2025, 11, 17), D(2025, 11, 23), "week")),
        ("Встреча пройдёт на следующей неделе.", (D(2025, 12, 1), D(2025, 12, 7), "week")),
        ("Ответ придёт через три дня.", (D(2025, 11, 29), D(2025, 11, 29), "day")),
        ("Два месяца назад он ушёл в отставку.", (D(2025, 9, 1), D(2025, 9, 30), "month")),
        ("В понедельник он подписал указ.", (D(2025, 11, 24), D(2025, 11, 24), "day")),
        ("В понедельник он подпишет указ.", (D(2025, 12, 1), D(2025, 12, 1), "day")),
        ("В прошлом году продажи упали.", (D(2024, 1, 1), D(2024, 12, 31), "year")),
    ],
)
def test_russian_relative_expressions(text: str, expected: tuple[dt.date, dt.date, str]) -> None:
    assert resolved(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Yesterday the minister resigned.", (D(2025, 11, 25), D(2025, 11, 25), "day")),
        ("Last week he was in Moscow.", (D(2025, 11, 17), D(2025, 11, 23), "week")),
        ("The envoy will visit next week.", (D(2025, 12, 1), D(2025, 12, 7), "week")),
        ("Three days ago the talks ended.", (D(2025, 11, 23), D(2025, 11, 23), "day")),
        ("On Monday he signed the decree.", (D(2025, 11, 24), D(2025, 11, 24), "day")),
    ],
)
def test_english_relative_expressions(text: str, expected: tuple[dt.date, dt.date, str]) -> None:
    assert resolved(text, lang="en") == expected


def test_weekday_next_to_a_date_picks_the_year_it_falls_in() -> None:
    # 28 February was a Wednesday in 2018, not in 2017 or 2019.
    assert resolved("В среду, 28 февраля, комиссия опубликовала проект.", D(2018, 7, 9))[0] == D(2018, 2, 28)


# --- the year of a date written without one ---


def test_past_tense_date_without_year_is_not_in_the_future() -> None:
    published = D(2025, 1, 10)
    assert resolved("В декабре компания объявила о банкротстве.", published)[0] == D(2024, 12, 1)
    assert resolved("26 ноября Трамп анонсировал визит.", published)[0] == D(2024, 11, 26)


def test_future_tense_date_without_year_is_not_in_the_past() -> None:
    published = D(2025, 11, 26)
    assert resolved("В марте компания выпустит отчёт.", published)[0] == D(2026, 3, 1)
    assert resolved("Выборы будут проведены 10 февраля.", published)[0] == D(2026, 2, 10)
    assert resolved("The report will be published in March.", published, "en")[0] == D(2026, 3, 1)


def test_date_of_this_month_stays_in_the_publication_year() -> None:
    assert resolved("20 ноября стороны встретились.")[0] == D(2025, 11, 20)


def test_intention_is_not_mistaken_for_past_tense() -> None:
    # "намерены" looks like a past participle to a morphological analyser; it speaks of a plan.
    assert resolved("Сотрудники 26 июля намерены провести забастовку.", D(2018, 7, 5))[0] == D(2018, 7, 26)


# --- anaphora ---


def test_that_year_refers_to_the_year_named_earlier_in_the_paragraph() -> None:
    text = "В 2019 году компания открыла завод. В конце мая того года начался выпуск."
    assert [(e.begin, e.end) for e in find_time_exprs(text, PUBLISHED)] == [
        (D(2019, 1, 1), D(2019, 12, 31)),
        (D(2019, 5, 21), D(2019, 5, 31)),
    ]


def test_same_month_and_bare_season_follow_the_paragraph() -> None:
    text = "В марте 2021 года он уехал. В том же месяце его уволили. Летом он вернулся."
    assert [(e.begin, e.granularity) for e in find_time_exprs(text, PUBLISHED)] == [
        (D(2021, 3, 1), "month"),
        (D(2021, 3, 1), "month"),
        (D(2021, 6, 1), "season"),
    ]


def test_anaphora_does_not_cross_paragraphs() -> None:
    text = "В 2019 году компания открыла завод.\n\nВ ноябре завод закрыли."
    assert find_time_exprs(text, PUBLISHED)[-1].begin == D(2025, 11, 1)


def test_a_start_bound_year_does_not_set_the_scene() -> None:
    text = "Выплаты с 2008 года превысили 6 млрд евро. По состоянию на 5 февраля акции стоят 15 евро."
    assert find_time_exprs(text, D(2018, 2, 5))[-1].begin == D(2018, 2, 5)


def test_english_that_year_anaphora() -> None:
    found = find_time_exprs("In 2014 the war began. That year prices rose.", PUBLISHED, "en")
    assert [e.begin for e in found] == [D(2014, 1, 1), D(2014, 1, 1)]


# --- what is not a point in time ---


@pytest.mark.parametrize(
    "text",
    [
        "Это первая встреча за три года.",
        "После трех раундов возникла пауза.",
        "Срок заключения составил два года.",
        "Он провёл в больнице десять дней.",
        "23-летний спортсмен выиграл турнир.",
        "Выборы проходят каждые четыре года.",
        "Из 1500 участников до финала дошли 20.",
        "The talks lasted three years.",
    ],
)
def test_durations_ages_and_counts_are_not_time_expressions(text: str) -> None:
    lang = "en" if text.isascii() else "ru"
    assert find_time_exprs(text, PUBLISHED, lang) == []


def test_letters_a_case_insensitive_pattern_reads_as_others_are_read_as_those() -> None:
    # "ſ" (long s) and old Cyrillic "ᲃ" (rounded ve) match "s" and "в" case-insensitively; the text
    # keeps them, the resolution reads them as the letters they stand for (they used to raise).
    published = dt.date(2025, 3, 1)
    (spring,) = find_time_exprs("ſpring 2020 was quiet.", published, "en")
    assert (spring.text, spring.begin, spring.end) == (
        "ſpring 2020",
        dt.date(2020, 3, 1),
        dt.date(2020, 5, 31),
    )
    (season,) = find_time_exprs("Веᲃной 2020 года всё изменилось.", published, "ru")
    assert (season.text, season.begin, season.granularity) == (
        "Веᲃной 2020 года",
        dt.date(2020, 3, 1),
        "season",
    )
