"""Pages of the government end: region overview with the map, enterprises, patents; the boundaries.

Each page is one dict (``?format=json`` returns it) built from the same domain functions as the
JSON API in :mod:`patentatlas.web.regions_api`; the map is drawn in the browser from that dict and
from the boundaries served at ``/geo/{code}.json`` (``patentatlas/reference/data/geo``, built by
``scripts/build_geo.py``; a file is named after the region whose *children* it draws).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import duckdb
from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response

from patentatlas.config import setting
from patentatlas.domain.indicators import (
    COUNTING_RULE,
    MAP_INDICATORS,
    map_data,
    region_ancestors,
    region_enterprises,
    region_indicators,
    resolve_region,
)
from patentatlas.domain.patents import PatentFilter, list_patents
from patentatlas.domain.region_placement import region_placement
from patentatlas.errors import NotFoundError, PatentAtlasError
from patentatlas.reference.region_table import current_code
from patentatlas.store.export import EXCEL_MAX_ROWS
from patentatlas.web.deps import MAX_PAGE, Cursor
from patentatlas.web.regions_api import table_response
from patentatlas.web.render import lang_of, render

router = APIRouter()

GEO_DIR = Path(str(files("patentatlas.reference") / "data" / "geo"))
LEGEND_COLORS = ("#eef3f8", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
# what a tooltip and the table under the map show of each child, besides the chosen indicator
MAP_COLUMNS = ("valid_invention_per_10k", "valid_invention_count", "high_value_invention_count",
               "high_value_invention_per_10k", "applications", "grants", "population")
ENTERPRISES_PER_PAGE = 50


# --------------------------------------------------------------------------- boundaries


def geo_file(code: str) -> Path | None:
    """The packaged boundaries of a region's children, or None where none are packaged.

    >>> geo_file("330000").name
    '330000.json'
    """
    path = GEO_DIR / f"{code}.json"
    return path if re.fullmatch(r"\d{6}", code) and path.is_file() else None


@router.get("/geo/{code}.json", summary="Boundaries of a region's children (GeoJSON, properties adcode and name)",
            tags=["regions"])
def geo(code: str) -> Response:
    path = geo_file(code)
    if path is None:  # not under /api/, but a file the map fetches: the JSON error shape, not a page
        error = NotFoundError(f"no boundaries are packaged for the children of {code}: "
                              "scripts/build_geo.py --province CODE adds a province's (see the README)")
        return JSONResponse(error.to_dict(), status_code=error.status_code)
    return FileResponse(path, media_type="application/geo+json", headers={"Cache-Control": "max-age=86400"})


# --------------------------------------------------------------------------- the legend


def _nice(value: float) -> float:
    """Two significant digits, an int when whole: class breaks people can read."""
    rounded = float(f"{value:.2g}")
    return int(rounded) if rounded == int(rounded) else rounded


def legend_classes(values: list[float | int | None], classes: int = 5) -> list[dict[str, Any]]:
    """The map's classes: 0 on its own, then up to ``classes`` ranges (a, b] at quantiles of the rest.

    >>> [c["label"] for c in legend_classes([0, 1, 2, 3, 10])]
    ['0', '0–1', '1–2', '2–3', '3–10']
    """
    positive = sorted(v for v in values if v is not None and v > 0)
    legend = [{"min": 0, "max": 0, "label": "0", "color": LEGEND_COLORS[0]}]
    if not positive:
        return legend
    top = positive[-1]
    cuts = {_nice(positive[min(len(positive) - 1, len(positive) * i // classes)]) for i in range(1, classes)}
    breaks = [0, *sorted(c for c in cuts if 0 < c < top), top]
    for i, (low, high) in enumerate(zip(breaks, breaks[1:], strict=False), start=1):
        legend.append({"min": low, "max": high, "label": f"{low}–{high}",
                       "color": LEGEND_COLORS[min(i, len(LEGEND_COLORS) - 1)]})
    return legend


# --------------------------------------------------------------------------- page dicts


def _query(**params: Any) -> str:
    kept = {k: v for k, v in params.items() if v not in (None, "")}
    return "?" + urlencode(kept) if kept else ""


def _downloads(path: str, **params: Any) -> dict[str, str]:
    return {fmt: path + _query(**params, format=fmt) for fmt in ("csv", "xlsx")}


def region_page(conn: duckdb.DuckDBPyConnection, code: str, indicator: str | None = None,
                industry: str | None = None, as_of: str | None = None) -> dict[str, Any]:
    """A region's headline indicators, trends, and the chosen indicator over its children.

    Without an indicator chosen, the map shows valid inventions per 10,000 people, or their count
    where no child has a population to divide by (townships).
    """
    figures = region_indicators(conn, code, industry, as_of)
    region = {"code": figures["region_code"], "name": figures["region_name"], "level": figures["level"]}
    children = None
    if figures["level"] != "township":
        children = map_data(conn, code, indicator or MAP_INDICATORS[0], industry, as_of)
        if indicator is None and all(r["value"] is None for r in children["regions"]):
            children = map_data(conn, code, "valid_invention_count", industry, as_of)
    indicator = children["indicator"] if children else (indicator or MAP_INDICATORS[0])
    filters = {"industry": industry or None, "as_of": as_of or None}
    ranked = sorted(children["regions"], key=_by_value) if children else []
    return {
        "region": region,
        "ancestors": children["ancestors"] if children else region_ancestors(conn, resolve_region(conn, code)),
        "indicator": indicator,
        "indicator_choices": list(MAP_INDICATORS),
        "filters": filters,
        "industry_choices": industry_choices(conn),
        "headline": _headline(figures),
        "indicators": figures,
        "trend_years": _years(figures["applications_by_year"], figures["grants_by_year"]),
        "map": children,
        "map_columns": list(MAP_COLUMNS),
        "map_ranked": ranked,
        "legend": legend_classes([r["value"] for r in ranked]),
        "counting_rule": COUNTING_RULE,
        "placement": region_placement(conn, code),
        "downloads": {
            "map": _downloads("/api/map", parent=code, indicator=indicator, **filters),
            **{table: _downloads(f"/api/regions/{code}/indicators", **filters, table=table)
               for table in ("summary", "trends", "top_applicants", "top_ipc", "high_value")},
            **{f"placement_{table}": _downloads(f"/api/regions/{code}/placement", table=table)
               for table in ("by_method", "unplaced")},
        },
    }


def _by_value(row: dict[str, Any]) -> tuple[bool, float, str]:
    """Highest value first, regions without one last, then by code."""
    return (row["value"] is None, -(row["value"] or 0), row["code"])


def _headline(figures: dict[str, Any]) -> list[dict[str, Any]]:
    """The cards at the top of the region page, in order."""
    keys = ("valid_invention_per_10k", "valid_invention_count", "high_value_invention_count",
            "high_value_invention_per_10k")
    return [*({"key": k, "value": figures[k]} for k in keys),
            {"key": "applications", "value": sum(figures["applications_by_year"].values())},
            {"key": "grants", "value": sum(figures["grants_by_year"].values())},
            {"key": "grant_rate", "value": figures["grant_rate"]["value"]},
            {"key": "population", "value": figures["population"]}]


def _years(*series: dict[str, int]) -> list[str]:
    """Every year from the first to the last in the series (a year without patents is a row of 0)."""
    years = [int(y) for s in series for y in s if y.isdigit()]
    return [str(y) for y in range(min(years), max(years) + 1)] if years else []


def industry_choices(conn: duckdb.DuckDBPyConnection) -> list[dict[str, str]]:
    """The 2021 strategic emerging industries the industry field offers (none before they are loaded)."""
    try:
        rows = conn.execute("SELECT code, name FROM sei_industries ORDER BY string_split(code, '.')::INT[]").fetchall()
    except duckdb.Error:  # a store from before the industries migration
        return []
    return [{"code": c, "name": n} for c, n in rows]


def enterprises_page(conn: duckdb.DuckDBPyConnection, code: str, industry: str | None = None,
                     as_of: str | None = None, page: int = 1) -> dict[str, Any]:
    """The first applicants of a region, most patents first, one page at a time, each with its trend."""
    offset = (page - 1) * ENTERPRISES_PER_PAGE
    listing = region_enterprises(conn, code, industry, as_of, limit=ENTERPRISES_PER_PAGE, offset=offset)
    region = resolve_region(conn, code)
    filters = {"industry": industry or None, "as_of": as_of or None}
    years = _years(*(e["applications_by_year"] for e in listing["enterprises"]))
    for enterprise in listing["enterprises"]:
        enterprise["sparkline"] = sparkline([enterprise["applications_by_year"].get(y, 0) for y in years])
    return {
        "region": {k: region[k] for k in ("code", "name", "level")},
        "ancestors": region_ancestors(conn, region),
        "filters": filters,
        "page": page,
        "per_page": ENTERPRISES_PER_PAGE,
        "trend_years": years,
        "enterprises": listing,
        "placement": region_placement(conn, code),
        "counting_rule": COUNTING_RULE,
        "downloads": {"enterprises": _downloads(f"/api/regions/{code}/enterprises", **filters, limit=1000)},
    }


def sparkline(counts: list[int], width: int = 160, height: int = 28) -> str:
    """The points of an SVG polyline drawing ``counts`` (one per year) in a width × height box.

    >>> sparkline([0, 2, 1], width=10, height=10)
    '1,9 5,1 9,5'
    """
    if not counts:
        return ""
    top = max(counts) or 1
    step = (width - 2) / max(len(counts) - 1, 1)
    return " ".join(f"{round(1 + i * step, 1):g},{round(height - 1 - n * (height - 2) / top, 1):g}"
                    for i, n in enumerate(counts))


_REGION_CLAUSE = {  # each patent once, by its first applicant's region (as the indicators count)
    "country": "first_applicant_country = 'CN'",
    "province": "first_applicant_province_code = ?",
    "city": "first_applicant_city_code = ?",
    "county": "first_applicant_county_code = ?",
    "township": "first_applicant_region_code = ?",
}


@dataclass
class RegionPatentFilter(PatentFilter):
    """The overview's filters within one region (any level)."""

    region_code: str | None = None
    region_level: str | None = None

    def where(self) -> tuple[str, list[Any]]:
        where, params = super().where()
        if self.region_level is None:
            return where, params
        clause = _REGION_CLAUSE[self.region_level]
        return f"{where} AND {clause}", params + ([self.region_code] if "?" in clause else [])


