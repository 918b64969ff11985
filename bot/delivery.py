"""The one place that sends many messages: Telegram's rate limits, bounded retries, and a ledger per message.

Telegram allows about 30 messages a second overall (1,000 with paid broadcasts), about one a second
per chat and 20 a minute per group; a 429 carries `retry_after`, during which every send must wait,
not only the one refused. aiogram 3 does not retry; this module does, with bounds: a flood wait or a
server error never turns into an endless loop, and only "chat not found" is taken for a missing chat.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter, deque
from collections.abc import AsyncIterable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import LinkPreviewOptions

log = logging.getLogger(__name__)

# Paced under the limit so that 30 intervals span 1.04 s: for a 31st message to land within one
# second of Telegram's window, request timing would have to jitter by 40 ms.
PACE_MARGIN = 0.962
PER_CHAT_INTERVAL = 1.05  # seconds between two messages to one chat
GROUP_PER_MINUTE = 20
MAX_FLOOD_WAITS = 10  # 429s for one message before giving up on it
MAX_ATTEMPTS = 5  # server and network errors for one message
MAX_MIGRATIONS = 2
BACKOFF_BASE, BACKOFF_CAP = 0.5, 30.0


CALLER_RETRIES: ContextVar[bool] = ContextVar("caller_retries", default=False)


@contextmanager
def caller_retries() -> Iterator[None]:
    """Sends made inside handle TelegramRetryAfter themselves (this broadcaster, which pauses every chat
    on a 429): the replies' retry middleware (bot.telegram.retry) lets them through untouched."""
    token = CALLER_RETRIES.set(True)
    try:
        yield
    finally:
        CALLER_RETRIES.reset(token)


class Outcome(StrEnum):
    SENT = "sent"
    BLOCKED = "blocked"  # 403: the user blocked the bot, the bot was kicked, the user is deactivated
    GONE = "gone"  # 400 chat not found
    FAILED = "failed"  # any other refusal; the text is in the ledger's error
    GAVE_UP = "gave_up"  # flood waits or server errors beyond the bounds
    INTERRUPTED = "interrupted"  # the bot is stopping; the remaining messages go out after a restart


@dataclass(frozen=True)
class Parcel:
    """Messages for one chat that go out in order; `first` skips those sent before a restart."""

    key: int
    chat_id: int
    parts: tuple[str, ...]
    thread_id: int | None = None
    first: int = 0
    is_group: bool = False


class Ledger(Protocol):
    """Where the sender records each accepted message at once, so that a restart sends only the rest."""

    async def part_sent(self, parcel: Parcel, index: int, message_id: int) -> None: ...

    async def chat_moved(self, parcel: Parcel, new_chat_id: int) -> None: ...

    async def finished(self, parcel: Parcel, outcome: Outcome, error: str | None) -> None: ...


@dataclass
class BroadcastReport:
    messages: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    flood_waits: int = 0
    retries: int = 0
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None

    @property
    def seconds(self) -> float:
        return (self.finished or time.monotonic()) - self.started


def pace(rate: float) -> tuple[float, float, float]:
    """A pacer's seconds at `rate`: between slots, how late a send may still catch up when it asks for one
    (`Pacer`), and how late after its slot it may still go."""
    interval = 1.0 / (rate * PACE_MARGIN)
    catch_up = interval / 4 if interval > 0.01 else 0.025
    return interval, catch_up, max(interval, catch_up)


class Pacer:
    """Gives every send a start time 1/rate after the previous one, and moves them all past a flood wait.

    Slots are reserved without a lock (reserving does not await), so at 1,000 messages/s sends are not
    limited to one per event-loop iteration. Sends woken late catch up by at most `catch_up` seconds,
    so an event-loop stall cannot turn into a burst over the limit: a quarter of a slot at 30/s, where
    the pace is far slower than the loop, and 25 ms at paid rates, where a slot is shorter than one
    turn of the loop. That holds for the sends that wait through a stall too: one that wakes more than
    `stale_after` past its slot (a slot, or `catch_up` at paid rates) takes a new slot instead of going,
    because the sends reserved after it wake at the same moment (seen with two SharedPacers: three and
    four sends within 20 ms after a 300 ms stall, then a 429; tests/test_send_budget.py).
    """

    def __init__(self, rate: float) -> None:
        self.interval, self.catch_up, self.stale_after = pace(rate)
        self._due = 0.0
        self._paused_until = 0.0
        self._pauses = 0

    async def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)
        self._due = max(self._due, self._paused_until - self.interval)
        self._pauses += 1

    async def turn(self) -> None:
        while True:
            now = time.monotonic()
            due = max(self._due + self.interval, self._paused_until, now - self.catch_up)
            self._due = due
            pauses = self._pauses
            if due > now:
                await asyncio.sleep(due - now)
            if time.monotonic() - due > self.stale_after:
                continue  # woken long after its slot, with the sends of the slots after it: a new one
            if self._pauses == pauses or time.monotonic() >= self._paused_until:
                return  # no flood wait began while this send waited for its slot


