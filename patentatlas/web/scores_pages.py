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

from patentatlas.domain.accounts import audit, require_role
from patentatlas.domain.creativity import INPUTS, creativity_ranking, parse_weights, ranking_rows
from patentatlas.domain.indicators import region_ancestors
from patentatlas.domain.tiers import region_tiers, set_package
from patentatlas.i18n import joined
from patentatlas.web.auth import CurrentUser
from patentatlas.web.deps import Cursor, Fields
from patentatlas.web.forms import text
from patentatlas.web.regions_api import Format, table_response
from patentatlas.web.render import jsonable, lang_of, render

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
        return table_response(ranking_rows(page), format, f"creativity-{code}-{page['as_of']}",
                              lang=lang_of(request))
    return render(request, "creativity.html", page)


@router.get("/api/regions/{code}/creativity", tags=["scores"],
            summary="Creativity index of the region's enterprises: the three inputs, sub-indices against the "
                    "baseline year, the weighted index, ranked")
def api_creativity(request: Request, cursor: Cursor, code: str, top: Top = None, as_of: AsOf = None,
                   baseline_year: BaselineYear = None, weights: Weights = None, format: Format = None) -> Response:
    """Enterprises only (first applicant of kind enterprise), one per enterprise key, valid and high-value
    inventions as the indicators define them; weights must sum to 1."""
    page = creativity_page(cursor, code, top, as_of, baseline_year, weights)
    if format in ("csv", "xlsx"):
        return table_response(ranking_rows(page), format, f"creativity-{code}-{page['as_of']}",
                              lang=lang_of(request))
    return JSONResponse(jsonable(page))


# --------------------------------------------------------------------------- tiers (government end)

Region = Annotated[str, Query(description="region adcode (100000 = China)")]


def tier_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per enterprise: its inputs, tier and the reasons, for a download."""
    keys = ("name", "uscc", "region_code", "revenue", "rd_spending", "valid_inventions", "ip_management",
            "listing_stage")
    return [{**{k: e[k] for k in keys}, "tier": data["tier_names"][e["tier"] or "undecided"], "source": e["source"],
             "reasons": joined(e["reasons"], "warn_semicolon")} for e in data["enterprises"]]


@router.get("/tiers", response_class=HTMLResponse, tags=["pages"],
            summary="Enterprise tiers of a region: counts, each enterprise's tier and why, the service packages "
                    "(admins and analysts; JSON with ?format=json)")
def tiers_page(request: Request, cursor: Cursor, user: CurrentUser, region: Region = "100000",
               format: Format = None) -> Response:
    require_role(user, "admin", "analyst")
    data = region_tiers(cursor, region)
    if format in ("csv", "xlsx"):
        return table_response(tier_rows(data), format, f"tiers-{region}", lang=lang_of(request))
    return render(request, "tiers.html", data | {"downloads": {"tiers": _downloads("/tiers", region=region)}})


@router.get("/api/tiers", tags=["scores"], summary="Enterprise tiers of a region (admins and analysts)")
def api_tiers(request: Request, cursor: Cursor, user: CurrentUser, region: Region = "100000",
              format: Format = None) -> Response:
    """Counts per tier, and for every profiled enterprise its inputs, tier, the rule that decided it and why."""
    require_role(user, "admin", "analyst")
    data = region_tiers(cursor, region)
    if format in ("csv", "xlsx"):
        return table_response(tier_rows(data), format, f"tiers-{region}", lang=lang_of(request))
    return JSONResponse(jsonable(data))


@router.post("/api/tiers/packages/{tier}", tags=["scores"], summary="Edit a tier's service package (admins)")
def edit_package(cursor: Cursor, user: CurrentUser, tier: str, fields: Fields) -> Response:
    require_role(user, "admin", "analyst")
    package = set_package(cursor, tier, text(fields, "text"), user.user_id)
    audit(cursor, user.user_id, "tiers.package", tier, {"chars": len(package["text"])})
    return JSONResponse(jsonable({"tier": tier, **package}))
