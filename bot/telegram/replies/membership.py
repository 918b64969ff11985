"""What the bot says about its own membership in a chat: a digest stopped, back without one."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _

from bot.telegram.text import esc


def digest_stopped(chat_title: str) -> str:
    return _(
        "📭 The digest for «{chat}» has stopped: I was removed from that chat or may no longer post there. "
        "Adding me back does not restart it: run /subscribe there again."
    ).format(chat=esc(chat_title))


def back_without_digest() -> str:
    return _(
        "👋 I'm back. This chat's digest stopped when I was removed; "
        "an admin can start it again with /subscribe."
    )


def subscriber_not_admin(chat_title: str) -> str:
    return _(
        "📭 The digest for «{chat}» has stopped: you are no longer one of its administrators. "
        "An administrator can start it again with /subscribe."
    ).format(chat=esc(chat_title))
