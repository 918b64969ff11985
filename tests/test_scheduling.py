"""Scheduling: slots from the database, catch-up of a run missed within the grace time, one job per slot."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.digest.scheduling import MISFIRE_GRACE, DigestScheduler, job_id, last_run, parse_clock, period_of
from storage.database import Database
from storage.subscriptions import Slot, SubscriptionRepo


def test_clock_accepts_hours_and_minutes_only() -> None:
    assert parse_clock("8:30") is not None and parse_clock("08:30") == parse_clock("8:30")
    bad = ("25:99", "24:00", "12:60", "830", "8:3", "ab:cd", "²³:00", "1:٣٠")
    assert [parse_clock(v) for v in bad] == [None] * len(bad)


def test_last_run_is_the_latest_due_moment_in_the_slots_zone() -> None:
    berlin = Slot("08:30", "Europe/Berlin")
    # 06:00 UTC is 07:00 in Berlin in November: today's 08:30 is still ahead, yesterday's is the last.
    now = datetime(2025, 11, 26, 6, 0, tzinfo=UTC)
    assert last_run(berlin, now) == datetime(2025, 11, 25, 7, 30, tzinfo=UTC)
    assert last_run(berlin, now + timedelta(hours=2)) == datetime(2025, 11, 26, 7, 30, tzinfo=UTC)
    # Summer time: the same local time is an hour earlier in UTC.
    assert last_run(berlin, datetime(2025, 7, 1, 12, 0, tzinfo=UTC)) == datetime(
        2025, 7, 1, 6, 30, tzinfo=UTC
    )
    assert period_of(datetime(2025, 7, 1, 6, 30, 59, tzinfo=UTC)) == "2025-07-01T06:30Z"


@pytest.fixture
async def repo(storage_db: Database) -> SubscriptionRepo:
    return SubscriptionRepo(storage_db)  # SQLite, and PostgreSQL when one answers (tests/conftest.py)


async def subscribe(repo: SubscriptionRepo, chat_id: int, send_at: str, timezone: str = "UTC") -> int:
    subscription = await repo.subscribe(
        chat_id=chat_id,
        thread_id=None,
        chat_type="private",
        language="ru",
        send_at=send_at,
        timezone=timezone,
        topics="",
        by=None,
        now=datetime(2020, 1, 1, tzinfo=UTC),
    )
    return subscription.id


async def started(
    repo: SubscriptionRepo, now: datetime
) -> tuple[DigestScheduler, list[tuple[Slot, datetime]]]:
    runs: list[tuple[Slot, datetime]] = []

    async def run(slot: Slot, scheduled: datetime) -> None:
        runs.append((slot, scheduled))

    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.start()
    digests = DigestScheduler(repo, run, scheduler, clock=lambda: now)
    await digests.start()
    return digests, runs


async def test_restart_within_the_grace_time_catches_up_the_missed_run_once(repo: SubscriptionRepo) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    missed = now - timedelta(minutes=3)
    await subscribe(repo, 1, missed.strftime("%H:%M"))
    await subscribe(repo, 2, missed.strftime("%H:%M"))  # same slot: one job, one run
    too_old = now - MISFIRE_GRACE - timedelta(minutes=5)
    await subscribe(repo, 3, too_old.strftime("%H:%M"))
    digests, runs = await started(repo, now)
    try:
        await _settle()
        assert runs == [(Slot(missed.strftime("%H:%M"), "UTC"), missed.replace(second=0))]
        jobs = {job.id: job for job in digests.scheduler.get_jobs()}
        assert set(jobs) == {
            job_id(Slot(missed.strftime("%H:%M"), "UTC")),
            job_id(Slot(too_old.strftime("%H:%M"), "UTC")),
        }
        assert all(job.misfire_grace_time == 3600 and job.coalesce for job in jobs.values())
        # The next runs are tomorrow's, not another catch-up.
        assert all(job.next_run_time > datetime.now(UTC) for job in jobs.values())
    finally:
        digests.scheduler.shutdown(wait=False)


async def test_subscription_changes_resynchronise_the_jobs(repo: SubscriptionRepo) -> None:
    # Slots hours ahead of now: a fixed 09:00 Moscow was within the catch-up grace of a start between 06:00
    # and 07:00 UTC, so the test failed in that hour of every day.
    now = datetime.now(UTC)
    first = (now + timedelta(hours=3)).astimezone(ZoneInfo("Europe/Moscow")).strftime("%H:%M")
    later = now + timedelta(hours=5)
    second = later.astimezone(ZoneInfo("Asia/Yekaterinburg")).strftime("%H:%M")
    subscription_id = await subscribe(repo, 1, first, "Europe/Moscow")
    digests, runs = await started(repo, now)
    try:
        assert set(digests.next_runs()) == {f"digest:{first}@Europe/Moscow"}
        await repo.change(subscription_id, send_at=second, timezone="Asia/Yekaterinburg")
        await digests.sync()
        next_runs = digests.next_runs()
        assert set(next_runs) == {f"digest:{second}@Asia/Yekaterinburg"}
        next_run = next_runs[f"digest:{second}@Asia/Yekaterinburg"]
        assert next_run is not None and next_run.astimezone(UTC).hour == later.hour
        assert next_run.minute == later.minute
        await repo.change(subscription_id, paused=True)
        await digests.sync()
        assert digests.next_runs() == {}
        assert runs == []  # resynchronising never catches up: only a start does
    finally:
        digests.scheduler.shutdown(wait=False)


async def test_a_run_includes_only_subscriptions_set_up_before_it(repo: SubscriptionRepo) -> None:
    early = await subscribe(repo, 1, "09:00")
    scheduled = datetime(2025, 11, 26, 9, 0, tzinfo=UTC)
    late = await repo.subscribe(
        chat_id=2,
        thread_id=None,
        chat_type="private",
        language="en",
        send_at="09:00",
        timezone="UTC",
        topics="",
        by=None,
        now=scheduled + timedelta(minutes=2),
    )
    due = await repo.due(Slot("09:00", "UTC"), scheduled)
    assert [s.id for s in due] == [early] and late.id != early


async def _settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0.05)
