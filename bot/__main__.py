"""python -m bot [run|console|ingest PATH...|reindex|healthcheck|copy-database --to URL|worker]"""

from __future__ import annotations

import argparse
import asyncio
import sys
import urllib.error
import urllib.request
from pathlib import Path

from bot.config import ConfigError, Settings, load_settings, parse_listen
from bot.logs import setup_logging
from storage.database import DatabaseUnavailable

HEALTHCHECK_TIMEOUT = 5.0


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot", description="A Telegram news-digest bot.")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser(
        "run", help="long polling against TELEGRAM_API_URL, or a webhook with WEBHOOK_URL (needs BOT_TOKEN)"
    )
    console = sub.add_parser(
        "console", help="a local chat in this terminal over the built-in Bot API emulator"
    )
    console.add_argument("--lang", default="ru", choices=["ru", "en"], help="the console user's language")
    console.add_argument("--no-seeds", action="store_true", help="do not ingest seeds/ at start")
    ingest = sub.add_parser("ingest", help="import files and folders, one line per article")
    ingest.add_argument("paths", nargs="+", type=Path)
    sub.add_parser("reindex", help="analyse every stored article again (entities, roles, quotes, events)")
    sub.add_parser(
        "healthcheck",
        help="GET /healthz on WEBHOOK_LISTEN (webhook mode) or METRICS_LISTEN; exit 0 when healthy",
    )
    copy = sub.add_parser(
        "copy-database",
        help="copy the SQLite database (DATABASE_PATH) into an empty PostgreSQL database, verifying counts",
    )
    copy.add_argument("--to", required=True, metavar="postgresql://user@host:5432/database")
    sub.add_parser(
        "worker",
        help="analyse articles from the DATABASE_URL queue (PostgreSQL), no Telegram, until SIGINT/SIGTERM",
    )
    return parser.parse_args(argv)


async def run(settings: Settings) -> int:
    from bot.app import App

    app = await App.open(settings)
    try:
        assert settings.token is not None
        bot = app.create_bot(settings.token, settings.telegram_api_url)
        if settings.webhook_url:
            await app.run_webhook(bot)
        else:
            from bot.web import serve_polling

            await serve_polling(app, bot)  # with /healthz and /metrics on METRICS_LISTEN when set
    finally:
        await app.close()
    return 0


def healthcheck(settings: Settings) -> int:
    """The image's HEALTHCHECK: the running bot's /healthz, one line out; 0 healthy, 1 not."""
    listen = settings.webhook_listen if settings.webhook_url else settings.metrics_listen
    if listen is None:
        print("healthy: no WEBHOOK_URL or METRICS_LISTEN, nothing serves /healthz")
        return 0
    host, port = parse_listen(listen)
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)  # a wildcard answers on loopback
    url = f"http://{f'[{host}]' if ':' in host else host}:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=HEALTHCHECK_TIMEOUT) as response:
            print(f"healthy: {response.read().decode()}")
            return 0
    except urllib.error.HTTPError as exc:
        print(f"unhealthy: {exc.code} {exc.read().decode(errors='replace')}")
    except (OSError, TimeoutError) as exc:
        print(f"unhealthy: {url}: {getattr(exc, 'reason', exc)}")
    return 1


async def copy_database(settings: Settings, to: str) -> int:
    """The SQLite archive into an empty PostgreSQL database, table by table with progress, counts verified."""
    from storage.copy import CopyError
    from storage.copy import copy_database as copy_tables
    from storage.database import Database, redacted

    if settings.database_engine != "sqlite":
        print(
            "error: copy-database reads the SQLite database of DATABASE_PATH; unset DATABASE_URL",
            file=sys.stderr,
        )
        return 2
    if not settings.database_path.is_file():
        print(f"error: no SQLite database at DATABASE_PATH={settings.database_path}", file=sys.stderr)
        return 2
    source = Database(settings.database_path)
    await source.open()
    try:
        target = Database(settings.database_path, url=to)
        await target.open()
        try:
            copied = await copy_tables(source, target, progress=lambda line: print(line, flush=True))
        except CopyError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        finally:
            await target.close()
    finally:
        await source.close()
    rows = sum(c.rows for c in copied)
    print(
        f"copied and verified: {len(copied)} tables, {rows:,} rows, {settings.database_path} → {redacted(to)}"
    )
    return 0


