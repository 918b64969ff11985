"""Bad input end to end (issue #10): implausible dates, broken encodings, invisible characters, a .jsonl line
too deep to parse, a text longer than the analysis reads. Through the emulator, with a real SQLite file."""

from __future__ import annotations

import codecs
import json
import logging
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.analysis.invisible import INVISIBLE
from bot.analysis.understanding import MAX_ANALYSED_CHARS
from bot.emulator import BotAPIEmulator
from bot.feeds.service import POLL_JOB_ID
from storage.articles import ArticleRepo
from storage.database import Database, migrations
from tests.conftest import ADMIN, ADMIN_EN, READER, RunningBot, running_bot
from tests.web_fixtures import ARTICLE_BODY, FeedItemSpec, LocalNewsSite

FAR_FUTURE = datetime(9999, 12, 31, 23, 30, tzinfo=UTC)
CITIES = (
    "Минске",
    "Гомеле",
    "Бресте",
    "Гродно",
    "Витебске",
    "Могилёве",
    "Бобруйске",
    "Барановичах",
    "Борисове",
    "Пинске",
    "Орше",
    "Мозыре",
    "Солигорске",
    "Новополоцке",
    "Лиде",
    "Молодечно",
)


def sixteen_articles(bad_date: str, bad_line: int) -> bytes:
    """16 distinct articles, one a day in November 2025; line `bad_line` carries `bad_date`."""
    lines = []
    for n, city in enumerate(CITIES, start=1):
        lines.append(
            json.dumps(
                {
                    "title": f"Переговоры в {city}",
                    "text": f"Делегации встретились в {city} и обсудили мирный план. Встреча номер {n} "
                    f"прошла спокойно, стороны договорились продолжить переговоры через неделю.",
                    "date": bad_date if n == bad_line else f"2025-11-{n:02d}",
                },
                ensure_ascii=False,
            )
        )
    return "\n".join(lines).encode()


async def analysed_ids(bot: RunningBot) -> set[int]:
    async with bot.app.db.conn.execute("SELECT article_id FROM analyses") as cursor:
        return {row[0] for row in await cursor.fetchall()}


# --- dates ---


@pytest.mark.parametrize("bad_date", ["9999-12-31T23:30Z", "0001-01-01T00:00+05:00"])
async def test_one_implausible_date_in_an_upload_refuses_only_its_line(
    bot: RunningBot, bad_date: str
) -> None:
    reply = await bot.send_file(ADMIN_EN, "news.jsonl", sixteen_articles(bad_date, bad_line=7))
    assert (
        f"⚠️ Line 7: the date “{bad_date}” is not between 1900-01-01 and the day after tomorrow; "
        "fix it or leave it out." in reply["text"]
    )
    assert reply["text"].endswith("Saved: 15, already stored: 0, not read: 1.")
    await bot.app.analyzer.idle()
    stored = await bot.app.articles.get_many(list(range(1, 17)))
    assert len(stored) == 15 and "Переговоры в Бобруйске" not in {a.title for a in stored}
    assert await analysed_ids(bot) == {a.id for a in stored}
    (latest,) = await bot.ask(READER, "/latest")
    assert "16 ноября 2025 — " in latest["text"] and "Бобруйск" not in latest["text"]
    (found,) = await bot.ask(READER, "/search переговоры в Минске")
    assert "Переговоры в Минске" in found["text"]


@pytest.mark.parametrize("header", ["date 9999-12-31", "date 0001-01-01"])
async def test_a_seed_header_with_an_implausible_date_is_stored_dated_on_arrival_and_said(
    bot: RunningBot, header: str
) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    text = f"{header} Переговоры в Минске\nДелегации встретились в Минске и обсудили мирный план."
    reply = await bot.send_file(ADMIN, "news.txt", text.encode())
    day = header.split()[1]
    assert reply["text"].startswith("✅ Сохранено #1: Переговоры в Минске (")
    assert (
        f"ℹ️ #1: Дата {day} не между 1900-01-01 и послезавтрашним днём, поэтому у статьи дата её получения."
        in reply["text"]
    )
    article = await bot.app.articles.get(1)
    assert article is not None and article.published_at >= before
    await bot.app.analyzer.idle()
    assert await analysed_ids(bot) == {1}
    (latest,) = await bot.ask(READER, "/latest")
    assert "Переговоры в Минске" in latest["text"]


