"""Telegram's HTML rules (the emulator's parser) and our splitting of long messages."""

from __future__ import annotations

import pytest

from bot.emulator.tg_html import EntityParseError, parse_html
from bot.telegram.text import esc, split_html, utf16_len


@pytest.mark.parametrize(
    "source",
    ["a < b", "<b>open", "x & y", "<div>x</div>", "<b><i>x</b></i>", "</b>", "&nbsp;"],
)
def test_emulator_rejects_what_telegram_rejects(source: str) -> None:
    with pytest.raises(EntityParseError, match="can't parse entities"):
        parse_html(source)


def test_emulator_reads_entities_in_utf16_units() -> None:
    text, entities = parse_html(
        '🔎 <b>жирный</b> &lt;&amp;&gt; <a href="https://e.org/?a=1&amp;b=2">ссылка</a>'
    )
    assert text == "🔎 жирный <&> ссылка"
    bold, link = entities
    assert (bold.type, bold.offset, bold.length) == ("bold", 3, 6)  # the emoji counts twice
    assert link.url == "https://e.org/?a=1&b=2"


def test_escaped_article_strings_parse_back_to_themselves() -> None:
    nasty = 'Курс <b>рубля</b> & "доллара" </i> &amp;'
    text, entities = parse_html(f"<b>{esc(nasty)}</b>")
    assert text == nasty and len(entities) == 1


def test_short_text_is_one_message() -> None:
    assert split_html("<b>a</b>\n\nb") == ["<b>a</b>\n\nb"]


def test_split_keeps_paragraphs_whole_and_every_part_valid() -> None:
    paragraphs = [f"<b>Заголовок {n}</b>\n<i>{'слово ' * 60}</i>" for n in range(40)]
    parts = split_html("\n\n".join(paragraphs))
    assert len(parts) > 1
    assert all(utf16_len(p) <= 4096 for p in parts)
    assert "\n\n".join(parts) == "\n\n".join(paragraphs)
    for part in parts:
        parse_html(part)  # no tag is cut


def test_split_counts_utf16_units_not_characters() -> None:
    emoji_paragraph = "🙂" * 1500  # 1,500 characters, 3,000 UTF-16 units
    parts = split_html(f"{emoji_paragraph}\n\n{emoji_paragraph}")
    assert len(parts) == 2


def test_a_single_oversized_line_is_cut_between_words() -> None:
    line = " ".join(["переговоры"] * 1000)
    parts = split_html(line)
    assert all(utf16_len(p) <= 4096 for p in parts)
    assert " ".join(parts) == line
