"""Events for /timeline: extraction, merging across articles, order and labels."""

from __future__ import annotations

import datetime as dt
import pickle
import re

from bot.analysis.events import Event, extract_events, sort_key
from bot.analysis.timelabels import interval_label
from tests.test_timeexpr import sample_article

D = dt.date


def spans_of(text: str, names: dict[str, str]) -> list[tuple[int, int, str]]:
    """Entity spans as the NER step would give them: every occurrence of each surface form."""
    return [(m.start(), m.end(), key) for surface, key in names.items() for m in re.finditer(surface, text)]


def timeline(events: list[Event]) -> list[Event]:
    return sorted(events, key=lambda e: sort_key(e.begin, e.end, e.granularity))


# --- extraction ---


def test_sample_article_events_come_in_time_order() -> None:
    published, title, body = sample_article()
    events = extract_events(title, body, published, "ru")
    body_events = [e for e in timeline(events) if not e.headline]
    assert [(e.begin, e.end, e.granularity) for e in body_events] == [
        (D(2022, 1, 1), D(2022, 12, 31), "year"),
        (D(2022, 2, 21), D(2022, 3, 10), "part_of_month"),
        (D(2022, 3, 1), D(2022, 5, 31), "season"),
        (D(2025, 1, 1), D(2025, 12, 31), "year"),
        (D(2025, 11, 1), D(2025, 11, 30), "month"),
        (D(2025, 11, 26), D(2025, 11, 26), "day"),
        (D(2025, 12, 1), D(2025, 12, 7), "week"),
    ]
    assert "весной переговоры были поставлены на паузу" in body_events[2].text
    assert "Встреча в Стамбуле" not in body_events[2].text  # the clause, not the whole sentence


def test_headline_is_the_event_of_the_publication_date() -> None:
    published, title, body = sample_article()
    headlines = [e for e in extract_events(title, body, published, "ru") if e.headline]
    assert len(headlines) == 1
    assert (headlines[0].begin, headlines[0].end, headlines[0].granularity) == (published, published, "day")
    assert headlines[0].text.startswith("Лукашенко заявил")


def test_two_dates_in_one_sentence_make_two_clauses() -> None:
    text = "26 ноября Трамп анонсировал, что Уиткофф встретится с Путиным на следующей неделе."
    events = extract_events(
        "", text, D(2025, 11, 26), "ru", spans_of(text, {"Трамп": "trump", "Путин": "putin"})
    )
    # The announcement says what was announced; the meeting is an event of its own, dated next week.
    assert [(e.begin, e.text, e.participants) for e in events] == [
        (
            D(2025, 11, 26),
            "26 ноября Трамп анонсировал, что Уиткофф встретится с Путиным на следующей неделе",
            ("trump", "putin"),
        ),
        (D(2025, 12, 1), "Уиткофф встретится с Путиным на следующей неделе", ("putin",)),
    ]


def test_two_clauses_without_a_complement_stay_apart() -> None:
    text = "В 2022 году прошли переговоры, в 2025-м они возобновились."
    assert [e.text for e in extract_events("", text, D(2025, 11, 26), "ru")] == [
        "В 2022 году прошли переговоры",
        "в 2025-м они возобновились",
    ]


def test_a_date_that_ends_a_sentence_takes_the_clause_before_not_the_whole_sentence() -> None:
    # The whole sentence would put "22 октября закончилось…" under the 9th of October.
    text = (
        "22 октября закончилось перемирие на севере страны, после чего правительство объявило "
        "о прекращении операции, начатой 9 октября."
    )
    events = extract_events("", text, D(2019, 11, 1), "ru")
    assert [(e.begin, e.text) for e in events] == [
        (
            D(2019, 10, 22),
            "22 октября закончилось перемирие на севере страны, после чего правительство объявило "
            "о прекращении операции",
        ),
        (D(2019, 10, 9), "после чего правительство объявило о прекращении операции, начатой 9 октября"),
    ]
    # a piece of a list is not widened: the sentence tells what the dates are
    games = "Команда сыграет с Норвегией (10 мая), Чехией (13 мая), Швецией (21 мая)."
    texts = {e.begin: e.text for e in extract_events("", games, D(2019, 5, 1), "ru")}
    assert texts[D(2019, 5, 13)] == "Команда сыграет с Норвегией (10 мая), Чехией (13 мая), Швецией (21 мая)"


