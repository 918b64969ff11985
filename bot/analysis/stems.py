"""Word stems for full-text search and similarity.

Snowball stemmers (the Russian analyser of Lucene and Elasticsearch) fold Russian word forms
("переговоров", "переговоры" → "переговор") without a dictionary, fast enough to run on every article.
"""

from __future__ import annotations

import re
from functools import lru_cache

import Stemmer

WORD_RE = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*", re.UNICODE)
_CYRILLIC_RE = re.compile(r"[а-яё]", re.IGNORECASE)


@lru_cache(maxsize=2)
def _stemmer(language: str) -> Stemmer.Stemmer:
    stemmer = Stemmer.Stemmer(language)
    stemmer.maxCacheSize = 50_000
    return stemmer


def words(text: str) -> list[str]:
    """Lower-cased words of a text, "ё" folded into "е" as Russian readers and writers do."""
    return [m.group(0).lower().replace("ё", "е") for m in WORD_RE.finditer(text)]


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


# Snowball takes a Russian surname's "-ов"/"-ев" for a plural ending: "Лавров" stems to "лавр", while every
# other case keeps it ("Лаврова", "Лаврову", "Лавровым" → "лавров"), so the stem alone finds only the
# nominative. Such a word also matches as written; nothing shorter is added, so no "лавр" joins a "Лаврова".
_KEPT_ENDINGS = ("ов", "ев")
MIN_KEPT_LETTERS = 5


def word_terms(word: str) -> tuple[str, ...]:
    """What one lower-cased query word matches in the index: its stem, and for a Russian word in "-ов"/"-ев"
    that the stemmer cut there ("песков" → "песк"), the word itself, the stem of its other cases."""
    term = stem(word)
    if (
        len(word) >= MIN_KEPT_LETTERS
        and word.endswith(_KEPT_ENDINGS)
        and term == word[:-2]
        and _CYRILLIC_RE.search(word)
    ):
        return (term, word)
    return (term,)


def query_terms(query: str) -> list[tuple[str, ...]]:
    """Per distinct query word, the stems any of which it matches (``word_terms``)."""
    return list(dict.fromkeys(word_terms(w) for w in query_words(query)))
