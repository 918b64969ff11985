"""Feed parsing on documents written for these tests, OPML, the feed repository, polling the local site."""

from __future__ import annotations

import hashlib
import json
import pickle
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from bot.feeds.opml import InvalidOpml, OpmlFeed, export_opml, parse_opml
from bot.feeds.parse import NotAFeed, discover_feed_urls, html_to_text, parse_feed
from bot.feeds.polling import FeedArticle, FeedPoller, PollStatus
from bot.fetch import Fetcher, FetchErrorKind, retry_after_seconds
from storage.database import Database
from storage.feeds import Feed, FeedErrorKind, FeedRepo, backoff_delay
from tests.web_fixtures import (
    ARTICLE_BODY,
    ARTICLE_TITLE,
    FeedItemSpec,
    LocalNewsSite,
)

FEED_URL = "https://tomsk.example/rss"
T0 = datetime(2024, 5, 14, 12, 0, tzinfo=UTC)
LONG_TEXT = " ".join(ARTICLE_BODY)

pytestmark = pytest.mark.usefixtures("loopback_only")


# --- parsing -------------------------------------------------------------------------------------------


def rss(items: str, extra_ns: str = "") -> bytes:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" {extra_ns}>
<channel><title>Томские новости</title><link>https://tomsk.example/</link><description>Город</description>
{items}</channel></rss>""".encode()


def test_rss2_item_with_full_content_is_not_a_teaser() -> None:
    body = rss(f"""<item><title>{ARTICLE_TITLE}</title><link>https://tomsk.example/a/1</link>
<guid isPermaLink="false">tomsk-1</guid><pubDate>Tue, 14 May 2024 09:30:00 +0300</pubDate>
<description>Мост открыли…</description>
<content:encoded><![CDATA[{"".join(f"<p>{p}</p>" for p in ARTICLE_BODY)}]]></content:encoded></item>""")
    feed = parse_feed(body, FEED_URL, "application/rss+xml")
    assert feed.title == "Томские новости"
    assert feed.format == "rss20"
    [item] = feed.items
    assert item.guid == "tomsk-1"
    assert item.url == "https://tomsk.example/a/1"
    assert item.published_at == datetime(2024, 5, 14, 6, 30, tzinfo=UTC)
    assert item.text.splitlines() == list(ARTICLE_BODY)
    assert not item.is_teaser


def test_rss2_description_only_is_a_teaser() -> None:
    body = rss("""<item><title>Отключат воду</title><link>https://tomsk.example/a/2</link>
<description>&lt;p&gt;Плановые отключения начнутся в понедельник&lt;/p&gt;</description></item>""")
    [item] = parse_feed(body, FEED_URL).items
    assert item.text == "Плановые отключения начнутся в понедельник"
    assert item.is_teaser
    assert item.guid == "https://tomsk.example/a/2"  # no <guid>: the link identifies the item


def test_long_description_ending_in_read_more_is_a_teaser() -> None:
    body = rss(f"""<item><title>Мост</title><link>https://tomsk.example/a/3</link>
<description>{LONG_TEXT} Читать далее →</description></item>""")
    [item] = parse_feed(body, FEED_URL).items
    assert len(item.text) > 600
    assert item.is_teaser


def test_yandex_full_text_counts_as_full_content() -> None:
    body = rss(
        f"""<item><title>Мост</title><link>https://tomsk.example/a/4</link><description>Коротко</description>
