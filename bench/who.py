"""/who latency with a large archive: 100,000 analysed articles, then names of every kind looked up.

    .venv/bin/python -m bench.who --articles 100000
    .venv/bin/python -m bench.who --database /tmp/who.sqlite3   # keep the archive; later runs reuse it

The archive is synthetic but shaped like the news: articles over a year, each naming a few people,
organisations and places drawn from pools by a Zipf law (a handful of people are in a third of all
articles, most appear once), people with roles and quotes, namesakes sharing a surname, and some
articles naming a person by surname alone. Article rows are inserted in bulk (no full-text index: /who
never reads it); every analysis goes through ``EntityStore.save`` as the analyzer stores it, with
synthetic ``Understanding`` objects instead of the NLP. Then the archive is reopened (a cold SQLite
cache, as after a restart) and ``WhoService`` answers each kind of query; the figures are the time
of each call: p50, p95 and max, per kind.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import math
import random
import statistics
import tempfile
import time
from bisect import bisect_left
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path

from bot.analysis.article import ArticleAnalysis
from bot.analysis.entities import LOC, ORG, PER, Entity, Mention, entity_key
from bot.analysis.quotes import Quote
from bot.analysis.roles import Role
from bot.analysis.understanding import Understanding
from bot.who.service import WhoAnswer, WhoService
from bot.who.store import EntityStore
from storage.articles import Article, utc_iso
from storage.database import Database

NOW = datetime(2025, 11, 26, 9, 0, tzinfo=UTC)
# fmt: off
MALE_NAMES = (
    "Александр", "Алексей", "Андрей", "Антон", "Артём", "Борис", "Вадим", "Валерий", "Василий", "Виктор",
    "Виталий", "Владимир", "Владислав", "Вячеслав", "Геннадий", "Георгий", "Глеб", "Григорий", "Даниил",
    "Денис", "Дмитрий", "Евгений", "Егор", "Иван", "Игорь", "Илья", "Кирилл", "Константин", "Леонид",
    "Максим", "Марат", "Михаил", "Никита", "Николай", "Олег", "Павел", "Пётр", "Роман", "Руслан", "Сергей",
    "Станислав", "Степан", "Тимур", "Фёдор", "Юрий", "Ярослав"
)
FEMALE_NAMES = (
    "Александра", "Алина", "Анастасия", "Анна", "Валентина", "Вера", "Галина", "Дарья", "Екатерина",
    "Елена", "Елизавета", "Ирина", "Ксения", "Людмила", "Марина", "Мария", "Наталья", "Нина", "Ольга",
    "Полина", "Светлана", "Татьяна", "Юлия"
)
SYLLABLES = (
    "ба", "бе", "бо", "ва", "ве", "ви", "га", "ге", "го", "да", "де", "ду", "жа", "за", "зи", "ка", "ке",
    "ки", "ко", "ла", "ле", "ли", "ло", "ма", "ме", "ми", "мо", "на", "не", "ни", "но", "па", "пе", "пи",
    "ра", "ре", "ри", "ро", "са", "се", "си", "со", "та", "те", "ти", "то", "фе", "ха", "хо", "ца", "ча",
    "че", "ша", "ше", "бор", "вин", "гал", "дор", "зар", "кин", "лов", "мар", "нев", "пол", "рус", "сел",
    "тар", "хол", "бер", "дан", "лес", "мил", "рам", "сав"
)
SURNAME_ENDINGS = (
    ("ов", "ова"),
    ("ев", "ева"),
    ("ин", "ина"),
    ("ский", "ская"),
    ("енко", "енко"),
    ("ук", "ук"),
)
# Endings a Russian name takes in the other cases; the analysis stores every form of a name's words.
CASE_ENDINGS = ("а", "у", "ом", "е", "ым", "ой", "ы", "ым", "ых", "ами", "ам", "ах", "ою", "ей")
ORG_HEADS = ("Банк", "Концерн", "Фонд", "Министерство", "Корпорация", "Агентство", "Союз", "Партия", "Завод")
LOC_HEADS = ("", "Ново", "Верхне", "Нижне", "Старо", "Красно")
LOC_ENDINGS = ("ск", "ово", "ино", "град", "поль", "ань")
TITLES = (
    "президент",
    "премьер-министр",
    "министр иностранных дел",
    "министр финансов",
    "глава МИД",
    "губернатор",
    "мэр",
    "депутат Госдумы",
    "сенатор",
    "пресс-секретарь президента",
    "генеральный директор",
    "председатель правления",
    "главный тренер",
    "посол",
    "спикер парламента",
)
WORDS = (
    "заявил", "что", "правительство", "готово", "обсудить", "новые", "меры", "поддержки", "экономики", "и",
    "регионов", "в", "ближайшее", "время", "по", "словам", "участников", "переговоров", "стороны",
    "договорились", "продолжить", "работу", "над", "соглашением", "которое", "должно", "вступить", "в",
    "силу", "до", "конца", "года", "решение", "вызвало", "споры", "среди", "экспертов", "и", "депутатов"
)
# fmt: on


@dataclass(frozen=True)
class Named:
    kind: str
    name: str
    titles: tuple[str, ...] = ()


class Population:
    """People, organisations and places, each kind drawn by a Zipf law over its pool."""

    def __init__(self, chooser: random.Random, people: int, organisations: int, places: int) -> None:
        self.chooser = chooser
        surnames = self._surnames(people)
        self.people: list[Named] = []
        for n in range(people):
            male, female = surnames[n % len(surnames)]
            if chooser.random() < 0.75:
                name = f"{chooser.choice(MALE_NAMES)} {male}"
            else:
                name = f"{chooser.choice(FEMALE_NAMES)} {female}"
            titles = tuple(chooser.sample(TITLES, chooser.randint(1, 2)))
            self.people.append(Named(PER, name, titles))
        chooser.shuffle(surnames)
        self.organisations = [
            Named(ORG, f"{chooser.choice(ORG_HEADS)} {self._root().capitalize()}")
            for _ in range(organisations)
        ]
        self.places = [
            Named(LOC, (chooser.choice(LOC_HEADS) + self._root() + chooser.choice(LOC_ENDINGS)).capitalize())
            for _ in range(places)
        ]
        self._weights = {
            PER: self._zipf(len(self.people)),
            ORG: self._zipf(len(self.organisations)),
            LOC: self._zipf(len(self.places)),
        }

    def _root(self) -> str:
        return "".join(self.chooser.choice(SYLLABLES) for _ in range(self.chooser.randint(2, 3)))

    def _surnames(self, people: int) -> list[tuple[str, str]]:
        """Distinct surnames for most people; about one in eight shares a namesake's."""
        found: dict[str, tuple[str, str]] = {}
        while len(found) < people * 7 // 8:
            root = self._root().capitalize()
            male, female = self.chooser.choice(SURNAME_ENDINGS)
            found.setdefault(root + male, (root + male, root + female))
        return list(found.values())

    @staticmethod
    def _zipf(size: int) -> list[float]:
        return list(accumulate(1.0 / (rank + 1) for rank in range(size)))

    def pick(self, kind: str, count: int) -> list[Named]:
        pool = {PER: self.people, ORG: self.organisations, LOC: self.places}[kind]
        weights = self._weights[kind]
        chosen: dict[int, None] = {}
        while len(chosen) < min(count, len(pool)):
            chosen[bisect_left(weights, self.chooser.random() * weights[-1])] = None
        return [pool[i] for i in chosen]


