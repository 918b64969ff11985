"""Stories in the database: StoryRepo loads and writes; `bot.digest.store` assigns in one transaction."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest

from bot.digest import store
from bot.digest.inputs import story_inputs
from bot.digest.stories import AssignmentInput, assign_stories, centroid_from_json
from bot.ingest.drafts import ArticleDraft, prepare
from storage.articles import Article, ArticleRepo
from storage.database import Database
from storage.stories import ArticleText, StoryRepo
from tests.conftest import two_instances

NOON = dt.datetime(2024, 5, 14, 12, tzinfo=dt.UTC)
BRIDGE = (
    "В Томске закрыли Коммунальный мост через Томь на ремонт",
    "Коммунальный мост через Томь в Томске закрыли для движения транспорта на три месяца. "
    "Мэрия объяснила закрытие ремонтом опор, которые размыло весенним паводком.",
)
REWRITE = (
    "Мэрия Томска на три месяца перекрыла Коммунальный мост",
    "Движение по Коммунальному мосту через Томь перекрыто: городские власти начали ремонт опор моста, "
    "поврежденных паводком. Ремонт продлится до августа.",
)
METRO = (
    "В Казани открыли новую станцию метро «Дубравная»",
    "Станцию метро «Дубравная» открыли в Казани в пятницу. Поезда начнут возить пассажиров с субботы.",
)


@pytest.fixture
async def db(storage_db: Database) -> Database:
    return storage_db  # SQLite, and PostgreSQL when one answers (tests/conftest.py)


async def add(db: Database, article: tuple[str, str], published: dt.datetime) -> Article:
    draft = ArticleDraft(article[0], article[1], published, lang="ru", source="agency")
    return (await ArticleRepo(db).add(prepare(draft).row, ingested_by=None)).article


def text(a: Article) -> ArticleText:
    return ArticleText(a.id, a.title, a.text, a.lang, a.published_at, a.source or "")


async def test_articles_join_stored_stories_across_batches(db: Database) -> None:
    repo = StoryRepo(db)
    bridge, metro = await add(db, BRIDGE, NOON), await add(db, METRO, NOON + dt.timedelta(minutes=5))
    assert await repo.unassigned(10) == [text(bridge), text(metro)]
    first = await store.assign(repo, story_inputs([text(bridge), text(metro)], None))
    assert first == {bridge.id: 1, metro.id: 2}
    rewrite = await add(db, REWRITE, NOON + dt.timedelta(days=1))
    assert await store.assign(repo, story_inputs([text(rewrite)], None)) == {rewrite.id: 1}
    assert await repo.unassigned(10) == []

    async with repo.transaction() as conn:
        assert await repo.last_id(conn) == 2
        (story,) = await repo.open_stories(conn, ["ru"], NOON + dt.timedelta(hours=1))
    centroid = centroid_from_json(story.centroid)
    assert (story.id, centroid.size, centroid.last_published) == (1, 2, NOON + dt.timedelta(days=1))
    frequencies = await store.frequencies(repo)
    assert frequencies.documents == 3 and frequencies.counts["мост"] == 2

    until = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    assert sorted(await repo.touched(None, until)) == [1, 2]
    (material,) = store.materials(await repo.reports([1], until))
    assert material.story_id == 1
    assert [a.article_id for a in material.articles] == [rewrite.id, bridge.id]  # newest ingested first
    assert material.articles[1].title == BRIDGE[0] and material.articles[1].source == "agency"


async def test_stored_stems_survive_a_restart(db: Database) -> None:
    bridge = await add(db, BRIDGE, NOON)
    await store.assign(StoryRepo(db), story_inputs([text(bridge)], None))
    again = await store.frequencies(StoryRepo(db))
    assert again.documents == 1 and again.counts["томск"] == 1


async def test_two_instances_assign_one_after_the_other(tmp_path: Path) -> None:
    """Two processes on one PostgreSQL database: an assignment waits for the other's commit, so their new
    stories get different ids (both numbered from the same last id before: a UniqueViolation)."""
    async with two_instances(tmp_path) as (one, other):
        bridge, metro = await add(one, BRIDGE, NOON), await add(one, METRO, NOON)
        first, second = StoryRepo(one), StoryRepo(other)
        batch = story_inputs([text(bridge)], None)
        async with first.transaction() as conn:
            decided = assign_stories(AssignmentInput(tuple(batch), (), await first.last_id(conn)))
            waiting = asyncio.create_task(store.assign(second, story_inputs([text(metro)], None)))
            await asyncio.sleep(0.5)
            assert not waiting.done()  # the other instance waits for this one's commit
            await first.write(conn, store.changes(batch, decided))
        assert await waiting == {metro.id: 2}
        assert dict(decided.story_of) == {bridge.id: 1}
