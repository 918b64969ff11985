"""Two instances of the bot on one PostgreSQL database (#14): a slot's digests, an instance killed, feeds.

    .venv/bin/python -m bench.instances                       # all three, about 20 minutes
    .venv/bin/python -m bench.instances --only digests --chats 10000
    .venv/bin/python -m bench.instances --only kill --kill-at 0.3
    .venv/bin/python -m bench.instances --only feeds --feeds 200

Each scenario runs on a fresh schema of the PostgreSQL server at --database-url (dropped afterwards) and
starts two instances as deployed: `python -m bot run` subprocesses with DATABASE_URL, SEND_BUDGET=database,
ANALYSIS_WORKERS=0 and TELEGRAM_API_URL pointing at one BotAPIEmulator in this process, which enforces
Telegram's limits (30 messages/s overall, 1/s per chat, 429 with retry_after beyond them).

* digests: --chats private chats are subscribed (SubscriptionRepo) to one slot due at the first whole minute
  at least --lead seconds after the instances start, with three stories to tell. Printed: the messages
  the emulator accepted, their combined rate, duplicates (chats with more messages than their digest has
  parts), lost chats (none), 429s, and which instance sent how many (the deliveries' claims).
* kill: the same, and the instance holding the slot's run is SIGKILLed once --kill-at of the chats have
  their digest; the survivor finishes it once the dead one's leases run out (a run's 1 min, a delivery's
  2 min) at its next recovery. A message the emulator accepted that no delivery records is the documented
  window between Telegram accepting a message and its commit: such duplicates are printed apart.
* feeds: --feeds RSS feeds on a local aiohttp site, all due at once; both instances' poll job runs at start
  and every minute. Printed: requests per feed (each due poll once), which instance polled how many.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import asyncpg
from aiohttp import web

from bench.pg import fresh_schema, schema_of
from bot.digest import store
from bot.digest.inputs import story_inputs
from bot.emulator.server import BotAPIEmulator, FloodLimits
from bot.ingest.documents import parse_message_text
from storage.articles import ArticleRepo
from storage.database import Database
from storage.feeds import FeedRepo
from storage.stories import ArticleText, StoryRepo
from storage.subscriptions import SubscriptionRepo

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"
FIRST_CHAT = 10_000_000
STORIES = (
    ("Мост через Томь закрыли на ремонт", "Коммунальный мост через Томь в Томске закрыли на три месяца."),
    ("В Казани открыли станцию метро", "Станцию метро «Дубравная» открыли в Казани в пятницу утром."),
    (
        "Спартак обыграл Зенит",
        "Спартак обыграл Зенит в матче чемпионата России по футболу со счетом два один.",
    ),
)


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


@dataclass
class Emulator:
    """The Bot API emulator with Telegram's flood limits, counting sendMessage calls and accepted sends."""

    emulator: BotAPIEmulator = field(default_factory=BotAPIEmulator)
    calls: int = 0
    accepted: list[float] = field(default_factory=list)
    url: str = ""

    async def start(self, per_second: float) -> None:
        self.emulator.faults.limits = FloodLimits(
            per_second=per_second, per_chat_per_second=1, group_per_minute=20
        )
        original = self.emulator._m_sendmessage

        async def counted(params: dict[str, Any]) -> dict[str, Any]:
            self.calls += 1
            result = await original(params)
            self.accepted.append(time.monotonic())
            return result

        self.emulator._m_sendmessage = counted  # type: ignore[method-assign]
        self.url = await self.emulator.start()

    def per_chat(self) -> Counter[int]:
        return Counter(m["chat"]["id"] for m in self.emulator.messages())

    def flood(self) -> int:
        return sum(1 for method, code, _ in self.emulator.refused if method == "sendMessage" and code == 429)


@dataclass
class Instance:
    name: str
    process: asyncio.subprocess.Process
    log: Path

    def errors(self) -> list[str]:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return [
            line
            for line in text.splitlines()
            if "Traceback" in line
            or " ERROR " in line
            or "UniqueViolation" in line
            or "duplicate key" in line
        ]


