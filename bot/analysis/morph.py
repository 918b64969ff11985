"""pymorphy2's Russian dictionary, loaded once per process and shared by every part of the analysis."""

from __future__ import annotations

import os
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
    from natasha import MorphVocab

    return MorphVocab()