async def test_ingest_command_with_an_implausible_date_says_it_was_not_used(bot: RunningBot) -> None:
    (reply,) = await bot.ask(ADMIN_EN, "/ingest date 9999-12-31 Переговоры в Минске\nДелегации встретились.")
    assert reply["text"].startswith("✅ Saved #1: Переговоры в Минске (")
    assert "ℹ️ #1: The date 9999-12-31 is not between 1900-01-01 and the day after tomorrow" in reply["text"]


@pytest.mark.usefixtures("loopback_only")
async def test_a_feed_item_with_an_implausible_date_is_stored_with_the_fetch_time_and_logged(
    emulator: BotAPIEmulator, tmp_path: Path, site: LocalNewsSite, caplog: pytest.LogCaptureFixture
) -> None:
    text = " ".join(ARTICLE_BODY)
    site.moving_items = [
        FeedItemSpec("2", "Новость из будущего", FAR_FUTURE, f"2: {text}", True),
        FeedItemSpec("1", "Обычная новость", datetime(2024, 5, 14, 6, 30, tzinfo=UTC), f"1: {text}", True),
    ]
    async with running_bot(emulator, tmp_path / "news.sqlite3", allow_private_urls=True) as bot:
        bot.app.scheduler.pause_job(POLL_JOB_ID)
        before = datetime.now(UTC).replace(microsecond=0)
        with caplog.at_level(logging.WARNING, logger="bot.ingest.service"):
            reply = await bot.reply(ADMIN_EN, f"/addfeed {site.url('/moving.xml')}")
        assert reply["text"].endswith("First poll: new articles: 2, already stored: 0.")
        stored = {a.title: a for a in await bot.app.articles.get_many([1, 2])}
        assert stored["Обычная новость"].published_at == datetime(2024, 5, 14, 6, 30, tzinfo=UTC)
        future = stored["Новость из будущего"]
        assert before <= future.published_at <= datetime.now(UTC)
        assert [r.getMessage() for r in caplog.records if "implausible" in r.getMessage()] == [
            f"article #{future.id} ({future.url}): publication date 9999-12-31T23:30:00+00:00 is implausible;"
            " stored with its ingest time"
        ]
        await bot.app.analyzer.idle()
        assert await analysed_ids(bot) == {1, 2}
        (latest,) = await bot.ask(READER, "/latest")
        assert "Новость из будущего" in latest["text"]


def database_at_version_6(path: Path) -> None:
    """A database as the bot left it before migration 0007, holding the dates the old ingest stored."""
    conn = sqlite3.connect(path)
    for version, _, sql in migrations():
        if version <= 6:
            conn.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version={version};\nCOMMIT;")
    rows = [
        (1, "Переговоры в Минске", "9999-12-31T23:30:00+00:00", "2025-11-26T10:00:00+00:00", "минск"),
        (2, "Переговоры в Гомеле", "0001-01-01T00:00:00+00:00", "2025-11-26T11:00:00+00:00", "гомел"),
        (3, "Переговоры в Бресте", "2025-11-20T09:00:00+00:00", "2025-11-26T12:00:00+00:00", "брест"),
    ]
    for article_id, title, published, ingested, stem in rows:
        conn.execute(
            "INSERT INTO articles (id, title, text, published_at, source, lang, content_hash, ingested_at)"
            " VALUES (?, ?, ?, ?, NULL, 'ru', ?, ?)",
            (article_id, title, f"Делегации встретились. {title}.", published, f"hash{article_id}", ingested),
        )
        conn.execute(
            "INSERT INTO articles_fts (rowid, title, body) VALUES (?, ?, ?)",
            (article_id, f"переговор {stem}", f"делегац встрет переговор {stem}"),
        )
    conn.commit()
    conn.close()


