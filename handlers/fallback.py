"""What no feature router took: admin actions by non-admins, unknown commands, stray text."""

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import Message

from bot import render

ADMIN_COMMANDS = ("ingest", "stats", "reindex", "addfeed", "feeds", "delfeed", "resumefeed", "feedinterval")


async def admin_command_refused(message: Message) -> None:
    await message.answer(render.admins_only())


async def admin_upload_refused(message: Message) -> None:
    await message.answer(render.admins_only())


async def unknown_command(message: Message) -> None:
    await message.answer(render.unknown_command())


async def stray_text(message: Message) -> None:
    await message.answer(render.non_admin_text())


def create_router() -> Router:
    router = Router(name="fallback")
    router.message.register(admin_command_refused, Command(*ADMIN_COMMANDS))
    router.message.register(admin_upload_refused, F.chat.type == "private", F.document | F.forward_origin)
    router.message.register(unknown_command, F.chat.type == "private", F.text.startswith("/"))
    router.message.register(stray_text, F.chat.type == "private", F.text)
    return router
