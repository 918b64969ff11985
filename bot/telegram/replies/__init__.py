"""What the bot says, one module per feature: data in, translated and escaped Telegram HTML out."""

from bot.telegram.replies import (
    access,
    alerts,
    channels,
    common,
    digest,
    feeds,
    inline,
    membership,
    timeline,
    who,
)

__all__ = [
    "access",
    "alerts",
    "channels",
    "common",
    "digest",
    "feeds",
    "inline",
    "membership",
    "timeline",
    "who",
]
