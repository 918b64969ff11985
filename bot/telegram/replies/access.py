"""Private mode as users and admins read it: the one refusal, /allow and /deny."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _

from bot.telegram.text import esc
from storage.access import AccessKind, Allowed


def refused_user(user_id: int) -> str:
    return _(
        "🔒 This bot is private. To be let in, send your id <code>{id}</code> to one of its admins."
    ).format(id=user_id)


def refused_chat(chat_id: int) -> str:
    return _(
        "🔒 This bot is private. One of its admins can let this chat in with <code>/allow {id}</code>."
    ).format(id=chat_id)


def refused_button() -> str:  # an alert: plain text, no HTML
    return _("🔒 This bot is private. Ask one of its admins to let you in.")


def refused_inline() -> str:  # the button above inline results: plain text
    return _("🔒 Private bot")


def _subject(kind: AccessKind, subject: int, label: str | None) -> str:
    name = f" ({esc(label)})" if label else ""
    what = _("user") if kind is AccessKind.USER else _("chat")
    return f"{what} <code>{subject}</code>{name}"


def usage(command: str) -> str:
    return _(
        "Usage: <code>/{command} 123456789</code> (a user's id), <code>/{command} @channel</code> or "
        "<code>/{command} -1001234567890</code> (a group or channel); in a group, "
        "<code>/{command}</code> alone means this group."
    ).format(command=command)


def bad_subject(command: str, text: str) -> str:
    return _("“{text}” is neither a Telegram id nor an @name.").format(text=esc(text)) + "\n" + usage(command)


def unknown_chat(name: str) -> str:
    return _(
        "I can't see {name}: Telegram finds public groups and channels by @name only, and users only by "
        "their numeric id. Add me to the chat, or use its numeric id."
    ).format(name=esc(name))


def allowed(kind: AccessKind, subject: int, label: str | None, fresh: bool, private_mode: bool) -> str:
    who = _subject(kind, subject, label)
    line = _("✅ Let in: {who}.").format(who=who) if fresh else _("{who} was already let in.").format(who=who)
    if not private_mode:
        line += "\n" + _(
            "The bot is open to everyone now (ACCESS=open): the list applies with ACCESS=private."
        )
    return line


def denied(subject: int, removed: bool, subscriptions_ended: int) -> str:
    if not removed:
        return _("<code>{id}</code> was not on the list; nothing changed.").format(id=subject)
    line = _("🚫 <code>{id}</code> is off the list.").format(id=subject)
    if subscriptions_ended:
        line += " " + _("Its digest subscription has ended.")
    return line


def cannot_deny_admin(subject: int) -> str:
    return _("<code>{id}</code> is one of the bot's admins (ADMIN_IDS): admins are always let in.").format(
        id=subject
    )


def listing(entries: list[Allowed], private_mode: bool) -> str:
    mode = _("Access: private.") if private_mode else _("Access: open to everyone (ACCESS=open).")
    if not entries:
        return mode + "\n" + _("No users or chats are on the list; admins are always let in.")
    lines = [mode, _("<b>Let in</b>")]
    lines += [f"• {_subject(e.kind, e.id, e.label)}" for e in entries]
    return "\n".join(lines)
