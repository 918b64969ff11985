"""A local Bot API server: the console chat and the tests talk to the real bot through it."""

from bot.emulator.server import BotAPIEmulator, TelegramUser

__all__ = ["BotAPIEmulator", "TelegramUser"]
