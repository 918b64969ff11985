"""/who: finding the person (or organisation, or place) a user means, and their card."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.analysis.entities import fold
from bot.who.store import EntityStore
from storage.entities import EntityCard, EntitySummary

# A name is ambiguous only while no candidate clearly dominates: a surname shared by a president and a
# namesake mentioned once should open the president's card, not a question.
DOMINANCE = 5


@dataclass(frozen=True)
class WhoAnswer:
    card: EntityCard | None = None
    choices: list[EntitySummary] = field(default_factory=list)  # several fit: the user picks
    suggestions: list[EntitySummary] = field(default_factory=list)  # nothing fits: closest names


class WhoService:
    def __init__(self, entities: EntityStore) -> None:
        self._entities = entities

    async def who(self, query: str) -> WhoAnswer:
        found = await self._entities.find(query, roles=True)
        if not found:
            return WhoAnswer(suggestions=await self._entities.similar(query))
        exact = [e for e in found if fold(e.name) == fold(query)]
        # The name itself wins, unless another is far better known: "/who Trump" means the president
        # mentioned 44 times, not "TRUMP" read once as an organisation.
        if len(exact) == 1 and not any(
            e.mentions >= DOMINANCE * max(1, exact[0].mentions) for e in found if e is not exact[0]
        ):
            return WhoAnswer(card=await self._entities.card(exact[0].id))
        ranked = sorted(found, key=lambda e: -e.mentions)  # stable: the store's order breaks ties
        best, rest = ranked[0], ranked[1:]
        if not rest or best.mentions >= DOMINANCE * rest[0].mentions:
            return WhoAnswer(card=await self._entities.card(best.id))
        return WhoAnswer(choices=ranked)

    async def card(self, entity_id: int) -> EntityCard | None:
        return await self._entities.card(entity_id)

    async def most_mentioned(
        self, days: int = 7, now: datetime | None = None
    ) -> list[tuple[EntitySummary, int, int]]:
        since = (now or datetime.now(UTC)) - timedelta(days=days)
        return await self._entities.most_mentioned(since)