<yandex:full-text>{LONG_TEXT}</yandex:full-text></item>""",
        extra_ns='xmlns:yandex="http://news.yandex.ru"',
    )
    [item] = parse_feed(body, FEED_URL).items
    assert item.text == LONG_TEXT
    assert not item.is_teaser


@pytest.mark.parametrize(
    ("written", "utc"),
    [
        ("Tue, 14 May 2024 12:00:00 +0300", datetime(2024, 5, 14, 9, tzinfo=UTC)),
        ("Tue, 14 May 2024 12:00:00 GMT", datetime(2024, 5, 14, 12, tzinfo=UTC)),
        ("2024-05-14T12:00:00Z", datetime(2024, 5, 14, 12, tzinfo=UTC)),
        # No zone written: the site's local time, read in the bot's zone (Moscow here), not as UTC.
        ("Tue, 14 May 2024 12:00:00", datetime(2024, 5, 14, 9, tzinfo=UTC)),
        ("2024-05-14T12:00:00", datetime(2024, 5, 14, 9, tzinfo=UTC)),
        ("Tue, 14 May 2024 12:00:00 MSK", datetime(2024, 5, 14, 9, tzinfo=UTC)),
        ("вчера", None),
    ],
)
def test_item_dates_without_a_zone_are_the_bots_local_time(written: str, utc: datetime | None) -> None:
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>Новость</title>'
        f"<link>https://tomsk.example/a/1</link><description>Текст</description><pubDate>{written}</pubDate>"
        "</item></channel></rss>"
    ).encode()
    (item,) = parse_feed(body, "https://tomsk.example/rss", None, "Europe/Moscow").items
    assert item.published_at == utc


def test_item_without_guid_or_link_gets_a_stable_guid() -> None:
    body = rss("<item><title>Без ссылки</title><description>Текст заметки</description></item>")
    first = parse_feed(body, FEED_URL).items[0]
    again = parse_feed(body, FEED_URL).items[0]
    assert first.guid.startswith("sha1:")
    assert first.guid == again.guid
    assert first.url is None
    assert not first.is_teaser  # nothing to fetch, so the text is all there is


def test_rss1_rdf_is_parsed() -> None:
    body = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://tomsk.example/"><title>RDF</title><link>https://tomsk.example/</link></channel>
<item rdf:about="https://tomsk.example/a/5"><title>Item</title><link>https://tomsk.example/a/5</link>
<dc:date>2024-05-14T09:30:00+03:00</dc:date></item></rdf:RDF>"""
    feed = parse_feed(body, FEED_URL)
    assert feed.format == "rss10"
    assert [(i.url, i.published_at) for i in feed.items] == [
        ("https://tomsk.example/a/5", datetime(2024, 5, 14, 6, 30, tzinfo=UTC))
    ]


def test_rss091_in_windows_1251_is_decoded() -> None:
    body = """<?xml version="1.0" encoding="windows-1251"?>
<rss version="0.91"><channel><title>Старая лента</title><link>https://tomsk.example/</link>
<item><title>Мост открыт</title><link>https://tomsk.example/a/6</link></item></channel></rss>""".encode(
        "cp1251"
    )
    feed = parse_feed(body, FEED_URL, "text/xml")
    assert feed.format.startswith("rss091")
    assert feed.title == "Старая лента"
    assert feed.items[0].title == "Мост открыт"


def test_atom_relative_links_resolve_against_the_feed_url() -> None:
    body = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom</title><id>urn:x</id><updated>2024-05-14T10:00:00Z</updated>
