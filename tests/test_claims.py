"""Scheduled work claimed in the database (#14), on both engines: a slot's run, a delivery and a feed poll
each go to one instance; a claim whose lease runs out unfinished is another's to take; a done run never
runs again; and two bots on one PostgreSQL database send a slot's digests once between them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import App
from bot.delivery import MemoryBook
from bot.digest.scheduling import slot_of
from bot.emulator import BotAPIEmulator, TelegramUser
from storage.claims import JobClaims, instance_name
from storage.database import Database
from storage.feeds import FeedRepo
from storage.subscriptions import DeliveryDraft, DeliveryRepo, Slot, SubscriptionRepo
from tests.conftest import NO_POSTGRESQL, postgresql_schema, postgresql_url, running_bot
from tests.test_subscriptions_e2e import TALKS, add

LEASE = timedelta(minutes=3)


async def test_a_run_is_claimed_once_renewed_taken_over_and_done(storage_db: Database) -> None:
    one, other = JobClaims(storage_db, "host-a:1:aaaaaa"), JobClaims(storage_db, "host-b:2:bbbbbb")
    now = datetime(2026, 3, 1, 6, tzinfo=UTC)
    assert await one.claim("digest:09:00@UTC", "2026-03-01T09:00Z", LEASE, now)
    assert await one.claim("digest:09:00@UTC", "2026-03-01T09:00Z", LEASE, now)  # its own claim again
    assert not await other.claim("digest:09:00@UTC", "2026-03-01T09:00Z", LEASE, now + timedelta(minutes=1))
    assert await other.claim("digest:09:00@UTC", "2026-03-01T09:05Z", LEASE, now)  # another period
    assert await one.abandoned("digest:", now + timedelta(minutes=1)) == []
    (left,) = [
        u for u in await one.abandoned("digest:", now + timedelta(minutes=4)) if u.period.endswith("09:00Z")
    ]
    assert left.claimed_by == "host-a:1:aaaaaa"
    # The lease ran out: the other instance takes the run over and finishes it; then nobody runs it again.
    assert await other.claim("digest:09:00@UTC", "2026-03-01T09:00Z", LEASE, now + timedelta(minutes=4))
    await other.done("digest:09:00@UTC", "2026-03-01T09:00Z")
    assert not await one.claim("digest:09:00@UTC", "2026-03-01T09:00Z", LEASE, now + timedelta(hours=1))
    assert [u.period for u in await one.abandoned("digest:", now + timedelta(hours=1))] == [
        "2026-03-01T09:05Z"
    ]


async def test_a_delivery_and_a_feed_poll_have_one_holder(storage_db: Database) -> None:
    subscriptions, deliveries = SubscriptionRepo(storage_db), DeliveryRepo(storage_db)
    now = datetime.now(UTC)
    subscription = await subscriptions.subscribe(
        chat_id=5, thread_id=None, chat_type="private", language="ru", send_at="09:00",
        timezone="UTC", topics="", by=5, now=now,
    )  # fmt: skip
    delivery = await deliveries.record(DeliveryDraft(subscription.id, "p", None, now, ("a", "b")), now)
    assert delivery is not None
    assert [d.id for d in await deliveries.abandoned(now - timedelta(hours=1))] == [delivery.id]
    assert await deliveries.claim(delivery.id, "a", LEASE, now)
    assert not await deliveries.claim(delivery.id, "b", LEASE, now + timedelta(minutes=1))
    assert await deliveries.abandoned(now - timedelta(hours=1), now + timedelta(minutes=1)) == []
    assert await deliveries.claim(delivery.id, "b", LEASE, now + timedelta(minutes=4))  # a's lease ran out
    await deliveries.part_sent(delivery.id, 0, 1)
    await deliveries.part_sent(delivery.id, 1, 2)
    assert not await deliveries.claim(delivery.id, "a", LEASE, now + timedelta(hours=1))  # sent: nobody

    feeds = FeedRepo(storage_db)
    feed, _ = await feeds.add("https://example.org/rss", "Лента", 1, now=now - timedelta(hours=1))
    due = now + timedelta(hours=1)
    assert await feeds.claim(feed.id, "a", LEASE, due)
    assert not await feeds.claim(feed.id, "b", LEASE, due)
    assert await feeds.claim(feed.id, "b", LEASE, due + timedelta(minutes=4))
    await JobClaims(storage_db, "c").release_all()  # a single instance at its start: nothing held
    assert await feeds.claim(feed.id, "c", LEASE, due)


def test_a_job_names_its_slot() -> None:
    assert slot_of("digest:08:30@Europe/Berlin") == Slot("08:30", "Europe/Berlin")
    for bad in ("digest:25:00@UTC", "digest:08:30@Mars/Olympus", "digest:08:30", "forget-left-items"):
        assert slot_of(bad) is None, bad
    assert instance_name() != instance_name()


async def test_two_bots_on_one_postgresql_database_send_a_slots_digests_once(tmp_path: Path) -> None:
    if postgresql_url() is None:
        pytest.skip(NO_POSTGRESQL)
    async with (
        postgresql_schema() as url,
        BotAPIEmulator() as emulator,
        running_bot(emulator, tmp_path / "a.sqlite3", database_url=url) as first,
    ):
        # The second instance shares the database and the token but takes no updates (Telegram gives each
        # update to one instance; the emulator would give both pollers every one).
        settings = first.app.settings.model_copy(update={"database_path": tmp_path / "b.sqlite3"})
        second = await App.open(settings)
        second_bot = second.create_bot(emulator.token, emulator.url)
        try:
            await second.digests.start(second_bot, MemoryBook())
            for n in range(6):
                await first.ask(TelegramUser(100 + n, f"R{n}", "ru"), "/subscribe 09:00 UTC")
            await add(first, TALKS, "ТАСС")
            subscription = await first.app.digests.subscriptions.of_chat(100)
            assert subscription is not None
            scheduled = datetime.now(UTC)
            before = {n: len(emulator.messages(100 + n)) for n in range(6)}
            # The first bot records the slot's digests and starts sending; its sends after the second wait
            # (as if it were slow or about to die). The second bot's run of the slot finds it claimed and its
            # recovery finds the pending deliveries held: neither may send what the first holds.
            emulator.faults.hold_after = emulator.accepted_sends + 2
            run = asyncio.create_task(first.app.digests.run_slot(subscription.slot, scheduled))
            await emulator.wait_for(lambda: emulator.held > 0)
            await second.digests.run_slot(subscription.slot, scheduled)
            await second.digests.recover()
            emulator.release_held()
            await run
            for n in range(6):
                (digest,) = emulator.messages(100 + n)[before[n] :]
                assert "Лукашенко" in digest["text"]
        finally:
            await second.digests.stop()
            await second_bot.session.close()
            await second.close()
