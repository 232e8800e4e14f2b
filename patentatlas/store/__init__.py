"""The DuckDB store: opening it, its schema and the queries everyone shares."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from patentatlas.config import setting
from patentatlas.errors import StoreError, StoreLockedError
from patentatlas.store.schema import migrate


def open_store(path: str | Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (creating and migrating if needed) the store at ``path``.

    >>> conn = open_store(":memory:")
    """
    target = str(path)
    try:
        conn = duckdb.connect(target, read_only=read_only)
    except duckdb.IOException as exc:
        if re.search(r"lock|Conflicting", str(exc)):
            raise StoreLockedError(
                f"{target} is in use by another process (is the web server running?). "
                "Stop it, or do this through the web server."
            ) from None
        raise StoreError(f"cannot open {target}: {exc}") from None
    limit = setting("memory_limit")
    if not re.fullmatch(r"\d+(?:\.\d+)?\s*[KMGT]i?B", limit, re.IGNORECASE):
        raise StoreError(f"PATENTATLAS_MEMORY_LIMIT must be a size like 512MB or 2GB, got {limit!r}")
    conn.execute(f"SET memory_limit = '{limit}'")  # big imports spill to disk, not to RAM
    conn.execute("SET checkpoint_threshold = '1GB'")
    conn.execute("SET TimeZone = 'UTC'")  # now() in the store is UTC, as every timestamp we write
    if not read_only:
        migrate(conn)
    return conn


def scalar(conn: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> Any:
    """The single value a query returns (the result is read to its end, as DuckDB requires)."""
    rows = conn.execute(sql, params or []).fetchall()
    return rows[0][0] if rows else None


def in_batches(column: str, batch_ids: list[int]) -> str:
    """SQL: ``column`` is one of these batches, the ids written out: the store reads a condition of
    constants against each row group's bounds and skips the groups of other batches (a batch's rows
    lie together), which it does not for a list bound as a parameter."""
    return f"{column} IN ({', '.join(str(int(b)) for b in batch_ids) or 'NULL'})"


def utc_now() -> dt.datetime:
    """The current UTC time, naive: the store keeps UTC timestamps (and its clock is set to UTC)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@contextmanager
def transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All of it or none of it: a change that fails half-way leaves nothing behind."""
    conn.execute("BEGIN TRANSACTION")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


@contextmanager
def settings(conn: duckdb.DuckDBPyConnection, **values: int | bool) -> Iterator[None]:
    """DuckDB settings for a block of work, then back to what they were (they are the database's,
    not the connection's: keep the block short).

    >>> conn = duckdb.connect()
    >>> with settings(conn, preserve_insertion_order=False):
    ...     scalar(conn, "SELECT current_setting('preserve_insertion_order')")
    False
    >>> scalar(conn, "SELECT current_setting('preserve_insertion_order')")
    True
    """
    before = {name: scalar(conn, f"SELECT current_setting('{name}')") for name in values}
    for name, value in values.items():
        conn.execute(f"SET {name} = {str(value).lower() if isinstance(value, bool) else int(value)}")
    try:
        yield
    finally:
        for name, value in before.items():
            conn.execute(f"SET {name} = {str(value).lower() if isinstance(value, bool) else value}")
