"""Several subscriptions per chat end to end (#15): each with its own topics and time, one per forum topic,
/subscriptions lists them with buttons, /settings and /unsubscribe ask which one, and each digest goes to
its own topic."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from bot.emulator import BotAPIEmulator
from handlers.subscriptions import OpenSubscription, SubAction
from storage.database import Database, migrations
from storage.subscriptions import DeliveryRepo, SubscriptionRepo
from tests.conftest import ADMIN, READER, RunningBot
from tests.test_subscriptions_e2e import FOOTBALL, TALKS, add

REBUILD = next(v for v, name, _ in migrations() if name.endswith("_subscriptions_per_topic.sql"))
FORUM = {"id": -1009001, "type": "supergroup", "title": "Клуб", "is_forum": True}


async def test_a_chat_holds_several_digests_and_picks_one_to_change(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    repo = bot.app.digests.subscriptions
    await bot.ask(READER, "/subscribe 08:00 UTC переговоры")
    (second,) = await bot.ask(READER, "/subscribe 18:00 UTC спорт")
    assert "дайджестов: 2" in second["text"]
    talks, sport = await repo.in_chat(READER.id)
    assert (talks.topics, talks.send_at, sport.topics, sport.send_at) == (
        "переговоры",
        "08:00",
        "спорт",
        "18:00",
    )

    (ambiguous,) = await bot.ask(READER, "/subscribe 07:00")  # no topics: which one?
    assert "/subscriptions" in ambiguous["text"]
    (again,) = await bot.ask(READER, "/subscribe 07:00 Переговоры")  # the same topics: that one
    assert "07:00" in again["text"]
    talks, sport = await repo.in_chat(READER.id)
    assert (talks.send_at, sport.send_at) == ("07:00", "18:00")

    (listing,) = await bot.ask(READER, "/subscriptions")
    assert "07:00 (UTC): Переговоры" in listing["text"] and "18:00 (UTC): спорт" in listing["text"]
    opens = [d for _, d in emulator.buttons(listing)]
    assert [OpenSubscription.unpack(d).id for d in opens] == [talks.id, sport.id]

    (pick,) = await bot.ask(READER, "/settings")
    assert "Какой из них?" in pick["text"] and len(emulator.buttons(pick)) == 2
    before = len(emulator.messages(READER.id))
    await emulator.press(READER, pick, opens[1])
    (settings,) = await emulator.replies(READER.id, 1, after=before)
    data = next(d for _, d in emulator.buttons(settings) if d.startswith("sub:time:0900"))
    assert SubAction.unpack(data).id == sport.id
    await emulator.press(READER, settings, data)
    await emulator.wait_for(lambda: any(q.get("text") for q in emulator.answered.values()))
    talks, sport = await repo.in_chat(READER.id)
    assert (talks.send_at, sport.send_at) == ("07:00", "09:00")  # only that one changed

    await emulator.press(READER, settings, next(d for _, d in emulator.buttons(settings) if ":stop:" in d))
    await emulator.wait_for(lambda: len(emulator.answered) >= 3)  # open, 09:00, stop
    (left,) = await repo.in_chat(READER.id)
    assert left.id == talks.id
    (stopped,) = await bot.ask(READER, "/unsubscribe")  # one left: no question
    assert await repo.in_chat(READER.id) == [] and "/subscribe" in stopped["text"]


async def test_each_forum_topic_has_its_own_digest(bot: RunningBot, emulator: BotAPIEmulator) -> None:
    repo = bot.app.digests.subscriptions
    emulator.chat_admins[FORUM["id"]].add(ADMIN.id)
    await bot.ask(ADMIN, "/subscribe 09:00 UTC переговоры", chat=FORUM, thread_id=5)
    await bot.ask(ADMIN, "/subscribe 09:00 UTC футбол", chat=FORUM, thread_id=7)
    five, seven = await repo.in_chat(FORUM["id"], any_thread=True)
    assert (five.thread_id, seven.thread_id) == (5, 7)
    assert [s.id for s in await repo.in_chat(FORUM["id"], 5)] == [five.id]
    await add(bot, TALKS, "ТАСС")
    await add(bot, FOOTBALL, "Спорт")
    before = len(emulator.messages(FORUM["id"]))
    await bot.app.digests.run_slot(five.slot, datetime.now(UTC))
    digests = emulator.messages(FORUM["id"])[before:]
    by_topic = {m.get("message_thread_id"): m["text"] for m in digests}
    assert set(by_topic) == {5, 7}
    assert "Лукашенко" in by_topic[5] and "Спартак" not in by_topic[5]
    assert "Спартак" in by_topic[7] and "Лукашенко" not in by_topic[7]
    (settings,) = await bot.ask(ADMIN, "/settings", chat=FORUM, thread_id=7)  # the topic's only one
    assert "футбол" in settings["text"] and all(
        d.startswith("digest:") for _, d in emulator.buttons(settings)
    )


async def test_the_migration_keeps_every_subscription_delivery_and_sentence(tmp_path: Path) -> None:
    """0017 rebuilds the subscriptions table (SQLite cannot drop its UNIQUE on chat_id) with foreign keys
    off: nothing that points at a subscription is lost, and a chat may then hold two."""
    path = tmp_path / "news.sqlite3"
    conn = sqlite3.connect(path)
    for version, _, sql in migrations():
        if version < REBUILD:
            conn.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version={version};\nCOMMIT;")
    conn.execute("PRAGMA foreign_keys=ON")
    stamp = "2026-11-20T08:00:00+00:00"
    conn.execute(
        "INSERT INTO subscriptions (id, chat_id, chat_type, language, send_at, timezone, topics, created_at,"
        " schedule_changed_at) VALUES (7, 42, 'private', 'ru', '09:00', 'UTC', 'переговоры', ?, ?)",
        (stamp, stamp),
    )
    conn.execute(
        "INSERT INTO stories (id, lang, centroid, size, first_published, last_published)"
        " VALUES (3, 'ru', '{}', 1, ?, ?)",
        (stamp, stamp),
    )
    conn.execute(
        "INSERT INTO deliveries (subscription_id, period, until, status, parts, created_at)"
        " VALUES (7, 'p', ?, 'sent', '[\"x\"]', ?)",
        (stamp, stamp),
    )
    conn.execute("INSERT INTO sent_sentences VALUES (7, 3, 'Фраза.', ?)", (stamp,))
    conn.commit()
    conn.close()
    db = Database(path)
    await db.open()  # migrates
    try:
        repo = SubscriptionRepo(db)
        (kept,) = await repo.in_chat(42)
        assert kept.id == 7 and kept.topics == "переговоры"
        assert await DeliveryRepo(db).sent_sentences([7], [3]) == {7: {3: ("Фраза.",)}}
        assert await DeliveryRepo(db).counts() == {"sent": 1}
        other = await repo.subscribe(
            chat_id=42, thread_id=None, chat_type="private", language="ru", send_at="18:00",
            timezone="UTC", topics="спорт", by=42,
        )  # fmt: skip
        assert other.id != 7 and len(await repo.in_chat(42)) == 2
        async with db.conn.execute("PRAGMA foreign_key_check") as cursor:
            assert await cursor.fetchall() == []
    finally:
        await db.close()


async def test_a_chat_holds_at_most_twenty_digests(bot: RunningBot) -> None:
    for n in range(20):
        await bot.ask(READER, f"/subscribe 08:00 UTC тема{n}")
    (refused,) = await bot.ask(READER, "/subscribe 08:00 UTC ещё одна тема")
    assert "уже 20 дайджестов" in refused["text"]
    assert len(await bot.app.digests.subscriptions.in_chat(READER.id)) == 20
    (changed,) = await bot.ask(READER, "/subscribe 09:00 UTC тема3")  # changing one is still allowed
    assert "09:00" in changed["text"]
