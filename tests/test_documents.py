"""Parsing what admins upload: formats, encodings, the seed header, and precise problems."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.ingest.documents import Problem, decode_text, draft_from_text, parse_document
from bot.ingest.drafts import content_hash
from tests.conftest import SEED

MB = 1024 * 1024


def parse(name: str, data: bytes):
    return parse_document(name, data, "Europe/Moscow", 5 * MB)


def test_seed_header_gives_date_and_title() -> None:
    parsed = parse(SEED.name, SEED.read_bytes())
    (article,) = parsed.articles
    assert article.draft.title.startswith("Лукашенко заявил, что Минск готов")
    assert article.draft.published_at is not None
    assert article.draft.published_at.isoformat() == "2025-11-26T00:00:00+03:00"
    assert article.lang == "ru"
    assert "переговор" in article.body_stems.split()


def test_plain_first_line_is_the_title_and_indentation_is_allowed() -> None:
    draft = draft_from_text("   date 2024-01-05 Заголовок\nТекст", ZoneInfo("UTC"))
    assert draft is not None and draft.title == "Заголовок" and draft.text == "Текст"
    plain = draft_from_text("Просто заголовок\nИ текст", ZoneInfo("UTC"))
    assert plain is not None and plain.title == "Просто заголовок" and plain.published_at is None


def test_utf8_bom_and_cp1251_decode_to_the_same_text() -> None:
    text = "Минск готов принять переговоры — «сказал» он"
    assert decode_text(b"\xef\xbb\xbf" + text.encode()) == text
    assert decode_text(text.encode("cp1251")) == text


def test_binary_content_is_recognised() -> None:
    assert decode_text(b"%PDF-1.7\n...") is Problem.BINARY
    assert decode_text(b"text\x00with nul") is Problem.BINARY
    assert decode_text(bytes(range(1, 32)) * 50) is Problem.BINARY


def test_problems_are_precise() -> None:
    assert parse("big.txt", b"x" * (5 * MB + 1)).problems[0].problem is Problem.TOO_LARGE
    assert parse("image.png", b"...").problems[0].problem is Problem.UNSUPPORTED
    assert parse("empty.md", b"\n \n").problems[0].problem is Problem.EMPTY


def test_jsonl_keeps_good_lines_and_numbers_bad_ones() -> None:
    data = b'{"title": "A", "text": "a"}\n\n{"title": "B"}\n{"title": "C", "text": "c", "url": "ftp://x"}\n'
    parsed = parse("x.jsonl", data)
    assert [a.draft.title for a in parsed.articles] == ["A"]
    assert [(p.problem, p.line) for p in parsed.problems] == [
        (Problem.MISSING_FIELD, 3),
        (Problem.BAD_URL, 4),
    ]


def test_content_hash_ignores_typography_but_not_words() -> None:
    assert content_hash("Ёлка «зелёная» —\nвысокая") == content_hash("ёлка зеленая высокая!")
    assert content_hash("Ёлка зелёная") != content_hash("Ёлка синяя")


def test_text_in_neither_encoding_is_undecodable() -> None:
    # 0x98 is unassigned in Windows-1251, and this is not UTF-8 either.
    assert decode_text("Привет".encode("cp1251") + b"\x98") is Problem.UNDECODABLE


def test_a_jsonl_article_without_a_source_is_credited_to_its_site() -> None:
    data = (
        b'{"title": "A", "text": "a", "url": "https://www.example.org/news/1"}\n'
        b'{"title": "B", "text": "b", "url": "https://example.org/2", "source": "Example News"}\n'
        b'{"title": "C", "text": "c"}\n'
    )
    parsed = parse("x.jsonl", data)
    assert [a.draft.source for a in parsed.articles] == ["www.example.org", "Example News", None]