<entry><id>urn:x:1</id><title type="html">Mayor &lt;b&gt;opens&lt;/b&gt; bridge</title>
<link rel="alternate" href="/news/1"/><updated>2024-05-14T10:00:00Z</updated>
<author><name>M. Sokolova</name></author><summary>Short</summary></entry></feed>"""
    feed = parse_feed(body, "https://tomsk.example/feeds/atom.xml")
    [item] = feed.items
    assert feed.format == "atom10"
    assert item.url == "https://tomsk.example/news/1"
    assert item.title == "Mayor opens bridge"
    assert item.author == "M. Sokolova"
    assert item.published_at == datetime(2024, 5, 14, 10, 0, tzinfo=UTC)


def test_json_feed_is_parsed_by_hand() -> None:
    body = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "JSON",
            "items": [
                {
                    "id": 7,
                    "url": "/a/7",
                    "title": "Full",
                    "content_text": LONG_TEXT,
                    "date_published": "2024-05-14T09:30:00+03:00",
                    "authors": [{"name": "A"}, {"name": "B"}],
                },
                {"id": "8", "url": "https://tomsk.example/a/8", "summary": "Teaser…"},
                "not an item",
            ],
        },
        ensure_ascii=False,
    ).encode()
    feed = parse_feed(body, FEED_URL, "application/feed+json")
    assert feed.format == "json11"
    full, teaser = feed.items
    assert (full.guid, full.url, full.author) == ("7", "https://tomsk.example/a/7", "A, B")
    assert full.published_at == datetime(2024, 5, 14, 6, 30, tzinfo=UTC)
    assert not full.is_teaser
    assert teaser.is_teaser and teaser.title == ""


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<!DOCTYPE html><html><head><title>Not a feed</title></head><body><p>Hello</p></body></html>",
        b'{"version": "1.0", "items": []}',
        b'{"version": "https://jsonfeed.org/version/1", "items": ',
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Cut off',
        b"\x89PNG\r\n\x1a\n\x00\x00",
    ],
)
def test_non_feeds_and_unrecoverable_feeds_are_refused(body: bytes) -> None:
    with pytest.raises(NotAFeed) as caught:
        parse_feed(body, FEED_URL)
    assert caught.value.kind is FetchErrorKind.NOT_A_FEED


def test_bozo_feed_with_recoverable_items_is_usable() -> None:
    # A bare "&" is the commonest defect of hand-made Russian feeds; feedparser recovers the items.
    body = rss("<item><title>Газ & вода</title><link>https://tomsk.example/a/9</link></item>")
    [item] = parse_feed(body, FEED_URL).items
    assert item.title == "Газ & вода"


def test_feed_with_no_items_is_valid_and_empty() -> None:
    feed = parse_feed(rss(""), FEED_URL)
    assert feed.items == ()
    assert feed.title == "Томские новости"


def test_html_to_text_keeps_paragraphs_and_drops_scripts() -> None:
    html = "<p>Первый &amp; абзац</p><script>alert(1)</script><p>Второй<br>строка</p><ul><li>пункт</li></ul>"
    assert html_to_text(html) == "Первый & абзац\nВторой\nстрока\nпункт"


# --- OPML ----------------------------------------------------------------------------------------------


def test_opml_import_finds_feeds_in_nested_folders_once() -> None:
    body = b"""<?xml version="1.0"?><opml version="1.0"><head><title>Mine</title></head><body>
