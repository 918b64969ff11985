"""English people: spaCy's NER corrected by our rules (sentences written for these tests)."""

from __future__ import annotations

from bot.analysis.article import analyze_article
from bot.analysis.english_ner import english_model, people


def found(text: str) -> list[str]:
    return [text[a:b] for a, b in people(text)]


def person_names(text: str) -> set[str]:
    return {e.name for e in analyze_article("", text, "en").entities if e.kind == "PER"}


def spacy_people(text: str) -> list[str]:
    return [e.text for e in english_model()(text).ents if e.label_ == "PERSON"]


def test_sentence_openers_are_not_part_of_a_name() -> None:
    text = "It was Dana Whitfield who called. Then Whitfield hung up."
    assert found(text) == ["Dana Whitfield", "Whitfield"]


def test_titles_and_honorifics_stay_out_of_the_name() -> None:
    text = "Mr. Ortega said the plan would fail. President Marcus Delgado disagreed."
    assert found(text) == ["Ortega", "Marcus Delgado"]


def test_products_are_not_people() -> None:
    assert found("The new MacBook Air and the Galaxy Note went on sale, and the Echo Dot was cheaper.") == []


def test_clubs_are_not_people() -> None:
    text = "Aston Villa beat Leeds United 2-1, and Crystal Palace lost at home."
    assert spacy_people(text)  # the model alone takes clubs for people
    assert found(text) == []


def test_companies_and_outlets_are_not_people() -> None:
    # the contest hour's "people" included "Felcra Bhd", "Pirelli SpA", "Royal Mail" and "Plymouth Live"
    text = (
        "Shares of Felcra Bhd rose on Monday. Pirelli SpA said sales fell. Royal Mail staff will strike, "
        "Plymouth Live reported. Marcus Delgado Ltd was fined."
    )
    assert found(text) == []
    # a live page's title is no person either ("Boris Johnson Live" was one); the man named below still is
    live = "Boris Johnson Live: the prime minister spoke today. Johnson said the deal was done."
    assert found(live) == ["Johnson"]


def test_buildings_are_not_people_but_their_names_still_are() -> None:
    text = (
        "The filing adds in reference to Trump Tower in New York. "
        "In a series of tweets, President Trump confirmed the switch."
    )
    assert "Trump Tower" in spacy_people(text)
    assert found(text) == ["Trump"]


def test_a_shop_named_only_with_a_possessive_is_not_a_person() -> None:
    text = (
        "Kohl's Black Friday ad is out now. If you have ever shopped at Kohl's, expect the same deals. "
        "Every purchase earns Kohl's Cash again."
    )
    assert found(text) == []  # "Black Friday" is a day, "Kohl's" a shop
    # a person the article names in full keeps the possessive mentions
    person = "Helmut Kohl spoke first. Kohl's speech was long, Kohl's party cheered and Kohl's allies agreed."
    assert found(person) == ["Helmut Kohl", "Kohl", "Kohl", "Kohl"]


def test_works_are_not_people() -> None:
    assert found("She took her son to see The Lion King, then they watched Stranger Things at home.") == []


def test_nationality_adjectives_are_not_people() -> None:
    assert found("North Korean officials met South African diplomats and British reporters.") == []


def test_a_surname_alone_after_the_full_name_is_the_person() -> None:
    text = "Reporters waited for hours. Wang arrived late, and Wang Lijun said nothing."
    assert "Wang" not in spacy_people(text)  # the model calls the lone surname an organisation
    assert found(text) == ["Wang", "Wang Lijun"]


def test_names_the_model_calls_organisations_in_results() -> None:
    text = "Petra Novakova beat Ines Gorrochy 6-3 6-4. Novakova will next play Gorrochy again."
    assert "Petra Novakova" not in spacy_people(text)
    assert found(text)[:3] == ["Petra Novakova", "Ines Gorrochy", "Novakova"]


def test_a_country_in_brackets_is_cut_off_the_name() -> None:
    text = "Seeded players: Tomasz Rybak (Poland), Ewan Lachlan (Scotland)."
    assert "Ewan Lachlan (Scotland" in [e.text for e in english_model()(text).ents]
    assert found(text) == ["Tomasz Rybak", "Ewan Lachlan"]


def test_a_possessive_is_not_part_of_the_name() -> None:
    text = "Harlan Coben's novel was a hit, Coben told the audience."
    assert found(text) == ["Harlan Coben", "Coben"]


def test_the_article_analysis_uses_the_same_people() -> None:
    text = "Aston Villa signed Marek Hollins on Monday. Hollins said he was proud, Villa fans cheered."
    names = person_names(text)
    assert "Marek Hollins" in names
    assert not names & {"Aston Villa", "Villa"}


