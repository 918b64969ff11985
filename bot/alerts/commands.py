"""What /alert asks for. Pure: the handler parses with it and stores what it returns.

/alert Лукашенко, переговоры, -спорт     topics (the digest's syntax): alerts on
/alert                                   the current setting
/alert off                               alerts off
/alert on                                alerts on again, on the topics set before
/alert quiet 23:00-08:00 [Europe/Berlin] quiet hours (in the chat's zone unless one is given)
/alert quiet off                         no quiet hours
/alert limit 5                           at most 5 alerts an hour (1-60); beyond, the next digest
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.alerts.decide import MAX_PER_HOUR
from bot.digest.compose import MAX_TOPICS, parse_topics
from bot.digest.subscribe import MAX_TOPICS_LENGTH, BadArgument, read_clock, resolve_timezone

_WINDOW = re.compile(r"^(\S+?)\s*[-–—]\s*(\S+)$")
_OFF = frozenset({"off", "выкл", "выключить", "стоп", "stop"})
_ON = frozenset({"on", "вкл", "включить", "start"})  # "/alert on" was an alert on the word "on"


class Problem(StrEnum):
    QUIET = "quiet"  # not a HH:MM-HH:MM window
    ZONE = "zone"  # an unknown time zone
    LIMIT = "limit"  # not a number 1-60
    TOPICS = "topics"  # no words, or too many topics


class BadAlert(ValueError):
    def __init__(self, problem: Problem, value: str) -> None:
        super().__init__(f"{problem.value}: {value}")
        self.problem = problem
        self.value = value


@dataclass(frozen=True)
class Show:
    pass


@dataclass(frozen=True)
class Off:
    pass


@dataclass(frozen=True)
class On:
    pass


@dataclass(frozen=True)
class SetTopics:
    topics: str


@dataclass(frozen=True)
class SetQuiet:
    start: str | None  # HH:MM; None: no quiet hours
    end: str | None
    timezone: str | None = None


@dataclass(frozen=True)
class SetLimit:
    per_hour: int


AlertCommand = Show | Off | On | SetTopics | SetQuiet | SetLimit


def parse_alert(args: str) -> AlertCommand:
    text = " ".join(args.split())
    head, _, rest = text.partition(" ")
    keyword = head.lower()
    if not text:
        return Show()
    if keyword in _OFF and not rest:
        return Off()
    if keyword in _ON and not rest:
        return On()
    if keyword in ("quiet", "тишина"):
        return _quiet(rest)
    if keyword in ("limit", "лимит"):
        if rest.isascii() and rest.isdigit() and 1 <= int(rest) <= MAX_PER_HOUR:
            return SetLimit(int(rest))
        raise BadAlert(Problem.LIMIT, rest)
    _, phrases, excluded = parse_topics(text)
    if not phrases:  # only exclusions, or no words at all: an alert on everything is a firehose
        raise BadAlert(Problem.TOPICS, text)
    if len(phrases) + len(excluded) > MAX_TOPICS or len(text) > MAX_TOPICS_LENGTH:
        raise BadAlert(Problem.TOPICS, text)
    return SetTopics(text)


def _clock_or_none(text: str) -> str | None:
    """A time of day as /subscribe reads one ("23:00", "8.30", "23" in whole hours, "11pm"); None if not."""
    try:
        return read_clock(text)
    except BadArgument:
        return None


def _quiet(rest: str) -> SetQuiet:
    if rest.lower() in _OFF:
        return SetQuiet(None, None)
    rest = re.sub(r"^(\S+?)\s*[-–—]\s*", r"\1-", rest, count=1)  # "23:00 - 08:00" as "23:00-08:00"
    window, _, zone_text = rest.partition(" ")
    match = _WINDOW.match(window)
    start = _clock_or_none(match.group(1)) if match else None
    end = _clock_or_none(match.group(2)) if match else None
    if start is None or end is None or start == end:
        raise BadAlert(Problem.QUIET, rest)
    zone = None
    if zone_text:
        zone = resolve_timezone(zone_text)
        if zone is None:
            raise BadAlert(Problem.ZONE, zone_text)
    return SetQuiet(start, end, zone)