<outline text="News"><outline text="Tomsk" type="rss" xmlUrl="https://tomsk.example/rss"/>
<outline title="Sport" text="ignored" xmlurl="https://sport.example/feed"/></outline>
<outline text="Again" xmlUrl="https://tomsk.example/rss"/>
<outline text="Local file" xmlUrl="file:///etc/passwd"/><outline text="Folder without feed"/>
</body></opml>"""
    assert parse_opml(body) == [
        OpmlFeed("https://tomsk.example/rss", "Tomsk"),
        OpmlFeed("https://sport.example/feed", "Sport"),
    ]


def test_opml_with_a_bare_ampersand_is_still_read() -> None:
    body = b'<opml version="2.0"><body><outline text="Gas & water" xmlUrl="https://g.example/rss"/></body></opml>'
    assert [f.url for f in parse_opml(body)] == ["https://g.example/rss"]


def test_opml_entities_are_not_expanded_from_local_files(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    body = f"""<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY s SYSTEM "file://{secret}">]>
<opml version="2.0"><body><outline text="&s;" xmlUrl="https://x.example/rss"/></body></opml>""".encode()
    feeds = parse_opml(body)
    assert all("TOP-SECRET" not in (f.title or "") for f in feeds)


@pytest.mark.parametrize(
    "body",
    [b"", b"<html><body>no</body></html>", b"<opml><body><outline text='x'/></body></opml>", b"\xff\xfe"],
)
def test_documents_without_feeds_are_invalid_opml(body: bytes) -> None:
    with pytest.raises(InvalidOpml):
        parse_opml(body)


def test_opml_export_round_trips_and_escapes_titles() -> None:
    feeds = [
        OpmlFeed("https://tomsk.example/rss?a=1&b=2", "Новости <Томск> & область"),
        OpmlFeed("https://sport.example/feed", None),
    ]
    document = export_opml(feeds, now=T0)
    assert document.startswith("<?xml")
    assert "Tue, 14 May 2024 12:00:00" in document
    assert parse_opml(document.encode()) == [
        OpmlFeed("https://tomsk.example/rss?a=1&b=2", "Новости <Томск> & область"),
        OpmlFeed("https://sport.example/feed", "https://sport.example/feed"),
    ]


# --- repository ----------------------------------------------------------------------------------------


@pytest_asyncio.fixture
async def db() -> AsyncIterator[Database]:
    database = Database(Path(":memory:"))
    await database.open()
    yield database
    await database.close()


@pytest_asyncio.fixture
async def repo(db: Database) -> FeedRepo:
    return FeedRepo(db)


async def test_new_feed_is_due_at_once(repo: FeedRepo) -> None:
    feed, created = await repo.add(FEED_URL, "Томск", added_by=42, now=T0)
    assert created
    assert (feed.interval_minutes, feed.added_by, feed.next_poll_at) == (15, 42, T0)
    assert [f.id for f in await repo.due(T0)] == [feed.id]


async def test_adding_a_known_url_returns_the_existing_feed(repo: FeedRepo) -> None:
    first, _ = await repo.add(FEED_URL, "Томск", added_by=1, now=T0)
    again, created = await repo.add(FEED_URL, "Другое имя", added_by=2, now=T0 + timedelta(hours=1))
    assert not created
    assert again == first
    assert len(await repo.list()) == 1


async def test_success_schedules_the_next_poll_one_interval_later(repo: FeedRepo) -> None:
    feed, _ = await repo.add(FEED_URL, interval_minutes=30, now=T0)
    failed = await repo.record_failure(feed.id, FeedErrorKind.TIMEOUT, "timeout", T0)
    assert failed is not None and failed.error_kind is FeedErrorKind.TIMEOUT
    updated = await repo.record_success(feed.id, etag='"v1"', last_modified=None, items_new=3, polled_at=T0)
    assert updated is not None
    assert updated.next_poll_at == T0 + timedelta(minutes=30)
    assert (updated.consecutive_failures, updated.last_error, updated.items_total) == (0, None, 3)
    assert updated.error_kind is None
    assert updated.etag == '"v1"'
    assert await repo.due(T0 + timedelta(minutes=29)) == []
    kept = await repo.record_success(feed.id, etag=None, last_modified=None, items_new=0, polled_at=T0)
    assert kept is not None and kept.etag == '"v1"'


async def test_failures_back_off_exponentially_and_pause_after_ten(repo: FeedRepo) -> None:
    feed, _ = await repo.add(FEED_URL, now=T0)
    waits = []
    updated: Feed | None = feed
    for n in range(10):
        polled_at = T0 + timedelta(days=n)
        updated = await repo.record_failure(feed.id, FeedErrorKind.UNREACHABLE, f"error {n}", polled_at)
        assert updated is not None
        waits.append(updated.next_poll_at - polled_at)
    assert waits[:4] == [timedelta(minutes=m) for m in (30, 60, 120, 240)]
    assert max(waits) == timedelta(hours=24)
    assert updated is not None and updated.paused and updated.consecutive_failures == 10
    assert updated.last_error == "error 9"
    assert await repo.due(T0 + timedelta(days=30)) == []
    resumed = await repo.resume(feed.id, now=T0 + timedelta(days=30))
    assert resumed is not None and not resumed.paused and resumed.consecutive_failures == 0
    assert [f.id for f in await repo.due(T0 + timedelta(days=30))] == [feed.id]


def test_backoff_never_polls_more_often_than_the_interval() -> None:
    assert backoff_delay(15, 0) == timedelta(minutes=15)
    assert backoff_delay(600, 5, ceiling=timedelta(hours=1)) == timedelta(minutes=600)


async def test_seen_items_are_recognised_by_guid_or_by_link(repo: FeedRepo) -> None:
    feed, _ = await repo.add(FEED_URL, now=T0)
    other, _ = await repo.add("https://other.example/rss", now=T0)
    await repo.mark_seen(feed.id, "g1", "https://tomsk.example/a/1", T0)
    assert await repo.seen_guid(feed.id, "g1")
    assert await repo.seen_guid(feed.id, "renamed-guid", "https://tomsk.example/a/1")
    assert not await repo.seen_guid(feed.id, "g2", "https://tomsk.example/a/2")
    assert not await repo.seen_guid(other.id, "g1")


async def test_deleting_a_feed_forgets_its_items(repo: FeedRepo, db: Database) -> None:
    feed, _ = await repo.add(FEED_URL, now=T0)
    await repo.mark_seen(feed.id, "g1", None, T0)
    assert await repo.delete(feed.id)
    assert await repo.get(feed.id) is None
    async with db.conn.execute("SELECT count(*) FROM feed_items_seen") as cursor:
        assert (await cursor.fetchone())[0] == 0
    assert not await repo.delete(feed.id)


async def test_interval_change_moves_the_next_poll(repo: FeedRepo) -> None:
    feed, _ = await repo.add(FEED_URL, now=T0)
    await repo.record_success(feed.id, etag=None, last_modified=None, items_new=0, polled_at=T0)
    updated = await repo.set_interval(feed.id, 60)
    assert updated is not None and updated.next_poll_at == T0 + timedelta(hours=1)


# --- polling -------------------------------------------------------------------------------------------


class ArticleTable:
    """The test's ingest: insert into the articles table, a duplicate by URL or normalised text is refused."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.calls: list[FeedArticle] = []

    async def __call__(self, article: FeedArticle) -> bool:
        self.calls.append(article)
        normalised = " ".join(article.text.lower().split())
        digest = hashlib.sha256(normalised.encode()).hexdigest()
        async with self.db.conn.execute(
            "SELECT 1 FROM articles WHERE content_hash = ? OR url = ?", (digest, article.url)
        ) as cursor:
            if await cursor.fetchone():
                return False
        await self.db.conn.execute(
            "INSERT INTO articles (url, title, text, published_at, source, lang, content_hash, ingested_at)"
            " VALUES (?, ?, ?, ?, ?, 'ru', ?, ?)",
            (
                article.url,
                article.title,
                article.text,
                article.published_at.isoformat(),
                article.source,
                digest,
                T0.isoformat(),
            ),
        )
        await self.db.conn.commit()
        return True

    async def rows(self) -> list[tuple[str, str, str, str]]:
        async with self.db.conn.execute(
            "SELECT url, title, text, published_at FROM articles ORDER BY id"
        ) as cursor:
            return [tuple(row) for row in await cursor.fetchall()]


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest_asyncio.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(allowed_networks=["127.0.0.1/32"], timeout=1.0) as client:
        yield client


