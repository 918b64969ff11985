"""Dates on the timeline from news text the resolver used to misread (texts written for the tests)."""

from __future__ import annotations

import datetime as dt

from bot.analysis.events import extract_events
from bot.analysis.morph import russian_morph
from bot.analysis.timeexpr import find_time_exprs

D = dt.date


def _spans(text: str, published: dt.date, lang: str = "ru") -> list[tuple[dt.date, dt.date]]:
    return [(e.begin, e.end) for e in find_time_exprs(text, published, lang)]


def test_a_future_form_in_a_subordinate_clause_does_not_move_yesterdays_date_a_year_on() -> None:
    text = (
        "Вчера, 10 января, глава МИД отверг критику коллег и заявил, что без договора "
        "некому будет отстаивать интересы Европы."
    )
    assert _spans(text, D(2019, 1, 11)) == [(D(2019, 1, 10), D(2019, 1, 10))]


def test_a_verbless_date_clause_takes_the_tense_of_the_nearest_verb() -> None:
    text = "В пятницу, 4 января, министр подписал указ, который вступит в силу летом."
    assert _spans(text, D(2019, 1, 11))[0] == (D(2019, 1, 4), D(2019, 1, 4))


def test_a_year_named_inside_a_quotation_does_not_date_the_narrative_after_it() -> None:
    text = (
        "Министр напомнил: «Мы подписали соглашение в апреле 2017 года». "
        "В начале марта он заявил о новых переговорах."
    )
    assert _spans(text, D(2018, 4, 26)) == [
        (D(2017, 4, 1), D(2017, 4, 30)),
        (D(2018, 3, 1), D(2018, 3, 10)),
    ]


def test_a_year_named_in_the_narrative_still_dates_the_next_sentence() -> None:
    text = "В марте 2021 года он уехал. Летом он вернулся."
    assert _spans(text, D(2025, 11, 26))[-1] == (D(2021, 6, 1), D(2021, 8, 31))


def test_history_is_not_projected_from_the_publication_date() -> None:
    text = "В III веке империей правили четыре императора. Через 20 лет августы отрекутся от власти."
    assert _spans(text, D(2018, 4, 26)) == []


def test_a_forecast_in_todays_news_is_still_dated() -> None:
    text = "Через 20 лет население города сократится вдвое, считают демографы."
    assert _spans(text, D(2018, 4, 26)) == [(D(2038, 1, 1), D(2038, 12, 31))]


def test_copyright_lines_and_reader_comments_are_not_events() -> None:
    published = D(2018, 8, 11)
    assert extract_events("", "© 2014-2018 Все права защищены. Перепечатка запрещена.", published, "ru") == []
    comment = "10 августа 2018 13:53. ukov: а что будет дальше с ценами на бензин?"
    assert extract_events("", comment, published, "ru") == []
    assert extract_events("", "Читайте также: 5 августа в Москве открылся парк.", published, "ru") == []


def test_a_post_or_comment_time_stamp_and_a_photo_credit_are_not_events() -> None:
    # a page's comment block and photo line made the contest hour's "events" of 1 November
    published = D(2019, 11, 1)
    comment = "Гость, 01 ноября 2019 17:38Америка - страна адвокатов, все судятся со всеми!"
    assert extract_events("", comment, published, "ru") == []
    assert extract_events("", "12:00 01.11.2019 Фото: pixabay.com1 1", published, "ru") == []
    assert extract_events("", "Фото: пресс-служба МЧС, 30 октября 2019 года", published, "ru") == []
    # a date and a time written as news writes them stay an event
    text = "Пожар начался 31 октября 2019 года в 17:38 на складе в Бердске."
    assert [e.begin for e in extract_events("", text, published, "ru")] == [D(2019, 10, 31)]


def test_a_clock_time_in_a_sentence_is_not_a_comment_signature() -> None:
    text = "В 10:30 министр заявил: 10 августа цены выросли."
    assert [e.begin for e in extract_events("", text, D(2018, 8, 11), "ru")] == [D(2018, 8, 10)]


def test_a_dateline_is_not_an_event_but_the_lead_after_it_is() -> None:
    # Filed on the 31st, about the Monday before: only the Monday is an event.
    text = "МОСКВА, 31 июл — ПРАЙМ. Цены на нефть выросли в понедельник на фоне новостей из Ливии."
    events = extract_events("", text, D(2018, 8, 1), "ru")
    assert [(e.begin, e.text.startswith("Цены на нефть")) for e in events] == [(D(2018, 7, 30), True)]
    assert extract_events("", "МОСКВА, 31 июл — ПРАЙМ.", D(2018, 8, 1), "ru") == []


