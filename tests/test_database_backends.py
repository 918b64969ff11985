"""Two storage engines (#14): SQLite, the embedded default, and PostgreSQL through DATABASE_URL."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.analysis.stems import holds, query_stems, surname_terms, word_terms
from bot.config import ConfigError, load_settings
from bot.digest import store
from bot.digest.inputs import story_inputs
from bot.emulator import BotAPIEmulator
from bot.ingest.drafts import ArticleDraft, prepare
from bot.search import read_query
from storage.articles import Article, ArticleRepo, utc_iso
from storage.database import Database
from storage.feeds import FeedErrorKind, FeedRepo
from storage.stories import ArticleText, StoryRepo
from storage.subscriptions import (
    DeliveryDraft,
    DeliveryRepo,
    DeliveryStatus,
    SentSentence,
    Slot,
    SubscriptionLimitReached,
    SubscriptionRepo,
)
from tests.conftest import (
    ADMIN,
    NO_POSTGRESQL,
    READER,
    ROOT,
    SEED,
    postgresql_schema,
    postgresql_url,
    running_bot,
    two_instances,
)


def test_database_url_defaults_to_the_sqlite_file_of_database_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_PATH", "data/x.sqlite3")
    settings = load_settings()
    assert (settings.database_url, settings.database_engine) == ("sqlite:///data/x.sqlite3", "sqlite")


def test_a_sqlite_url_sets_the_path_and_a_postgresql_url_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite:////srv/news.sqlite3")
    assert load_settings().database_path == Path("/srv/news.sqlite3")
    monkeypatch.setenv("DATABASE_URL", "postgresql://bot@db.example:5432/news")
    settings = load_settings()
    assert (settings.database_engine, settings.database_url) == (
        "postgresql",
        "postgresql://bot@db.example:5432/news",
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("mysql://db/news", "invalid DATABASE_URL: expected sqlite:///path or postgresql://"),
        ("sqlite://news.sqlite3", "invalid DATABASE_URL: expected sqlite:///path/to/file.sqlite3"),
        ("postgresql://db.example", "invalid DATABASE_URL: expected postgresql://user@host:5432/database"),
    ],
)
def test_a_bad_database_url_is_one_line(monkeypatch: pytest.MonkeyPatch, value: str, message: str) -> None:
    monkeypatch.setenv("DATABASE_URL", value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)


# ----- the connection layer -----
NOW = "2026-03-01T12:00:00+00:00"


def test_both_engines_ship_the_same_migration_numbers() -> None:
    from storage.database import migrations

    assert [v for v, _, _ in migrations("postgresql")] == [v for v, _, _ in migrations("sqlite")]


def test_sqlite_sql_is_translated_for_postgresql() -> None:
    from storage.sql import Catalog, translate

    catalog = Catalog({"sent": ["a", "b"], "stories": ["article_id"]}, {"articles"})
    assert translate("SELECT * FROM t WHERE a = ? AND b = '?' AND c = ?", catalog) == (
        "SELECT * FROM t WHERE a = $1 AND b = '?' AND c = $2"
    )
    assert translate("UPDATE d SET n = ?1 + 1 WHERE id = ?2 AND n = ?1", catalog) == (
        "UPDATE d SET n = $1 + 1 WHERE id = $2 AND n = $1"
    )
    assert translate("INSERT OR IGNORE INTO sent (a, b) VALUES (?, ?)", catalog) == (
        "INSERT INTO sent (a, b) VALUES ($1, $2) ON CONFLICT DO NOTHING"
    )
    assert translate("INSERT OR REPLACE INTO stories (article_id, story_id) VALUES (?, ?)", catalog) == (
        "INSERT INTO stories (article_id, story_id) VALUES ($1, $2)"
        " ON CONFLICT (article_id) DO UPDATE SET story_id = EXCLUDED.story_id"
    )
    assert translate("INSERT INTO articles (title) VALUES (?)", catalog).endswith(" RETURNING id")
    assert translate("SELECT max(a), min(coalesce(b, ?), ?) FROM t", catalog) == (
        "SELECT max(a), LEAST(coalesce(b, $1), $2) FROM t"
    )
    assert translate("SELECT group_concat(facts, char(10)), group_concat(x) FROM t GROUP BY a", catalog) == (
        "SELECT string_agg(facts, chr(10)), string_agg(x, ',') FROM t GROUP BY a"
    )
    assert translate("PRAGMA user_version", catalog).startswith("SELECT coalesce(max(version), 0)")


async def test_a_fresh_database_is_at_the_newest_migration(storage_db: Database) -> None:
    from storage.database import migrations

    async with storage_db.conn.execute("PRAGMA user_version") as cursor:
        (version,) = await cursor.fetchone()
    assert version == max(v for v, _, _ in migrations(storage_db.dialect))


async def test_full_text_indexes_keep_no_pending_list_on_postgresql(tmp_path: Path) -> None:
    """Migration 0019: the GIN indexes /search and /timeline read are updated with each row, so no search
    reads through a list of entries waiting to be merged (up to 4 MB; it also made the planner scan
    articles_fts instead of using the index). After 30 articles, nothing is pending."""
    if postgresql_url() is None:
        pytest.skip(NO_POSTGRESQL)
    async with postgresql_schema() as url:
        db = Database(tmp_path / "unused.sqlite3", url=url)
        await db.open()
        try:
            articles = ArticleRepo(db)
            for n in range(30):
                draft = ArticleDraft(f"Новость {n}", f"Текст номер {n} о переговорах в Минске.")
                await articles.add(prepare(draft).row, ingested_by=1)
            for index in ("articles_fts_search", "event_clusters_search"):
                async with db.conn.execute(
                    "SELECT c.reloptions::text, gin_clean_pending_list(c.oid) FROM pg_class c"
                    " WHERE c.relname = ? AND c.relnamespace = current_schema()::regnamespace",
                    (index,),
                ) as cursor:
                    options, pending = await cursor.fetchone()
                assert "fastupdate=off" in options and pending == 0, (index, options, pending)
            found = await articles.search(["минск"], limit=50)
            assert {a.title for a in found} == {f"Новость {n}" for n in range(30)}
        finally:
            await db.close()


async def test_a_failed_transaction_leaves_nothing_and_the_next_one_commits(storage_db: Database) -> None:
    feeds = FeedRepo(storage_db)
    with pytest.raises(RuntimeError):
        async with storage_db.transaction() as conn:
            await conn.execute(
                "INSERT INTO feeds (url, added_at, next_poll_at) VALUES (?, 'x', 'x')",
                ("https://a.example/",),
            )
            raise RuntimeError("half-way")
    async with storage_db.transaction() as conn:
        cursor = await conn.execute(
            "INSERT INTO feeds (url, added_at, next_poll_at) VALUES (?, ?, ?)",
            ("https://b.example/", NOW, NOW),
        )
        assert cursor.lastrowid is not None and cursor.rowcount == 1
    assert [f.url for f in await feeds.list()] == ["https://b.example/"]


# ----- articles -----
NEWS = [
    ("Переговоры в Стамбуле", "Делегации провели переговоры о прекращении огня.", "ru"),
    ("Пресс-конференция министра", "Министр рассказал журналистам о переговорах с соседями.", "ru"),
    ("Урожай пшеницы вырос", "Аграрии собрали рекордный урожай.", "ru"),
    ("Talks resume in Geneva", "Negotiators met for talks on a ceasefire.", "en"),
]


async def store_news(db: Database) -> list[Article]:
    repo = ArticleRepo(db)
    stored = []
    for n, (title, text, lang) in enumerate(NEWS):
        published = datetime(2026, 3, 1 + n, 12, tzinfo=UTC)
        draft = ArticleDraft(title, text, published, url=f"https://news.example/{n}", lang=lang)
        stored.append((await repo.add(prepare(draft).row, ingested_by=7)).article)
    return stored


async def test_articles_are_stored_once_and_read_back_alike(storage_db: Database) -> None:
    repo = ArticleRepo(storage_db)
    stored = await store_news(storage_db)
    again = ArticleDraft(NEWS[0][0], NEWS[0][1], None, url="https://elsewhere.example/", lang="ru")
    duplicate = await repo.add(prepare(again).row, ingested_by=None)
    assert not duplicate.created and duplicate.article == stored[0]
    assert [a.id for a in await repo.get_many([stored[2].id, stored[0].id])] == [stored[0].id, stored[2].id]
    assert [a.title for a in await repo.latest(2)] == [NEWS[3][0], NEWS[2][0]]
    assert await repo.count() == 4
    stats = await repo.stats()
    assert (stats.total, stats.by_lang, stats.sources) == (4, {"ru": 3, "en": 1}, 0)
    assert stats.newest_published_at == datetime(2026, 3, 4, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("переговорам", {NEWS[0][0], NEWS[1][0]}),  # every form of the word, the title first
        ("переговоры огня", {NEWS[0][0]}),  # all the words when some article has them all
        ("урожай министра", {NEWS[1][0], NEWS[2][0]}),  # else any of them
        ("talk", {NEWS[3][0]}),
        ("космос", set()),
    ],
)
async def test_search_finds_the_same_articles_on_both_engines(
    storage_db: Database, query: str, titles: set[str]
) -> None:
    await store_news(storage_db)
    found = await ArticleRepo(storage_db).search(query_stems(query))
    assert {a.title for a in found} == titles
    if query == "переговорам":
        assert found[0].title == NEWS[0][0]


async def test_a_latin_word_is_found_with_or_without_accents_on_both_engines(storage_db: Database) -> None:
    # SQLite's index folded the accents and PostgreSQL's did not: "/search Erdogan" found nothing there
    repo = ArticleRepo(storage_db)
    draft = ArticleDraft("Erdoğan in Sochi", "Recep Tayyip Erdoğan met Putin in Sochi.", None, lang="en")
    await repo.add(prepare(draft).row, ingested_by=None)
    for query in ("Erdogan", "Erdoğan", "ERDOĞAN"):
        assert [a.title for a in await repo.search(query_stems(query))] == ["Erdoğan in Sochi"], query
    # an article stored before words were read without accents keeps "erdoğan" in PostgreSQL's index: a query
    # written with the accents still finds it (/search reads it both ways)
    old = prepare(ArticleDraft("Erdoğan in Ankara", "Erdoğan spoke.", None, lang="en")).row
    old = replace(old, title_stems="erdoğan in ankara", body_stems="erdoğan spoke")
    await repo.add(old, ingested_by=None)
    found = await repo.search((await read_query("Erdoğan")).terms)
    assert {a.title for a in found} == {"Erdoğan in Sochi", "Erdoğan in Ankara"}


async def test_a_term_of_alternatives_matches_any_of_them_on_both_engines(storage_db: Database) -> None:
    """How /search looks for a person in both scripts: one term, several stems, any of which will do."""
    await store_news(storage_db)
    repo = ArticleRepo(storage_db)
    either = {a.title for a in await repo.search([("переговор", "talk")])}
    assert either == {NEWS[0][0], NEWS[1][0], NEWS[3][0]}
    # beside another required word: each article needs that word and one of the alternatives
    both = {a.title for a in await repo.search([("переговор", "talk"), "ceasefir"])}
    assert both == {NEWS[3][0]}
    # /latest with words: the newest first, whatever the rank (the title match of the first is best)
    newest = [a.title for a in await repo.search([("переговор", "talk")], newest=True)]
    assert newest == [NEWS[3][0], NEWS[1][0], NEWS[0][0]]


async def test_a_checked_search_reads_on_past_the_matches_that_fail_the_check(storage_db: Database) -> None:
    """/search Песков: the index finds the nominative by "песк", which is also «песка»; the check drops those
    and reads more matches until it has as many as asked, on both engines."""
    repo = ArticleRepo(storage_db)
    sand = [(f"Пляж {n}", f"На пляж номер {n} завезли тонну песка.") for n in range(5)]
    for n, (title, text) in enumerate([*sand, ("Брифинг", "Дмитрий Песков ответил на вопросы.")]):
        draft = ArticleDraft(title, text, datetime(2026, 3, 1 + n, tzinfo=UTC), url=f"https://x.example/{n}")
        await repo.add(prepare(draft).row, ingested_by=None)
    terms = [word_terms("песков")]
    assert len(await repo.search(terms, limit=10)) == 6  # unchecked: the sand too
    group = [surname_terms(terms[0])]

    def present(article: Article) -> list[bool]:
        return holds(f"{article.title}\n{article.text}", group)

    assert [a.title for a in await repo.search(terms, limit=2, present=present)] == ["Брифинг"]
    # the fallback to any word keeps a match that holds one of them: «пляж» here, not «песка»
    either = [word_terms("песков"), "пляж"]
    beach = [group[0], frozenset({"пляж"})]
    any_word = await repo.search(either, limit=10, present=lambda a: holds(a.text, beach))
    assert len(any_word) == 6


async def test_a_sources_latest_reports_are_read_alike(storage_db: Database) -> None:
    """What a source's boilerplate is read from: its latest reports' stories and openings, newest first."""
    repo, stories = ArticleRepo(storage_db), StoryRepo(storage_db)
    texts = []
    for n, (source, title) in enumerate(
        [("Вести", "Мост открыт"), ("Курьер", "Тарифы"), ("Вести", "Погода")]
    ):
        draft = ArticleDraft(title, f"{title}: подробности дня номер {n}.", None, source=source, lang="ru")
        article = (await repo.add(prepare(draft).row, ingested_by=None)).article
        texts.append(ArticleText(article.id, article.title, article.text, "ru", article.published_at))
    await store.assign(stories, story_inputs(texts, None))
    leads = await stories.source_leads(["Вести", "Вести", "Нигде"], datetime.now(UTC), 20, 12)
    assert {source: [r.opening for r in reports] for source, reports in leads.items()} == {
        "Вести": ["Погода: подр", "Мост открыт:"],
        "Нигде": [],
    }
    assert [r.title for r in leads["Вести"]] == ["Погода", "Мост открыт"]
    assert len({r.story_id for r in leads["Вести"]}) == 2  # two stories


# ----- subscriptions and deliveries -----
async def test_subscriptions_and_deliveries_behave_alike(storage_db: Database) -> None:
    subscriptions, deliveries = SubscriptionRepo(storage_db), DeliveryRepo(storage_db)
    now = datetime(2026, 3, 1, 6, tzinfo=UTC)
    chat = -1001234567890  # a supergroup id: wider than 32 bits
    first = await subscriptions.subscribe(
        chat_id=chat, thread_id=None, chat_type="supergroup", language="ru", send_at="09:00",
        timezone="Europe/Moscow", topics="переговоры", by=1, now=now,
    )  # fmt: skip
    again = await subscriptions.subscribe(
        chat_id=chat, thread_id=5, chat_type="supergroup", language="en", send_at="10:00",
        timezone="Europe/Moscow", topics="", by=1, now=now,
    )  # fmt: skip
    assert again.id != first.id and again.thread_id == 5  # a forum topic's own subscription (#15)
    moved = await subscriptions.subscribe(
        chat_id=chat, thread_id=None, chat_type="supergroup", language="en", send_at="10:00",
        timezone="Europe/Moscow", topics=" Переговоры ", by=1, now=now,
    )  # fmt: skip
    assert (moved.id, moved.language, moved.send_at) == (first.id, "en", "10:00")  # the same topics: that one
    assert [s.id for s in await subscriptions.in_chat(chat, any_thread=True)] == [first.id, again.id]
    assert [s.id for s in await subscriptions.in_chat(chat, 5)] == [again.id]
    assert await subscriptions.slots() == [Slot("10:00", "Europe/Moscow")]
    async with storage_db.transaction() as conn:
        await conn.execute(
            "INSERT INTO stories (id, lang, centroid, size, first_published, last_published)"
            " VALUES (?, 'ru', '{}', 1, ?, ?)",
            (41, utc_iso(now), utc_iso(now)),
        )
    draft = DeliveryDraft(
        first.id, "2026-03-01T07:00Z", None, now, ("<b>один</b>", "два"), (SentSentence(41, "Фраза."),)
    )
    delivery = await deliveries.record(draft, now)
    assert delivery is not None and delivery.remaining == ("<b>один</b>", "два")
    assert await deliveries.record(draft, now) is None  # one delivery per period
    await deliveries.part_sent(delivery.id, 0, 7001)
    await deliveries.part_sent(delivery.id, 0, 7001)  # a repeated report changes nothing
    halfway = await deliveries.find(first.id, "2026-03-01T07:00Z")
    assert halfway is not None and (halfway.parts_sent, halfway.message_ids) == (1, (7001,))
    assert halfway.status is DeliveryStatus.PENDING
    assert [d.id for d in await deliveries.pending(now)] == [delivery.id]
    await deliveries.part_sent(delivery.id, 1, 7002)
    done = await deliveries.find(first.id, "2026-03-01T07:00Z")
    assert done is not None and (done.status, done.message_ids) == (DeliveryStatus.SENT, (7001, 7002))
    assert await deliveries.sent_sentences([first.id], [41]) == {first.id: {41: ("Фраза.",)}}
    assert await deliveries.counts() == {"sent": 1}
    assert not await deliveries.offer_again(delivery.id)  # it got messages out
    other = await deliveries.record(DeliveryDraft(first.id, "later", None, now, ("x",)), now)
    assert other is not None and await deliveries.expire_pending(now + timedelta(days=1)) == 1
    await subscriptions.end(first.id, "bot_removed")
    ended = await subscriptions.get(first.id)
    assert ended is not None and not ended.active and ended.ended_reason == "bot_removed"


# ----- feeds -----
async def test_feeds_are_polled_backed_off_and_remembered_alike(storage_db: Database) -> None:
    feeds = FeedRepo(storage_db, pause_after=2)
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    feed, created = await feeds.add("https://news.example/rss", title="Лента", added_by=1, now=now)
    assert created and not (await feeds.add("https://news.example/rss", now=now))[1]
    assert [f.id for f in await feeds.due(now)] == [feed.id]
    polled = await feeds.record_success(feed.id, etag='"v1"', last_modified=None, items_new=3, polled_at=now)
    assert polled is not None and (polled.etag, polled.items_total) == ('"v1"', 3)
    assert await feeds.due(now + timedelta(minutes=1)) == []
    await feeds.mark_seen(feed.id, "guid-1", "https://news.example/1", now)
    await feeds.mark_seen(feed.id, "guid-1", "https://news.example/1", now)  # once
    assert await feeds.seen_guid(feed.id, "guid-1")
    assert await feeds.seen_guid(feed.id, "changed-guid", "https://news.example/1")
    assert not await feeds.seen_guid(feed.id, "guid-2", None)
    for attempt in (1, 2):
        failed = await feeds.record_failure(feed.id, FeedErrorKind.TIMEOUT, "timeout: 20 s", now)
        assert failed is not None and failed.consecutive_failures == attempt
    assert failed.paused_at == now and failed.error_kind is FeedErrorKind.TIMEOUT
    await feeds.touch_seen(feed.id, ["guid-1"], now + timedelta(days=1))
    assert await feeds.forget_seen_before(now + timedelta(days=2)) == 0  # not read since: kept
    assert await feeds.delete(feed.id) and await feeds.list() == []


# ----- the bot on each engine -----
QUESTIONS = [
    "/search переговорам", "/search снег театр", "/who Лукашенко", "/timeline Лукашенко", "/latest",
    "/subscribe", "/digest",
    # read past a title and initials, across scripts, without a word, by a date (30 November)
    "/who президента А.Г. Лукашенко", "/who Lukashenko", "/search переговоры -Минск", "/latest -переговоры",
    "/timeline 26 ноября 2025", "/who глава МИД",
]  # fmt: skip


async def answers_on(database: Path, **overrides: object) -> list[str]:
    """What a reader is answered after an admin uploads the seed archive, on one engine."""
    async with BotAPIEmulator() as emulator, running_bot(emulator, database, **overrides) as running:
        upload = await running.send_file(ADMIN, SEED.name, SEED.read_bytes())
        await running.app.analyzer.idle()
        said = [upload["text"]]
        for question in QUESTIONS:
            said += [m["text"] for m in await running.ask(READER, question)]
        return said


async def test_the_bot_answers_alike_on_sqlite_and_postgresql(tmp_path: Path) -> None:
    if postgresql_url() is None:
        pytest.skip(NO_POSTGRESQL)
    on_sqlite = await answers_on(tmp_path / "news.sqlite3")
    async with postgresql_schema() as url:
        on_postgresql = await answers_on(tmp_path / "unused.sqlite3", database_url=url)
    assert "переговор" in on_sqlite[1].lower()  # the search found something to compare
    assert sum(text.startswith("👤 Александр Лукашенко") for text in on_sqlite) == 3  # and the cards
    assert any(text.startswith("🗓 События: 26 ноября 2025") for text in on_sqlite)
    assert any(text.startswith("👤 Сергей Лавров") for text in on_sqlite)  # the role's holder
    assert on_postgresql == on_sqlite


# ----- copy-database -----
def copy_command(database: Path, to: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "DATABASE_URL")}
    env.update(DATABASE_PATH=str(database), LOG_LEVEL="WARNING")
    return subprocess.run(
        [sys.executable, "-m", "bot", "copy-database", "--to", to],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_copy_database_refuses_a_to_that_is_not_postgresql(tmp_path: Path) -> None:
    done = copy_command(tmp_path / "news.sqlite3", "sqlite:///elsewhere.sqlite3")
    assert (done.returncode, done.stderr.strip()) == (
        2,
        "error: invalid --to: expected postgresql://user@host:5432/database",
    )


async def test_copy_database_moves_the_archive_and_verifies_the_counts(tmp_path: Path) -> None:
    if postgresql_url() is None:
        pytest.skip(NO_POSTGRESQL)
    database = tmp_path / "news.sqlite3"
    before = await answers_on(database)  # an archive with entities, events, stories, a delivery
    async with postgresql_schema() as url:
        done = await asyncio.to_thread(copy_command, database, url)
        assert done.returncode == 0, done.stderr
        lines = done.stdout.strip().splitlines()
        assert (
            "articles: 1 rows" in lines and "deliveries: 1 rows" in lines and "mentions: 0 rows" not in lines
        )
        assert lines[-1].startswith("copied and verified: ") and "rows" in lines[-1]
        again = await asyncio.to_thread(copy_command, database, url)
        assert again.returncode == 1 and again.stderr.startswith("error: the target database is not empty")
        source, target = Database(database), Database(tmp_path / "unused.sqlite3", url=url)
        await source.open()
        await target.open()
        try:
            for table in ("articles", "entities", "mentions", "event_clusters", "stories", "deliveries"):
                async with source.conn.execute(f"SELECT * FROM {table} ORDER BY 1") as cursor:
                    there = [tuple(r) for r in await cursor.fetchall()]
                    columns = ", ".join(d[0] for d in cursor.description)
                # SQLite's columns only: PostgreSQL's generated search columns are its own (migration 0018)
                async with target.conn.execute(f"SELECT {columns} FROM {table} ORDER BY 1") as cursor:
                    here = [tuple(r) for r in await cursor.fetchall()]
                assert here == there and here, table
            stems = query_stems("переговорам")
            assert await ArticleRepo(target).search(stems) == await ArticleRepo(source).search(stems)
            draft = ArticleDraft("Новая статья", "Совсем другой текст.", None, lang="ru")
            added = await ArticleRepo(target).add(prepare(draft).row, ingested_by=None)
            assert added.created and added.article.id == await ArticleRepo(source).count() + 1
        finally:
            await source.close()
            await target.close()
    assert before


async def test_a_postgresql_connection_the_server_dropped_is_opened_again(tmp_path: Path) -> None:
    """A server restart or failover drops the connection: the statement running then fails (and its
    transaction is rolled back), the next one runs on a new connection."""
    import asyncpg

    async with postgresql_schema() as url:
        db = Database(tmp_path / "unused.sqlite3", url=url)
        await db.open()
        admin = await asyncpg.connect(url)

        async def drop(pid: int) -> None:  # as a restart does, and wait until the session is gone
            await admin.execute("SELECT pg_terminate_backend($1)", pid)
            for _ in range(500):
                if not await admin.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid):
                    return
                await asyncio.sleep(0.01)

        try:
            await store_news(db)
            pid = db.conn.raw.get_server_pid()
            await drop(pid)
            assert await ArticleRepo(db).count() == 4  # between statements: opened again
            lost = (asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError, OSError)
            with pytest.raises(lost):
                async with db.transaction() as conn:
                    await conn.execute("DELETE FROM articles")
                    await drop(conn.raw.get_server_pid())
                    await conn.execute("DELETE FROM articles_fts")
            assert await ArticleRepo(db).count() == 4  # the interrupted transaction left nothing
            assert db.conn.raw.get_server_pid() != pid
        finally:
            await admin.close()
            await db.close()


async def test_healthz_sees_the_database_and_its_migrations_on_both_engines(tmp_path: Path) -> None:
    from bot.web import database_checks
    from storage.database import migrations

    latest = max(v for v, _, _ in migrations())
    for url in [None, *([postgresql_url()] if postgresql_url() else [])]:
        async with postgresql_schema() if url else contextlib.nullcontext(None) as schema:
            db = Database(tmp_path / "health.sqlite3", url=schema)
            await db.open()
            checks = {c.name: (c.ok, c.detail) for c in await database_checks(db)}
            assert checks == {
                "database": (True, {}),
                "migrations": (True, {"applied": latest, "latest": latest}),
            }
            await db.close()
            assert not any(c.ok for c in await database_checks(db))


async def test_the_subscription_limit_is_counted_where_the_subscription_is_made(storage_db: Database) -> None:
    """A chat at its limit gets no new subscription, nor an ended one back; an active one still changes."""
    repo, chat = SubscriptionRepo(storage_db), -1001234567001

    async def subscribe(topics: str, thread_id: int | None = None, into: int | None = None) -> int:
        made = await repo.subscribe(
            chat_id=chat, thread_id=thread_id, chat_type="supergroup", language="ru", send_at="09:00",
            timezone="UTC", topics=topics, by=1, into=into, limit=3,
        )  # fmt: skip
        return made.id

    first = await subscribe("переговоры")
    await subscribe("спорт", thread_id=5)  # forum topics count together
    ended = await subscribe("погода")
    await repo.end(ended, "unsubscribed")
    await subscribe("биржа")
    for topics, thread_id in (("выборы", None), ("погода", None), ("кино", 7)):
        with pytest.raises(SubscriptionLimitReached):
            await subscribe(topics, thread_id)
    assert await subscribe("Переговоры") == first  # the same topics: that one, changed
    assert await subscribe("новые темы", into=first) == first
    assert len(await repo.in_chat(chat, any_thread=True)) == 3


async def test_two_instances_adding_a_chats_last_allowed_subscription_add_one(tmp_path: Path) -> None:
    """Two /subscribe with different topics, handled by two instances at once when the chat has one slot
    left: one is made, the other is refused (the count was read outside the lock and let both in)."""
    async with two_instances(tmp_path) as (one, other):
        for round_ in range(8):
            chat = -1001234568000 - round_
            for n in range(2):
                await SubscriptionRepo(one).subscribe(
                    chat_id=chat, thread_id=None, chat_type="supergroup", language="ru", send_at="09:00",
                    timezone="UTC", topics=f"тема{n}", by=1, limit=3,
                )  # fmt: skip
            made = await asyncio.gather(*(
                SubscriptionRepo(db).subscribe(
                    chat_id=chat, thread_id=None, chat_type="supergroup", language="ru", send_at="09:00",
                    timezone="UTC", topics=topics, by=1, limit=3,
                )
                for db, topics in ((one, "выборы"), (other, "спорт"))
            ), return_exceptions=True)  # fmt: skip
            assert sorted(type(m).__name__ for m in made) == ["Subscription", "SubscriptionLimitReached"]
            assert len(await SubscriptionRepo(one).in_chat(chat, any_thread=True)) == 3


async def test_one_subscribe_from_two_instances_at_once_makes_one_subscription(tmp_path: Path) -> None:
    """Two instances on one PostgreSQL handling the same /subscribe at the same moment (a double tap):
    one subscription, not two (two digests a day). Each round starts both at once."""
    async with two_instances(tmp_path) as (one, other):
        for round_ in range(8):
            chat = -1001234567000 - round_
            made = await asyncio.gather(*(
                SubscriptionRepo(db).subscribe(
                    chat_id=chat, thread_id=None, chat_type="supergroup", language="ru", send_at="09:00",
                    timezone="Europe/Moscow", topics="переговоры", by=1,
                )
                for db in (one, other)
            ))  # fmt: skip
            assert made[0].id == made[1].id
            assert len(await SubscriptionRepo(one).in_chat(chat, any_thread=True)) == 1
