"""One connection per process, with the schema migrated at start-up: an aiosqlite connection in WAL mode
(the default, DATABASE_PATH), or with a postgresql:// DATABASE_URL an asyncpg connection behind the same
interface (storage/sql.py) and the migrations of storage/migrations_postgresql.

On SQLite, one process per database: deliveries are claimed in the process's memory, so a second process
on the same file would send digests twice. The holder keeps an OS lock on `<database>.lock` (released by the
kernel when it dies, even by `kill -9`) and writes who it is into that file.
"""

from __future__ import annotations

import asyncio
import errno
import fcntl
import logging
import os
import re
import socket
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import aiosqlite

from storage import locks
from storage.sql import Dialect, PgConnection

log = logging.getLogger(__name__)

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


MIGRATION_PACKAGES = {"sqlite": "storage.migrations", "postgresql": "storage.migrations_postgresql"}


def migrations(dialect: Dialect = "sqlite") -> list[tuple[int, str, str]]:
    """(version, name, sql) of every migration shipped for the dialect, in order (both share the numbers)."""
    found = []
    for entry in resources.files(MIGRATION_PACKAGES[dialect]).iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two migrations share a version: {versions}")
    return found


# The first line of a SQLite migration that rebuilds a table other tables refer to (see Database.migrate).
FOREIGN_KEYS_OFF = "-- sqlite: foreign keys off"


