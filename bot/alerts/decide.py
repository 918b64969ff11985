"""What an alert says and whether it may go now: pure functions over a story's reports and a setting.

The facts are the digest's own (bot.digest.summary): a report's lead sentence, and, for a follow-up,
a sentence of a later report that restates nothing the chat was already told.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.digest.compose import Topics
from bot.digest.stories import cosine
from bot.digest.summary import RESTATES, rank_sentences, summarize

FRESH = timedelta(hours=24)  # a story first published longer ago is archive, not news
FOLLOW_UP_GAP = timedelta(hours=1)  # at most one follow-up per story per hour
FOLLOW_WINDOW = timedelta(hours=48)  # stories followed up after their alert
DEFAULT_PER_HOUR = 10
MAX_PER_HOUR = 60


@dataclass(frozen=True)
class Quiet:
    start: time
    end: time

    def covers(self, moment: datetime, zone: ZoneInfo) -> bool:
        """Whether a moment falls in the quiet hours (a window may run past midnight: 23:00-08:00)."""
        local = moment.astimezone(zone).time().replace(tzinfo=None)
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


def quiet_of(start: str | None, end: str | None) -> Quiet | None:
    if not start or not end:
        return None
    return Quiet(time.fromisoformat(start), time.fromisoformat(end))


def is_fresh(published: datetime, now: datetime) -> bool:
    return now - published <= FRESH


def matches(topics: Topics, story_stems: frozenset[str]) -> bool:
    return topics.matches(story_stems)


def lead(title: str, text: str) -> tuple[str, ...]:
    """The report's lead: its first sentence a reader can take alone (none for a text without one)."""
    return summarize(rank_sentences([(title, text)]), max_sentences=1)


def new_fact(reports: Sequence[tuple[str, str]], known: int, told: Sequence[str]) -> str | None:
    """A sentence of a report after the first `known` ones that restates nothing in `told`, the best
    by the digest's ranking; None when the later reports bring nothing new."""
    if len(reports) <= known:
        return None
    ranked = rank_sentences(reports)
    told_vectors = [ranked.vector_of(s) for s in told]
    for index, sentence in enumerate(ranked.sentences):
        if ranked.reports and ranked.reports[index] < known:
            continue
        if all(cosine(ranked.vectors[index], v) < RESTATES for v in told_vectors):
            follows = ranked.follows[index] if ranked.follows else None
            if follows is None:  # it stands alone
                return sentence
    return None


@dataclass(frozen=True)
class Decision:
    send: bool
    reason: str | None = None  # when not sent: "quiet" or "limit"


def decide(
    quiet: Quiet | None, zone: ZoneInfo, now: datetime, sent_last_hour: int, per_hour: int
) -> Decision:
    if quiet is not None and quiet.covers(now, zone):
        return Decision(False, "quiet")
    if sent_last_hour >= per_hour:
        return Decision(False, "limit")
    return Decision(True)
