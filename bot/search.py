"""/search: the best matches of a query, one per story.

Ten reports of one story («Верховный суд ликвидировал движение…» from ten outlets) would fill the reply
with one piece of news; each story shows its best-ranked match, and how many of the other matches tell it.

A person the archive knows in both scripts is one person (bot/who/identity.py): "/search Zelensky" finds
the Russian reports of Зеленский as well, and the reply says which name it also looked for.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Protocol

from bot.analysis.entities import PER
from bot.analysis.language import written_in
from bot.analysis.stems import (
    WORD_RE,
    holds,
    left_out,
    normal_word,
    query_names,
    query_word_terms,
    query_words,
    stem,
    word_term,
    word_terms,
    words,
)
from bot.who.identity import names_across_scripts
from storage.articles import CHECKED_READS, Article, ArticleRepo, SearchTerm
from storage.entities import EntitySummary
from storage.stories import StoryRepo

# /search shows this many stories; it reads SEARCH_POOL matches to find them and their other reports.
SEARCH_RESULTS = 10
SEARCH_POOL = 40
# A query word this short is looked up as a name in the other script only if it is a person's whole surname
# (the identity layer never crosses scripts on shorter surnames either).
MIN_NAME_LETTERS = 3
# The people a word may name, best known first: the first one named in both scripts is taken.
PEOPLE_PER_WORD = 3
# How many people named by a word are read to tell whether it is someone's surname ("андреев" also finds the
# better known Андрей Загороднюк and Андрей Каковкин by the stem "андре").
SURNAME_POOL = 12
# Words of a query looked up as names (as /who reads at most six): a pasted paragraph costs no more lookups.
NAME_WORDS = 6


class People(Protocol):
    async def find(self, query: str, limit: int = 6) -> list[EntitySummary]: ...


@dataclass(frozen=True)
class SearchQuery:
    """What the index is asked: each of the user's words as its stem; a word that is the surname of a person
    named in both scripts (or the given name, beside the surname) matches the surname in the other script
    too; ``also`` holds those other-script names, for the reply to say."""

    terms: tuple[SearchTerm, ...]
    also: tuple[str, ...] = ()
    lang: str = "ru"  # the language of the user's script: its reports come first when a name crosses

    # per term, what a matched article must hold (bot.analysis.stems.text_terms); empty: the index decides
    exact: tuple[frozenset[str], ...] = ()
    names: frozenset[str] = frozenset()  # the query's words read as names (a snippet highlights them so)
    # per word written "-word", the terms that leave an article out when it holds one ("суд -Пономарев")
    without: tuple[frozenset[str], ...] = ()

    def present(self) -> Callable[[Article], list[bool]] | None:
        """The check a match must pass: when a term's stems are also other words' («Песков» is found in the
        index by "песк", which is «песка» too: ``bot.analysis.stems.surname_terms``), whether it holds each
        term; an article holding a left-out word holds none. None when there is nothing to check."""
        groups = [frozenset((t,) if isinstance(t, str) else t) for t in self.terms]
        exact = self.exact if self.exact and self.exact != tuple(groups) else ()
        if not exact and not self.without:
            return None
        without, count = self.without, len(self.terms)

        def check(article: Article) -> list[bool]:
            found = holds(f"{article.title}\n{article.text}", (*exact, *without))
            if any(found[len(exact) :]):  # one False at least: left-out words alone (/latest -спорт) too
                return [False] * max(count, 1)
            return found[: len(exact)] if exact else [True] * count

        return check


@dataclass(frozen=True)
class SearchHit:
    """A /search result: the best match of a story, and the story's other matches."""

    article: Article
    others: tuple[Article, ...] = ()


def _script(word: str) -> str:
    return "ru" if written_in(word, "ru") else "en"


@dataclass(frozen=True)
class _NameReading:
    """What the archive's people say of one query word: the terms and the name of the person it names in
    the other script, if any, and whether it is the surname of a person the archive knows in its script."""

    other: tuple[tuple[str, ...], str] | None = None
    surname: bool = False


