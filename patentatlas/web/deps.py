"""Dependencies every router shares.

A route that changes the store is a plain ``def`` taking ``Fields`` (the form or JSON body, read
by this async dependency on the event loop): FastAPI then runs the route — its queries and
writes — in its threadpool, so one slow request never holds up the event loop and every other
request with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

import duckdb
from fastapi import Depends, Request

from patentatlas.web.forms import payload


def _cursor(request: Request) -> Iterator[duckdb.DuckDBPyConnection]:
    cursor = request.app.state.conn.cursor()  # a cursor per request: DuckDB's rule for threads
    try:
        yield cursor
    finally:
        cursor.close()


Cursor = Annotated[duckdb.DuckDBPyConnection, Depends(_cursor)]
MAX_PAGE = 10_000_000  # page and offset bounds: past them a query's offset would not fit 64 bits (a 400, not a 500)
MAX_OFFSET = 1_000_000_000
Fields = Annotated[dict[str, Any], Depends(payload)]
"""The request's fields (a JSON object or a form), read before the route runs."""
