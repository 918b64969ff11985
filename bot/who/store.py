"""The who domain's side of EntityRepo: analyses stored with their entities resolved, /who's queries.

EntityRepo (storage/entities.py) knows no names: it loads candidates and writes rows. ``EntityStore`` is
the repository the bot uses: in storage's transaction it converts the analyses into identity's input,
lets ``resolve`` (bot/who/identity.py) decide which stored entity each one is, and has the changeset
written; it turns /who's words into the terms storage matches.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence

import aiosqlite

from bot.analysis import english_words
from bot.analysis.entities import ALIAS_INDEX, ARABIC_ARTICLES, PER, fold
from bot.analysis.language import in_language, written_in
from bot.analysis.roles import ROLE_NOUNS
from bot.analysis.stems import STOPWORDS, stem, words
from bot.analysis.understanding import ANALYSIS_VERSION, Understanding
from bot.who.identity import (
    Create,
    IdentityInput,
    Known,
    Merge,
    Named,
    OtherScriptName,
    Rename,
    Resolution,
    known_by_a_given_name,
    names_across_scripts,
    resolve,
    surname_keys,
    surname_variant_key,
)
from storage.articles import Article
from storage.entities import (
    ArticleEntities,
    EntityMerge,
    EntityOtherName,
    EntityRename,
    EntityRepo,
    EntitySummary,
    MentionWrite,
    NewEntity,
    QuoteWrite,
    RoleWrite,
)

# Writes derived from a batch of stored analyses (its maps, None for a no-op), in their transaction.
StoredHook = Callable[[aiosqlite.Connection, list[dict[str, int] | None]], Awaitable[None]]


# People filed under one surname key read to find the one a name in the other script stands for.
ACROSS_SCRIPTS_POOL = 50
# Words a query may put before a name that are no part of it: honorifics and titles ("Mr. Trump",
# "President Trump", "президента Путина", "г-н Песков"), Russian ones by their stem.
_ENGLISH_TITLES = english_words.TITLE_WORDS | english_words.HONORIFICS | {"the", "mister", "madam", "miss"}
_RUSSIAN_TITLE_STEMS = frozenset(stem(n) for n in ROLE_NOUNS) | {"господин", "госпож", "г-н", "г-ж"}


# A Russian patronymic in any case ("Сергеевича", "Владимировна"): names are stored without one.
_PATRONYMIC = re.compile(r"^[а-яё]{3,}(?:ович|евич|ьич|ич|овн|евн|ичн|иничн)(?:а|у|ем|ом|е|ой|ы)?$")


def _initials_agree(initials: list[str], name: str) -> bool:
    """Whether a query's initials ("д", "с" of "Д.С.") agree with a name's given name; the first initial is
    the given name's, in the same script (a name in the other script is not told by its letters)."""
    given = words(name)[:-1]
    if not initials or not given or written_in(initials[0], "ru") != written_in(given[0], "ru"):
        return True
    return given[0].startswith(initials[0])


def _a_title(word: str) -> bool:
    return word.rstrip(".") in _ENGLISH_TITLES or stem(word) in _RUSSIAN_TITLE_STEMS


def _without_titles(query_words: list[str]) -> list[str]:
    """The query's words from the first that is no honorific or title on; all of them when every one is."""
    for i, word in enumerate(query_words):
        if not _a_title(word):
            return query_words[i:]
    return query_words


def name_terms(*names: str) -> set[str]:
    """Every word an entity was named with, and its stem: with the name's forms from the analysis, what
    /who matches a query's words against. A hyphenated word stands for its parts too ("al-Baghdadi" is
    found as "Baghdadi", "Rees-Mogg" as "Mogg"); ``words`` reads a Latin word without its accents ("Erdoğan"
    as "erdogan"), a query's words too."""
    return {
        form for name in names for w in words(name) for part in _word_forms(w) for form in (part, stem(part))
    }


def _word_forms(word: str) -> set[str]:
    """A word as written (``words`` reads Latin ones without accents), and its parts if hyphenated (an Arabic
    article aside)."""
    if "-" not in word:
        return {word}
    return {word} | {part for part in word.split("-") if len(part) >= 3 and part not in ARABIC_ARTICLES}


def identity_input(
    analysed: Sequence[Understanding], people: Sequence[Known], ids: dict[str, int]
) -> IdentityInput:
    return IdentityInput(
        articles=tuple(
            tuple(
                Named(e.key, e.kind, e.name, len(e.mentions), e.given_name)
                for e in (u.analysis.entities if u.analysis is not None else ())
            )
            for u in analysed
        ),
        people=tuple(people),
        ids=ids,
    )


