"""The connection the repositories use, on SQLite (aiosqlite) or PostgreSQL (asyncpg).

On SQLite the repositories get the aiosqlite connection itself. On PostgreSQL they get a `PgConnection`, which
answers the same calls the code makes of aiosqlite (`await conn.execute(sql, params)` or `async with
conn.execute(...) as cursor`, `fetchone/fetchall`, `lastrowid`, `rowcount`, `executemany`, `commit`,
`rollback`, rows indexable by position and by column name) and translates SQLite's SQL as it goes:

- `?` and `?N` placeholders become `$N`;
- `INSERT OR IGNORE` becomes `INSERT … ON CONFLICT DO NOTHING`, `INSERT OR REPLACE` an upsert on the table's
  primary key;
- scalar `min(a, b)` / `max(a, b)` become `LEAST` / `GREATEST`, `group_concat` `string_agg`, `char` `chr`;
- an INSERT into a table with an identity `id` returns it, as `lastrowid`;
- `PRAGMA user_version` reads the newest applied migration.

What differs beyond that (full-text search, JSON) is a dialect hook in the repository (`Database.dialect`).
Statements are serialised on one connection, as aiosqlite serialises them on its thread, and a write opens a
transaction that lasts until `commit()` or `rollback()`, as Python's sqlite3 does.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Generator, Iterable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, TypeVar

if TYPE_CHECKING:
    import asyncpg

Dialect = Literal["sqlite", "postgresql"]
T = TypeVar("T")

_WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)
_RETURNS_ROWS = re.compile(r"^\s*(SELECT|WITH|VALUES|SHOW|EXPLAIN)\b|\bRETURNING\b", re.IGNORECASE)
_INSERT_OR = re.compile(r"^\s*INSERT\s+OR\s+(IGNORE|REPLACE)\s+INTO\s+", re.IGNORECASE)
_INSERT_INTO = re.compile(r"^\s*INSERT\s+INTO\s+([A-Za-z_][A-Za-z0-9_]*)\s*(\(([^)]*)\))?", re.IGNORECASE)
_RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)
_MIN_MAX = re.compile(r"\b(min|max)\s*\(", re.IGNORECASE)
_GROUP_CONCAT = re.compile(r"\bgroup_concat\s*\(", re.IGNORECASE)
_CHAR = re.compile(r"(?<![\w.])char\s*\(", re.IGNORECASE)
_PRAGMA_USER_VERSION = re.compile(r"^\s*PRAGMA\s+user_version\s*;?\s*$", re.IGNORECASE)
USER_VERSION_SQL = "SELECT coalesce(max(version), 0) AS user_version FROM schema_migrations"


def placeholders(sql: str) -> tuple[str, int]:
    """`?` → `$1, $2, …` and `?N` → `$N` outside string literals and quoted names; also the count."""
    out: list[str] = []
    count = 0
    highest = 0
    quote: str | None = None
    i = 0
    while i < len(sql):
        ch = sql[i]
        if quote:
            out.append(ch)
            if ch == quote:
                quote = None
        elif ch in ("'", '"'):
            quote = ch
            out.append(ch)
        elif ch == "?":
            j = i + 1
            while j < len(sql) and sql[j].isdigit():
                j += 1
            if j > i + 1:
                number = int(sql[i + 1 : j])
                highest = max(highest, number)
                out.append(f"${number}")
                i = j
                continue
            count += 1
            out.append(f"${count}")
        else:
            out.append(ch)
        i += 1
    return "".join(out), max(count, highest)


def _closing(sql: str, start: int) -> tuple[int, bool]:
    """Where the parenthesis opened before `start` closes, and whether a comma is at its top level."""
    depth, comma, quote = 1, False, None
    for i in range(start, len(sql)):
        ch = sql[i]
        if quote:
            if ch == quote:
                quote = None
        elif ch in ("'", '"'):
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i, comma
        elif ch == "," and depth == 1:
            comma = True
    return len(sql), comma


def scalar_min_max(sql: str) -> str:
    """SQLite's two-argument min/max are PostgreSQL's LEAST/GREATEST (the one-argument forms aggregate)."""
    pieces: list[str] = []
    last = 0
    for match in _MIN_MAX.finditer(sql):
        _, comma = _closing(sql, match.end())
        if comma:
            pieces.append(sql[last : match.start()])
            pieces.append("LEAST(" if match.group(1).lower() == "min" else "GREATEST(")
            last = match.end()
    pieces.append(sql[last:])
    return "".join(pieces)


def functions(sql: str) -> str:
    """SQLite's group_concat(x[, separator]) is string_agg(x, separator) (',' by default), char(n) chr(n)."""
    pieces: list[str] = []
    last = 0
    for match in _GROUP_CONCAT.finditer(sql):
        end, comma = _closing(sql, match.end())
        pieces += [sql[last : match.start()], "string_agg(", sql[match.end() : end]]
        pieces.append(")" if comma else ", ',')")
        last = end + 1
    pieces.append(sql[last:])
    return _CHAR.sub("chr(", "".join(pieces))


