"""Many rows inserted into SQLite by few statements, through the driver.

Python's sqlite3 lets go of the GIL for every statement it runs and must then win it back, which a
busy event-loop thread can make take up to the interpreter's switch interval (5 ms): a statement
per row (executemany) makes a write wait for that once per row, holding the store's single write
lock all along. One statement of many rows waits once. The values are passed as bound already, so
nothing is compiled or processed per row.
"""

from __future__ import annotations

import functools
import itertools
import sqlite3
from collections.abc import Sequence
from typing import Any


def statements(
    connection: sqlite3.Connection, insert: str, width: int, rows: Sequence[Sequence[Any]]
) -> list[tuple[str, list[Any]]]:
    """`rows` (each `width` values) as `insert` ("INSERT INTO t (a, b) VALUES ") statements with their
    values: as few as SQLite's limit on bound values allows (one, with a limit in the tens of thousands)."""
    per_statement = max(1, connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // width)
    return [
        (insert + _placeholders(width, len(chunk)), list(itertools.chain.from_iterable(chunk)))
        for chunk in (rows[start : start + per_statement] for start in range(0, len(rows), per_statement))
    ]


@functools.lru_cache(maxsize=256)
def _placeholders(width: int, count: int) -> str:
    row = "(" + ",".join(["?"] * width) + ")"
    return ",".join([row] * count)
