"""Roles the dependency tree gives: pairs, objects, titles with "и", plural titles over lists, predicates.

Every sentence here is written for the test (names and organisations invented or changed)."""

from __future__ import annotations

import pytest

from bot.analysis.article import ArticleAnalysis, analyze_article
from bot.analysis.entities import PER


def roles(text: str) -> dict[str, set[str]]:
    analysis: ArticleAnalysis = analyze_article("", text, lang="ru")
    return {e.name: set(analysis.roles_of(e.key)) for e in analysis.entities if e.kind == PER}


def test_second_name_of_a_pair_keeps_its_own_title() -> None:
    found = roles("Премьер-министр Италии Марио Росси и президент Австрии Карл Хубер обсудили транзит газа.")
    assert found["Марио Росси"] == {"премьер-министр Италии"}
    assert found["Карл Хубер"] == {"президент Австрии"}


def test_title_of_a_name_in_object_position() -> None:
    found = roles("В понедельник премьер принял в своей резиденции президента Финляндии Мартти Ахтисаари.")
    assert found["Мартти Ахтисаари"] == {"президент Финляндии"}


def test_foreign_first_name_in_an_oblique_case_keeps_its_stem() -> None:
    # pymorphy2 guesses a Russian fleeting vowel for an unknown name ("Хайнца" → "Хайнец").
    found = roles("Вчера министр принял в Берне президента Швейцарии Хайнца Брунера.")
    assert found == {"Хайнц Брунер": {"президент Швейцарии"}}


def test_title_the_tagger_reads_in_another_case_than_the_name() -> None:
    # The tagger reads the foreign name as nominative; the tree still makes it the title's apposition.
    found = roles("Переговоры прошли накануне визита в Пекин министра обороны Японии Сейджи Кавасаки.")
    assert found["Сейджи Кавасаки"] == {"министр обороны Японии"}


def test_title_containing_and_before_and_after_the_name() -> None:
    before = roles("Министр культуры и массовых коммуникаций Ольга Веснина открыла фестиваль.")
    assert before["Ольга Веснина"] == {"министр культуры и массовых коммуникаций"}
    after = roles("Ольга Веснина, министр культуры и массовых коммуникаций, открыла фестиваль.")
    assert after["Ольга Веснина"] == {"министр культуры и массовых коммуникаций"}


def test_plural_title_over_a_list_of_names() -> None:
    found = roles("Обращение подписали профессора Ирина Лебедева, Павел Орлов и Марат Галеев.")
    assert found == {
        "Ирина Лебедева": {"профессор"},
        "Павел Орлов": {"профессор"},
        "Марат Галеев": {"профессор"},
    }


def test_plural_title_with_an_adjective_takes_the_nouns_gender() -> None:
    found = roles("Письмо подписали известные писательницы Анна Котова и Мария Гусева.")
    assert found == {"Анна Котова": {"известная писательница"}, "Мария Гусева": {"известная писательница"}}


def test_title_in_a_relative_clause_with_a_copula() -> None:
    found = roles("Игорь Сомов, который в девяностые годы был вице-президентом банка, отказался от интервью.")
    assert found["Игорь Сомов"] == {"вице-президент банка"}


@pytest.mark.parametrize(
    ("text", "name", "title"),
    [
        ("Анна Котова занимает пост министра образования.", "Анна Котова", "министр образования"),
        ("Олег Петренко назначен послом России в Чили.", "Олег Петренко", "посол России в Чили"),
        ("Марина Гусева является советником мэра.", "Марина Гусева", "советник мэра"),
        (
            "В новой команде в качестве первого заместителя работает Денис Аксенов.",
            "Денис Аксенов",
            "первый заместитель",
        ),
    ],
)
def test_predicate_titles(text: str, name: str, title: str) -> None:
    assert roles(text)[name] == {title}


def test_appointing_verb_gives_the_title_to_its_object_not_its_subject() -> None:
    found = roles("Губернатор Виктор Лапин назначил Павла Сидоренко министром транспорта края.")
    assert found["Павел Сидоренко"] == {"министр транспорта края"}
    assert found["Виктор Лапин"] == {"губернатор"}