def word_forms(name: str) -> frozenset[str]:
    """Each word of a name with the case endings it may take, as the analysis's name forms store them."""
    forms: set[str] = set()
    for word in name.lower().replace("ё", "е").split():
        forms.add(word)
        base = word[:-1] if word.endswith(("а", "я", "й")) else word
        forms.update(base + ending for ending in CASE_ENDINGS)
    return frozenset(forms)


def understanding_of(article_id: int, population: Population, chooser: random.Random) -> Understanding:
    entities: list[Entity] = []
    roles: list[Role] = []
    quotes: list[Quote] = []
    forms: list[tuple[str, frozenset[str]]] = []
    offset = 0
    picked = (
        population.pick(PER, chooser.randint(1, 5))
        + population.pick(ORG, chooser.randint(0, 3))
        + population.pick(LOC, chooser.randint(1, 3))
    )
    for named in picked:
        name = named.name
        if named.kind == PER and chooser.random() < 0.1:
            name = name.split()[-1]  # the article names the person by surname alone
        key = entity_key(named.kind, name)
        mentions = []
        for n in range(chooser.randint(1, 4)):
            text = name if n == 0 else name.split()[-1] + chooser.choice(("", "а", "у", "ым"))
            mentions.append(Mention(offset, offset + len(text), text, n * 3))
            offset += len(text) + 200
        entities.append(Entity(key, named.kind, name, tuple(mentions)))
        forms.append((key, word_forms(name)))
        if named.titles and chooser.random() < 0.4:
            title = chooser.choice(named.titles)
            roles.append(Role(key, title, mentions[0].sentence, mentions[0].start, mentions[0].stop))
        if named.kind == PER and chooser.random() < 0.25:
            said = " ".join(chooser.choices(WORDS, k=chooser.randint(8, 25)))
            kind = "quote" if chooser.random() < 0.5 else "statement"
            quotes.append(Quote(key, said.capitalize(), kind, offset, offset + len(said)))
            offset += len(said) + 50
    analysis = ArticleAnalysis("ru", tuple(entities), tuple(roles), tuple(quotes), ())
    return Understanding(article_id, analysis, (), tuple(forms))


