"""Analysis of a result set: filings by year, top applicants, IPC subclasses, provinces, and the
citation network among the set's patents (the ``citations`` table's rows of the set's patents
matched to the set's publication numbers); each a table that downloads as XLSX.

>>> analyse(conn, "title:手术")["trend"][0]  # doctest: +SKIP
{'year': 2009, 'patents': 1}
"""

from __future__ import annotations

from typing import Any

import duckdb

from patentatlas.search.engine import FACETS, SearchOptions, search

NETWORK_LIMIT = 1_000  # the network is drawn among the best-ranked patents of the set
TABLES = ("trend", "applicants", "ipc", "regions", "citations", "patents")


def analyse(conn: duckdb.DuckDBPyConnection, query: str | None, options: SearchOptions | None = None,
            top: int = 20) -> dict[str, Any]:
    """The result set's figures; counts over the whole set, the network over its first 1,000 patents."""
    opts = options or SearchOptions()
    facets_opts = SearchOptions(**{**vars(opts), "limit": NETWORK_LIMIT, "offset": 0, "facets": True,
                                   "sort": "relevance", "facet_names": tuple(FACETS)})
    result = search(conn, query, facets_opts)
    facets = result["facets"]
    names = _region_names(conn, [b["value"] for b in facets["province"]])
    members = [h["application_number"] for h in result["hits"]]
    nodes, edges = citation_network(conn, members)
    return {
        "query": result["query"], "filters": result["filters"], "notices": result["notices"], "total": result["total"],
        **charts_of(facets, top), "approximate": result["facets_approximate"],  # facets whose counts may be short
        "regions": [{"province_code": b["value"], "province": names.get(b["value"]), "patents": b["count"]}
                    for b in facets["province"][:top]],
        "types": facets["type"], "statuses": facets["status"],
        "network": {"patents_considered": len(members), "nodes": nodes, "edges": edges},
        "patents": [{k: h[k] for k in ("application_number", "title", "applicants", "filing_date", "score")}
                    for h in result["hits"]],
    }


def charts_of(facets: dict[str, list[dict[str, Any]]], top: int = 10) -> dict[str, list[dict[str, Any]]]:
    """A result set's filings by year (every year from the first to the last: a year without filings
    is 0), top applicants and top IPC subclasses, from its facet counts (the search page draws them;
    ``analyse`` downloads them).

    >>> charts_of({"year": [{"value": 2017, "count": 3}, {"value": 2019, "count": 1}]})["trend"]
    [{'year': 2017, 'patents': 3}, {'year': 2018, 'patents': 0}, {'year': 2019, 'patents': 1}]
    """
    years = {int(b["value"]): b["count"] for b in facets.get("year", [])}
    return {
        "trend": [{"year": y, "patents": years.get(y, 0)} for y in range(min(years), max(years) + 1)] if years else [],
        "applicants": [{"applicant": b["value"], "patents": b["count"]} for b in facets.get("applicant", [])[:top]],
        "ipc": [{"ipc_subclass": b["value"], "patents": b["count"]} for b in facets.get("ipc_class", [])[:top]],
    }


def citation_network(conn: duckdb.DuckDBPyConnection, members: list[str]) -> tuple[list[dict], list[dict]]:
    """Citations from one member to another, matched by publication number (either side's record)."""
    if not members:
        return [], []
    rows = conn.execute("""
        WITH m AS (SELECT application_number, publications, publication_number
                   FROM patents WHERE application_number IN (SELECT unnest(?))),
        pubs AS (SELECT DISTINCT application_number, pn FROM (
                   SELECT application_number, unnest([p.publication_number FOR p IN coalesce(publications, [])]) AS pn
                   FROM m
                   UNION ALL SELECT application_number, publication_number FROM m) WHERE pn IS NOT NULL),
        c AS (SELECT application_number, direction, publication_number AS pn FROM citations
              WHERE application_number IN (SELECT application_number FROM m)),
        edges AS (SELECT c.application_number AS citing, p.application_number AS cited
                  FROM c JOIN pubs p ON p.pn = c.pn WHERE c.direction = 'backward'
                  UNION ALL SELECT p.application_number, c.application_number
                  FROM c JOIN pubs p ON p.pn = c.pn WHERE c.direction = 'forward')
        SELECT DISTINCT citing, cited FROM edges WHERE citing <> cited
        ORDER BY 1, 2
    """, [members]).fetchall()
    edges = [{"citing": a, "cited": b} for a, b in rows]
    linked = sorted({n for e in rows for n in e})
    titles = dict(conn.execute("SELECT application_number, coalesce(title_zh, title_en) FROM patents "
                               "WHERE application_number IN (SELECT unnest(?))", [linked]).fetchall()) if linked else {}
    degree: dict[str, int] = {}
    for a, b in rows:
        degree[a] = degree.get(a, 0) + 1
        degree[b] = degree.get(b, 0) + 1
    nodes = [{"application_number": n, "title": titles.get(n), "links": degree[n]} for n in linked]
    return nodes, edges


def _region_names(conn: duckdb.DuckDBPyConnection, codes: list[str]) -> dict[str, str]:
    if not codes:
        return {}
    return dict(conn.execute("SELECT code, name FROM regions WHERE code IN (SELECT unnest(?))", [codes]).fetchall())


def analysis_table(data: dict[str, Any], table: str) -> list[dict[str, Any]]:
    """One table of the analysis, as rows for a CSV / XLSX download."""
    if table == "citations":
        return data["network"]["edges"]
    return list(data[table])
