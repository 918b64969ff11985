"""The digest service composes data; the Telegram layer renders it, in the chat's language and zone."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.digest.compose import Composer, DigestContent, DigestRequest, StoryMaterial, Topics, build_catalog
from bot.digest.summary import StoryArticle
from bot.emulator.tg_html import parse_html
from bot.telegram.i18n import create_i18n
from bot.telegram.replies.digest import renderer
from tests.test_architecture import _graph

LATE = datetime(2025, 11, 26, 23, 30, tzinfo=UTC)  # 27 November in Vladivostok


def content(
    language: str, timezone: str, phrases: tuple[str, ...], excluded: tuple[str, ...]
) -> DigestContent:
    article = StoryArticle(
        article_id=1,
        title="Курс <b>рубля</b> & доллар",
        text="Курс рубля к доллару вырос за неделю на два процента. Аналитики ждут продолжения роста.",
        source="Источник",
        published=LATE - timedelta(hours=1),
    )
    catalog = build_catalog([StoryMaterial(7, (article,), LATE - timedelta(hours=1))], LATE)
    composed = Composer(catalog).compose(DigestRequest(1, None, Topics()))
    return DigestContent(composed, LATE, timezone, language, phrases, excluded)


def test_digest_is_rendered_in_the_chats_language_zone_and_topics_escaped() -> None:
    render = renderer(create_i18n())
    (ru,) = render(content("ru", "Asia/Vladivostok", ("рубль <i>", "доллар"), ("спорт",)))
    assert ru.startswith("🗞 <b>Дайджест за 27 ноября 2025</b>: 1 сюжет")
    assert "Темы: рубль &lt;i&gt;, доллар, −спорт" in ru
    plain, _ = parse_html(ru)
    assert "Курс <b>рубля</b> & доллар" in plain  # the article's title, escaped, comes back as written

    (en,) = render(content("en", "UTC", (), ()))
    assert en.startswith("🗞 <b>Digest for 26 November 2025</b>: 1 story")
    assert "Topics:" not in en


def test_the_digest_domain_imports_nothing_of_telegram() -> None:
    """Services return data: bot/digest composes, bot/telegram renders (the service gets a renderer)."""
    imports = [
        f"{module} imports {target}"
        for module, targets in _graph().items()
        if module.startswith("bot.digest")
        for target in targets
        if target.startswith("bot.telegram")
    ]
    assert imports == []


def test_the_stories_left_out_are_counted_as_the_chats_topics_or_as_plain_stories() -> None:
    render = renderer(create_i18n())
    plain = content("ru", "UTC", (), ())
    crowded = replace(plain, composed=replace(plain.composed, more=5))
    (no_topics,) = render(crowded)
    assert no_topics.endswith("…и ещё 5 сюжетов.")  # "on your topics" when the chat has none was wrong
    (with_topics,) = render(replace(crowded, phrases=("рубль",)))
    assert with_topics.endswith("…и ещё 5 сюжетов по вашим темам.")
    (english,) = render(replace(crowded, language="en"))
    assert english.endswith("…and 5 more stories.")