class Catalog:
    """What translation needs to know of the schema: primary keys, and tables whose `id` is an identity."""

    def __init__(self, keys: dict[str, list[str]], identity: set[str]) -> None:
        self.keys = keys
        self.identity = identity


def translate(sql: str, catalog: Catalog) -> str:
    """SQLite's SQL as PostgreSQL takes it (see the module's docstring for what is translated)."""
    if _PRAGMA_USER_VERSION.match(sql):
        return USER_VERSION_SQL
    sql, _ = placeholders(sql)
    sql = functions(scalar_min_max(sql))
    conflict = ""
    verb = _INSERT_OR.match(sql)
    if verb:
        sql = "INSERT INTO " + sql[verb.end() :]
        if verb.group(1).upper() == "IGNORE":
            conflict = " ON CONFLICT DO NOTHING"
        else:
            insert = _INSERT_INTO.match(sql)
            table = insert.group(1).lower() if insert else ""
            key = catalog.keys.get(table, [])
            columns = [c.strip() for c in (insert.group(3) or "").split(",")] if insert else []
            rest = [c for c in columns if c and c not in key]
            if not key:
                raise ValueError(f"INSERT OR REPLACE into {table or sql!r}: no primary key known")
            update = ", ".join(f"{c} = EXCLUDED.{c}" for c in rest)
            action = f"DO UPDATE SET {update}" if rest else "DO NOTHING"
            conflict = f" ON CONFLICT ({', '.join(key)}) {action}"
    insert = _INSERT_INTO.match(sql)
    returning = ""
    if insert and not _RETURNING.search(sql) and insert.group(1).lower() in catalog.identity:
        returning = " RETURNING id"
    if conflict or returning:
        sql = sql.rstrip().rstrip(";")
        at = _RETURNING.search(sql)
        if at:
            sql = sql[: at.start()] + conflict.strip() + " " + sql[at.start() :]
        else:
            sql = sql + conflict + returning
    return sql


def _numeric(text: str) -> int | float | Decimal:
    """sum() of integers is numeric in PostgreSQL, an integer in SQLite: read it back as SQLite gives it."""
    value = Decimal(text)
    return int(value) if value == value.to_integral_value() else float(value)


def coerce(value: Any, kind: str) -> Any:
    """SQLite takes any value in any column; asyncpg wants the parameter's own type."""
    if value is None:
        return None
    if kind in ("text", "varchar", "bpchar", "name"):
        return value if isinstance(value, str) else str(value)
    if kind in ("int2", "int4", "int8"):
        return int(value) if isinstance(value, bool | str | float) else value
    if kind in ("float4", "float8"):
        return float(value) if isinstance(value, int | str) else value
    if kind == "bool":
        return bool(value)
    return value


class PgCursor:
    """What `execute` returns: rows, `lastrowid` (an INSERT's identity), `rowcount`."""

    def __init__(self, rows: list[Any], rowcount: int, lastrowid: int | None) -> None:
        self._rows = rows
        self._at = 0
        self.rowcount = rowcount
        self.lastrowid = lastrowid

    async def fetchone(self) -> Any:
        if self._at >= len(self._rows):
            return None
        self._at += 1
        return self._rows[self._at - 1]

    async def fetchall(self) -> list[Any]:
        rows, self._at = self._rows[self._at :], len(self._rows)
        return rows

    async def fetchmany(self, size: int = 1) -> list[Any]:
        rows = self._rows[self._at : self._at + size]
        self._at += len(rows)
        return rows

    def __aiter__(self) -> PgCursor:
        return self

    async def __anext__(self) -> Any:
        row = await self.fetchone()
        if row is None:
            raise StopAsyncIteration
        return row

    async def close(self) -> None:
        return None


class _Pending:
    """Awaitable and an async context manager, like aiosqlite's `conn.execute(...)`."""

    def __init__(self, coro: Any) -> None:
        self._coro = coro
        self._cursor: PgCursor | None = None

    def __await__(self) -> Generator[Any, None, PgCursor]:
        return self._coro.__await__()

    async def __aenter__(self) -> PgCursor:
        self._cursor = await self._coro
        return self._cursor

    async def __aexit__(self, *exc: object) -> None:
        return None


