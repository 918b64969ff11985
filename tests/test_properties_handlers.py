"""Property-based tests of what users can type or forge: /subscribe arguments, numbers, button data.

Whatever the input, the parser answers with a well-formed result or its own refusal, never another
exception; the failures hypothesis found are kept below as plain regression tests.
"""

from __future__ import annotations

import datetime as dt
import re
import typing
from zoneinfo import available_timezones

import pytest
from aiogram.filters.callback_data import CallbackData
from hypothesis import example, given
from hypothesis import strategies as st

from bot.digest.compose import parse_topics
from bot.digest.subscribe import MAX_TOPICS_LENGTH, BadArgument, SubscribeArgs, parse_subscribe
from bot.telegram.numbers import SQLITE_MAX_INTEGER, fits_sqlite, parse_number
from bot.timeline.service import ENTITY, PERIOD, RECENT, RECENT_DAYS, WORDS, period_of, period_ref
from handlers.subscriptions import TIMES, ZONES, SettingsAction
from handlers.timeline import TimelineTurn
from handlers.who import WhoPick

FACTORIES: tuple[type[CallbackData], ...] = (WhoPick, TimelineTurn, SettingsAction)
ZONE_NAMES = frozenset(available_timezones())

# Pieces users (and forgers) put together: digits of every kind, signs, huge numbers, zone-like words.
KNOWN_PIECES = (
    "08:30", "8.30", "25:99", "²³:00", "٠٨:٣٠", "0800", "²³00", "UTC", "utc", "GMT", "Europe/Berlin",
    "europe/BERLIN", "Mars/Olympus", "Etc/GMT+3", "-спорт", "—", ",", ";", "e", "w", "r", "p", "true",
    "maybe", "time", "zone", "pause", "resume", "all", "stop", "#5", "９", "\u200b", "", " ",
)  # fmt: skip
pieces = st.one_of(
    st.text(max_size=12),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(KNOWN_PIECES),
)
subscribe_args = st.one_of(st.text(max_size=200), st.lists(pieces, max_size=8).map(" ".join))
button_data = st.one_of(
    st.text(max_size=80),
    st.tuples(st.sampled_from(["who", "tl", "digest", "", "x"]), st.lists(pieces, max_size=6)).map(
        lambda t: ":".join([t[0], *t[1]])
    ),
)


def check_subscribe(args: SubscribeArgs) -> None:
    if args.send_at is not None:
        assert re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", args.send_at), args
    if args.timezone is not None:
        assert args.timezone in ZONE_NAMES, args
    if args.topics is not None:
        assert args.topics == args.topics.strip() and args.topics, args
        assert len(args.topics) <= MAX_TOPICS_LENGTH, args
        _, phrases, excluded = parse_topics(args.topics)
        assert phrases or excluded, args  # a topic line without a word is refused, not stored


@given(subscribe_args)
@example("²³:00 Europe/Berlin")
@example("٠٨:٣٠ utc Лукашенко, -спорт")
def test_subscribe_arguments_parse_or_are_refused(text: str) -> None:
    try:
        args = parse_subscribe(text)
    except BadArgument as exc:
        assert exc.kind in ("time", "timezone", "topics", "words", "control")
        return
    check_subscribe(args)


@given(st.text(max_size=60))
@example("²")
@example("9" * 5000)
def test_numbers_are_ascii_digits_or_nothing(token: str) -> None:
    number = parse_number(token)
    if number is not None:
        assert number >= 0 and re.fullmatch(r"#?[0-9]+", token.strip())
        assert fits_sqlite(number) == (number <= SQLITE_MAX_INTEGER)


