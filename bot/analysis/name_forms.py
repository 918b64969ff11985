"""Every form a name can take, so /who finds "Сергея Лаврова" or "Путиным" by plain lookup.

Snowball stems fold surnames inconsistently ("Лавров" → "лавр", "Лаврова" → "лавров"); pymorphy2's
paradigms ("лексемы") of each word of a name do not, including guessed ones for unknown surnames.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from bot.analysis.morph import russian_morph
from bot.analysis.stems import words

_CYRILLIC = re.compile(r"[а-я]")
PARSES_PER_WORD = 3  # the right paradigm is among the first three ("Рыженков" parses first as a plural)


def name_forms(name: str) -> frozenset[str]:
    """Lower-cased forms of each word of a name, "ё" read as "е"."""
    return frozenset(form for word in words(name) for form in word_forms(word))


# The same names recur article after article; building a paradigm was an eighth of the analysis time.
# An entry takes ~7.5 KB (the forms and their parses, measured with tracemalloc): 4,096 keep the
# recurring names at ~30 MB per worker, where 50,000 would have let a long-running worker grow by ~375 MB.
@lru_cache(maxsize=4096)
def word_forms(word: str) -> frozenset[str]:
    """One word of a name and every form of its likely paradigms."""
    forms = {word}
    if _CYRILLIC.search(word):
        seen: set[tuple[int, str]] = set()
        for parse in russian_morph().parse(word)[:PARSES_PER_WORD]:
            paradigm = _dictionary_paradigm(parse)
            if paradigm is not None:
                if paradigm in seen:
                    continue  # "Путина" as genitive and accusative: one paradigm, the same forms
                seen.add(paradigm)
            forms.update(form[0].replace("ё", "е") for form in _lexeme(parse))
    return frozenset(forms)


def _lexeme(parse: Any) -> list[tuple[Any, ...]]:
    """``parse.lexeme`` as pymorphy2's plain tuples (word first): the analyser would wrap each form of
    each paradigm in a parse object with UD features, which nothing here reads."""
    unit = parse.methods_stack[-1][0]
    return list(unit.get_lexeme(parse))


def _dictionary_paradigm(parse: Any) -> tuple[int, str] | None:
    """(paradigm, stem) of a parse read straight from the dictionary: its lexeme's forms depend on
    these alone. None for guessed parses, whose lexeme depends on more."""
    from pymorphy2.units import DictionaryAnalyzer

    stack = parse.methods_stack
    if len(stack) != 1 or type(stack[0][0]) is not DictionaryAnalyzer:
        return None
    _, fixed_word, para_id, idx = stack[0]
    dictionary = russian_morph().dictionary
    return para_id, dictionary.build_stem(dictionary.paradigms[para_id], idx, fixed_word)
