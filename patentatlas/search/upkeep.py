"""What an import does to search: the touched patents indexed again, saved searches run over them.

>>> after_import(conn, report.batch_ids)  # doctest: +SKIP
"""

from __future__ import annotations

import duckdb

from patentatlas.search.index import index_batches


def after_import(conn: duckdb.DuckDBPyConnection, batch_ids: list[int]) -> None:
    """Keep the index (where one was built) and the saved searches' matches current."""
    from patentatlas.search.saved import match_saved_searches

    indexed = index_batches(conn, batch_ids)
    match_saved_searches(conn, batch_ids, indexed=indexed > 0)
