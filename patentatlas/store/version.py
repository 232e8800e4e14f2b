"""The store's data version: a number that moves on after every committed change, whoever made it.

The web server keeps computed pages while the data stays the same (:mod:`patentatlas.web.page_cache`);
a page kept after a write would be a wrong page. So the version is not bumped by hand in each
write function (one forgotten call would be a stale page): the server's connection is wrapped,
and every statement that changes data — an import's batches, a payment, a custody change, a
placement, the directory, the daily job, a settings row — moves the version on once it is
committed: at once in autocommit, at ``COMMIT`` inside a transaction (never before: a reader
that saw the new number with the old data would keep the old data under the new number). DuckDB
itself classifies each statement (its parser, remembered per SQL text).

>>> version = DataVersion()
>>> conn = versioned(duckdb.connect(), version)
>>> _ = conn.execute("CREATE TABLE t (a INT)"); version.value
1
>>> _ = conn.execute("SELECT * FROM t").fetchall(); version.value
1
>>> _ = conn.execute("BEGIN"); _ = conn.execute("INSERT INTO t VALUES (1)"); version.value
1
>>> _ = conn.execute("COMMIT"); version.value
2

Writes through DuckDB's relation API (``rel.insert_into``, ``rel.create``, an appender) are not
seen; the package uses SQL for every write.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, cast

import duckdb

READS = frozenset({"SELECT", "EXPLAIN", "SET", "VARIABLE_SET", "PREPARE", "EXECUTE", "RELATION"})
_parser = duckdb.connect(":memory:")  # parses only: never holds data
_parser_lock = threading.Lock()


class DataVersion:
    """A counter moved on by every committed change to the store (thread-safe; starts at 0)."""

    def __init__(self) -> None:
        self._value = 0
        self._lock = threading.Lock()

    @property
    def value(self) -> int:
        return self._value

    def bump(self) -> None:
        with self._lock:
            self._value += 1


@lru_cache(maxsize=8192)
def statement_kinds(sql: str) -> tuple[str, ...]:
    """What each statement of ``sql`` does: ``read``, ``write``, ``begin``, ``commit`` or ``rollback``.

    >>> statement_kinds("SELECT 1; UPDATE t SET a = 1")
    ('read', 'write')
    >>> statement_kinds("WITH a AS (SELECT 1) INSERT INTO t SELECT * FROM a")
    ('write',)
    """
    try:
        with _parser_lock:
            statements = _parser.extract_statements(sql)
    except duckdb.Error:
        return ("write",)  # the store will refuse it too; counted as a change, which costs only a recompute
    return tuple(_kind(s.type.name, s.query) for s in statements)


def _kind(statement_type: str, query: str) -> str:
    if statement_type == "TRANSACTION":
        word = query.strip().split(None, 1)[0].rstrip(";").upper() if query.strip() else ""
        return {"BEGIN": "begin", "START": "begin", "COMMIT": "commit", "END": "commit"}.get(word, "rollback")
    return "read" if statement_type in READS else "write"


class VersionedConnection:
    """A DuckDB connection (or cursor) that moves ``version`` on after each committed change;
    everything else is the connection's own. Cursors it makes are wrapped the same way."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, version: DataVersion) -> None:
        self._conn = conn
        self._version = version
        self._in_transaction = False
        self._changed = False  # a write inside the open transaction, not yet committed
        self._held = False  # inside :func:`changes_held`: committed changes counted once, at its end
        self._held_changes = False

    @property
    def data_version(self) -> DataVersion:
        return self._version

    def cursor(self) -> duckdb.DuckDBPyConnection:
        return versioned(self._conn.cursor(), self._version)

    def execute(self, query: Any, *args: Any, **kwargs: Any) -> duckdb.DuckDBPyConnection:
        self._run(query, self._conn.execute, query, *args, **kwargs)
        return cast(duckdb.DuckDBPyConnection, self)

    def executemany(self, query: Any, *args: Any, **kwargs: Any) -> duckdb.DuckDBPyConnection:
        self._run(query, self._conn.executemany, query, *args, **kwargs)
        return cast(duckdb.DuckDBPyConnection, self)

    def sql(self, query: Any, *args: Any, **kwargs: Any) -> Any:
        return self._run(query, self._conn.sql, query, *args, **kwargs)

    query = sql

    def begin(self) -> duckdb.DuckDBPyConnection:
        self._conn.begin()
        self._after(("begin",))
        return cast(duckdb.DuckDBPyConnection, self)

    def commit(self) -> duckdb.DuckDBPyConnection:
        try:
            self._conn.commit()
        finally:
            self._after(("commit",))
        return cast(duckdb.DuckDBPyConnection, self)

    def rollback(self) -> duckdb.DuckDBPyConnection:
        self._conn.rollback()
        self._after(("rollback",))
        return cast(duckdb.DuckDBPyConnection, self)

    def append(self, *args: Any, **kwargs: Any) -> duckdb.DuckDBPyConnection:
        try:
            self._conn.append(*args, **kwargs)
        finally:
            self._after(("write",))
        return cast(duckdb.DuckDBPyConnection, self)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    def __enter__(self) -> duckdb.DuckDBPyConnection:
        return cast(duckdb.DuckDBPyConnection, self)

    def __exit__(self, *exc: object) -> None:
        self._conn.close()

    def _run(self, query: Any, method: Any, *args: Any, **kwargs: Any) -> Any:
        kinds = statement_kinds(query) if isinstance(query, str) else ("write",)
        if kinds == ("read",):
            return method(*args, **kwargs)  # the common case: nothing to count
        try:
            result = method(*args, **kwargs)
        except BaseException:
            # a failed statement changed nothing, or its transaction is now aborted: one bump too
            # many costs a recompute, a missed one a stale page
            self._after(tuple("commit" if k in ("write", "commit") else k for k in kinds))
            raise
        self._after(kinds)
        return result

    def _after(self, kinds: tuple[str, ...]) -> None:
        for kind in kinds:
            if kind == "begin":
                self._in_transaction, self._changed = True, False
            elif kind == "write":
                if self._in_transaction:
                    self._changed = True
                else:
                    self._committed()
            elif kind == "commit":
                if self._changed or not self._in_transaction:
                    self._committed()
                self._in_transaction = self._changed = False
            elif kind == "rollback":
                self._in_transaction = self._changed = False

    def _committed(self) -> None:
        if self._held:
            self._held_changes = True
        else:
            self._version.bump()

    def hold(self) -> None:
        self._held, self._held_changes = True, False

    def release(self) -> None:
        self._held = False
        if self._held_changes:
            self._version.bump()
        self._held_changes = False


