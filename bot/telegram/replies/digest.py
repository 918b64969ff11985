"""Digests and subscription replies as the reader sees them: translated, every article string escaped."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from aiogram.utils.i18n import I18n, get_i18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext as __
from babel.dates import format_date, format_datetime

from bot.digest.compose import ComposedDigest, DigestContent, DigestEntry, parse_topics
from bot.digest.subscribe import zone_label
from bot.telegram.text import esc, split_html
from storage.subscriptions import Subscription

MAX_LINKS = 6


def _locale() -> str:
    return get_i18n().current_locale


def _day(moment: datetime, tz: ZoneInfo) -> str:
    return _date_label(moment.astimezone(tz).date(), _locale())


@lru_cache(maxsize=64)
def _date_label(day: date, locale: str) -> str:
    """Babel's formatting costs more than the rest of a digest; a run needs only a few distinct dates."""
    return format_date(day, format="d MMMM y", locale=locale)


def _moment(moment: datetime, tz: ZoneInfo) -> str:
    return format_datetime(moment.astimezone(tz), format="d MMMM y, HH:mm", locale=_locale())


def _sources(entry: DigestEntry) -> str:
    links = dict(entry.links)
    shown = [s for s in entry.digest.sources if s][:MAX_LINKS]
    rendered = [f'<a href="{esc(links[s])}">{esc(s)}</a>' if s in links else esc(s) for s in shown]
    if not rendered and "" in links:
        rendered = [f'<a href="{esc(links[""])}">{_("source")}</a>']
    hidden = len([s for s in entry.digest.sources if s]) - len(shown)
    if hidden > 0:
        rendered.append(_("+{n} more").format(n=hidden))
    return " · ".join(rendered)


def _story(number: int, entry: DigestEntry) -> str:
    """One paragraph per story, each tag within one line, so splitting never cuts a tag."""
    lines = [f"<b>{number}. {esc(entry.digest.headline)}</b>"]
    if entry.digest.summary:
        lines.append(esc(" ".join(entry.digest.summary)))
    if entry.digest.people:
        lines.append("👤 " + esc(", ".join(entry.digest.people)))
    sources = _sources(entry)
    if sources:
        lines.append("🔗 " + sources)
    return "\n".join(lines)


def digest(composed: ComposedDigest, now: datetime, tz: ZoneInfo, topics: str = "") -> list[str]:
    """The digest as messages of at most 4,096 UTF-16 units, split between stories."""
    header = __(
        "🗞 <b>Digest for {date}</b>: {n} story",
        "🗞 <b>Digest for {date}</b>: {n} stories",
        len(composed.entries),
    ).format(date=_day(now, tz), n=len(composed.entries))
    if topics:
        header += "\n" + _("Topics: {topics}").format(topics=esc(topics))
    blocks = [header] + [_story(n, entry) for n, entry in enumerate(composed.entries, start=1)]
    if composed.more and topics:
        blocks.append(
            __(
                "…and {n} more story on your topics.", "…and {n} more stories on your topics.", composed.more
            ).format(n=composed.more)
        )
    elif composed.more:  # a chat without topics has none to speak of
        more = __("…and {n} more story.", "…and {n} more stories.", composed.more)
        blocks.append(more.format(n=composed.more))
    return split_html("\n\n".join(blocks))


def renderer(i18n: I18n) -> Callable[[DigestContent], list[str]]:
    """The digest service's renderer: each chat's digest in that chat's language and time zone, with its
    topics shown under the header."""

    def render(content: DigestContent) -> list[str]:
        with i18n.context(), i18n.use_locale(content.language):
            shown = ", ".join(content.phrases + tuple(f"−{w}" for w in content.excluded))
            return digest(content.composed, content.until, ZoneInfo(content.timezone), shown)

    return render


def nothing_new(since: datetime | None, tz: ZoneInfo) -> str:
    if since is None:
        return _("Nothing new in the last 24 hours.")
    return _("Nothing new since the last digest ({when}).").format(when=_moment(since, tz))


def topics_line(subscription: Subscription, phrases: tuple[str, ...], excluded: tuple[str, ...]) -> str:
    parts = []
    parts.append(", ".join(phrases) if phrases else _("all news"))
    if excluded:
        parts.append(_("except {words}").format(words=", ".join(excluded)))
    return esc("; ".join(parts))


def subscribed(subscription: Subscription, phrases: tuple[str, ...], excluded: tuple[str, ...]) -> str:
    return _(
        "✅ Subscribed: a digest every day at {time} ({zone}).\nTopics: {topics}.\n"
        "/settings changes it, /digest sends one now, /unsubscribe stops it."
    ).format(
        time=subscription.send_at,
        zone=esc(zone_label(subscription.timezone)),
        topics=topics_line(subscription, phrases, excluded),
    )


