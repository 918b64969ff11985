"""Scheduled digests: a job per (time, time zone) slot on the app's AsyncIOScheduler, built from the database.

The database is the source of truth: the jobs live in memory, are rebuilt from the subscriptions at
start-up and resynchronised whenever a subscription changes. A run missed while the bot was down is
caught up at start-up if it is less than MISFIRE_GRACE old (APScheduler 3.11's default grace of one
second would drop a daily run); the delivery records make a repeated run send nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from storage.subscriptions import Slot, SubscriptionRepo

log = logging.getLogger(__name__)

MISFIRE_GRACE = timedelta(hours=1)
JOB_PREFIX = "digest:"

RunSlot = Callable[[Slot, datetime], Awaitable[None]]


def parse_clock(value: str) -> time | None:
    """ "08:30" or "8:30" → 08:30; None for anything that is not a time of day ("25:99")."""
    hours, sep, minutes = value.strip().partition(":")
    # ASCII digits only: str.isdigit() also takes "²³", which int() then refuses.
    if not (sep and hours.isascii() and minutes.isascii()):
        return None
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2 and len(hours) <= 2):
        return None
    h, m = int(hours), int(minutes)
    return time(h, m) if h < 24 and m < 60 else None


def scheduled_at(slot: Slot, on: date) -> datetime:
    """The slot's moment on a local date, in UTC."""
    clock = parse_clock(slot.send_at)
    assert clock is not None, slot
    zone = ZoneInfo(slot.timezone)
    return datetime.combine(on, clock, tzinfo=zone).astimezone(UTC)


def last_run(slot: Slot, now: datetime) -> datetime:
    """The latest moment at or before `now` when the slot's digest was due."""
    today = now.astimezone(ZoneInfo(slot.timezone)).date()
    for days in range(3):
        moment = scheduled_at(slot, today - timedelta(days=days))
        if moment <= now:
            return moment
    raise AssertionError("a daily slot is due at least once in three days")


def period_of(scheduled: datetime) -> str:
    """The delivery period of a scheduled run: its moment, UTC, to the minute."""
    return scheduled.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def job_id(slot: Slot) -> str:
    return f"{JOB_PREFIX}{slot.send_at}@{slot.timezone}"


def slot_of(job: str) -> Slot | None:
    """The slot a job id names (job_id's inverse); None for anything else."""
    send_at, sep, zone = job.removeprefix(JOB_PREFIX).partition("@")
    if not job.startswith(JOB_PREFIX) or not sep or parse_clock(send_at) is None:
        return None
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return Slot(send_at, zone)


class DigestScheduler:
    def __init__(
        self,
        subscriptions: SubscriptionRepo,
        run: RunSlot,
        scheduler: AsyncIOScheduler,
        *,
        grace: timedelta = MISFIRE_GRACE,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._subscriptions = subscriptions
        self._run = run
        self._grace = grace
        self._clock = clock
        self.scheduler = scheduler  # shared with other periodic work; started and stopped by the app

    async def start(self) -> None:
        """Rebuild the jobs from the subscriptions and catch up runs missed within the grace time."""
        await self.sync(catch_up=True)

    def stop(self) -> None:
        for job in self.scheduler.get_jobs():
            if job.id.startswith(JOB_PREFIX):
                job.remove()

    async def sync(self, *, catch_up: bool = False) -> None:
        """Make the jobs match the subscriptions' slots; called at start-up and after every change."""
        wanted = {job_id(slot): slot for slot in await self._subscriptions.slots()}
        for job in self.scheduler.get_jobs():
            if job.id.startswith(JOB_PREFIX) and job.id not in wanted:
                job.remove()
        now = self._clock()
        for ident, slot in wanted.items():
            if self.scheduler.get_job(ident) is not None:
                continue
            clock = parse_clock(slot.send_at)
            assert clock is not None
            trigger = CronTrigger(hour=clock.hour, minute=clock.minute, timezone=ZoneInfo(slot.timezone))
            missed = last_run(slot, now)
            # A run missed while the bot was down starts at once; the scheduler's own misfire
            # check then applies the grace time, and coalescing keeps it to one run.
            first = missed if catch_up and now - missed <= self._grace else None
            self.scheduler.add_job(
                self._fire,
                trigger,
                args=[slot],
                id=ident,
                name=f"digest {slot.send_at} {slot.timezone}",
                replace_existing=True,
                misfire_grace_time=int(self._grace.total_seconds()),
                coalesce=True,
                max_instances=1,
                **({"next_run_time": first} if first is not None else {}),
            )
            if first is not None:
                log.info("catching up the %s digest due at %s", ident, first.isoformat())

    async def _fire(self, slot: Slot) -> None:
        scheduled = last_run(slot, self._clock())
        try:
            await self._run(slot, scheduled)
        except Exception:
            log.exception("the digest run of %s at %s failed", slot, scheduled.isoformat())

    def next_runs(self) -> dict[str, datetime | None]:
        return {job.id: job.next_run_time for job in self.scheduler.get_jobs()}
