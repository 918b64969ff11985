"""People, organisations and places of one article: grouping, normalisation, credits, languages."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from bot.analysis.article import ArticleAnalysis, analyze_article
from bot.analysis.entities import PER, Entity, paragraph_sentences
from bot.analysis.language import detect_lang

SEED = Path(__file__).resolve().parents[1] / "seeds" / "000_b4e76c9b5e787165.txt"


def seed_article() -> tuple[str, str]:
    """The sample article: first line "date YYYY-MM-DD <title>", then the body."""
    first, _, body = SEED.read_text(encoding="utf-8").partition("\n")
    title = first.strip().split(" ", 2)[2]
    return title, body


def people(analysis: ArticleAnalysis) -> dict[str, Entity]:
    return {e.name: e for e in analysis.entities if e.kind == PER}


def test_sample_article_has_exactly_the_seven_people() -> None:
    analysis = analyze_article(*seed_article())
    assert set(people(analysis)) == {
        "Александр Лукашенко",
        "Владимир Путин",
        "Сергей Лавров",
        "Максим Рыженков",
        "Дональд Трамп",
        "Стив Уиткофф",
        "Юрий Ушаков",
    }


def test_photo_credit_is_not_a_person() -> None:
    text = (
        "Министр обороны Андрей Белоусов посетил завод в Туле.\n\n"
        "Андрей Белоусов (Фото: Иван Сидоров / Global Look Press)\n\n"
        "Белоусов осмотрел цеха и поговорил с рабочими."
    )
    names = set(people(analyze_article("", text, lang="ru")))
    assert names == {"Андрей Белоусов"}


def test_caption_does_not_join_the_next_sentence() -> None:
    text = "Андрей Белоусов (Фото: Иван Сидоров / ТАСС)\nМинистр обороны посетил завод."
    sentences = [text[a:b] for a, b in paragraph_sentences(text)]
    assert sentences == ["Андрей Белоусов (Фото: Иван Сидоров / ТАСС)", "Министр обороны посетил завод."]


def test_inflected_mentions_are_one_person() -> None:
    text = (
        "Вчера Владимир Путин провел совещание с правительством. Министры доложили Владимиру Путину "
        "о ходе работ. Позже указ был подписан Владимиром Путиным."
    )
    found = people(analyze_article("", text, lang="ru"))
    assert list(found) == ["Владимир Путин"]
    assert found["Владимир Путин"].key == "PER:владимир путин"
    assert len(found["Владимир Путин"].mentions) == 3


def test_surname_only_mention_joins_full_name() -> None:
    text = "В Анкару прибыл Сергей Лавров. Переговоры Лаврова с турецкой стороной продлятся два дня."
    found = people(analyze_article("", text, lang="ru"))
    assert list(found) == ["Сергей Лавров"]
    mentions = found["Сергей Лавров"].mentions
    assert [m.text for m in mentions] == ["Сергей Лавров", "Лаврова"]
    assert [m.sentence for m in mentions] == [0, 1]
    assert text[mentions[1].start : mentions[1].stop] == "Лаврова"


def test_abbreviations_keep_their_capitals() -> None:
    text = "Представитель МИДа прокомментировал задержание. Ранее ФСБ сообщила о деле."
    names = {e.name for e in analyze_article("", text, lang="ru").entities if e.kind != PER}
    assert {"МИД", "ФСБ"} <= names


def test_eu_and_evrosoyuz_are_one_organisation() -> None:
    text = "Решение ЕС вступит в силу в марте. В Евросоюзе его поддержали не все страны."
    analysis = analyze_article("", text, lang="ru")
    eu = [e for e in analysis.entities if e.key == "ORG:евросоюз"]
    assert len(eu) == 1
    assert eu[0].name == "Евросоюз"
    assert sorted(m.text for m in eu[0].mentions) == ["ЕС", "Евросоюзе"]


def test_language_is_detected_from_letters() -> None:
    assert detect_lang("Глава МИД России провел переговоры с Bloomberg и Reuters.") == "ru"
    assert detect_lang("Russia's foreign minister met his Turkish counterpart in Ankara.") == "en"


def test_english_names_places_and_organisations() -> None:
    text = "Sergei Lavrov met officials from NATO in Geneva. Lavrov later flew to Moscow."
    analysis = analyze_article("", text)
    assert analysis.lang == "en"
    kinds = {e.name: e.kind for e in analysis.entities}
    assert kinds["Sergei Lavrov"] == "PER"
    assert kinds["НАТО"] == "ORG"
    assert kinds["Geneva"] == "LOC"
    assert len(people(analysis)["Sergei Lavrov"].mentions) == 2


def test_english_places_and_organisations_are_not_people() -> None:
    text = (
        "The White House said the Federal Reserve would act. Officials in New York and Los Angeles agreed. "
        "Manchester United beat Aston Villa before the World Cup. Jordan Henderson scored in Beverly Hills. "
        "New rules start today, said Janet Yellen."
    )
    kinds = {e.name: e.kind for e in analyze_article("", text, "en").entities}
    assert kinds["White House"] == "ORG"
    assert kinds["Federal Reserve"] == "ORG"
    assert kinds["New York"] == "LOC"
    assert kinds["Los Angeles"] == "LOC"
    assert kinds["Manchester United"] == "ORG"
    assert kinds["Beverly Hills"] == "LOC"
    assert "World Cup" not in kinds
    assert kinds["Jordan Henderson"] == "PER"  # a place that is also a first name
    assert kinds["Janet Yellen"] == "PER"
    assert not any(name.startswith("New ") and kind == "PER" for name, kind in kinds.items())


def test_analysis_runs_in_a_spawned_worker() -> None:
    title, body = "Лавров прибыл в Анкару", "Сергей Лавров проведет переговоры в Анкаре."
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        remote = pool.apply(analyze_article, (title, body, "ru"))
    assert remote == analyze_article(title, body, "ru")


def test_a_noun_for_a_kind_of_person_alone_is_no_name() -> None:
    # NER reads a capitalised title or kind of person as a name: "Герцогине", "Христианку", "Таксист"
    text = (
        "Герцогине посочувствовал Дональд Трамп. Христианку освободили в среду. Иван Кузнец приехал в Тверь. "
        "Позже Кузнец сказал, что всё хорошо. Мещеряков не ответил."
    )
    found = {name: len(e.mentions) for name, e in people(analyze_article("", text, "ru")).items()}
    assert "Герцогиня" not in found and "Герцогине" not in found and not any("ристиан" in n for n in found)
    # a surname that is also such a noun stays when the article names the person in full; a plural reading
    # may be a surname the dictionary lacks ("Мещеряков")
    assert found["Иван Кузнец"] == 2 and "Мещеряков" in found


def test_a_verb_or_a_plural_adjective_alone_is_no_name() -> None:
    # NER read a rubric's imperative glued to a quote and a plural adjective opening a sentence as people
    text = (
        "Центр обучения «Клерка»Приобретай опыт для серьезных дел. Саратовские следователи направили в суд "
        "дело серийного насильника. Навальный заявил, что Московские полицейские задержали Ивана Петрова."
    )
    found = set(people(analyze_article("Дело насильника", text, "ru")))
    assert not {"Приобретай", "Саратовские"} & found
    # a word the dictionary also knows as a surname stays: "Навальный", and "Московские" (a plural surname)
    assert {"Навальный", "Иван Петров"} <= found


def test_abu_is_part_of_the_given_name_it_opens() -> None:
    # "Абу Бакр аль-Багдади" was displayed "Абу аль-Багдади", and "Абу Бакр" alone was a person "Бакр"
    text = "Лидер ИГ Абу Бакр аль-Багдади уничтожен. Аль-Багдади подорвал себя. Абу Бакр был ранен."
    found = {name: len(e.mentions) for name, e in people(analyze_article("", text, "ru")).items()}
    assert found == {"Абу Бакр аль-Багдади": 3}


def test_names_the_dictionary_cannot_inflect_are_read_in_the_nominative() -> None:
    # natasha inflects a name only through pymorphy2's dictionary: a foreign name, a surname it knows only as
    # a possessive adjective ("Мамаева") or of common gender ("Обаму") stayed as written, so /who showed
    # "Павел Мамаева", "Сергей Скрипаля", "Сакиб Нисару"
    text = (
        "Министр встретился с Домиником Раабом. Суд арестовал Павла Мамаева. Письмо передали Сакибу Нисару. "
        "Врачи спасли Сергея Скрипаля. Журналист поговорил с Кристалиной Георгиевой. Вчера звонок поступил "
        "журналистке Божене Рынской из Москвы. Демонстранты поддержали Барака Обаму. "
        "Тренер похвалил Алену Косторную. Суд освободил Асию Биби. "
        "Бывшему президенту Алану Гарсии предъявили обвинение. "
        "Документ подписали Сергею Шойгу."
    )
    found = set(people(analyze_article("", text, "ru")))
    assert {
        "Доминик Рааб",
        "Павел Мамаев",
        "Сакиб Нисар",
        "Сергей Скрипаль",
        "Кристалина Георгиева",
        "Божена Рынская",
        "Барак Обама",
        "Алена Косторная",  # the tagger read her as masculine; the dictionary knows «Алену»
        "Асия Биби",
        "Алан Гарсия",
    } <= found
    # a name the dictionary knows as written in the nominative is not declined
    assert "Сергей Шойгу" in found


def test_an_agencys_staff_line_names_no_people_of_the_article() -> None:
    # Reuters' "(Reporting by …; Editing by …)" put its reporter and editors among the jobs story's people
    text = (
        "U.S. job growth slowed in October, Fed Chair Jerome Powell said on Friday. "
        "He was reporting by video link with Tom Baker.\n"
        "(Reporting by Anna Lintner; Editing by Dan Grebe and Andrew Rizzi)\n"
        "Additional reporting by John Whitby in Iowa; Editing by Colleen Jenks\n"
        "Compiled by Alex Isaak."
    )
    found = set(people(analyze_article("Jobs report", text, "en")))
    assert {"Jerome Powell", "Tom Baker"} <= found
    assert (
        not {"Anna Lintner", "Dan Grebe", "Andrew Rizzi", "John Whitby", "Colleen Jenks", "Alex Isaak"}
        & found
    )


def test_a_name_after_a_personal_honorific_is_a_person() -> None:
    # "Ms Sturgeon" scored under the threshold (a common word, no given name), so her quotes went to others
    text = (
        "Ms Sturgeon warned the Tories on Friday. The changes Mr Tice put forward were dramatic. "
        "Fans will miss Wolves next season. Photos now go to MS OneDrive. Mr Justice Lewis said the "
        "council was wrong. He is known as oil's “Mr. Discipline” for his unwillingness to spend.\n"
        '"We will not pander to the far right."\nMs Phillips said she was reporting it.'
    )
    found = set(people(analyze_article("Politics", text, "en")))
    assert {"Sturgeon", "Tice", "Phillips"} <= found
    assert not {"Wolves", "OneDrive", "Justice", "Justice Lewis", "Discipline"} & found


def test_a_name_the_article_calls_a_place_is_a_place_at_every_mention() -> None:
    # "between Tal Abyad and Ras al-Ain" listed two towns among the people of the Syria story
    text = (
        "The offensive stretches along the border to the town of Tal Abyad. Turkey plans a safe zone "
        "between Tal Abyad and Ras al-Ain. Talks between Vladimir Putin and Recep Erdogan went on."
    )
    found = set(people(analyze_article("Syria", text, "en")))
    assert not {"Tal Abyad", "Ras al-Ain"} & found
    assert {"Vladimir Putin", "Recep Erdogan"} <= found


def test_the_end_of_an_organisations_name_is_no_person() -> None:
    # "The Institute for Supply Management's (ISM) employment measure" listed "Supply Management" among the
    # people of the jobs story
    text = (
        "The Institute for Supply Management (ISM) said its index of national factory activity rose to 48.3 "
        "last month. The Department of Homeland Security agreed. "
        "Former students of John Smith came to the hearing."
    )
    found = set(people(analyze_article("Jobs", text, "en")))
    assert not {"Supply Management", "Homeland Security"} & found
    assert "John Smith" in found


def test_a_full_name_ending_in_a_surname_named_alone_is_that_person() -> None:
    # "President Recep Tayyip Erdogan said…; Erdogan said…": the card was "Erdogan", the full name unread
    text = (
        "On Wednesday, President Recep Tayyip Erdogan said Turkey had information. "
        "Erdogan said leaders had viewed the plans positively."
    )
    found = set(people(analyze_article("Syria", text, "en")))
    assert "Recep Tayyip Erdogan" in found and "Erdogan" not in found


def test_an_english_given_name_alone_joins_the_article_person_of_that_name() -> None:
    # "John" alone was read as a surname: a person "John" beside John Whitby, and across articles the John
    # of every story; a word that is a surname of the article stays with it ("Jamie George … George or Daly")
    text = (
        "Coach John Whitby praised the squad on Friday. John said the players were ready. "
        "Even now, if Jamie George and Elliot Daly went for coffee, few would know them. "
        "This says less about George or Daly than about rugby. Some would rather read George Eliot."
    )
    found = {name: len(e.mentions) for name, e in people(analyze_article("Rugby", text, "en")).items()}
    assert found["John Whitby"] == 2 and "John" not in found
    assert found["Jamie George"] == 2 and found["George Eliot"] == 1
    lone = analyze_article("Fans", "Hello, my name is John and I live in Leeds.", "en")
    assert [e.given_name for e in lone.entities if e.kind == PER] == [True]


def test_a_holiday_is_no_person() -> None:
    # NER's «Хеллоуином» was a person (and, across scripts, Karen Gillan)
    text = "PornHub назвал самые популярные образы к Хеллоуину. Перед Хеллоуином Иван Петров купил костюм."
    found = set(people(analyze_article("", text, "ru")))
    assert not any("еллоуин" in name for name in found) and "Иван Петров" in found


def test_a_region_named_after_its_city_is_a_place_not_a_person() -> None:
    # "назначил губернатора Тернопольщины": NER read the region after the title as a person
    text = (
        "Зеленский назначил губернатора Тернопольщины. Глава Смоленщины Алексей Островский заявил о дорогах. "
        "Ирина Кучина выступила на форуме. Кучина поблагодарила организаторов."
    )
    analysis = analyze_article("", text, "ru")
    found = set(people(analysis))
    assert found == {"Алексей Островский", "Ирина Кучина"}  # a surname in -чина stays a person
    places = {e.name for e in analysis.entities if e.kind == "LOC"}
    assert {"Тернопольщина", "Смоленщина"} <= places
