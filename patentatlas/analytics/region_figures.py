"""One region's figures read from the store's summary tables (DuckDB), in the shapes
:mod:`patentatlas.domain.indicators` builds its pages from; the queries are those of
:mod:`patentatlas.analytics.figures`, which a Spark job runs for every region at once.

>>> head, series, tops = summary_figures(conn, "province", "440000", None, 10)  # doctest: +SKIP
>>> head["valid"]  # doctest: +SKIP
5821
"""

from __future__ import annotations

from typing import Any

import duckdb

from patentatlas.analytics import figures
from patentatlas.analytics.dialect import DUCKDB


def _rows(conn: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    sql, bound = DUCKDB.bind(sql, params)
    return conn.execute(sql, bound).fetchall()


def _params(code: str, industry: str | None, **more: Any) -> dict[str, Any]:
    return {"region": code, "industry": industry or "", **more}


def series_from_rows(rows: list[tuple[Any, ...]]) -> dict[str, dict[str, dict[str, int]]]:
    """kind → patent type → year → count, from (kind, type, year, count) rows."""
    series: dict[str, dict[str, dict[str, int]]] = {"applications": {}, "grants": {}}
    for kind, patent_type, year, count in sorted(rows, key=lambda r: (r[0], r[1], r[2])):
        series[kind].setdefault(patent_type, {})[str(year)] = int(count)
    return series


def summary_figures(conn: duckdb.DuckDBPyConnection, level: str, code: str, industry: str | None,
                    top_n: int) -> tuple[dict[str, Any], ...]:
    """(headline and criteria counts, yearly series, top applicants and IPC) of one region and
    industry (None: all), from the summaries."""
    where = [figures.one(level)]
    params = _params(code, industry, top_n=top_n)
    head_row = _rows(conn, figures.head_sql(where), params)[0]
    names = [*figures.HEAD, *figures.CRITERIA_HEAD]
    head = {name: int(value) for name, value in zip(names, head_row, strict=True)}
    series = series_from_rows(_rows(conn, figures.series_sql(where), params))
    applicants = [{"name": r[1], "enterprise_key": r[0], "patents": int(r[2]), "valid_inventions": int(r[3]),
                   "high_value_inventions": int(r[4])} for r in _rows(conn, figures.top_applicants_sql(where), params)]
    ipc = _rows(conn, figures.top_ipc_sql(where), params)
    titles = _ipc_titles(conn, [r[0] for r in ipc])
    top_ipc = [{"subclass": r[0], **titles.get(r[0], {"title_zh": None, "title_en": None}), "patents": int(r[1]),
                "valid_inventions": int(r[2])} for r in ipc]
    return head, series, {"top_applicants": applicants, "top_ipc": top_ipc}


def _ipc_titles(conn: duckdb.DuckDBPyConnection, codes: list[str]) -> dict[str, dict[str, str | None]]:
    """Subclass → its titles: a lookup by the IPC table's key (a join would read all 80,000 codes)."""
    if not codes:
        return {}
    rows = conn.execute(f"SELECT code, title_zh, title_en FROM ipc WHERE code IN ({', '.join('?' * len(codes))})",
                        codes).fetchall()
    return {code: {"title_zh": zh, "title_en": en} for code, zh, en in rows}


def summary_map_counts(conn: duckdb.DuckDBPyConnection, level: str, code: str, industry: str | None,
                       child_level: str) -> dict[Any, tuple[int, ...]]:
    """Child code → (applications, grants, valid, high-value) under one region, from the summaries."""
    sql = figures.map_counts_sql(level, child_level, figures.one(level))
    return {r[0]: tuple(int(v) for v in r[1:]) for r in _rows(conn, sql, _params(code, industry))}


# the enterprises page's listing (DuckDB only: a page, never a Spark job): each enterprise's figures
# and its patents by filing year, one page of them
_ENTERPRISES_SQL = """SELECT min(applicant) AS name, sum(patents) AS patents, sum(inventions), sum(valid) AS v,
  sum(high_value), list({{'y': filing_year, 'n': patents}}), count(*) OVER (), applicant_key
FROM summary_applicants WHERE {where} GROUP BY applicant_key
ORDER BY patents DESC, v DESC, name, applicant_key LIMIT $limit OFFSET $offset"""


def summary_enterprises(conn: duckdb.DuckDBPyConnection, level: str, code: str, industry: str | None,
                        limit: int, offset: int) -> list[tuple[Any, ...]]:
    """Rows (name, patents, inventions, valid, high-value, {year: patents}, total, key), most patents
    first, as :func:`patentatlas.domain.indicators.region_enterprises` reads them from the patents."""
    sql = _ENTERPRISES_SQL.format(where=figures.one(level).where)
    out = []
    for row in _rows(conn, sql, _params(code, industry, limit=limit, offset=offset)):
        years: dict[int, int] = {}
        for item in row[5]:
            years[item["y"]] = years.get(item["y"], 0) + int(item["n"])
        out.append((row[0], *(int(v) for v in row[1:5]), years, int(row[6]), row[7]))
    return out
