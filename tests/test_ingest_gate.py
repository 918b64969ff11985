"""The gate every draft passes on its way to storage (`bot.ingest.drafts.prepare`): invisible characters,
Unicode normalisation, implausible dates; and how documents are decoded."""

from __future__ import annotations

import codecs
from datetime import UTC, datetime, timedelta, timezone

from bot.analysis.invisible import visible_text
from bot.ingest.documents import Problem, decode_document, parse_document
from bot.ingest.drafts import ArticleDraft, content_hash, plausible_date, prepare

NOW = datetime(2025, 11, 26, 12, 0, tzinfo=UTC)


def test_invisible_characters_go_and_text_is_nfc() -> None:
    assert visible_text("Алекс\u200bандр Лука\u00adшенко\u200f") == "Александр Лукашенко"
    assert visible_text("e\u0301\u200b") == "\u00e9"  # the mark joins its letter, as typed on a keyboard
    assert visible_text("Ёлка\u2060") == "Ёлка"
    assert visible_text("😀\u200d👍") == "😀👍"


def test_an_author_loses_the_byline_label_pages_put_before_it() -> None:
    # a page's "Текст: Иван Петров" showed in /search as "· Текст Иван Петров"
    for written, shown in (
        ("Текст: Иван Петров", "Иван Петров"),
        ("Автор — Анна Ли", "Анна Ли"),
        ("By Jane Doe", "Jane Doe"),
        ("Bypass Smith", "Bypass Smith"),  # a name that only begins so keeps it
        ("Текст:", None),
    ):
        assert prepare(ArticleDraft("T", "Текст статьи.", author=written), now=NOW).draft.author == shown


def test_plausible_dates_are_1900_to_two_days_ahead() -> None:
    assert plausible_date(datetime(1900, 1, 1, tzinfo=UTC), NOW)
    assert plausible_date(NOW + timedelta(days=2), NOW)
    assert not plausible_date(NOW + timedelta(days=2, seconds=1), NOW)
    assert not plausible_date(datetime(1899, 12, 31, 23, 59, tzinfo=UTC), NOW)
    assert not plausible_date(datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))), NOW)
    assert not plausible_date(datetime(9999, 12, 31, 23, 30, tzinfo=UTC), NOW)


def test_prepare_drops_an_implausible_date_and_keeps_it_for_the_reply() -> None:
    day = datetime(9999, 12, 31, 23, 30, tzinfo=UTC)
    prepared = prepare(ArticleDraft("Заголовок", "Текст", published_at=day), now=NOW)
    assert prepared.draft.published_at is None and prepared.ignored_date == day
    fine = prepare(ArticleDraft("Заголовок", "Текст", published_at=NOW), now=NOW)
    assert fine.draft.published_at == NOW and fine.ignored_date is None


def test_prepare_cleans_every_text_field_and_keeps_a_title() -> None:
    draft = ArticleDraft("\u200b", "Алекс\u200bандр сказал.\n", source="ТАСС\u200e", author="\u00ad")
    prepared = prepare(draft, now=NOW)
    assert (prepared.draft.title, prepared.draft.text) == ("Александр сказал.", "Александр сказал.")
    assert (prepared.draft.source, prepared.draft.author) == ("ТАСС", None)
    assert prepared.content_hash == prepare(ArticleDraft("x", "Александр сказал."), now=NOW).content_hash


def test_an_html_document_with_an_implausible_published_time_keeps_the_article() -> None:
    html = (
        '<html><head><meta property="article:published_time" content="9999-12-31T23:30:00Z"></head>'
        "<body><article><h1>Переговоры</h1><p>"
        + "Делегации встретились в Минске. " * 20
        + "</p></article></body></html>"
    )
    (article,) = parse_document("page.html", html.encode(), "Europe/Moscow", 5 << 20).articles
    assert article.draft.published_at is None and article.ignored_date is not None


def test_byte_order_marks_name_the_encoding() -> None:
    text = "Переговоры в Минске"
    for data in (
        codecs.BOM_UTF8 + text.encode(),
        text.encode("utf-16"),
        codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
        text.encode("utf-32"),
    ):
        decoded = decode_document(data)
        assert not isinstance(decoded, Problem) and (decoded.text, decoded.replaced) == (text, 0)


def test_utf16_without_its_last_byte_is_read_with_one_byte_replaced() -> None:
    decoded = decode_document("Переговоры".encode("utf-16") + b"\x04")
    assert not isinstance(decoded, Problem) and (decoded.text, decoded.replaced) == ("Переговоры\ufffd", 1)


def test_windows_1251_only_when_most_non_ascii_bytes_are_not_utf8() -> None:
    russian = "Сломанный текст про переговоры в Минске"
    stray = decode_document(russian.encode() + b"\xff")
    assert not isinstance(stray, Problem) and (stray.text, stray.replaced) == (russian + "\ufffd", 1)
    legacy = decode_document(russian.encode("cp1251"))
    assert not isinstance(legacy, Problem) and (legacy.text, legacy.replaced) == (russian, 0)


def test_a_full_stop_glued_to_the_next_sentence_gets_its_space() -> None:
    # a page that lost its line breaks: the analysis would read one sentence, dated by its last year
    text = "Суд ликвидировал движение, передает агентство.Движение было основано в 1997 году."
    prepared = prepare(ArticleDraft("Суд ликвидировал движение", text), now=NOW)
    assert (
        prepared.draft.text
        == "Суд ликвидировал движение, передает агентство. Движение было основано в 1997 году."
    )
    assert prepared.content_hash == prepare(ArticleDraft("x", text), now=NOW).content_hash
    assert (
        prepare(ArticleDraft("T", "He said.The court agreed."), now=NOW).draft.text
        == "He said. The court agreed."
    )
    # after a capitalised word too, when the next sentence opens with a word no name is made of
    assert (
        prepare(
            ArticleDraft("T", "Об этом сообщает РИА Новости.Таким образом, суд согласился."), now=NOW
        ).draft.text
        == "Об этом сообщает РИА Новости. Таким образом, суд согласился."
    )
    assert prepare(
        ArticleDraft("T", "It said in a note to Reuters.The court agreed."), now=NOW
    ).draft.text == ("It said in a note to Reuters. The court agreed.")
    # names and addresses with a dot are left alone
    kept = (
        "Яндекс.Дзен, Крым.Реалии, Mail.Ru, Д.Дэвис, г.Москва, ул.Ленина, www.Example.com, "
        "news.site.Org/page, Яндекс.Такси, Лента.Ру, Иванов.В.В. сказал"
    )
    assert prepare(ArticleDraft("T", kept), now=NOW).draft.text == kept


def test_character_references_left_in_plain_text_are_read() -> None:
    # a feed's or an export's leftovers: readers would see "&nbsp" and "&laquo;" in snippets and summaries
    raw = "Читайте также:&nbspПалата приняла резолюцию. Дело &laquo;Сети&raquo; &amp; &#171;Величия&#xBB;."
    prepared = prepare(ArticleDraft("Суд &mdash; итоги", raw), now=NOW)
    assert prepared.draft.title == "Суд — итоги"
    assert (
        prepared.draft.text == "Читайте также:\xa0Палата приняла резолюцию. Дело «Сети» & «Величия»."
    )
    # the hash is of the text as written: an article stored before is still found as a duplicate
    assert prepared.content_hash == content_hash(raw)
    # an ampersand in a web address, an unknown name, a word after "&nbsp" in Latin letters: as written
    kept = "См. https://example.com/?a=1&copy=2&b=3, AT&T; &foo; &nbspx"
    assert prepare(ArticleDraft("T", kept), now=NOW).draft.text == kept