async def _read_name(people: People, word: str, stems: Sequence[str]) -> _NameReading:
    """For a query word naming a person the archive knows in both scripts: the terms of that person's
    surname in the other script (``word_terms``: "Lavrov" → "лавр", "лавров") and the full name there. A
    surname stands for its person (the best known one named so); a given name only beside that surname in
    the query ("Владимир Зеленский"). And whether the word is a known person's surname, however written: a
    lower-case "песков" is then read as the name, not as the sand (``query_names``)."""
    if len(word) < MIN_NAME_LETTERS or word.isdigit():
        return _NameReading()
    wanted, script = stem(word), _script(word)
    surname = False
    found = await people.find(word, SURNAME_POOL)
    for entity in found:
        written = [n for n in (entity.name, entity.other_name) if n and written_in(n, script)]
        if entity.kind == PER and any(
            words(n) and word_term(words(n)[-1]) == word_term(word) for n in written
        ):
            surname = True
            break
    for entity in found[:PEOPLE_PER_WORD]:
        if entity.kind != PER:
            continue
        if not entity.other_name:  # known in the other script only, found so ("Peskov": «Дмитрий Песков»)
            if not written_in(entity.name, script) and names_across_scripts(word, entity.name):
                return _NameReading((word_terms(words(entity.name)[-1]), entity.name), surname)
            continue
        mine, theirs = entity.name, entity.other_name
        if not written_in(mine, script):
            mine, theirs = theirs, mine
        mine_stems, their_words = [stem(w) for w in words(mine)], words(theirs)
        if not mine_stems or not their_words:
            continue
        if wanted == mine_stems[-1] or (wanted in mine_stems[:-1] and mine_stems[-1] in stems):
            return _NameReading((word_terms(their_words[-1]), theirs), surname)
    return _NameReading(None, surname)


@dataclass(frozen=True)
class Crossing:
    """The words of a query or topic that name a person known in both scripts: each word's stem → the terms
    of that person's surname in the other script, and the person's names there (what a reply says); and the
    words that are the surname of a person the archive knows (read as names in any letter case)."""

    terms: Mapping[str, tuple[str, ...]]
    names: tuple[str, ...] = ()
    surnames: frozenset[str] = frozenset()


async def crossing(people: People, text: str) -> Crossing:
    """Which of the first NAME_WORDS words of ``text`` name a person known in both scripts."""
    tokens = list(dict.fromkeys(query_words(text)))
    stems = list(dict.fromkeys(stem(w) for w in tokens))
    terms: dict[str, tuple[str, ...]] = {}
    names: dict[str, None] = {}
    surnames: set[str] = set()
    for word in tokens[:NAME_WORDS]:
        reading = await _read_name(people, word, stems)
        if reading.surname:
            surnames.add(word)
        if reading.other is not None:
            terms[stem(word)] = tuple(dict.fromkeys((*terms.get(stem(word), ()), *reading.other[0])))
            names[reading.other[1]] = None
    return Crossing(terms, tuple(names), frozenset(surnames))


# For a topic text, the stems its words stand for in the other script ("Зеленский" also as "zelensk") and the
# words that are known surnames: what digests and alerts read before they match topics
# (bot.digest.compose.parse_topics).
TopicCrossing = Callable[[str], Awaitable[Crossing]]


def topic_crossing(people: People) -> TopicCrossing:
    """For digest and alert topics (bot.digest.compose.parse_topics): a topic text's `crossing`."""
    return partial(crossing, people)


NO_CROSSING = Crossing({})  # what a topic is read with when nobody is looked up