def test_negated_predicate_is_no_title() -> None:
    assert roles("Олег Петренко никогда не был министром финансов.")["Олег Петренко"] == set()


def test_coordinated_titles_after_the_name_are_two_titles() -> None:
    found = roles("Среди гостей был Рудольф Кляйн — политик и лидер движения «Зеленая волна».")
    assert found["Рудольф Кляйн"] == {"политик", "лидер движения «Зеленая волна»"}


def test_one_of_a_plural_title() -> None:
    found = roles("Семен Барский, один из основателей компании «Полюс-Софт», покинул совет директоров.")
    assert found["Семен Барский"] == {"один из основателей компании «Полюс-Софт»"}


def test_title_in_parentheses_after_the_name() -> None:
    found = roles("Решение объявили Томас Бергер (главный тренер) и Лукас Энгель (тренер вратарей).")
    assert found["Томас Бергер"] == {"главный тренер"}
    assert found["Лукас Энгель"] == {"тренер вратарей"}


def test_sentence_initial_title_the_tagger_reads_as_a_name() -> None:
    assert roles("Император Ямато Хидэки объявил об отречении.")["Ямато Хидэки"] == {"император"}


def test_title_with_a_person_in_the_genitive() -> None:
    found = roles("Адвокат Игоря Крутова Андрей Ломов обжаловал приговор.")
    assert found["Андрей Ломов"] == {"адвокат Игоря Крутова"}


def test_apposition_after_the_name_in_the_names_case() -> None:
    found = roles("По словам Луиджи Бенетти, генерального секретаря профсоюза, тюрьмы переполнены.")
    assert found["Луиджи Бенетти"] == {"генеральный секретарь профсоюза"}


def test_coordinated_titles_before_the_name() -> None:
    found = roles("Писатель, поэт и переводчик Аркадий Смолин выступил в библиотеке.")
    assert found["Аркадий Смолин"] == {"писатель", "поэт", "переводчик"}


def test_an_and_between_two_peoples_titles_does_not_join_them() -> None:
    found = roles("Тренер клуба «Енисей» Олег Рубцов и защитник «Сокола» Глеб Миронов дали интервью.")
    assert found["Олег Рубцов"] == {"тренер клуба «Енисей»"}
    assert found["Глеб Миронов"] == {"защитник «Сокола»"}


def test_a_list_ends_where_the_next_plural_title_starts() -> None:
    found = roles(
        "В совет вошли чиновники Игорь Зимин и Олег Рябов, продюсеры Инна Лисина, Карен Оганов, "
        "режиссеры Петр Сомов, Юлия Дронова."
    )
    assert found["Игорь Зимин"] == found["Олег Рябов"] == {"чиновник"}
    assert all("чиновник" not in found[name] for name in ("Инна Лисина", "Карен Оганов", "Петр Сомов"))


def test_a_quoted_name_in_a_title_keeps_its_closing_quote() -> None:
    found = roles('Об этом сообщил главный тренер "Зенита" Марко Бьянки.')
    assert found["Марко Бьянки"] == {'главный тренер "Зенита"'}


def test_naming_verb_gives_the_title_to_its_object() -> None:
    found = roles("Главный тренер Олег Белов назвал Кирилла Морозова первым вратарём команды.")
    assert found["Кирилл Морозов"] == {"первый вратарь команды"}
    assert found["Олег Белов"] == {"главный тренер"}


# Coreference by title: a sentence whose subject is a title alone, right after a sentence naming one person.
@pytest.mark.parametrize(
    ("text", "name", "title"),
    [
        (
            "Вчера Тимур Галиев прилетел в Казань. Министр финансов Татарстана провёл там встречу.",
            "Тимур Галиев",
            "министр финансов Татарстана",
        ),
        (
            "Об отставке заявила Ирина Власова. Вечером губернатор также подала в суд на газету.",
            "Ирина Власова",
            "губернатор",
        ),
        (
            "Сделку подтвердил Павел Уваров. О цене представитель банка говорить не стал.",
            "Павел Уваров",
            "представитель банка",
        ),
    ],
)
def test_title_alone_as_the_next_sentences_subject_is_the_named_persons(
    text: str, name: str, title: str
) -> None:
    assert roles(text)[name] == {title}


