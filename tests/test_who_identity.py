"""Linking a newly analysed entity to the entities storage already knows."""

from __future__ import annotations

from bot.analysis.entities import entity_key, same_surname
from bot.who.identity import (
    Create,
    IdentityInput,
    Known,
    Merge,
    Named,
    OtherScriptName,
    Rename,
    canonical_key,
    first_names_alone,
    misread_names,
    resolve,
    surname_key,
    surname_keys,
)


def entity(kind: str, name: str) -> Named:
    return Named(entity_key(kind, name), kind, name, 1)


def known(kind: str, name: str, mentions: int) -> Known:
    return Known(0, entity_key(kind, name), kind, name, mentions)


def test_surname_only_person_joins_the_full_name_across_articles() -> None:
    store = [known("PER", "Владимир Путин", 120), known("PER", "Сергей Лавров", 40)]
    assert canonical_key(entity("PER", "Путин"), store) == "PER:владимир путин"


def test_surname_only_person_joins_the_best_known_namesake() -> None:
    store = [known("PER", "Сергей Иванов", 5), known("PER", "Иван Иванов", 40)]
    assert canonical_key(entity("PER", "Иванов"), store) == "PER:иван иванов"


def test_surname_filed_on_its_own_before_stays_there() -> None:
    store = [known("PER", "Иван Иванов", 40), known("PER", "Иванов", 90)]
    assert canonical_key(entity("PER", "Иванов"), store) == "PER:иванов"


def test_spelling_variant_of_a_full_name_is_the_same_person() -> None:
    store = [known("PER", "Тереза Мэй", 30)]
    assert canonical_key(entity("PER", "Тереза Мей"), store) == "PER:тереза мэй"


def test_initial_and_surname_join_the_full_name() -> None:
    store = [known("PER", "Борис Джонсон", 30), known("PER", "Дуэйн Джонсон", 2)]
    assert canonical_key(entity("PER", "Б. Джонсон"), store) == "PER:борис джонсон"


def test_different_first_names_stay_different_people() -> None:
    store = [known("PER", "Сергей Скрипаль", 10)]
    assert canonical_key(entity("PER", "Юлия Скрипаль"), store) == "PER:юлия скрипаль"


def test_full_name_keeps_its_key_over_a_stored_surname() -> None:
    store = [known("PER", "Трамп", 3)]
    assert canonical_key(entity("PER", "Дональд Трамп"), store) == "PER:дональд трамп"


def test_unknown_person_and_organisations_keep_their_keys() -> None:
    store = [known("PER", "Владимир Путин", 120), known("ORG", "Евросоюз", 50)]
    assert canonical_key(entity("PER", "Стив Уиткофф"), store) == "PER:стив уиткофф"
    assert canonical_key(entity("ORG", "МИД"), store) == "ORG:мид"
    assert canonical_key(entity("ORG", "Евросоюз"), store) == "ORG:евросоюз"


# --- transliteration variants of foreign names ---


def test_first_name_transliterated_two_ways_is_one_person() -> None:
    store = [known("PER", "Хайко Маас", 12)]
    assert canonical_key(entity("PER", "Гайко Маас"), store) == "PER:хайко маас"


def test_surname_transliterated_two_ways_with_an_initial_is_one_person() -> None:
    store = [known("PER", "Саулюс Сквернялис", 8)]
    assert canonical_key(entity("PER", "С. Сквярнялис"), store) == "PER:саулюс сквернялис"


def test_vowels_rendered_two_ways_in_both_names_are_one_person() -> None:
    store = [known("PER", "Карл Сэндс", 4)]
    assert canonical_key(entity("PER", "Карл Сандс"), store) == "PER:карл сэндс"


def test_a_slavic_ending_english_writes_several_ways_is_one_person() -> None:
    # Reuters "Zelenskiy", AP "Zelenskyy", most "Zelensky": three people in /who until now
    store = [known("PER", "Volodymyr Zelensky", 30)]
    for spelt in ("Volodymyr Zelenskiy", "Volodymyr Zelenskyy", "V. Zelenskiy"):
        assert canonical_key(entity("PER", spelt), store) == "PER:volodymyr zelensky", spelt
    # Latin vowels are not blurred as Cyrillic ones are: these are other people
    store = [known("PER", "John Walker", 30), known("PER", "Bob Hill", 20)]
    assert canonical_key(entity("PER", "John Welker"), store) == "PER:john welker"
    assert canonical_key(entity("PER", "Bob Hall"), store) == "PER:bob hall"


