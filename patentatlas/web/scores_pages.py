"""Pages and JSON API of the scores (issue 13): the creativity ranking of a region's enterprises,
enterprise tiers, and (through :mod:`patentatlas.web.valuation_pages`) pledge valuations.

Each page is one dict, rendered as HTML or — with ``?format=json`` or under ``/api/`` — as JSON;
tables download as CSV or XLSX with ``?format=csv|xlsx`` through the one table writer.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

import duckdb
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from patentatlas.domain.creativity import INPUTS, creativity_ranking, parse_weights, ranking_rows
from patentatlas.domain.indicators import region_ancestors
from patentatlas.web.deps import Cursor
from patentatlas.web.regions_api import Format, table_response
from patentatlas.web.render import jsonable, render

router = APIRouter()

AsOf = Annotated[str | None, Query(description="statistics date YYYY-MM-DD (default: the store's data date)")]
Top = Annotated[int | None, Query(ge=1, le=1000, description="how many enterprises (default: the rule set's 100)")]
BaselineYear = Annotated[int | None, Query(ge=1985, le=2100, description="baseline year (default: the year "
                                                                           "before the statistics date)")]
Weights = Annotated[str | None, Query(description="weights of " + ", ".join(INPUTS) + ", summing to 1, e.g. "
                                                  "0.5,0.25,0.25 (default: the rule set's)")]


def _downloads(path: str, **params: Any) -> dict[str, str]:
    kept = {k: v for k, v in params.items() if v not in (None, "")}
    return {fmt: f"{path}?{urlencode({**kept, 'format': fmt})}" for fmt in ("csv", "xlsx")}


def creativity_page(conn: duckdb.DuckDBPyConnection, code: str, top: int | None = None, as_of: str | None = None,
                    baseline_year: int | None = None, weights: str | None = None) -> dict[str, Any]:
    """The creativity ranking of a region with its breadcrumb, filters and download links."""
    data = creativity_ranking(conn, code, top, as_of or None, baseline_year, parse_weights(weights))
    filters = {"top": top, "as_of": as_of or None, "baseline_year": baseline_year, "weights": weights or None}
    return {**data, "ancestors": region_ancestors(conn, data["region"]), "filters": filters,
            "inputs": list(INPUTS),
            "downloads": {"ranking": _downloads(f"/api/regions/{data['region']['code']}/creativity", **filters)}}


@router.get("/regions/{code}/creativity", response_class=HTMLResponse, tags=["pages"],
            summary="The region's enterprises ranked by creativity index, top 100 (JSON with ?format=json, "
                    "downloads with ?format=csv|xlsx)")
def creativity(request: Request, cursor: Cursor, code: str, top: Top = None, as_of: AsOf = None,
               baseline_year: BaselineYear = None, weights: Weights = None, format: Format = None) -> Response:
    page = creativity_page(cursor, code, top, as_of, baseline_year, weights)
    if format in ("csv", "xlsx"):
        return table_response(ranking_rows(page), format, f"creativity-{code}-{page['as_of']}")
    return render(request, "creativity.html", page)


@router.get("/api/regions/{code}/creativity", tags=["scores"],
            summary="Creativity index of the region's enterprises: the three inputs, sub-indices against the "
                    "baseline year, the weighted index, ranked")
def api_creativity(cursor: Cursor, code: str, top: Top = None, as_of: AsOf = None,
                   baseline_year: BaselineYear = None, weights: Weights = None, format: Format = None) -> Response:
    """Enterprises only (first applicant of kind enterprise), one per enterprise key, valid and high-value
    inventions as the indicators define them; weights must sum to 1."""
    page = creativity_page(cursor, code, top, as_of, baseline_year, weights)
    if format in ("csv", "xlsx"):
        return table_response(ranking_rows(page), format, f"creativity-{code}-{page['as_of']}")
    return JSONResponse(jsonable(page))
