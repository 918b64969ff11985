"""What the bot says, one module per feature: data in, translated and escaped Telegram HTML out."""

from bot.telegram.replies import common, digest, feeds, timeline, who

__all__ = ["common", "digest", "feeds", "timeline", "who"]
