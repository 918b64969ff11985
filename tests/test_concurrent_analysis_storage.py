"""Two processes storing analyses at once on one PostgreSQL (#14: the bot and `python -m bot worker`): an
entity new to both is created once, and neither store fails on the entities' UNIQUE key."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from bot.analysis.article import ArticleAnalysis
from bot.analysis.entities import Entity, Mention
from bot.analysis.understanding import Understanding
from bot.ingest.drafts import ArticleDraft, prepare
from bot.who.store import EntityStore
from storage.articles import Article, ArticleRepo
from storage.database import Database
from tests.conftest import two_instances


async def article(db: Database, title: str) -> Article:
    published = dt.datetime(2025, 11, 20, 12, tzinfo=dt.UTC)
    draft = ArticleDraft(title, f"{title}. Текст статьи.", published, lang="ru")
    return (await ArticleRepo(db).add(prepare(draft).row, ingested_by=None)).article


def naming(a: Article, *names: str) -> Understanding:
    found = tuple(Entity(f"ORG:{n.lower()}", "ORG", n, (Mention(0, len(n), n, 0),)) for n in names)
    return Understanding(a.id, ArticleAnalysis("ru", found, (), (), ()))


async def test_two_connections_storing_the_same_new_entity_at_once_create_it_once(tmp_path: Path) -> None:
    async with two_instances(tmp_path) as (first, second):
        rounds = 8
        for n in range(rounds):
            names = [f"Компания{n}", f"Фонд{n}", f"Банк{n}"]
            a = await article(first, f"Первая статья {n}")
            b = await article(first, f"Вторая статья {n}")
            # Each connection sees none of these entities, and both create them in the same moment.
            await asyncio.gather(
                EntityStore(first).save(a, naming(a, *names)),
                EntityStore(second).save(b, naming(b, *reversed(names))),
            )
        rows = await first.conn.execute_fetchall("SELECT name, articles FROM entities ORDER BY name")
        assert len(rows) == 3 * rounds
        assert {row[1] for row in rows} == {2}  # each entity once, named by both articles
        ((analysed,),) = await first.conn.execute_fetchall("SELECT count(*) FROM analyses")
        assert analysed == 2 * rounds
