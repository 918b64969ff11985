"""Storing analyses: once per article, together with what derives from them, failures recorded apart."""

from __future__ import annotations

import datetime as dt
import errno
import sqlite3

import aiosqlite
import pytest

from bot.analysis.article import ArticleAnalysis
from bot.analysis.entities import Entity, Mention
from bot.analysis.roles import Role
from bot.analysis.service import is_transient
from bot.analysis.understanding import Understanding
from bot.ingest.drafts import ArticleDraft, prepare
from bot.who.store import EntityStore
from storage.articles import Article, ArticleRepo
from storage.database import Database
from storage.entities import AnalysisFailure, FailureCounts


@pytest.fixture
async def db(storage_db: Database) -> Database:
    return storage_db  # SQLite, and PostgreSQL when one answers (tests/conftest.py)


async def article(db: Database, title: str) -> Article:
    published = dt.datetime(2025, 11, 20, 12, tzinfo=dt.UTC)
    draft = ArticleDraft(title, f"{title}. Текст статьи.", published, lang="ru")
    return (await ArticleRepo(db).add(prepare(draft).row, ingested_by=None)).article


def naming(a: Article, *names: str) -> Understanding:
    people = tuple(Entity(f"PER:{n.lower()}", "PER", n, (Mention(0, len(n), n, 0),)) for n in names)
    return Understanding(a.id, ArticleAnalysis("ru", people, (), (), ()))


async def people(db: Database) -> list[tuple[str, int, int]]:
    rows = await db.conn.execute_fetchall("SELECT name, mentions, articles FROM entities ORDER BY name")
    return [tuple(r) for r in rows]  # type: ignore[misc]


async def test_storing_an_analysis_twice_stores_it_once(db: Database) -> None:
    entities = EntityStore(db)
    a = await article(db, "Первая")
    assert await entities.save(a, naming(a, "Сергей Лавров", "Хакан Фидан")) is not None
    before = await people(db)
    assert await entities.save(a, naming(a, "Сергей Лавров", "Хакан Фидан")) is None
    assert await people(db) == before == [("Сергей Лавров", 1, 1), ("Хакан Фидан", 1, 1)]


async def test_what_derives_from_a_batch_is_stored_with_it_or_not_at_all(db: Database) -> None:
    entities = EntityStore(db)
    a, b = await article(db, "Первая"), await article(db, "Вторая")

    async def failing(conn: aiosqlite.Connection, maps: list[dict[str, int] | None]) -> None:
        assert [m is not None for m in maps] == [True, True]
        raise RuntimeError("the events could not be written")

    with pytest.raises(RuntimeError):
        batch = [(a, naming(a, "Сергей Лавров")), (b, naming(b, "Кир Стармер"))]
        await entities.save_many(batch, then=failing)
    assert await people(db) == []
    assert await entities.unanalysed(limit=10) == [a.id, b.id]


async def test_failed_for_good_is_not_queued_again_but_a_transient_failure_is(db: Database) -> None:
    entities = EntityStore(db)
    a, b, c = await article(db, "Первая"), await article(db, "Вторая"), await article(db, "Третья")
    await entities.record_failures(
        [AnalysisFailure(a.id, "ValueError: odd text", transient=False), AnalysisFailure(b.id, "full", True)]
    )
    assert await entities.failure_counts() == FailureCounts(failed=1, waiting=1)
    assert await entities.unanalysed(limit=10) == [b.id, c.id]
    await entities.save(b, naming(b, "Кир Стармер"))  # stored at last: no longer a failure
    assert await entities.failure_counts() == FailureCounts(failed=1, waiting=0)
    await entities.clear()  # a reindex tries every article again
    assert await entities.failure_counts() == FailureCounts(failed=0, waiting=0)
    assert await entities.unanalysed(limit=10) == [a.id, b.id, c.id]


async def test_a_reindex_forgets_analyses_and_what_derives_from_them_together(db: Database) -> None:
    entities = EntityStore(db)
    a = await article(db, "Первая")
    await entities.save(a, naming(a, "Сергей Лавров"))

    async def failing(conn: aiosqlite.Connection) -> None:
        raise RuntimeError("the events could not be forgotten")

    with pytest.raises(RuntimeError):
        await entities.clear(then=failing)
    assert await people(db) == [("Сергей Лавров", 1, 1)]
    assert await entities.unanalysed(limit=10) == []


