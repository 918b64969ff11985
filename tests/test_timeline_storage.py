"""Events in storage: merged as they are stored, found by entity, words or dates, paged in timeline order."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.analysis.article import ArticleAnalysis
from bot.analysis.entities import Entity, Mention
from bot.analysis.events import Event, sort_key
from bot.analysis.stems import query_stems
from bot.analysis.understanding import Understanding
from bot.ingest.drafts import ArticleDraft, prepare
from bot.timeline.merge import ArticleEvents, position
from bot.timeline.service import merge_articles
from bot.who.store import EntityStore
from storage.articles import Article, ArticleRepo
from storage.database import Database
from storage.events import EventRepo

D = dt.date


@pytest.fixture
async def db(storage_db: Database) -> Database:
    return storage_db  # SQLite, and PostgreSQL when one answers (tests/conftest.py)


async def article(db: Database, title: str, day: dt.date, url: str | None = None) -> Article:
    published = dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.UTC)
    draft = ArticleDraft(title, f"{title}. Текст статьи номер {title}.", published, url=url, lang="ru")
    return (await ArticleRepo(db).add(prepare(draft).row, ingested_by=None)).article


async def entities_of(db: Database, a: Article, *names: str) -> dict[str, int]:
    """Stores people named in an article as the analysis would; their keys mapped to entity ids."""
    people = tuple(Entity(f"PER:{n.lower()}", "PER", n, (Mention(0, len(n), n, 0),)) for n in names)
    analysis = ArticleAnalysis("ru", people, (), (), ())
    return await EntityStore(db).save(a, Understanding(a.id, analysis))


async def add(db: Database, article_id: int, title: str, events: list[Event], ids: dict[str, int]) -> None:
    """One article's events merged as the Analyzer does: in a transaction, through the production merge."""
    async with db.transaction() as conn:
        await merge_articles(EventRepo(db), conn, [ArticleEvents(article_id, title, tuple(events), ids)])


def event(begin: dt.date, end: dt.date, granularity: str, text: str, *keys: str) -> Event:
    return Event(begin, end, granularity, text, keys, 0)


async def test_same_event_from_two_articles_is_stored_once_with_the_finer_date_and_both_sources(
    db: Database,
) -> None:
    events = EventRepo(db)
    first = await article(db, "План из 28 пунктов", D(2025, 11, 25), url="https://example.org/a")
    second = await article(db, "США и мирный план", D(2025, 11, 27))
    ids = await entities_of(db, first, "Дональд Трамп")
    await add(
        db,
        first.id,
        first.title,
        [
            event(
                D(2025, 11, 1),
                D(2025, 11, 30),
                "month",
                "США подготовили мирный план по Украине из 28 пунктов",
            )
        ],
        ids,
    )
    ids = await entities_of(db, second, "Дональд Трамп")
    await add(
        db,
        second.id,
        second.title,
        [
            event(
                D(2025, 11, 20),
                D(2025, 11, 20),
                "day",
                "Администрация США подготовила мирный план по Украине из 28 пунктов",
                "PER:дональд трамп",
            )
        ],
        ids,
    )
    (stored,) = await events.matching(query_stems("мирный план"))
    assert (stored.begin, stored.granularity) == (D(2025, 11, 20), "day")
    assert stored.text.startswith("Администрация США")
    assert stored.source_count == 2
    assert [s.title for s in stored.sources] == ["План из 28 пунктов", "США и мирный план"]
    assert stored.sources[0].url == "https://example.org/a"
    (trump,) = await EntityStore(db).find("Трамп")
    assert [e.id for e in await events.involving(trump.id)] == [stored.id]


async def test_different_events_on_the_same_day_stay_apart(db: Database) -> None:
    events = EventRepo(db)
    a = await article(db, "Визит", D(2025, 11, 26))
    b = await article(db, "Ставка", D(2025, 11, 26))
    day = D(2025, 11, 26)
    await add(
        db, a.id, a.title, [event(day, day, "day", "Трамп анонсировал визит спецпосланника в Москву")], {}
    )
    await add(
        db, b.id, b.title, [event(day, day, "day", "Центробанк снизил ключевую ставку до 16 процентов")], {}
    )
    assert len(await events.between(day, day)) == 2