async def test_migration_gives_stored_implausible_dates_their_ingest_time(
    emulator: BotAPIEmulator, tmp_path: Path
) -> None:
    database = tmp_path / "news.sqlite3"
    database_at_version_6(database)
    async with running_bot(emulator, database) as bot:
        dates = {a.id: a.published_at for a in await bot.app.articles.get_many([1, 2, 3])}
        assert dates == {
            1: datetime(2025, 11, 26, 10, 0, tzinfo=UTC),
            2: datetime(2025, 11, 26, 11, 0, tzinfo=UTC),
            3: datetime(2025, 11, 20, 9, 0, tzinfo=UTC),
        }
        (latest,) = await bot.ask(READER, "/latest")
        assert latest["text"].count("26 ноября 2025 — ") == 2 and "20 ноября 2025 — " in latest["text"]
        (found,) = await bot.ask(READER, "/search переговоры")
        assert "Переговоры в Минске" in found["text"] and "Переговоры в Гомеле" in found["text"]
        await bot.app.analyzer.idle()
        assert await analysed_ids(bot) == {1, 2, 3}


async def test_reading_a_stored_date_that_cannot_be_shown_never_fails(tmp_path: Path) -> None:
    db = Database(tmp_path / "news.sqlite3")
    await db.open()
    try:
        await db.conn.execute(
            "INSERT INTO articles (id, title, text, published_at, lang, content_hash, ingested_at)"
            " VALUES (1, 'T', 'Текст', '9999-12-31T23:30:00+00:00', 'ru', 'h', '2025-11-26T10:00:00+00:00')"
        )
        await db.conn.commit()
        repo = ArticleRepo(db)
        (article,) = await repo.latest()
        assert article.published_at == datetime(2025, 11, 26, 10, 0, tzinfo=UTC)
        article.published_at.astimezone(UTC)
        assert (await repo.stats()).newest_published_at is not None
    finally:
        await db.close()


# --- decoding ---


