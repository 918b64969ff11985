"""How query words meet the words of a text: a Russian surname in -ов/-ев and the words its stem also is."""

from __future__ import annotations

from bot.analysis.snippets import best_snippet
from bot.analysis.stems import holds, query_names, stem, surname_terms, text_terms, word_term, word_terms


def test_a_surname_in_ov_is_one_term_in_every_case_and_not_the_words_of_its_stem() -> None:
    # Snowball: "Песков" → "песк" (as «песка»), "Пескова" → "песков"; "Соловьев" → "солов"
    assert stem("песков") == stem("песка") != stem("пескова")
    for forms in (("песков", "пескова", "пескову"), ("соловьев", "соловьева", "соловьевым")):
        assert len({word_term(w) for w in forms}) == 1, forms
    assert word_term("песка") != word_term("песков")
    assert "песков" in text_terms("Дмитрий Песков сказал") and "песков" not in text_terms("много песка")
    # the index holds stems alone: the query asks for both, and a name is checked for the longer one
    assert word_terms("песков") == ("песк", "песков") and word_terms("пескова") == ("песк", "песков")
    assert surname_terms(word_terms("песков")) == {"песков"}
    assert surname_terms(("песк", "песков", "peskov")) == {"песков", "peskov"}


def test_only_words_written_with_a_capital_are_read_as_names() -> None:
    assert query_names("Песков налогов ЦСКА") == {"песков", "цска"}


def test_holds_reads_each_word_and_each_part_of_a_hyphenated_one() -> None:
    surname = surname_terms(word_terms("петров"))
    assert holds("Пробка на улице Бурова-Петрова.", [surname]) == [True]
    assert holds("Он видел Петрова.", [surname, frozenset({"ответ"})]) == [True, False]
    assert holds("Петров ответил.", [frozenset({"ответ"})]) == [True]
    assert holds("На пляж завезли песка.", [surname_terms(word_terms("песков"))]) == [False]


def test_a_name_is_highlighted_in_its_cases_and_not_in_the_words_of_its_stem() -> None:
    text = "На пляж у Кремля завезли тонну песка. Слова Дмитрия Пескова прозвучали утром. Пескову позвонили."
    snippet = best_snippet(text, "Песков")
    assert snippet.text == "Слова Дмитрия Пескова прозвучали утром."
    assert [snippet.text[a:b] for a, b in snippet.highlights] == ["Пескова"]
    # in lower case the word keeps every reading of its stem, as /search reads it
    sand = best_snippet("На пляж завезли тонну песка.", "песков")
    assert [sand.text[a:b] for a, b in sand.highlights] == ["песка"]


def test_a_snippet_is_news_before_a_read_also_link_and_that_link_only_when_alone() -> None:
    # /search Trump showed «Читайте также: Палата … импичмента Трампа» for an article whose news names him too
    text = (
        "Читайте также: Палата представителей приняла резолюцию об импичменте Трампа. "
        "Посол заявил, что Трамп добивался расследования."
    )
    assert best_snippet(text, "Трамп импичмент").text == "Посол заявил, что Трамп добивался расследования."
    alone = "Собаку взяли на службу. Читайте также: Трамп наградил собаку."
    assert best_snippet(alone, "Трамп").text == "Читайте также: Трамп наградил собаку."  # why it matched
