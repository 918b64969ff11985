"""Channels as sources, as admins read it: /addchannel, /delchannel, /channels."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _

from bot.telegram.text import esc
from storage.channels import ChannelSource


def usage(command: str, given: str) -> str:
    line = _(
        "Usage: <code>/{command} @channel</code> (or its t.me link, or its id -100…). "
        "I must be an administrator of the channel: Telegram sends bots the posts of the channels they "
        "administer."
    ).format(command=command)
    if given.strip():
        line = _("“{text}” names no channel.").format(text=esc(given.strip()[:100])) + "\n" + line
    return line


def names_no_channel(command: str, given: str) -> str:
    """/settings or /unsubscribe with words that name no channel: they take a channel or nothing."""
    return _(
        "“{text}” names no channel. <code>/{command}</code> alone is about this chat; for a channel's "
        "digest write its @username or its id -100…, e.g. <code>/{command} @club_news</code>."
    ).format(text=esc(given.strip()[:100]), command=command)


def not_found(ref: str) -> str:
    return _(
        "I can't see {ref}: add me to the channel as an administrator first (a private channel: use its id)."
    ).format(ref=esc(ref))


def not_a_channel(ref: str) -> str:
    return _("{ref} is a group or a user, not a channel: only channels can be sources.").format(ref=esc(ref))


def bot_not_admin(title: str) -> str:
    return _(
        "I'm not an administrator of «{title}»: Telegram sends bots only the posts of channels they "
        "administer. Add me as an administrator (no rights are needed), then try again."
    ).format(title=esc(title))


def _name(title: str, username: str | None) -> str:
    return f"«{esc(title)}»" + (f" (@{esc(username)})" if username else "")


def added(title: str, username: str | None, fresh: bool) -> str:
    if not fresh:
        return _("{channel} is already a source.").format(channel=_name(title, username))
    return _("✅ {channel} is a source now: every new post with text is stored as it appears.").format(
        channel=_name(title, username)
    )


def not_a_source(ref: str) -> str:
    return _("{ref} is not a source; /channels lists them.").format(ref=esc(ref))


def removed(source: ChannelSource) -> str:
    return _("🗑 {channel} is no longer a source; the {n} posts stored from it stay.").format(
        channel=_name(source.title, source.username), n=source.posts
    )


def listing(sources: list[ChannelSource]) -> str:
    if not sources:
        return _("No channels are sources yet. Add one with /addchannel @channel.")
    lines = [_("<b>Channels</b>")]
    lines += [
        _("{channel} — {n} posts stored").format(channel=_name(s.title, s.username), n=s.posts)
        for s in sources
    ]
    return "\n".join(lines)


def user_not_admin(title: str) -> str:
    return _("You are not an administrator of «{title}»: only its administrators can set its digest.").format(
        title=esc(title)
    )


def bot_cannot_post(title: str) -> str:
    return _(
        "I can't post in «{title}»: make me an administrator of the channel with the right to post messages."
    ).format(title=esc(title))


def for_channel(ref: str) -> str:
    return _(
        "📣 For {ref} (change it here with <code>/settings {ref}</code>, "
        "stop it with <code>/unsubscribe {ref}</code>):"
    ).format(ref=esc(ref))