def test_namesakes_in_one_story_stay_apart_even_spelt_loosely() -> None:
    # Two people of one family: a surname spelt another way does not make the first names agree.
    store = [known("PER", "Хиллари Клинтон", 30)]
    assert canonical_key(entity("PER", "Билл Клинтон"), store) == "PER:билл клинтон"
    assert canonical_key(entity("PER", "Билл Клинтен"), store) == "PER:билл клинтен"


def test_a_loosely_matching_surname_alone_does_not_join_anyone() -> None:
    # "Папов" is not "Попов": without a first name there is nothing to confirm a spelling variant.
    store = [known("PER", "Александр Попов", 9)]
    assert canonical_key(entity("PER", "Папов"), store) == "PER:папов"
    assert canonical_key(entity("PER", "Попов"), store) == "PER:александр попов"


def test_a_loose_match_needs_a_long_enough_surname() -> None:
    store = [known("PER", "Юн Ким", 9)]
    assert canonical_key(entity("PER", "Юн Кум"), store) == "PER:юн кум"


def test_a_person_noun_opening_the_sentence_is_not_part_of_the_name() -> None:
    from bot.analysis.entities import parse_russian

    text = "Христианка Асия Биби вышла на свободу. Ксендз Вальдемар Цисло осудил приговор."
    spans = parse_russian(text).spans
    assert [s.normal for s in spans] == ["Асия Биби", "Вальдемар Цисло"]
    # A first name that is also a noun ("лев", "роза") stays a first name.
    assert [s.normal for s in parse_russian("Лев Пономарев и Роза Сябитова выступили.").spans] == [
        "Лев Пономарев",
        "Роза Сябитова",
    ]


def test_an_abbreviated_given_name_and_a_voiced_letter_are_variants() -> None:
    store = [known("PER", "Джереми Хант", 20), known("PER", "Дональд Туск", 15)]
    assert canonical_key(entity("PER", "Дж. Хант"), store) == "PER:джереми хант"
    assert canonical_key(entity("PER", "Дональт Туск"), store) == "PER:дональд туск"


# ----- resolve: a batch of articles against what storage loaded, no database -----


def named(name: str, mentions: int = 1, kind: str = "PER") -> Named:
    return Named(entity_key(kind, name), kind, name, mentions)


def stored(entity_id: int, name: str, mentions: int, kind: str = "PER") -> Known:
    return Known(entity_id, entity_key(kind, name), kind, name, mentions, surname_key(kind, name))


def test_a_stored_key_is_that_entity_and_changes_nothing() -> None:
    decided = resolve(
        IdentityInput(((named("Евросоюз", kind="ORG"), named("Сергей Лавров")),), (), {"ORG:евросоюз": 7})
    )
    (article,) = decided.articles
    assert article.ids["ORG:евросоюз"] == 7
    assert article.steps == (
        Create(-1, "PER:сергей лавров", "PER", "Сергей Лавров", surname_key("PER", "Лавров")),
    )


def test_a_surname_alone_joins_the_stored_full_name() -> None:
    putin = stored(3, "Владимир Путин", 50)
    decided = resolve(IdentityInput(((named("Путин"),),), (putin,), {}))
    assert decided.articles[0].ids == {"PER:путин": 3}
    assert decided.articles[0].steps == ()


def test_a_new_full_name_absorbs_the_surname_stored_alone() -> None:
    alone = stored(4, "Уиткофф", 6)
    decided = resolve(IdentityInput(((named("Стив Уиткофф", 2),),), (alone,), {"PER:уиткофф": 4}))
    (article,) = decided.articles
    assert article.steps == (
        Create(-1, "PER:стив уиткофф", "PER", "Стив Уиткофф", alone.surname),
        Merge(4, -1),
    )
    assert article.ids == {"PER:стив уиткофф": -1}
    assert decided.final(4) == -1


def test_a_surname_two_stored_full_names_share_is_not_absorbed() -> None:
    people = (stored(1, "Сергей Скрипаль", 5), stored(2, "Скрипаль", 3), stored(5, "Юлия Скрипаль", 4))
    decided = resolve(IdentityInput(((named("Виктория Скрипаль"),),), people, {}))
    assert [type(s) for s in decided.articles[0].steps] == [Create]
    assert decided.merged == {}


