"""The history of imports, with what each file carried: the admin's view before figures are published.

>>> import_history(conn)[0]["warnings"][0]["code"]  # doctest: +SKIP
'industries_from_main_ipc'
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

import duckdb

from patentatlas.importers.coverage import Coverage

_HISTORY_SQL = """
SELECT file, format, checksum, observed_on, min(started_at) AS started_at, max(finished_at) AS finished_at,
       count(*) AS batches, list(batch_id ORDER BY batch_id) AS batch_ids, sum(rows_read) AS read,
       sum(loaded) AS loaded, sum(updated) AS updated, sum(unchanged) AS unchanged, sum(quarantined) AS quarantined,
       list(coverage ORDER BY batch_id) AS coverages
FROM import_batches WHERE format IS DISTINCT FROM 'payments'
GROUP BY file, format, checksum, observed_on, started_at::DATE
ORDER BY min(batch_id) DESC LIMIT $limit
"""


def import_history(conn: duckdb.DuckDBPyConnection, limit: int = 100) -> list[dict[str, Any]]:
    """The latest imports (one per file and run, its batches added up), newest first: counts, the
    coverage report and the warnings of :class:`patentatlas.importers.coverage.Coverage`. File
    names only: no server path leaves the server."""
    cursor = conn.execute(_HISTORY_SQL, {"limit": limit})
    names = [d[0] for d in cursor.description]
    out = []
    for row in cursor.fetchall():
        item = dict(zip(names, row, strict=True))
        coverage = Coverage()
        for text in item.pop("coverages"):
            coverage.add(Coverage.from_json(text))
        item["file"] = PurePath(item["file"]).name
        item["quarantined_share"] = round(item["quarantined"] / item["read"], 4) if item["read"] else None
        item["coverage"] = coverage.report() if coverage.counts else None
        item["warnings"] = coverage.warnings() if coverage.counts else []
        out.append(item)
    return out
