"""/who end to end: articles analysed in the worker, stored, and asked about in any word form."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.emulator import BotAPIEmulator
from tests.conftest import ADMIN, READER, READER_EN, SEED, RunningBot, entity_texts, running_bot

pytestmark = pytest.mark.asyncio(loop_scope="module")

BIDENS = [
    {
        "title": "Байден помиловал сына",
        "date": "2024-12-02",
        "text": "Президент США Джо Байден помиловал своего сына Хантера Байдена. "
        "«Я верю в систему правосудия, но политика заразила этот процесс», — заявил Джо Байден.",
    },
    {
        "title": "Хантер Байден о помиловании",
        "date": "2024-12-03",
        "text": "Хантер Байден заявил, что никогда не будет воспринимать помилование как должное. "
        "Хантер Байден поблагодарил отца. Адвокат Хантера Байдена подтвердил это.",
    },
]
ENGLISH = {
    "title": "Envoy to meet Putin",
    "date": "2025-11-27",
    "lang": "en",
    "text": "US special envoy Steve Witkoff will meet Russian President Vladimir Putin next week. "
    'Russian Foreign Minister Sergei Lavrov said Moscow was ready: "We are ready to talk < & >," '
    "Lavrov told reporters.",
}


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def bot(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningBot]:
    """One bot for the module: the worker loads the language models once."""
    database = Path(tmp_path_factory.mktemp("who")) / "news.sqlite3"
    async with BotAPIEmulator() as emulator, running_bot(emulator, database) as running:
        await running.send_file(ADMIN, SEED.name, SEED.read_bytes())
        data = "\n".join(json.dumps(r, ensure_ascii=False) for r in [*BIDENS, ENGLISH]).encode()
        await running.send_file(ADMIN, "more.jsonl", data)
        await running.app.analyzer.idle()
        yield running


async def test_card_shows_role_counts_quotes_companions_and_articles(bot: RunningBot) -> None:
    (reply,) = await bot.ask(READER, "/who Лукашенко")
    text = reply["text"]
    assert text.startswith("👤 Александр Лукашенко\nПрезидент Белоруссии (26 ноября 2025)")
    assert "1 статья, 6 упоминаний" in text
    assert "«Если у вас будет желание вернуться в Минск снова, мы всегда готовы» — 26 ноября 2025" in text
    assert (
        "мы всегда готовы» — 26 ноября 2025, «Лукашенко заявил, что Минск готов принять переговоры по…»"
        in text
    )
    assert "Чаще всего рядом: " in text and "Владимир Путин (1)" in text
    assert "26 ноября 2025 — Лукашенко заявил, что Минск готов" in text
    assert "Александр Лукашенко" in entity_texts(reply, "bold")


@pytest.mark.parametrize(
    "query",
    [
        "лаврова",
        "Сергея Лаврова",
        "ЛАВРОВ",
        "Сергей Лавров",
        # an initial, a patronymic or a title before the name knew nobody
        "С. Лавров",
        "Лавров С.В.",
        "Сергея Викторовича Лаврова",
        "министра Лаврова",
    ],
)
async def test_any_form_of_a_name_opens_the_same_card(bot: RunningBot, query: str) -> None:
    (reply,) = await bot.ask(READER, f"/who {query}")
    assert reply["text"].startswith("👤 Сергей Лавров\nГлава МИД (26 ноября 2025)")


async def test_an_initial_that_disagrees_is_someone_else(bot: RunningBot) -> None:
    (reply,) = await bot.ask(READER, "/who А. Лавров")
    assert reply["text"].startswith("В сохранённых новостях нет никого по имени «А. Лавров»"), reply["text"]


async def test_quotes_attributed_by_role_reach_the_person(bot: RunningBot) -> None:
    (reply,) = await bot.ask(READER, "/who Путиным")
    text = reply["text"]
    assert text.startswith("👤 Владимир Путин\nПрезидент (26 ноября 2025)\nтакже: российский лидер\n")
    assert "«Первые наши контакты по этому вопросу с киевским режимом" in text  # "— сказал президент России"


async def test_organisations_and_places_have_cards(bot: RunningBot) -> None:
    (nato,) = await bot.ask(READER, "/who НАТО")
    assert nato["text"].startswith("🏛 НАТО\n")
    (eu,) = await bot.ask(READER, "/who ЕС")
    assert eu["text"].startswith("🏛 Евросоюз\n") and "3 упоминания" in eu["text"]
    (minsk,) = await bot.ask(READER, "/who Минске")
    assert minsk["text"].startswith("📍 Минск\n")


async def test_english_readers_get_english_names_of_known_places_and_organisations(bot: RunningBot) -> None:
    # The seed article is Russian: "ЕС", "Евросоюз" and "США" are stored under their Russian names.
    (eu,) = await bot.ask(READER_EN, "/who European Union")
    assert eu["text"].startswith("🏛 European Union\n") and "3 mentions" in eu["text"]
    (same,) = await bot.ask(READER_EN, "/who EU")
    assert same["text"] == eu["text"]
    (us,) = await bot.ask(READER, "/who Соединенные Штаты")
    assert us["text"].startswith("📍 США\n")


async def test_english_names_and_quotes_are_escaped(bot: RunningBot) -> None:
    (reply,) = await bot.ask(READER_EN, "/who Lavrov")
    text = reply["text"]
    assert text.startswith("👤 Sergei Lavrov\nRussian Foreign Minister (27 November 2025)")
    assert "«We are ready to talk < & >,»" in text or "«We are ready to talk < & >»" in text
    (envoy,) = await bot.ask(READER_EN, "/who Witkoff")
    assert envoy["text"].startswith("👤 Steve Witkoff\nUS special envoy")


async def test_one_person_across_russian_and_english_articles(bot: RunningBot) -> None:
    # The seed names "Сергей Лавров" and "Владимир Путин", the English article "Sergei Lavrov" and "Vladimir
    # Putin": one card each, named and titled in the reader's language, counting both articles.
    (ru,) = await bot.ask(READER, "/who Лавров")
    assert ru["text"].startswith("👤 Сергей Лавров\nГлава МИД (26 ноября 2025)\n\n📰 2 статьи, 4 упоминания")
    assert "We are ready to talk" in ru["text"] and "Russian Foreign Minister" not in ru["text"]
    (en,) = await bot.ask(READER_EN, "/who Sergei Lavrov")
    assert en["text"].startswith(
        "👤 Sergei Lavrov\nRussian Foreign Minister (27 November 2025)\n\n📰 2 articles"
    )
    (top,) = await bot.ask(READER_EN, "/who")
    assert "1. Vladimir Putin — 2 articles, 7 mentions" in top["text"] and "Владимир Путин" not in top["text"]
    (top_ru,) = await bot.ask(READER, "/who")
    assert "1. Владимир Путин — 2 статьи, 7 упоминаний" in top_ru["text"]


async def test_photographer_is_unknown_and_suggestions_are_offered(bot: RunningBot) -> None:
    (reply,) = await bot.ask(READER, "/who Наумов")
    assert reply["text"].startswith("В сохранённых новостях нет никого по имени «Наумов».")
    (typo,) = await bot.ask(READER, "/who Лукашэнко")
    assert "Может быть: Александр Лукашенко" in typo["text"]


async def test_ambiguous_surname_offers_buttons_and_a_press_opens_the_card(bot: RunningBot) -> None:
    (question,) = await bot.ask(READER, "/who Байден")
    assert question["text"] == "Под «Байден» подходят несколько. Кого вы имеете в виду?"
    buttons = bot.emulator.buttons(question)
    labels = [label for label, _ in buttons]
    assert any("Джо Байден" in label for label in labels)
    assert any("Хантер Байден" in label for label in labels)
    data = next(data for label, data in buttons if "Хантер" in label)
    before = len(bot.emulator.messages(READER.id))
    await bot.emulator.press(READER, question, data)
    (card,) = await bot.emulator.replies(READER.id, 1, after=before)
    assert card["text"].startswith("👤 Хантер Байден\n")


async def test_who_alone_lists_the_most_mentioned_people(bot: RunningBot) -> None:
    (reply,) = await bot.ask(READER, "/who")
    lines = reply["text"].split("\n")
    assert lines[0] == "👥 Самые упоминаемые люди (за всё время)"  # the articles are older than a week
    assert lines[1].startswith("1. ")
    assert any("Александр Лукашенко — 1 статья, 6 упоминаний" in line for line in lines)
    # ranked by reports first: six mentions in one article come after four in two
    rank = {name: i for i, line in enumerate(lines) for name in ("Лукашенко", "Лавров") if name in line}
    assert rank["Лавров"] < rank["Лукашенко"] and "Сергей Лавров — 2 статьи, 4 упоминания" in reply["text"]


async def test_a_digest_names_people_in_each_articles_script(bot: RunningBot) -> None:
    rows = await bot.app.db.conn.execute_fetchall("SELECT id, lang FROM articles ORDER BY id")
    people, fame = await bot.app.entities.people_in([row[0] for row in rows])
    by_lang = {lang: people[article_id] for article_id, lang in rows if article_id in people}
    assert "Sergei Lavrov" in by_lang["en"] and "Сергей Лавров" not in by_lang["en"]
    assert "Сергей Лавров" in {
        name for article_id, lang in rows if lang == "ru" for name in people.get(article_id, ())
    }
    assert fame["Sergei Lavrov"] == fame["Сергей Лавров"] == 4


@pytest.mark.parametrize("query", ["глава МИД", "ГЛАВА мид"])
async def test_a_role_names_the_person_who_holds_it(bot: RunningBot, query: str) -> None:
    # "/who глава МИД" found nobody (or, past the title, the organisation): the archive calls Lavrov so
    (reply,) = await bot.ask(READER, f"/who {query}")
    assert reply["text"].startswith("👤 Сергей Лавров\n"), reply["text"]
