"""A source's own value figures (Patentics 价值1–3, 质量, 专利度): kept beside our score, and how
our score correlates with them (Spearman).

The importers keep the bibliographic record; these figures are the source's opinion of the patent,
so they are read from the export by :func:`import_source_figures` into ``source_value_figures``.

>>> import_source_figures(conn, Path("patentics_thundersoft_cn_511.csv"))["kept"]  # doctest: +SKIP
511
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from patentatlas.errors import FieldError, InputFileError
from patentatlas.importers.tabular import iter_tables
from patentatlas.normalize.appno import normalize_application_number
from patentatlas.store import utc_now

FIGURES = {"价值1": "value1", "价值2": "value2", "价值3": "value3", "质量": "quality", "专利度": "patent_degree"}
_SCORES = ("score", "legal", "technical", "economic")


def _number(text: Any) -> float | None:
    try:
        value = float(str(text).strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def import_source_figures(conn: duckdb.DuckDBPyConnection, path: Path, source: str = "patentics") -> dict[str, Any]:
    """Keep the value figures of an export (rows without an application number or any figure are skipped)."""
    table = next(iter_tables(path))
    headers = [h.strip() for h in table.headers]
    found = {col: headers.index(h) for h, col in FIGURES.items() if h in headers}
    if "申请号" not in headers or not found:
        raise InputFileError(str(path), "carries no value figures: needs 申请号 and one of " + ", ".join(FIGURES))
    app = headers.index("申请号")
    out: dict[str, list[Any]] = {"application_number": [], **{c: [] for c in FIGURES.values()}}
    skipped = 0
    for row in table.rows:
        try:
            number = normalize_application_number(str(row.cells[app])).number
        except (FieldError, IndexError):
            skipped += 1
            continue
        values = {c: _number(row.cells[i]) if i < len(row.cells) else None for c, i in found.items()}
        if all(v is None for v in values.values()):
            skipped += 1
            continue
        out["application_number"].append(number)
        for column in FIGURES.values():
            out[column].append(values.get(column))
    staged = pa.table({k: pa.array(v, pa.string() if k == "application_number" else pa.float64())
                       for k, v in out.items()})
    conn.register("figures_in", staged)
    try:
        conn.execute("DELETE FROM source_value_figures WHERE source = $source AND application_number IN "
                     "(SELECT application_number FROM figures_in)", {"source": source})
        conn.execute("INSERT INTO source_value_figures SELECT DISTINCT ON (application_number) application_number, "
                     "$source, $file, value1, value2, value3, quality, patent_degree, $now FROM figures_in",
                     {"source": source, "file": path.name, "now": utc_now()})
    finally:
        conn.unregister("figures_in")
    return {"file": str(path), "kept": len(out["application_number"]), "skipped": skipped,
            "figures": [h for h, c in FIGURES.items() if c in found]}


def _rank(column: str) -> str:
    """SQL: the average rank of ``column`` (ties share the mean of their ranks, as Spearman's rho needs)."""
    return f"rank() OVER (ORDER BY {column}) + (count(*) OVER (PARTITION BY {column}) - 1) / 2.0"


def correlations(conn: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Spearman's rank correlation of our stored scores with each source figure, over the patents with both."""
    rows = []
    for figure, column in FIGURES.items():
        for ours in _SCORES:
            n, rho = conn.execute(
                f"SELECT count(*), corr(rs, rf) FROM (SELECT {_rank(f'v.{ours}')} AS rs, "
                f"{_rank(f'f.{column}')} AS rf FROM patent_values v JOIN source_value_figures f "
                f"USING (application_number) WHERE v.{ours} IS NOT NULL AND f.{column} IS NOT NULL)").fetchall()[0]
            rows.append({"source_figure": figure, "our_score": ours, "patents": n,
                         "spearman": None if rho is None else round(float(rho), 4)})
    return rows
