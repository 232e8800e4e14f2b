"""Pages of the government end by industry: the 2021 strategic emerging industry (SEI) tree with
patent counts for a region, and each specialty industry database's dashboard.

Each page is one dict (``?format=json`` returns it, and so does its ``/api/`` twin) built from
:mod:`patentatlas.domain.industries`; every table and chart on a page downloads as CSV or XLSX
from the ``/api/`` route with ``?format=csv|xlsx&table=NAME``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote, urlencode

import duckdb
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from patentatlas.domain.accounts import audit, require_role
from patentatlas.domain.indicators import TYPES
from patentatlas.domain.industries import (
    NOT_JUDGED_NOTE,
    define_specialty,
    list_specialties,
    sei_tree,
    specialty_dashboard,
)
from patentatlas.errors import UsageError
from patentatlas.i18n import message
from patentatlas.web.auth import CurrentUser
from patentatlas.web.deps import Cursor, Fields
from patentatlas.web.forms import is_json, listed, set_flash, text
from patentatlas.web.regions_api import Format, table_response
from patentatlas.web.render import jsonable, lang_of, render

router = APIRouter()

TREE_TABLES = ("summary", "top_level", "tree", "specialties")
SPECIALTY_TABLES = ("definition", "by_year", "by_type", "by_status", "by_criterion", "top_applicants")
STATUSES = ("pending", "in_force", "lapsed")
SUMMARY_KEYS = ("patents", "sei_patents", "valid_inventions", "sei_valid_inventions", "not_judged", "judged_not_sei",
                "classified_from_main_ipc", "classified_from_source_label")


def _links(path: str, **params: Any) -> dict[str, str]:
    """The CSV and XLSX download addresses of one table."""
    kept = {k: v for k, v in params.items() if v not in (None, "")}
    return {fmt: f"{path}?{urlencode({**kept, 'format': fmt})}" for fmt in ("csv", "xlsx")}


def _joined(values: list[str] | None) -> str:
    return "; ".join(values or ())


# --------------------------------------------------------------------------- the SEI tree


def industries_page(conn: duckdb.DuckDBPyConnection, region: str | None = None,
                    as_of: str | None = None) -> dict[str, Any]:
    """The SEI tree with counts for a region's first applicants (all patents without a region),
    the nine first-level industries for the chart, and the specialty databases.

    >>> industries_page(conn, "330000")["tree"]["industries"][0]["code"]  # doctest: +SKIP
    '1'
    """
    tree = sei_tree(conn, region or None, as_of or None)
    filters = {"region": tree["region"]["code"] if tree["region"] else None, "as_of": as_of or None}
    return {
        "region": tree["region"],
        "filters": filters,
        "tree": tree,
        "top_level": top_level_rows(tree),
        "summary": [{"key": k, "value": tree[k]} for k in SUMMARY_KEYS],
        "specialties": list_specialties(conn),
        "province_choices": _provinces(conn),
        "map_region": tree["region"]["code"] if tree["region"] else "100000",
        "note": NOT_JUDGED_NOTE,
        "downloads": {table: _links("/api/industries", **filters, table=table) for table in TREE_TABLES},
    }


def _provinces(conn: duckdb.DuckDBPyConnection) -> list[dict[str, str]]:
    """The provinces the region field offers (any other 6- or 9-digit code may be typed)."""
    rows = conn.execute("SELECT code, name FROM regions WHERE level = 'province' ORDER BY code").fetchall()
    return [{"code": "100000", "name": "全国"}, *({"code": c, "name": n} for c, n in rows)]


def top_level_rows(tree: dict[str, Any]) -> list[dict[str, Any]]:
    """The nine first-level industries with their counts (the page's bar chart)."""
    return [{k: node[k] for k in ("code", "name", "patents", "valid_inventions")} for node in tree["industries"]]


def tree_rows(tree: dict[str, Any]) -> list[dict[str, Any]]:
    """The tree flattened: each first-level industry, then its second-level ones.

    >>> tree_rows({"industries": [{"code": "1", "name": "a", "level": "1", "patents": 2, "valid_inventions": 1,
    ...            "children": [{"code": "1.1", "name": "b", "level": "2", "patents": 2, "valid_inventions": 1}]}]})[1]
    {'code': '1.1', 'name': 'b', 'level': 2, 'parent_code': '1', 'patents': 2, 'valid_inventions': 1}
    """
    rows = []
    for node in tree["industries"]:
        for n in (node, *node.get("children", ())):
            rows.append({"code": n["code"], "name": n["name"], "level": int(n["level"]),
                         "parent_code": None if n is node else node["code"],
                         "patents": n["patents"], "valid_inventions": n["valid_inventions"]})
    return rows


def tree_table(page: dict[str, Any], table: str) -> list[dict[str, Any]]:
    """One table of the industries page, as rows for a download."""
    tree = page["tree"]
    if table == "summary":
        region = tree["region"] or {}
        head = [{"indicator": "region_code", "value": region.get("code")},
                {"indicator": "region_name", "value": region.get("name")},
                {"indicator": "as_of", "value": tree["as_of"]}, {"indicator": "data_date", "value": tree["data_date"]}]
        return head + [{"indicator": s["key"], "value": s["value"]} for s in page["summary"]]
    if table == "top_level":
        return page["top_level"]
    if table == "tree":
        return tree_rows(tree)
    return [{**{k: d[k] for k in ("db_id", "name", "version", "members")},
             **{k: _joined(d[k]) for k in ("ipc_codes", "keywords", "applicants")}, "created_at": d["created_at"]}
            for d in page["specialties"]]


# --------------------------------------------------------------------------- a specialty database


def specialty_page(conn: duckdb.DuckDBPyConnection, db_id: str) -> dict[str, Any]:
    """A specialty database's definition and members: by filing year (every year from the first
    to the last), type, status and matching criterion, and its top applicants.

    >>> specialty_page(conn, "vr")["dashboard"]["members"]  # doctest: +SKIP
    7813
    """
    dashboard = specialty_dashboard(conn, db_id)
    db_id = dashboard["db_id"]
    return {
        "dashboard": dashboard,
        "by_year": year_rows(dashboard["by_year"]),
        "by_type": _count_rows("patent_type", dashboard["by_type"], TYPES),
        "by_status": _count_rows("status", dashboard["by_status"], STATUSES),
        "by_criterion": _count_rows("criterion", dashboard["by_criterion"], ("ipc", "keyword", "applicant")),
        "downloads": {table: _links(f"/api/industries/specialty/{db_id}", table=table) for table in SPECIALTY_TABLES},
    }


def year_rows(by_year: dict[str, int]) -> list[dict[str, Any]]:
    """Members by filing year, a year without any a 0, members without a filing date last.

    >>> year_rows({"2016": 3, "2018": 1, "unknown": 2})
    [{'year': '2016', 'patents': 3}, {'year': '2017', 'patents': 0}, {'year': '2018', 'patents': 1}, \
{'year': 'unknown', 'patents': 2}]
    """
    years = [int(y) for y in by_year if y.isdigit()]
    span = range(min(years), max(years) + 1) if years else range(0)
    rows = [{"year": str(y), "patents": by_year.get(str(y), 0)} for y in span]
    return rows + [{"year": y, "patents": n} for y, n in by_year.items() if not y.isdigit()]


def _count_rows(key: str, counts: dict[str, int], order: tuple[str, ...]) -> list[dict[str, Any]]:
    """``counts`` as rows, the known keys first in their usual order (each shown, 0 if none)."""
    keys = [*order, *(k for k in counts if k not in order)]
    return [{key: k, "patents": counts.get(k, 0)} for k in keys]


def specialty_table(page: dict[str, Any], table: str) -> list[dict[str, Any]]:
    """One table of a specialty database's page, as rows for a download."""
    d = page["dashboard"]
    if table == "definition":  # each field named in the download's language
        return [{"field": message("specialty_created_at" if k == "created_at" else k),
                 "value": _joined(d[k]) if isinstance(d[k], list) else d[k]}
                for k in ("db_id", "name", "version", "created_at", "ipc_codes", "keywords", "applicants", "members")]
    if table == "top_applicants":
        return list(d["top_applicants"])
    if table == "by_criterion":  # how the members matched, in words
        return [{"matched_by": message(f"criterion_{r['criterion']}"), "patents": r["patents"]}
                for r in page[table]]
    return list(page[table])


# --------------------------------------------------------------------------- routes

Region = Annotated[str | None, Query(description="region code (6-digit adcode, 9-digit township, 100000 = China); "
                                                 "empty: every patent in the store")]
AsOf = Annotated[str | None, Query(description="statistics date YYYY-MM-DD (default: the store's data date)")]
TreeTable = Annotated[Literal["summary", "top_level", "tree", "specialties"],
                      Query(description="with csv/xlsx: which table (tree: every industry, flattened)")]
SpecialtyTable = Annotated[Literal["definition", "by_year", "by_type", "by_status", "by_criterion", "top_applicants"],
                           Query(description="with csv/xlsx: which table")]


def _respond(request: Request, page: dict[str, Any], fmt: str | None, rows: list[dict[str, Any]],
             name: str) -> Response:
    if fmt in (None, "json"):
        return JSONResponse(jsonable(page))
    return table_response(rows, fmt, name, lang=lang_of(request))


@router.get("/industries", response_class=HTMLResponse, tags=["pages"],
            summary="Strategic emerging industries with patent counts, and the specialty databases (JSON with "
                    "?format=json)")
def industries(request: Request, cursor: Cursor, region: Region = None, as_of: AsOf = None) -> Response:
    return render(request, "industries.html", industries_page(cursor, region, as_of))


@router.get("/industries/specialty/{db_id}", response_class=HTMLResponse, tags=["pages"],
            summary="A specialty industry database's dashboard (JSON with ?format=json)")
def specialty(request: Request, cursor: Cursor, db_id: str) -> Response:
    return render(request, "specialty.html", specialty_page(cursor, db_id))


@router.post("/industries/specialty", include_in_schema=False)
@router.post("/api/industries/specialty", tags=["industries"],
             summary="Define a specialty database or a new version of one (admins and analysts): db_id, name, "
                     "ipc_codes, keywords, applicants; its members are computed at once and after each import")
def define(request: Request, cursor: Cursor, user: CurrentUser, fields: Fields) -> Response:
    require_role(user, "admin", "analyst")
    try:
        definition = define_specialty(cursor, text(fields, "db_id"), text(fields, "name"),
                                      listed(fields, "ipc_codes"), listed(fields, "keywords"),
                                      listed(fields, "applicants"))
    except UsageError as exc:
        if is_json(request) or request.url.path.startswith("/api/"):
            raise
        page = industries_page(cursor) | {"form_error": exc.message, "form": fields}
        response = render(request, "industries.html", page)
        response.status_code = 400
        return response
    audit(cursor, user.user_id, "specialty.define", definition["db_id"], {"version": definition["version"]})
    if is_json(request) or request.url.path.startswith("/api/"):
        return JSONResponse(jsonable(definition))
    response = RedirectResponse(f"/industries/specialty/{quote(definition['db_id'])}", status_code=303)
    set_flash(response, "success", key="flash_specialty_saved")
    return response


@router.get("/api/industries", tags=["industries"],
            summary="The SEI tree with patents and valid inventions per industry for a region, and the specialty "
                    "databases")
def api_industries(request: Request, cursor: Cursor, region: Region = None, as_of: AsOf = None, format: Format = None,
                   table: TreeTable = "tree") -> Response:
    """Each patent counted once in every industry it belongs to (first-level: once however many of its
    second-level industries), by its first applicant's region; not-judged patents are counted apart."""
    page = industries_page(cursor, region, as_of)
    rows = tree_table(page, table) if format in ("csv", "xlsx") else []
    return _respond(request, page, format, rows, f"industries-{page['filters']['region'] or 'all'}-{table}-"
                                        f"{page['tree']['as_of']}")


@router.get("/api/industries/specialty/{db_id}", tags=["industries"],
            summary="A specialty industry database: definition, members by year, type, status and criterion, "
                    "top applicants")
def api_specialty(request: Request, cursor: Cursor, db_id: str, format: Format = None,
                  table: SpecialtyTable = "by_year") -> Response:
    """The latest version of the database's definition and its members, as matched after the last import."""
    page = specialty_page(cursor, db_id)
    rows = specialty_table(page, table) if format in ("csv", "xlsx") else []
    return _respond(request, page, format, rows, f"specialty-{page['dashboard']['db_id']}-{table}")
