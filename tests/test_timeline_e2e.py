"""/timeline end to end: articles analysed in the worker, events merged as stored, pages over the emulator."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from bot.emulator import BotAPIEmulator
from bot.telegram import replies
from bot.telegram.i18n import create_i18n
from bot.timeline.service import ENTITY, TimelinePage, Topic
from storage.entities import ArticleRef
from storage.events import StoredEvent
from tests.conftest import ADMIN, READER, READER_EN, SEED, RunningBot, entity_texts, running_bot

pytestmark = pytest.mark.asyncio(loop_scope="module")

TODAY = dt.datetime.now(ZoneInfo("Europe/Moscow")).date()
FLOOD_DAYS = 25
# Two reports of one event, a month apart in precision; one headline needs escaping.
REPORTS = [
    {
        "title": "Парламент Исландии и <налоги> & сборы",
        "date": "2024-03-20",
        "url": "https://example.org/is-1",
        "text": "В марте 2024 года парламент Исландии одобрил закон о туристическом сборе для круизных"
        " судов.",
    },
    {
        "title": "Исландия вводит туристический сбор",
        "date": "2024-03-22",
        "url": "https://example.org/is-2",
        "text": "15 марта 2024 года парламент Исландии одобрил закон о туристическом сборе с круизных судов.",
    },
]
RECENT = {
    "title": "Метеорологи предупредили о морозах",
    "date": TODAY.isoformat(),
    "text": "Вчера синоптики объявили штормовое предупреждение из-за сильных морозов в Карелии.",
}
FLOOD = {
    "title": "Хроника наводнения на реке Вятке", "date": "2024-02-20",
    "text": "\n".join(
        f"{day} января 2024 года спасатели эвакуировали жителей деревни номер {day} у реки."
        for day in range(1, FLOOD_DAYS + 1)
    ),
}  # fmt: skip


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def bot(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningBot]:
    """One bot for the module: the worker loads the language models once."""
    database = Path(tmp_path_factory.mktemp("timeline")) / "news.sqlite3"
    async with BotAPIEmulator() as emulator, running_bot(emulator, database) as running:
        await running.send_file(ADMIN, SEED.name, SEED.read_bytes())
        data = "\n".join(json.dumps(r, ensure_ascii=False) for r in [*REPORTS, RECENT, FLOOD]).encode()
        await running.send_file(ADMIN, "more.jsonl", data)
        await running.app.analyzer.idle()
        yield running


BULLET = "• ".encode("utf-16-le")


def labels(message: dict[str, Any]) -> list[str]:
    """The date label of each event line (the bold text right after its bullet), in the order shown."""
    units = message["text"].encode("utf-16-le")
    return [
        units[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le")
        for e in message.get("entities", [])
        if e["type"] == "bold" and units[2 * (e["offset"] - 2) : 2 * e["offset"]] == BULLET
    ]


async def test_negotiations_in_the_seed_are_listed_oldest_first_under_years_and_months(
    bot: RunningBot,
) -> None:
    (reply,) = await bot.ask(READER, "/timeline переговоры")
    text = reply["text"]
    assert text.startswith("🗓 Хроника: «переговоры»\n\n2022\n")
    # The seven expressions of the sample, resolved and ordered: a year before its months, a day in its month.
    assert list(dict.fromkeys(labels(reply))) == [
        "2022",
        "конец февраля — начало марта 2022",
        "весна 2022",
        "2025",
        "ноябрь 2025",
        "26 ноября 2025",
        "неделя 1–7 декабря 2025",
    ]
    headings = [line for line in text.split("\n") if line in {"2022", "2025"} or line.istitle()]
    assert headings == ["2022", "Февраль", "Март", "2025", "Ноябрь", "Декабрь"]
    assert (
        "• весна 2022 — Затем была проведена встреча в Стамбуле, но весной переговоры были поставлены" in text
    )
    assert "(«Лукашенко заявил, что Минск готов принять…»)" in text  # the source, the seed having no URL
    assert "2022" in entity_texts(reply, "bold")


async def test_a_person_timeline_has_only_the_events_they_take_part_in(bot: RunningBot) -> None:
    (reply,) = await bot.ask(READER, "/timeline Лукашенко")
    assert reply["text"].startswith("🗓 Хроника: Александр Лукашенко\n")
    assert labels(reply) == ["конец февраля — начало марта 2022", "26 ноября 2025"]
    # a role names its holder here too, with a date as well ("президент Белоруссии" is Lukashenko)
    for query in ("/timeline президент Белоруссии", "/timeline президент Белоруссии 2025"):
        (role,) = await bot.ask(READER, query)
        assert role["text"].startswith("🗓 Хроника: Александр Лукашенко\n"), (query, role["text"])
    (putin,) = await bot.ask(READER, "/timeline Путиным")
    assert putin["text"].startswith("🗓 Хроника: Владимир Путин\n")
    assert "неделя 1–7 декабря 2025" in labels(putin)


async def test_one_event_from_two_articles_shows_once_with_the_finer_date_and_both_links(
    bot: RunningBot,
) -> None:
    (reply,) = await bot.ask(READER, "/timeline круизные суда")
    assert labels(reply) == ["15 марта 2024"]
    links = [e["url"] for e in reply.get("entities", []) if e["type"] == "text_link"]
    assert links == ["https://example.org/is-1", "https://example.org/is-2"]
    assert "Парламент Исландии и <налоги> & сборы" in reply["text"]


async def test_english_reader_gets_english_labels(bot: RunningBot) -> None:
    (reply,) = await bot.ask(READER_EN, "/timeline Исландии")
    assert reply["text"].startswith("🗓 Timeline: ")
    assert "15 March 2024" in labels(reply)
    assert "March" in reply["text"].split("\n")


async def test_unknown_topic_says_nothing_was_found_and_suggests_names(bot: RunningBot) -> None:
    (reply,) = await bot.ask(READER, "/timeline Лукашэнко")
    assert reply["text"].startswith("По запросу «Лукашэнко» ничего не найдено")
    assert "/timeline Александр Лукашенко" in entity_texts(reply, "code")


async def test_timeline_alone_lists_the_last_two_weeks(bot: RunningBot) -> None:
    (reply,) = await bot.ask(READER, "/timeline")
    text = reply["text"]
    assert text.startswith("🗓 События за последние 14 дней\n")
    yesterday = TODAY - dt.timedelta(days=1)
    assert f"{yesterday.day} " in labels(reply)[0]
    assert "синоптики объявили штормовое предупреждение" in text
    assert "Лукашенко" not in text and "Исланд" not in text  # older news stays out


async def test_a_long_timeline_pages_forward_and_back_with_buttons(bot: RunningBot) -> None:
    (first,) = await bot.ask(READER, "/timeline наводнение")
    assert [label for label, _ in bot.emulator.buttons(first)] == ["▶"]
    seen = labels(first)
    pages = [seen]
    message = first
    while any(label == "▶" for label, _ in bot.emulator.buttons(message)):
        data = next(data for label, data in bot.emulator.buttons(message) if label == "▶")
        assert len(data.encode()) <= 64
        before = message["html"]
        await bot.emulator.press(READER, message, data)
        await bot.emulator.wait_for(lambda: message["html"] != before)  # noqa: B023
        pages.append(labels(message))
    assert [label for label, _ in bot.emulator.buttons(message)] == ["◀"]
    shown = [label for page in pages for label in page]
    days = [dt.date(2024, 1, day) for day in range(1, FLOOD_DAYS + 1)] + [dt.date(2024, 2, 20)]
    assert shown == [f"{d.day} {'января' if d.month == 1 else 'февраля'} 2024" for d in days]
    assert len(pages) == 3
    back = next(data for label, data in bot.emulator.buttons(message) if label == "◀")
    before = message["html"]
    await bot.emulator.press(READER, message, back)
    await bot.emulator.wait_for(lambda: message["html"] != before)
    assert labels(message) == pages[1]
    assert sorted(label for label, _ in bot.emulator.buttons(message)) == ["▶", "◀"]


async def test_a_date_or_a_period_lists_the_events_dated_then(bot: RunningBot) -> None:
    # "/timeline 15.03.2024" looked for events holding the words "15.03.2024"; "вчера" for the word «вчера»
    for query in ("15.03.2024", "15 марта 2024", "2024-03-15"):
        (day,) = await bot.ask(READER, f"/timeline {query}")
        assert day["text"].startswith("🗓 События: 15 марта 2024\n"), (query, day["text"])
        assert labels(day) == ["15 марта 2024"], query
    (yesterday,) = await bot.ask(READER, "/timeline вчера")
    assert "синоптики объявили штормовое предупреждение" in yesterday["text"], yesterday["text"]
    (month,) = await bot.ask(READER, "/timeline январь 2024")
    assert month["text"].startswith("🗓 События: январь 2024\n")
    assert labels(month) == [f"{day} января 2024" for day in range(1, 11)]
    data = next(data for label, data in bot.emulator.buttons(month) if label == "▶")
    before = month["html"]
    await bot.emulator.press(READER, month, data)
    await bot.emulator.wait_for(lambda: month["html"] != before)
    assert labels(month) == [f"{day} января 2024" for day in range(11, 21)]
    (year,) = await bot.ask(READER, "/timeline 2024")
    assert year["text"].startswith("🗓 События: 2024\n") and "1 января 2024" in labels(year)
    (english,) = await bot.ask(READER_EN, "/timeline March 2024")
    assert english["text"].startswith("🗓 Events of March 2024\n")
    assert labels(english) == ["15 March 2024", "20 March 2024", "22 March 2024"]  # and the two headlines
    (none,) = await bot.ask(READER, "/timeline 3 января 1999")
    assert none["text"] == "Нет сохранённых событий с датой 3 января 1999."


async def test_a_name_or_words_with_a_date_open_their_timeline_at_that_date(bot: RunningBot) -> None:
    # "/timeline Лукашенко 2025" looked for events holding the word "2025" beside his name
    (person,) = await bot.ask(READER, "/timeline Лукашенко 2025")
    assert person["text"].startswith("🗓 Хроника: Александр Лукашенко\n"), person["text"]
    assert labels(person) == ["26 ноября 2025"]
    assert [label for label, _ in bot.emulator.buttons(person)] == ["◀"]  # his 2022 events come before
    back = next(data for label, data in bot.emulator.buttons(person) if label == "◀")
    before = person["html"]
    await bot.emulator.press(READER, person, back)
    await bot.emulator.wait_for(lambda: person["html"] != before)
    assert labels(person) == ["конец февраля — начало марта 2022"]
    (words,) = await bot.ask(READER, "/timeline наводнение 20 января 2024")
    assert words["text"].startswith("🗓 Хроника: «наводнение»"), words["text"]
    assert labels(words)[0] == "20 января 2024" and "◀" in [label for label, _ in bot.emulator.buttons(words)]


async def test_a_page_of_long_events_is_cut_to_one_message() -> None:
    long_text = "Событие с очень длинным описанием " * 6
    source = ArticleRef(1, "Заголовок " * 10, dt.datetime(2024, 1, 1, tzinfo=dt.UTC), "https://e.org/x", None)
    day = dt.date(2024, 1, 1)
    events = [
        StoredEvent(i, i, day, day, "day", f"{long_text} {i}", 40, (source, source, source))
        for i in range(1, 21)
    ]
    page = TimelinePage(Topic(ENTITY, 1, "Тема"), events, more_before=False, more_after=False)
    i18n = create_i18n()
    with i18n.context(), i18n.use_locale("ru"):
        fitted = replies.timeline.fit(page)
        text = replies.timeline.timeline(fitted)
    assert 1 < len(fitted.events) < 20 and fitted.more_after
    assert replies.timeline.visible_length(text) <= 4096
    assert re.search(r"и ещё 37", text)


async def test_reports_under_one_headline_are_told_apart_by_their_outlet() -> None:
    # outlets print one agency story under one headline: the line said the same title twice
    day = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    title = "Суд ликвидировал движение «За права человека»"
    sources = (
        ArticleRef(1, title, day, "https://a.example/1", "Коммерсантъ"),
        ArticleRef(2, title, day, "https://b.example/2", "Интерфакс"),
        ArticleRef(3, "Другой заголовок", day, None, None),
    )
    event = StoredEvent(1, 1, day.date(), day.date(), "day", "Суд ликвидировал движение", 3, sources)
    page = TimelinePage(Topic(ENTITY, 1, "Тема"), [event], more_before=False, more_after=False)
    i18n = create_i18n()
    with i18n.context(), i18n.use_locale("ru"):
        text = replies.timeline.timeline(page)
    assert text.count(title) == 1
    assert '<a href="https://b.example/2">Интерфакс</a>' in text and "«Другой заголовок»" in text


async def test_headlines_differing_only_in_punctuation_are_one_headline() -> None:
    # «В отношении Байденов нечего было расследовать, –…» and «…расследовать –…» read alike as shown
    day = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    sources = (
        ArticleRef(1, "Нечего было расследовать, – заявил посол", day, "https://a.example/1", "Коммерсантъ"),
        ArticleRef(2, "нечего было РАССЛЕДОВАТЬ – заявил посол", day, "https://b.example/2", "Интерфакс"),
    )
    event = StoredEvent(1, 1, day.date(), day.date(), "day", "Посол заявил", 2, sources)
    page = TimelinePage(Topic(ENTITY, 1, "Тема"), [event], more_before=False, more_after=False)
    i18n = create_i18n()
    with i18n.context(), i18n.use_locale("ru"):
        text = replies.timeline.timeline(page)
    assert "РАССЛЕДОВАТЬ" not in text
    assert '<a href="https://b.example/2">Интерфакс</a>' in text