def article_rows(count: int, days: int, chooser: random.Random) -> Iterator[tuple[object, ...]]:
    """Article rows in publication order, with bodies of a typical news length (nothing reads them here)."""
    paragraphs = [" ".join(chooser.choices(WORDS, k=60)).capitalize() + "." for _ in range(200)]
    span = timedelta(days=days).total_seconds()
    for n in range(count):
        published = NOW - timedelta(seconds=span * (count - n) / count)
        body = "\n\n".join(chooser.sample(paragraphs, 5))
        title = " ".join(chooser.choices(WORDS, k=8)).capitalize()
        digest = hashlib.sha1(f"{n}:{body}".encode()).hexdigest()
        yield (
            f"https://news.example/{n}",
            title,
            body,
            utc_iso(published),
            f"source{n % 40}.example",
            "ru",
            digest,
            utc_iso(published),
        )


async def generate(db: Database, count: int, days: int, seed: int) -> None:
    chooser = random.Random(seed)
    scale = max(count / 100_000, 0.01)
    # Generation only: no sync at WAL checkpoints / commits (a crash here loses a benchmark, not news).
    if db.dialect == "postgresql":
        await db.conn.execute("SET synchronous_commit TO off")
    else:
        await db.conn.execute("PRAGMA synchronous=OFF")
    population = Population(
        chooser,
        people=int(30_000 * scale) + 50,
        organisations=int(4_000 * scale) + 20,
        places=int(3_000 * scale) + 20,
    )
    began = time.perf_counter()
    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO articles (url, title, text, published_at, source, lang, content_hash, ingested_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            article_rows(count, days, chooser),
        )
    print(f"  {count} article rows in {time.perf_counter() - began:.0f}s")
    entities = EntityStore(db)
    async with db.conn.execute("SELECT id, published_at, content_hash FROM articles ORDER BY id") as cursor:
        rows = await cursor.fetchall()
    began = time.perf_counter()
    for done, (article_id, published, digest) in enumerate(rows, 1):
        # The stored hash: an analysis is stored only for the text it read (EntityRepo.claim, since bbfb2b0)
        published_at = datetime.fromisoformat(published)
        article = Article(article_id, "", "", published_at, None, None, "ru", NOW, None, content_hash=digest)
        await entities.save(article, understanding_of(article_id, population, chooser))
        if done % 10_000 == 0:
            rate = done / (time.perf_counter() - began)
            print(f"  {done} analyses stored ({rate:.0f}/s)", flush=True)
    print(f"  {len(rows)} analyses stored through EntityStore.save in {time.perf_counter() - began:.0f}s")


