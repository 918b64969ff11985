"""An article's text replaced (an edited channel post, #15): the article and its full-text row change in
place, and its analysis is taken back in the same transaction — its rows go, what was counted from them is
counted again from the rows that remain, and it waits to be analysed again. Both engines."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.analysis.article import ArticleAnalysis
from bot.analysis.entities import Entity, Mention
from bot.analysis.events import Event
from bot.analysis.quotes import Quote
from bot.analysis.roles import Role
from bot.analysis.stems import query_stems
from bot.analysis.understanding import Understanding
from bot.ingest.drafts import ArticleDraft, prepare
from bot.pipeline import AnalysisTransaction
from bot.timeline.merge import ArticleEvents
from bot.timeline.service import TimelineService, merge_articles
from bot.who.store import EntityStore
from storage.analysis_queue import AnalysisQueue
from storage.articles import Article, ArticleRepo, NewArticle, Replaced, TextChange
from storage.database import Database
from storage.events import EventRepo

D = dt.date
DAY = dt.datetime(2025, 11, 20, 12, tzinfo=dt.UTC)


@pytest.fixture
async def db(storage_db: Database) -> Database:
    return storage_db  # SQLite, and PostgreSQL when one answers (tests/conftest.py)


def row(title: str, text: str, url: str | None = None) -> NewArticle:
    return prepare(ArticleDraft(title, text, DAY, url=url, lang="ru")).row


async def stored(db: Database, title: str, text: str, url: str | None = None) -> Article:
    return (await ArticleRepo(db).add(row(title, text, url), ingested_by=None)).article


async def analyse(db: Database, a: Article, names: list[str], events: list[Event], role: str = "") -> None:
    """An article's analysis stored as the Analyzer stores it: entities, then its events, one transaction."""
    people = tuple(Entity(f"PER:{n.lower()}", "PER", n, (Mention(0, len(n), n, 0),)) for n in names)
    key = people[0].key
    roles = (Role(key, role, 0, 0, 1),) if role else ()
    quotes = (Quote(key, f"{role} сказал своё", "statement", 0, 1),) if role else ()
    understanding = Understanding(a.id, ArticleAnalysis("ru", people, roles, quotes, ()))

    async def then(conn: Any, maps: list[dict[str, int] | None]) -> None:
        (ids,) = maps
        assert ids is not None
        await merge_articles(EventRepo(db), conn, [ArticleEvents(a.id, a.title, tuple(events), ids)])

    await EntityStore(db).save_many([(a, understanding)], then=then)


async def replace(db: Database, article_id: int, new: NewArticle) -> Replaced:
    """What ArticlePipeline.replace does in its transaction (the Analyzer's take_back, step by step)."""
    entities = EntityStore(db)
    articles = ArticleRepo(db)
    async with articles.transaction() as conn:
        await entities.lock_writers(conn)
        replaced = await articles.replace(conn, article_id, new)
        if replaced.change is TextChange.REPLACED:
            await entities.forget_articles(conn, [article_id])
            await AnalysisTransaction(TimelineService(EventRepo(db), entities, ZoneInfo("UTC"))).take_back(
                conn, [article_id]
            )
            await AnalysisQueue(db, "test").forget(conn, [article_id])
    return replaced


async def rows(db: Database, sql: str, *params: object) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in await db.conn.execute_fetchall(sql, params)]


async def people(db: Database) -> list[tuple[Any, ...]]:
    return await rows(db, "SELECT name, mentions, articles FROM entities ORDER BY name")


PLAN_DAY = Event(
    D(2025, 11, 20), D(2025, 11, 20), "day", "Администрация США подготовила мирный план по Украине",
    ("PER:сергей лавров",), 0,
)  # fmt: skip
PLAN_MONTH = Event(
    D(2025, 11, 1),
    D(2025, 11, 30),
    "month",
    "США подготовили мирный план по Украине",
    ("PER:дональд трамп",),
    0,
)
BRIDGE = Event(D(2025, 11, 19), D(2025, 11, 19), "day", "В Анкаре открыли вантовый мост", (), 0)
HARVEST = Event(D(2025, 10, 1), D(2025, 10, 31), "month", "Фермеры собрали рекордный урожай пшеницы", (), 0)


