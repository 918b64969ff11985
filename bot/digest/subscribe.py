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
# "08:30", "8.30"; "8h", "8ч", "8am", "8:30pm" (and "8 pm"); a bare hour ("8", "0830") only alone or before a
# zone: "/subscribe 8 марта" is a topic
_TIME_LIKE = re.compile(r"^\d{1,2}[:.]\d{1,2}$")
_TIME_MARKED = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?(h|ч|am|pm|a\.m\.|p\.m\.)$", re.IGNORECASE)
_HALF_DAY = re.compile(r"^(am|pm|a\.m\.|p\.m\.)$", re.IGNORECASE)
_HOUR = re.compile(r"^\d{1,2}$|^\d{4}$")  # "8", "0830"
_ZONE_LIKE = re.compile(r"^(?:[A-Za-z][\w+-]*(?:/[\w+-]+)+|UTC|GMT)$", re.IGNORECASE)
# "UTC+3", "GMT-5", "+03:00", "МСК+4" (Moscow time plus four hours, as Russia writes its zones)
_OFFSET = re.compile(r"^(UTC|GMT|MSK|МСК)?([+\-−])(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)
MOSCOW_OFFSET = 3
# Abbreviations people write for a zone, each read as the zone that keeps its summer time (PST and PDT alike
# are Los Angeles); those zoneinfo knows by itself (CET, EET, WET) are taken as they are.
ABBREVIATIONS = {
    "msk": "Europe/Moscow",
    "мск": "Europe/Moscow",
    "kalt": "Europe/Kaliningrad",
    "samt": "Europe/Samara",
    "yekt": "Asia/Yekaterinburg",
    "omst": "Asia/Omsk",
    "novt": "Asia/Novosibirsk",
    "krat": "Asia/Krasnoyarsk",
    "irkt": "Asia/Irkutsk",
    "yakt": "Asia/Yakutsk",
    "vlat": "Asia/Vladivostok",
    "magt": "Asia/Magadan",
    "pett": "Asia/Kamchatka",
    "bst": "Europe/London",
    "cest": "CET",
    "eest": "EET",
    "west": "WET",
    "est": "America/New_York",
    "edt": "America/New_York",
    "cst": "America/Chicago",
    "cdt": "America/Chicago",
    "mst": "America/Denver",
    "mdt": "America/Denver",
    "pst": "America/Los_Angeles",
    "pdt": "America/Los_Angeles",
}


@dataclass(frozen=True)
class SubscribeArgs:
    """What /subscribe changes; None keeps the current (or default) value."""

    send_at: str | None = None
    timezone: str | None = None
    topics: str | None = None


class BadArgument(ValueError):
    """An argument /subscribe cannot take: a time of day or a zone that does not exist, too many
    topics (more than MAX_TOPICS or MAX_TOPICS_LENGTH characters), or topics without a word ("words":
    "/subscribe ,,," or "/subscribe -" would have added a digest of everything beside the chat's own), or a
    word that asks to stop or pause a digest ("control": "/subscribe off" was a digest on the word "off")."""

    def __init__(self, kind: Literal["time", "timezone", "topics", "words", "control"], value: str) -> None:
        super().__init__(f"{kind}: {value}")
        self.kind = kind
        self.value = value


@lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def resolve_timezone(value: str) -> str | None:
    """The IANA name for what the user wrote, letter case aside ("europe/berlin"), an offset from UTC in whole
    hours ("UTC+3", "+03:00": "Etc/GMT-3", whose sign POSIX reverses; "МСК+4" is UTC+7) or a common
    abbreviation ("MSK", "PST"); None for an unknown zone or an offset in part of an hour."""
    value = value.strip()
    # an abbreviation first: zoneinfo's own "EST" and "MST" are fixed offsets without summer time
    name = ABBREVIATIONS.get(value.lower()) or _zones().get(value.lower())
    offset = _OFFSET.match(value)
    if name is None and offset:
        base, sign, hours, minutes = offset.groups()
        total = (1 if sign == "+" else -1) * int(hours) + (
            MOSCOW_OFFSET if base and base.lower() in ("msk", "мск") else 0
        )
        if int(minutes or 0) == 0 and -12 <= total <= 14:
            name = "Etc/UTC" if total == 0 else f"Etc/GMT{-total:+d}"
    if name is None:
        return None
    ZoneInfo(name)
    return name


def zone_label(name: str) -> str:
    """A zone as people read it: "Etc/GMT-3" (POSIX's sign) as "UTC+3"; any other name as it is."""
    if name in ("Etc/UTC", "Etc/GMT", "Etc/GMT+0", "Etc/GMT-0"):
        return "UTC"
    offset = re.fullmatch(r"Etc/GMT([+-]\d{1,2})", name)
    return f"UTC{-int(offset.group(1)):+d}" if offset else name


def _is_zone(token: str) -> bool:
    return bool(_ZONE_LIKE.match(token) or _OFFSET.match(token)) or token.lower() in ABBREVIATIONS


def read_clock(token: str, half_day: str | None = None) -> str:
    """ "08:30", "8.30", "8h", "8pm", "8:30 am" (``half_day`` the next word) as HH:MM; BadArgument if not a
    time of day."""
    marked = _TIME_MARKED.match(token)
    if len(token) == 4 and token.isdigit():
        hours, minutes = token[:2], token[2:]
    elif _TIME_LIKE.match(token) or _HOUR.match(token):
        hours, _, minutes = token.replace(".", ":").partition(":")
    elif marked:
        hours, minutes = marked.group(1), marked.group(2) or "00"
    else:
        raise BadArgument("time", token)
    suffix = (half_day or (marked.group(3) if marked else "")).lower().replace(".", "")
    if suffix in ("am", "pm"):
        if not (hours.isascii() and hours.isdigit() and 1 <= int(hours) <= 12):
            raise BadArgument("time", token)
        hours = str(int(hours) % 12 + (12 if suffix == "pm" else 0))
    clock = parse_clock(f"{hours}:{minutes or '00'}")
    if clock is None:
        raise BadArgument("time", token)
    return clock.strftime("%H:%M")


# Words that ask to stop, pause or resume a digest, written alone as its topics: never a topic.
CONTROL_WORDS = frozenset(
    [
        *("off", "stop", "pause", "resume", "on", "unsubscribe", "cancel"),
        *("выкл", "выключить", "стоп", "пауза", "отписаться", "отмена", "вкл"),
    ]
)


def parse_subscribe(args: str) -> SubscribeArgs:
    """ "08:30 Europe/Berlin Лукашенко, переговоры, -спорт": time and zone first, topics after."""
    rest = args.strip()
    if rest.lower() in CONTROL_WORDS:
        raise BadArgument("control", rest)
    send_at = timezone = None
    while rest:
        token, _, tail = rest.partition(" ")
        tail = tail.strip()
        following = tail.partition(" ")[0]
        if send_at is None and (
            _TIME_LIKE.match(token)
            or _TIME_MARKED.match(token)
            or (_HOUR.match(token) and (not tail or _HALF_DAY.match(following) or _is_zone(following)))
        ):
            half_day = following if _HALF_DAY.match(following) else None
            send_at = read_clock(token, half_day)
            if half_day:
                tail = tail.partition(" ")[2].strip()
        elif timezone is None and _is_zone(token):
            timezone = resolve_timezone(token)
            if timezone is None:
                raise BadArgument("timezone", token)
        else:
            break
        rest = tail
    if rest:
        _, phrases, excluded = parse_topics(rest)
        if not phrases and not excluded:
            raise BadArgument("words", rest)
        if len(phrases) + len(excluded) > MAX_TOPICS or len(rest) > MAX_TOPICS_LENGTH:
            raise BadArgument("topics", rest)
    return SubscribeArgs(send_at, timezone, rest or None)
