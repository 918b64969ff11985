"""Instant alerts as chats read them: the alert, a follow-up, and /alert's answers."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.alerts.commands import Problem
from bot.alerts.service import AlertMessage
from bot.digest.subscribe import zone_label
from bot.telegram.replies.common import moment_label
from bot.telegram.text import esc
from storage.alerts import Alert


def _title(message: AlertMessage) -> str:
    if message.url:
        return f'<a href="{esc(message.url)}">{esc(message.title)}</a>'
    return f"<b>{esc(message.title)}</b>"


def alert(message: AlertMessage, tz: ZoneInfo) -> str:
    mark = _("🔁 Update") if message.follow_up else _("⚡ New")
    lines = [f"{mark}: {_title(message)}"]
    lines += [esc(fact) for fact in message.facts]
    source = f" · {esc(message.source)}" if message.source else ""
    lines.append(f"<i>{moment_label(message.published_at, tz)}{source}</i>")
    if message.folded:
        lines.append(
            _("({n} more held back: quiet hours or the hourly limit; the next digest has them)").format(
                n=message.folded
            )
        )
    return "\n".join(lines)


def renderer(i18n: I18n) -> Callable[[AlertMessage, Alert], str]:
    """The alert service's renderer: each alert in its chat's language and time zone."""

    def render(message: AlertMessage, setting: Alert) -> str:
        with i18n.context(), i18n.use_locale(setting.language):
            return alert(message, ZoneInfo(setting.timezone))

    return render


def setting(current: Alert | None) -> str:
    if current is None or not current.active:
        return _("🔕 No alerts in this chat.") + "\n\n" + usage()
    lines = [_("🔔 Alerts on: {topics}.").format(topics=esc(current.topics))]
    if current.quiet_from and current.quiet_to:
        lines.append(
            _("Quiet hours: {start}–{end} ({zone}).").format(
                start=current.quiet_from, end=current.quiet_to, zone=esc(zone_label(current.timezone))
            )
        )
    lines.append(_("At most {n} an hour; the rest wait for the next digest.").format(n=current.per_hour))
    return "\n".join(lines) + "\n\n" + usage()


def usage() -> str:
    return _(
        "<code>/alert Лукашенко, переговоры, -спорт</code> — a message as soon as a new story on these "
        "topics appears; <code>/alert quiet 23:00-08:00</code> — quiet hours; <code>/alert limit 5</code> — "
        "at most 5 an hour; <code>/alert off</code> — stop, <code>/alert on</code> — again."
    )


def turned_on(current: Alert) -> str:
    return _("🔔 Alerts on: {topics}. New stories on these topics come here as they appear.").format(
        topics=esc(current.topics)
    )


def turned_off(was_on: bool) -> str:
    return _("🔕 Alerts off.") if was_on else _("Alerts were not on here.")


def quiet_set(current: Alert) -> str:
    if not current.quiet_from:
        return _("No quiet hours now.")
    return _("🌙 Quiet hours: {start}–{end} ({zone}); alerts then wait for the next digest.").format(
        start=current.quiet_from, end=current.quiet_to, zone=esc(zone_label(current.timezone))
    )


def limit_set(current: Alert) -> str:
    return _("At most {n} alerts an hour now.").format(n=current.per_hour)


def needs_topics() -> str:
    return _("Set the topics first: <code>/alert Лукашенко, переговоры</code>.")


def bad(problem: Problem, value: str) -> str:
    shown = esc(value[:100])
    if problem is Problem.QUIET:
        return _(
            "“{value}” is not a window of hours: write it as <code>/alert quiet 23:00-08:00</code>."
        ).format(value=shown)
    if problem is Problem.ZONE:
        return _("Unknown time zone “{value}”. Example: Europe/Moscow.").format(value=shown)
    if problem is Problem.LIMIT:
        return _("The limit is a number of alerts an hour, from 1 to 60: <code>/alert limit 5</code>.")
    return _(
        "Alerts need at least one topic (and at most 20): <code>/alert Лукашенко, переговоры, -спорт</code>."
    )