async def test_an_edited_article_loses_its_analysis_and_the_events_are_recounted_from_the_rest(
    db: Database,
) -> None:
    a = await stored(
        db, "Лавров о плане", "Лавров о плане. Администрация готовит план.", "https://t.me/c/1/1"
    )
    b = await stored(db, "Трамп о плане", "Трамп о плане. США готовят план.")
    c = await stored(db, "Фидан и урожай", "Фидан и урожай. Рекордный урожай пшеницы.")
    await analyse(db, a, ["Сергей Лавров", "Дональд Трамп"], [PLAN_DAY, BRIDGE], role="министр")
    await analyse(db, b, ["Дональд Трамп"], [PLAN_MONTH])
    await analyse(db, c, ["Хакан Фидан", "Дональд Трамп"], [HARVEST])
    events = EventRepo(db)
    (plan,) = await events.matching(query_stems("мирный план"))
    assert plan.source_count == 2 and plan.granularity == "day"  # A's day-precise report represents it
    assert await events.matching(query_stems("Анкаре"))
    (harvest_before,) = await rows(db, "SELECT * FROM event_clusters WHERE text LIKE 'Фермеры%'")
    b_rows = await rows(db, "SELECT * FROM mentions WHERE article_id != ? ORDER BY id", a.id)

    replaced = await replace(db, a.id, row("Песков о погоде", "Песков о погоде. Дожди в Москве."))

    assert replaced.change is TextChange.REPLACED and replaced.article is not None
    now = replaced.article
    assert (now.id, now.url, now.published_at, now.ingested_at) == (
        a.id,
        a.url,
        a.published_at,
        a.ingested_at,
    )
    assert (now.title, now.text) == ("Песков о погоде", "Песков о погоде. Дожди в Москве.")
    articles = ArticleRepo(db)
    assert [x.id for x in await articles.search(query_stems("Лавров"))] == []
    assert [x.id for x in await articles.search(query_stems("дожди"))] == [a.id]
    assert await articles.count() == 3

    # The article's own rows are gone; a person only it named goes, the others are counted again.
    for table in ("mentions", "roles", "quotes", "article_entities", "analyses", "event_reports"):
        assert await rows(db, f"SELECT * FROM {table} WHERE article_id = ?", a.id) == [], table
    assert await people(db) == [("Дональд Трамп", 2, 2), ("Хакан Фидан", 1, 1)]
    assert await rows(db, "SELECT term FROM entity_terms WHERE term = 'лавров'") == []
    pairs = await rows(
        db,
        "SELECT e.name, o.name, p.articles FROM entity_pairs p JOIN entities e ON e.id = p.entity_id"
        " JOIN entities o ON o.id = p.other_id ORDER BY e.name",
    )
    assert pairs == [("Дональд Трамп", "Хакан Фидан", 1), ("Хакан Фидан", "Дональд Трамп", 1)]
    assert await rows(db, "SELECT * FROM mentions WHERE article_id != ? ORDER BY id", a.id) == b_rows

    # The plan is B's alone now: its month, its clause, one source, no word only A used.
    (plan_after,) = await events.matching(query_stems("мирный план"))
    assert (plan_after.id, plan_after.source_count, plan_after.granularity) == (plan.id, 1, "month")
    assert plan_after.text == PLAN_MONTH.text and [s.id for s in plan_after.sources] == [b.id]
    assert await events.matching(query_stems("администрация")) == []
    trump = (await EntityStore(db).find("Дональд Трамп"))[0]
    assert [e.id for e in await events.involving(trump.id)] == [plan.id]
    (participants,) = await rows(db, "SELECT participants FROM event_clusters WHERE id = ?", plan.id)
    assert participants == (str(trump.id),)
    # The bridge only A reported: gone with its index rows and its stems' counts.
    assert await events.matching(query_stems("Анкаре")) == []
    assert await rows(db, "SELECT count(*) FROM event_clusters") == [(2,)]
    assert await rows(db, "SELECT * FROM event_terms WHERE term = 'вантов'") == []
    assert await rows(db, "SELECT * FROM event_term_counts WHERE term = 'вантов'") == []
    (admin,) = await rows(db, "SELECT count(*) FROM event_terms WHERE term = 'администрац'")
    assert admin == (0,)
    # C's event is untouched.
    assert await rows(db, "SELECT * FROM event_clusters WHERE text LIKE 'Фермеры%'") == [harvest_before]

    # It waits to be analysed again, and an analysis of the text it had cannot be stored any more.
    assert a.id in await AnalysisQueue(db, "test").waiting()
    old = Understanding(a.id, ArticleAnalysis("ru", (), (), (), ()))
    assert await EntityStore(db).save(a, old) is None
    assert await rows(db, "SELECT * FROM analyses WHERE article_id = ?", a.id) == []
    fresh = await articles.get(a.id)
    assert fresh is not None
    await analyse(db, fresh, ["Дмитрий Песков"], [])
    assert ("Дмитрий Песков", 1, 1) in await people(db)
    assert await rows(db, "SELECT count(*) FROM analyses WHERE article_id = ?", a.id) == [(1,)]


async def test_the_same_text_or_another_articles_text_changes_nothing(db: Database) -> None:
    a = await stored(db, "Лавров о плане", "Лавров о плане. Администрация готовит план.")
    b = await stored(db, "Трамп о плане", "Трамп о плане. США готовят план.")
    await analyse(db, a, ["Сергей Лавров"], [PLAN_DAY])
    before = await rows(db, "SELECT * FROM articles ORDER BY id")
    mentions = await rows(db, "SELECT * FROM mentions ORDER BY id")

    same = await replace(db, a.id, row("Лавров  о плане", "Лавров о плане. Администрация готовит план!"))
    assert same.change is TextChange.SAME
    duplicate = await replace(db, a.id, row(b.title, b.text))
    assert (duplicate.change, duplicate.duplicate_of) == (TextChange.DUPLICATE, b.id)
    assert (await replace(db, 999_999, row("Нет", "Нет такой статьи."))).change is TextChange.GONE

    assert await rows(db, "SELECT * FROM articles ORDER BY id") == before
    assert await rows(db, "SELECT * FROM mentions ORDER BY id") == mentions
    assert await EventRepo(db).matching(query_stems("администрация"))
    assert a.id not in await AnalysisQueue(db, "test").waiting()
