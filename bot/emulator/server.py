"""An in-process Bot API server on loopback, speaking the HTTP protocol aiogram speaks to Telegram.

It keeps chats, messages, files and updates in memory, answers the methods this bot uses with the
same shapes and errors as Telegram, and can play the server's hard cases: flood limits (429 with
retry_after), blocked users (403), groups migrated to supergroups, and 5xx errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import re
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from yarl import URL

from bot.emulator.tg_html import EntityParseError, parse_html, utf16_len

log = logging.getLogger(__name__)

MESSAGE_LIMIT = 4096
JSON_FIELDS = {
    "reply_markup",
    "entities",
    "caption_entities",
    "link_preview_options",
    "reply_parameters",
    "commands",
    "scope",
    "allowed_updates",
    "media",
    "results",
    "button",
}
INT_FIELDS = {
    "chat_id",
    "message_id",
    "offset",
    "limit",
    "timeout",
    "message_thread_id",
    "user_id",
    "from_chat_id",
    "cache_time",
    "max_connections",
}
BOOL_FIELDS = {
    "disable_notification",
    "protect_content",
    "show_alert",
    "allow_paid_broadcast",
    "drop_pending_updates",
    "is_personal",
    "disable_web_page_preview",
}


ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_send_welcome_messages",
)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass
class Webhook:
    """What setWebhook set; the emulator then POSTs each update there, in order, one at a time, and
    retries an update until the bot answers 2xx (Telegram retries too, for a while)."""

    url: str
    secret_token: str | None = None
    allowed_updates: list[str] | None = None
    max_connections: int = 40
    last_error_date: int | None = None
    last_error_message: str | None = None
    delivered: int = 0
    refused: list[int] = field(default_factory=list)  # HTTP statuses of posts the bot did not take


class APIError(Exception):
    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


@dataclass(frozen=True)
class TelegramUser:
    id: int
    first_name: str
    language_code: str = "ru"
    username: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "is_bot": False,
            "first_name": self.first_name,
            "language_code": self.language_code,
        }
        if self.username:
            data["username"] = self.username
        return data

    @property
    def private_chat(self) -> dict[str, Any]:
        return {"id": self.id, "type": "private", "first_name": self.first_name}


@dataclass
class FloodLimits:
    """Telegram's documented limits: ~30 messages/s overall, ~1/s per chat, 20/min per group."""

    per_second: float | None = None
    per_chat_per_second: float | None = None
    group_per_minute: int | None = None
    paid_per_second: float | None = None  # with allow_paid_broadcast
    retry_after: int = 1


@dataclass
class Faults:
    blocked: set[int] = field(default_factory=set)  # chats whose user blocked the bot: 403
    missing: set[int] = field(default_factory=set)  # chats that do not exist: 400 chat not found
    migrated: dict[int, int] = field(default_factory=dict)  # group id -> supergroup id
    server_errors: int = 0  # the next N send calls answer 500
    flood_waits: int = 0  # the next N send calls answer 429 with limits.retry_after, whatever the rates
    limits: FloodLimits = field(default_factory=FloodLimits)
    # After this many accepted sendMessage calls, further ones wait (unanswered) until release_held():
    # a test can then kill the bot with requests in flight that Telegram never accepted.
    hold_after: int | None = None