class Admins:
    def __init__(self) -> None:
        self.messages: list[str] = []

    async def __call__(self, text: str) -> None:
        self.messages.append(text)


@pytest.fixture
def admins() -> Admins:
    return Admins()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def articles(db: Database) -> ArticleTable:
    return ArticleTable(db)


@pytest.fixture
def poller(
    repo: FeedRepo, fetcher: Fetcher, articles: ArticleTable, admins: Admins, clock: Clock
) -> FeedPoller:
    return FeedPoller(repo, fetcher, articles, admins, clock=clock)


async def test_new_feed_items_are_stored_and_teasers_get_their_page_text(
    site: LocalNewsSite, repo: FeedRepo, poller: FeedPoller, articles: ArticleTable
) -> None:
    feed, _ = await repo.add(site.url("/rss.xml"), now=T0)
    outcome = await poller.poll_one(feed)
    assert (outcome.status, outcome.items_new, outcome.items_pending) == (PollStatus.UPDATED, 2, 0)
    rows = await articles.rows()
    # Oldest first; the teaser's text is the page's, the full item's text is the feed's own.
    assert [r[0] for r in rows] == [site.url("/article/2"), site.url("/article/1")]
    assert "Материал 2." in rows[0][2]
    assert rows[1][2] == LONG_TEXT
    assert "/article/2" in site.paths() and "/article/1" not in site.paths()
    assert {a.source for a in articles.calls} == {"Томские новости"}
    stored = await repo.get(feed.id)
    assert stored is not None
    assert (stored.title, stored.items_total, stored.etag is not None) == ("Томские новости", 2, True)


