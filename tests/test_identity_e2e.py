"""One person across transliterations, read back from what the bot stored (texts written for the test)."""

from __future__ import annotations

import json

from tests.conftest import ADMIN, READER, RunningBot

ARTICLES = [
    {
        "title": "Маас прибыл в Москву",
        "date": "2019-01-17",
        "text": "Министр иностранных дел Германии Хайко Маас прибыл в Москву на переговоры. "
        "Глава МИД Литвы Саулюс Сквернялис осудил визит.",
    },
    {
        "title": "Переговоры в Москве",
        "date": "2019-01-18",
        "text": "Глава МИД ФРГ Гайко Маас обсудил с коллегой договор о ракетах. "
        "С. Сквярнялис заявил, что Литва не изменит позицию.",
    },
    {
        "title": "Встреча в Берлине",
        "date": "2019-01-19",
        "text": "Депутат бундестага Анна Маас раскритиковала итоги переговоров в Москве.",
    },
]


async def _ingest(bot: RunningBot) -> None:
    data = "\n".join(json.dumps(a, ensure_ascii=False) for a in ARTICLES).encode()
    await bot.send_file(ADMIN, "maas.jsonl", data)
    await bot.app.analyzer.idle()


async def _people(bot: RunningBot, surname_like: str) -> list[tuple[str, int]]:
    rows = await bot.app.db.conn.execute_fetchall(
        "SELECT name, mentions FROM entities WHERE kind = 'PER' AND name LIKE ? ORDER BY name",
        (f"%{surname_like}%",),
    )
    return [(row[0], row[1]) for row in rows]


async def test_transliteration_variants_are_stored_as_one_person(bot: RunningBot) -> None:
    await _ingest(bot)
    maas = await _people(bot, "Маас")
    names = [name for name, _ in maas]
    assert len([n for n in names if n.endswith(("Хайко Маас", "Гайко Маас"))]) == 1, maas
    skvernelis = await _people(bot, "рнялис")
    assert len(skvernelis) == 1, skvernelis
    # Another Maas in the same story stays another person.
    assert "Анна Маас" in names
    (reply,) = await bot.ask(READER, "/who Гайко Маас")
    assert reply["text"].startswith("👤 Хайко Маас"), reply["text"]
