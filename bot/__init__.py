"""A Telegram news-digest bot that understands the articles it stores."""

from bot.aiogram_lazy import defer_aiogram_type_building

defer_aiogram_type_building()
