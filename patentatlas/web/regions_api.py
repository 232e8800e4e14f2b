"""JSON API of the government end: region indicators, the map's data, a region's enterprises, and
one patent's high-value criteria. Every table also downloads as CSV (UTF-8 with a BOM, so Excel
reads the Chinese) or XLSX with ``?format=csv`` / ``?format=xlsx``.

Errors are PatentAtlasError, which the app answers with ``{"error", "message"}`` and a 4xx.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from patentatlas.domain.high_value import explain
from patentatlas.domain.indicators import MAP_INDICATORS, TYPES, map_data, region_enterprises, region_indicators
from patentatlas.domain.region_placement import placement_rows, region_placement
from patentatlas.errors import UsageError
from patentatlas.i18n import bilingual
from patentatlas.store.export import CSV_TYPE, XLSX_TYPE
from patentatlas.web.deps import MAX_OFFSET, Cursor
from patentatlas.web.downloads import download_bytes
from patentatlas.web.i18n import translator
from patentatlas.web.render import lang_of

router = APIRouter(tags=["regions"])

INDICATOR_TABLES = ("summary", "trends", "top_applicants", "top_ipc", "high_value")


Format = Annotated[Literal["json", "csv", "xlsx"] | None,
                   Query(description="json (default), or a download: csv (UTF-8 with BOM) or xlsx")]
Industry = Annotated[str | None, Query(description="2021 strategic emerging industry code, e.g. 1 or 1.4 "
                                                   "(prefix match: 1 covers 1.1 … 1.6)")]
AsOf = Annotated[str | None, Query(description="statistics date YYYY-MM-DD (default: the store's data date)")]


# --------------------------------------------------------------------------- downloads


def table_response(rows: list[dict[str, Any]], fmt: str, name: str, *, lang: str, title: str | None = None,
                   meta: dict[str, Any] | None = None, columns: Sequence[str] | None = None) -> Response:
    """``rows`` as a CSV (UTF-8 with BOM) or XLSX download named ``name``.``fmt``, through the one
    table writer (:func:`patentatlas.store.export.table_bytes`: no cell runs as a formula), in the
    request's language ``lang`` (:func:`patentatlas.web.render.lang_of`, :mod:`patentatlas.web.downloads`):
    XLSX with ``title`` and the ``meta`` (region, as_of, counting_rule, source, data_date) above the
    table on a sheet named after it."""
    filename = re.sub(r"[^\w.-]", "_", name, flags=re.ASCII) + f".{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    body = download_bytes(rows, fmt, title=title, meta=meta, columns=columns, lang=lang)
    return Response(body, media_type=CSV_TYPE if fmt == "csv" else XLSX_TYPE, headers=headers)


def _respond(request: Request, data: dict[str, Any], fmt: str | None, rows: Any, name: str,
             title: str | None = None, meta: dict[str, Any] | None = None) -> Response:
    """JSON, or the rows as a download in the request's language (``?lang=``, else the cookie, else zh)."""
    if fmt in (None, "json"):
        return JSONResponse(data)
    return table_response(rows(), fmt, name, title=title, meta=meta, lang=lang_of(request))


def _meta(data: dict[str, Any], name: str | None, code: str | None) -> dict[str, Any]:
    """The title block's facts of a region's table."""
    return {"region": f"{name}（{code}）" if name else code, "as_of": data.get("as_of"),
            "counting_rule": data.get("counting_rule"), "data_date": data.get("data_date")}


def map_rows(data: dict[str, Any], unassigned: str) -> list[dict[str, Any]]:
    """The map's regions, then the patents placed in none of them, so the rows sum to the headline."""
    rows = [dict(r) for r in data["regions"]]
    rest = data.get("unassigned") or {}
    if any(rest.values()):
        rows.append({**dict.fromkeys(rows[0] if rows else ()), "name": unassigned, **rest})
    return rows


# --------------------------------------------------------------------------- tables


def indicator_table(data: dict[str, Any], table: str) -> list[dict[str, Any]]:
    """One table of a region's indicators: summary, trends, top_applicants, top_ipc or high_value; the
    counting rule, the criteria and the IPC titles in the download's language (an IPC code the table
    titles in one language only shows that one)."""
    rule = data["counting_rule"]
    if table == "summary":
        keys = ("region_code", "region_name", "level", "as_of", "population", "population_source",
                "population_note", "valid_invention_count", "valid_invention_per_10k", "high_value_invention_count",
                "high_value_invention_per_10k")
        rows = [{"indicator": k, "value": data[k]} for k in keys]
        totals = [{"indicator": k, "value": sum(data[f"{k}_by_year"].values())} for k in ("applications", "grants")]
        return rows + totals + [{"indicator": "grant_rate", "value": data["grant_rate"]["value"]},
                       {"indicator": "counting_rule", "value": bilingual(rule["zh"], rule["en"])}]
    if table == "trends":
        return trend_rows(data)
    if table == "high_value":
        return [{"id": c["id"], "key": c["key"], "criterion": bilingual(c["zh"], c["en"]),
                 **{k: c[k] for k in ("met", "not_met", "not_judged")}} for c in data["high_value"]["criteria"]]
    if table == "top_ipc":
        return [{"subclass": r["subclass"], "ipc_title": bilingual(r["title_zh"], r["title_en"]),
                 **{k: v for k, v in r.items() if k not in ("subclass", "title_zh", "title_en")}}
                for r in data["top_ipc"]]
    if table == "top_applicants":
        return list(data[table])
    raise UsageError(f"table {table!r} is not one of {', '.join(INDICATOR_TABLES)}")