async def start_instances(url: str, emulator: Emulator, folder: Path, count: int = 2) -> list[Instance]:
    instances = []
    for n in range(count):
        name = "AB"[n]
        home = folder / name
        home.mkdir()
        environment = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "BOT_TOKEN": emulator.emulator.token,
            "TELEGRAM_API_URL": emulator.url,
            "DATABASE_URL": url,
            "DATABASE_PATH": str(home / "unused.sqlite3"),
            "SEND_BUDGET": "database",
            "ANALYSIS_WORKERS": "0",
            "ALLOW_PRIVATE_URLS": "true",
            "DEFAULT_TIMEZONE": "UTC",
            "LOG_LEVEL": "INFO",
        }
        log = home / "bot.log"
        with log.open("wb") as out:  # the child keeps its own descriptor
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", cwd=home, env=environment, stdout=out, stderr=out
            )
        instances.append(Instance(name, process, log))
    return instances


def keep_logs(instances: list[Instance], folder: Path | None, scenario: str) -> None:
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        for instance in instances:
            shutil.copy(instance.log, folder / f"{scenario}-{instance.name}.log")


async def stop_instances(instances: list[Instance]) -> None:
    for instance in instances:
        if instance.process.returncode is None:
            instance.process.send_signal(signal.SIGTERM)
    for instance in instances:
        try:
            await asyncio.wait_for(instance.process.wait(), 60)
        except TimeoutError:
            instance.process.kill()
            await instance.process.wait()


def owner_names(instances: list[Instance]) -> dict[str, str]:
    """claimed_by (host:pid:random) → the instance's name, by pid."""
    return {str(i.process.pid): i.name for i in instances}


def named(owner: str | None, names: dict[str, str]) -> str:
    if owner is None:
        return "nobody"
    parts = owner.split(":")
    return names.get(parts[1], owner) if len(parts) == 3 else owner


# ----- digests -----
async def prepare_digests(url: str, chats: int, scheduled: datetime) -> None:
    db = Database(Path("unused.sqlite3"), url=url)
    await db.open()  # migrates the fresh schema
    try:
        articles, stories = ArticleRepo(db), StoryRepo(db)
        for title, text in STORIES:
            prepared = parse_message_text(
                f"{title}\n{text} Подробности сообщат позже, говорится в сообщении.", "UTC"
            )
            assert prepared is not None
            a = (await articles.add(prepared.row, ingested_by=None)).article
            texts = [ArticleText(a.id, a.title, a.text, a.lang, a.published_at)]
            await store.assign(stories, story_inputs(texts, None))
        subscriptions = SubscriptionRepo(db)
        send_at = scheduled.strftime("%H:%M")
        for n in range(chats):
            await subscriptions.subscribe(
                chat_id=FIRST_CHAT + n, thread_id=None, chat_type="private", language="ru" if n % 2 else "en",
                send_at=send_at, timezone="UTC", topics="" if n % 3 else "-футбол", by=FIRST_CHAT + n,
            )  # fmt: skip
    finally:
        await db.close()


async def ledger(conn: asyncpg.Connection) -> dict[str, Any]:
    pending = await conn.fetchval("SELECT count(*) FROM deliveries WHERE status = 'pending'")
    recorded = await conn.fetchval("SELECT count(*) FROM deliveries")
    unfinished = await conn.fetchval(
        "SELECT count(*) FROM job_runs WHERE job LIKE 'digest:%' AND done_at IS NULL"
    )
    runs = await conn.fetchval("SELECT count(*) FROM job_runs WHERE job LIKE 'digest:%'")
    return {"pending": pending, "recorded": recorded, "unfinished_runs": unfinished, "runs": runs}