def versioned(conn: duckdb.DuckDBPyConnection, version: DataVersion) -> duckdb.DuckDBPyConnection:
    """``conn`` counting its committed changes in ``version`` (typed as the connection it wraps)."""
    return cast(duckdb.DuckDBPyConnection, VersionedConnection(conn, version))


@contextmanager
def changes_held(conn: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """One change for everything ``conn`` commits inside: the version moves on once, at the end
    (whether it ends well or not) — for a job of many commits, such as an import, whose pages
    would otherwise be computed again after each of its steps. Other connections' changes still
    count at once. A plain connection: nothing to do.

    >>> version = DataVersion(); conn = versioned(duckdb.connect(), version)
    >>> with changes_held(conn):
    ...     _ = conn.execute("CREATE TABLE t (a INT)"); _ = conn.execute("INSERT INTO t VALUES (1)")
    ...     version.value
    0
    >>> version.value
    1
    """
    if not isinstance(conn, VersionedConnection):
        yield
        return
    conn.hold()
    try:
        yield
    finally:
        conn.release()


def data_version_of(conn: duckdb.DuckDBPyConnection) -> DataVersion | None:
    """The version a wrapped connection counts in; None for a plain connection."""
    return conn.data_version if isinstance(conn, VersionedConnection) else None