def region_patents_page(conn: duckdb.DuckDBPyConnection, code: str, flt: RegionPatentFilter) -> dict[str, Any]:
    """A filtered page of a region's patents (its first applicants'), newest filing first."""
    region = _scoped(conn, code, flt)
    filters = {k: v for k, v in vars(flt).items()
               if v not in (None, "") and k not in ("region_code", "region_level", "page", "per_page")}
    query = {"q": flt.q, "type": flt.patent_type, "status": flt.status, "year": flt.year}
    return {
        "region": {k: region[k] for k in ("code", "name", "level")},
        "ancestors": region_ancestors(conn, region),
        "filters": filters,
        "results": list_patents(conn, flt),
        "counting_rule": COUNTING_RULE,
        "downloads": {"patents": _downloads(f"/regions/{code}/patents", **query)},
    }


def _scoped(conn: duckdb.DuckDBPyConnection, code: str, flt: RegionPatentFilter) -> dict[str, Any]:
    region = resolve_region(conn, code)
    flt.region_code, flt.region_level = region["code"], region["level"]
    return region


def region_patents_table(conn: duckdb.DuckDBPyConnection, code: str, flt: RegionPatentFilter,
                         limit: int = EXCEL_MAX_ROWS) -> list[dict[str, Any]]:
    """All of a region's patents matching the filter (for a download), newest filing first."""
    _scoped(conn, code, flt)
    where, params = flt.where()
    cursor = conn.execute(
        "SELECT application_number, coalesce(title_zh, title_en) AS title, patent_type, status, status_text, "
        "filing_date, grant_date, ipc_main, applicant_names[1] AS first_applicant, first_applicant_region_code, "
        "first_applicant_county_code, pl.enterprise_name, pl.enterprise_key, pl.method AS placement_method, "
        "pl.confidence AS placement_confidence "
        f"FROM patents LEFT JOIN placements pl USING (application_number) WHERE {where} "
        "ORDER BY filing_date DESC, application_number LIMIT ?", [*params, limit])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