async def test_second_poll_is_conditional_and_adds_nothing(
    site: LocalNewsSite, repo: FeedRepo, poller: FeedPoller, articles: ArticleTable, clock: Clock
) -> None:
    feed, _ = await repo.add(site.url("/rss.xml"), now=T0)
    await poller.poll_one(feed)
    clock.now = T0 + timedelta(minutes=15)
    [due] = await repo.due(clock.now)
    outcome = await poller.poll_one(due)
    assert outcome.status is PollStatus.NOT_MODIFIED
    assert site.requests[-1].headers.get("If-None-Match") == due.etag
    assert len(await articles.rows()) == 2


async def test_feed_whose_items_move_adds_only_the_new_ones(
    site: LocalNewsSite, repo: FeedRepo, poller: FeedPoller, articles: ArticleTable, clock: Clock
) -> None:
    def spec(n: int, guid: str | None = None) -> FeedItemSpec:
        published = T0 - timedelta(hours=10 - n)
        return FeedItemSpec(guid or str(n), f"Новость {n}", published, f"{n}: {LONG_TEXT}", True, page=str(n))

    site.moving_items = [spec(2), spec(1)]
    feed, _ = await repo.add(site.url("/moving.xml"), now=T0)
    first = await poller.poll_one(feed)
    # Item 2 went away, item 1 moved down, item 3 is new, item 1 reappears under a new guid.
    site.moving_items = [spec(3), spec(1), spec(1, guid="1-renamed")]
    clock.now = T0 + timedelta(minutes=15)
    second = await poller.poll_one((await repo.due(clock.now))[0])
    assert (first.items_new, second.items_new, second.items_duplicate) == (2, 1, 0)
    assert [r[1] for r in await articles.rows()] == ["Новость 1", "Новость 2", "Новость 3"]


async def test_items_a_feed_still_lists_are_remembered_and_those_it_dropped_are_forgotten(
    site: LocalNewsSite,
    repo: FeedRepo,
    poller: FeedPoller,
    articles: ArticleTable,
    clock: Clock,
    db: Database,
) -> None:
    def spec(n: int) -> FeedItemSpec:
        return FeedItemSpec(str(n), f"Новость {n}", T0 - timedelta(hours=10 - n), f"{n}: {LONG_TEXT}", True)

    async def seen() -> dict[str, datetime]:
        async with db.conn.execute("SELECT guid, seen_at FROM feed_items_seen") as cursor:
            return {g: datetime.fromisoformat(t) for g, t in await cursor.fetchall()}

    site.moving_items = [spec(2), spec(1)]
    feed, _ = await repo.add(site.url("/moving.xml"), now=T0)
    await poller.poll_one(feed)
    # Forty days later item 2 is gone from the feed, item 1 is still listed, item 3 is new.
    site.moving_items = [spec(3), spec(1)]
    clock.now = T0 + timedelta(days=40)
    await poller.poll_one((await repo.due(clock.now))[0])
    assert await seen() == {"tomsk-1": clock.now, "tomsk-2": T0, "tomsk-3": clock.now}
    # The daily job, a month after item 2 was last seen: its marker goes, the listed items' stay.
    assert await repo.forget_seen_before(clock.now - timedelta(days=30)) == 1
    assert set(await seen()) == {"tomsk-1", "tomsk-3"}
    # Item 1 is still known: the next poll adds nothing.
    clock.now += timedelta(minutes=15)
    outcome = await poller.poll_one((await repo.due(clock.now))[0])
    assert outcome.items_new == 0 and len(await articles.rows()) == 3


