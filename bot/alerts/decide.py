"""What an alert says and whether it may go now: pure functions over a story's reports and a setting.

An alert tells a report's lead sentence, chosen by the digest's own ranking (bot.digest.summary); a
follow-up tells the sentence of a later report with the most words the story had not used before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.digest.compose import Topics
from bot.digest.stories import content_stems
from bot.digest.summary import rank_sentences, summarize

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


# A new fact names something the story has not: at least this many content words no earlier report or
# alert used («во вторник», «поставки зерна»). A design choice, not fitted: a retelling reuses the words.
MIN_NEW_TERMS = 2


def new_fact(reports: Sequence[tuple[str, str]], known: int, told: Sequence[str]) -> str | None:
    """The sentence of a report after the first `known` ones that brings the most words neither the chat
    was told nor the earlier reports used (at least MIN_NEW_TERMS), the digest's ranking breaking ties;
    None when the later reports bring nothing new (a retelling of the same facts is not news)."""
    if len(reports) <= known:
        return None
    seen = {
        t
        for text in (*told, *(f"{title}\n{body}" for title, body in reports[:known]))
        for t in content_stems(text)
    }
    later = rank_sentences(reports[known:])
    follows = later.follows or (None,) * len(later.sentences)
    best: tuple[int, str] | None = None
    for index, sentence in enumerate(later.sentences):
        fresh = set(content_stems(sentence)) - seen
        if follows[index] is None and len(fresh) >= MIN_NEW_TERMS and (best is None or len(fresh) > best[0]):
            best = (len(fresh), sentence)
    return best[1] if best else None


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
