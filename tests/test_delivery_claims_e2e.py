"""One sender per delivery, even for a snapshot read before another path sent it (through the emulator)."""

from __future__ import annotations

from datetime import UTC, datetime

from storage.subscriptions import DeliveryDraft
from tests.conftest import RunningBot

CHAT = 424_242


async def test_a_snapshot_read_before_a_delivery_was_sent_cannot_send_it_again(bot: RunningBot) -> None:
    digests = bot.app.digests
    subscription = await digests.subscriptions.subscribe(
        chat_id=CHAT,
        thread_id=None,
        chat_type="private",
        language="ru",
        send_at="09:00",
        timezone="UTC",
        topics="",
        by=None,
    )
    draft = DeliveryDraft(subscription.id, "2026-11-28", None, datetime.now(UTC), ("Дайджест",))
    delivery = await digests.deliveries.record(draft)
    assert delivery is not None
    # A catch-up run and the start-up resumption both read this pending delivery; the first sends it.
    stale_snapshot = delivery
    assert await digests._claim(delivery)
    assert digests.broadcaster is not None
    await digests.broadcaster.deliver(digests._parcel(delivery, subscription), digests)
    assert len(bot.emulator.messages(CHAT)) == 1
    # The other still holds its snapshot, where the delivery is pending: it must not claim it.
    assert not await digests._claim(stale_snapshot)
    assert len(bot.emulator.messages(CHAT)) == 1
