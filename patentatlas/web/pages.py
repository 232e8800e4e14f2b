"""One dict per page: the web pages render these as HTML, the API returns them as JSON."""

from __future__ import annotations

from typing import Any

import duckdb

from patentatlas.domain.patents import PatentFilter, get_patent, list_patents, store_summary


def overview_page(conn: duckdb.DuckDBPyConnection, flt: PatentFilter) -> dict[str, Any]:
    """Totals, filings by year and a filtered page of patents."""
    provinces = conn.execute(
        "SELECT r.code, r.name, count(*) AS n FROM patents p JOIN regions r "
        "ON r.code = p.first_applicant_province_code GROUP BY ALL ORDER BY n DESC, r.code"
    ).fetchall()
    return {
        "summary": store_summary(conn),
        "filters": {k: v for k, v in vars(flt).items() if v not in (None, "")},
        "provinces": [{"code": c, "name": name, "patents": n} for c, name, n in provinces],
        "results": list_patents(conn, flt),
    }


def patent_page(conn: duckdb.DuckDBPyConnection, number: str) -> dict[str, Any]:
    """One patent with everything the store knows of it."""
    return {"patent": get_patent(conn, number)}