async def test_words_match_the_clause_or_the_headline_of_its_article(db: Database) -> None:
    events = EventRepo(db)
    a = await article(db, "Переговоры в Минске", D(2025, 11, 26))
    await add(db, a.id, a.title, [event(D(2022, 3, 1), D(2022, 5, 31), "season", "Стороны взяли паузу")], {})
    assert [e.text for e in await events.matching(query_stems("переговорам"))] == ["Стороны взяли паузу"]
    assert [e.text for e in await events.matching(query_stems("паузы"))] == ["Стороны взяли паузу"]
    assert await events.matching(query_stems("Стамбул")) == []


async def test_positions_follow_the_timeline_order() -> None:
    intervals = [
        (D(2025, 1, 1), D(2025, 12, 31), "year"),
        (D(2025, 1, 1), D(2025, 1, 31), "month"),
        (D(2025, 1, 1), D(2025, 1, 1), "day"),
        (D(2025, 11, 1), D(2025, 11, 30), "month"),
        (D(2025, 11, 26), D(2025, 11, 26), "day"),
        (D(2025, 12, 1), D(2025, 12, 7), "week"),
        (D(2024, 12, 1), D(2025, 2, 28), "season"),
    ]
    by_key = sorted(intervals, key=lambda i: sort_key(*i))
    # Cluster ids in reverse: the id only breaks ties, it never reorders.
    by_position = sorted(intervals, key=lambda i: position(Event(*i, "", (), 0), 1000 - intervals.index(i)))
    assert by_position == by_key


async def test_pages_forward_and_back_cover_every_event_once_in_order(db: Database) -> None:
    events = EventRepo(db)
    a = await article(db, "Хроника", D(2025, 1, 31))
    topics = ["выборы", "паводок", "урожай", "стачка", "саммит", "указ", "запуск", "матч", "концерт", "суд"]
    stored = [
        event(
            D(2025, 1, 1) + dt.timedelta(days=i),
            D(2025, 1, 1) + dt.timedelta(days=i),
            "day",
            f"{t} номер {i}",
        )
        for i, t in enumerate(topics * 2 + topics[:5])
    ]
    await add(db, a.id, a.title, stored, {})
    first = await events.between(D(2025, 1, 1), D(2025, 1, 31), limit=10)
    second = await events.between(D(2025, 1, 1), D(2025, 1, 31), after=first[-1].position, limit=10)
    third = await events.between(D(2025, 1, 1), D(2025, 1, 31), after=second[-1].position, limit=10)
    assert [len(first), len(second), len(third)] == [10, 10, 5]
    days = [e.begin for e in first + second + third]
    assert days == sorted(days) and len(set(days)) == 25
    back = await events.between(D(2025, 1, 1), D(2025, 1, 31), before=third[0].position, limit=10)
    assert back == second


async def test_a_surname_merged_into_the_full_name_keeps_its_events(db: Database) -> None:
    events = EventRepo(db)
    early = await article(db, "Уиткофф в Москве", D(2025, 11, 20))
    ids = await entities_of(db, early, "Уиткофф")
    day = D(2025, 11, 20)
    await add(
        db, early.id, early.title, [event(day, day, "day", "Уиткофф прилетел в Москву", "PER:уиткофф")], ids
    )
    later = await article(db, "Стив Уиткофф", D(2025, 11, 27))
    await entities_of(db, later, "Стив Уиткофф")  # absorbs the surname-only person
    (person,) = await EntityStore(db).find("Уиткофф")
    assert person.name == "Стив Уиткофф"
    assert [e.text for e in await events.involving(person.id)] == ["Уиткофф прилетел в Москву"]


async def test_an_article_is_merged_once_and_clear_forgets_everything(db: Database) -> None:
    events = EventRepo(db)
    a = await article(db, "Саммит", D(2025, 6, 1))
    reports = [event(D(2025, 6, 1), D(2025, 6, 1), "day", "Лидеры открыли саммит в Брюсселе")]
    await add(db, a.id, a.title, reports, {})
    await add(db, a.id, a.title, reports, {})
    (stored,) = await events.matching(query_stems("саммит"))
    assert stored.source_count == 1
    await events.clear()
    assert await events.matching(query_stems("саммит")) == []
    assert await events.between(D(2025, 1, 1), D(2025, 12, 31)) == []