class SlotBook(Protocol):
    """Where slots are handed out when several instances share the token (storage.budget.SendBudgetRepo)."""

    async def reserve(self, lane: str, interval: float, earliest: float) -> float: ...

    async def hold(self, lane: str, until: float) -> None: ...


class MemoryBook:
    """A SlotBook in this process: the one budget of a bot that runs as one process (SQLite), shared by
    its digests and its alerts."""

    def __init__(self) -> None:
        self._slots: dict[str, float] = {}

    async def reserve(self, lane: str, interval: float, earliest: float) -> float:
        last = self._slots.get(lane)
        slot = earliest if last is None else max(last + interval, earliest)
        self._slots[lane] = slot
        return slot

    async def hold(self, lane: str, until: float) -> None:
        self._slots[lane] = max(self._slots.get(lane, until), until)


class SharedPacer:
    """The Pacer's contract over a budget every instance of the bot shares (SEND_BUDGET=database): each
    send reserves its slot in the database, so two instances sending at once stay within the token's rate
    together, and a flood wait seen by one holds them all.

    A lane may also take its slots from a smaller lane of its own first (instant alerts: half the rate),
    so that the sends of the other lanes always keep the rest. Slots are wall-clock seconds: instances on
    several machines need synchronised clocks (NTP), as any distributed rate limit does.
    """

    def __init__(self, book: SlotBook, rate: float, *, share: tuple[str, float] | None = None) -> None:
        self.book = book
        self.interval, self.catch_up, self.stale_after = pace(rate)
        self.share = share  # (lane, fraction of the rate) reserved first
        self._sharing = asyncio.Lock()
        self._paused_until = 0.0
        self._pauses = 0

    async def turn(self) -> None:
        while True:
            pauses = self._pauses
            due = await self._reserve(time.time())
            wait = due - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if time.time() - due > self.stale_after:
                # As Pacer: woken long after its slot, or handed it long after asking (reservations
                # queued behind a stall come back together), it takes a new one. Slots are handed out
                # faster than the clock runs while this repeats, so it ends.
                continue
            # As Pacer: a flood wait this instance met while this send waited moves it past the wait.
            if self._pauses == pauses or time.time() >= self._paused_until:
                return

    async def _reserve(self, now: float) -> float:
        earliest = max(now, self._paused_until) - self.catch_up
        if self.share is None:
            return await self.book.reserve("all", self.interval, earliest)
        lane, fraction = self.share
        async with self._sharing:  # this instance's sends of the lane reserve one after another
            own = await self.book.reserve(lane, self.interval / fraction, earliest)
            due = await self.book.reserve("all", self.interval, max(earliest, own - self.catch_up))
            if due > own:  # other lanes kept it waiting: its share counts from when it really goes
                await self.book.hold(lane, due)
        return due

    async def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, time.time() + seconds)
        self._pauses += 1
        await self.book.hold("all", self._paused_until)


class ChatSpacing:
    """About one message a second to a chat, and at most 20 a minute to a group."""

    def __init__(self) -> None:
        self._recent: dict[int, deque[float]] = {}
        self._pruned = time.monotonic()

    def delay(self, chat_id: int, is_group: bool) -> float:
        now = time.monotonic()
        recent = self._recent.get(chat_id)
        if not recent:
            return 0.0
        wait = recent[-1] + PER_CHAT_INTERVAL - now
        if is_group and len(recent) >= GROUP_PER_MINUTE:
            wait = max(wait, recent[-GROUP_PER_MINUTE] + 60.5 - now)
        return max(wait, 0.0)

    def sent(self, chat_id: int) -> None:
        now = time.monotonic()
        recent = self._recent.setdefault(chat_id, deque(maxlen=GROUP_PER_MINUTE))
        recent.append(now)
        if now - self._pruned > 60:
            self._recent = {c: r for c, r in self._recent.items() if now - r[-1] < 61}
            self._pruned = now


