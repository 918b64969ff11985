"""A source's boilerplate: what it prints in reports about different things (texts written for the tests)."""

from __future__ import annotations

from bot.digest.boilerplate import boilerplate, by_source, without
from storage.stories import SourceReport as R

INTRO = "Традиционно пятница — время новостей под нашей рубрикой «Проверка слухов». "
INTRO_NORMALISED = "традиционно пятница — время новостей под нашей рубрикой «проверка слухов»."
CREDIT = "Фото: архив редакции."


def test_a_sentence_in_reports_of_two_stories_is_boilerplate() -> None:
    reports = [
        R(1, "Мост откроют в мае", INTRO + "В городе откроют новый мост через реку Томь."),
        R(2, "Тарифы не вырастут", INTRO + "Тарифы на проезд в автобусах не вырастут до весны."),
    ]
    assert boilerplate(reports) == {INTRO_NORMALISED}


def test_a_lead_repeated_by_the_versions_of_one_report_is_not() -> None:
    lead = "Число пострадавших при пожаре на складе выросло до семи. "
    reports = [
        R(5, "Пожар на складе: пострадали семь человек", lead + "Пожар потушили ночью."),
        R(5, "Пожар на складе: возбуждено дело", lead + "Возбуждено уголовное дело."),
        R(5, "Пожар на складе потушен", lead + "Склад закрыт."),
    ]
    assert boilerplate(reports) == set()


def test_an_intro_under_three_unrelated_headlines_is_boilerplate_though_they_share_a_story() -> None:
    # the intro itself can fold a site's posts into one story: their headlines still tell them apart
    intro = "В этой статье собрана вся информация о новом релизе исполнителя. "
    reports = [
        R(9, "Группа «Северный ветер» представила клип", intro + "Клип снят на Камчатке."),
        R(9, "Певица Мира Лай выпустила альбом", intro + "В альбоме десять песен."),
        R(9, "Дуэт «Ночной город» объявил тур", intro + "Тур охватит двенадцать городов."),
    ]
    assert boilerplate(reports) == {"в этой статье собрана вся информация о новом релизе исполнителя."}
    assert boilerplate(reports[:2]) == set()  # two are not yet a pattern


def test_each_source_has_its_own() -> None:
    leads = {
        "Городские вести": [
            R(1, "Мост", INTRO + "Мост откроют в мае."),
            R(2, "Тарифы", INTRO + "Тарифы не вырастут."),
        ],
        "Областная газета": [R(1, "Мост", INTRO + "Мост откроют в мае.")],
    }
    assert set(by_source(leads)) == {"Городские вести"}


def test_without_cuts_only_those_sentences_and_keeps_the_rest_as_written() -> None:
    text = INTRO + "В городе откроют новый мост.\nСтроительство  заняло два года. " + CREDIT
    repeated = frozenset({INTRO_NORMALISED})
    assert (
        without(text, repeated) == "В городе откроют новый мост.\nСтроительство  заняло два года. " + CREDIT
    )
    assert without(text, frozenset()) is text
    # case and spacing do not hide a repeat
    assert without(
        "ТРАДИЦИОННО   пятница — время новостей под нашей рубрикой «Проверка слухов». Итог.", repeated
    ) == ("Итог.")


def test_short_lines_are_left_to_the_summarisers_cleaning() -> None:
    credit = "Фото: ТАСС."
    reports = [R(1, "Мост", credit + " Мост откроют в мае."), R(2, "Тарифы", credit + " Тарифы не вырастут.")]
    assert boilerplate(reports) == set()