def test_an_earlier_article_of_the_batch_is_merged_and_its_map_follows() -> None:
    decided = resolve(IdentityInput(((named("Уиткофф", 3),), (named("Стив Уиткофф"),)), (), {}))
    first, second = decided.articles
    assert first.ids == {"PER:уиткофф": -1}  # its rows are written under the surname, then moved
    assert second.steps[-1] == Merge(-1, -2)
    assert decided.final(first.ids["PER:уиткофф"]) == -2


def test_mentions_counted_in_the_batch_rank_the_candidates() -> None:
    # Two stored people with one surname, the first better known; the batch names the second often.
    people = (stored(1, "Анна Петрова", 2), stored(2, "Алла Петрова", 1))
    batch = ((named("Алла Петрова", 5),), (named("Петрова"),))
    assert resolve(IdentityInput(batch, people, {})).articles[1].ids == {"PER:петрова": 2}
    assert resolve(IdentityInput(batch[1:], people, {})).articles[0].ids == {"PER:петрова": 1}


# ----- names NER misread or cut short (#12) -----


def test_a_first_name_alone_is_the_one_person_of_the_article_with_that_first_name() -> None:
    article = (named("Асии Биби", 6), named("Асию"), named("Салман Тасир"))
    assert first_names_alone(article) == {"PER:асию": "PER:асии биби"}
    (resolved,) = resolve(IdentityInput((article,), (), {})).articles
    assert resolved.ids["PER:асию"] == resolved.ids["PER:асии биби"]
    assert [s.name for s in resolved.steps if isinstance(s, Create)] == ["Асии Биби", "Салман Тасир"]


def test_a_first_name_two_people_of_the_article_share_names_neither() -> None:
    article = (named("Анна Петрова"), named("Анна Смирнова"), named("Анна"))
    assert first_names_alone(article) == {}


def test_a_word_that_is_also_a_surname_of_the_article_is_not_a_first_name_alone() -> None:
    # "Мэй" is Тереза Мэй's surname, though "Мэй Беннет" has it as a first name.
    assert first_names_alone((named("Тереза Мэй"), named("Мэй Беннет"), named("Мэй"))) == {}


def test_a_first_name_alone_needs_the_full_name_in_the_same_article() -> None:
    julia = stored(2, "Юлия Скрипаль", 4)
    (resolved,) = resolve(IdentityInput(((named("Юлия"),),), (julia,), {})).articles
    assert resolved.ids["PER:юлия"] != 2


def test_two_people_with_one_surname_in_one_story_stay_apart() -> None:
    article = (named("Сергей Скрипаль", 3), named("Юлия Скрипаль", 2), named("Юлия"))
    (resolved,) = resolve(IdentityInput((article,), (), {})).articles
    ids = resolved.ids
    assert ids["PER:сергей скрипаль"] != ids["PER:юлия скрипаль"] == ids["PER:юлия"]
    # A later story with one of them by full name joins that one only.
    people = (stored(1, "Сергей Скрипаль", 3), stored(2, "Юлия Скрипаль", 3))
    later = resolve(IdentityInput(((named("Юлия Скрипаль"), named("Сергей Скрипаль")),), people, {}))
    assert later.articles[0].ids == {"PER:юлия скрипаль": 2, "PER:сергей скрипаль": 1}


def test_a_name_joined_by_a_hyphen_is_read_as_first_name_and_surname() -> None:
    assert misread_names("Азию-Биби") == ["Азию Биби"]
    assert misread_names("уль-Малук") == []  # a particle, not a first name
    bibi = stored(9, "Азия Биби", 40)
    assert "Азию-Биби" not in bibi.name and bibi.surname in surname_keys("PER", "Азию-Биби")
    (resolved,) = resolve(IdentityInput(((named("Азию-Биби"),),), (bibi,), {})).articles
    assert resolved.ids == {"PER:азию-биби": 9} and resolved.steps == ()


def test_a_hyphenated_name_nobody_is_known_by_stays_itself() -> None:
    rimsky = named("Римский-Корсаков")
    corsakov = stored(5, "Иван Корсаков", 3)
    (resolved,) = resolve(IdentityInput(((rimsky,),), (corsakov,), {})).articles
    assert resolved.ids["PER:римский-корсаков"] < 0  # new: "Римский" is not Иван