def _identity_step(
    step: Create | Merge | OtherScriptName | Rename,
) -> NewEntity | EntityMerge | EntityOtherName | EntityRename:
    if isinstance(step, Create):
        return NewEntity(step.ref, step.key, step.kind, step.name, step.surname)
    if isinstance(step, OtherScriptName):
        return EntityOtherName(step.identity, step.name)
    if isinstance(step, Rename):
        return EntityRename(step.identity, step.name)
    return EntityMerge(step.source, step.target)


def changes(analysed: Sequence[tuple[Article, Understanding]], decided: Resolution) -> list[ArticleEntities]:
    """The rows a resolution writes: per article, its identity steps, then its mentions, terms, roles and
    quotes filed under the identities it decided (a ref for an identity the batch creates)."""
    written = []
    for (article, understanding), resolved in zip(analysed, decided.articles, strict=True):
        analysis = understanding.analysis
        ids = resolved.ids
        entities = analysis.entities if analysis is not None else ()
        forms = dict(understanding.name_forms)
        counts: dict[int, int] = {}
        for entity in entities:
            counts[ids[entity.key]] = counts.get(ids[entity.key], 0) + len(entity.mentions)
        written.append(
            ArticleEntities(
                article_id=article.id,
                published_at=article.published_at,
                identities=tuple(_identity_step(s) for s in resolved.steps),
                entities=tuple(counts.items()),
                mentions=tuple(
                    MentionWrite(ids[e.key], m.sentence, m.start, m.stop, m.text)
                    for e in entities
                    for m in e.mentions
                ),
                terms=tuple(
                    (term, ids[e.key])
                    for e in entities
                    for term in name_terms(e.name, *(m.text for m in e.mentions)) | forms.get(e.key, set())
                ),
                roles=tuple(
                    RoleWrite(ids[r.entity_key], r.title, r.sentence)
                    for r in (dict.fromkeys(analysis.roles) if analysis is not None else ())
                    if r.entity_key in ids
                ),
                quotes=tuple(
                    QuoteWrite(ids[q.entity_key], q.kind, q.text)
                    for q in (analysis.quotes if analysis is not None else ())
                    if q.entity_key in ids
                ),
            )
        )
    return written


