"""What the bot says, one module per feature: data in, translated and escaped Telegram HTML out."""

from bot.telegram.replies import access, common, digest, feeds, inline, membership, timeline, who

__all__ = ["access", "common", "digest", "feeds", "inline", "membership", "timeline", "who"]