class DatabaseUnavailable(Exception):
    """The database cannot be opened for writing; the message is one line saying why."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class DatabaseInUse(DatabaseUnavailable):
    """Another process holds the database; `holder` is what that process wrote into the lock file."""

    def __init__(self, path: Path, holder: str) -> None:
        super().__init__(path, f"in use by another process ({holder}); one process per database")
        self.holder = holder


_OS_REASONS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "it is a directory",
    errno.EFBIG: "file too large",
}


def _os_reason(exc: OSError, what: str) -> str:
    reason = _OS_REASONS.get(exc.errno or 0) or exc.strerror or str(exc)
    return f"{reason} ({what})"


def lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


class ProcessLock:
    """An exclusive `flock` on a file beside the database, naming its holder (pid, host, start time)."""

    def __init__(self, database: Path) -> None:
        self.database = database
        self.path = lock_path(database)
        self._fd: int | None = None

    def acquire(self) -> None:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise DatabaseUnavailable(self.database, _os_reason(exc, f"creating {self.path}")) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                holder = os.read(fd, 1024).decode("utf-8", "replace").strip()
            except OSError:
                holder = ""
            os.close(fd)
            holder = holder or "it has not said who it is yet"
            raise DatabaseInUse(self.database, holder) from None
        except OSError as exc:
            os.close(fd)
            raise DatabaseUnavailable(self.database, _os_reason(exc, f"locking {self.path}")) from None
        started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        holder = f"pid {os.getpid()} on host {socket.gethostname()}, started {started}"
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, holder.encode() + b"\n", 0)
        except OSError as exc:
            os.close(fd)
            raise DatabaseUnavailable(self.database, _os_reason(exc, f"writing {self.path}")) from None
        self._fd = fd

    def release(self) -> None:
        """The file stays (unlinking it would let two processes lock two different files of one name)."""
        if self._fd is not None:
            with suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)
            self._fd = None


# SQLite's primary result codes that say the file or the disk is at fault, not our SQL: these stop start-up
# in one line; any other error (a bug in a migration) keeps its traceback.
_STORAGE_FAULTS = frozenset(
    {
        sqlite3.SQLITE_PERM,
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_CORRUPT,
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_NOTADB,
    }
)


def _is_storage_fault(exc: BaseException) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(exc, sqlite3.Error) and code is not None and code & 0xFF in _STORAGE_FAULTS


def _sqlite_reason(exc: sqlite3.Error) -> str:
    message = str(exc)
    known = {
        "attempt to write a readonly database": "the file is read-only",
        "unable to open database file": "the file cannot be opened or created",
        "database or disk is full": "the disk is full",
        "disk I/O error": "a disk I/O error (is the disk full?)",
        "file is not a database": "the file is not an SQLite database",
    }
    for needle, reason in known.items():
        if needle in message:
            return reason if message == needle else f"{reason} ({message})"
    return message


def redacted(url: str) -> str:
    """A database URL fit for a log line or an error: the password replaced."""
    return re.sub(r"^([a-z]+://[^:/@]*):[^@/]*@", r"\1:***@", url)


class Database:
    """The connection and its lifecycle; repositories receive it, handlers never see it.

    `Database(path)` is SQLite; `Database(path, url="postgresql://…")` is PostgreSQL (the path unused)."""

    def __init__(self, path: Path, url: str | None = None) -> None:
        self.path = path
        self.url = url if url and not url.startswith("sqlite:") else None
        self.dialect: Dialect = "postgresql" if self.url else "sqlite"
        self._conn: aiosqlite.Connection | PgConnection | None = None
        self._write_lock = asyncio.Lock()
        self._process_lock: ProcessLock | None = None

    @property
    def conn(self) -> aiosqlite.Connection:
        """The shared connection: aiosqlite's, or on PostgreSQL a PgConnection answering the same calls."""
        if self._conn is None:
            raise RuntimeError("database is not open")
        return self._conn  # type: ignore[return-value]

    async def open(self) -> None:
        """Lock, connect, migrate and prove a write can be committed; on any failure nothing stays open
        (a live SQLite thread would keep the process from exiting) and DatabaseUnavailable says why."""
        if self.url is not None:
            await self._open_postgresql(self.url)
            return
        if self.path == Path(":memory:"):
            await self._connect()
            return
        try:
            if self.path.is_dir():
                raise DatabaseUnavailable(self.path, "it is a directory, not a file")
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise DatabaseUnavailable(self.path, f"{self.path.parent} is a file, not a folder") from None
        except OSError as exc:
            raise DatabaseUnavailable(self.path, _os_reason(exc, f"creating {self.path.parent}")) from None
        self._process_lock = ProcessLock(self.path)
        self._process_lock.acquire()
        try:
            await self._connect()
            await self._prove_writable()
        except BaseException as exc:
            await self._abandon()
            if isinstance(exc, sqlite3.Error) and _is_storage_fault(exc):
                raise DatabaseUnavailable(self.path, _sqlite_reason(exc)) from None
            if isinstance(exc, OSError):
                raise DatabaseUnavailable(self.path, _os_reason(exc, "opening")) from None
            raise

    async def _open_postgresql(self, url: str) -> None:
        """Connect and migrate; no process lock (several instances may share one PostgreSQL)."""
        import asyncpg

        try:
            self._conn = await PgConnection.connect(url)
            await self.migrate()
            await self._conn.load_catalog()
        except BaseException as exc:
            await self._abandon()
            unreachable = (
                OSError,
                asyncpg.PostgresConnectionError,
                asyncpg.InvalidAuthorizationSpecificationError,
                asyncpg.InvalidCatalogNameError,
                asyncpg.InsufficientPrivilegeError,
            )
            if isinstance(exc, unreachable):
                raise DatabaseUnavailable(redacted(url), str(exc) or type(exc).__name__) from None
            raise

    async def _migrate_postgresql(self, conn: PgConnection) -> None:
        """Each migration newer than schema_migrations' newest in its own transaction, under an advisory
        lock so that two instances starting together do not both apply it."""
        raw = conn.raw
        await raw.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        await raw.execute("SELECT pg_advisory_lock($1)", locks.MIGRATIONS)
        try:
            current = await raw.fetchval("SELECT coalesce(max(version), 0) FROM schema_migrations")
            for version, name, sql in migrations("postgresql"):
                if version <= current:
                    continue
                log.info("applying migration %s", name)
                async with raw.transaction():
                    await raw.execute(sql)
                    await raw.execute(
                        "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", version, name
                    )
        finally:
            await raw.execute("SELECT pg_advisory_unlock($1)", locks.MIGRATIONS)

    async def _connect(self) -> None:
        self._conn = await aiosqlite.connect(self.path)
        self._conn.row_factory = aiosqlite.Row
        await self._conn.execute("PRAGMA journal_mode=WAL")
        await self._conn.execute("PRAGMA foreign_keys=ON")
        await self._conn.execute("PRAGMA synchronous=NORMAL")
        await self._conn.execute("PRAGMA busy_timeout=5000")
        await self.migrate()

    async def _prove_writable(self) -> None:
        """SQLite opens a read-only file read-only without a word, and a migrated database needs no write
        at start-up: commit one real write now rather than fail on the first article."""
        async with self.conn.execute("PRAGMA user_version") as cursor:
            (version,) = await cursor.fetchone()
        await self.conn.execute("BEGIN IMMEDIATE")
        await self.conn.execute(f"PRAGMA user_version={int(version)}")
        await self.conn.commit()

    async def _abandon(self) -> None:
        if self._conn is not None:
            with suppress(Exception):  # aiosqlite stops its thread even when closing fails
                await self._conn.close()
            self._conn = None
        if self._process_lock is not None:
            self._process_lock.release()
            self._process_lock = None

    async def migrate(self) -> None:
        """Apply every migration newer than the file's user_version, each in its own transaction."""
        if isinstance(self._conn, PgConnection):
            await self._migrate_postgresql(self._conn)
            return
        async with self.conn.execute("PRAGMA user_version") as cursor:
            (current,) = await cursor.fetchone()
        for version, name, sql in migrations():
            if version <= current:
                continue
            log.info("applying migration %s", name)
            # A migration that rebuilds a table others refer to (SQLite cannot drop a constraint) runs
            # with foreign keys off, as SQLite's documented procedure asks: dropping the old table must
            # not cascade into its children. Every reference is checked before the commit.
            rebuild = sql.lstrip().startswith(FOREIGN_KEYS_OFF)
            if rebuild:
                await self.conn.execute("PRAGMA foreign_keys=OFF")
            try:
                if not rebuild:
                    await self.conn.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version={version};\nCOMMIT;")
                    continue
                await self.conn.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version={version};")
                async with self.conn.execute("PRAGMA foreign_key_check") as cursor:
                    broken = await cursor.fetchall()
                if broken:
                    await self.conn.rollback()
                    raise RuntimeError(
                        f"migration {name} would break references: {[tuple(r) for r in broken[:3]]}"
                    )
                await self.conn.commit()
            finally:
                if rebuild:
                    await self.conn.execute("PRAGMA foreign_keys=ON")

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One writer at a time on the shared connection: another coroutine's commit can never land in
        the middle of this transaction. Commits on success, rolls back on any error."""
        async with self._write_lock:
            if isinstance(self._conn, PgConnection):
                await self._conn.begin()  # reads before the first write see the transaction's snapshot too
            try:
                yield self.conn
            except BaseException:
                await self.conn.rollback()
                raise
            await self.conn.commit()

    async def close(self) -> None:
        if isinstance(self._conn, PgConnection):
            conn, self._conn = self._conn, None
            await conn.close()
            return
        try:
            if self._conn is not None:
                try:
                    await self._conn.execute("PRAGMA optimize")
                except sqlite3.Error as exc:  # a full disk must not keep the SQLite thread (and us) alive
                    log.warning("PRAGMA optimize at close failed: %s", exc)
                await self._conn.close()
                self._conn = None
        finally:
            if self._process_lock is not None:
                self._process_lock.release()
                self._process_lock = None