# --------------------------------------------------------------------------- routes

Indicator = Annotated[str | None, Query(description="the map's indicator: " + ", ".join(MAP_INDICATORS))]
Industry = Annotated[str | None, Query(description="2021 strategic emerging industry code (1, 1.4); empty = all")]
AsOf = Annotated[str | None, Query(description="statistics date, YYYY-MM-DD (default: the store's data date)")]


def _with_form_error(request: Request, cursor: duckdb.DuckDBPyConnection, template: str,
                     build: Callable[..., dict[str, Any]], code: str, **filters: Any) -> Response:
    """The page; a bad industry or date shows the page without it, saying what was wrong (HTTP 4xx).
    Asked for JSON, the same error is the one JSON error shape."""
    resolve_region(cursor, code)  # an unknown region is a 404 page, not a form error
    try:
        return render(request, template, build(**filters))
    except PatentAtlasError as exc:
        if not any(filters.values()) or request.query_params.get("format") == "json":
            raise
        page = build(**{k: None for k in filters})
        page["form_error"] = exc.message
        page["filters"] = {**page["filters"], **{k: v for k, v in filters.items() if k in page["filters"]}}
        return render(request, template, page, status_code=exc.status_code)


@router.get("/regions", include_in_schema=False)
def regions_home(request: Request) -> Response:
    home = setting("home_region")
    return RedirectResponse(f"/regions/{home}" + (f"?{request.url.query}" if request.url.query else ""))