def check_button(parsed: CallbackData) -> None:
    """A parsed button is within what its handler can take, and packs back to data that parses the same."""
    if isinstance(parsed, WhoPick):
        assert 1 <= parsed.entity_id <= SQLITE_MAX_INTEGER
    elif isinstance(parsed, TimelineTurn):
        assert parsed.kind in (ENTITY, WORDS, RECENT, PERIOD)
        assert 1 <= parsed.ref <= SQLITE_MAX_INTEGER and 0 <= parsed.position <= SQLITE_MAX_INTEGER
        if parsed.kind == RECENT:
            assert RECENT_DAYS <= parsed.ref <= 3652059  # date.max.toordinal()
        if parsed.kind == PERIOD:  # days the calendar has, the first not after the last
            first, last = period_of(parsed.ref) or (None, None)
            assert first is not None and last is not None and first <= last
    elif isinstance(parsed, SettingsAction):
        if parsed.action == "time":
            assert re.fullmatch(r"([01][0-9]|2[0-3])[0-5][0-9]", parsed.value)
        elif parsed.action == "zone":
            assert parsed.value.lower() in {z.lower() for z in ZONE_NAMES}
        else:
            assert parsed.value == ""
    assert type(parsed).unpack(parsed.pack()) == parsed


@given(button_data)
@example("digest:time:²³00")
@example("tl:r:1:0:0")
@example("tl:p:99999:0:0")
@example("tl:p:365205900000:0:0")  # the calendar's last day: the day after it does not exist
@example("tl:p:365242999999:0:0")
@example("who:99999999999999999999")
def test_button_data_parses_or_is_refused(data: str) -> None:
    for factory in FACTORIES:
        try:
            parsed = factory.unpack(data)
        except (TypeError, ValueError):  # what aiogram's CallbackData filter takes for "not this button"
            continue
        check_button(parsed)


def test_the_buttons_the_bot_makes_parse_back() -> None:
    for time in TIMES:
        check_button(SettingsAction.unpack(SettingsAction(action="time", value=time.replace(":", "")).pack()))
    for zone in ZONES:
        check_button(SettingsAction.unpack(SettingsAction(action="zone", value=zone).pack()))
    check_button(TimelineTurn.unpack(TimelineTurn(kind=RECENT, ref=739000, position=0, back=True).pack()))
    january = period_ref(dt.date(2024, 1, 1), dt.date(2024, 1, 31))
    check_button(TimelineTurn.unpack(TimelineTurn(kind=PERIOD, ref=january, position=3, back=False).pack()))


def test_timeline_kinds_in_button_data_are_the_timeline_kinds() -> None:
    assert typing.get_args(TimelineTurn.model_fields["kind"].annotation) == (ENTITY, WORDS, RECENT, PERIOD)


# Found by the properties above, kept as plain tests.


@pytest.mark.parametrize("data", ["digest:time:²³00", "digest:time:٠٨٠٠", "digest:time:2400"])
def test_time_buttons_take_ascii_digits_of_a_time_of_day(data: str) -> None:
    # "²".isdigit() is true and int("²") raises: the handler raised ValueError for this button
    with pytest.raises(ValueError):
        SettingsAction.unpack(data)


@pytest.mark.parametrize("data", ["tl:r:1:0:0", "tl:r:13:0:1", "tl:r:3652060:0:0"])
def test_recent_timeline_pages_name_days_that_exist(data: str) -> None:
    # date.fromordinal(1) minus 13 days, or past date.max: OverflowError/ValueError in the handler
    with pytest.raises(ValueError):
        TimelineTurn.unpack(data)


@pytest.mark.parametrize("token", ["²", "٣", "-1", "+1", "1.0", "9" * 41])
def test_feed_numbers_are_plain_digits(token: str) -> None:
    assert parse_number(token) is None


@pytest.mark.parametrize("data", ["who:99999999999999999999", "who:0", "tl:e:1:99999999999999999999:0"])
def test_ids_past_sqlite_integer_are_no_buttons(data: str) -> None:
    with pytest.raises(ValueError):
        (TimelineTurn if data.startswith("tl") else WhoPick).unpack(data)
