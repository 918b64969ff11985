"""`python -m bot console`: chat with the real bot in a terminal, over the emulator on loopback.

The same Dispatcher, handlers and storage as in production; the console user is an admin.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import shlex
import sys
from pathlib import Path
from typing import Any

from bot.app import App
from bot.config import Settings
from bot.emulator.server import BotAPIEmulator, TelegramUser
from bot.shell import ingest_files

log = logging.getLogger(__name__)

CONSOLE_USER_ID = 100_001
_TAG = re.compile(r"<[^>]+>")
HELP = """Type a message or a command (/help); end a line with \\ to go on to the next line of the same
message (/ingest Title\\ then the text). Console commands:
  :file PATH      send a file as a document
  :press N        press button N of the last message with buttons
  :quit           leave (Ctrl-D works too)"""


def plain(message: dict[str, Any]) -> str:
    """What a Telegram client would show, bold as ANSI bold when the terminal supports it."""
    source = message.get("html") or message.get("text") or message.get("caption") or ""
    if sys.stdout.isatty():
        source = re.sub(
            r"</?(b|strong)>", lambda m: "\033[0m" if m.group(0).startswith("</") else "\033[1m", source
        )
    return html.unescape(_TAG.sub("", source))


class Console:
    def __init__(self, emulator: BotAPIEmulator, user: TelegramUser) -> None:
        self.emulator = emulator
        self.user = user
        self.shown: dict[int, str] = {}  # message id → what was printed of it
        self.last_with_buttons: dict[str, Any] | None = None

    def _unseen(self) -> list[tuple[dict[str, Any], str, list[tuple[str, str]]]]:
        unseen = []
        for message in self.emulator.messages(self.user.id):
            buttons = self.emulator.buttons(message)
            text = plain(message)
            if self.shown.get(message["message_id"]) != f"{text}\n{buttons}":
                unseen.append((message, text, buttons))
        return unseen

    def show_new(self) -> bool:
        """Print the bot's new messages, and again those it edited since (a button's page, the settings);
        whether there were any."""
        unseen = self._unseen()
        for message, text, buttons in unseen:
            seen = f"{text}\n{buttons}"
            edited = message["message_id"] in self.shown
            self.shown[message["message_id"]] = seen
            print(f"\n🤖 {'✏️ (edited) ' if edited else ''}{text}")
            if buttons:
                self.last_with_buttons = message
                print("   " + "  ".join(f"[{i}] {label}" for i, (label, _) in enumerate(buttons, start=1)))
        return bool(unseen)

    async def watch(self, every: float = 0.5) -> None:
        """While the user types: what the bot sends by itself (an alert, a scheduled digest, a reindex's
        report) is shown as it comes, and the prompt again after it."""
        while True:
            await asyncio.sleep(every)
            try:
                if self._unseen():
                    print()
                    self.show_new()
                    print("> ", end="", flush=True)
            except Exception:  # a task nobody awaits: say it, then keep watching
                log.exception("the console could not show the bot's new messages")

    async def handle(self, line: str) -> bool:
        """Send one message (its lines) as the user; False to quit."""
        line = line.strip()
        if not line:
            return True
        if line in (":quit", ":q", ":exit"):
            return False
        if line.startswith(":file"):
            parts = shlex.split(line)[1:]
            path = Path(parts[0]) if parts else None
            content = await asyncio.to_thread(path.read_bytes) if path and path.is_file() else None
            if path is None or content is None:
                print("usage: :file PATH (an existing file)")
                return True
            await self.emulator.send_document(self.user, path.name, content)
        elif line.startswith(":press"):
            parts = line.split()
            buttons = self.emulator.buttons(self.last_with_buttons) if self.last_with_buttons else []
            if len(parts) != 2 or not parts[1].isdigit() or not 1 <= int(parts[1]) <= len(buttons):
                print("usage: :press N, with N a button number shown in [ ]")
                return True
            assert self.last_with_buttons is not None
            await self.emulator.press(self.user, self.last_with_buttons, buttons[int(parts[1]) - 1][1])
        elif line.startswith(":"):
            print(HELP)
            return True
        else:
            await self.emulator.send_text(self.user, line)
        return True


async def settle(emulator: BotAPIEmulator, app: App, quiet: float = 0.6, limit: float = 120.0) -> None:
    """Wait until the bot has taken every update and finished answering."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    last_count, last_change = -1, loop.time()
    while loop.time() < deadline:
        count = len(emulator.sent)
        if count != last_count:
            last_count, last_change = count, loop.time()
        busy = emulator.pending_updates or app.inflight.tasks
        if not busy and loop.time() - last_change >= quiet:
            return
        await asyncio.sleep(0.05)


async def read_line() -> str | None:
    line = await asyncio.to_thread(sys.stdin.readline)
    return line if line else None


async def read_message(interactive: bool) -> str | None:
    """One message: a line, and the lines after it while each ends with a backslash (a message of several
    lines, as Telegram sends one: "/ingest Title\\", then the text)."""
    lines: list[str] = []
    while True:
        line = await read_line()
        if line is None:
            return "\n".join(lines) if lines else None
        line = line.rstrip("\r\n")
        if not line.endswith("\\"):
            return "\n".join([*lines, line])
        lines.append(line[:-1])
        if interactive:
            print(". ", end="", flush=True)


async def run_console(settings: Settings, *, lang: str = "ru", seeds: bool = True) -> int:
    emulator = BotAPIEmulator()
    await emulator.start()
    user = TelegramUser(CONSOLE_USER_ID, "Console", language_code=lang)
    settings = settings.model_copy(update={"admin_ids": settings.admin_ids | {CONSOLE_USER_ID}})
    app = await App.open(settings)
    console = Console(emulator, user)
    try:
        if seeds and settings.seeds_path.is_dir():
            print(f"Ingesting {settings.seeds_path}:")
            await ingest_files(app, [settings.seeds_path])
        queued = await app.analyzer.enqueue_unanalysed()
        if queued:
            print(f"Analysing {queued} article(s): people, roles, quotes, dates…", flush=True)
            await app.analyzer.idle()
        bot = app.create_bot(emulator.token, emulator.url)
        polling = asyncio.create_task(app.run_polling(bot, handle_signals=False))
        print(f"\nConsole chat with the bot (database {settings.database_path}). You are an admin.\n{HELP}\n")
        interactive = sys.stdin.isatty()
        watching: asyncio.Task[None] | None = None
        while True:
            if interactive:
                print("> ", end="", flush=True)
                watching = asyncio.create_task(console.watch())
            line = await read_message(interactive)
            if watching is not None:
                watching.cancel()
            if line is None:
                break
            if not interactive:
                print("> " + line.rstrip().replace("\n", "\n. "))
            if not await console.handle(line):
                break
            await settle(emulator, app)
            console.show_new()
        await settle(emulator, app)
        console.show_new()
        assert app.dispatcher is not None
        await app.dispatcher.stop_polling()
        await polling
    finally:
        await app.close()
        await emulator.stop()
    return 0
