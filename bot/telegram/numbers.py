"""Numbers users send, in commands and in button data, checked before they reach SQLite.

sqlite3 raises OverflowError for an int outside SQLite's 64-bit INTEGER, and `int()` accepts digits
other than 0-9 ("٣") while `str.isdigit()` also passes some it refuses ("²"): a number is ASCII
digits, and one past the range names no row, so the answer is "no such thing" without a query.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field

SQLITE_MAX_INTEGER = 2**63 - 1
MAX_DIGITS = 40  # more is no number anyone means (and int() refuses over 4,300 digits)

_NUMBER = re.compile(rf"#?([0-9]{{1,{MAX_DIGITS}}})")

# Fields of callback data: a malformed or out-of-range value fails to unpack, so no handler matches.
RowId = Annotated[int, Field(ge=1, le=SQLITE_MAX_INTEGER)]
Position = Annotated[int, Field(ge=0, le=SQLITE_MAX_INTEGER)]


def parse_number(token: str) -> int | None:
    """ "3" or "#3" → 3; None for anything else (signs, other digits, words, over MAX_DIGITS)."""
    match = _NUMBER.fullmatch(token.strip())
    return int(match.group(1)) if match else None


def fits_sqlite(number: int) -> bool:
    """Whether a number can be a row id at all: a bigger one names no row (and would overflow)."""
    return 0 <= number <= SQLITE_MAX_INTEGER
