"""Instant alerts, the pure parts and the ledger (#15): what /alert takes, quiet hours across midnight,
the hourly limit, a lead and a new fact, and one claim per (setting, story, follow-up)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.alerts.commands import BadAlert, Off, On, Problem, SetLimit, SetQuiet, SetTopics, Show, parse_alert
from bot.alerts.decide import decide, lead, new_fact, quiet_of
from storage.alerts import AlertRepo, SendStatus
from storage.database import Database

MOSCOW = ZoneInfo("Europe/Moscow")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Show()),
        ("off", Off()),
        ("Выкл", Off()),
        ("Лукашенко, переговоры, -спорт", SetTopics("Лукашенко, переговоры, -спорт")),
        ("quiet 23:00-08:00", SetQuiet("23:00", "08:00")),
        ("quiet 23:00 — 8:00 europe/berlin", SetQuiet("23:00", "08:00", "Europe/Berlin")),
        ("quiet off", SetQuiet(None, None)),
        ("quiet 23-8", SetQuiet("23:00", "08:00")),  # whole hours
        ("on", On()),  # was an alert on the word "on"
        ("Вкл", On()),
        ("limit 5", SetLimit(5)),
    ],
)
def test_alert_commands(text: str, expected: object) -> None:
    assert parse_alert(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("quiet 25:00-08:00", Problem.QUIET),
        ("quiet 23:00", Problem.QUIET),
        ("quiet 08:00-08:00", Problem.QUIET),
        ("quiet 23:00-08:00 Mars/Olympus", Problem.ZONE),
        ("limit 0", Problem.LIMIT),
        ("limit 61", Problem.LIMIT),
        ("limit ٣", Problem.LIMIT),
        ("-спорт", Problem.TOPICS),
        (", , ,", Problem.TOPICS),
        (", ".join(f"тема{n}" for n in range(25)), Problem.TOPICS),
    ],
)
def test_bad_alert_commands_name_the_problem(text: str, problem: Problem) -> None:
    with pytest.raises(BadAlert) as bad:
        parse_alert(text)
    assert bad.value.problem is problem


def test_quiet_hours_across_midnight_in_the_chats_zone() -> None:
    quiet = quiet_of("23:00", "08:00")
    assert quiet is not None
    night = datetime(2025, 11, 20, 21, 30, tzinfo=UTC)  # 00:30 in Moscow
    morning = datetime(2025, 11, 20, 5, 30, tzinfo=UTC)  # 08:30 in Moscow
    assert quiet.covers(night, MOSCOW) and not quiet.covers(morning, MOSCOW)
    lunch = quiet_of("12:00", "13:00")
    assert lunch is not None and lunch.covers(datetime(2025, 11, 20, 9, 15, tzinfo=UTC), MOSCOW)
    assert quiet_of(None, None) is None


def test_decide_folds_in_quiet_hours_and_over_the_limit() -> None:
    night = datetime(2025, 11, 20, 21, 30, tzinfo=UTC)
    day = datetime(2025, 11, 20, 10, 0, tzinfo=UTC)
    quiet = quiet_of("23:00", "08:00")
    assert decide(quiet, MOSCOW, night, 0, 10).reason == "quiet"
    assert decide(quiet, MOSCOW, day, 10, 10).reason == "limit"
    assert decide(quiet, MOSCOW, day, 9, 10).send


REPORTS = [
    (
        "В Томске открыли мост через Ушайку",
        "Текст: Дарья Косарева. В Томске открыли пешеходный мост через реку Ушайку после двух лет ремонта. "
        "Мост длиной 48 метров соединил улицу Карташова с набережной.",
    ),
    (
        "Мост через Ушайку открыт",
        "Пешеходный мост через Ушайку в Томске открыли после ремонта. "
        "Мост соединил улицу Карташова с набережной.",
    ),
    (
        "Мэр Томска рассказал о стоимости моста",
        "Ремонт моста через Ушайку обошёлся бюджету в 86 миллионов рублей, сообщил мэр Дмитрий Махинин. "
        "Следующим отремонтируют мост на улице Пушкина.",
    ),
]


def test_the_lead_skips_the_byline_and_a_new_fact_skips_what_was_told() -> None:
    (first,) = lead(*REPORTS[0])
    assert first.startswith("В Томске открыли пешеходный мост") and "Косарева" not in first
    assert new_fact(REPORTS[:2], 1, (first,)) is None  # the second report only retells the first
    fact = new_fact(REPORTS, 1, (first,))
    assert fact is not None and "86 миллионов" in fact
    assert new_fact(REPORTS, 3, (first,)) is None  # no report after the known ones


async def test_a_story_is_claimed_once_per_setting_and_counted(tmp_path: Path) -> None:
    db = Database(tmp_path / "alerts.sqlite3")
    await db.open()
    try:
        repo = AlertRepo(db)
        alert = await repo.set_topics(
            chat_id=10,
            thread_id=None,
            chat_type="private",
            language="ru",
            timezone="Europe/Moscow",
            topics="мост",
            by=10,
            since_story=0,
        )
        same = await repo.set_topics(
            chat_id=10,
            thread_id=None,
            chat_type="private",
            language="ru",
            timezone="Europe/Moscow",
            topics="мост, Томск",
            by=10,
            since_story=5,
        )
        assert same.id == alert.id and same.topics == "мост, Томск" and same.since_story == 0  # still on
        topic = await repo.set_topics(
            chat_id=10,
            thread_id=7,
            chat_type="supergroup",
            language="ru",
            timezone="Europe/Moscow",
            topics="мост",
            by=10,
            since_story=0,
        )
        assert topic.id != alert.id and topic.thread_id == 7  # a forum topic has its own setting
        now = datetime.now(UTC)
        assert await repo.claim(alert.id, 1, 0, SendStatus.PENDING, reports=1, text="a", facts=["x"], now=now)
        assert not await repo.claim(alert.id, 1, 0, SendStatus.PENDING, reports=1, text="a", now=now)
        await repo.finish(alert.id, 1, 0, SendStatus.SENT, message_id=5)
        assert await repo.claim(alert.id, 2, 0, SendStatus.FOLDED, reports=1, reason="quiet", now=now)
        assert await repo.claim(topic.id, 1, 0, SendStatus.PENDING, reports=1, now=now)  # another setting
        assert await repo.sent_since(alert.id, now - timedelta(hours=1)) == 1
        assert await repo.folded_since_last_sent(alert.id) == 1
        (told,) = await repo.alerted(alert.id, now - timedelta(hours=2))
        assert told.story_id == 1 and told.facts == ("x",) and told.last_seq == 0
        assert await repo.next_seq(alert.id, 1) == 1
        off = await repo.change(alert.id, active=0)
        assert off is not None and not off.active
        again = await repo.set_topics(
            chat_id=10,
            thread_id=None,
            chat_type="private",
            language="ru",
            timezone="Europe/Moscow",
            topics="мост",
            by=10,
            since_story=9,
        )
        assert again.active and again.since_story == 9  # turned on anew: only stories from now on
    finally:
        await db.close()
