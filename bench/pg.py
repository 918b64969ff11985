"""PostgreSQL helpers the benchmarks share: a throwaway schema, and whether a URL names one."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from yarl import URL


def names_schema(url: str) -> bool:
    """Whether a database URL names its schema (``?search_path=…``): the benchmarks then keep it."""
    return "search_path" in URL(url).query


def schema_of(url: str) -> str:
    return URL(url).query["search_path"]


async def ensure_schema(url: str) -> str:
    """The schema a URL names, created when the server has none of that name (a first run that is to keep
    its archive there); the URL, unchanged."""
    import asyncpg

    schema = schema_of(url)
    admin = await asyncpg.connect(str(URL(url).without_query_params("search_path")))
    try:
        await admin.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema.replace(chr(34), chr(34) * 2)}"')
    finally:
        await admin.close()
    return url


@asynccontextmanager
async def fresh_schema(base: str, prefix: str = "bench") -> AsyncIterator[str]:
    """A database URL whose connections use a new, empty schema, dropped afterwards (the tests' too)."""
    import asyncpg

    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(base)
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
        yield str(URL(base).update_query(search_path=schema))
    finally:
        await admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await admin.close()
