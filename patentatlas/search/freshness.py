"""The index kept true to the store between imports: placements, value scores and industries
change without an import, and a patent's document holds its regions, value score and industries.

A writer that changes them calls :func:`mark_index_stale` inside its own transaction (a counter in
``search_state``, migration 14: the mark commits with the change, or not at all). The next search,
the end of an import, or the nightly job sees the counter ahead of the index's and indexes again
only the patents whose facts (``documents.FACTS_SQL``) differ from those the index recorded
when it wrote their documents; a patent no longer in the store loses its document.

>>> place_patents(conn, ["CN202010302257.8"])  # doctest: +SKIP
>>> search(conn, "", SearchOptions(region="330122"))["total"]  # found in its new county at once  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import duckdb
import pyarrow as pa

log = logging.getLogger(__name__)

BACKGROUND_FROM = 20_000  # changed patents: the web server syncs this many in a thread, answering meanwhile
REBUILD_FROM = 1_000  # changed patents: past this and half the index, the index is built anew
_SYNC_LOCK = threading.Lock()


def mark_index_stale(conn: duckdb.DuckDBPyConnection) -> None:
    """Say that what patents' documents hold may have changed (call it inside the writer's transaction)."""
    conn.execute("UPDATE search_state SET changes = changes + 1")


def store_changes(conn: duckdb.DuckDBPyConnection) -> int:
    """How many times writers have marked the index stale in this store."""
    cursor = conn.execute("SELECT * FROM search_state")  # a store before migration 14 (opened read-only): 0
    names = [d[0] for d in cursor.description or []]
    rows = cursor.fetchall()
    return int(rows[0][names.index("changes")] or 0) if rows and "changes" in names else 0


def sync_index(conn: duckdb.DuckDBPyConnection, *, force: bool = True) -> dict[str, Any] | None:
    """Bring the store's index (where one was built) up to date with the store now; what it did
    (None: no index, or, unless ``force``, no writer marked the store since the last sync).

    >>> sync_index(conn)  # doctest: +SKIP
    {'changed': 12, 'gone': 0, 'seconds': 0.05}
    """
    from patentatlas.search.index import _index_exists, open_index

    if not _index_exists(conn):
        return None
    found = open_index(conn, catch_up=False)
    return sync_if_stale(conn, found, force=force)


def sync_if_stale(conn: duckdb.DuckDBPyConnection, found: Any, *, force: bool = False,
                  background: duckdb.DuckDBPyConnection | None = None) -> dict[str, Any] | None:
    """Index again the patents whose facts changed, if a writer marked the store since the last time
    (``force``: look even so). Given ``background`` (the web server's connection), a large change is
    indexed in a thread while searches answer from the index as it was."""
    changes = store_changes(conn)
    with _SYNC_LOCK:
        if found.syncing or (changes <= found.state.get("changes", 0) and not force):
            return None
        found.syncing = True
    handed_off = False
    try:
        started = time.perf_counter()
        changed, gone = changed_patents(conn, found)
        if background is not None and changed.num_rows >= BACKGROUND_FROM:
            _sync_in_background(background, found, changed, gone, changes)
            handed_off = True  # the thread clears ``syncing`` when done
            return {"changed": changed.num_rows, "gone": len(gone), "background": True}
        _reindex(conn, found, changed, gone, changes)
        return {"changed": changed.num_rows, "gone": len(gone), "seconds": round(time.perf_counter() - started, 2)}
    finally:
        if not handed_off:
            found.syncing = False


def changed_patents(conn: duckdb.DuckDBPyConnection, found: Any) -> tuple[pa.Table, list[str]]:
    """The patents whose facts differ from their documents' (``an``), and the documents of patents no
    longer in the store. Patents of imports the index has not seen yet are the catch-up's."""
    from patentatlas.search.documents import facts_sql

    cursor = conn.cursor()
    try:
        cursor.register("indexed_facts", found.facts)
        changed = cursor.sql(
            f"SELECT f.application_number AS an FROM ({facts_sql(cursor)}) f "
            "LEFT JOIN indexed_facts i ON i.an = f.application_number "
            "WHERE coalesce(f.last_batch_id, 0) <= ? AND i.facts IS DISTINCT FROM f.facts",
            params=[found.state.get("batch", 0)]).to_arrow_table()
        gone = [r[0] for r in cursor.execute("SELECT an FROM indexed_facts i WHERE NOT EXISTS "
                                             "(SELECT 1 FROM patents p WHERE p.application_number = i.an)").fetchall()]
        return changed, gone
    finally:
        cursor.close()


def _reindex(conn: duckdb.DuckDBPyConnection, found: Any, changed: pa.Table, gone: list[str], changes: int) -> None:
    from patentatlas.search.index import index_rows, replace_index

    if changed.num_rows > max(REBUILD_FROM, found.state.get("patents", 0) // 2):
        replace_index(conn)  # most documents (a new score date moves every value): built anew
        return
    if changed.num_rows or gone:
        index_rows(conn, found, "WHERE application_number IN (SELECT an FROM search_scope)", [], replace=True,
                   scope=changed, gone=gone)
    found.state["changes"] = max(changes, found.state.get("changes", 0))
    found.save_state()


def _sync_in_background(conn: duckdb.DuckDBPyConnection, found: Any, changed: pa.Table, gone: list[str],
                        changes: int) -> None:
    cursor = conn.cursor()  # the thread's own cursor: DuckDB's rule for threads

    def run() -> None:
        try:
            _reindex(cursor, found, changed, gone, changes)
            log.info("search index: %s changed patents indexed again", changed.num_rows)
        except Exception:  # logged; the next search tries again
            log.exception("search index: the sync with the store failed")
        finally:
            found.syncing = False
            cursor.close()

    threading.Thread(target=run, name="search-index-sync", daemon=True).start()