# ----- the queries -----
@dataclass(frozen=True)
class Kind:
    label: str
    queries: list[str]
    expect: str  # what WhoService should answer: card, choices or suggestions


def answer_kind(answer: WhoAnswer) -> str:
    return "card" if answer.card else "choices" if answer.choices else "suggestions"


async def query_kinds(db: Database, chooser: random.Random, sample: int) -> list[Kind]:
    """Real names of the archive for each kind of query (and made-up ones for the unknown)."""

    async def names(sql: str, *params: object) -> list[str]:
        async with db.conn.execute(sql, params) as cursor:
            return [row[0] for row in await cursor.fetchall()]

    frequent = await names(
        "SELECT name FROM entities WHERE kind = 'PER' ORDER BY mentions DESC LIMIT ?", sample
    )
    rare = await names(
        "SELECT name FROM entities WHERE kind = 'PER' AND articles = 1 AND name LIKE '% %' LIMIT 5000"
    )
    # Surnames several people share, none of them dominating: /who asks which one is meant. Grouped by the
    # surname as written: surname_stem is a spelling skeleton now (Сотоов, Сотаев and Садеев share one, #12),
    # and a surname only one person has is no namesake.
    async with db.conn.execute(
        "SELECT name, mentions FROM entities WHERE kind = 'PER' AND name LIKE '% %'"
    ) as cursor:
        people = await cursor.fetchall()
    by_surname: dict[str, list[int]] = {}
    for name, mentions in people:
        by_surname.setdefault(name.split()[-1], []).append(mentions)
    shared = [
        (surname, counts)
        for surname, counts in by_surname.items()
        if len(counts) >= 2 and max(counts) < 5 * min(counts)
    ]
    shared.sort(key=lambda item: -sum(item[1]))
    ambiguous = [surname for surname, _ in shared[:sample]]
    unknown = ["".join(chooser.choice(SYLLABLES) for _ in range(4)).capitalize() for _ in range(sample)]
    misspelt = [f"{n.split()[-1][:-2]}{n.split()[-1][-1]}{n.split()[-1][-2]}" for n in frequent]
    inflected = [f"{n.split()[-1]}а" if not n.endswith("а") else n.split()[-1] for n in frequent]
    return [
        Kind("frequent person, full name", frequent, "card"),
        Kind("frequent person, surname inflected", inflected, "card"),
        Kind("rare person (one article)", chooser.sample(rare, min(sample, len(rare))), "card"),
        Kind("ambiguous surname", ambiguous, "choices"),
        Kind("first name alone", chooser.sample(MALE_NAMES, min(sample, len(MALE_NAMES))), "choices"),
        Kind("unknown name", unknown, "suggestions"),
        Kind("misspelt frequent surname", misspelt, "suggestions"),
    ]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


def report(label: str, millis: list[float], outcomes: str = "") -> list[float]:
    print(
        f"  {label:<38} n={len(millis):<4} p50 {statistics.median(millis):6.1f} ms"
        f"  p95 {percentile(millis, 0.95):6.1f} ms  max {max(millis):6.1f} ms  {outcomes}"
    )
    return millis


async def timed(call: Callable[[], Awaitable[object]]) -> tuple[float, object]:
    began = time.perf_counter()
    result = await call()
    return 1000 * (time.perf_counter() - began), result


