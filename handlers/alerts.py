"""/alert: instant alerts for this chat (in a group, its admins set them)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import get_i18n

from bot.alerts.commands import BadAlert, Off, On, SetLimit, SetQuiet, SetTopics, Show, parse_alert
from bot.alerts.service import AlertService
from bot.config import Settings
from bot.telegram import replies
from bot.telegram.filters import IsGroupAdmin
from storage.alerts import AlertRepo


def _thread(message: Message) -> int | None:
    return message.message_thread_id if message.is_topic_message else None


async def alert(message: Message, command: CommandObject, alerts: AlertService, settings: Settings) -> None:
    repo: AlertRepo = alerts.repo
    try:
        action = parse_alert(command.args or "")
    except BadAlert as bad:
        await message.answer(replies.alerts.bad(bad.problem, bad.value))
        return
    current = await repo.of_chat(message.chat.id, _thread(message))
    if isinstance(action, Show):
        await message.answer(replies.alerts.setting(current))
    elif isinstance(action, Off):
        if current is not None and current.active:
            await repo.change(current.id, active=0)
        await message.answer(replies.alerts.turned_off(current is not None and current.active))
    elif isinstance(action, On) and current is not None and current.active:
        await message.answer(replies.alerts.setting(current))
    elif isinstance(action, SetTopics) or (isinstance(action, On) and current is not None):
        topics = action.topics if isinstance(action, SetTopics) else current.topics if current else ""
        updated = await repo.set_topics(
            chat_id=message.chat.id,
            thread_id=_thread(message),
            chat_type=message.chat.type,
            language=get_i18n().current_locale,
            timezone=current.timezone if current else settings.default_timezone,
            topics=topics,
            by=message.from_user.id if message.from_user else None,
            since_story=await alerts.since_story(),
        )
        await message.answer(replies.alerts.turned_on(updated))
    elif current is None or not current.active:
        await message.answer(replies.alerts.needs_topics())
    elif isinstance(action, SetQuiet):
        changes: dict[str, object] = {"quiet_from": action.start, "quiet_to": action.end}
        if action.timezone:
            changes["timezone"] = action.timezone
        changed = await repo.change(current.id, **changes)
        assert changed is not None
        await message.answer(replies.alerts.quiet_set(changed))
    elif isinstance(action, SetLimit):
        changed = await repo.change(current.id, per_hour=action.per_hour)
        assert changed is not None
        await message.answer(replies.alerts.limit_set(changed))


async def group_admins_only(message: Message) -> None:
    await message.answer(replies.digest.group_admins_only())


def create_router() -> Router:
    router = Router(name="alerts")
    router.message.register(alert, Command("alert"), IsGroupAdmin())
    router.message.register(group_admins_only, Command("alert"))
    return router
