"""One person across articles: which stored entity a newly analysed entity is.

Articles name a well-known person by surname alone ("Путин") once readers know who is meant, and
transliterate foreign names inconsistently ("Тереза Мэй"/"Тереза Мей"). Storage calls
``canonical_key`` with what it already knows and files the new mentions under the key it returns.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.analysis.entities import PER, Entity, first_names_agree, same_surname


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


def canonical_key(entity: Entity, known: Iterable[KnownEntity]) -> str:
    """The key to file a new entity under: its own, or that of the known entity it most likely is.

    A surname-only person joins the best-known person with that surname (a full name preferred);
    a full name joins a known full name with the same surname and a compatible first name or initial,
    so spelling variants of one name ("Мэй"/"Мей", "Дэвис"/"Девис") become one person.
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
        if not same_surname(c_last, last) or not first_names_agree(c_first, first):
            continue
        if first and not c_first:
            # The new full name is more specific than a stored surname: keep the full name's key.
            continue
        rank = (1 if c_first and len(c_first.rstrip(".")) > 1 else 0, candidate.mentions)
        if best is None or rank > best[0]:
            best = (rank, candidate.key)
    return best[1] if best else entity.key