def moved_region(request: Request, code: str) -> Response | None:
    """A code abolished in a re-districting (330103 下城区) redirects to the unit that took it over."""
    new = current_code(code)
    if new is None:
        return None
    path = request.url.path.replace(f"/{code}", f"/{new}", 1)
    return RedirectResponse(path + (f"?{request.url.query}" if request.url.query else ""), status_code=301)


@router.get("/regions/{code}", response_class=HTMLResponse, tags=["pages"],
            summary="Region overview: headline indicators, the map of its children, trends (JSON with ?format=json)")
def region_overview(request: Request, cursor: Cursor, code: str, indicator: Indicator = None,
                    industry: Industry = None, as_of: AsOf = None) -> Response:
    if (moved := moved_region(request, code)) is not None:
        return moved
    if indicator not in MAP_INDICATORS:
        indicator = None  # a stale link's indicator: the default, not an error page

    def build(industry: str | None, as_of: str | None) -> dict[str, Any]:
        return region_page(cursor, code, indicator, industry, as_of)

    return _with_form_error(request, cursor, "region.html", build, code, industry=industry, as_of=as_of)


@router.get("/regions/{code}/enterprises", response_class=HTMLResponse, tags=["pages"],
            summary="Enterprises (first applicants) of a region (JSON with ?format=json)")
def region_enterprises_page(request: Request, cursor: Cursor, code: str, industry: Industry = None,
                            as_of: AsOf = None, page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1) -> Response:
    if (moved := moved_region(request, code)) is not None:
        return moved

    def build(industry: str | None, as_of: str | None) -> dict[str, Any]:
        return enterprises_page(cursor, code, industry, as_of, page)

    return _with_form_error(request, cursor, "region_enterprises.html", build, code, industry=industry, as_of=as_of)


@router.get("/regions/{code}/patents", response_class=HTMLResponse, tags=["pages"],
            summary="Patents of a region with the overview's filters (JSON with ?format=json)")
def region_patents(request: Request, cursor: Cursor, code: str, q: str | None = None, type: str | None = None,
                   status: str | None = None, year: Annotated[str | None, Query(pattern=r"^(\d{4})?$")] = None,
                   page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
                   format: Annotated[str | None, Query(pattern="^(html|json|csv|xlsx)$",
                                                       description="json, or csv / xlsx: every match")] = None,
                   ) -> Response:
    flt = RegionPatentFilter(q=q or None, patent_type=type or None, status=status or None,
                             year=int(year) if year else None, page=page, per_page=50)
    if format in ("csv", "xlsx"):
        return table_response(region_patents_table(cursor, code, flt), format, f"patents-{code}",
                              lang=lang_of(request))
    return render(request, "region_patents.html", region_patents_page(cursor, code, flt))