class EntityStore(EntityRepo):
    """EntityRepo with the who domain's side: what the Analyzer stores and what /who looks up."""

    async def save(self, article: Article, understanding: Understanding) -> dict[str, int] | None:
        """Store one article's analysis; the map of its analysis keys to entity ids (for events), or None
        when the article already has a current analysis (storing it again is a no-op)."""
        return (await self.save_many([(article, understanding)]))[0]

    async def save_many(
        self, analysed: Sequence[tuple[Article, Understanding]], *, then: StoredHook | None = None
    ) -> list[dict[str, int] | None]:
        """Store the analyses of several articles in one transaction, in order; for each, the map of its
        analysis keys to entity ids, or None for an article already analysed by this version (a no-op,
        checked inside the transaction). An entity merged into another by a later article of the batch
        is mapped to the one it became.

        `then` writes what derives from the analyses (timeline events) in the same transaction, so a
        crash stores an article's analysis, entities and events together or not at all."""
        async with self.transaction() as conn:
            await self.lock_writers(conn)
            fresh = await self.claim(conn, [(a.id, a.content_hash) for a, _ in analysed], ANALYSIS_VERSION)
            batch = [pair for pair, new in zip(analysed, fresh, strict=True) if new]
            entities = [e for _, u in batch if u.analysis is not None for e in u.analysis.entities]
            surnames = {s for e in entities for s in surname_keys(e.kind, e.name, e.given_name)}
            people = [
                Known(p.id, p.key, p.kind, p.name, p.mentions, p.surname_stem, p.other_name)
                for p in await self.people(conn, surnames)
            ]
            stored_ids = await self.ids_of(conn, {e.key for e in entities})
            decided = resolve(identity_input([u for _, u in batch], people, stored_ids))
            refs = await self.write(conn, changes(batch, decided))
            maps = iter(
                {key: refs.get(i, i) for key, i in ((k, decided.final(v)) for k, v in resolved.ids.items())}
                for resolved in decided.articles
            )
            result = [next(maps) if new else None for new in fresh]
            await self.forget_failures(conn, [a.id for a, _ in batch])
            if then is not None:
                await then(conn, result)
        return result

    async def people_in(
        self, article_ids: list[int], per_article: int = 5
    ) -> tuple[dict[int, tuple[str, ...]], dict[str, float]]:
        """The people each article mentions most (display names, in the article's language when a person has
        a name in each: "Donald Trump" in an English story, "Дональд Трамп" in a Russian one), and how well
        known each is overall (all-time mentions): a digest's key people and its ranking's prominence."""
        people: dict[int, list[str]] = {}
        fame: dict[str, float] = {}
        for person in await self.people_of(article_ids):
            if known_by_a_given_name(person.surname_stem):
                continue  # "дочь Галину": a first name alone tells a reader nobody
            name = in_language(person.lang, person.name, person.other_name)
            names = people.setdefault(person.article_id, [])
            if len(names) < per_article:
                names.append(name)
            fame[name] = float(person.mentions)
        return {a: tuple(n) for a, n in people.items()}, fame

    async def has_stale_analyses(self, version: int = ANALYSIS_VERSION) -> bool:
        return await super().has_stale_analyses(version)

    async def unanalysed(self, limit: int, version: int = ANALYSIS_VERSION) -> list[int]:
        return await super().unanalysed(limit, version)

    async def find(self, query: str, limit: int = 6, roles: bool = False) -> list[EntitySummary]:
        """Entities whose names contain every word of the query in any form, best known first, a name
        equal to the query first. A name the alias table knows is looked up as its display name ("EU",
        "ЕС" → Евросоюз). When the whole query names nobody, it is read again, each reading only if the
        one before found nobody: past a leading title or honorific ("Mr. Trump", "президента Путина"); with
        initials and a patronymic standing for the given name ("Д. Песков", "Дмитрия Сергеевича Пескова");
        in the other script ("Peskov": «Дмитрий Песков»). With ``roles`` (/who, /timeline), a query that opens
        with a title is first read as a role: "президент США" is whoever the archive calls so, most often."""
        alias = ALIAS_INDEX.get(fold(query))
        if alias is not None:
            query = alias[1]
        query_words = list(dict.fromkeys(words(query)))[:6]
        found = await self.matching([(w, stem(w)) for w in query_words], limit)
        named = _without_titles(query_words)  # "Mr. Trump", "президента Путина": the name
        if not found and roles and any(_a_title(w) for w in query_words):
            found = await self._holding(query_words, limit)
        if not found and named != query_words:
            found = await self.matching([(w, stem(w)) for w in named], limit)
        core = [w for w in named if len(w) > 1 and not _PATRONYMIC.search(w)]
        if not found and core and core != named:  # "Д. Песков", "Песков Д.С.", "Дмитрия Сергеевича Пескова"
            found = [
                e
                for e in await self.matching([(w, stem(w)) for w in core], limit * 4)
                if _initials_agree([w for w in named if len(w) == 1], e.name)
            ][:limit]
        if not found and named:
            found = await self._across_scripts(" ".join(named), limit)
        exact = [e for e in found if fold(e.name) == fold(query)]
        return exact + [e for e in found if e not in exact]

    async def _holding(self, query_words: list[str], limit: int) -> list[EntitySummary]:
        """The people whose role's title has every word of the query ("пресс-секретарь Кремля", "US
        president"), the most often so titled first."""
        wanted = {stem(w) for w in query_words if w not in STOPWORDS}
        if not wanted:
            return []
        longest = max(wanted, key=len)
        # the stem without its first letter: LIKE reads letter case one way on each engine ("Президент")
        rows = await self.title_holders(f"%{longest[1:] if len(longest) > 3 else longest}%")
        held: Counter[int] = Counter()
        for entity_id, title, articles in rows:
            if wanted <= {stem(w) for w in words(title)}:
                held[entity_id] += articles
        people = [await self.get(entity_id) for entity_id, _ in held.most_common(limit)]
        return [p for p in people if p is not None and p.kind == PER]

    async def _across_scripts(self, query: str, limit: int) -> list[EntitySummary]:
        """People the archive knows in one script only, asked for in the other: "/who Peskov" is Дмитрий
        Песков, "/who Пауэлл" Jerome Powell (``names_across_scripts``; a person seen in both scripts is found
        by their other name already)."""
        key = surname_variant_key(query.split()[-1])
        candidates = await self.filed_under([key], ACROSS_SCRIPTS_POOL)
        return [e for e in candidates if names_across_scripts(query, e.name)][:limit]

    async def similar(self, query: str, limit: int = 5) -> list[EntitySummary]:
        """Known names closest in spelling to a query nothing matched: the first letters, then edit ratio."""
        heads = {stem(w)[:3] for w in words(query) if len(w) >= 3}
        if not heads:
            return []
        wanted = fold(query)

        def closeness(e: EntitySummary) -> float:
            name = fold(e.name)
            return max(difflib.SequenceMatcher(None, wanted, part).ratio() for part in [name, *name.split()])

        ranked = sorted(await self.named_from(heads), key=lambda e: (-closeness(e), -e.mentions))
        return [e for e in ranked if closeness(e) >= 0.5][:limit]
