"""/search across scripts: a person the archive knows in Russian and English reports is looked for under
both names (texts written for the test), and nobody else's name is crossed."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.search import interleaved, read_query
from storage.articles import Article
from tests.conftest import ADMIN, READER, READER_EN, RunningBot

ARTICLES = [
    {
        "title": "Зеленский провёл встречу с фермерами",
        "date": "2025-11-20",
        "text": "Президент Украины Владимир Зеленский встретился с фермерами в Полтаве. "
        "Зеленский пообещал снизить налоги на землю.",
    },
    {
        "title": "Zelensky meets farmers",
        "date": "2025-11-21",
        "lang": "en",
        "text": "Ukrainian President Volodymyr Zelensky met farmers in Poltava on Thursday. "
        "Zelensky promised lower land taxes.",
    },
    {
        "title": "Фермеры Полтавы ждут снижения налогов",
        "date": "2025-11-22",
        "text": "Фермеры Полтавы надеются, что налоги на землю снизят уже весной.",
    },
    {
        "title": "Mayor Hollins opens a bridge",
        "date": "2025-11-22",
        "lang": "en",
        "text": "Mayor Dana Hollins opened the new bridge in Leeds. Hollins thanked the builders.",
    },
]


async def _ingest(bot: RunningBot) -> None:
    data = "\n".join(json.dumps(a, ensure_ascii=False) for a in ARTICLES).encode()
    reply = await bot.send_file(ADMIN, "zelensky.jsonl", data)
    assert reply["text"].count("✅") == len(ARTICLES), reply["text"]
    await bot.app.analyzer.idle()


async def test_search_finds_a_person_under_the_name_in_the_other_script(bot: RunningBot) -> None:
    await _ingest(bot)
    rows = await bot.app.db.conn.execute_fetchall(
        "SELECT name, other_name FROM entities WHERE kind = 'PER' AND other_name IS NOT NULL"
    )
    assert [tuple(r) for r in rows] == [("Владимир Зеленский", "Volodymyr Zelensky")], rows

    (english,) = await bot.ask(READER_EN, "/search Zelensky")
    text = english["text"]
    assert text.startswith("🔎 2 articles for “Zelensky”\n"), text
    assert "Also as «Владимир Зеленский»: one person in Russian and English reports." in text
    assert "Zelensky meets farmers" in text and "Зеленский провёл встречу" in text
    assert "Фермеры Полтавы" not in text  # the farmers' story without him is not about him
    assert text.index("Zelensky meets farmers") < text.index(
        "Зеленский провёл встречу"
    )  # the query's language first

    (russian,) = await bot.ask(READER, "/search Зеленского")  # any form of the surname
    assert russian["text"].startswith("🔎 2 статьи по запросу «Зеленского»\nИ как «Volodymyr Zelensky»"), (
        russian
    )
    assert russian["text"].index("Зеленский провёл встречу") < russian["text"].index("Zelensky meets farmers")

    # the given name beside the surname is the person too; the other words still have to match
    (full,) = await bot.ask(READER, "/search Владимир Зеленский налоги")
    assert full["text"].startswith("🔎 1 статья по запросу"), full["text"]
    assert "Зеленский провёл встречу" in full["text"] and "Zelensky meets" not in full["text"]


async def test_search_crosses_no_other_name(bot: RunningBot) -> None:
    await _ingest(bot)
    # a person named in one script only, a given name alone, a word that is nobody's name: as written
    assert (await read_query("Hollins", bot.app.entities)).also == ()
    assert (await read_query("Владимир", bot.app.entities)).also == ()
    assert (await read_query("фермеры", bot.app.entities)).also == ()
    (reply,) = await bot.ask(READER_EN, "/search Hollins")
    assert reply["text"].startswith("🔎 1 article for “Hollins”\n\n1. "), reply["text"]
    assert "Also as" not in reply["text"]
    inline = await bot.emulator.inline_answer(await bot.emulator.inline_query(READER_EN, "Zelensky"))
    titles = [r["title"] for r in inline["results"]]
    assert "Zelensky meets farmers" in titles and "Зеленский провёл встречу с фермерами" in titles


def test_matches_in_two_languages_take_turns_the_readers_first() -> None:
    def article(n: int, lang: str) -> Article:
        day = datetime(2025, 1, 1, tzinfo=UTC)
        return Article(n, f"t{n}", "", day, None, None, lang, day, None)

    ranked = [article(1, "ru"), article(2, "ru"), article(3, "ru"), article(4, "en"), article(5, "ru")]
    assert [a.id for a in interleaved(ranked, "en")] == [4, 1, 2, 3, 5]
    assert [a.id for a in interleaved(ranked, "ru")] == [1, 4, 2, 3, 5]


async def test_digest_topics_name_a_person_in_both_scripts(bot: RunningBot) -> None:
    await _ingest(bot)
    await bot.app.digests.stories_settled()
    await bot.ask(READER, "/subscribe Зеленский")
    (digest,) = await bot.ask(READER, "/digest")
    text = digest["text"]
    assert "Зеленский провёл встречу с фермерами" in text and "Zelensky meets farmers" in text, text
    assert "Фермеры Полтавы" not in text and "Hollins" not in text
    # excluding him excludes his reports in both languages
    await bot.ask(READER_EN, "/subscribe farmers, -Zelensky")
    (english,) = await bot.ask(READER_EN, "/digest")
    # the only story on farmers in English is his: nothing is left
    assert english["text"].startswith("Nothing new"), english["text"]


async def test_an_alert_on_a_person_comes_from_reports_in_either_script(bot: RunningBot) -> None:
    from tests.test_alerts_e2e import alerts_to, run_alerts
    from tests.test_subscriptions_e2e import add

    await _ingest(bot)  # the archive knows him as «Владимир Зеленский» and "Volodymyr Zelensky"
    await run_alerts(bot)  # the first run: what the archive holds is not news
    await bot.ask(READER, "/alert Зеленский")
    visit = "Zelensky visits Kharkiv\nUkrainian President Volodymyr Zelensky visited Kharkiv on Friday."
    await add(bot, visit, "Reuters")
    await run_alerts(bot)
    (alert,) = alerts_to(bot.emulator, READER.id)
    assert alert.startswith("⚡ Новое: Zelensky visits Kharkiv\n"), alert


async def test_a_lower_case_topic_that_is_a_known_surname_is_that_person_not_its_stem(
    bot: RunningBot,
) -> None:
    # "песков" stems to "песк", as the sand's «песка» does: typed in lower case, the topic named the sand
    # too; the archive knows a person Песков, so the word is his name
    records = [
        {
            "title": "Брифинг в Кремле",
            "date": "2025-11-20",
            "text": "Дмитрий Песков ответил на вопросы о газе.",
        },
        {"title": "Пляж отсыпали", "date": "2025-11-21", "text": "На городской пляж завезли тонну песка."},
    ]
    data = "\n".join(json.dumps(a, ensure_ascii=False) for a in records).encode()
    await bot.send_file(ADMIN, "peskov.jsonl", data)
    await bot.app.analyzer.idle()
    await bot.app.digests.stories_settled()
    await bot.ask(READER, "/subscribe песков")
    (digest,) = await bot.ask(READER, "/digest")
    assert "Брифинг в Кремле" in digest["text"] and "Пляж" not in digest["text"], digest["text"]
    await bot.ask(READER_EN, "/subscribe -песков")
    (others,) = await bot.ask(READER_EN, "/digest")
    assert "Пляж отсыпали" in others["text"] and "Брифинг" not in others["text"], others["text"]