def test_numbers_with_a_comma_are_not_clause_breaks() -> None:
    text = "В 2020 году банк ждёт роста на 3,5%, а в 2021 году — на 4%."
    assert extract_events("", text, D(2019, 11, 1), "ru")[0].text == ("В 2020 году банк ждёт роста на 3,5%")
    english = (
        "Payrolls rose by 128,000 jobs in October, with factories shedding 36,000 positions in September."
    )
    assert extract_events("", english, D(2019, 11, 1), "en")[-1].text == (
        "with factories shedding 36,000 positions in September"
    )


def test_a_year_beside_a_day_is_one_event_dated_by_the_day() -> None:
    events = extract_events("", "В 2022 году, 24 февраля, началась операция.", D(2025, 1, 1), "ru")
    assert [(e.begin, e.granularity) for e in events] == [(D(2022, 2, 24), "day")]


def test_sentences_with_only_durations_give_no_events() -> None:
    text = "Это первая встреча за три года. После трех раундов возникла пауза."
    assert extract_events("", text, D(2025, 11, 26), "ru") == []


def test_when_it_was_reported_is_not_an_event() -> None:
    text = "Министр подал в отставку 8 июля. Об этом в понедельник, 9 июля, сообщила пресс-служба."
    events = extract_events("", text, D(2018, 7, 9), "ru")
    assert [(e.begin, e.text) for e in events] == [(D(2018, 7, 8), "Министр подал в отставку 8 июля")]


def test_a_bare_dateline_is_not_an_event() -> None:
    assert extract_events("", "Сегодня, 17:22\nМинистр подал в отставку.", D(2018, 7, 9), "ru") == []


def test_events_pickle_for_worker_processes() -> None:
    published, title, body = sample_article()
    events = extract_events(title, body, published, "ru")
    assert pickle.loads(pickle.dumps(events)) == events


# --- order and labels ---


def test_sort_key_puts_a_year_before_its_months_and_a_day_inside_its_month() -> None:
    year = sort_key(D(2025, 1, 1), D(2025, 12, 31), "year")
    january = sort_key(D(2025, 1, 1), D(2025, 1, 31), "month")
    first_of_january = sort_key(D(2025, 1, 1), D(2025, 1, 1), "day")
    november = sort_key(D(2025, 11, 1), D(2025, 11, 30), "month")
    november_26 = sort_key(D(2025, 11, 26), D(2025, 11, 26), "day")
    december = sort_key(D(2025, 12, 1), D(2025, 12, 31), "month")
    assert year < january < first_of_january < november < november_26 < december


def test_russian_labels() -> None:
    assert (
        interval_label(D(2022, 2, 21), D(2022, 3, 10), "part_of_month", "ru")
        == "конец февраля — начало марта 2022"
    )
    assert interval_label(D(2025, 11, 26), D(2025, 11, 26), "day", "ru") == "26 ноября 2025"
    assert interval_label(D(2022, 3, 1), D(2022, 5, 31), "season", "ru") == "весна 2022"
    assert interval_label(D(2025, 11, 1), D(2025, 11, 30), "month", "ru") == "ноябрь 2025"
    assert interval_label(D(2022, 1, 1), D(2022, 12, 31), "year", "ru") == "2022"
    assert interval_label(D(2025, 12, 1), D(2025, 12, 7), "week", "ru") == "неделя 1–7 декабря 2025"
    assert interval_label(D(2025, 2, 21), D(2025, 2, 28), "part_of_month", "ru") == "конец февраля 2025"
    assert interval_label(D(2019, 4, 16), D(2019, 5, 19), "range", "ru") == "16 апреля — 19 мая 2019"
    assert interval_label(D(1990, 1, 1), D(1993, 12, 31), "decade", "ru") == "начало 1990-х"


def test_english_labels() -> None:
    assert (
        interval_label(D(2022, 2, 21), D(2022, 3, 10), "part_of_month", "en")
        == "late February – early March 2022"
    )
    assert interval_label(D(2025, 11, 26), D(2025, 11, 26), "day", "en") == "26 November 2025"
    assert interval_label(D(2022, 3, 1), D(2022, 5, 31), "season", "en") == "spring 2022"
    assert interval_label(D(2025, 11, 1), D(2025, 11, 30), "month", "en") == "November 2025"
    assert interval_label(D(2024, 12, 1), D(2025, 2, 28), "season", "en") == "winter 2024–2025"