def test_a_surname_read_twice_is_that_surname() -> None:
    davis, other = stored(4, "Дэвид Дэвис", 30), stored(6, "Дэвид Кэмерон", 10)
    (resolved,) = resolve(IdentityInput(((named("Дэвис Дэвис"),),), (davis, other), {})).articles
    assert resolved.ids == {"PER:дэвис дэвис": 4}


# ----- one person in Russian and English articles -----


def test_a_full_name_in_latin_letters_is_the_person_named_in_cyrillic() -> None:
    trump = stored(3, "Дональд Трамп", 40)
    assert surname_key("PER", "Trump") == trump.surname
    decided = resolve(IdentityInput(((named("Donald Trump", 4), named("Trump")),), (trump,), {}))
    (article,) = decided.articles
    assert article.ids == {"PER:donald trump": 3, "PER:trump": 3}
    assert article.steps == (OtherScriptName(3, "Donald Trump"),)  # what English readers are shown


def test_names_written_the_english_way_match_their_russian_renderings() -> None:
    for latin, cyrillic in [
        ("Boris Johnson", "Борис Джонсон"),
        ("Jerome Powell", "Джером Пауэлл"),
        ("Elizabeth Warren", "Элизабет Уоррен"),
        ("Emmanuel Macron", "Эммануэль Макрон"),
        ("Mike Pompeo", "Майк Помпео"),
        ("Nancy Pelosi", "Нэнси Пелоси"),
        ("Steve Witkoff", "Стив Уиткофф"),
        ("Volodymyr Zelensky", "Владимир Зеленский"),  # a Ukrainian given name and its Russian form
    ]:
        assert canonical_key(entity("PER", latin), [known("PER", cyrillic, 5)]) == entity_key("PER", cyrillic)
        assert canonical_key(entity("PER", cyrillic), [known("PER", latin, 5)]) == entity_key("PER", latin)


def test_across_scripts_a_given_name_must_agree_and_a_surname_be_long_enough() -> None:
    # another given name, an initial (its letter differs by script), a short surname: not the same person
    for latin, cyrillic in [
        ("Robert Trump", "Дональд Трамп"),
        ("D. Trump", "Дональд Трамп"),
        ("Tim Cook", "Тим Кук"),
    ]:
        assert canonical_key(entity("PER", latin), [known("PER", cyrillic, 5)]) == entity_key("PER", latin)
    # a short surname alone does not cross either
    assert canonical_key(entity("PER", "Cook"), [known("PER", "Тим Кук", 5)]) == "PER:cook"
    # within Latin letters nothing is blurred: "Jon" and "Jan" are two people, as before
    assert canonical_key(entity("PER", "Jan Smith"), [known("PER", "Jon Smith", 5)]) == "PER:jan smith"


def test_a_new_full_name_absorbs_a_surname_alone_in_the_other_script_only_if_long_enough() -> None:
    trump, cook = stored(4, "Trump", 6), stored(5, "Cook", 3)
    decided = resolve(IdentityInput(((named("Дональд Трамп"),),), (trump,), {"PER:trump": 4}))
    assert decided.articles[0].steps[-1] == Merge(4, -1)
    decided = resolve(IdentityInput(((named("Тим Кук"),),), (cook,), {"PER:cook": 5}))
    assert [type(s) for s in decided.articles[0].steps] == [Create]  # "Cook" alone may be anyone


def test_a_person_first_named_by_an_initial_is_shown_by_the_full_name_that_joins_them() -> None:
    putin = stored(3, "В. Путин", 18)
    decided = resolve(IdentityInput(((named("Владимир Путин"),), (named("Vladimir Putin"),)), (putin,), {}))
    first, second = decided.articles
    assert first.ids == {"PER:владимир путин": 3}
    assert first.steps == (Rename(3, "Владимир Путин"),)
    # the full name now shown lets the English full name join too (an initial never crosses scripts)
    assert second.ids == {"PER:vladimir putin": 3}
    assert second.steps == (OtherScriptName(3, "Vladimir Putin"),)
    # another initial, or a name in the other script, renames nothing
    assert resolve(IdentityInput(((named("В. Путин"),),), (putin,), {})).articles[0].steps == ()


