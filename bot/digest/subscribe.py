"""What /subscribe asks for: "08:30 Europe/Berlin Лукашенко, переговоры, -спорт" — time and zone first,
topics after. Pure: the handler parses with it and stores what it returns."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo, available_timezones

from bot.digest.compose import MAX_TOPICS, parse_topics
from bot.digest.scheduling import parse_clock

MAX_TOPICS_LENGTH = 500
MAX_SUBSCRIPTIONS = 20  # digests one chat may hold (its forum topics together)
_TIME_LIKE = re.compile(r"^\d{1,2}[:.]\d{1,2}$")
_ZONE_LIKE = re.compile(r"^(?:[A-Za-z][\w+-]*(?:/[\w+-]+)+|UTC|GMT)$", re.IGNORECASE)


@dataclass(frozen=True)
class SubscribeArgs:
    """What /subscribe changes; None keeps the current (or default) value."""

    send_at: str | None = None
    timezone: str | None = None
    topics: str | None = None


class BadArgument(ValueError):
    """An argument /subscribe cannot take: a time of day or a zone that does not exist, too many
    topics (more than MAX_TOPICS or MAX_TOPICS_LENGTH characters), or topics without a word ("words":
    "/subscribe ,,," or "/subscribe -" would have added a digest of everything beside the chat's own)."""

    def __init__(self, kind: Literal["time", "timezone", "topics", "words"], value: str) -> None:
        super().__init__(f"{kind}: {value}")
        self.kind = kind
        self.value = value


@lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def resolve_timezone(value: str) -> str | None:
    """The IANA name for what the user wrote, letter case aside; None for an unknown zone."""
    name = _zones().get(value.strip().lower())
    if name is None:
        return None
    ZoneInfo(name)
    return name


def parse_subscribe(args: str) -> SubscribeArgs:
    """ "08:30 Europe/Berlin Лукашенко, переговоры, -спорт": time and zone first, topics after."""
    rest = args.strip()
    send_at = timezone = None
    while rest:
        token, _, tail = rest.partition(" ")
        if send_at is None and _TIME_LIKE.match(token):
            clock = parse_clock(token.replace(".", ":"))
            if clock is None:
                raise BadArgument("time", token)
            send_at = clock.strftime("%H:%M")
        elif timezone is None and _ZONE_LIKE.match(token):
            timezone = resolve_timezone(token)
            if timezone is None:
                raise BadArgument("timezone", token)
        else:
            break
        rest = tail.strip()
    if rest:
        _, phrases, excluded = parse_topics(rest)
        if not phrases and not excluded:
            raise BadArgument("words", rest)
        if len(phrases) + len(excluded) > MAX_TOPICS or len(rest) > MAX_TOPICS_LENGTH:
            raise BadArgument("topics", rest)
    return SubscribeArgs(send_at, timezone, rest or None)
