"""Roles in the nominative and quotes attributed to named, pronoun and title-referred speakers."""

from __future__ import annotations

from bot.analysis.article import ArticleAnalysis, analyze_article
from bot.analysis.entities import PER
from tests.test_entities import seed_article


def key_of(analysis: ArticleAnalysis, name: str) -> str:
    return next(e.key for e in analysis.entities if e.kind == PER and e.name == name)


def speakers(analysis: ArticleAnalysis, kind: str) -> list[tuple[str, str]]:
    names = {e.key: e.name for e in analysis.entities}
    return [(names[q.entity_key], q.text) for q in analysis.quotes if q.kind == kind]


def test_sample_article_roles() -> None:
    analysis = analyze_article(*seed_article())
    roles = {
        e.name: {t.lower() for t in analysis.roles_of(e.key)} for e in analysis.entities if e.kind == PER
    }
    assert roles["Александр Лукашенко"] == {"президент белоруссии"}
    assert roles["Владимир Путин"] == {"президент", "российский лидер"}
    assert roles["Сергей Лавров"] == {"глава мид"}
    assert roles["Максим Рыженков"] == {"министр иностранных дел белоруссии"}
    assert roles["Стив Уиткофф"] == {"спецпосланник по украине"}
    assert roles["Юрий Ушаков"] == {"помощник российского президента"}


def test_sample_article_quotes_are_attributed_by_role() -> None:
    analysis = analyze_article(*seed_article())
    quotes = speakers(analysis, "quote")
    assert [name for name, _ in quotes] == ["Александр Лукашенко", "Владимир Путин"]
    assert quotes[0][1].startswith("Если у вас будет желание")
    assert quotes[1][1].startswith("Первые наши контакты")


def test_role_is_normalised_to_the_nominative() -> None:
    text = "Лавров встретился с министром иностранных дел Белоруссии Максимом Рыженковым в Москве."
    analysis = analyze_article("", text, lang="ru")
    assert analysis.roles_of(key_of(analysis, "Максим Рыженков")) == ("министр иностранных дел Белоруссии",)


def test_role_in_apposition_after_the_name() -> None:
    text = "Сергей Лавров, глава МИД России, прибыл в Анкару на переговоры."
    analysis = analyze_article("", text, lang="ru")
    assert analysis.roles_of(key_of(analysis, "Сергей Лавров")) == ("глава МИД России",)


def test_genitive_title_word_is_not_the_role() -> None:
    text = "Помощник российского президента Юрий Ушаков подтвердил встречу."
    analysis = analyze_article("", text, lang="ru")
    assert analysis.roles_of(key_of(analysis, "Юрий Ушаков")) == ("помощник российского президента",)


def test_quote_attributed_to_a_title_reference() -> None:
    text = (
        "Президент Франции Эмманюэль Макрон встретился с канцлером Германии Фридрихом Мерцем в Берлине.\n\n"
        "«Мы договорились о новых совместных проектах», — сказал французский президент."
    )
    analysis = analyze_article("", text, lang="ru")
    assert speakers(analysis, "quote") == [
        ("Эмманюэль Макрон", "Мы договорились о новых совместных проектах")
    ]


def test_quote_attributed_through_a_pronoun() -> None:
    text = (
        "Министр финансов Антон Силуанов выступил на форуме в Москве. "
        "«Бюджет будет исполнен без дефицита», — добавил он."
    )
    analysis = analyze_article("", text, lang="ru")
    assert speakers(analysis, "quote") == [("Антон Силуанов", "Бюджет будет исполнен без дефицита")]


def test_reported_speech_is_a_statement() -> None:
    text = "Министр финансов Антон Силуанов заявил, что бюджет будет исполнен без дефицита."
    analysis = analyze_article("", text, lang="ru")
    assert speakers(analysis, "statement") == [("Антон Силуанов", "бюджет будет исполнен без дефицита")]


def test_attribution_after_the_statement() -> None:
    text = "Экономика растет быстрее прогноза, заявил министр экономического развития Максим Решетников."
    analysis = analyze_article("", text, lang="ru")
    assert speakers(analysis, "statement") == [("Максим Решетников", "Экономика растет быстрее прогноза")]


def test_a_quote_without_a_speaker_is_not_attributed() -> None:
    text = "Стороны обсудили «политико-дипломатический путь» урегулирования конфликта на Украине."
    assert analyze_article("", text, lang="ru").quotes == ()


def test_english_title_before_name() -> None:
    text = "Russian Foreign Minister Sergei Lavrov met U.S. Secretary of State Marco Rubio in Geneva."
    analysis = analyze_article("", text, lang="en")
    assert analysis.roles_of(key_of(analysis, "Sergei Lavrov")) == ("Russian Foreign Minister",)
    assert analysis.roles_of(key_of(analysis, "Marco Rubio")) == ("U.S. Secretary of State",)