async def digests(args: argparse.Namespace, kill: bool) -> None:
    title = f"kill one at {args.kill_at:.0%}" if kill else "both running"
    print(f"\n=== digests, two instances, {title}: {args.chats} chats ===", flush=True)
    emulator = Emulator()
    await emulator.start(args.per_second)
    async with fresh_schema(args.database_url) as url:
        schema = schema_of(url)
        started = time.monotonic()
        # The slot: the first whole minute at least --lead seconds after the instances start.
        estimate = datetime.now(UTC) + timedelta(seconds=args.chats / 250 + args.lead)
        scheduled = (estimate + timedelta(minutes=1)).replace(second=0, microsecond=0)
        await prepare_digests(url, args.chats, scheduled)
        print(
            f"prepared {args.chats} subscriptions and {len(STORIES)} stories"
            f" in {time.monotonic() - started:.0f}s;"
            f" slot {scheduled:%H:%M} UTC, {(scheduled - datetime.now(UTC)).total_seconds():.0f}s from now;"
            f" {load()}",
            flush=True,
        )
        conn = await asyncpg.connect(args.database_url, server_settings={"search_path": schema})
        with tempfile.TemporaryDirectory() as folder:
            instances = await start_instances(url, emulator, Path(folder))
            names = owner_names(instances)
            killed: Instance | None = None
            killed_at = 0
            killed_clock = 0.0
            loads = [load()]
            deadline = time.monotonic() + args.timeout
            expected = {FIRST_CHAT + n for n in range(args.chats)}
            try:
                while time.monotonic() < deadline:
                    await asyncio.sleep(1)
                    covered = len(emulator.per_chat().keys() & expected)
                    if kill and killed is None and covered >= args.kill_at * args.chats:
                        holder = await conn.fetchval(
                            "SELECT claimed_by FROM job_runs WHERE job LIKE 'digest:%' AND done_at IS NULL"
                        )
                        victim = next((i for i in instances if named(holder, names) == i.name), instances[0])
                        victim.process.send_signal(signal.SIGKILL)
                        killed, killed_at, killed_clock = victim, covered, time.monotonic()
                        loads.append(load())
                        print(
                            f"SIGKILL to instance {victim.name} (it held the run) with {covered} chats served"
                            f" ({emulator.flood()} 429s so far)",
                            flush=True,
                        )
                    state = await ledger(conn)
                    if (
                        covered == len(expected)
                        and state["pending"] == 0
                        and state["unfinished_runs"] == 0
                        and state["runs"]
                    ):
                        break
                    if int(time.monotonic() - started) % 30 == 0:
                        print(f"  {covered} chats served, ledger {state}", flush=True)
                await asyncio.sleep(args.settle)  # late duplicates, if any, arrive
                loads.append(load())
                rows = await conn.fetch(
                    "SELECT s.chat_id, d.status, d.parts, d.parts_sent, d.message_ids, d.claimed_by"
                    " FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id"
                )
                state = await ledger(conn)
            finally:
                await stop_instances(instances)
                await conn.close()
                errors = {i.name: i.errors() for i in instances}
                keep_logs(instances, args.logs, "kill" if kill else "digests")
            finished = time.monotonic()
        await emulator.emulator.stop()
    report(
        args, emulator, rows, state, names, killed, killed_at, killed_clock, errors, loads, expected, finished
    )