async def measure(db: Database, sample: int, repeat: int, seed: int) -> None:
    chooser = random.Random(seed + 1)
    entities = EntityStore(db)
    people = WhoService(entities)
    kinds = await query_kinds(db, chooser, sample)
    everything: list[float] = []
    print(f"WhoService.who ({repeat} rounds over each kind's names; the first round on a cold cache):")
    by_kind: dict[str, list[float]] = {k.label: [] for k in kinds}
    outcomes: dict[str, dict[str, int]] = {k.label: {} for k in kinds}
    for _ in range(repeat):
        for kind in kinds:
            for query in kind.queries:
                millis, answer = await timed(lambda q=query: people.who(q))
                by_kind[kind.label].append(millis)
                got = answer_kind(answer)  # type: ignore[arg-type]
                outcomes[kind.label][got] = outcomes[kind.label].get(got, 0) + 1
    for kind in kinds:
        seen = ", ".join(f"{n} {what}" for what, n in sorted(outcomes[kind.label].items()))
        everything += report(kind.label, by_kind[kind.label], f"answers: {seen} (expected {kind.expect})")
    top = [(await timed(lambda: people.most_mentioned(days=7)))[0] for _ in range(repeat * 4)]
    everything += report("/who alone: most mentioned, 7 days", top)
    report("all /who calls", everything)
    async with db.conn.execute("SELECT id FROM entities ORDER BY mentions DESC LIMIT ?", (sample,)) as cursor:
        ids = [row[0] for row in await cursor.fetchall()]
    cards = [(await timed(lambda i=i: entities.card(i)))[0] for _ in range(repeat) for i in ids]
    report("EntityRepo.card, most mentioned", cards)


async def describe(db: Database) -> None:
    figures = []
    for table in ("articles", "entities", "article_entities", "mentions", "entity_terms", "roles", "quotes"):
        async with db.conn.execute(f"SELECT count(*) FROM {table}") as cursor:
            (n,) = await cursor.fetchone()
        figures.append(f"{n} {table}")
    async with db.conn.execute(
        "SELECT name, articles FROM entities WHERE kind = 'PER' ORDER BY articles DESC LIMIT 1"
    ) as cursor:
        top = await cursor.fetchone()
    print(f"archive: {', '.join(figures)}; the most frequent person, {top[0]}, is in {top[1]} articles")


async def run(args: argparse.Namespace) -> int:
    if args.database_url:
        from bench.pg import ensure_schema, fresh_schema, names_schema

        if names_schema(args.database_url):  # kept: reused when it holds articles
            return await run_on(args, Path("unused"), await ensure_schema(args.database_url))
        async with fresh_schema(args.database_url) as url:
            return await run_on(args, Path("unused"), url)
    with tempfile.TemporaryDirectory() as tmp:
        return await run_on(args, args.database or Path(tmp) / "who.sqlite3", None)


async def run_on(args: argparse.Namespace, path: Path, url: str | None) -> int:
    db = Database(path, url=url)
    await db.open()
    try:
        async with db.conn.execute("SELECT count(*) FROM articles") as cursor:
            (stored,) = await cursor.fetchone()
        if stored:
            print(f"reusing {url or path}: {stored} articles")
            if url:  # copy-database gathers no planner statistics; autovacuum would, later
                await db.conn.execute("ANALYZE")
        else:
            where = "a new PostgreSQL schema" if url else path
            print(f"generating {args.articles} analysed articles over {args.days} days in {where}")
            began = time.perf_counter()
            await generate(db, args.articles, args.days, args.seed)
            if url:
                await db.conn.execute("ANALYZE")  # the planner's statistics, as autovacuum would gather them
            print(f"  generated in {time.perf_counter() - began:.0f}s")
    finally:
        await db.close()
    db = Database(path, url=url)  # reopened: queries start on a cold cache, as after a restart
    await db.open()
    try:  # closed on an error too: aiosqlite's thread would otherwise keep the process from exiting
        await describe(db)
        await measure(db, args.sample, args.repeat, args.seed)
    finally:
        await db.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.who")
    parser.add_argument("--articles", type=int, default=100_000, help="articles to generate")
    parser.add_argument("--days", type=int, default=365, help="the archive's time span")
    parser.add_argument("--sample", type=int, default=20, help="names per kind of query")
    parser.add_argument("--repeat", type=int, default=3, help="rounds over the names")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database", type=Path, default=None, help="keep (or reuse) the archive here")
    parser.add_argument(
        "--database-url",
        default=None,
        help="postgresql://…: the archive in a new schema, dropped after; with ?search_path=<schema>, that"
        " schema, kept, and reused when it holds articles",
    )
    args = parser.parse_args(argv)
    return asyncio.run(run(args))


if __name__ == "__main__":
    raise SystemExit(main())