async def test_utf8_with_a_stray_byte_stays_utf8_and_the_reply_says_so(bot: RunningBot) -> None:
    data = "Сломанный файл\nТекст про переговоры в Минске".encode() + b"\xff" + " и Гомеле.".encode()
    reply = await bot.send_file(ADMIN_EN, "broken.txt", data)
    assert reply["text"].startswith("✅ Saved #1: Сломанный файл (")
    assert "ℹ️ 1 byte is not valid UTF-8 and was replaced with “�”." in reply["text"]
    article = await bot.app.articles.get(1)
    assert article is not None and article.text == "Текст про переговоры в Минске\ufffd и Гомеле."
    reply = await bot.send_file(ADMIN, "broken2.txt", "Второй\nФайл".encode() + b"\xfe\xfe\xfe" + b".")
    assert "ℹ️ 3 байта не читаются как UTF-8 и заменены на «�»." in reply["text"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-8-sig"])
async def test_text_with_a_byte_order_mark_is_read_in_its_encoding(bot: RunningBot, encoding: str) -> None:
    text = "Переговоры в Минске\nДелегации встретились в Минске и обсудили мирный план."
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = codecs.BOM_UTF16_BE + data
    reply = await bot.send_file(ADMIN, "news.txt", data)
    assert reply["text"].startswith("✅ Сохранено #1: Переговоры в Минске (")
    assert "ℹ️" not in reply["text"]
    article = await bot.app.articles.get(1)
    assert article is not None and article.text == text.split("\n", 1)[1]


async def test_windows_1251_text_is_still_read_as_windows_1251(bot: RunningBot) -> None:
    text = "Переговоры в Минске\nДелегации встретились в Минске и обсудили мирный план."
    reply = await bot.send_file(ADMIN, "news.txt", text.encode("cp1251"))
    assert reply["text"].startswith("✅ Сохранено #1: Переговоры в Минске (")
    article = await bot.app.articles.get(1)
    assert article is not None and article.text == text.split("\n", 1)[1]


# --- invisible characters ---


async def test_zero_width_characters_inside_a_name_never_reach_storage_or_who(bot: RunningBot) -> None:
    text = (
        "Лукашенко провёл переговоры в Минске\n"
        "Президент Белоруссии Алекс\u200bандр Лука\u00adшенко провёл переговоры с делегацией в Минске. "
        "По словам Алекс\u2060андра Лукашенко\u200d, стороны договорились встретиться снова в декабре."
    )
    reply = await bot.send_file(ADMIN, "news.txt", text.encode())
    assert reply["text"].startswith("✅ Сохранено #1")
    await bot.app.analyzer.idle()
    article = await bot.app.articles.get(1)
    assert article is not None and not INVISIBLE.search(article.title + article.text)
    assert "Александр Лукашенко провёл" in article.text
    async with bot.app.db.conn.execute("SELECT name FROM entities WHERE kind = 'PER'") as cursor:
        names = [row[0] for row in await cursor.fetchall()]
    assert "Александр Лукашенко" in names and not any(INVISIBLE.search(n) for n in names)
    (card,) = await bot.ask(READER, "/who Александр Лукашенко")
    assert card["text"].startswith("👤 Александр Лукашенко")


# --- .jsonl too deep, long texts ---


async def test_a_jsonl_line_nested_100000_deep_is_refused_and_the_others_stored(bot: RunningBot) -> None:
    good = [json.dumps({"title": f"Новость {n}", "text": f"Текст новости номер {n}."}) for n in (1, 2, 4)]
    body = "\n".join([good[0], good[1], "[" * 100_000 + "]" * 100_000, good[2]])
    reply = await bot.send_file(ADMIN_EN, "deep.jsonl", body.encode())
    assert "⚠️ Line 3: the JSON is nested too deeply to read." in reply["text"]
    assert reply["text"].endswith("Saved: 3, already stored: 0, not read: 1.")
    stored = await bot.app.articles.get_many([1, 2, 3])
    assert [a.title for a in stored] == ["Новость 1", "Новость 2", "Новость 4"]


async def test_a_text_longer_than_the_analysis_reads_is_stored_whole_and_the_reply_says_so(
    bot: RunningBot,
) -> None:
    paragraph = "Делегации встретились в Минске и обсудили мирный план из двадцати восьми пунктов. " * 10
    body = "\n".join(f"{n}. {paragraph}" for n in range(MAX_ANALYSED_CHARS // len(paragraph) + 5))
    body += "\nПоследний абзац упоминает Владивосток."
    reply = await bot.send_file(ADMIN_EN, "long.txt", f"Длинная статья\n{body}".encode())
    assert reply["text"].startswith("✅ Saved #1: Длинная статья (")
    assert "ℹ️ #1: The text is long: who, roles and the timeline come from its first " in reply["text"]
    shown = int(reply["text"].split("its first ")[1].split(" ")[0])
    assert MAX_ANALYSED_CHARS // 2 < shown <= MAX_ANALYSED_CHARS
    (found,) = await bot.ask(READER, "/search Владивосток")
    assert "Длинная статья" in found["text"]
    short = await bot.send_file(ADMIN_EN, "short.txt", "Короткая\nКороткий текст.".encode())
    assert "ℹ️" not in short["text"]


async def test_upload_dates_in_range_are_kept_to_the_minute(bot: RunningBot) -> None:
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    line = json.dumps({"title": "Анонс", "text": "Завтра пройдут переговоры.", "date": tomorrow.isoformat()})
    reply = await bot.send_file(ADMIN_EN, "soon.jsonl", line.encode())
    assert reply["text"].startswith("✅ Saved #1") and "ℹ️" not in reply["text"]
    article = await bot.app.articles.get(1)
    assert article is not None and article.published_at == tomorrow


async def test_a_forwarded_post_dated_years_ahead_is_dated_on_arrival_and_said(bot: RunningBot) -> None:
    posted = int(datetime(2100, 1, 1, tzinfo=UTC).timestamp())
    origin = bot.emulator.channel_post("", title="Канал", username="channel", message_id=1, date=posted)
    (reply,) = await bot.ask(ADMIN_EN, "Переговоры в Минске\nДелегации встретились.", forward_origin=origin)
    assert reply["text"].startswith("✅ Saved #1: Переговоры в Минске (")
    assert "ℹ️ #1: The date 2100-01-01 is not between 1900-01-01 and the day after tomorrow" in reply["text"]
    article = await bot.app.articles.get(1)
    assert article is not None and article.published_at.year < 2100