def test_the_arabic_article_is_no_part_of_a_surname() -> None:
    # "al-Assad" and "Assad", «аль-Асад» and «Асад»: one surname, one key, in either script
    assert same_surname("al-Assad", "Assad") and same_surname("аль-Асад", "Асад")
    assert surname_key("PER", "Bashar al-Assad") == surname_key("PER", "Башар Асад")
    assert surname_key("PER", "Abu Bakr al-Baghdadi") == surname_key("PER", "Абу Бакр аль-Багдади")
    assert not same_surname("Alan", "An")  # a name beginning like an article keeps its letters


# ----- lookalike keys (29 November, fifth session: 14 wrong merges over the contest hours) -----


def given(name: str) -> Named:
    return Named(entity_key("PER", name), "PER", name, 1, given_name=True)


def test_a_first_name_alone_is_never_a_surname_of_someone_else() -> None:
    # «дочь Галину» was filed under the key of "Gillan" and absorbed by Karen Gillan
    galina = given("Галина")
    assert surname_key("PER", "Галина", given_name=True) != surname_key("PER", "Karen Gillan")
    decided = resolve(IdentityInput(((galina,), (named("Karen Gillan"),)), (), {}))
    first, second = decided.articles
    assert first.ids["PER:галина"] != second.ids["PER:karen gillan"] and decided.merged == {}
    # spellings of one first name alone still meet: "Мухаммед" and "Магомет"
    prophet = Known(7, "PER:магомет", "PER", "Магомет", 3, surname_key("PER", "Магомет", given_name=True))
    people = tuple(Known(p.id, p.key, p.kind, p.name, p.mentions, p.surname) for p in (prophet,))
    assert resolve(IdentityInput(((given("Мухаммед"),),), people, {})).articles[0].ids == {"PER:мухаммед": 7}
    # and a word the dictionary calls a first name that is the surname of a known person is that person
    bibi = stored(9, "Асия Биби", 40)
    assert resolve(IdentityInput(((given("Биби"),),), (bibi,), {})).articles[0].ids == {"PER:биби": 9}
    assert set(surname_keys("PER", "Биби", given_name=True)) >= {surname_key("PER", "Биби")}


def test_a_full_name_absorbs_only_its_own_surname_stored_alone() -> None:
    # the key blurs vowels and voicing: "Дюков" shares one with "Токаев", "Татьяна" with "Додон"
    assert surname_key("PER", "Дюков") == surname_key("PER", "Токаев")
    dyukov = stored(4, "Дюков", 2)
    decided = resolve(IdentityInput(((named("Касым-Жомарт Токаев"),),), (dyukov,), {"PER:дюков": 4}))
    assert [type(s) for s in decided.articles[0].steps] == [Create] and decided.merged == {}
    # across scripts the first letters must agree: NER's «Хеллоуином» is no "Gillan"
    halloween = stored(5, "Хеллоуин", 2)
    assert surname_key("PER", "Хеллоуин") == surname_key("PER", "Karen Gillan")
    decided = resolve(IdentityInput(((named("Karen Gillan"),),), (halloween,), {"PER:хеллоуин": 5}))
    assert decided.merged == {}


def test_a_short_surname_alone_joins_the_person_whose_name_in_its_script_has_it() -> None:
    # "Assad" alone is too short to cross scripts by itself ("Cook" may be anyone), but storage knows the
    # person shown as «Башар Асад» as "Bashar al-Assad" too: in Latin letters the surname is the same word
    bashar = Known(
        3, "PER:башар асад", "PER", "Башар Асад", 11, surname_key("PER", "Башар Асад"), "Bashar al-Assad"
    )
    assert canonical_key(entity("PER", "Assad"), [bashar]) == "PER:башар асад"
    cook = Known(5, "PER:тим кук", "PER", "Тим Кук", 4, surname_key("PER", "Тим Кук"))  # no Latin name known
    assert canonical_key(entity("PER", "Cook"), [cook]) == "PER:cook"
    # the other way round: "Assad" filed alone first; the full name that gives him his Latin name takes it
    assad = stored(4, "Assad", 14)
    decided = resolve(
        IdentityInput(((named("Bashar al-Assad"),),), (stored(3, "Башар Асад", 11), assad), {"PER:assad": 4})
    )
    assert decided.articles[0].steps == (OtherScriptName(3, "Bashar al-Assad"), Merge(4, 3))
    assert decided.articles[0].ids == {"PER:bashar al-assad": 3}
