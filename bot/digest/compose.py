"""Composing digests: the stories each chat gets, filtered by its topics and summarised for what is new to it.

The expensive part (TextRank per story, ranking) is done once per run in `build_catalog`, in a worker
process; `compose` then costs a set lookup per story and a memoised MMR per chosen story, so
thousands of chats with distinct topic filters are served from one catalog.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import product

from bot.analysis.stems import (
    left_out,
    query_names,
    query_stems,
    query_word_terms,
    query_words,
    stem,
    text_terms,
)
from bot.digest import boilerplate
from bot.digest.summary import (
    Story,
    StoryArticle,
    StoryDigest,
    build_story,
    digest_story,
    importance,
    rank_key,
    ranking_time,
)
from storage.stories import SourceReport

MAX_STORIES = 10
MAX_TOPICS = 20
# A chat reads its own language first: a story in another language ranks as if half as important, so it
# still leads when it is much bigger news (an English story from 4 outlets beats a Russian one from 1 of
# the same age). A product choice, not a fitted weight: no markup says what readers prefer.
OTHER_LANGUAGE = 0.5


@dataclass(frozen=True)
class Topics:
    """A chat's topic filter: any of the `include` phrases (all their stems) and none of `exclude`."""

    include: tuple[tuple[str, ...], ...] = ()
    exclude: tuple[str, ...] = ()

    def matches(self, story_stems: frozenset[str]) -> bool:
        if any(s in story_stems for s in self.exclude):
            return False
        return not self.include or any(all(s in story_stems for s in phrase) for phrase in self.include)

    @property
    def empty(self) -> bool:
        return not self.include and not self.exclude


def parse_topics(
    text: str, crossed: Mapping[str, Sequence[str]] | None = None, known: Collection[str] = ()
) -> tuple[Topics, tuple[str, ...], tuple[str, ...]]:
    """Topics from "Лукашенко, мирный план, -спорт": comma-separated phrases, `-word` excludes a word.
    `crossed`: for a word's stem, more stems it stands for (a person's surname in the other script, from
    `bot.search.crossing`: "Зеленский" also as "zelensk"). `known`: lower-case words that are the surname of a
    person the archive knows (`bot.search.crossing`): read as names, as a capitalised word is.

    Returns the filter and the phrases and exclusions as written, for showing them back.
    """
    crossed = crossed or {}

    def terms(phrase: str) -> list[tuple[str, ...]]:  # per word, the terms any of which will do
        names = query_names(phrase) | set(known)  # «Песков» is not «песка» (bot.analysis.stems.surname_terms)
        return [
            tuple(sorted(query_word_terms(w, w in names, crossed.get(stem(w), ()))))
            for w in dict.fromkeys(query_words(phrase))
        ]

    phrases: list[str] = []
    excluded: list[str] = []
    for piece in text.replace(";", ",").split(","):
        kept: list[str] = []
        for token in piece.split():
            if (word := left_out(token)) is not None:
                excluded.append(word)
            else:
                kept.append(token)
        if kept:
            phrases.append(" ".join(kept))
    # a word matched by either of two terms ("Зеленский": "зеленск", "zelensk") makes a phrase of each:
    # composing tests plain terms, as fast as before
    include = tuple(dict.fromkeys(c for p in phrases for c in product(*terms(p)) if c))
    exclude = tuple(dict.fromkeys(s for word in excluded for forms in terms(word) for s in forms))
    shown_phrases = tuple(p for p in dict.fromkeys(phrases) if query_stems(p))
    shown_excluded = tuple(w for w in dict.fromkeys(excluded) if query_stems(w))
    return Topics(include, exclude), shown_phrases, shown_excluded


@dataclass(frozen=True)
class StoryMaterial:
    """A story as storage gives it: its newest reports, when the last was ingested, links to sources."""

    story_id: int
    articles: tuple[StoryArticle, ...]
    last_ingested: datetime
    links: tuple[tuple[str, str], ...] = ()  # (source, url)
    lang: str = ""  # the language of its reports ("" unknown: at home in every chat)


@dataclass(frozen=True)
class CatalogStory:
    story_id: int
    story: Story
    stems: frozenset[str] = field(hash=False)
    last_ingested: datetime
    links: tuple[tuple[str, str], ...]
    lang: str = ""
    importance: float = 0.0  # summary.importance at the catalog's time

    def weight_for(self, language: str | None) -> float:
        """Its importance to a chat reading `language` (None: any language alike)."""
        foreign = language is not None and self.lang not in ("", language)
        return self.importance * (OTHER_LANGUAGE if foreign else 1.0)


