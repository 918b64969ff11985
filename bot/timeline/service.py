"""/timeline: what happened when — about a person, an organisation, a place or some words, or lately.

Events are merged as articles are analysed (merge_articles: bot/timeline/merge.py decides, storage/events.py
loads and stores), so a timeline is a page of an index.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import aiosqlite

from bot.analysis.entities import fold
from bot.analysis.language import written_in
from bot.analysis.stems import STOPWORDS, query_stems, words
from bot.analysis.timeexpr import find_time_exprs
from bot.timeline.merge import (
    BATCH_ARTICLES,
    ArticleEvents,
    Candidate,
    MergeInput,
    merge,
    probes,
    remains,
    report_stems,
    reports_of,
)
from storage.entities import EntityRepo, EntitySummary
from storage.events import EventRepo, StoredEvent, first_position

RECENT_DAYS = 14
PAGE_SIZE = 10
ENTITY, WORDS, RECENT, PERIOD = "e", "w", "r", "p"  # topic kinds, short: they travel in callback data
# A period's ref: its first day's ordinal times PERIOD_SPAN, plus its length in days.
PERIOD_SPAN = 100_000
# a bare year, alone or beside words ("2019", "Путин 2019", "2019 Путин")
_YEARS = (
    re.compile(r"(?P<year>\d{4})"),
    re.compile(r"(?P<words>.+?)[\s,]+(?P<year>\d{4})"),
    re.compile(r"(?P<year>\d{4})[\s,]+(?P<words>.+)"),
)
FIRST_YEAR, LAST_YEAR = 1900, 2100  # a bare number read as a year


def period_ref(first: dt.date, last: dt.date) -> int:
    return first.toordinal() * PERIOD_SPAN + (last - first).days


def period_of(ref: int) -> tuple[dt.date, dt.date] | None:
    """The first and last day a period's ref names; None for a ref no calendar has."""
    first, days = divmod(ref, PERIOD_SPAN)
    if first < 1 or first + days >= dt.date.max.toordinal():  # the day after the last must exist too
        return None
    return dt.date.fromordinal(first), dt.date.fromordinal(first + days)


def _dated(query: str, today: dt.date) -> tuple[str, dt.date, dt.date] | None:
    """The one date or period a query names at its start or its end (read by the analysis's own resolver,
    relative to ``today``; a bare year too), with the words beside it ("" when none)."""
    query = query.strip()
    found = find_time_exprs(query, today, "ru" if written_in(query, "ru") else "en")
    if len(found) == 1:
        (expr,) = found
        before, after = query[: expr.start].strip(" ,"), query[expr.stop :].strip(" ,")
        return None if before and after else (before or after, expr.begin, expr.end)
    year = next((m for p in _YEARS if (m := p.fullmatch(query))), None)  # a bare year the resolver leaves
    if found or year is None or not FIRST_YEAR <= int(year.group("year")) <= LAST_YEAR:
        return None
    number = int(year.group("year"))
    return (year.groupdict().get("words") or "").strip(" ,"), dt.date(number, 1, 1), dt.date(number, 12, 31)


def _names_something(text: str) -> bool:
    return any(w not in STOPWORDS for w in words(text))


def read_period(query: str, today: dt.date) -> tuple[dt.date, dt.date] | None:
    """The days a query names when it is a date and nothing else: "1 ноября 2019", "2019-11-01", "вчера",
    "октябрь 2019", "last week", "2019"."""
    dated = _dated(query, today)
    return None if dated is None or _names_something(dated[0]) else (dated[1], dated[2])


def split_period(query: str, today: dt.date) -> tuple[str, dt.date] | None:
    """A name or words with a date or a period at the start or the end ("Путин 2019", "переговоры в октябре
    2019", "October 2019 Trump"): the words, and the first day the period names."""
    dated = _dated(query, today)
    return (dated[0], dated[1]) if dated is not None and _names_something(dated[0]) else None


def period_granularity(first: dt.date, last: dt.date) -> str:
    """How a period reads: a day, a month, a year, or days from one to another."""
    if first == last:
        return "day"
    if first.day == 1 and (last + dt.timedelta(days=1)).day == 1 and first.month == last.month:
        return "month"
    if (first.month, first.day, last.month, last.day) == (1, 1, 12, 31):
        return "year"
    return "span"


async def merge_articles(
    events: EventRepo, conn: aiosqlite.Connection, articles: Sequence[ArticleEvents]
) -> None:
    """Merge many articles' events into the stored ones, BATCH_ARTICLES at a time, in the caller's
    transaction: each joins the event it reports, or is new. Articles whose events are stored are left."""
    for start in range(0, len(articles), BATCH_ARTICLES):
        batch = articles[start : start + BATCH_ARTICLES]
        stored = await events.stored_articles(conn, [a.article_id for a in batch])
        reports = reports_of(batch, stored)
        if not reports:
            continue
        counts = await events.term_counts(conn, report_stems(reports))
        candidates = await events.candidates(conn, probes(reports, counts))
        rows = await events.load(conn, {c for ids in candidates for c in ids})
        last_id = await events.last_id(conn)
        loaded = {i: Candidate.of(row) for i, row in rows.items()}
        changes = merge(MergeInput(reports, tuple(map(tuple, candidates)), loaded, counts, last_id))
        await events.write(conn, [c.row(rows.get(c.id)) for c in changes])


@dataclass(frozen=True)
class Topic:
    kind: str  # ENTITY, WORDS, RECENT or PERIOD
    ref: int  # the entity id, the word topic's id, the last day's ordinal, or the period (period_ref)
    name: str = ""  # the entity's name or the user's words
    other_name: str | None = None  # the entity's name in the other script, if it has one