def test_the_bot_process_does_not_import_spacy() -> None:
    """spaCy costs ~100 MB to import: only the analysis workers that meet English text may load it."""
    import subprocess
    import sys

    code = "import sys, bot.app, bot.analysis.service, bot.analysis.article; print('spacy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_new_words_do_not_stay_in_the_models_vocabulary() -> None:
    # A worker runs for weeks: the strings each article adds are freed after it (spaCy's memory zone).
    found("Ms. Quorvexa Blandimore met Zarpentius Oxley in Leeds.")
    strings = len(english_model().vocab.strings)
    text = "Yesterday Brontavik Quellisand and Mirtozel Varnashby signed the zlorptastic agreement."
    assert "zlorptastic" not in english_model().vocab.strings
    people(text)
    assert len(english_model().vocab.strings) == strings
    assert "zlorptastic" not in english_model().vocab.strings


def test_spacy_command_line_is_still_importable() -> None:
    # The model is loaded without spaCy's command line (english_ner._import_spacy); importing it later works.
    english_model()
    import spacy.cli

    assert callable(spacy.cli.info)


def test_a_title_case_headline_capitalises_no_name() -> None:
    """A headline in title case capitalises every word: "Whitfield Mulls" is no person, and "Whitfield" is
    one only because the text below names him (a headline like this once gave /who a "Trump Mulls")."""
    text = (
        "Whitfield Mulls Fireside Chat Reading Of Tariff Plan To Voters\n\n"
        "President Whitfield is considering a televised address on the tariffs, aides said on Friday."
    )
    assert found(text) == ["Whitfield"]  # the body's
    opening_with_a_given_name = "Dana Whitfield Said Reading Resumes\n\nThe library reopens on Monday."
    assert found(opening_with_a_given_name) == ["Dana Whitfield"]


def test_a_headline_in_sentence_case_keeps_its_names() -> None:
    text = "Senator Dana Whitfield mulls a fireside chat\n\nAides said the address could come next week."
    assert found(text) == ["Dana Whitfield"]


def test_a_word_in_a_shouted_headline_is_no_acronym() -> None:
    from bot.analysis.english import parse_english

    text = (
        "The actor spoke on Friday.\n\n"
        "ACTOR BASHES 'BUFFOON' MAYOR AND SAYS HE'LL 'RUIN THIS CITY'\n\n"
        "The NATO summit opened. Investors in the NASH fund lost money."
    )
    organisations = {s.normal for s in parse_english(text).spans if s.kind == "ORG"}
    # capitals in running text still read as acronyms; in the shouted line they are only shouting
    assert organisations == {"NATO", "NASH"}


def test_a_hyphenated_adjective_is_no_part_of_the_name() -> None:
    text = "The album has a Tony Wexley-produced single and a Dana Okafor-directed video."
    assert found(text) == ["Tony Wexley", "Dana Okafor"]
    # lower-case parts of a name stay in it
    assert found("Envoy Chung Eui-yong met Pakistan captain Inzamam-ul-Haq on Monday.") == ["Chung Eui-yong"]


def test_an_honorific_or_a_demonym_before_a_surname_is_no_part_of_it() -> None:
    text = (
        "Carla Brennock, 24, died in May. The court heard Miss Brennock had been followed home. "
        "Tun Dr Rahman Osman said the race would go ahead. Welshman Pryce scored twice."
    )
    names = found(text)
    assert "Miss Brennock" not in names and "Brennock" in names
    assert not any(n.startswith(("Tun", "Welshman")) for n in names)
    assert "Rahman Osman" in names
    # a title abbreviation ends no name
    assert "Labour MP" not in found('"Proud," tweeted Dana Okafor, Labour MP for Yardley. Labour MP said so.')
    # the verb is no honorific: with "miss" taken as one, "Wolves" was a person
    assert found("Arsenal captain Granit Xhaka will miss Wolves clash amid fan feud.") == ["Granit Xhaka"]


def test_an_arabic_name_with_its_article_is_read_whole() -> None:
    text = "Syrian President Bashar al-Assad said on Friday that Abu Bakr al-Baghdadi was dead."
    found = [text[a:b] for a, b in people(text)]
    assert "Bashar al-Assad" in found and "Bashar" not in found


def test_a_name_after_the_town_of_is_a_place() -> None:
    text = (
        "Turkey seized the strip between the towns of Tal Abyad and Ras al-Ain. The mayor of the town of "
        "Springfield, Joe Quimby, said the city of Idlib was far away."
    )
    assert [text[a:b] for a, b in people(text)] == ["Joe Quimby"]  # after a singular one, the comma's name


def test_a_text_without_words_names_nobody_and_does_not_fail() -> None:
    # an empty or blank English text made the share of figures per line divide by zero
    for text in ("", " ", "\n", "\n\n"):
        assert people(text) == []
        assert analyze_article("", text, "en").entities == ()
