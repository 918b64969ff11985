"""The bot token's send budget, shared by every instance through the database: slots handed out in order."""

from __future__ import annotations

from storage.database import Database


class SendBudgetRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def reserve(self, lane: str, interval: float, earliest: float) -> float:
        """The start of the next send in `lane`: `interval` after the slot handed out last, and never before
        `earliest` (a lane idle for a while does not bank a burst). One statement, so two instances
        reserving at once get two different slots."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO send_budget (lane, next_slot) VALUES (?, ?) ON CONFLICT (lane) DO UPDATE SET"
                " next_slot = CASE WHEN send_budget.next_slot + ? > ? THEN send_budget.next_slot + ?"
                " ELSE ? END RETURNING next_slot",
                (lane, earliest, interval, earliest, interval, earliest),
            )
            (slot,) = await cursor.fetchone()
            await cursor.close()
        return float(slot)

    async def hold(self, lane: str, until: float) -> None:
        """A flood wait: no slot of `lane` starts before `until`, in any instance."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO send_budget (lane, next_slot) VALUES (?, ?) ON CONFLICT (lane) DO UPDATE SET"
                " next_slot = CASE WHEN send_budget.next_slot > ? THEN send_budget.next_slot ELSE ? END",
                (lane, until, until, until),
            )
