"""How well a region's patents are placed: how many reach a county and a township, by which
evidence (:mod:`patentatlas.domain.placement`), and the applicants left unplaced with their patent
counts, so the office knows whom to add to its directory.

>>> region_placement(conn, "330100")["placed_to_county"]  # doctest: +SKIP
67
"""

from __future__ import annotations

from typing import Any

import duckdb

from patentatlas.analytics.figures import level_where
from patentatlas.analytics.summaries import current_summaries, placement_facts_sql, placement_summary_sql
from patentatlas.domain.indicators import resolve_region
from patentatlas.domain.placement import METHODS
from patentatlas.i18n import message
from patentatlas.reference.region_table import crosswalk

UNPLACED_LIMIT = 50
# the region's patents, as the indicators count them (by the first applicant's region)
_REGION_SQL = {
    "country": "p.first_applicant_country = 'CN'",
    "province": "p.first_applicant_province_code = $region",
    "city": "p.first_applicant_city_code = $region",
    "county": "p.first_applicant_county_code = $region",
    "township": "p.first_applicant_region_code = $region",
}
# the panel's figures from the region's rows of summary_placement (f), or from the same rows counted
# from its patents when the summaries do not describe the store as it is
_PLACED_SQL = """WITH f AS MATERIALIZED ({rows})
SELECT (SELECT [coalesce(sum(patents), 0), coalesce(sum(patents) FILTER (WHERE county), 0),
                coalesce(sum(patents) FILTER (WHERE township), 0)]::BIGINT[] FROM f),
  (SELECT list({{'method': method, 'patents': n, 'county': c}}) FROM (
     SELECT method, sum(patents)::BIGINT AS n, coalesce(sum(patents) FILTER (WHERE county), 0)::BIGINT AS c
     FROM f GROUP BY 1)),
  (SELECT list({{'method': township_method, 'township': n}}) FROM (
     SELECT township_method, sum(patents)::BIGINT AS n FROM f WHERE township GROUP BY 1)),
  (SELECT count(DISTINCT applicant_key) FROM f WHERE NOT {unplaced}),
  (SELECT list({{'name': name, 'enterprise_key': k, 'patents': n}} ORDER BY n DESC, name, k) FROM (
     SELECT min(applicant) AS name, applicant_key AS k, sum(patents)::BIGINT AS n FROM f
     WHERE NOT {unplaced} AND applicant_key IS NOT NULL GROUP BY applicant_key ORDER BY n DESC, name, k
     LIMIT $limit))"""
NOTE = message("placement_note")  # the order of evidence, said in the page's language


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _rows_sql(conn: duckdb.DuckDBPyConnection, level: str, summaries: bool) -> str:
    """The region's rows of ``summary_placement`` where the summaries were built from the data the
    store holds now (placing patents again marks them stale), else the same rows from its patents."""
    if summaries and current_summaries(conn) is not None:
        return f"SELECT * FROM summary_placement WHERE {level_where(level)}"
    return placement_summary_sql(f"({placement_facts_sql(where=_REGION_SQL[level])}) p")


def region_placement(conn: duckdb.DuckDBPyConnection, code: str, limit: int = UNPLACED_LIMIT, *,
                     summaries: bool = True) -> dict[str, Any]:
    """The region's patents placed to a county and to a township, by method, and the unplaced applicants
    (not placed to a county; in a county or township, not to a township), most patents first; read from
    the summaries where they describe the store's data (``summaries=False``: always from the patents)."""
    region = resolve_region(conn, code)
    level = region["level"]
    unplaced = "township" if level in ("county", "township") else "county"
    sql = _PLACED_SQL.format(rows=_rows_sql(conn, level, summaries), unplaced=unplaced)
    params = {"region": region["code"], "limit": limit}
    head, by_method, by_township, unplaced_total, applicants = conn.execute(
        sql, {k: v for k, v in params.items() if f"${k}" in sql}).fetchall()[0]
    total, county, township = head
    towns = {r["method"]: r["township"] for r in by_township or []}
    counts = {r["method"]: r for r in by_method or []}
    methods = [m for m in METHODS if m in counts or m in towns] + sorted(set(counts) - set(METHODS))
    return {
        "region": {k: region[k] for k in ("code", "name", "level")},
        "patents": total, "placed_to_county": county, "placed_to_township": township,
        "county_share": _share(county, total), "township_share": _share(township, total),
        "by_method": [{"method": m, "patents": counts.get(m, {}).get("patents", 0),
                       "placed_to_county": counts.get(m, {}).get("county", 0), "placed_to_township": towns.get(m, 0)}
                      for m in methods],
        "unplaced": {"level": unplaced, "applicants_total": unplaced_total, "limit": limit,
                     "applicants": applicants or []},
        "redistricting": redistricting_of(region["code"]),
        "note": NOTE,
    }


def redistricting_of(code: str) -> list[dict[str, Any]]:
    """The old units (abolished or split in a re-districting) whose territory is now in this region."""
    return [{"old_code": row.old_code, "old_name": row.old_name, "part": row.part, "townships": list(row.townships),
             "effective": row.effective, "source": row.source}
            for rows in crosswalk().values() for row in rows if row.new_code == code and row.old_code != code]


def placement_rows(data: dict[str, Any], table: str) -> list[dict[str, Any]]:
    """A download of the placement: ``by_method`` or ``unplaced`` (the applicants to add to the directory)."""
    if table == "unplaced":
        return [dict(a) for a in data["unplaced"]["applicants"]]
    return [dict(r) for r in data["by_method"]] + [{
        "method": "total", "patents": data["patents"], "placed_to_county": data["placed_to_county"],
        "placed_to_township": data["placed_to_township"]}]