def test_english_quotes_and_reported_speech() -> None:
    text = (
        "Volodymyr Zelensky, the Ukrainian president, met Marco Rubio in Geneva. "
        '"Nothing about Ukraine without Ukraine," the Ukrainian president said. '
        "Rubio said that the talks were productive."
    )
    analysis = analyze_article("", text, lang="en")
    assert analysis.roles_of(key_of(analysis, "Volodymyr Zelensky")) == ("Ukrainian president",)
    assert speakers(analysis, "quote") == [("Volodymyr Zelensky", "Nothing about Ukraine without Ukraine")]
    assert speakers(analysis, "statement") == [("Marco Rubio", "the talks were productive")]


def test_english_reported_speech_keeps_its_subject_before_a_relative_that() -> None:
    text = (
        "Senator Dana Whitfield unveiled her plan on Friday. "
        "Whitfield said employers that already offer benefits could reduce their contributions. "
        "Whitfield said on Monday that the plan would pass. "
        "Whitfield told reporters that taxes would not rise."
    )
    analysis = analyze_article("", text, lang="en")
    assert [said for _, said in speakers(analysis, "statement")] == [
        "employers that already offer benefits could reduce their contributions",
        "the plan would pass",
        "taxes would not rise",
    ]


def test_a_superlative_title_keeps_its_own_word_in_the_nominative() -> None:
    # pymorphy2 inflects "лучшим" to "наихороший" and "высшим" to "высочайший": other words of the lexeme
    for text, name, title in (
        # (an award: "назвал … лучшим президентом" is an opinion, no title: tests/test_roles_tree.py)
        ("Жюри признало Ивана Петрова лучшим игроком турнира.", "Иван Петров", "лучший игрок турнира"),
        (
            "С высшим руководителем компании Иваном Сидоровым встретился мэр.",
            "Иван Сидоров",
            "высший руководитель компании",
        ),
    ):
        analysis = analyze_article("", text, lang="ru")
        assert analysis.roles_of(key_of(analysis, name)) == (title,)


def test_a_pronoun_stands_for_the_last_person_of_its_sex() -> None:
    # "She added: …" after "Mr Johnson" was Boris Johnson's quote; «— написал он» after «Вероники Игоревны»
    # was hers
    text = (
        "Ms Sturgeon also warned of a future where Nigel Farage would pull the strings, following comments "
        "that Mr Johnson and the Brexit Party leader together would be unstoppable.\n"
        "She added: “A Farage and Johnson coalition would be scary, but that is the kind of monster no one "
        "wants to see.”"
    )
    analysis = analyze_article("", text, lang="en")
    assert [name for name, _ in speakers(analysis, "quote")] == ["Sturgeon"]
    text = (
        "Депутат Андрей Носков встретился с министром Вероникой Скворцовой.\n"
        "«Она всегда желанная гостья в нашем городе», — написал он."
    )
    analysis = analyze_article("", text, lang="ru")
    assert [name for name, _ in speakers(analysis, "quote")] == ["Андрей Носков"]
    # with nobody of that sex before it, the quote is nobody's rather than someone else's
    text = "Тренер Иван Петров похвалил команду.\n«Мы будем бороться», — сказала она."
    assert speakers(analyze_article("", text, lang="ru"), "quote") == []


def test_a_quotation_the_next_paragraph_goes_on_with_is_direct_speech() -> None:
    # English leaves a quotation open when it runs on into the next paragraph; the card showed the statement
    # «“A Farage and Johnson coalition would be scary…» with its lone opening mark
    text = (
        "Ms Sturgeon also warned the Tories on Friday.\n"
        "She added: “A Farage and Johnson coalition would be scary, and no one in Scotland wants it.\n"
        "“But whether there is a formal deal or not, everybody knows it.”"
    )
    analysis = analyze_article("", text, lang="en")
    assert speakers(analysis, "quote") == [
        ("Sturgeon", "A Farage and Johnson coalition would be scary, and no one in Scotland wants it")
    ]


def test_a_speech_verb_inside_someone_elses_quotation_is_theirs() -> None:
    # Assad's “First, when Erdogan says that he decided to make an incursion…” gave Erdogan a statement
    text = (
        "“We should not bet on any American president,” Bashar al-Assad said. "
        "“First, when Recep Erdogan says that he decided to make an incursion, he is trying to project "
        "Turkey as a superpower.”"
    )
    analysis = analyze_article("", text, lang="en")
    assert [name for name, _ in speakers(analysis, "statement")] == []
    # outside quotation marks the same words are Erdogan's
    text = "Recep Erdogan says that he decided to make an incursion into Syria."
    assert [name for name, _ in speakers(analyze_article("", text, lang="en"), "statement")] == [
        "Recep Erdogan"
    ]