def report(
    args: argparse.Namespace,
    emulator: Emulator,
    rows: list[Any],
    state: dict[str, Any],
    names: dict[str, str],
    killed: Instance | None,
    killed_at: int,
    killed_clock: float,
    errors: dict[str, list[str]],
    loads: list[str],
    expected: set[int],
    finished: float,
) -> None:
    per_chat = emulator.per_chat()
    parts = {r["chat_id"]: len(json.loads(r["parts"])) for r in rows}
    recorded = {(r["chat_id"], m) for r in rows for m in json.loads(r["message_ids"])}
    sent_pairs = [(m["chat"]["id"], m["message_id"]) for m in emulator.emulator.messages()]
    unrecorded = [p for p in sent_pairs if p not in recorded]
    unrecorded_chats = {chat for chat, _ in unrecorded}
    duplicates = {c for c, n in per_chat.items() if n > parts.get(c, 1)}
    window = duplicates & unrecorded_chats
    accepted = emulator.accepted
    seconds = accepted[-1] - accepted[0] if len(accepted) > 1 else 0.0
    rate = (len(accepted) - 1) / seconds if seconds else 0.0
    print(
        f"emulator limit {args.per_second:g} messages/s; {len(rows)} deliveries recorded, parts per digest: "
        f"{sorted(Counter(parts.values()).items())}"
    )
    print(
        f"messages accepted: {len(accepted)} in {seconds:.1f}s → {rate:.1f} messages/s combined "
        f"({rate / args.per_second:.1%} of the limit)"
    )
    if killed is not None:
        before = [t for t in accepted if t <= killed_clock]
        after = [t for t in accepted if t > killed_clock]
        gap = (after[0] - killed_clock) if after else float("nan")
        rate_after = (
            (len(after) - 1) / (after[-1] - after[0]) if len(after) > 1 and after[-1] > after[0] else 0.0
        )
        rate_before = (len(before) - 1) / (before[-1] - before[0]) if len(before) > 1 else 0.0
        tail = f"; the survivor's last message {after[-1] - killed_clock:.0f}s after it" if after else ""
        print(
            f"killed instance {killed.name} at {killed_at} chats served ({killed_at / len(expected):.0%}): "
            f"{rate_before:.1f} messages/s before; first message after the kill {gap:.1f}s later, "
            f"then {rate_after:.1f} messages/s{tail}"
        )
    print(
        f"duplicates (chats with more messages than their digest's parts): {len(duplicates)}, of which "
        f"{len(window)} in the documented window (a message accepted but never recorded); "
        f"lost (subscribed chats without a digest): {len(expected - per_chat.keys())}"
    )
    print(f"accepted messages no delivery records: {len(unrecorded)}")
    print(
        f"429 answers: {emulator.flood()} of {emulator.calls} sends"
        f" ({emulator.flood() / max(emulator.calls, 1):.2%}); "
        f"other refusals: {len(emulator.emulator.refused) - emulator.flood()}"
    )
    by_owner: Counter[str] = Counter()
    for r in rows:
        by_owner[named(r["claimed_by"], names)] += r["parts_sent"]
    print(
        "messages recorded by the instance that sent them: "
        + ", ".join(f"{name}: {n}" for name, n in sorted(by_owner.items()))
    )
    print(f"ledger at the end: {state}")
    for name, lines in errors.items():
        print(
            f"instance {name} log: {len(lines)} error lines" + (f", first: {lines[0][:200]}" if lines else "")
        )
    print(f"loads: {' → '.join(loads)}", flush=True)


# ----- feeds -----
def rss(n: int, base: str) -> str:
    now = format_datetime(datetime.now(UTC) - timedelta(minutes=5), usegmt=True)
    body = (
        f"Сообщение ленты номер {n}. В городе {n} открыли новую библиотеку, рассказали в администрации. " * 12
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Лента {n}</title><link>{base}/</link><description>Лента {n}</description>"
        f"<item><title>Новость ленты {n}</title><link>{base}/page/{n}.html</link>"
        f"<guid>{base}/page/{n}.html</guid><pubDate>{now}</pubDate>"
        f"<description>{body}</description></item></channel></rss>"
    )