class PgConnection:
    """One asyncpg connection behind aiosqlite's interface (see the module's docstring)."""

    dialect: Dialect = "postgresql"

    def __init__(self, conn: asyncpg.Connection, url: str, catalog: Catalog | None = None) -> None:
        self.raw = conn
        self.url = url
        self.catalog = catalog or Catalog({}, set())
        self._lock = asyncio.Lock()
        self._statements: dict[str, Any] = {}
        self.in_transaction = False
        self._closing = False

    @staticmethod
    async def _connect(url: str) -> asyncpg.Connection:
        import asyncpg

        conn = await asyncpg.connect(url)
        await conn.set_type_codec(
            "numeric", encoder=str, decoder=_numeric, schema="pg_catalog", format="text"
        )
        return conn

    @classmethod
    async def connect(cls, url: str) -> PgConnection:
        return cls(await cls._connect(url), url)

    async def _alive(self) -> None:
        """A connection the server dropped (a restart, a failover) is opened again before the next
        statement; the transaction it was in went with it (its statement failed, the caller rolled back)."""
        if self.raw.is_closed() and not self._closing:
            self._statements.clear()
            if self.in_transaction:  # its earlier writes are gone: say so rather than go on without them
                self.in_transaction = False
                raise ConnectionError("the PostgreSQL connection was lost in the middle of a transaction")
            self.raw = await self._connect(self.url)

    async def load_catalog(self) -> None:
        """Primary keys and identity columns of the public tables (after migrations)."""
        keys: dict[str, list[str]] = {}
        rows = await self.raw.fetch(
            "SELECT c.relname AS t, a.attname AS col, array_position(i.indkey::int2[], a.attnum) AS n"
            " FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid"
            " JOIN pg_namespace s ON s.oid = c.relnamespace AND s.nspname = current_schema()"
            " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey)"
            " WHERE i.indisprimary ORDER BY t, n"
        )
        for row in rows:
            keys.setdefault(row["t"], []).append(row["col"])
        identity = {
            row["table_name"]
            for row in await self.raw.fetch(
                "SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema()"
                " AND column_name = 'id' AND (is_identity = 'YES' OR column_default LIKE 'nextval(%')"
            )
        }
        self.catalog = Catalog(keys, identity)
        self._statements.clear()

    async def _prepare(self, sql: str) -> Any:
        stmt = self._statements.get(sql)
        if stmt is None:
            if len(self._statements) > 512:
                self._statements.clear()
            stmt = await self.raw.prepare(translate(sql, self.catalog))
            self._statements[sql] = stmt
        return stmt

    @staticmethod
    def _args(stmt: Any, params: Sequence[Any] | dict[str, Any] | None) -> list[Any]:
        values = list(params or ())
        kinds = [p.name for p in stmt.get_parameters()]
        return [coerce(v, k) for v, k in zip(values, kinds, strict=False)]

    async def _outside_transaction(self, run: Callable[[], Awaitable[T]]) -> T:
        """Run what does not belong to a transaction (a BEGIN, a read); when the server had dropped the
        connection, which the client learns only then, once more on a new one."""
        import asyncpg

        lost = (
            asyncpg.InterfaceError,
            asyncpg.InternalClientError,
            asyncpg.PostgresConnectionError,
            asyncpg.OperatorInterventionError,  # the server shut the session down
            OSError,
        )
        await self._alive()
        try:
            return await run()
        except lost:
            if self.in_transaction:
                raise
            self.raw.terminate()  # whatever state it was left in, a new connection
            await self._alive()
            return await run()

    async def _begin(self) -> None:
        await self._outside_transaction(lambda: self.raw.execute("BEGIN"))
        self.in_transaction = True

    async def _begin_if_writing(self, sql: str) -> None:
        await self._alive()
        if not self.in_transaction and _WRITE.match(sql):
            await self._begin()

    async def _execute(self, sql: str, params: Sequence[Any] | None) -> PgCursor:
        async with self._lock:
            await self._begin_if_writing(sql)
            if self.in_transaction:
                return await self._run(sql, params)
            return await self._outside_transaction(lambda: self._run(sql, params))

    async def _run(self, sql: str, params: Sequence[Any] | None) -> PgCursor:
        stmt = await self._prepare(sql)
        rows = await stmt.fetch(*self._args(stmt, params))
        status = stmt.get_statusmsg() or ""
        count = int(status.rsplit(" ", 1)[-1]) if status[-1:].isdigit() else len(rows)
        lastrowid = None
        if _INSERT_INTO.match(stmt.get_query()) and rows and "id" in list(rows[0].keys()):
            lastrowid = rows[-1]["id"]
            if not _RETURNING.search(sql):
                rows = []  # the RETURNING id was ours, not the caller's
        return PgCursor(rows, count, lastrowid)

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> _Pending:
        return _Pending(self._execute(sql, params))

    async def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> PgCursor:
        rows = list(seq)
        async with self._lock:
            if not rows:
                return PgCursor([], 0, None)
            await self._begin_if_writing(sql)
            stmt = await self._prepare(sql)
            await stmt.executemany([self._args(stmt, r) for r in rows])
            return PgCursor([], len(rows), None)

    async def execute_fetchall(self, sql: str, params: Sequence[Any] | None = None) -> list[Any]:
        return await (await self._execute(sql, params)).fetchall()

    async def executescript(self, sql: str) -> None:
        """PostgreSQL's own SQL, several statements, no parameters (migrations)."""
        async with self._lock:
            await self._alive()
            await self.raw.execute(sql)

    async def begin(self) -> None:
        async with self._lock:
            await self._alive()
            if not self.in_transaction:
                await self._begin()

    async def commit(self) -> None:
        async with self._lock:
            if self.in_transaction:
                self.in_transaction = False
                await self.raw.execute("COMMIT")

    async def rollback(self) -> None:
        async with self._lock:
            if self.in_transaction:
                self.in_transaction = False
                if not self.raw.is_closed():  # a lost connection has no transaction left to end
                    await self.raw.execute("ROLLBACK")

    async def close(self) -> None:
        self._closing = True
        await self.raw.close()
