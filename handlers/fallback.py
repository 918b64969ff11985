"""What no feature router took: admin actions by non-admins, unknown commands, stray text, and any
button press (stale, malformed or forged data: the feature routers' CallbackData filters refuse it)."""

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.telegram import replies

ADMIN_COMMANDS = (
    "ingest",
    "stats",
    "reindex",
    "addfeed",
    "feeds",
    "delfeed",
    "resumefeed",
    "feedinterval",
    "allow",
    "deny",
    "addchannel",
    "delchannel",
    "channels",
)


async def admin_command_refused(message: Message) -> None:
    await message.answer(replies.common.admins_only())


async def admin_upload_refused(message: Message) -> None:
    await message.answer(replies.common.admins_only())


async def unknown_command(message: Message) -> None:
    await message.answer(replies.common.unknown_command())


async def stray_text(message: Message) -> None:
    await message.answer(replies.common.non_admin_text())


async def stale_button(query: CallbackQuery) -> None:
    # Unanswered, its spinner turns until Telegram gives up; the alert says why nothing happened.
    await query.answer(replies.common.stale_button(), show_alert=True)


def create_router() -> Router:
    router = Router(name="fallback")
    router.message.register(admin_command_refused, Command(*ADMIN_COMMANDS))
    router.message.register(admin_upload_refused, F.chat.type == "private", F.document | F.forward_origin)
    router.message.register(unknown_command, F.chat.type == "private", F.text.startswith("/"))
    router.message.register(stray_text, F.chat.type == "private", F.text)
    router.callback_query.register(stale_button)
    return router