async def feeds(args: argparse.Namespace) -> None:
    print(f"\n=== feeds, two instances: {args.feeds} feeds due at once ===", flush=True)
    requests: Counter[str] = Counter()
    app = web.Application()
    base = ""

    async def feed(request: web.Request) -> web.Response:
        requests[request.path] += 1
        n = int(request.match_info["n"])
        return web.Response(text=rss(n, base), content_type="application/rss+xml")

    async def page(request: web.Request) -> web.Response:
        requests[request.path] += 1
        return web.Response(text="<html><body><p>Страница</p></body></html>", content_type="text/html")

    app.router.add_get("/feed/{n}.xml", feed)
    app.router.add_get("/page/{n}.html", page)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    base = f"http://127.0.0.1:{port}"
    emulator = Emulator()
    await emulator.start(args.per_second)
    async with fresh_schema(args.database_url) as url:
        schema = schema_of(url)
        db = Database(Path("unused.sqlite3"), url=url)
        await db.open()
        try:
            repo = FeedRepo(db)
            now = datetime.now(UTC) - timedelta(minutes=1)
            for n in range(args.feeds):
                await repo.add(f"{base}/feed/{n}.xml", f"Лента {n}", None, now=now)
        finally:
            await db.close()
        conn = await asyncpg.connect(args.database_url, server_settings={"search_path": schema})
        loads = [load()]
        with tempfile.TemporaryDirectory() as folder:
            instances = await start_instances(url, emulator, Path(folder))
            names = owner_names(instances)
            started = time.monotonic()
            try:
                while time.monotonic() - started < args.timeout:
                    await asyncio.sleep(1)
                    polled = await conn.fetchval(
                        "SELECT count(*) FROM feeds WHERE last_polled_at IS NOT NULL"
                    )
                    if polled == args.feeds:
                        break
                first_round = time.monotonic() - started
                # Each instance's poll job runs again a minute after its first run: nothing is due then.
                await asyncio.sleep(args.feed_watch)
                loads.append(load())
                rows = await conn.fetch("SELECT id, claimed_by, last_polled_at, next_poll_at FROM feeds")
                articles = await conn.fetchval("SELECT count(*) FROM articles")
            finally:
                await stop_instances(instances)
                await conn.close()
            errors = {i.name: i.errors() for i in instances}
            keep_logs(instances, args.logs, "feeds")
    await emulator.emulator.stop()
    await runner.cleanup()
    per_feed = [requests[f"/feed/{n}.xml"] for n in range(args.feeds)]
    pages = sum(n for path, n in requests.items() if path.startswith("/page/"))
    print(
        f"all {args.feeds} feeds polled {first_round:.0f}s after the instances started;"
        f" watched {args.feed_watch:.0f}s more"
    )
    print(
        f"requests per feed: {sorted(Counter(per_feed).items())} (requests: feeds polled that many times); "
        f"unpolled: {sum(1 for n in per_feed if n == 0)},"
        f" polled more than once: {sum(1 for n in per_feed if n > 1)}; "
        f"page requests: {pages}"
    )
    print(
        "polled by: "
        + ", ".join(
            f"{name}: {n}" for name, n in sorted(Counter(named(r["claimed_by"], names) for r in rows).items())
        )
    )
    print(f"articles stored: {articles} (one item per feed)")
    for name, lines in errors.items():
        print(
            f"instance {name} log: {len(lines)} error lines" + (f", first: {lines[0][:200]}" if lines else "")
        )
    print(f"loads: {' → '.join(loads)}", flush=True)


async def main_async(args: argparse.Namespace) -> None:
    print(f"PostgreSQL {args.database_url}; {os.cpu_count()} cores; {load()}", flush=True)
    if args.only in (None, "digests"):
        await digests(args, kill=False)
    if args.only in (None, "kill"):
        await digests(args, kill=True)
    if args.only in (None, "feeds"):
        await feeds(args)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.instances")
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL") or DEFAULT_URL)
    parser.add_argument("--only", choices=["digests", "kill", "feeds"])
    parser.add_argument("--chats", type=int, default=10_000)
    parser.add_argument("--kill-at", type=float, default=0.3)
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--per-second", type=float, default=30)
    parser.add_argument(
        "--lead", type=float, default=40, help="seconds between the instances' start and the slot"
    )
    parser.add_argument("--timeout", type=float, default=1500, help="seconds a scenario may take at most")
    parser.add_argument("--settle", type=float, default=5, help="seconds watched after the last digest")
    parser.add_argument("--logs", type=Path, help="a folder to keep each instance's log in")
    parser.add_argument(
        "--feed-watch", type=float, default=75, help="seconds watched after every feed was polled"
    )
    asyncio.run(main_async(parser.parse_args()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
