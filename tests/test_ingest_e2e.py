"""Every ingest path, end to end: a user's update → real aiogram → SQLite → the reply the user reads."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from bot.emulator import BotAPIEmulator
from tests.conftest import ADMIN, ADMIN_EN, READER, READER_EN, SEED, RunningBot, running_bot

ARTICLE = "Переговоры в Женеве\nДелегации встретились в Женеве и обсудили мирный план из 28 пунктов."


async def test_seed_document_is_saved_with_the_date_from_its_header(bot: RunningBot) -> None:
    reply = await bot.send_file(ADMIN, SEED.name, SEED.read_bytes(), mime_type="text/plain")
    assert reply["text"].startswith("✅ Сохранено #1: Лукашенко заявил")
    assert "(26 ноября 2025)" in reply["text"]
    stored = await bot.app.articles.get(1)
    assert stored is not None and stored.published_at.date().isoformat() == "2025-11-25"  # 00:00 MSK in UTC
    assert stored.text.startswith("Александр Лукашенко (Фото")
    assert stored.ingested_by == ADMIN.id and stored.lang == "ru"


async def test_ingest_command_with_text_saves_first_line_as_title(bot: RunningBot) -> None:
    (reply,) = await bot.ask(ADMIN, f"/ingest {ARTICLE}")
    assert reply["text"].startswith("✅ Сохранено #1: Переговоры в Женеве (")
    article = await bot.app.articles.get(1)
    assert article is not None
    assert article.title == "Переговоры в Женеве"
    assert article.text.startswith("Делегации встретились")


async def test_ingest_without_text_explains_usage(bot: RunningBot) -> None:
    (reply,) = await bot.ask(ADMIN_EN, "/ingest")
    assert "first line is the title" in reply["text"]
    assert await bot.app.articles.count() == 0


async def test_forwarded_channel_post_is_stored_with_the_channel_as_source(bot: RunningBot) -> None:
    origin = bot.emulator.channel_post(
        "",
        title="Новости <Минска> & мира",
        username="minsknews",
        message_id=777,
        date=int(datetime(2025, 11, 20, 9, 0, tzinfo=UTC).timestamp()),
    )
    (reply,) = await bot.ask(ADMIN, ARTICLE, forward_origin=origin)
    assert reply["text"].startswith("✅ Сохранено #1")
    article = await bot.app.articles.get(1)
    assert article is not None
    assert article.source == "Новости <Минска> & мира"
    assert article.url == "https://t.me/minsknews/777"
    assert article.published_at == datetime(2025, 11, 20, 9, 0, tzinfo=UTC)


async def test_ingest_as_reply_to_a_forwarded_post_stores_that_post(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    origin = emulator.channel_post("", title="Канал", username=None, message_id=5)
    reader_post = await emulator.send_text(
        READER, ARTICLE, forward_origin=origin, chat={"id": -500, "type": "group", "title": "Редакция"}
    )
    before = len(emulator.messages(-500))
    await emulator.send_text(
        ADMIN, "/ingest", chat={"id": -500, "type": "group", "title": "Редакция"}, reply_to=reader_post
    )
    (reply,) = await emulator.replies(-500, 1, after=before)
    assert reply["text"].startswith("✅ Сохранено #1")
    article = await bot.app.articles.get(1)
    assert article is not None and article.source == "Канал" and article.url is None


async def test_same_text_twice_is_stored_once_and_answers_the_existing_id(bot: RunningBot) -> None:
    await bot.ask(ADMIN, f"/ingest {ARTICLE}")
    # Re-typed under another title: other line breaks, quotes, case and punctuation are still the same text.
    retyped = "ДЕЛЕГАЦИИ  встретились в Женеве, и обсудили\n«мирный план» из 28 пунктов!"
    (reply,) = await bot.ask(ADMIN, f"/ingest Другой заголовок\n{retyped}")
    assert reply["text"] == "↩️ Уже есть в архиве под #1: Переговоры в Женеве"
    (other,) = await bot.ask(ADMIN, "/ingest Другая новость\nДелегации встретились в Стамбуле.")
    assert other["text"].startswith("✅ Сохранено #2: Другая новость")
    assert await bot.app.articles.count() == 2


async def test_same_url_with_other_text_is_a_duplicate(bot: RunningBot) -> None:
    lines = [
        {"title": "Первая версия", "text": "Текст первой версии заметки.", "url": "https://example.org/a"},
        {
            "title": "Обновлённая версия",
            "text": "Совсем другой текст той же заметки.",
            "url": "https://example.org/a",
        },
    ]
    data = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines).encode()
    reply = await bot.send_file(ADMIN, "batch.jsonl", data)
    assert "✅ Сохранено #1: " in reply["text"]
    assert "↩️ Уже есть в архиве под #1" in reply["text"]
    assert await bot.app.articles.count() == 1


async def test_jsonl_reports_bad_lines_by_number_and_keeps_the_good_ones(bot: RunningBot) -> None:
    data = "\n".join(
        [
            json.dumps(
                {"title": "Good one", "text": "The first good article.", "date": "2025-11-20", "lang": "en"}
            ),
            "{not json",
            json.dumps({"title": "No text"}),
            json.dumps({"title": "Bad date", "text": "Body", "date": "20.11.2025"}),
            json.dumps(["a list"]),
            json.dumps(
                {"title": "Good two", "text": "The second good article.", "date": "2025-11-21T10:00:00Z"}
            ),
        ]
    ).encode()
    reply = await bot.send_file(ADMIN_EN, "feed.jsonl", data)
    text = reply["text"]
    assert "✅ Saved #1: Good one (20 November 2025)" in text
    assert "✅ Saved #2: Good two (21 November 2025)" in text
    assert "Line 2: not valid JSON" in text
    assert "Line 3: missing or empty field: text." in text
    assert "Line 4: “20.11.2025” is not an ISO 8601 date" in text
    assert "Line 5: expected a JSON object" in text
    assert "Saved: 2, already stored: 0, not read: 4." in text
    assert await bot.app.articles.count() == 2


async def test_a_large_file_is_reported_by_counts_with_only_what_failed_listed(bot: RunningBot) -> None:
    # a file of 300 articles was answered with a line each: fifteen messages
    records = [
        json.dumps({"title": f"Новость {n}", "text": f"Событие номер {n} случилось.", "date": "2025-11-20"})
        for n in range(1, 26)
    ]
    records[4] = "{not json"
    records[9] = json.dumps({"title": "Без текста"})
    reply = await bot.send_file(ADMIN, "big.jsonl", "\n".join(records).encode())
    text = reply["text"]
    assert text.startswith("📥 Сохранено: 23, уже были: 0, не прочитано: 2. Новые статьи: #1–#23."), text
    assert "Строка 5: некорректный JSON" in text and "Строка 10: нет поля или оно пустое: text." in text
    assert "✅" not in text and len(text.split("\n")) == 3
    again = await bot.send_file(ADMIN, "big.jsonl", "\n".join(records).encode())
    assert again["text"].startswith("Сохранено: 0, уже были: 23, не прочитано: 2."), again["text"]
    assert await bot.app.articles.count() == 23


async def test_cp1251_text_file_is_decoded(bot: RunningBot) -> None:
    reply = await bot.send_file(ADMIN, "win.txt", ARTICLE.encode("cp1251"))
    assert reply["text"].startswith("✅ Сохранено #1: Переговоры в Женеве")
    article = await bot.app.articles.get(1)
    assert article is not None and "Делегации встретились в Женеве" in article.text


async def test_markdown_file_loses_its_markup(bot: RunningBot) -> None:
    markdown = "# Итоги **встречи**\n\nСтороны [договорились](https://example.org) о _новом_ раунде."
    reply = await bot.send_file(ADMIN, "note.md", markdown.encode())
    assert reply["text"].startswith("✅ Сохранено #1: Итоги встречи (")
    article = await bot.app.articles.get(1)
    assert article is not None and article.text == "Стороны договорились о новом раунде."


async def test_oversize_file_is_refused_before_download(bot: RunningBot, emulator: BotAPIEmulator) -> None:
    reply = await bot.send_file(ADMIN, "big.txt", b"x", declared_size=6 * 1024 * 1024)
    assert reply["text"] == "⚠️ Файл больше 5 МБ; разбейте его на части."
    assert not any(method == "getFile" for method, _ in emulator.calls)
    assert await bot.app.articles.count() == 0


async def test_oversize_content_is_refused_even_when_declared_small(bot: RunningBot) -> None:
    reply = await bot.send_file(ADMIN_EN, "big.txt", b"word " * (1024 * 1024 + 10), declared_size=100)
    assert reply["text"] == "⚠️ The file is larger than 5 MB; split it into smaller files."
    assert await bot.app.articles.count() == 0


async def test_binary_files_are_refused(bot: RunningBot) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    reply = await bot.send_file(ADMIN_EN, "photo.txt", png)
    assert reply["text"] == "⚠️ This is not a text file. Send .txt, .md, .html or .jsonl."
    reply = await bot.send_file(ADMIN_EN, "report.pdf", b"%PDF-1.7 ...")
    assert reply["text"].startswith("⚠️ Files of type “.pdf” are not supported.")
    assert await bot.app.articles.count() == 0


async def test_empty_file_and_empty_text_are_refused(bot: RunningBot) -> None:
    reply = await bot.send_file(ADMIN, "empty.txt", b"  \n\n \t")
    assert reply["text"] == "⚠️ В нём нет текста, который можно сохранить."
    reply = await bot.send_file(ADMIN_EN, "empty.jsonl", b"\n\n")
    assert reply["text"] == "⚠️ There is no text to store."
    # a paste of emoji and marks alone has no word to read: it was stored and led the next digest
    for wordless in ("/ingest 😀", "/ingest 🔥🔥 !!! …", "/ingest «» — "):
        (reply,) = await bot.ask(ADMIN, wordless)
        assert reply["text"] == "⚠️ В нём нет текста, который можно сохранить.", wordless
    # a scheme with no address is a link that cannot be read, not a text titled "http://"
    for link in ("/ingest http://", "https://"):
        (reply,) = await bot.ask(ADMIN, link)
        assert reply["text"].startswith("⚠️ Ничего не сохранено из http") and "не адрес" in reply["text"], link
    assert await bot.app.articles.count() == 0
    (flash,) = await bot.ask(ADMIN, "/ingest Молния: парламент принял закон")  # one line is a post
    assert flash["text"].startswith("✅") and await bot.app.articles.count() == 1


async def test_non_admins_are_refused_and_nothing_is_stored(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    (reply,) = await bot.ask(READER, f"/ingest {ARTICLE}")
    assert reply["text"].startswith("⛔ Это могут только администраторы бота.")
    reply = await bot.send_file(READER_EN, "a.txt", ARTICLE.encode())
    assert reply["text"].startswith("⛔ Only the bot's admins can do that.")
    (reply,) = await bot.ask(READER, ARTICLE, forward_origin=emulator.channel_post(""))
    assert reply["text"].startswith("⛔")
    (reply,) = await bot.ask(READER_EN, "/stats")
    assert reply["text"].startswith("⛔")
    assert await bot.app.articles.count() == 0


async def test_data_survives_a_restart(emulator: BotAPIEmulator, tmp_path: Path) -> None:
    database = tmp_path / "news.sqlite3"
    async with running_bot(emulator, database) as first:
        await first.send_file(ADMIN, SEED.name, SEED.read_bytes())
    async with running_bot(emulator, database) as second:
        (reply,) = await second.ask(READER, "/search переговорам")
        assert "Лукашенко заявил" in reply["text"]
        again = await second.send_file(ADMIN, SEED.name, SEED.read_bytes())
        assert again["text"].startswith("↩️ Уже есть в архиве под #1")


async def test_html_document_keeps_the_main_text_title_and_date(bot: RunningBot) -> None:
    from tests.web_fixtures import ARTICLE_AUTHOR, ARTICLE_TITLE, article_html, no_article_html

    reply = await bot.send_file(ADMIN, "page.html", article_html().encode())
    assert reply["text"].startswith(f"✅ Сохранено #1: {ARTICLE_TITLE} (")
    article = await bot.app.articles.get(1)
    assert article is not None
    assert "Главная" not in article.text and "Читайте также" not in article.text  # menus and related links
    assert article.source == "Томские новости"
    assert article.author == ARTICLE_AUTHOR
    empty = await bot.send_file(ADMIN, "index.html", no_article_html().encode())
    assert empty["text"] == "⚠️ На этой странице не найден текст статьи."
    assert await bot.app.articles.count() == 1


async def test_text_in_an_unknown_encoding_is_refused(bot: RunningBot) -> None:
    reply = await bot.send_file(ADMIN, "koi.txt", "Привет".encode("cp1251") + b"\x98")
    assert reply["text"] == "⚠️ Текст не в UTF-8 и не в Windows-1251; сохраните его в UTF-8."
    assert await bot.app.articles.count() == 0