@dataclass(frozen=True)
class TimelinePage:
    topic: Topic
    events: list[StoredEvent]
    more_before: bool
    more_after: bool
    backward: bool = False  # reached with ◀: trimming drops the earliest events, not the latest

    def trimmed(self, keep: int) -> TimelinePage:
        """The page with only `keep` events, the others left for the neighbouring page."""
        if keep >= len(self.events):
            return self
        if self.backward:
            return replace(self, events=self.events[len(self.events) - keep :], more_before=True)
        return replace(self, events=self.events[:keep], more_after=True)


@dataclass(frozen=True)
class TimelineAnswer:
    page: TimelinePage | None = None
    suggestions: list[EntitySummary] = field(default_factory=list)  # nothing found: names to try


class TimelineService:
    def __init__(self, events: EventRepo, entities: EntityRepo, timezone: ZoneInfo) -> None:
        self._events = events
        self._entities = entities
        self._timezone = timezone

    async def merge(self, conn: aiosqlite.Connection, articles: Sequence[ArticleEvents]) -> None:
        """Merge a batch of analysed articles' events into the timeline, in the transaction that stores
        their analyses (bot/pipeline.py)."""
        await merge_articles(self._events, conn, articles)

    async def clear(self, conn: aiosqlite.Connection) -> None:
        """Forget every event, in the transaction of a reindex that forgets every analysis."""
        await self._events.clear_in(conn)

    async def take_back(self, conn: aiosqlite.Connection, article_ids: Sequence[int]) -> None:
        """Forget these articles' reports, in the transaction that forgets their analyses (an edited post):
        each event they reported is recomputed from the reports that remain, or goes with the last one."""
        reported = await self._events.reported_by(conn, article_ids)
        await self._events.take_back(conn, article_ids, [remains(event) for event in reported])

    async def find(self, query: str, now: datetime | None = None) -> TimelineAnswer:
        """The events of a date or a period when the query is one ("1 ноября 2019", "вчера"); else a person,
        organisation or place by any form of its name; else events with all the words."""
        today = (now or datetime.now(UTC)).astimezone(self._timezone).date()
        period = read_period(query, today)
        if period is not None:
            return TimelineAnswer(await self.page(Topic(PERIOD, period_ref(*period), query)))
        found = await self._entities.find(query, roles=True)
        exact = [e for e in found if fold(e.name) == fold(query)]
        for entity in exact + [e for e in found if e not in exact]:
            page = await self.page(Topic(ENTITY, entity.id, entity.name, entity.other_name))
            if page.events:
                return TimelineAnswer(page)
        dated = split_period(query, today)
        if dated is not None:  # "Путин 2019": Putin's timeline from 2019 on, ◀ for what came before
            name, first = dated
            topics = [
                Topic(ENTITY, e.id, e.name, e.other_name) for e in await self._entities.find(name, roles=True)
            ]
            if await self._events.matching(query_stems(name), limit=1):
                topics.append(Topic(WORDS, await self._events.topic_id(name), name))
            for topic in topics:
                page = await self.from_day(topic, first)
                if page.events:
                    return TimelineAnswer(page)
        if await self._events.matching(query_stems(query), limit=1):
            topic = Topic(WORDS, await self._events.topic_id(query), query)
            return TimelineAnswer(await self.page(topic))
        suggestions = await self._entities.similar(query)
        if not suggestions:
            suggestions = [e for e, *_ in await self._entities.most_mentioned(None, limit=5)]
        return TimelineAnswer(suggestions=suggestions)

    async def from_day(self, topic: Topic, first: dt.date) -> TimelinePage:
        """A topic's page that opens at a day: the first events dated then or later, and whether any came
        before."""
        page = await self.page(topic, after=first_position(first) - 1)
        earlier = await self.page(topic, before=first_position(first))
        return replace(page, more_before=bool(earlier.events))

    async def recent(self, now: datetime | None = None) -> TimelinePage:
        today = (now or datetime.now(UTC)).astimezone(self._timezone).date()
        return await self.page(Topic(RECENT, today.toordinal()))

    async def topic(self, kind: str, ref: int) -> Topic | None:
        """The topic a page button names, or None when it is gone (a reindex forgot the entity)."""
        if kind == ENTITY:
            entity = await self._entities.get(ref)
            return Topic(ENTITY, ref, entity.name, entity.other_name) if entity else None
        if kind == WORDS:
            query = await self._events.topic_query(ref)
            return Topic(WORDS, ref, query) if query else None
        if kind == PERIOD:
            return Topic(PERIOD, ref) if period_of(ref) else None
        return Topic(RECENT, ref) if kind == RECENT else None

    async def page(
        self, topic: Topic, *, after: int | None = None, before: int | None = None
    ) -> TimelinePage:
        """PAGE_SIZE events of a topic in timeline order: the first ones, after a position or before one."""
        keyset = {"after": after, "before": before, "limit": PAGE_SIZE + 1}
        if topic.kind == ENTITY:
            events = await self._events.involving(topic.ref, **keyset)
        elif topic.kind == WORDS:
            events = await self._events.matching(query_stems(topic.name), **keyset)
        elif topic.kind == PERIOD:
            first, last = period_of(topic.ref) or (dt.date.min, dt.date.min)
            events = await self._events.between(first, last, **keyset)
        else:
            last = dt.date.fromordinal(topic.ref)
            events = await self._events.between(last - dt.timedelta(days=RECENT_DAYS - 1), last, **keyset)
        more = len(events) > PAGE_SIZE
        if before is not None:
            return TimelinePage(topic, events[-PAGE_SIZE:], more_before=more, more_after=True, backward=True)
        return TimelinePage(topic, events[:PAGE_SIZE], more_before=after is not None, more_after=more)
