"""A Telegram news-digest bot that understands the articles it stores."""

from bot.telegram.lazy_types import defer_aiogram_type_building

defer_aiogram_type_building()
