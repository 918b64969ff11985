"""pymorphy2's Russian dictionary, loaded once per process and shared by every part of the analysis."""

from __future__ import annotations

import os
import unicodedata
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def russian_morph() -> Any:
    """natasha's ``MorphVocab``: pymorphy2's analyser with a cache of recent words, whose parses also carry
    UD part of speech and features. Names, roles, quotes, tense and name forms all read this one: a
    second analyser would load the dictionaries (~15 MB) again."""
    import natasha  # noqa: F401  (pymorphy2 works once natasha has been imported)
    import pymorphy2_dicts_ru

    # pymorphy2 looks its dictionaries up through pkg_resources, which new setuptools removed.
    os.environ.setdefault("PYMORPHY2_DICT_PATH", pymorphy2_dicts_ru.get_path())
    import pymorphy2.shapes
    from natasha import MorphVocab

    # pymorphy2 (0.9.1, its last release) asks unicodedata for every letter's name to tell a Latin one, and a
    # letter without a name (a Tangut ideograph, "𗀀") raised ValueError out of any parse: "/timeline
    # вчера𗀀" failed. Such a letter is simply not Latin.
    pymorphy2.shapes.is_latin_char = _is_latin_char
    return MorphVocab()


@lru_cache(maxsize=10_000)
def _is_latin_char(letter: str) -> bool:
    return "LATIN" in unicodedata.name(letter, "")