async def test_a_feed_not_read_since_keeps_its_items(repo: FeedRepo) -> None:
    paused, _ = await repo.add(FEED_URL, now=T0)
    await repo.mark_seen(paused.id, "old", None, T0)
    await repo.record_failure(paused.id, FeedErrorKind.TIMEOUT, "timeout", T0 + timedelta(days=60))
    # Unreachable for two months: when it comes back, its old items must still count as seen.
    assert await repo.forget_seen_before(T0 + timedelta(days=30)) == 0
    assert await repo.seen_guid(paused.id, "old")


async def test_a_feed_that_asks_to_wait_is_not_polled_before_it_says(
    site: LocalNewsSite, repo: FeedRepo, poller: FeedPoller, clock: Clock
) -> None:
    feed, _ = await repo.add(site.url("/busy.xml"), interval_minutes=15, now=T0)
    outcome = await poller.poll_one(feed)
    assert outcome.status is PollStatus.FAILED
    later = await repo.get(feed.id)
    assert later is not None and later.next_poll_at == clock.now + timedelta(hours=2)  # not 30 minutes


def test_retry_after_is_read_as_seconds_or_a_date() -> None:
    now = datetime(2024, 5, 14, 12, tzinfo=UTC)
    assert retry_after_seconds("120", now) == 120
    assert retry_after_seconds("Tue, 14 May 2024 12:05:00 GMT", now) == 300
    assert retry_after_seconds("Tue, 14 May 2024 11:00:00 GMT", now) == 0
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds(None, now) is None


async def test_same_article_in_two_feeds_is_stored_once(
    site: LocalNewsSite, repo: FeedRepo, poller: FeedPoller, articles: ArticleTable
) -> None:
    rss, _ = await repo.add(site.url("/rss.xml"), now=T0)
    atom, _ = await repo.add(site.url("/atom.xml"), now=T0)
    await poller.poll_one(rss)
    outcome = await poller.poll_one(atom)
    assert (outcome.items_new, outcome.items_duplicate) == (0, 1)
    assert len(await articles.rows()) == 2


async def test_json_feed_is_polled_like_any_other(
    site: LocalNewsSite, repo: FeedRepo, poller: FeedPoller, articles: ArticleTable
) -> None:
    feed, _ = await repo.add(site.url("/feed.json"), now=T0)
    outcome = await poller.poll_one(feed)
    assert outcome.items_new == 2
    assert (await repo.get(feed.id)).title == "Томские новости (JSON)"  # type: ignore[union-attr]


async def test_broken_feed_is_a_failure_with_a_reason(
    site: LocalNewsSite, repo: FeedRepo, poller: FeedPoller
) -> None:
    feed, _ = await repo.add(site.url("/broken.xml"), now=T0)
    outcome = await poller.poll_one(feed)
    assert outcome.status is PollStatus.FAILED
    assert outcome.error is not None and outcome.error.startswith("not_a_feed")
    assert outcome.error_kind is FeedErrorKind.NOT_A_FEED
    stored = await repo.get(feed.id)
    assert stored is not None and stored.consecutive_failures == 1
    assert stored.error_kind is FeedErrorKind.NOT_A_FEED and stored.last_error == outcome.error
    assert stored.next_poll_at == T0 + timedelta(minutes=30)


async def test_feed_on_a_private_address_fails_without_the_setting(
    site: LocalNewsSite, repo: FeedRepo, articles: ArticleTable, admins: Admins
) -> None:
    feed, _ = await repo.add(site.url("/rss.xml"), now=T0)
    async with Fetcher() as strict:
        outcome = await FeedPoller(repo, strict, articles, admins, clock=Clock()).poll_one(feed)
    assert outcome.error is not None and outcome.error.startswith("private_address")
    assert outcome.error_kind is FeedErrorKind.PRIVATE_ADDRESS
    assert site.requests == []