def trend_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Year by year: applications and grants, in all and by patent type (a year without any is 0)."""
    years = [int(y) for s in (data["applications_by_year"], data["grants_by_year"]) for y in s]
    rows = []
    for year in range(min(years), max(years) + 1) if years else []:
        y = str(year)
        row: dict[str, Any] = {"year": year, "applications": data["applications_by_year"].get(y, 0),
                               "grants": data["grants_by_year"].get(y, 0)}
        for kind in ("applications", "grants"):
            for patent_type in TYPES:
                row[f"{kind}_{patent_type}"] = data[f"{kind}_by_type"].get(patent_type, {}).get(y, 0)
        rows.append(row)
    return rows


def enterprise_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per enterprise, with a column per filing year."""
    years = sorted({y for e in data["enterprises"] for y in e["applications_by_year"]})
    return [{**{k: v for k, v in e.items() if k != "applications_by_year"},
             **{f"applications_{y}": e["applications_by_year"].get(y, 0) for y in years}}
            for e in data["enterprises"]]


# --------------------------------------------------------------------------- routes


@router.get("/api/regions/{code}/indicators", summary="A region's indicators (any level; 100000 = China)")
def indicators(request: Request, cursor: Cursor, code: str, industry: Industry = None, as_of: AsOf = None,
               format: Format = None,
               table: Annotated[str, Query(description="with csv/xlsx: " + ", ".join(INDICATOR_TABLES))] = "summary",
               ) -> Response:
    """Valid and high-value inventions (count, per 10,000 people), applications and grants by year and
    type, growth, grant rate, top applicants and IPC subclasses, the high-value criteria; each patent
    counted once, by its first applicant's region."""
    if table not in INDICATOR_TABLES:
        raise UsageError(f"table {table!r} is not one of {', '.join(INDICATOR_TABLES)}")
    data = region_indicators(cursor, code, industry or None, as_of or None)
    t = translator(lang_of(request))
    return _respond(request, data, format, lambda: indicator_table(data, table),
                    f"indicators-{code}-{table}-{data['as_of']}",
                    title=f"{data['region_name']} · {t.get(table, t['indicator'])}",
                    meta=_meta(data, data["region_name"], data["region_code"]))


@router.get("/api/map", summary="One indicator over the regions one level below a parent (the map's data)")
def map_json(request: Request, cursor: Cursor, parent: str = "100000",
             indicator: Annotated[str, Query(description="one of " + ", ".join(MAP_INDICATORS))] = MAP_INDICATORS[0],
             industry: Industry = None, as_of: AsOf = None, format: Format = None) -> Response:
    """The parent, its ancestors, and for each child region the indicator's value with the counts and
    population behind it; ``has_boundaries`` says whether the product ships the children's boundaries."""
    data = map_data(cursor, parent, indicator, industry or None, as_of or None)
    t = translator(lang_of(request))
    return _respond(request, data, format, lambda: map_rows(data, t["dl_unassigned"]),
                    f"map-{parent}-{indicator}-{data['as_of']}",
                    title=f"{data['parent']['name']} · {t.get(indicator, indicator)}",
                    meta=_meta(data, data["parent"]["name"], data["parent"]["code"]))


@router.get("/api/regions/{code}/enterprises", summary="A region's applicants: patents, valid and high-value "
                                                       "inventions, yearly trend")
def enterprises(request: Request, cursor: Cursor, code: str, industry: Industry = None, as_of: AsOf = None,
                format: Format = None,
                limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0) -> Response:
    """The first applicants of the region's patents, most patents first."""
    data = region_enterprises(cursor, code, industry or None, as_of or None, limit=limit, offset=offset)
    return _respond(request, data, format, lambda: enterprise_rows(data), f"enterprises-{code}-{data['as_of']}")


@router.get("/api/regions/{code}/placement", summary="How the region's patents are placed (county, township, by "
                                                    "method) and the applicants left unplaced")
def placement(request: Request, cursor: Cursor, code: str, format: Format = None,
              table: Annotated[Literal["by_method", "unplaced"], Query(description="with csv/xlsx")] = "by_method",
              limit: Annotated[int, Query(ge=1, le=1000)] = 1000) -> Response:
    """Patents placed to a county and to a township by method (directory, registration, address, name),
    and the applicants not placed to the next level with their patent counts: whom to add to the directory."""
    data = region_placement(cursor, code, limit=limit)
    return _respond(request, data, format, lambda: placement_rows(data, table), f"placement-{code}-{table}")


@router.get("/api/patents/{number}/high-value", summary="Which high-value criteria a patent meets, and why")
def patent_high_value(request: Request, cursor: Cursor, number: str, as_of: AsOf = None,
                      format: Format = None) -> Response:
    """For each of the five CNIPA criteria: met, not met or not judged (lack of data), with the reason."""
    data = explain(cursor, number, as_of or None)
    return _respond(request, data, format, lambda: data["criteria"], f"high-value-{data['application_number']}")
