"""Word stems for full-text search and similarity.

Snowball stemmers (the Russian analyser of Lucene and Elasticsearch) fold Russian word forms
("переговоров", "переговоры" → "переговор") without a dictionary, fast enough to run on every article.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

import Stemmer

WORD_RE = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*", re.UNICODE)
_CYRILLIC_RE = re.compile(r"[а-яё]", re.IGNORECASE)


@lru_cache(maxsize=2)
def _stemmer(language: str) -> Stemmer.Stemmer:
    stemmer = Stemmer.Stemmer(language)
    stemmer.maxCacheSize = 50_000
    return stemmer


def normal_word(word: str) -> str:
    """A word lower-cased, "ё" folded into "е" as Russian readers and writers do, and a Latin word without
    its accents ("Erdoğan" as "erdogan"), as SQLite's index reads it: PostgreSQL's does not, so the stems
    both are given are folded here (the breve of «й» is a letter's, not an accent)."""
    word = word.lower().replace("ё", "е")
    if word.isascii() or _CYRILLIC_RE.search(word):
        return word
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


LEFT_OUT_MARKS = "-−—"  # "-спорт": a word a query or a topic line leaves out


def left_out(token: str) -> str | None:
    """The word a token written "-word" leaves out ("-спорт", "−спорт", "—спорт"); None for any other."""
    word = token.lstrip(LEFT_OUT_MARKS)
    return word if word and word != token else None


def words(text: str) -> list[str]:
    """The ``normal_word`` of each word of a text."""
    return [normal_word(m.group(0)) for m in WORD_RE.finditer(text)]


def stem(word: str) -> str:
    """The stem of one lower-cased word, Russian or English by its letters."""
    language = "russian" if _CYRILLIC_RE.search(word) else "english"
    return _stemmer(language).stemWord(word)


def stems(text: str) -> list[str]:
    """Stems of every word in a text, in order."""
    return [stem(w) for w in words(text)]


def stemmed_text(text: str) -> str:
    """The text as a space-separated string of stems: what the full-text index stores."""
    return " ".join(stems(text))


# Function words that carry no topic: a query's "в" or "the" must neither be required nor highlighted.
_FUNCTION_WORDS = """
а и в во на с со к ко о об от до по за из у не ни но да же ли бы что как так то это для при про под над без
или его ее их он она они мы вы я
a an the of in on at to and or for by with from is are was be
"""
STOPWORDS = frozenset(_FUNCTION_WORDS.split())


def query_words(query: str) -> list[str]:
    """The words of a search query that carry its topic: function words dropped unless nothing is left."""
    tokens = words(query)
    return [w for w in tokens if w not in STOPWORDS] or tokens


def query_stems(query: str) -> list[str]:
    """Distinct stems of a search query, function words dropped unless nothing else is left."""
    return list(dict.fromkeys(stem(w) for w in query_words(query)))


# Snowball takes a Russian surname's "-ов"/"-ев" for a plural ending: "Лавров" stems to "лавр" ("Соловьев"
# to "солов"), while every other case keeps it ("Лаврова", "Лаврову", "Лавровым" → "лавров"), so the stem
# alone finds only the nominative, and "лавр" is also «лавра» and «лавры», other words. Such a word therefore
# stands for a term of its own as well, the stem of its other cases ("лавров"): a text's words are read as
# their terms (``word_index_terms``), a query word as one term (``word_term``); "Лавров", "Лаврова" and
# "Лавровым" meet there, «лавра» does not.
_KEPT_ENDINGS = ("ов", "ев")
MIN_KEPT_LETTERS = 5


def _cut_at_ending(word: str) -> bool:
    """A Russian word in "-ов"/"-ев" that the stemmer cuts shorter than its other cases ("песков" → "песк",
    "пескова" → "песков"; "соловьев" → "солов", "соловьева" → "соловьев")."""
    return (
        len(word) >= MIN_KEPT_LETTERS
        and word.endswith(_KEPT_ENDINGS)
        and bool(_CYRILLIC_RE.search(word))
        and stem(word) != word
        and stem(word + "а") == word
    )


def word_term(word: str) -> str:
    """The term one lower-cased word stands for: its stem, or for a word in "-ов"/"-ев" the stemmer cuts
    (``_cut_at_ending``) the word itself ("песков", as "Пескова" stems)."""
    return word if _cut_at_ending(word) else stem(word)


def word_index_terms(word: str) -> tuple[str, ...]:
    """The terms a word of a text is found by: its stem, and its ``word_term`` when that differs ("песков":
    "песк" and "песков"; so "/search песка", the sand, still finds the genitive plural «песков»)."""
    term = stem(word)
    return (term, word) if _cut_at_ending(word) else (term,)


def text_terms(text: str) -> frozenset[str]:
    """Every term of a text's words (``word_index_terms``): what topics and search matches are read by."""
    return frozenset(t for w in words(text) for t in word_index_terms(w))


def word_terms(word: str) -> tuple[str, ...]:
    """What one lower-cased query word matches in the full-text index, which holds stems alone: its stem, and
    for a term in "-ов"/"-ев" whose nominative the stemmer cuts, that shorter stem as well ("песков" and
    "пескова" → "песк", "песков"). The shorter stem is also other words' («песка»): for a surname a match
    through it alone is no match (``surname_terms``, ``holds``)."""
    term = word_term(word)
    return (stem(term), term) if _cut_at_ending(term) else (term,)


def surname_terms(alternatives: Sequence[str]) -> frozenset[str]:
    """The terms a text must hold to name a surname given by its index ``alternatives`` (``word_terms``, and
    the surname in the other script): those alternatives without the shorter stem of a "-ов"/"-ев" term, so
    "Песков" is not «песка». (A word in lower case keeps both: "/search налогов" is about «налог» too.)"""
    given = set(alternatives)
    return frozenset(given - {stem(t) for t in given if _cut_at_ending(t)})


def query_names(query: str) -> frozenset[str]:
    """The words of a query written with a capital letter, lower-cased: the ones read as names."""
    return frozenset(normal_word(m.group(0)) for m in WORD_RE.finditer(query) if m.group(0)[0].isupper())


def query_word_terms(word: str, name: bool, more: Sequence[str] = ()) -> frozenset[str]:
    """The terms a text must hold to match one query word: its ``word_terms`` and ``more`` (the surname in the
    other script); read as a name, without the shorter stem of a "-ов"/"-ев" word (``surname_terms``)."""
    given = (*word_terms(word), *more)
    return surname_terms(given) if name else frozenset(given)


def holds(text: str, groups: Sequence[frozenset[str]]) -> list[bool]:
    """For each group of terms (``surname_terms``), whether the text has a word standing for one of them
    (``word_index_terms``). Only the words that begin as a term does are stemmed (a stem differs from its word
    in the last letter at most: "happy" → "happi"), so checking a few dozen search results stays cheap."""
    starts = tuple({t[: max(1, min(len(t) - 1, 4))] for group in groups for t in group})
    found: set[str] = set()
    for word in words(text):  # and each part of a hyphenated word, which the index splits («Бурова-Петрова»)
        for part in (word, *word.split("-")) if "-" in word else (word,):
            if part.startswith(starts):
                found.update(word_index_terms(part))
    return [bool(group & found) for group in groups]