@dataclass(frozen=True)
class Catalog:
    """The stories of one digest run, most important first."""

    stories: tuple[CatalogStory, ...]
    until: datetime


def build_catalog(
    materials: Sequence[StoryMaterial],
    until: datetime,
    prominence: Mapping[str, float] | None = None,
    source_leads: Mapping[str, Sequence[SourceReport]] | None = None,
) -> Catalog:
    """Build and rank every story touched since the earliest subscriber's last digest (worker process).

    `source_leads`: each source's latest reports; the sentences a source printed in reports about
    different things are its boilerplate and never summarise a story (bot/digest/boilerplate.py)."""
    repeated = boilerplate.by_source(source_leads or {})
    read = [
        (
            material,
            build_story(
                [
                    replace(a, text=boilerplate.without(a.text, repeated.get(a.source, frozenset())))
                    for a in material.articles
                ]
            ),
        )
        for material in materials
        if material.articles
    ]
    reference = ranking_time((story for _, story in read), until)
    built = [
        CatalogStory(
            material.story_id,
            story,
            frozenset(t for a in material.articles for t in text_terms(f"{a.title}\n{a.text}")),
            material.last_ingested,
            material.links,
            material.lang,
            importance(story, reference, prominence),
        )
        for material, story in read
    ]
    built.sort(key=lambda c: rank_key(c.importance, c.story))  # summary.rank_stories' order
    return Catalog(tuple(built), until)


@dataclass(frozen=True)
class DigestRequest:
    key: int  # the subscription
    since: datetime | None  # stories with a report ingested after this; None: the whole catalog
    topics: Topics = Topics()
    already_sent: Mapping[int, tuple[str, ...]] = field(default_factory=dict, hash=False)
    language: str | None = None  # the chat's: its stories come first (OTHER_LANGUAGE); None: no preference


@dataclass(frozen=True)
class DigestEntry:
    story_id: int
    digest: StoryDigest
    links: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ComposedDigest:
    key: int
    entries: tuple[DigestEntry, ...]
    more: int  # matching stories left out to keep the digest short

    @property
    def empty(self) -> bool:
        return not self.entries


@dataclass(frozen=True)
class DigestContent:
    """What one chat's digest says, for the Telegram layer to render (bot/telegram/replies/digest.py)."""

    composed: ComposedDigest
    until: datetime  # the digest's date
    timezone: str  # the chat's IANA zone
    language: str  # the chat's language
    phrases: tuple[str, ...] = ()  # the chat's topics as written
    excluded: tuple[str, ...] = ()  # the words it excludes


class Composer:
    """Composes digests from one catalog; summaries for chats new to a story are computed once."""

    def __init__(self, catalog: Catalog, limit: int = MAX_STORIES) -> None:
        self.catalog = catalog
        self.limit = limit
        self._fresh: dict[int, StoryDigest] = {}
        self._orders: dict[str | None, tuple[CatalogStory, ...]] = {None: catalog.stories}

    def ordered(self, language: str | None) -> tuple[CatalogStory, ...]:
        """The catalog in the order a chat reading `language` gets it (computed once per language)."""
        order = self._orders.get(language)
        if order is None:  # ties keep the catalog's order
            order = self._orders[language] = tuple(
                sorted(
                    self.catalog.stories,
                    key=lambda c: (-c.weight_for(language), *rank_key(c.importance, c.story)),
                )
            )
        return order

    def select(
        self, since: datetime | None, topics: Topics, language: str | None = None
    ) -> tuple[list[CatalogStory], int]:
        """The chat's stories, most important to it first, and how many more matched beyond the limit."""
        chosen: list[CatalogStory] = []
        more = 0
        for item in self.ordered(language):
            if since is not None and item.last_ingested <= since:
                continue
            if not topics.matches(item.stems):
                continue
            if len(chosen) < self.limit:
                chosen.append(item)
            else:
                more += 1
        return chosen, more

    def compose(self, request: DigestRequest) -> ComposedDigest:
        chosen, more = self.select(request.since, request.topics, request.language)
        entries = tuple(
            DigestEntry(
                item.story_id, self._digest(item, request.already_sent.get(item.story_id, ())), item.links
            )
            for item in chosen
        )
        return ComposedDigest(request.key, entries, more)

    def _digest(self, item: CatalogStory, already_sent: tuple[str, ...]) -> StoryDigest:
        if already_sent:
            return digest_story(item.story, already_sent)
        cached = self._fresh.get(item.story_id)
        if cached is None:
            cached = self._fresh[item.story_id] = digest_story(item.story)
        return cached
