"""Reference tables in the store (regions with population, the IPC scheme, the SEI tree),
loaded from the tables the package ships, once."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from patentatlas.reference.ipc import iter_ipc
from patentatlas.reference.regions import iter_regions
from patentatlas.reference.sei import sei_industries
from patentatlas.store import scalar


def ensure_reference(conn: duckdb.DuckDBPyConnection) -> None:
    """Fill ``regions``, ``ipc`` and ``sei_industries`` if they are empty."""
    regions = scalar(conn, "SELECT count(*) FROM regions")
    if not regions:
        rows = list(iter_regions())
        table = pa.Table.from_pylist([dict(r) for r in rows])
        conn.register("ref_regions", table)
        conn.execute("INSERT INTO regions BY NAME SELECT * FROM ref_regions")
        conn.unregister("ref_regions")
    codes = scalar(conn, "SELECT count(*) FROM ipc")
    if not codes:
        names = ("code", "level", "title_zh", "title_en")
        table = pa.Table.from_pylist([dict(zip(names, r, strict=True)) for r in iter_ipc()])
        conn.register("ref_ipc", table)
        conn.execute("INSERT INTO ipc BY NAME SELECT * FROM ref_ipc")
        conn.unregister("ref_ipc")
    if not scalar(conn, "SELECT count(*) FROM sei_industries"):
        conn.executemany("INSERT INTO sei_industries (code, name, parent_code, level) VALUES (?, ?, ?, ?)",
                         [[i.code, i.name, i.parent_code, i.level] for i in sei_industries()])