async def read_query(query: str, people: People | None = None) -> SearchQuery:
    """The query as the index reads it; with ``people``, names crossed into the other script. A word written
    "-word" leaves out the articles holding it, read as the others are ("-Trump" leaves out «Трамп» too)."""
    wanted, leaving = _split_left_out(query)
    tokens = list(dict.fromkeys(query_words(wanted)))
    crossed = await crossing(people, query) if people is not None else NO_CROSSING
    names = query_names(query) | crossed.surnames
    without = tuple(
        query_word_terms(word, word in names, crossed.terms.get(stem(word), ()))
        for word in dict.fromkeys(query_words(leaving))
    )
    alternatives: dict[str, list[str]] = {}
    exact: dict[str, frozenset[str]] = {}
    accented = _accented_stems(wanted)
    for word in tokens:  # "Песков" matches "Пескова" too; "Zelensky" matches "Зеленский"
        other = crossed.terms.get(stem(word), ())
        alternatives.setdefault(stem(word), []).extend((*word_terms(word), *other, *accented.get(word, ())))
        # a name: «Песков» is not «песка» (a lower-case "налогов" is «налог» as well)
        exact[stem(word)] = exact.get(stem(word), frozenset()) | query_word_terms(word, word in names, other)
    terms = tuple(a[0] if len(a) == 1 else tuple(dict.fromkeys(a)) for a in alternatives.values())
    return SearchQuery(
        terms, crossed.names, _script(" ".join(tokens)), tuple(exact.values()), frozenset(names), without
    )


def _accented_stems(query: str) -> dict[str, tuple[str, ...]]:
    """For a Latin word written with accents, its stem with them: PostgreSQL's index of the articles stored
    before words were read without accents holds that stem ("erdoğan"); the word itself is read without."""
    found: dict[str, tuple[str, ...]] = {}
    for match in WORD_RE.finditer(query):
        written = match.group(0).lower().replace("ё", "е")
        if written != normal_word(written):
            found[normal_word(written)] = (stem(written),)
    return found


def _split_left_out(query: str) -> tuple[str, str]:
    """The words to look for and the words written "-word" (``left_out``), each as a text."""
    read = [(token, left_out(token)) for token in query.split()]
    return " ".join(t for t, word in read if word is None), " ".join(word for _, word in read if word)


def by_story(
    found: Sequence[Article], story_of: Mapping[int, int], limit: int = SEARCH_RESULTS
) -> list[SearchHit]:
    """The best-ranked match of each story, in rank order, with the other matches of that story (an
    article in no story yet, stored moments ago, stands alone)."""
    best: dict[object, Article] = {}
    others: dict[object, list[Article]] = {}
    for article in found:
        key: object = story_of.get(article.id, ("article", article.id))
        if key in best:
            others[key].append(article)
        elif len(best) < limit:
            best[key], others[key] = article, []
    return [SearchHit(article, tuple(others[key])) for key, article in best.items()]


async def search(
    articles: ArticleRepo, stories: StoryRepo, query: str | SearchQuery, limit: int = SEARCH_RESULTS
) -> list[SearchHit]:
    read = query if isinstance(query, SearchQuery) else await read_query(query)
    found = await articles.search(read.terms, limit=max(SEARCH_POOL, limit), present=read.present())
    if read.also:
        found = interleaved(found, read.lang)
    return by_story(found, await stories.story_of([a.id for a in found]), limit)


async def newest(articles: ArticleRepo, query: SearchQuery, limit: int) -> list[Article]:
    """/latest with words: the newest articles that match them, read as /search reads them; with left-out
    words alone ("/latest -спорт"), the newest articles without them."""
    if not query.terms:
        check = query.present()
        newest_first = await articles.latest(limit * CHECKED_READS)
        return [a for a in newest_first if check is None or all(check(a))][:limit]
    return await articles.search(query.terms, limit=limit, present=query.present(), newest=True)


def interleaved(found: Sequence[Article], lang: str) -> list[Article]:
    """Matches in the reader's language and in the other taking turns, the reader's first, each in rank order:
    "/search Trump" shows English and Russian reports of him alike, whichever language has more of them."""
    mine = [a for a in found if a.lang == lang]
    theirs = [a for a in found if a.lang != lang]
    turns = [a for pair in zip(mine, theirs, strict=False) for a in pair]
    shorter = min(len(mine), len(theirs))
    return turns + mine[shorter:] + theirs[shorter:]
