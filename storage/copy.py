"""Copy an SQLite archive into an empty PostgreSQL database (`python -m bot copy-database --to …`).

Every table both schemas have is copied row by row in one PostgreSQL transaction (nothing stays of a copy
that fails half-way), parents before children, with COPY; the full-text index of articles is rebuilt from
the stems SQLite indexed (events need nothing: PostgreSQL indexes event_clusters itself). Identity sequences
continue after the largest id copied, and the row counts of both sides are compared at the end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from storage.database import Database
from storage.sql import PgConnection, coerce

BATCH = 5000


class CopyError(Exception):
    """The copy cannot start or did not verify; the message is one line."""


@dataclass(frozen=True)
class Copied:
    table: str
    rows: int


def _order(tables: set[str], parents: dict[str, set[str]]) -> list[str]:
    """Tables with every table they reference first (alphabetical among equals, for a stable log)."""
    ordered: list[str] = []
    done: set[str] = set()
    while len(done) < len(tables):
        ready = sorted(t for t in tables - done if parents.get(t, set()) & tables <= done | {t})
        if not ready:  # a cycle: take the rest as they come, PostgreSQL's constraints will say
            ready = sorted(tables - done)
        ordered += ready
        done |= set(ready)
    return ordered


async def _sqlite_tables(source: Database) -> tuple[dict[str, list[str]], dict[str, set[str]]]:
    conn = source.conn
    columns: dict[str, list[str]] = {}
    parents: dict[str, set[str]] = {}
    async with conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ) as cursor:
        names = [row[0] for row in await cursor.fetchall()]
    for name in names:
        async with conn.execute(f"PRAGMA table_info({name})") as cursor:
            columns[name] = [row["name"] for row in await cursor.fetchall()]
        async with conn.execute(f"PRAGMA foreign_key_list({name})") as cursor:
            parents[name] = {row["table"] for row in await cursor.fetchall()}
    return columns, parents


async def _postgresql_columns(target: PgConnection) -> dict[str, dict[str, str]]:
    """Each table's columns and their types, except generated ones."""
    found: dict[str, dict[str, str]] = {}
    for row in await target.raw.fetch(
        "SELECT table_name, column_name, udt_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND is_generated = 'NEVER' ORDER BY ordinal_position"
    ):
        found.setdefault(row["table_name"], {})[row["column_name"]] = row["udt_name"]
    found.pop("schema_migrations", None)
    return found


async def copy_database(
    source: Database, target: Database, progress: Callable[[str], None] = print
) -> list[Copied]:
    """Copy `source` (SQLite, open) into `target` (PostgreSQL, open and migrated, empty)."""
    if source.dialect != "sqlite" or target.dialect != "postgresql":
        raise CopyError("copy-database copies an SQLite database into a PostgreSQL one")
    pg = target.conn
    assert isinstance(pg, PgConnection)
    raw = pg.raw
    pg_tables = await _postgresql_columns(pg)
    for table in sorted(pg_tables):
        if await raw.fetchval(f"SELECT EXISTS (SELECT 1 FROM {table})"):
            raise CopyError(
                f"the target database is not empty (table {table} has rows); copy into an empty one"
            )
    sqlite_columns, parents = await _sqlite_tables(source)
    tables = _order(set(sqlite_columns) & set(pg_tables), parents)
    copied: list[Copied] = []
    async with raw.transaction():
        for table in tables:
            kinds = pg_tables[table]
            if table == "articles_fts":  # SQLite's is FTS5: its rowid, the article's language, the stems
                columns = ["rowid", "lang", "title", "body"]
                select = (
                    "SELECT f.rowid, a.lang, f.title, f.body FROM articles_fts f"
                    " JOIN articles a ON a.id = f.rowid"
                )
                total_sql = "SELECT count(*) FROM articles_fts"
            else:
                columns = [c for c in sqlite_columns[table] if c in kinds]
                select = f"SELECT {', '.join(columns)} FROM {table}"
                total_sql = f"SELECT count(*) FROM {table}"
            async with source.conn.execute(total_sql) as cursor:
                (total,) = await cursor.fetchone()
            done = 0
            async with source.conn.execute(select) as cursor:
                while rows := await cursor.fetchmany(BATCH):
                    records = [
                        tuple(coerce(v, kinds[c]) for v, c in zip(row, columns, strict=True)) for row in rows
                    ]
                    await raw.copy_records_to_table(table, records=records, columns=columns)
                    done += len(records)
                    if total > BATCH:
                        progress(f"{table}: {done:,}/{total:,}")
            progress(f"{table}: {done:,} rows")
            copied.append(Copied(table, done))
        for table in sorted(pg.catalog.identity & set(tables)):
            await raw.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 0) + 1, false)"
                f" FROM {table}"
            )
    await verify(source, target, copied)
    return copied


async def verify(source: Database, target: Database, copied: list[Copied]) -> None:
    """Both sides hold the same number of rows in every table copied."""
    for item in copied:
        async with source.conn.execute(f"SELECT count(*) FROM {item.table}") as cursor:
            (there,) = await cursor.fetchone()
        async with target.conn.execute(f"SELECT count(*) FROM {item.table}") as cursor:
            (here,) = await cursor.fetchone()
        if there != here:
            raise CopyError(f"{item.table}: {there} rows in SQLite but {here} in PostgreSQL")
