"""/timeline replies: events oldest first under year and month headings, each with its date and sources."""

from __future__ import annotations

import datetime as dt
import html
import re

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext as __

from bot.analysis.timelabels import EN_MONTHS, RU_MONTHS_NOMINATIVE, interval_label
from bot.telegram.replies.common import entity_name, locale
from bot.telegram.text import MESSAGE_LIMIT, esc, utf16_len
from bot.timeline.service import (
    ENTITY,
    PERIOD,
    RECENT,
    RECENT_DAYS,
    TimelinePage,
    period_granularity,
    period_of,
)
from storage.entities import ArticleRef, EntitySummary
from storage.events import StoredEvent

SOURCE_TITLE_LIMIT = 50
_TAG_RE = re.compile(r"<[^>]+>")


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _month_name(month: int) -> str:
    name = RU_MONTHS_NOMINATIVE[month - 1] if locale().startswith("ru") else EN_MONTHS[month - 1]
    return name[:1].upper() + name[1:]


def _month_of(e: StoredEvent) -> int | None:
    """The month heading an event sits under; None for a year or longer, which sits under the year."""
    if e.granularity in {"decade", "year"} or (e.end - e.begin).days >= 364:
        return None
    return e.begin.month


def _source(ref: ArticleRef, shown: set[str]) -> str:
    """A report by its title, or by its outlet when an earlier report of the line had that title (outlets
    print one agency story under one headline: "«Суд ликвидировал…», «Суд ликвидировал…»" told nothing).
    Titles are one title when they read alike as shown: the same letters and digits in any case and
    punctuation ("…расследовать, –…" and "…расследовать –…")."""
    title = _clip(ref.title, SOURCE_TITLE_LIMIT)
    key = "".join(ch for ch in title.casefold() if ch.isalnum())
    name = ref.source if key in shown and ref.source else title
    shown.add(key)
    text = esc(name)
    return f'<a href="{esc(ref.url)}">{text}</a>' if ref.url else f"«{text}»"


def _event_line(e: StoredEvent) -> str:
    label = interval_label(e.begin, e.end, e.granularity, locale())
    shown: set[str] = set()
    sources = ", ".join(_source(s, shown) for s in e.sources)
    more = e.source_count - len(e.sources)
    if more > 0:
        sources += " " + __("and {n} more", "and {n} more", more).format(n=more)
    return f"• <b>{esc(label)}</b> — {esc(e.text)}" + (f" <i>({sources})</i>" if sources else "")


def _period_label(ref: int) -> str:
    first, last = period_of(ref) or (dt.date.min, dt.date.min)
    return interval_label(first, last, period_granularity(first, last), locale())


def _header(page: TimelinePage) -> str:
    if page.topic.kind == PERIOD:
        return _("🗓 <b>Events of {period}</b>").format(period=esc(_period_label(page.topic.ref)))
    if page.topic.kind == RECENT:
        return __(
            "🗓 <b>Events of the last {n} day</b>", "🗓 <b>Events of the last {n} days</b>", RECENT_DAYS
        ).format(n=RECENT_DAYS)
    if page.topic.kind == ENTITY:
        return _("🗓 <b>Timeline: {name}</b>").format(
            name=esc(entity_name(page.topic.name, page.topic.other_name))
        )
    return _("🗓 <b>Timeline: “{query}”</b>").format(query=esc(page.topic.name))


def timeline(page: TimelinePage) -> str:
    """One page; the year and month headings are repeated at the top of every page."""
    if not page.events:
        if page.topic.kind == RECENT:
            return _(
                "No dated events in the last {n} days. Ask about a topic: <code>/timeline переговоры</code>"
            ).format(n=RECENT_DAYS)
        if page.topic.kind == PERIOD:
            return _("No stored event is dated {period}.").format(period=esc(_period_label(page.topic.ref)))
        return _("These events are no longer stored; ask /timeline again.")
    lines = [_header(page)]
    year: int | None = None
    month: int | None = None
    for e in page.events:
        if e.begin.year != year:
            year, month = e.begin.year, None
            lines += ["", f"<b>{year}</b>"]
        if _month_of(e) is not None and _month_of(e) != month:
            month = _month_of(e)
            lines.append(f"<i>{_month_name(e.begin.month)}</i>")
        lines.append(_event_line(e))
    return "\n".join(lines)


def visible_length(text: str) -> int:
    """What Telegram counts against the 4,096 limit: the text after the markup is parsed."""
    return utf16_len(html.unescape(_TAG_RE.sub("", text)))


def fit(page: TimelinePage, limit: int = MESSAGE_LIMIT) -> TimelinePage:
    """The page with as many events as one message holds (always at least one)."""
    keep = len(page.events)
    while keep > 1 and visible_length(timeline(page.trimmed(keep))) > limit:
        keep -= 1
    return page.trimmed(keep)


def not_found(query: str, suggestions: list[EntitySummary]) -> str:
    text = _("Nothing found for “{query}”: no stored event mentions it.").format(query=esc(query))
    if suggestions:
        names = ", ".join(
            f"<code>/timeline {esc(entity_name(s.name, s.other_name))}</code>" for s in suggestions
        )
        text += "\n" + _("Try: {names}").format(names=names)
    return text


def gone() -> str:
    return _("This timeline is no longer available; ask /timeline again.")
