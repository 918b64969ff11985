"""/timeline latency over a large archive: 100,000 articles, 1,000,000 event reports, in a SQLite file.

    .venv/bin/python -m bench.timeline                       # 100k articles × 10 events, then the queries
    .venv/bin/python -m bench.timeline --database /tmp/tl.sqlite3   # keep the archive; a rerun reuses it
    .venv/bin/python -m bench.timeline --articles 10000      # a quick run

The archive is synthetic and goes in without the language models: people and places through
ArticleRepo.add and EntityStore.save, the articles in bulk (ArticleRepo's rows; one at a time would
dominate the run), and each article's events through bot.timeline.service.merge_articles, which merges
them into the stored events exactly as the analysis hook does. Words follow a Zipf law over a generated
vocabulary; about half the reports retell an earlier event in other words, some with a coarser date, so
events merge as in the news. Generating 100k articles takes about a quarter of an hour on two cores (the
merge, not the queries). Then /timeline is timed as a user meets it, minus Telegram: the service finds the
topic and reads a page, the renderer fits it into one message.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import random
import statistics
import tempfile
import time
from bisect import bisect_left
from collections.abc import Awaitable, Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from aiogram.utils.i18n import I18n

from bot.analysis.article import ArticleAnalysis
from bot.analysis.entities import Entity, Mention
from bot.analysis.events import Event
from bot.analysis.understanding import Understanding
from bot.ingest.drafts import ArticleDraft, prepare
from bot.search import read_query
from bot.search import search as find
from bot.telegram import replies
from bot.telegram.i18n import create_i18n
from bot.timeline.merge import ArticleEvents
from bot.timeline.service import TimelineService, merge_articles
from bot.who.service import WhoService
from bot.who.store import EntityStore
from storage.articles import ArticleRepo, utc_iso
from storage.database import Database
from storage.events import EventRepo
from storage.stories import StoryRepo

FIRST_DAY = dt.date(2016, 1, 1)
LAST_DAY = dt.date(2025, 12, 31)
FIRST_MOMENT = dt.datetime(2016, 1, 1, tzinfo=dt.UTC)
VOCABULARY = 30_000
ENTITIES = 3_000
BATCH = 500  # articles per merge_articles transaction
SYLLABLES = (
    "ба",
    "ве",
    "го",
    "ди",
    "жу",
    "за",
    "ки",
    "ло",
    "ма",
    "не",
    "по",
    "ру",
    "са",
    "ти",
    "фу",
    "ха",
    "це",
    "чи",
    "ша",
    "ют",
    "ян",
    "ор",
    "ел",
    "ис",
    "ум",
    "ар",
)
ZONE = ZoneInfo("Europe/Moscow")
SEED = 7


class Zipf:
    """Picks items with probability proportional to 1 / (rank + offset): a few common, most rare.

    An offset of 20 leaves out the function words the analysis drops: the most common content word is
    then in about one event in fifteen, as "Россия" is in Russian news.
    """

    def __init__(self, items: list[str], chooser: random.Random, offset: int = 0) -> None:
        self.items = items
        self._cumulative = list(
            itertools.accumulate(1 / (rank + offset) for rank in range(1, len(items) + 1))
        )
        self._chooser = chooser

    def pick(self) -> str:
        return self.items[bisect_left(self._cumulative, self._chooser.random() * self._cumulative[-1])]

    def sample(self, count: int) -> list[str]:
        return list(dict.fromkeys(self.pick() for _ in range(count)))


def vocabulary(count: int, chooser: random.Random) -> list[str]:
    made: dict[str, None] = {}
    while len(made) < count:
        made["".join(chooser.choice(SYLLABLES) for _ in range(chooser.randint(2, 4)))] = None
    return list(made)


def interval(day: dt.date, chooser: random.Random) -> tuple[dt.date, dt.date, str]:
    """A day mostly; else the week, month, part of a month, season or year around it."""
    roll = chooser.random()
    if roll < 0.6:
        return day, day, "day"
    if roll < 0.67:
        monday = day - dt.timedelta(days=day.weekday())
        return monday, monday + dt.timedelta(days=6), "week"
    month_end = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    if roll < 0.82:
        return day.replace(day=1), month_end, "month"
    if roll < 0.87:
        return day.replace(day=21), month_end, "part_of_month"
    if roll < 0.9:  # spring is March–May, winter December–February (bot.analysis.timeexpr)
        month = day.month - day.month % 3
        start = dt.date(day.year, month, 1) if month else dt.date(day.year - 1, 12, 1)
        last = (start.replace(day=28) + dt.timedelta(days=65)).replace(day=1) - dt.timedelta(days=1)
        return start, last, "season"
    return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31), "year"


def coarser(begin: dt.date, end: dt.date, granularity: str) -> tuple[dt.date, dt.date, str]:
    """The month of a day-dated event: how a retelling often dates it."""
    if granularity != "day":
        return begin, end, granularity
    month_end = (begin.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    return begin.replace(day=1), month_end, "month"


async def store_entities(articles: ArticleRepo, entities: EntityStore, names: list[str]) -> list[int]:
    """People and places stored as the analysis would, a hundred per roster article; their ids."""
    ids: list[int] = []
    for start in range(0, len(names), 100):
        chunk = names[start : start + 100]
        draft = ArticleDraft(
            f"Список {start}", " ".join(chunk), dt.datetime(2015, 1, 1, tzinfo=dt.UTC), lang="ru"
        )
        article = (await articles.add(prepare(draft).row, ingested_by=None)).article
        kinds = ["LOC" if n.endswith("ск") else "ORG" for n in chunk]
        found = tuple(
            Entity(f"{k}:{n}", k, n, (Mention(0, len(n), n, 0),)) for n, k in zip(chunk, kinds, strict=True)
        )
        keys = await entities.save(
            article, Understanding(article.id, ArticleAnalysis("ru", found, (), (), ()))
        )
        ids += [keys[e.key] for e in found]
    return ids


def lexicon(chooser: random.Random) -> tuple[Zipf, list[str]]:
    """The words and the names of the archive, the same for the same chooser seed."""
    words = Zipf(vocabulary(VOCABULARY, chooser), chooser, offset=20)
    names = [n.capitalize() + chooser.choice(["ск", "ком", "ия"]) for n in vocabulary(ENTITIES, chooser)]
    return words, names


def topics(words: Zipf, names: list[str], chooser: random.Random) -> dict[str, list[str]]:
    """What to ask about, by kind: words of each frequency, entity names, names nobody has."""
    return {
        "entity, most eventful": [names[0]],
        "entity, any": chooser.sample(names, 40),
        "words, common": words.items[5:45],
        "words, mid-frequency": words.items[500:540],
        "words, rare": words.items[20_000:20_040],
        "two words": [f"{words.items[i]} {words.items[i + 1]}" for i in range(100, 140)],
        "unknown": ["".join(chooser.choice(SYLLABLES) for _ in range(6)) for _ in range(40)],
    }


async def generate(db: Database, count: int, per_article: int, chooser: random.Random) -> None:
    """The archive: roster articles with the entities, then `count` articles of `per_article` events."""
    words, names = lexicon(chooser)
    articles, entities, events = ArticleRepo(db), EntityStore(db), EventRepo(db)
    entity_ids = await store_entities(articles, entities, names)
    people = Zipf([str(i) for i in entity_ids], chooser)
    span = (LAST_DAY - FIRST_DAY).days
    told: list[Event] = []  # events already reported, for retellings
    batch: list[ArticleEvents] = []
    drafts: list[ArticleDraft] = []
    async with db.conn.execute("SELECT max(id) + 1 FROM articles") as cursor:
        (first_article,) = await cursor.fetchone()
    started = time.perf_counter()
    for n in range(count):
        published = FIRST_DAY + dt.timedelta(days=span * n // count)
        title = " ".join(words.sample(7)).capitalize()
        article_id = first_article + len(drafts)
        drafts.append(
            ArticleDraft(
                title,
                f"{title}. Статья номер {n}.",
                dt.datetime.combine(published, dt.time(12), dt.UTC),
                url=f"https://news.example/{n}",
                lang="ru",
            )
        )
        reports = [Event(published, published, "day", title, tuple(people.sample(2)), -1, headline=True)]
        for _ in range(per_article - 1):
            if told and chooser.random() < 0.5:
                original = told[-chooser.randint(1, min(len(told), 5_000))]
                kept = [w for w in original.text.split() if chooser.random() < 0.8]
                text = " ".join(kept + words.sample(len(original.text.split()) - len(kept)))
                dating = (original.begin, original.end, original.granularity)
                if chooser.random() < 0.15:
                    dating = coarser(*dating)
                reports.append(Event(*dating, text, original.participants, 0))
            else:
                near = chooser.random() < 0.7
                day = published - dt.timedelta(days=chooser.randint(0, 30 if near else span // 3))
                event = Event(*interval(max(day, FIRST_DAY), chooser), " ".join(words.sample(10)),
                              tuple(people.sample(chooser.randint(0, 3))), 0)  # fmt: skip
                told.append(event)
                reports.append(event)
        batch.append(
            ArticleEvents(article_id, title, tuple(reports), {p: int(p) for p in entity_ids_of(reports)})
        )
        if len(batch) == BATCH:
            await store_articles(db, first_article, drafts)
            async with db.transaction() as conn:
                await merge_articles(events, conn, batch)
            first_article += len(drafts)
            batch, drafts = [], []
            if (n + 1) % (BATCH * 20) == 0:
                print(f"  {n + 1} articles, {time.perf_counter() - started:.0f}s", flush=True)
    await store_articles(db, first_article, drafts)
    async with db.transaction() as conn:
        await merge_articles(events, conn, batch)


async def store_articles(db: Database, first_id: int, drafts: list[ArticleDraft]) -> None:
    """Articles in bulk, the rows ArticleRepo.add writes: one at a time it would take most of the run."""
    rows, indexed = [], []
    for n, draft in enumerate(drafts):
        prepared = prepare(draft)
        moment = utc_iso(draft.published_at or FIRST_MOMENT)
        rows.append(
            (first_id + n, draft.url, draft.title, draft.text, moment, draft.source, "ru",
             prepared.content_hash, moment)
        )  # fmt: skip
        indexed.append((first_id + n, prepared.title_stems, prepared.body_stems))
    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO articles (id, url, title, text, published_at, source, lang, content_hash,"
            " ingested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        if db.dialect == "postgresql":  # the index's configuration follows the language, as ArticleRepo.add
            await conn.executemany(
                "INSERT INTO articles_fts (rowid, lang, title, body) VALUES (?, 'ru', ?, ?)", indexed
            )
        else:
            await conn.executemany("INSERT INTO articles_fts (rowid, title, body) VALUES (?, ?, ?)", indexed)


def entity_ids_of(reports: list[Event]) -> set[str]:
    return {p for r in reports for p in r.participants}


async def timed(ask: Callable[[], Awaitable[None]], repeat: int) -> list[float]:
    spent = []
    for _ in range(repeat):
        start = time.perf_counter()
        await ask()
        spent.append((time.perf_counter() - start) * 1000)
    return spent


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def run(args: argparse.Namespace) -> int:
    if args.database_url:
        from bench.pg import ensure_schema, fresh_schema, names_schema

        if names_schema(args.database_url):  # kept: filled when empty (e.g. copy-database filled it)
            return await run_on_postgresql(args, await ensure_schema(args.database_url))
        async with fresh_schema(args.database_url) as url:
            return await run_on_postgresql(args, url)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(args.database) if args.database else Path(folder) / "bench.sqlite3"
        reuse = path.exists()
        db = Database(path)
        await db.open()
        try:
            if reuse:
                print(f"reusing the archive in {path}")
            else:
                await fill(db, args)
            return await measure(db, args)
        finally:
            await db.close()


async def run_on_postgresql(args: argparse.Namespace, url: str) -> int:
    db = Database(Path("unused"), url=url)
    await db.open()
    try:
        async with db.conn.execute("SELECT count(*) FROM articles") as cursor:
            (stored,) = await cursor.fetchone()
        if stored:
            print(f"reusing the archive in {url}: {stored} articles")
            await db.conn.execute("ANALYZE")  # copy-database gathers no planner statistics
        else:
            await fill(db, args)
    finally:
        await db.close()
    db = Database(Path("unused"), url=url)  # reopened: a new connection, as after a restart
    await db.open()
    try:
        return await measure(db, args)
    finally:
        await db.close()


async def fill(db: Database, args: argparse.Namespace) -> None:
    started = time.perf_counter()
    if db.dialect == "postgresql":  # generation only: commits not waited for (a crash loses a benchmark)
        await db.conn.execute("SET synchronous_commit TO off")
        await generate(db, args.articles, args.events, random.Random(SEED))
        await db.conn.execute("ANALYZE")  # the planner's statistics, as autovacuum would gather them
    else:
        async with db.conn.execute("PRAGMA cache_size") as cursor:
            (default_cache,) = await cursor.fetchone()
        await db.conn.execute("PRAGMA cache_size = -1000000")  # 1 GB while writing: inserts stay in memory
        await generate(db, args.articles, args.events, random.Random(SEED))
        await db.conn.execute(f"PRAGMA cache_size = {int(default_cache)}")  # queries run as the bot's would
    generated = time.perf_counter() - started
    async with db.conn.execute("SELECT count(*), sum(sources) FROM event_clusters") as cursor:
        clusters, _ = await cursor.fetchone()
    async with db.conn.execute("SELECT count(*) FROM event_reports") as cursor:
        (reports,) = await cursor.fetchone()
    if db.dialect == "postgresql":
        async with db.conn.execute("SELECT pg_database_size(current_database())") as cursor:
            (size,) = await cursor.fetchone()
        size /= 1e6  # the whole database: other schemas included
    else:
        size = db.path.stat().st_size / 1e6
    print(
        f"generated {args.articles} articles, {reports} event reports merged into {clusters} events "
        f"in {generated:.0f}s; database {size:.0f} MB"
    )


async def measure(db: Database, args: argparse.Namespace) -> int:
    words, names = lexicon(random.Random(SEED))
    asked = topics(words, names, random.Random(SEED + 1))
    service = TimelineService(EventRepo(db), EntityStore(db), ZONE)
    i18n = create_i18n()
    everything: list[float] = []
    now = dt.datetime.combine(LAST_DAY, dt.time(12), ZONE)

    async def ask(query: str) -> None:
        answer = await service.find(query)
        if answer.page is not None:
            replies.timeline.timeline(replies.timeline.fit(answer.page))
        else:
            replies.timeline.not_found(query, answer.suggestions)

    async def recent() -> None:
        replies.timeline.timeline(replies.timeline.fit(await service.recent(now)))

    async def deep(query: str) -> None:
        """The fifth page: ▶ pressed four times."""
        answer = await service.find(query)
        page = answer.page
        for _ in range(4):
            if page is None or not page.more_after:
                break
            page = await service.page(page.topic, after=page.events[-1].position)
        if page is not None:
            replies.timeline.timeline(replies.timeline.fit(page))

    with i18n.context(), i18n.use_locale("ru"):
        for query in ["прогрев", *asked["words, common"][:3]]:
            await ask(query)  # warm the page cache, as a running bot's would be
        print(f"{'topic kind':<24} {'queries':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
        kinds: list[tuple[str, list[Callable[[], Awaitable[None]]]]] = [
            (kind, [lambda q=q: ask(q) for q in queries]) for kind, queries in asked.items()
        ]
        kinds.append(("last 14 days", [recent] * 20))
        kinds.append(("entity, fifth page", [lambda q=q: deep(q) for q in asked["entity, any"][:20]]))
        for kind, asks in kinds:
            spent = [t for a in asks for t in await timed(a, args.repeat)]
            everything += spent
            print(
                f"{kind:<24} {len(spent):>7} {statistics.median(spent):>8.1f} "
                f"{percentile(spent, 0.95):>8.1f} {max(spent):>8.1f}"
            )
    print(
        f"{'all':<24} {len(everything):>7} {statistics.median(everything):>8.1f} "
        f"{percentile(everything, 0.95):>8.1f} {max(everything):>8.1f}"
    )
    await measure_search(db, asked, args.repeat, i18n)
    return 0


async def measure_search(db: Database, asked: dict[str, list[str]], repeat: int, i18n: I18n) -> None:
    """/search over the same archive's full-text index, as handlers/articles.py runs it: the query's
    words looked up as names of people known in both scripts, its stems, ten best matches, the reply text
    (the articles' titles are the topics' words)."""
    articles, stories, people = ArticleRepo(db), StoryRepo(db), EntityStore(db)
    searched: list[float] = []

    async def search(query: str) -> None:
        read = await read_query(query, people)
        replies.common.search_results(query, await find(articles, stories, read), ZONE, read.also)

    with i18n.context(), i18n.use_locale("ru"):
        for kind in ("words, common", "words, mid-frequency", "words, rare", "two words", "unknown"):
            spent = [t for q in asked[kind] for t in await timed(lambda q=q: search(q), repeat)]
            searched += spent
            label = f"/search {kind}"
            print(
                f"{label:<24} {len(spent):>7} {statistics.median(spent):>8.1f} "
                f"{percentile(spent, 0.95):>8.1f} {max(spent):>8.1f}"
            )
    print(
        f"{'/search all':<24} {len(searched):>7} {statistics.median(searched):>8.1f} "
        f"{percentile(searched, 0.95):>8.1f} {max(searched):>8.1f}"
    )
    who = WhoService(people)

    async def inline(query: str) -> None:
        """What handlers/inline.py does for @bot <words>, minus Telegram: a person card when the words name
        one, then search hits up to ten, each rendered as its result's title, description and message."""
        answer = await who.who(query)
        shown = 0
        if answer.card is not None and answer.card.entity.kind == "PER":
            card = answer.card
            replies.inline.person_title(card), replies.inline.person_description(card)
            replies.inline.person_message(card, ZONE)
            shown = 1
        read = await read_query(query, people)
        for article in await articles.search(read.terms, limit=10 - shown):
            replies.inline.article_title(article), replies.inline.article_description(article, ZONE)
            replies.inline.article_message(article, query, ZONE)

    answered: list[float] = []
    with i18n.context(), i18n.use_locale("ru"):
        for kind in ("entity, any", "words, common", "words, rare", "unknown"):
            answered += [t for q in asked[kind][:40] for t in await timed(lambda q=q: inline(q), repeat)]
    print(
        f"{'inline (@bot words)':<24} {len(answered):>7} {statistics.median(answered):>8.1f} "
        f"{percentile(answered, 0.95):>8.1f} {max(answered):>8.1f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.timeline")
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=10, help="events per article, the headline included")
    parser.add_argument("--repeat", type=int, default=3, help="times each query is asked")
    parser.add_argument(
        "--database",
        help="keep the generated archive in this file, or reuse it when it exists (default: a temp file)",
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="postgresql://…: the archive in a new schema, dropped after; with ?search_path=<schema>, that"
        " schema, kept, and reused when it holds articles",
    )
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