def settings(
    subscription: Subscription, phrases: tuple[str, ...], excluded: tuple[str, ...], next_run: datetime | None
) -> str:
    tz = ZoneInfo(subscription.timezone)
    status = _("paused") if subscription.paused else _("active")
    lines = [
        _("⚙️ <b>Digest settings</b>"),
        _("Time: {time} ({zone})").format(
            time=subscription.send_at, zone=esc(zone_label(subscription.timezone))
        ),
        _("Topics: {topics}").format(topics=topics_line(subscription, phrases, excluded)),
        _("Status: {status}").format(status=status),
    ]
    if next_run is not None and not subscription.paused:
        lines.append(_("Next digest: {when}").format(when=_moment(next_run, tz)))
    lines.append(
        _("Topics are set with /subscribe, e.g. <code>/subscribe Лукашенко, переговоры, -спорт</code>.")
    )
    return "\n".join(lines)


def not_subscribed() -> str:
    return _(
        "This chat has no digest subscription. /subscribe starts a daily digest at 09:00, e.g. "
        "<code>/subscribe 08:30 Europe/Berlin Лукашенко, переговоры</code>."
    )


def unsubscribed() -> str:
    return _("🔕 Unsubscribed: no more digests here. /subscribe starts them again.")


def bad_time(value: str) -> str:
    return _(
        "⚠️ “{value}” is not a time of day. Write hours and minutes from 00:00 to 23:59, "
        "e.g. <code>/subscribe 08:30</code>."
    ).format(value=esc(value))


def bad_timezone(value: str) -> str:
    return _(
        "⚠️ “{value}” is not a time zone I know. Use an IANA name or an offset from UTC in whole hours, "
        "e.g. <code>/subscribe 08:30 Europe/Berlin</code> or <code>/subscribe 08:30 UTC+3</code>."
    ).format(value=esc(value))


def no_topic_words(value: str) -> str:
    return _(
        "⚠️ “{value}” names no topic: topics are words separated by commas, e.g. <code>/subscribe "
        "Лукашенко, переговоры, -спорт</code>; <code>/subscribe</code> alone is all news."
    ).format(value=esc(value))


def control_word(value: str) -> str:
    return _(
        "⚠️ “{value}” is no topic: <code>/unsubscribe</code> stops a digest, and its settings "
        "(<code>/settings</code>) pause and resume it."
    ).format(value=esc(value))


def too_many_topics(limit: int) -> str:
    return _("⚠️ Too many topics: at most {n}, separated by commas.").format(n=limit)


def group_admins_only() -> str:
    return _("⛔ In a group, only its admins can change the digest.")


def digest_failed() -> str:
    return _("⚠️ The digest could not be sent. Please try again later.")


def button_pause() -> str:
    return _("⏸ Pause")


def button_resume() -> str:
    return _("▶️ Resume")


def button_clear_topics() -> str:
    return _("🧹 All news")


def button_unsubscribe() -> str:
    return _("🔕 Unsubscribe")


def settings_saved() -> str:
    return _("Saved")


def which_one(count: int) -> str:
    return _(
        "This chat has {n} digests: change one with its buttons in /subscriptions, or give its topics: "
        "<code>/subscribe 08:00 переговоры</code>."
    ).format(n=count)


def one_more(count: int) -> str:
    return _("This chat now has {n} digests; /subscriptions lists them.").format(n=count)


def pick_one(count: int) -> str:
    return _("This chat has {n} digests. Which one?").format(n=count)


def not_subscribed_alert() -> str:  # an alert: plain text
    return _("That digest is no longer on.")


def subscription_label(subscription: Subscription) -> str:
    """A button: time, zone and topics, plain text."""
    topics = subscription.topics or _("all news")
    where = _("channel") + " · " if subscription.chat_type == "channel" else ""
    if subscription.thread_id is not None:
        where += _("topic {n}").format(n=subscription.thread_id) + " · "
    label = f"⚙ {where}{subscription.send_at} {zone_label(subscription.timezone).split('/')[-1]} · {topics}"
    return label if len(label) <= 60 else label[:59] + "…"


def subscriptions_list(subscriptions: list[Subscription]) -> str:
    lines = [_("<b>Digests</b>")]
    for subscription in subscriptions:
        _topics, phrases, excluded = parse_topics(subscription.topics)
        state = _(" (paused)") if subscription.paused else ""
        lines.append(
            _("• {time} ({zone}): {topics}{state}").format(
                time=subscription.send_at,
                zone=esc(zone_label(subscription.timezone)),
                topics=topics_line(subscription, phrases, excluded),
                state=state,
            )
        )
    return "\n".join(lines)


def too_many_subscriptions(limit: int) -> str:
    return _(
        "This chat already has {n} digests, the most one chat may hold. Stop one first: /subscriptions."
    ).format(n=limit)
