"""Command groups beyond the core ones in :mod:`patentatlas.cli`, one module per domain, and what
every command shares: the one way to open the store (:func:`command_store`), the consoles, and the
two ways to print (:func:`print_json`, :func:`add_row`).

Each module defines ``register(main)`` adding its commands to the ``patentatlas`` group.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    import duckdb

COMMAND_MODULES = ("patentatlas.commands.industries", "patentatlas.commands.indicators", "patentatlas.commands.fees",
                   "patentatlas.commands.accounts", "patentatlas.commands.alerts",
                   "patentatlas.commands.directory", "patentatlas.commands.scores", "patentatlas.commands.search",
                   "patentatlas.commands.spark")



class TerminalConsole(Console):
    """Rich's console, laid out for the terminal's width when it prints (``COLUMNS`` or the terminal's
    size then), not for the width when this module was first imported: Rich keeps ``COLUMNS`` as a
    fixed width from construction, so in a long-lived process (the tests) every command printed at
    the width of whichever ran first."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._width = None  # Console.size then reads COLUMNS at each print


console = TerminalConsole()
err_console = TerminalConsole(stderr=True, soft_wrap=True)  # an error stays one line, whatever the width


def command_store(ctx: click.Context, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """The store named by ``--db``, closed when the command ends (also when run in process, as in the
    tests); a command that only reads refuses to create one (a mistyped --db is an error)."""
    from patentatlas.errors import UsageError
    from patentatlas.store import open_store

    db = ctx.find_root().obj["db"]
    if read_only and not Path(db).exists():
        raise UsageError(f"no store at {db}: import files first (patentatlas --db {db} import FILE...)")
    conn = open_store(db, read_only=read_only)
    ctx.call_on_close(conn.close)
    return conn


def print_json(data: Any) -> None:
    """One JSON document on stdout (Chinese as is; dates and other values as text)."""
    click.echo(json.dumps(data, ensure_ascii=False, default=str))


def add_row(table: Table, *values: Any) -> None:
    """A row of plain text: brackets in titles, reasons and file names are not Rich markup."""
    table.add_row(*(Text(str(v)) for v in values))
