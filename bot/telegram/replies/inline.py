"""Inline mode (@bot words in any chat): what each result shows in the list and what it sends."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext as __

from bot.analysis.snippets import best_snippet
from bot.telegram.replies.common import day, entity_name, title_link
from bot.telegram.replies.who import card
from bot.telegram.text import esc, split_html
from storage.articles import Article
from storage.entities import EntityCard

TITLE_LIMIT = 120  # the result list shows a line or two; Telegram keeps what it can display
SNIPPET_LIMIT = 300


def _plain(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def article_title(article: Article) -> str:  # plain text: the list is not HTML
    return _plain(article.title, TITLE_LIMIT) or "…"


def article_description(article: Article, tz: ZoneInfo) -> str:
    parts = [day(article.published_at, tz), article.source or "", article.author or ""]
    return " · ".join(p for p in parts if p)


def article_message(article: Article, words: str, tz: ZoneInfo) -> str:
    """The compact message a chosen result sends: the linked title, date and source, the best snippet."""
    source = "".join(f" · {esc(part)}" for part in (article.source, article.author) if part)
    lines = [title_link(article), f"<i>{day(article.published_at, tz)}{source}</i>"]
    snippet = best_snippet(article.text, words) if words else None
    text = snippet.text if snippet else article.text
    if text.strip():
        lines.append(esc(_plain(text, SNIPPET_LIMIT)))
    return "\n".join(lines)


def person_title(c: EntityCard) -> str:
    return _plain(entity_name(c.entity.name, c.entity.other_name), TITLE_LIMIT)


def person_description(c: EntityCard) -> str:
    role = c.roles[0].title if c.roles else ""
    mentions = __("{n} article", "{n} articles", c.entity.articles).format(n=c.entity.articles)
    return " · ".join(p for p in (_plain(role, 80), mentions) if p)


def person_message(c: EntityCard, tz: ZoneInfo) -> str:
    """The /who card, cut at a block boundary to one message."""
    return split_html(card(c, tz))[0]


def more_button() -> str:
    return _("🔎 More in the bot")
