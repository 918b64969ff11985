"""/who replies: a card for a person, organisation or place; choices; "not found" with suggestions."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext as __

from bot.analysis.language import written_in
from bot.telegram.replies.common import day, entity_name, locale
from bot.telegram.text import esc
from storage.entities import EntityCard, EntitySummary

ICONS = {"PER": "👤", "ORG": "🏛", "LOC": "📍"}
QUOTE_LIMIT = 300


def _link(title: str, url: str | None) -> str:
    return f'<a href="{esc(url)}">{esc(title)}</a>' if url else esc(title)


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def card(c: EntityCard, tz: ZoneInfo) -> str:
    e = c.entity
    blocks: list[str] = []
    head = [f"{ICONS.get(e.kind, '•')} <b>{esc(entity_name(e.name, e.other_name))}</b>"]
    # A person named in Russian and English articles has titles in both: the reader's language's, if any.
    roles = [r for r in c.roles if written_in(r.title, locale())] or c.roles
    if roles:
        latest, *earlier = roles
        title = latest.title[:1].upper() + latest.title[1:]
        head.append(f"{esc(title)} <i>({day(latest.last_seen, tz)})</i>")
        # Titles given on the latest role's day are other names for the same position, not an earlier one.
        latest_day = latest.last_seen.astimezone(tz).date()
        same = [r for r in earlier if r.last_seen.astimezone(tz).date() == latest_day]
        before = [r for r in earlier if r not in same]
        if same:
            head.append(_("also: {roles}").format(roles="; ".join(esc(r.title) for r in same[:3])))
        if before:
            head.append(
                _("earlier: {roles}").format(
                    roles="; ".join(f"{esc(r.title)} ({day(r.last_seen, tz)})" for r in before[:4])
                )
            )
    blocks.append("\n".join(head))
    counts = (
        __("{n} article", "{n} articles", e.articles).format(n=e.articles)
        + ", "
        + __("{n} mention", "{n} mentions", e.mentions).format(n=e.mentions)
    )
    seen = ""
    if c.first_seen and c.last_seen:
        seen = " · " + _("first seen {first}, last seen {last}").format(
            first=day(c.first_seen, tz), last=day(c.last_seen, tz)
        )
    blocks.append(f"📰 {counts}{seen}")
    if c.quotes:
        lines = [_("💬 <b>Said</b>")]
        for q in c.quotes:
            text = (
                f"«{esc(_clip(q.text, QUOTE_LIMIT))}»"
                if q.kind == "quote"
                else esc(_clip(q.text, QUOTE_LIMIT))
            )
            source = esc(q.source) if q.source else f"«{esc(_clip(q.article_title, 60))}»"
            where = f'<a href="{esc(q.url)}">{source}</a>' if q.url else source
            lines.append(f"{text} — <i>{day(q.published_at, tz)}</i>, {where}")
        blocks.append("\n".join(lines))
    if c.companions:
        people = ", ".join(f"{esc(entity_name(p.name, p.other_name))} ({n})" for p, n in c.companions)
        blocks.append(_("👥 <b>Most often with</b>: {people}").format(people=people))
    if c.latest:
        lines = [_("🗞 <b>Recent articles</b>")]
        lines += [f"{day(a.published_at, tz)} — {_link(a.title, a.url)}" for a in c.latest]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def choices(query: str) -> str:
    return _("Several match “{query}”. Whom do you mean?").format(query=esc(query))


def choice_label(e: EntitySummary) -> str:
    return f"{ICONS.get(e.kind, '•')} {entity_name(e.name, e.other_name)} ({e.mentions})"


def not_found(query: str, suggestions: list[EntitySummary]) -> str:
    text = _("I know nobody called “{query}” in the stored news.").format(query=esc(query))
    if suggestions:
        names = ", ".join(f"<code>{esc(entity_name(s.name, s.other_name))}</code>" for s in suggestions)
        text += "\n" + _("Maybe: {names}").format(names=names)
    return text


def top_people(people: list[tuple[EntitySummary, int, int]], days: int | None) -> str:
    """The people in the most reports (then with the most mentions), each with both counts."""
    if not people:
        return _("Nobody is in the news yet. Ask /who <i>name</i> once articles are added.")
    if days is None:
        header = _("👥 <b>Most mentioned people</b> (all time)")
    else:
        header = __(
            "👥 <b>Most mentioned people</b> of the last {n} day",
            "👥 <b>Most mentioned people</b> of the last {n} days",
            days,
        ).format(n=days)
    lines = [header] + [
        f"{n}. {esc(entity_name(e.name, e.other_name))} — "
        + __("{n} article", "{n} articles", a).format(n=a)
        + ", "
        + __("{k} mention", "{k} mentions", k).format(k=k)
        for n, (e, k, a) in enumerate(people, start=1)
    ]
    lines.append(_("Send /who <i>name</i> for a card."))
    return "\n".join(lines)


def card_gone() -> str:
    return _("This card is no longer available; ask /who again.")
