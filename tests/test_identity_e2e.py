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


LOOKALIKES = [
    {
        "title": "Новый губернатор",
        "date": "2019-11-01",
        "text": "Игорь Сопилко женат, его супругу зовут Ольга Сопилко. "
        "Семья воспитывает сына Игоря и дочь Галину.",
    },
    {
        "title": "Jumanji trailer",
        "date": "2019-11-01",
        "lang": "en",
        "text": "Dwayne Johnson and Kevin Hart are joined in the teaser "
        "by co-stars Jack Black and Karen Gillan.",
    },
    {
        "title": "Визит в Казахстан",
        "date": "2019-11-01",
        "text": "Об этом рассказал Дюков. "
        "Позже президент Казахстана Касым-Жомарт Токаев встретился с делегацией.",
    },
]


async def test_names_that_only_look_alike_stay_apart(bot: RunningBot) -> None:
    # the surname key blurs vowels and voicing: «дочь Галину» was stored as Karen Gillan, "Дюков" as Tokayev
    data = "\n".join(json.dumps(a, ensure_ascii=False) for a in LOOKALIKES).encode()
    await bot.send_file(ADMIN, "lookalikes.jsonl", data)
    await bot.app.analyzer.idle()
    for name in ("Karen Gillan", "Касым-Жомарт Токаев"):
        rows = await bot.app.db.conn.execute_fetchall(
            "SELECT m.text FROM mentions m JOIN entities e ON e.id = m.entity_id WHERE e.name = ?", (name,)
        )
        assert [row[0] for row in rows] in (["Karen Gillan"], ["Касым-Жомарт Токаев"]), (name, rows)
    (reply,) = await bot.ask(READER, "/who Karen Gillan")
    assert "1 стат" in reply["text"] or "1 article" in reply["text"], reply["text"]
    # a digest's people line names no one by a first name alone
    rows = await bot.app.db.conn.execute_fetchall("SELECT id FROM articles WHERE title = 'Новый губернатор'")
    people, _ = await bot.app.entities.people_in([rows[0][0]])
    assert "Игорь Сопилко" in people[rows[0][0]] and "Галина" not in people[rows[0][0]]