class Broadcaster:
    def __init__(
        self,
        bot: Bot,
        *,
        rate: float = 30.0,
        paid: bool = False,
        paid_rate: float = 1000.0,
        backoff_base: float = BACKOFF_BASE,
        book: SlotBook | None = None,
        share: tuple[str, float] | None = None,
    ) -> None:
        """`book`: reserve send slots there, shared with every instance of the bot (else in this process);
        `share`: a lane of its own and its fraction of the rate, taken first (see SharedPacer)."""
        self.bot = bot
        self.paid = paid
        self.rate = paid_rate if paid else rate
        self.pacer: Pacer | SharedPacer = (
            Pacer(self.rate) if book is None else SharedPacer(book, self.rate, share=share)
        )
        self.spacing = ChatSpacing()
        self.backoff_base = backoff_base
        self.report = BroadcastReport()  # running totals since start
        self.stopping = False

    def stop(self) -> None:
        """Finish the messages being sent, start no others."""
        self.stopping = True

    @property
    def workers(self) -> int:
        """Enough concurrent parcels to keep the pace while some wait out per-chat spacing."""
        return int(min(200, max(8, self.rate * 1.5)))

    async def _send_one(self, chat_id: int, text: str, thread_id: int | None) -> int:
        # A 429 must reach deliver(), which pauses every chat: the retry of ordinary replies stands aside.
        with caller_retries():
            message = await self.bot.send_message(
                chat_id,
                text,
                message_thread_id=thread_id,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                allow_paid_broadcast=True if self.paid else None,
            )
        return message.message_id

    async def deliver(self, parcel: Parcel, ledger: Ledger, report: BroadcastReport | None = None) -> Outcome:
        """Send the parcel's remaining messages in order; stops at the first one that cannot go."""
        reports = [self.report] if report is None else [self.report, report]
        chat_id, thread_id = parcel.chat_id, parcel.thread_id
        floods = attempts = migrations = 0
        index = parcel.first
        error: str | None = None
        outcome = Outcome.SENT
        while index < len(parcel.parts):
            if self.stopping:
                outcome = Outcome.INTERRUPTED
                break
            delay = self.spacing.delay(chat_id, parcel.is_group)
            if delay:
                await asyncio.sleep(delay)
            await self.pacer.turn()
            try:
                message_id = await self._send_one(chat_id, parcel.parts[index], thread_id)
            except TelegramRetryAfter as exc:
                await self.pacer.pause(exc.retry_after)
                for r in reports:
                    r.flood_waits += 1
                floods += 1
                if floods > MAX_FLOOD_WAITS:
                    outcome, error = Outcome.GAVE_UP, exc.message
                    break
                continue
            except TelegramMigrateToChat as exc:
                migrations += 1
                if migrations > MAX_MIGRATIONS:
                    outcome, error = Outcome.FAILED, exc.message
                    break
                chat_id = exc.migrate_to_chat_id
                await ledger.chat_moved(parcel, chat_id)
                continue
            except TelegramForbiddenError as exc:
                outcome, error = Outcome.BLOCKED, exc.message
                break
            except TelegramBadRequest as exc:
                description = exc.message.lower()
                if "chat not found" in description:
                    outcome, error = Outcome.GONE, exc.message
                    break
                if thread_id is not None and "thread not found" in description:
                    thread_id = None  # the forum topic was deleted: the chat itself still gets it
                    continue
                log.warning("chat %s refused message %d: %s", chat_id, index, exc.message)
                outcome, error = Outcome.FAILED, exc.message
                break
            except (TelegramServerError, TelegramNetworkError) as exc:
                # A timeout may hide a message Telegram did accept: resending is the documented residual risk.
                attempts += 1
                for r in reports:
                    r.retries += 1
                if attempts >= MAX_ATTEMPTS:
                    outcome, error = Outcome.GAVE_UP, str(exc)
                    break
                await asyncio.sleep(min(BACKOFF_CAP, self.backoff_base * 2 ** (attempts - 1)))
                continue
            except TelegramAPIError as exc:  # 401, 404, 409 and whatever Telegram adds: not worth retrying
                log.warning("chat %s: unexpected Telegram error %s", chat_id, exc.message)
                outcome, error = Outcome.FAILED, exc.message
                break
            self.spacing.sent(chat_id)
            for r in reports:
                r.messages += 1
            await ledger.part_sent(parcel, index, message_id)
            index += 1
        for r in reports:
            r.outcomes[outcome] += 1
        await ledger.finished(parcel, outcome, error)
        return outcome

    async def broadcast(
        self, parcels: AsyncIterable[Parcel] | Iterable[Parcel], ledger: Ledger
    ) -> BroadcastReport:
        """Deliver every parcel, several at a time within the limits; parcels may be produced lazily."""
        report = BroadcastReport()
        queue: asyncio.Queue[Parcel | None] = asyncio.Queue(maxsize=self.workers * 2)

        async def work() -> None:
            while (parcel := await queue.get()) is not None:
                try:
                    await self.deliver(parcel, ledger, report)
                except Exception:  # a ledger write failed: the delivery stays pending, resumed at restart
                    log.exception("delivering parcel %s failed", parcel.key)
                    report.outcomes["error"] += 1

        workers = [asyncio.create_task(work()) for _ in range(self.workers)]
        try:
            if isinstance(parcels, AsyncIterable):
                async for parcel in parcels:
                    if self.stopping:
                        break
                    await queue.put(parcel)
            else:
                for parcel in parcels:
                    if self.stopping:
                        break
                    await queue.put(parcel)
            for _ in workers:
                await queue.put(None)
            await asyncio.gather(*workers)
        finally:
            for task in workers:
                task.cancel()
        report.finished = time.monotonic()
        return report