@pytest.mark.parametrize(
    "text",
    [
        # two people before it: whose title it is, the sentence does not say
        "Игорь Сомов встретился с Павлом Гариным. Министр обороны заявил, что переговоры продолжатся.",
        # a title defined by another title names someone else
        "Сделку подтвердил Павел Уваров. Помощник президента отказался от комментариев.",
        # the verb says a woman, the name a man
        "Сделку подтвердил Павел Уваров. Представитель банка сказала, что цена не изменится.",
        # a pronoun already stands for him: the title is someone else's
        "Сделку подтвердил Павел Уваров. По его словам, министр финансов против неё не возражал.",
        "Сделку подтвердил Павел Уваров. Его заместитель отказался от комментариев.",
        # the title is not the subject
        "Сделку подтвердил Павел Уваров. Журналисты спросили о ней у министра финансов.",
        # not the next sentence
        "Сделку подтвердил Павел Уваров. Цена не раскрывается. Министр финансов отказался от комментариев.",
    ],
)
def test_title_alone_that_does_not_refer_to_the_named_person(text: str) -> None:
    assert roles(text)["Павел Уваров" if "Уваров" in text else "Игорь Сомов"] == set()


@pytest.mark.parametrize(
    ("text", "name", "title"),
    [
        (
            "Временно исполняющий обязанности главы района Олег Рябов провёл совещание.",
            "Олег Рябов",
            "временно исполняющий обязанности главы района",
        ),
        (
            "Марк Тоун, исполняющий обязанности официального представителя ведомства, выступил с заявлением.",
            "Марк Тоун",
            "исполняющий обязанности официального представителя ведомства",
        ),
        (
            "Встреча прошла у исполняющего обязанности губернатора области Андрея Котова.",
            "Андрей Котов",
            "исполняющий обязанности губернатора области",
        ),
    ],
)
def test_acting_titles(text: str, name: str, title: str) -> None:
    # The title noun is in the genitive after "исполняющий обязанности", whatever the name's case.
    assert roles(text)[name] == {title}


def test_duties_that_are_no_acting_title() -> None:
    assert roles("Олег Рябов, исполняющий свои обязанности честно, ушёл в отставку.")["Олег Рябов"] == set()


@pytest.mark.parametrize(
    ("text", "name", "title"),
    [
        (
            "Леван Гомиашвили стал кандидатом от оппозиции. Сейчас он является депутатом парламента.",
            "Леван Гомиашвили",
            "депутат парламента",
        ),
        (
            "Ирина Власова вернулась в Москву. Теперь она работает советником мэра.",
            "Ирина Власова",
            "советник мэра",
        ),
    ],
)
def test_pronoun_subject_of_a_predicate_title_is_the_person_named_before(
    text: str, name: str, title: str
) -> None:
    assert title in roles(text)[name]


@pytest.mark.parametrize(
    "text",
    [
        # the pronoun's gender is not the name's
        "Ирина Власова вернулась в Москву. Теперь он работает советником мэра.",
        # two people before it
        "Ирина Власова встретилась с Олегом Рябовым. Теперь он работает советником мэра.",
    ],
)
def test_pronoun_that_is_not_the_person_named_before_gets_no_title(text: str) -> None:
    assert roles(text)["Ирина Власова"] == set()


def test_an_age_between_the_title_and_the_name_is_no_part_of_the_title() -> None:
    found = roles("На встрече выступил действующий президент 79-летний Арнольд Тембо.")
    assert found["Арнольд Тембо"] == {"действующий президент"}
    found = roles("Ведомство возглавит заместитель министра 45-летний Игорь Сафронов.")
    assert found["Игорь Сафронов"] == {"заместитель министра"}