def test_faults_of_the_storage_are_transient_and_faults_of_an_article_are_not() -> None:
    full, plain = sqlite3.connect(":memory:"), sqlite3.connect(":memory:")
    full.execute("CREATE TABLE t (x)")
    full.execute("PRAGMA max_page_count = 2")
    with pytest.raises(sqlite3.OperationalError) as disk_full:
        full.executemany("INSERT INTO t VALUES (?)", [("x" * 4000,)] * 10)
    with pytest.raises(sqlite3.IntegrityError) as refused:
        plain.execute("CREATE TABLE u (x UNIQUE)")
        plain.executemany("INSERT INTO u VALUES (?)", [(1,), (1,)])
    assert is_transient(disk_full.value)
    assert is_transient(OSError(errno.ENOSPC, "No space left on device"))
    assert not is_transient(refused.value)
    assert not is_transient(TimeoutError())
    assert not is_transient(ValueError("odd text"))


async def test_a_full_name_absorbs_its_surname_stored_alone_in_the_same_article_or_later(
    db: Database,
) -> None:
    entities = EntityStore(db)
    a, b = await article(db, "Первая"), await article(db, "Вторая")
    # In one article: the surname, created first, is merged into the full name before any row is written.
    ids = await entities.save(a, naming(a, "Уиткофф", "Стив Уиткофф"))
    assert ids is not None and ids["PER:уиткофф"] == ids["PER:стив уиткофф"]
    assert await people(db) == [("Стив Уиткофф", 2, 1)]
    # Across a batch: the first article's rows follow the surname into the full name.
    c = await article(db, "Третья")
    first, second = await entities.save_many([(b, naming(b, "Браун")), (c, naming(c, "Гордон Браун"))])
    assert first is not None and second is not None and first["PER:браун"] == second["PER:гордон браун"]
    assert ("Гордон Браун", 2, 2) in await people(db)
    (found,) = await entities.find("Браун")
    assert found.name == "Гордон Браун"


async def test_misread_and_shortened_names_are_stored_under_the_person(db: Database) -> None:
    entities = EntityStore(db)
    a, b, c = await article(db, "Первая"), await article(db, "Вторая"), await article(db, "Третья")
    await entities.save(a, naming(a, "Азия Биби", "Салман Тасир"))
    await entities.save(b, naming(b, "Азию-Биби"))  # one word, joined by a hyphen
    await entities.save(c, naming(c, "Сергей Скрипаль", "Юлия Скрипаль", "Юлия"))  # a first name alone
    assert await people(db) == [
        ("Азия Биби", 2, 2),
        ("Салман Тасир", 1, 1),
        ("Сергей Скрипаль", 1, 1),
        ("Юлия Скрипаль", 2, 1),
    ]
    (found,) = await entities.find("Юлия")
    assert found.name == "Юлия Скрипаль"


def test_postgresql_faults_that_pass_are_transient_and_a_statements_own_are_not() -> None:
    import asyncpg

    assert is_transient(asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"))
    assert is_transient(asyncpg.exceptions.CannotConnectNowError("the database system is starting up"))
    assert is_transient(asyncpg.exceptions.DiskFullError("could not extend file"))
    assert is_transient(asyncpg.exceptions.DeadlockDetectedError("deadlock detected"))
    assert is_transient(asyncpg.exceptions.InterfaceError("connection is closed"))
    assert not is_transient(asyncpg.exceptions.UniqueViolationError("duplicate key"))
    assert not is_transient(asyncpg.exceptions.NotNullViolationError("null value"))


async def test_a_card_shows_a_title_once_whatever_its_letter_case(db: Database) -> None:
    """SQLite's lower() folds only ASCII: "президент США" and "президент сша" were two titles on its cards."""
    entities = EntityStore(db)
    name = "Дональд Трамп"
    key = f"PER:{name.lower()}"
    written = (("Первая", "президент США"), ("Вторая", "президент сша"), ("Третья", "президент США"))
    for title, role in written:
        a = await article(db, title)
        person = Entity(key, "PER", name, (Mention(0, len(name), name, 0),))
        roles = (Role(key, role, 0, 0, len(role)),)
        await entities.save(a, Understanding(a.id, ArticleAnalysis("ru", (person,), roles, (), ())))
    (found,) = await entities.find("Трамп")
    card = await entities.card(found.id)
    assert card is not None
    assert [(r.title, r.articles) for r in card.roles] == [("президент США", 3)]  # as two of three write it