async def test_feed_failing_ten_times_is_paused_and_admins_told_once(
    site: LocalNewsSite, repo: FeedRepo, poller: FeedPoller, admins: Admins, clock: Clock
) -> None:
    await repo.add(site.url("/gone.xml"), "Пропавшая лента", now=T0)
    statuses = []
    for _ in range(12):
        due = await repo.due(clock.now)
        if due:
            statuses.append((await poller.poll_one(due[0])).status)
        clock.now += timedelta(days=1)
    assert statuses == [PollStatus.FAILED] * 9 + [PollStatus.PAUSED]
    assert len(admins.messages) == 1
    assert "Пропавшая лента" in admins.messages[0] and site.url("/gone.xml") in admins.messages[0]


async def test_a_hanging_feed_does_not_hold_up_the_others(
    site: LocalNewsSite, repo: FeedRepo, fetcher: Fetcher, db: Database, admins: Admins
) -> None:
    slow, _ = await repo.add(site.url("/slow"), now=T0 - timedelta(minutes=1))
    fast, _ = await repo.add(site.url("/rss.xml"), now=T0)
    failures_of_slow_when_fast_was_stored: list[int] = []

    async def ingest(article: FeedArticle) -> bool:
        current = await repo.get(slow.id)
        assert current is not None
        failures_of_slow_when_fast_was_stored.append(current.consecutive_failures)
        return await ArticleTable(db)(article)

    outcomes = await FeedPoller(repo, fetcher, ingest, admins, clock=Clock()).poll_due()
    by_feed = {o.feed_id: o for o in outcomes}
    assert by_feed[slow.id].status is PollStatus.FAILED and "timeout" in (by_feed[slow.id].error or "")
    assert by_feed[slow.id].error_kind is FeedErrorKind.TIMEOUT
    assert by_feed[fast.id].items_new == 2
    # The slow feed was due first, yet the fast one's items were stored before its timeout was recorded.
    assert failures_of_slow_when_fast_was_stored == [0, 0]


async def test_items_whose_ingestion_fails_are_retried_on_the_next_poll(
    site: LocalNewsSite, repo: FeedRepo, fetcher: Fetcher, db: Database, admins: Admins, clock: Clock
) -> None:
    table = ArticleTable(db)
    broken_once = {"tomsk-2"}

    async def flaky_ingest(article: FeedArticle) -> bool:
        if article.guid in broken_once:
            broken_once.clear()
            raise RuntimeError("disk full")
        return await table(article)

    poller = FeedPoller(repo, fetcher, flaky_ingest, admins, clock=clock)
    feed, _ = await repo.add(site.url("/rss.xml"), now=T0)
    first = await poller.poll_one(feed)
    clock.now += timedelta(minutes=15)
    second = await poller.poll_one((await repo.due(clock.now))[0])
    assert (first.items_new, first.items_pending) == (1, 1)
    # The validators were not stored, so the second poll got the document again rather than a 304.
    assert (second.status, second.items_new, second.items_pending) == (PollStatus.UPDATED, 1, 0)


def test_parse_errors_survive_the_trip_back_from_a_worker_process() -> None:
    with pytest.raises(NotAFeed) as caught:
        parse_feed(b"<html><body>page</body></html>", FEED_URL)
    copy = pickle.loads(pickle.dumps(caught.value))
    assert type(copy) is NotAFeed
    assert (copy.kind, copy.detail, str(copy)) == (caught.value.kind, caught.value.detail, str(caught.value))


def test_front_page_advertises_its_feeds() -> None:
    page = b"""<html><head><link rel="stylesheet" href="/s.css">
<link rel="alternate" type="application/rss+xml" title="RSS" href="/rss.xml">
<link rel="alternate" type="application/atom+xml" href="https://tomsk.example/atom.xml">
<link rel="alternate" hreflang="en" href="/en/">
<link rel="alternate" type="application/rss+xml" href="/rss.xml">
</head><body><p>Front page</p></body></html>"""
    assert discover_feed_urls(page, "https://tomsk.example/") == [
        "https://tomsk.example/rss.xml",
        "https://tomsk.example/atom.xml",
    ]
    assert discover_feed_urls(b"", "https://tomsk.example/") == []
