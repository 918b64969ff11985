"""Event merging for /timeline, as pure functions: which stored event each new report joins.

A batch of analysed articles is merged in three steps around storage (bot/timeline/service.py runs them):
`reports_of` turns the articles into reports and `probes` says where each looks for its event; storage
loads the candidates; `merge` decides, and returns the changeset storage writes. A report joins the first
event it reports (bot.analysis.events.same_event) among its stored candidates, then the events this batch
created or changed that share one of its rarest stems; else it starts its own. An event keeps its
best-dated report's date and clause, and every article that reported it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from bot.analysis.events import Event, content_stems, dating_precision, granularity_rank, same_event
from bot.analysis.stems import STOPWORDS, stem, words
from storage.events import (
    ClusterRow,
    ClusterWrite,
    EventRewrite,
    NewReport,
    Probe,
    ReportedEvent,
    ReportRow,
    timeline_position,
)

PROBED_STEMS = 4  # a report looks for its event by its rarest content stems
BATCH_ARTICLES = 100  # articles merged at a time: candidates loaded once, every change written once


@dataclass(frozen=True)
class ArticleEvents:
    """One analysed article's events, participants as analysis keys; `ids_by_key` maps them to entities."""

    article_id: int
    title: str
    events: tuple[Event, ...]
    ids_by_key: dict[str, int]


@dataclass(frozen=True)
class Report:
    """One event as an article reports it, participants as entity ids (strings, as same_event compares)."""

    article_id: int
    context: str  # index terms of the article's headline
    event: Event


@dataclass(frozen=True)
class Candidate:
    """A stored event a report may join."""

    id: int
    position: int
    best: Event  # the representative: its best-dated report
    members: tuple[Event, ...]  # its newest other reports
    participants: frozenset[int]
    terms: str  # as stored
    context: str  # as stored

    @staticmethod
    def of(row: ClusterRow) -> Candidate:
        participants = tuple(str(p) for p in sorted(row.participants))
        return Candidate(
            row.id,
            row.position,
            _event(row.best, participants),
            tuple(_event(m) for m in row.members),
            row.participants,
            row.terms,
            row.context,
        )


@dataclass(frozen=True)
class MergeInput:
    reports: tuple[Report, ...]  # in merge order (reports_of)
    candidates: tuple[tuple[int, ...], ...]  # per report, stored event ids, most likely first
    stored: Mapping[int, Candidate]  # every candidate by id
    term_counts: Mapping[str, int]  # stored events per content stem (absent: none)
    last_id: int  # new events are numbered after it


@dataclass(frozen=True)
class EventChange:
    """An event the batch created (stored is None) or changed."""

    id: int
    stored: Candidate | None
    best: Event
    members: tuple[Event, ...]  # every report compared with, besides best: stored ones, then new ones
    reports: tuple[Report, ...]  # the new reports, in merge order
    participants: tuple[int, ...]  # every entity id, sorted
    new_participants: tuple[int, ...]  # not stored for this event yet, sorted
    new_terms: tuple[str, ...]  # content stems not indexed for this event yet, sorted
    terms: str  # full-text: stems of every clause
    context: str  # full-text: stems of every reporting headline

    @property
    def position(self) -> int:
        return position(self.best, self.id)

    def row(self, stored: ClusterRow | None) -> ClusterWrite:
        """As storage writes it; `stored` is the row the candidate was loaded from."""
        return ClusterWrite(
            self.id,
            stored,
            self.position,
            _row(self.best),
            self.participants,
            self.terms,
            self.context,
            len({r.article_id for r in self.reports}),  # a batch only holds articles not stored yet
            tuple(NewReport(r.article_id, _row(r.event)) for r in self.reports),
            self.new_terms,
            self.new_participants,
        )


def index_terms(text: str) -> str:
    """Distinct stems of a text, function words dropped, as the full-text index stores them."""
    return " ".join(dict.fromkeys(stem(w) for w in words(text) if w not in STOPWORDS))


def position(event: Event, event_id: int) -> int:
    """An event's place in timeline order (bot.analysis.events.sort_key), unique by its id."""
    return timeline_position(event.begin, event.end, granularity_rank(event.granularity), event_id)


def reports_of(articles: Sequence[ArticleEvents], stored: Collection[int] = ()) -> tuple[Report, ...]:
    """The reports of articles whose events are not `stored` yet: participants as entity ids, each
    article's finest-dated first (an event's first report carries the date)."""
    reports: list[Report] = []
    for item in articles:
        if item.article_id in stored:
            continue
        context = index_terms(item.title)
        mine = [
            Event(
                e.begin,
                e.end,
                e.granularity,
                e.text,
                tuple(str(item.ids_by_key[k]) for k in e.participants if k in item.ids_by_key),
                e.sentence_start,
                e.headline,
            )
            for e in item.events
        ]
        reports += [
            Report(item.article_id, context, e) for e in sorted(mine, key=dating_precision, reverse=True)
        ]
    return tuple(reports)


def report_stems(reports: Sequence[Report]) -> set[str]:
    """The content stems whose stored counts `probes` and `merge` need."""
    return {t for r in reports for t in content_stems(r.event.text)}


