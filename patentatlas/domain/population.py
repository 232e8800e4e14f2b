"""The office's own population figures (年末常住人口 by year) for the per-10,000 indicators; where a
region has none, the 2020 census is the default (see :mod:`patentatlas.domain.indicators`).

A figure given under a code abolished in a re-districting is stored under the code that took
the whole of it (下城区 330103 → 拱墅区 330105 only with the rest of 拱墅区, so it is refused:
a population belongs to the boundaries it was counted in).

>>> set_population(conn, "330108", 2023, 547000, "杭州市统计年鉴 2024")["population"]  # doctest: +SKIP
547000
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import duckdb

from patentatlas.errors import UsageError
from patentatlas.reference.region_table import _table, crosswalk


def _current(code: str) -> str:
    code = code.strip()
    if code in _table():
        return code
    rows = crosswalk().get(code)
    if rows:
        parts = "、".join(f"{r.new_name} {r.new_code}" for r in rows)
        raise UsageError(f"region {code} ({rows[0].old_name}) was abolished on {rows[0].effective}; its territory "
                         f"is now in {parts}: give the figure of the current district (a population belongs to "
                         "the boundaries it was counted in)")
    raise UsageError(f"region {code!r} is not a current division code (e.g. 330108 滨江区)")


def set_population(conn: duckdb.DuckDBPyConnection, region_code: str, year: int, people: int,
                   source: str) -> dict[str, Any]:
    """Store one figure (replacing the region's figure for that year)."""
    code = _current(str(region_code))
    if not 1949 <= int(year) <= 2100:
        raise UsageError(f"year {year}: a calendar year (1949–2100) is expected")
    if int(people) <= 0:
        raise UsageError(f"population {people}: a positive number of people is expected")
    if not source or not source.strip():
        raise UsageError("source: say where the figure comes from (统计年鉴, 统计公报 …)")
    conn.execute("INSERT INTO population VALUES (?, ?, ?, ?) ON CONFLICT (region_code, year) DO UPDATE SET "
                 "population = excluded.population, source = excluded.source",
                 [code, int(year), int(people), source.strip()])
    return {"region_code": code, "year": int(year), "population": int(people), "source": source.strip()}


def import_population(conn: duckdb.DuckDBPyConnection, path: Path) -> dict[str, Any]:
    """Figures from a CSV (region_code, year, population, source); a bad row is reported, not stored."""
    stored, rejected, read = 0, [], 0
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=2):
            read += 1
            try:
                set_population(conn, row.get("region_code") or "", int(row.get("year") or 0),
                               int(str(row.get("population") or "0").replace(",", "")), row.get("source") or "")
                stored += 1
            except (UsageError, ValueError) as exc:
                rejected.append({"row": number, "reason": getattr(exc, "message", str(exc))})
    return {"file": str(path), "read": read, "stored": stored, "rejected": rejected}