class BotAPIEmulator:
    def __init__(self, token: str = "123456:EMULATOR-TOKEN", bot_username: str = "newsdigest_bot") -> None:
        self.token = token
        self.bot_user = {
            "id": int(token.split(":")[0]),
            "is_bot": True,
            "first_name": "News Digest",
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
        }
        self.faults = Faults()
        self.sent: list[dict[str, Any]] = []  # every message the bot sent, in order (edits update in place)
        self.calls: list[tuple[str, dict[str, Any]]] = []  # every method call with its parameters
        self.refused: list[tuple[str, int, str]] = []  # (method, error code, description)
        self.commands: dict[str, list[dict[str, str]]] = {}  # language code ("" default) -> commands
        self.chat_admins: dict[int, set[int]] = defaultdict(set)
        self.files: dict[str, tuple[str, bytes]] = {}  # file_id -> (file_path, content)
        self.answered: dict[str, dict[str, Any]] = {}  # callback query id -> its answerCallbackQuery params
        self.inline_answers: dict[str, dict[str, Any]] = {}  # inline query id -> answerInlineQuery params
        self.chats: dict[int, dict[str, Any]] = {}  # what getChat knows: groups, channels, users by id
        self.cannot_post: set[int] = set()  # channels where the administrators may not post
        self._inline_ids = itertools.count(1)
        self._updates: deque[dict[str, Any]] = deque()
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = defaultdict(lambda: itertools.count(1))
        self._file_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._last_second: deque[float] = deque()  # times of the sends accepted in the last second
        self._by_chat: dict[int, deque[float]] = {}  # per chat, times of its sends in the last minute
        self._runner: web.AppRunner | None = None
        self.url = ""
        self._closing = False
        self.delivered_update_ids: list[int] = []
        self.accepted_sends = 0
        self.held = 0  # sendMessage calls waiting at the hold_after gate
        self._release: asyncio.Event | None = None
        self.webhook: Webhook | None = None  # set by setWebhook: updates are POSTed, getUpdates refused
        self.webhook_retry_seconds = 0.2
        self._webhook_task: asyncio.Task[None] | None = None

    # ----- lifecycle -----
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        # A client that hangs up mid long-poll (a bot stopping) must not keep its getUpdates waiting.
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        sockets = site._server.sockets  # type: ignore[union-attr]  # the bound port when port=0
        self.url = f"http://{host}:{sockets[0].getsockname()[1]}"
        return self.url

    async def stop(self) -> None:
        self._closing = True
        async with self._changed:
            self._changed.notify_all()
        await self._stop_webhook()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotAPIEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ----- what a user does -----
    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids[chat_id])

    def _message(self, user: TelegramUser, chat: dict[str, Any] | None, **fields: Any) -> dict[str, Any]:
        chat = chat or user.private_chat
        message = {
            "message_id": self._next_message_id(chat["id"]),
            "date": int(time.time()),
            "chat": chat,
            "from": user.as_dict(),
            **fields,
        }
        return message

    async def _push(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": next(self._update_ids), kind: payload}
        async with self._changed:
            self._updates.append(update)
            self._changed.notify_all()
        return update

    async def send_text(
        self,
        user: TelegramUser,
        text: str,
        *,
        chat: dict[str, Any] | None = None,
        reply_to: dict[str, Any] | None = None,
        forward_origin: dict[str, Any] | None = None,
        thread_id: int | None = None,
    ) -> dict[str, Any]:
        """A user's text message; a leading /command gets its bot_command entity as in Telegram."""
        fields: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            fields["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(text.split(maxsplit=1)[0])}
            ]
        if reply_to is not None:
            fields["reply_to_message"] = reply_to
        if forward_origin is not None:
            fields["forward_origin"] = forward_origin
        if thread_id is not None:
            fields["message_thread_id"] = thread_id
            fields["is_topic_message"] = True
        message = self._message(user, chat, **fields)
        await self._push("message", message)
        return message

    def channel_post(
        self,
        text: str,
        *,
        channel_id: int = -1001234567890,
        title: str = "Channel",
        username: str | None = "channel",
        message_id: int = 42,
        date: int | None = None,
    ) -> dict[str, Any]:
        """A forward origin for a post of a channel, to pass to send_text(forward_origin=...)."""
        chat: dict[str, Any] = {"id": channel_id, "type": "channel", "title": title}
        if username:
            chat["username"] = username
        return {"type": "channel", "chat": chat, "message_id": message_id, "date": date or int(time.time())}

    async def send_document(
        self,
        user: TelegramUser,
        filename: str,
        content: bytes,
        *,
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
        declared_size: int | None = None,
        chat: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        file_id = f"DOC{next(self._file_ids)}"
        self.files[file_id] = (f"documents/{file_id}_{filename}", content)
        document = {
            "file_id": file_id,
            "file_unique_id": f"U{file_id}",
            "file_name": filename,
            "mime_type": mime_type,
            "file_size": declared_size if declared_size is not None else len(content),
        }
        fields: dict[str, Any] = {"document": document}
        if caption:
            fields["caption"] = caption
        message = self._message(user, chat, **fields)
        await self._push("message", message)
        return message

    async def press(self, user: TelegramUser, message: dict[str, Any], data: str) -> dict[str, Any]:
        """A tap on an inline button of a message the bot sent."""
        query = {
            "id": str(next(self._update_ids) * 1000),
            "from": user.as_dict(),
            "message": message,
            "chat_instance": str(message["chat"]["id"]),
            "data": data,
        }
        await self._push("callback_query", query)
        return query

    async def inline_query(self, user: TelegramUser, query: str, chat_type: str = "sender") -> str:
        """A user typing "@bot query" in a chat; returns the query id (see inline_answer)."""
        query_id = f"IQ{next(self._inline_ids)}"
        await self._push(
            "inline_query",
            {"id": query_id, "from": user.as_dict(), "query": query, "offset": "", "chat_type": chat_type},
        )
        return query_id

    async def inline_answer(self, query_id: str, timeout: float = 30.0) -> dict[str, Any]:
        """The bot's answerInlineQuery for a query, once it came."""
        await self.wait_for(lambda: query_id in self.inline_answers, timeout)
        return self.inline_answers[query_id]

    async def post_in_channel(
        self,
        chat: dict[str, Any],
        text: str | None = None,
        *,
        caption: str | None = None,
        photo: bool = False,
        edit_of: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A post published in a channel (channel_post), or an edit of one (edited_channel_post)."""
        message: dict[str, Any] = {
            "message_id": edit_of["message_id"] if edit_of else self._next_message_id(chat["id"]),
            "date": edit_of["date"] if edit_of else int(time.time()),
            "chat": chat,
            "sender_chat": chat,
        }
        if edit_of is not None:
            message["edit_date"] = int(time.time())
        if text is not None:
            message["text"] = text
        if photo:
            message["photo"] = [{"file_id": "PHOTO", "file_unique_id": "UPHOTO", "width": 90, "height": 60}]
        if caption is not None:
            message["caption"] = caption
        await self._push("edited_channel_post" if edit_of else "channel_post", message)
        return message

    def bot_member(self, status: str, **rights: bool) -> dict[str, Any]:
        """The bot as a ChatMember: member, left, kicked, administrator (rights: can_post_messages…)."""
        member: dict[str, Any] = {"user": self.bot_user, "status": status}
        if status == "kicked":
            member["until_date"] = 0
        if status == "administrator":
            member.update(dict.fromkeys(ADMIN_RIGHTS, False), can_be_edited=False, is_anonymous=False)
            member.update(rights)
        return member

    async def membership_change(
        self,
        chat: dict[str, Any],
        by: TelegramUser,
        old: dict[str, Any],
        new: dict[str, Any],
        kind: str = "my_chat_member",
    ) -> dict[str, Any]:
        """A my_chat_member update (someone added, removed, promoted or demoted the bot in a chat), or with
        kind="chat_member" the same about another member (see member())."""
        payload = {
            "chat": chat,
            "from": by.as_dict(),
            "date": int(time.time()),
            "old_chat_member": old,
            "new_chat_member": new,
        }
        return await self._push(kind, payload)

    def member(self, user: TelegramUser, status: str) -> dict[str, Any]:
        """A user as a ChatMember: member, left, kicked or administrator (all rights)."""
        member: dict[str, Any] = {"user": user.as_dict(), "status": status}
        if status == "kicked":
            member["until_date"] = 0
        if status == "administrator":
            member.update(dict.fromkeys(ADMIN_RIGHTS, True), can_be_edited=False, is_anonymous=False)
        return member

    def add_chat(self, chat: dict[str, Any]) -> None:
        """A chat getChat can find, by id and, when it has one, by @username."""
        self.chats[int(chat["id"])] = chat

    def buttons(self, message: dict[str, Any]) -> list[tuple[str, str]]:
        """(text, callback_data) of every inline button of a sent message."""
        markup = message.get("reply_markup") or {}
        return [
            (b["text"], b.get("callback_data", "")) for row in markup.get("inline_keyboard", []) for b in row
        ]

    # ----- what the bot sent -----
    def messages(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        return [m for m in self.sent if chat_id is None or m["chat"]["id"] == chat_id]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 30.0) -> None:
        async def wait() -> None:
            async with self._changed:
                await self._changed.wait_for(predicate)

        await asyncio.wait_for(wait(), timeout)

    async def replies(
        self, chat_id: int, count: int = 1, *, after: int = 0, timeout: float = 30.0
    ) -> list[dict[str, Any]]:
        """The next `count` messages the bot sent to a chat after the first `after` ones."""
        await self.wait_for(lambda: len(self.messages(chat_id)) >= after + count, timeout)
        return self.messages(chat_id)[after : after + count]

    def release_held(self) -> None:
        """Open the hold_after gate: waiting calls whose client is still connected go on."""
        self.faults.hold_after = None
        if self._release is not None:
            self._release.set()
            self._release = None

    async def _hold(self) -> None:
        if self.faults.hold_after is None or self.accepted_sends < self.faults.hold_after:
            return
        if self._release is None:
            self._release = asyncio.Event()
        release = self._release
        async with self._changed:
            self.held += 1
            self._changed.notify_all()
        try:
            await release.wait()
        finally:
            self.held -= 1

    @property
    def pending_updates(self) -> int:
        return len(self._updates)

    # ----- the HTTP side -----
    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            raw = await request.json()
        elif request.method == "POST":
            form = await request.post()
            raw = {}
            for key, value in form.items():
                raw[key] = value.file.read() if isinstance(value, web.FileField) else value
                if isinstance(value, web.FileField):
                    raw[f"{key}__filename"] = value.filename
        else:
            raw = dict(request.query)
        params: dict[str, Any] = {}
        for key, value in raw.items():
            if isinstance(value, str):
                if key in JSON_FIELDS:
                    value = json.loads(value)
                elif key in INT_FIELDS and value.lstrip("-").isdigit():
                    value = int(value)
                elif key in BOOL_FIELDS:
                    value = value.lower() == "true"
            params[key] = value
        return params

    async def _handle_method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        handler = getattr(self, f"_m_{method.lower()}", None)
        if handler is None:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        params = await self._params(request)
        async with self._changed:
            self.calls.append((method, params))
            self._changed.notify_all()
        try:
            result = await handler(params)
            async with self._changed:
                self._changed.notify_all()  # waiters may watch any state a method changes
        except APIError as exc:
            self.refused.append((method, exc.code, exc.description))
            body: dict[str, Any] = {"ok": False, "error_code": exc.code, "description": exc.description}
            if exc.parameters:
                body["parameters"] = exc.parameters
            return web.json_response(body, status=exc.code)
        return web.json_response({"ok": True, "result": result})

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            raise web.HTTPUnauthorized()
        path = request.match_info["path"]
        for stored_path, content in self.files.values():
            if stored_path == path:
                return web.Response(body=content, content_type="application/octet-stream")
        raise web.HTTPNotFound()

    # ----- methods -----
    async def _m_getme(self, params: dict[str, Any]) -> dict[str, Any]:
        return self.bot_user

    async def _m_deletewebhook(self, params: dict[str, Any]) -> bool:
        await self._stop_webhook()
        self.webhook = None
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _m_setwebhook(self, params: dict[str, Any]) -> bool:
        url = str(params.get("url") or "")
        if not url:  # Telegram: an empty url removes the webhook
            return await self._m_deletewebhook(params)
        parsed = URL(url)
        # Telegram takes https only; the emulator also takes http to loopback, where tests serve the bot.
        if not (parsed.scheme == "https" or (parsed.scheme == "http" and parsed.host in LOOPBACK_HOSTS)):
            raise APIError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not SECRET_TOKEN.fullmatch(str(secret)):
            raise APIError(400, "Bad Request: secret token contains unallowed characters")
        await self._stop_webhook()
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook = Webhook(
            url=url,
            secret_token=secret,
            allowed_updates=params.get("allowed_updates"),
            max_connections=int(params.get("max_connections") or 40),
        )
        self._webhook_task = asyncio.create_task(self._post_updates(self.webhook))
        return True

    async def _m_getwebhookinfo(self, params: dict[str, Any]) -> dict[str, Any]:
        hook = self.webhook
        info: dict[str, Any] = {
            "url": hook.url if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if hook is not None:
            info["max_connections"] = hook.max_connections
            if hook.allowed_updates is not None:
                info["allowed_updates"] = hook.allowed_updates
            if hook.last_error_date is not None:
                info["last_error_date"] = hook.last_error_date
                info["last_error_message"] = hook.last_error_message
        return info

    async def _stop_webhook(self) -> None:
        task, self._webhook_task = self._webhook_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _post_updates(self, hook: Webhook) -> None:
        """POST the queued updates to the webhook in order; an update leaves the queue on a 2xx answer."""
        headers = {SECRET_HEADER: hook.secret_token} if hook.secret_token else {}
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
            while True:
                async with self._changed:
                    await self._changed.wait_for(lambda: bool(self._updates) or self._closing)
                    if self._closing:
                        return
                    update = self._updates[0]
                error: str | None = None
                try:
                    async with session.post(hook.url, json=update, headers=headers) as response:
                        await response.read()
                        if not 200 <= response.status < 300:
                            hook.refused.append(response.status)
                            error = f"Wrong response from the webhook: {response.status} {response.reason}"
                except (aiohttp.ClientError, TimeoutError) as exc:
                    error = f"Connection failed: {exc or type(exc).__name__}"
                if error is not None:
                    hook.last_error_date, hook.last_error_message = int(time.time()), error
                    await asyncio.sleep(self.webhook_retry_seconds)
                    continue
                async with self._changed:
                    if self._updates and self._updates[0] is update:
                        self._updates.popleft()
                    hook.delivered += 1
                    self.delivered_update_ids.append(update["update_id"])
                    self._changed.notify_all()

    async def _m_close(self, params: dict[str, Any]) -> bool:
        return True

    async def _m_setmycommands(self, params: dict[str, Any]) -> bool:
        self.commands[params.get("language_code", "")] = params["commands"]
        return True

    async def _m_getmycommands(self, params: dict[str, Any]) -> list[dict[str, str]]:
        return self.commands.get(params.get("language_code", ""), [])

    async def _m_getupdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise APIError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        async with self._changed:
            while self._updates and self._updates[0]["update_id"] < offset:
                self._updates.popleft()
            if not self._updates and timeout > 0:
                try:
                    await asyncio.wait_for(
                        self._changed.wait_for(lambda: bool(self._updates) or self._closing), timeout
                    )
                except TimeoutError:
                    return []
            batch = list(itertools.islice(self._updates, limit))
        self.delivered_update_ids.extend(u["update_id"] for u in batch)
        return batch

    async def _m_getfile(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = params.get("file_id", "")
        if file_id not in self.files:
            raise APIError(400, "Bad Request: invalid file_id")
        path, content = self.files[file_id]
        if len(content) > 20 * 1024 * 1024:
            raise APIError(400, "Bad Request: file is too big")
        return {
            "file_id": file_id,
            "file_unique_id": f"U{file_id}",
            "file_size": len(content),
            "file_path": path,
        }

    async def _m_getchatmember(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id, user_id = int(params["chat_id"]), int(params["user_id"])
        status = "administrator" if user_id in self.chat_admins[chat_id] else "member"
        if status == "member" and self.chats.get(chat_id, {}).get("type") == "channel":
            status = "left"  # a channel has subscribers, not members, and bots see none of them
        member: dict[str, Any] = {
            "status": status,
            "user": {"id": user_id, "is_bot": False, "first_name": "U"},
        }
        if status == "administrator":
            member.update(
                can_be_edited=False,
                is_anonymous=False,
                can_manage_chat=True,
                can_delete_messages=True,
                can_manage_video_chats=True,
                can_restrict_members=True,
                can_promote_members=False,
                can_change_info=True,
                can_invite_users=True,
                can_post_stories=False,
                can_edit_stories=False,
                can_delete_stories=False,
                can_send_welcome_messages=False,
            )
            if self.chats.get(chat_id, {}).get("type") == "channel":
                member.update(can_post_messages=chat_id not in self.cannot_post, can_edit_messages=True)
        return member

    async def _m_sendchataction(self, params: dict[str, Any]) -> bool:
        self._check_chat(int(params["chat_id"]))
        return True

    async def _m_answercallbackquery(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        if query_id in self.answered:  # Telegram takes one answer per query
            raise APIError(
                400, "Bad Request: query is too old and response timeout expired or query ID is invalid"
            )
        self.answered[query_id] = params
        return True

    async def _m_answerinlinequery(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("inline_query_id", ""))
        if query_id in self.inline_answers:
            raise APIError(
                400, "Bad Request: query is too old and response timeout expired or query ID is invalid"
            )
        results = params.get("results") or []
        if len(results) > 50:
            raise APIError(400, "Bad Request: RESULTS_TOO_MUCH")
        ids = [str(r.get("id", "")) for r in results]
        if len(set(ids)) != len(ids) or any(not 1 <= len(i.encode()) <= 64 for i in ids):
            raise APIError(400, "Bad Request: RESULT_ID_INVALID")
        for result in results:
            content = result.get("input_message_content") or {}
            if "message_text" in content:  # parsed and measured as sendMessage would
                plain, entities = self._render(content["message_text"], content.get("parse_mode"))
                content["text"], content["entities"] = plain, entities
        self.inline_answers[query_id] = params
        return True

    async def _m_getchat(self, params: dict[str, Any]) -> dict[str, Any]:
        key = params.get("chat_id")
        if isinstance(key, str) and key.startswith("@"):
            name = key[1:].lower()
            found = next((c for c in self.chats.values() if str(c.get("username", "")).lower() == name), None)
        else:
            found = self.chats.get(int(key)) if key is not None and str(key).lstrip("-").isdigit() else None
        if found is None:
            raise APIError(400, "Bad Request: chat not found")
        gifts = dict.fromkeys(
            (
                "unlimited_gifts",
                "limited_gifts",
                "unique_gifts",
                "premium_subscription",
                "gifts_from_channels",
            ),
            False,
        )
        return {"accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": gifts, **found}

    async def _m_deletemessage(self, params: dict[str, Any]) -> bool:
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        before = len(self.sent)
        self.sent = [
            m for m in self.sent if not (m["chat"]["id"] == chat_id and m["message_id"] == message_id)
        ]
        if len(self.sent) == before:
            raise APIError(400, "Bad Request: message to delete not found")
        return True

    def _check_chat(self, chat_id: int) -> None:
        if chat_id in self.faults.migrated:
            raise APIError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self.faults.migrated[chat_id]},
            )
        if chat_id in self.faults.blocked:
            raise APIError(403, "Forbidden: bot was blocked by the user")
        if chat_id in self.faults.missing:
            raise APIError(400, "Bad Request: chat not found")

    def _check_flood(self, chat_id: int, paid: bool) -> None:
        """Sliding windows over accepted sends; a send past a limit gets 429 like Telegram's."""
        limits = self.faults.limits
        now = time.monotonic()
        while self._last_second and now - self._last_second[0] >= 1.0:
            self._last_second.popleft()
        chat = self._by_chat.setdefault(chat_id, deque())
        while chat and now - chat[0] > 60:
            chat.popleft()
        rate = limits.paid_per_second if paid and limits.paid_per_second else limits.per_second
        too_many = (
            (rate is not None and len(self._last_second) >= rate)
            or (
                limits.per_chat_per_second is not None
                and sum(1 for t in chat if now - t < 1.0) >= limits.per_chat_per_second
            )
            or (limits.group_per_minute is not None and chat_id < 0 and len(chat) >= limits.group_per_minute)
        )
        if too_many:
            raise APIError(
                429,
                f"Too Many Requests: retry after {limits.retry_after}",
                {"retry_after": limits.retry_after},
            )
        self._last_second.append(now)
        chat.append(now)

    def _check_send(self, chat_id: int, paid: bool = False) -> None:
        if self.faults.server_errors > 0:
            self.faults.server_errors -= 1
            raise APIError(500, "Internal Server Error")
        if self.faults.flood_waits > 0:
            self.faults.flood_waits -= 1
            retry_after = self.faults.limits.retry_after
            raise APIError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})
        self._check_chat(chat_id)
        self._check_flood(chat_id, paid)

    def _render(self, text: str, parse_mode: str | None) -> tuple[str, list[dict[str, Any]]]:
        if parse_mode and parse_mode.upper() == "HTML":
            try:
                plain, entities = parse_html(text)
            except EntityParseError as exc:
                raise APIError(400, str(exc)) from None
        else:
            plain, entities = text, []
        if not plain.strip():
            raise APIError(400, "Bad Request: message text is empty")
        if utf16_len(plain) > MESSAGE_LIMIT:
            raise APIError(400, "Bad Request: message is too long")
        return plain, [{k: v for k, v in e.__dict__.items() if v is not None} for e in entities]

    async def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        async with self._changed:
            self.sent.append(message)
            self._changed.notify_all()
        return _public(message)

    async def _m_sendmessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        await self._hold()
        plain, entities = self._render(str(params.get("text", "")), params.get("parse_mode"))
        self._check_send(chat_id, bool(params.get("allow_paid_broadcast")))
        self.accepted_sends += 1
        message: dict[str, Any] = {
            "message_id": self._next_message_id(chat_id),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
            "from": self.bot_user,
            "text": plain,
            "html": params.get("text"),
        }
        if entities:
            message["entities"] = entities
        for key in ("reply_markup", "message_thread_id", "reply_parameters"):
            if params.get(key) is not None:
                message[key] = params[key]
        return await self._record(message)

    async def _m_senddocument(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        self._check_send(chat_id)
        content = params.get("document")
        field = "document"
        if isinstance(content, str) and content.startswith("attach://"):
            # aiogram uploads as Telegram documents it: the file in its own part, named by attach://<part>.
            field = content.removeprefix("attach://")
            content = params.get(field)
        if not isinstance(content, bytes):
            raise APIError(400, "Bad Request: there is no document in the request")
        file_id = f"OUT{next(self._file_ids)}"
        filename = params.get(f"{field}__filename") or "document"
        self.files[file_id] = (f"documents/{file_id}_{filename}", content)
        message: dict[str, Any] = {
            "message_id": self._next_message_id(chat_id),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
            "from": self.bot_user,
            "document": {
                "file_id": file_id,
                "file_unique_id": f"U{file_id}",
                "file_name": filename,
                "file_size": len(content),
            },
            "content": content,
        }
        if params.get("caption"):
            message["caption"] = params["caption"]
        return await self._record(message)

    async def _m_editmessagetext(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        plain, entities = self._render(str(params.get("text", "")), params.get("parse_mode"))
        for message in self.sent:
            if message["chat"]["id"] == chat_id and message["message_id"] == message_id:
                if message.get("html") == params.get("text") and message.get("reply_markup") == params.get(
                    "reply_markup"
                ):
                    raise APIError(400, "Bad Request: message is not modified")
                async with self._changed:
                    message.update(
                        text=plain,
                        html=params.get("text"),
                        entities=entities,
                        edit_date=int(time.time()),
                        reply_markup=params.get("reply_markup"),
                    )
                    self._changed.notify_all()
                return _public(message)
        raise APIError(400, "Bad Request: message to edit not found")


def _public(message: dict[str, Any]) -> dict[str, Any]:
    """The message as Telegram returns it, without what the emulator keeps for tests (html, content)."""
    return {k: v for k, v in message.items() if k not in ("html", "content")}
