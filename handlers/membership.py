"""The bot's own membership (my_chat_member): removed from a chat, blocked, or no longer able to post in a
channel, the chat's digest subscription ends and whoever set it up is told; being added back resumes
nothing by itself (the chat is told how to subscribe again)."""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.enums import ChatMemberStatus
from aiogram.exceptions import TelegramAPIError
from aiogram.types import ChatMemberAdministrator, ChatMemberUpdated

from bot.alerts.service import AlertService
from bot.telegram import replies
from storage.subscriptions import SubscriptionRepo

log = logging.getLogger(__name__)

GONE = frozenset({ChatMemberStatus.LEFT, ChatMemberStatus.KICKED})
REMOVED = "bot_removed"  # ended_reason: the bot left, was removed, blocked or can no longer post


def _can_post(event: ChatMemberUpdated) -> bool:
    """Whether the bot, as it is now, can send the chat its digest."""
    member = event.new_chat_member
    if member.status in GONE:
        return False
    if event.chat.type == "channel":  # only administrators with the right to post write in a channel
        return isinstance(member, ChatMemberAdministrator) and bool(member.can_post_messages)
    if member.status == ChatMemberStatus.RESTRICTED:
        return bool(getattr(member, "can_send_messages", False))
    return True


async def _tell(bot: Bot, chat_id: int, text: str) -> None:
    try:
        await bot.send_message(chat_id, text)
    except TelegramAPIError as exc:  # the subscriber never started a private chat, or blocked the bot
        log.info("could not tell chat %s about its subscription: %s", chat_id, exc)


async def bot_membership(
    event: ChatMemberUpdated, bot: Bot, subscriptions: SubscriptionRepo, alerts: AlertService
) -> None:
    chat = event.chat
    if not _can_post(event):
        await alerts.repo.end_chat(chat.id)  # alerts there stop too; /alert turns them on again
        actives = await subscriptions.in_chat(chat.id, any_thread=True)
        for subscription in actives:
            await subscriptions.end(subscription.id, REMOVED)
        if actives:
            log.info(
                "bot can no longer post in chat %s (%s): %d subscription(s) end",
                chat.id,
                event.new_chat_member.status,
                len(actives),
            )
        if chat.type != "private":
            for subscriber in dict.fromkeys(s.created_by for s in actives if s.created_by is not None):
                await _tell(bot, subscriber, replies.membership.digest_stopped(chat.title or str(chat.id)))
        return
    was_gone = event.old_chat_member.status in GONE
    subscription = await subscriptions.of_chat(chat.id)
    if (
        was_gone
        and chat.type in ("group", "supergroup")
        and subscription is not None
        and not subscription.active
        and subscription.ended_reason == REMOVED
    ):
        await _tell(bot, chat.id, replies.membership.back_without_digest())


SUBSCRIBER_LEFT = "subscriber_not_admin"  # ended_reason: who set a channel's digest no longer administers it
_ADMINS = frozenset({ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.CREATOR})


async def member_changed(event: ChatMemberUpdated, bot: Bot, subscriptions: SubscriptionRepo) -> None:
    """Someone's rights in a channel changed (chat_member): when it is who set the channel's digest and
    they no longer administer it, the digest ends and they are told."""
    if event.chat.type != "channel" or event.new_chat_member.status in _ADMINS:
        return
    user = event.new_chat_member.user
    theirs = [s for s in await subscriptions.in_chat(event.chat.id) if s.created_by == user.id]
    if not theirs:
        return
    for subscription in theirs:
        await subscriptions.end(subscription.id, SUBSCRIBER_LEFT)
    log.info("subscriber %s no longer administers channel %s: its digest ends", user.id, event.chat.id)
    await _tell(bot, user.id, replies.membership.subscriber_not_admin(event.chat.title or str(event.chat.id)))


def create_router() -> Router:
    router = Router(name="membership")
    router.my_chat_member.register(bot_membership)
    router.chat_member.register(member_changed)
    return router
