"""The /who card's role lines: a role of another day is "earlier", one of the same day is "also"."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.telegram import replies
from bot.telegram.i18n import create_i18n
from storage.entities import EntityCard, EntitySummary, RoleSeen


def card_with_roles(*roles: tuple[str, datetime]) -> EntityCard:
    return EntityCard(
        entity=EntitySummary(1, "PER:сергей лавров", "PER", "Сергей <Лавров>", 3, 2),
        first_seen=None,
        last_seen=None,
        roles=[RoleSeen(title, when, when, 1) for title, when in roles],
        quotes=[],
        companions=[],
        latest=[],
    )


def test_roles_of_earlier_days_are_dated_and_same_day_titles_are_alternatives() -> None:
    i18n = create_i18n()
    card = card_with_roles(
        ("глава МИД", datetime(2025, 11, 26, 9, tzinfo=UTC)),
        ("министр иностранных дел России", datetime(2025, 11, 26, 8, tzinfo=UTC)),
        ("министр <иностранных> дел", datetime(2024, 3, 1, 8, tzinfo=UTC)),
    )
    with i18n.context(), i18n.use_locale("ru"):
        text = replies.who.card(card, ZoneInfo("Europe/Moscow"))
    assert text.split("\n")[:4] == [
        "👤 <b>Сергей &lt;Лавров&gt;</b>",
        "Глава МИД <i>(26 ноября 2025)</i>",
        "также: министр иностранных дел России",
        "ранее: министр &lt;иностранных&gt; дел (1 марта 2024)",
    ]


def test_a_person_named_in_both_scripts_is_named_and_titled_in_the_readers_language() -> None:
    i18n = create_i18n()
    when = datetime(2025, 11, 26, 9, tzinfo=UTC)
    card = EntityCard(
        entity=EntitySummary(1, "PER:дональд трамп", "PER", "Дональд Трамп", 9, 3, "Donald Trump"),
        first_seen=None,
        last_seen=None,
        roles=[RoleSeen("US President", when, when, 1), RoleSeen("президент США", when, when, 2)],
        quotes=[],
        companions=[],
        latest=[],
    )
    tz = ZoneInfo("UTC")
    with i18n.context(), i18n.use_locale("en"):
        english = replies.who.card(card, tz).split("\n")[:3]
        page = replies.timeline.not_found("Трамп", [card.entity])
    with i18n.context(), i18n.use_locale("ru"):
        russian = replies.who.card(card, tz).split("\n")[:3]
    assert english == ["👤 <b>Donald Trump</b>", "US President <i>(26 November 2025)</i>", ""]
    assert russian == ["👤 <b>Дональд Трамп</b>", "Президент США <i>(26 ноября 2025)</i>", ""]
    assert "/timeline Donald Trump" in page