def test_a_verb_opening_the_sentence_is_no_part_of_the_title() -> None:
    # the tagger reads a capitalised "Выступил" as an adjective agreeing with "министр"
    assert roles("Выступил министр финансов Игорь Сафронов.")["Игорь Сафронов"] == {"министр финансов"}


def test_a_prefixed_adjective_the_tagger_read_as_a_noun_modifies_the_title() -> None:
    text = "Он развёлся с бывшей супругой, экс-художественным директором галереи «Пассаж» Еленой Стрельцовой."
    assert roles(text)["Елена Стрельцова"] == {"экс-художественный директор галереи «Пассаж»"}


def test_acting_titles_abbreviated() -> None:
    assert roles("И.\u00a0о. главы администрации Заречного района Рустем Галиев поздравил спортсмена.")[
        "Рустем Галиев"
    ] == {"и. о. главы администрации Заречного района"}
    assert roles("Врио губернатора области Рустем Галиев приехал на открытие.")["Рустем Галиев"] == {
        "врио губернатора области"
    }
    assert roles("Рустем Галиев, и. о. главы района, поздравил спортсмена.")["Рустем Галиев"] == {
        "и. о. главы района"
    }


def test_a_name_between_a_title_and_its_holder_owns_the_title() -> None:
    # two names in a row in the genitive: the first owns the title, the second holds it (the title went to
    # the owner, and the holder got none)
    found = roles("По словам пресс-секретаря Громова Дмитрия Сечина, решение уже принято.")
    assert found["Дмитрий Сечин"] == {"пресс-секретарь Громова"}
    assert found["Громов"] == set()
    found = roles("Об этом рассказал адвокат Павла Горина Андрей Лапин.")
    assert found["Андрей Лапин"] == {"адвокат Павла Горина"}
    assert found["Павел Горин"] == set()


def test_one_word_of_a_name_after_a_title_in_someones_service_is_whose_it_is() -> None:
    # "в заявлении пресс-секретаря Трампа" made Trump a press secretary; "Адвокат Маркива заявил" made the
    # defendant a lawyer
    found = roles(
        "В заявлении пресс-секретаря Громова говорится о победе. Президент Игорь Громов доволен. "
        "Адвокат Лапина заявил, что его подзащитный невиновен."
    )
    assert found["Игорь Громов"] == {"президент"}
    assert not any("адвокат" in title for titles in found.values() for title in titles)
    # the holder named in full, or in one hyphenated word, keeps the title
    found = roles(
        "Об этом сообщила адвокат Карина Сидоренко. Позже адвокат Саиф-ул-Мулук начал получать угрозы."
    )
    assert found["Карина Сидоренко"] == {"адвокат"}
    assert found["Саиф-ул-Мулук"] == {"адвокат"}
    # a title that is no one's service keeps one word of a name after it
    assert roles("По словам министра Лаврова, встреча прошла.")["Лавров"] == {"министр"}


def test_calling_someone_the_best_is_an_opinion_not_a_title() -> None:
    # "Асад назвал Трампа лучшим президентом США" put «лучший президент США» on Trump's /who card
    found = roles("Премьер Игорь Громов назвал Павла Горина лучшим мэром в истории города.")
    assert found["Павел Горин"] == set()
    # «самым» is no part of a title (a pronoun), yet it makes one an opinion too
    assert roles("Журнал назвал Ивана Сомова самым богатым бизнесменом страны.")["Иван Сомов"] == set()
    # naming to a position, and an award, stay titles
    assert roles("Тренер назвал Ивана Сомова первым вратарём сборной.")["Иван Сомов"] == {
        "первый вратарь сборной"
    }
    assert roles("Жюри признало Ивана Сомова лучшим игроком турнира.")["Иван Сомов"] == {
        "лучший игрок турнира"
    }


def test_a_pronoun_before_a_title_is_no_part_of_it() -> None:
    # /who Зеленский listed «сам президент» beside «президент»
    found = roles("Как заявил сам президент Игорь Громов, переговоры продолжатся.")
    assert found["Игорь Громов"] == {"президент"}
    assert roles("Российский посол Павел Горин вручил ноту.")["Павел Горин"] == {"российский посол"}