async def work(settings: Settings) -> int:
    """`python -m bot worker`: the Analyzer's consumers and its worker processes over the database's
    analysis queue, beside the bot or on another machine; a batch in progress at SIGINT/SIGTERM gives its
    claims back, for another consumer."""
    import logging
    import signal

    from bot.analysis.service import Analyzer
    from bot.pipeline import AnalysisTransaction
    from bot.timeline.service import TimelineService
    from bot.who.store import EntityStore
    from bot.workers import WorkerPool
    from storage.articles import ArticleRepo
    from storage.database import Database, redacted
    from storage.events import EventRepo

    log = logging.getLogger("bot.worker")
    db = Database(settings.database_path, url=settings.database_url)
    await db.open()
    workers = WorkerPool(max(1, settings.analysis_workers))
    try:
        entities = EntityStore(db)
        analyzer = Analyzer(
            ArticleRepo(db),
            entities,
            workers,
            settings.timezone,
            AnalysisTransaction(TimelineService(EventRepo(db), entities, settings.timezone)),
            concurrency=2 * max(1, settings.analysis_workers),  # as the bot: one waits while one is stored
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        analyzer.start()
        log.info(
            "analysis worker %s: %d process(es), queue in %s",
            analyzer.owner,
            settings.analysis_workers,
            redacted(settings.database_url or ""),
        )
        await stop.wait()
        await analyzer.close()  # a batch in progress gives its claims back
        log.info("analysis worker stopped: %d analysed, %d failed", analyzer.analysed, analyzer.failed)
    finally:
        await db.close()
        await asyncio.to_thread(workers.close, False)  # what they were analysing is given back: stop now
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return _main(args)
    except DatabaseUnavailable as exc:
        # One line and a failure code, so a supervisor sees it and restarts us (or a person reads why).
        variable = "DATABASE_PATH" if isinstance(exc.path, Path) else "DATABASE_URL"
        print(f"error: cannot use {variable}={exc.path}: {exc.reason}", file=sys.stderr)
        return 1


def _main(args: argparse.Namespace) -> int:
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    command = args.command or ("run" if settings.token else "console")
    # The console is a chat: routine INFO lines would interleave with the conversation.
    quiet = command == "console" and settings.log_level == "INFO"
    setup_logging("WARNING" if quiet else settings.log_level, settings.token)
    if command == "healthcheck":
        return healthcheck(settings)
    if command == "copy-database":
        try:
            to = load_settings(database_url=args.to).database_url
        except ConfigError as exc:
            print(f"error: {str(exc).replace('DATABASE_URL', '--to')}", file=sys.stderr)
            return 2
        if to is None or not to.startswith(("postgresql://", "postgres://")):
            print("error: invalid --to: expected postgresql://user@host:5432/database", file=sys.stderr)
            return 2
        return asyncio.run(copy_database(settings, to))
    if command == "worker":
        if settings.database_engine != "postgresql":
            print(
                "error: `python -m bot worker` needs DATABASE_URL=postgresql://…: a SQLite file is used by"
                " one process only, and the bot analyses its own articles",
                file=sys.stderr,
            )
            return 2
        return asyncio.run(work(settings))
    if command == "run":
        if not settings.token:
            print(
                "error: BOT_TOKEN is not set; `python -m bot console` runs a local chat instead",
                file=sys.stderr,
            )
            return 2
        return asyncio.run(run(settings))
    if command == "console":
        from bot.emulator.console import run_console

        return asyncio.run(
            run_console(
                settings, lang=getattr(args, "lang", "ru"), seeds=not getattr(args, "no_seeds", False)
            )
        )
    from bot.shell import ingest_paths, reindex

    if command == "reindex":
        return asyncio.run(reindex(settings))
    return asyncio.run(ingest_paths(settings, args.paths))


if __name__ == "__main__":
    sys.exit(main())
