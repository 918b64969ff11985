"""One person across articles: which stored entity a newly analysed entity is.

Articles name a well-known person by surname alone ("Путин") once readers know who is meant, and
transliterate foreign names inconsistently ("Тереза Мэй"/"Тереза Мей"). Storage calls
``canonical_key`` with what it already knows and files the new mentions under the key it returns.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.analysis.entities import PER, Entity, first_names_agree, fold, name_stem, same_surname

# Letters Russian renders of one foreign name disagree on: Г/Х (Heiko: Гайко/Хайко), З/С (Asia:
# Азия/Асия), Э/Е/Я and А/О (Sands: Сэндс/Сандс, Skvernelis: Сквернялис/Сквярнялис), Й/И, soft and hard
# signs, doubled consonants.
_VOWELS_RE = re.compile(r"[аеёиоуыэюяй]+")
_SIGNS_RE = re.compile(r"[ьъ'’]")
_LETTERS = str.maketrans({"г": "х", "з": "с", "д": "т", "б": "п", "в": "ф", "ж": "ш"})  # and voicing: Дональт
# How many letters a surname's stem needs before a looser spelling is trusted: with a full first name that
# agrees, with only an initial, and with no first name at all (a single name: "Мухаммед"/"Мухаммад").
MIN_VARIANT_LETTERS = {"name": 4, "initial": 5, "alone": 7}


def name_skeleton(word: str) -> str:
    """A name with what transliterations disagree on blurred: the first letter, then consonants with every
    run of vowels as one mark. "Сквернялис" and "Сквярнялис" share "скв*рн*л*с"; "Хайко" and "Гайко" too."""
    s = _SIGNS_RE.sub("", fold(word).rstrip(".")).translate(_LETTERS)
    s = re.sub(r"(.)\1+", r"\1", s)
    if not s:
        return ""
    return s[0] + _VOWELS_RE.sub("*", s[1:])


def surname_variant_key(surname: str) -> str:
    """What storage files a person under to find every spelling of their surname: the skeleton of its stem."""
    return name_skeleton(name_stem(surname))


def surnames_are_variants(a: str, b: str, evidence: str = "initial") -> bool:
    """One surname spelt two ways: equal by ``same_surname``, or equal skeletons of names long enough for
    the ``evidence`` the rest of the name gives ("name", "initial" or "alone")."""
    if same_surname(a, b):
        return True
    stem_a, stem_b = name_stem(a), name_stem(b)
    long_enough = min(len(stem_a), len(stem_b)) >= MIN_VARIANT_LETTERS[evidence]
    return long_enough and name_skeleton(stem_a) == name_skeleton(stem_b)


def _given_names_agree(a: str, b: str) -> bool:
    if first_names_agree(a, b):
        return True
    short, full = sorted((fold(a), fold(b)), key=len)
    if short.endswith(".") and len(short) > 2 and full.startswith(short.rstrip(".")):
        return True  # "Дж." for "Джереми"
    stem_a, stem_b = name_stem(a), name_stem(b)
    return min(len(stem_a), len(stem_b)) >= 3 and name_skeleton(stem_a) == name_skeleton(stem_b)


def given_names_evidence(a: str, b: str) -> str | None:
    """What two given-name parts say about one person: "name" when a full name agrees (spelt either way,
    any word of either: "Хадим Хусейн"/"Хадим", a title NER glued on: "Ксендз Вальдемар"/"Вальдемар"),
    "initial" when only an initial agrees, "alone" when neither has one, None when they disagree."""
    words_a, words_b = a.replace(".", ". ").split(), b.replace(".", ". ").split()
    if not words_a and not words_b:
        return "alone"
    if not words_a or not words_b:
        return None
    agreeing = [(x, y) for x in words_a for y in words_b if _given_names_agree(x, y)]
    if not agreeing:
        return None
    full = any(len(x) > 1 and len(y) > 1 and not x.endswith(".") and not y.endswith(".") for x, y in agreeing)
    return "name" if full else "initial"


@dataclass(frozen=True)
class KnownEntity:
    """An entity already in storage, with how often it has been mentioned so far."""

    key: str
    kind: str
    name: str
    mentions: int


def _name_parts(name: str) -> tuple[str, str]:
    """(first name or initial, surname) of a display name; a single word counts as a surname."""
    words = name.replace(".", ". ").split()
    if len(words) == 1:
        return "", words[0]
    return words[0], words[-1]


def _given_names(name: str) -> str:
    """Every word of a display name before its surname."""
    return " ".join(name.replace(".", ". ").split()[:-1])


def canonical_key(entity: Entity, known: Iterable[KnownEntity]) -> str:
    """The key to file a new entity under: its own, or that of the known entity it most likely is.

    A surname-only person joins the best-known person with that surname (a full name preferred);
    a full name joins a known full name with the same surname and a compatible first name or initial,
    so spelling variants of one name ("Мэй"/"Мей", "Дэвис"/"Девис") become one person. Transliteration
    variants of a foreign name ("Гайко Маас"/"Хайко Маас", "С. Сквернялис"/"Саулюс Сквярнялис") join only
    when both first names are given and agree too: a surname alone, or another first name, stays apart.
    """
    known = list(known)
    if any(k.key == entity.key for k in known):
        return entity.key
    if entity.kind != PER:
        return entity.key
    first, last = _name_parts(entity.name)
    best: tuple[tuple[int, int], str] | None = None
    for candidate in known:
        if candidate.kind != PER:
            continue
        c_first, c_last = _name_parts(candidate.name)
        exact = same_surname(c_last, last) and first_names_agree(c_first, first)
        if not exact:
            evidence = given_names_evidence(_given_names(candidate.name), _given_names(entity.name))
            if evidence is None or not surnames_are_variants(c_last, last, evidence):
                continue
        if first and not c_first:
            # The new full name is more specific than a stored surname: keep the full name's key.
            continue
        rank = (1 if c_first and len(c_first.rstrip(".")) > 1 else 0, candidate.mentions)
        if best is None or rank > best[0]:
            best = (rank, candidate.key)
    return best[1] if best else entity.key