def test_a_past_event_counted_from_an_unnamed_date_is_not_put_after_publication() -> None:
    text = "Верховный суд оправдал мать спустя восемь лет после того, как ее приговорили к казни."
    assert _spans(text, D(2018, 10, 31)) == []
    retired = "Four years later, after his third title, he announced his retirement."
    assert _spans(retired, D(1996, 8, 31), "en") == []
    # Counted from a date the paragraph names, it is still resolved.
    assert _spans("В 2010 году завод открыли. Спустя два года его закрыли.", D(2018, 10, 31))[-1] == (
        D(2012, 1, 1),
        D(2012, 12, 31),
    )


def test_a_clock_time_in_gmt_is_not_a_year() -> None:
    assert _spans("The shares rose 0.2 percent by 1350 GMT in Milan.", D(1996, 8, 30), "en") == []


def test_a_date_in_an_aside_of_a_past_sentence_can_be_the_coming_day() -> None:
    # Announced on the 26th: the flights of the 28th, not of last September.
    text = "Авиакомпания объявила об отмене в конце недели, 28 сентября, 190 рейсов."
    assert _spans(text, D(2018, 9, 26))[-1] == (D(2018, 9, 28), D(2018, 9, 28))
    # Weeks ahead, the past tense still wins: last March, not the coming one.
    text = "В марте, по словам министра, компания потеряла треть выручки."
    assert _spans(text, D(2019, 2, 10)) == [(D(2018, 3, 1), D(2018, 3, 31))]


def test_a_past_participle_dates_a_month_in_the_past_though_the_sentence_speaks_in_the_present() -> None:
    # "подписанный в мае" is done; the present "предусматривает" of the main clause must not carry the month
    # to next May, which is nearer to a late-November publication than last May.
    text = "Документ, подписанный президентом в мае, предусматривает создание новой инфраструктуры."
    assert _spans(text, D(2026, 11, 29)) == [(D(2026, 5, 1), D(2026, 5, 31))]
    text = "Подписав закон в мае, президент поручил правительству подготовить поправки."
    assert _spans(text, D(2026, 11, 29)) == [(D(2026, 5, 1), D(2026, 5, 31))]


def test_a_present_participle_does_not_date_a_verbless_clause() -> None:
    # "действующий" names a standing, not the time of an event: the clause stays tenseless and takes the
    # year the paragraph named (read as present, it would be the May nearest to publication, 2027's)
    text = "В 2025 году прошли выборы. Действующий глава региона в мае — с отчётом перед депутатами."
    assert _spans(text, D(2026, 11, 29))[-1] == (D(2025, 5, 1), D(2025, 5, 31))


def test_a_past_participle_does_not_date_the_day_it_is_aimed_at() -> None:
    # the flights were planned in the past, for a coming day
    text = "Пока рейсы, запланированные на 25 июля, числятся как действующие."
    assert _spans(text, D(2018, 7, 20)) == [(D(2018, 7, 25), D(2018, 7, 25))]


def test_a_letter_without_a_unicode_name_reads_as_any_other() -> None:
    # pymorphy2 asked unicodedata for each letter's name: a Tangut ideograph has none, and every parse of a
    # word holding one raised ValueError ("/timeline вчера𗀀" failed)
    published = D(2019, 11, 1)
    assert [e.begin for e in find_time_exprs("ВЧЕРА:𗀀", published, "ru")] == [D(2019, 10, 31)]
    assert russian_morph().parse("Песков𗀀")[0].normal_form == "песков𗀀"


def test_fall_and_spring_as_a_noun_or_a_verb_are_no_season() -> None:
    # "Experts say the fall of Kurdish-held territory…" was an event of autumn 2019
    published = D(2019, 11, 1)

    def begins(text: str) -> list[dt.date]:
        return [e.begin for e in find_time_exprs(text, published, "en")]

    for text in ("Experts say the fall of the city is certain.", "Prices fall short.", "A hot spring."):
        assert begins(text) == [], text
    assert begins("In the fall the plan failed.") == [D(2019, 9, 1)]
    assert begins("Last fall he quit.") == [D(2018, 9, 1)]
    assert begins("The spring of 2020 was wet.") == [D(2020, 3, 1)]
