"""Linking a newly analysed entity to the entities storage already knows."""

from __future__ import annotations

from bot.analysis.entities import Entity, Mention, entity_key
from bot.analysis.identity import KnownEntity, canonical_key


def entity(kind: str, name: str) -> Entity:
    return Entity(entity_key(kind, name), kind, name, (Mention(0, len(name), name, 0),))


def known(kind: str, name: str, mentions: int) -> KnownEntity:
    return KnownEntity(entity_key(kind, name), kind, name, mentions)


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
