"""A source's boilerplate: what it prints in reports of different stories (texts written for the tests)."""

from __future__ import annotations

from bot.digest.boilerplate import boilerplate, by_source, without

INTRO = "Традиционно пятница — время новостей под нашей рубрикой «Проверка слухов». "
CREDIT = "Фото: архив редакции."


def test_a_sentence_in_reports_of_two_stories_is_boilerplate() -> None:
    reports = [
        (1, INTRO + "В городе откроют новый мост через реку Томь."),
        (2, INTRO + "Тарифы на проезд в автобусах не вырастут до весны."),
    ]
    assert boilerplate(reports) == {
        "традиционно пятница — время новостей под нашей рубрикой «проверка слухов»."
    }


def test_a_lead_repeated_within_one_story_is_not() -> None:
    # a report and its update: the lead is the news of that story
    lead = "Число пострадавших при пожаре на складе выросло до семи. "
    assert (
        boilerplate([(5, lead + "Пожар потушили ночью."), (5, lead + "Возбуждено уголовное дело.")]) == set()
    )


def test_each_source_has_its_own() -> None:
    leads = {
        "Городские вести": [(1, INTRO + "Мост откроют в мае."), (2, INTRO + "Тарифы не вырастут.")],
        "Областная газета": [(1, INTRO + "Мост откроют в мае.")],
    }
    assert set(by_source(leads)) == {"Городские вести"}


def test_without_cuts_only_those_sentences_and_keeps_the_rest_as_written() -> None:
    text = INTRO + "В городе откроют новый мост.\nСтроительство  заняло два года. " + CREDIT
    repeated = boilerplate([(1, text), (2, INTRO + "Другая новость дня.")])
    assert (
        without(text, repeated) == "В городе откроют новый мост.\nСтроительство  заняло два года. " + CREDIT
    )
    assert without(text, frozenset()) is text
    # case and spacing do not hide a repeat; short lines ("Фото: …") are left to the summariser's cleaning
    assert without(
        "ТРАДИЦИОННО   пятница — время новостей под нашей рубрикой «Проверка слухов». Итог.", repeated
    ) == ("Итог.")