def probes(reports: Sequence[Report], term_counts: Mapping[str, int]) -> tuple[Probe, ...]:
    """Per report, where storage looks for its candidates: only its rarest known stems (a retelling shares
    several; common ones would bring thousands of rows)."""
    found = []
    for r in reports:
        known = sorted((term_counts[t], t) for t in content_stems(r.event.text) if t in term_counts)
        found.append(Probe(r.event.begin, r.event.end, tuple(t for _, t in known[:PROBED_STEMS])))
    return tuple(found)


@dataclass(eq=False)
class _Working:
    """An event while a batch of reports is merged into it."""

    id: int
    stored: Candidate | None
    best: Event
    members: list[Event]
    participants: frozenset[int]
    stems: set[str]  # content stems known to be indexed for it
    reports: list[Report] = field(default_factory=list)
    contexts: list[str] = field(default_factory=list)
    new_participants: set[int] = field(default_factory=set)
    new_stems: set[str] = field(default_factory=set)

    def take(self, report: Report) -> None:
        """Add a report; a better-dated one becomes the representative (a finer date wins)."""
        event = report.event
        if self.reports or self.stored is not None:
            if dating_precision(event) > dating_precision(self.best):
                self.members.append(self.best)
                self.best = event
            else:
                self.members.append(event)
        self.reports.append(report)
        if report.context not in self.contexts:
            self.contexts.append(report.context)
        self.new_participants |= {int(p) for p in event.participants} - self.participants
        self.new_stems |= content_stems(event.text) - self.stems

    def change(self) -> EventChange:
        stored_terms = self.stored.terms if self.stored else ""
        stored_context = self.stored.context if self.stored else ""
        return EventChange(
            self.id,
            self.stored,
            self.best,
            tuple(self.members),
            tuple(self.reports),
            tuple(sorted(self.participants | self.new_participants)),
            tuple(sorted(self.new_participants)),
            tuple(sorted(self.new_stems)),
            _merged_words(stored_terms, *(index_terms(r.event.text) for r in self.reports)),
            _merged_words(stored_context, *self.contexts),
        )


def merge(batch: MergeInput) -> tuple[EventChange, ...]:
    """Merge a batch of reports into the stored events and each other: the events it creates or changes,
    in the order it first touched them."""
    working: dict[int, _Working] = {}

    def stored(i: int) -> _Working:
        if i not in working:
            c = batch.stored[i]
            working[i] = _Working(i, c, c.best, list(c.members), c.participants, set(c.terms.split()))
        return working[i]

    touched: dict[int, _Working] = {}
    fresh: dict[str, dict[int, _Working]] = {}  # events this batch wrote to, by content stem
    last_id = batch.last_id
    counts = batch.term_counts
    for report, ids in zip(batch.reports, batch.candidates, strict=True):
        event = report.event
        stems = content_stems(event.text)
        # Ties by the stem itself: set order changes with Python's hash seed, and so did the grouping.
        rarest = sorted(stems, key=lambda t: (counts.get(t, 0) + len(fresh.get(t, ())), t))[:PROBED_STEMS]
        near = {i: c for t in rarest for i, c in fresh.get(t, {}).items() if _overlap(event, c.best)}
        choices = [stored(i) for i in ids] + [c for i, c in near.items() if i not in ids]
        cluster = next((c for c in choices if same_event(event, c.best, c.members)), None)
        if cluster is None:
            last_id += 1
            cluster = _Working(last_id, None, event, [], frozenset(), set())
        cluster.take(report)
        touched[cluster.id] = cluster
        for t in stems:
            fresh.setdefault(t, {})[cluster.id] = cluster
    return tuple(c.change() for c in touched.values())


def remains(event: ReportedEvent) -> EventRewrite:
    """A stored event once some articles' reports are taken back (an edited post), as merging the
    remaining reports made it: the first of the best-dated represents it, their clauses and headlines are
    its words, its participants those of their articles (participants are not kept per report); without
    a report it goes."""
    stems = {t for r in event.remaining for t in content_stems(r.report.text)}
    best: Event | None = None
    for r in event.remaining:
        candidate = _event(r.report)
        if best is None or dating_precision(candidate) > dating_precision(best):
            best = candidate
    if best is None:
        return EventRewrite(
            event,
            None,
            event.position,
            (),
            "",
            "",
            0,
            tuple(sorted(event.linked)),
            tuple(sorted(event.indexed)),
        )
    return EventRewrite(
        event,
        _row(best),
        position(best, event.id),
        tuple(sorted(event.participants & event.named)),
        _merged_words(*(index_terms(r.report.text) for r in event.remaining)),
        _merged_words(*(index_terms(r.title) for r in event.remaining)),
        len({r.article_id for r in event.remaining}),
        tuple(sorted(event.linked - event.named)),
        tuple(sorted(event.indexed - stems)),
    )


def _event(row: ReportRow, participants: tuple[str, ...] = ()) -> Event:
    return Event(row.begin, row.end, row.granularity, row.text, participants, 0, headline=row.headline)


def _row(event: Event) -> ReportRow:
    return ReportRow(event.begin, event.end, event.granularity, event.text, event.headline)


def _merged_words(*texts: str) -> str:
    return " ".join(dict.fromkeys(w for text in texts for w in text.split()))


def _overlap(a: Event, b: Event) -> bool:
    return a.begin <= b.end and b.begin <= a.end
