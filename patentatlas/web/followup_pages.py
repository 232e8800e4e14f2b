"""The government end's follow-up (服务跟踪, issue 11 §7): the list behind each figure of the
region's fee warnings, the enterprise page for the office, and the shared follow-up log.

    GET  /warnings/regions/{code}/lists/{figure}   due_90 | in_grace | lapsed: by township, by enterprise,
                                                   every patent (?format=csv|xlsx&table=patents|by_township|
                                                   by_enterprise downloads one table)
    GET  /warnings/regions/{code}/followups        the open follow-ups of the region
    GET  /warnings/enterprises/{key}               an enterprise: contact, patents, fees at risk, the log
    POST /warnings/enterprises/{key}               log a follow-up: outcome, note

Each also under ``/api/…`` as JSON. Admins and the analysts of the region (or above) only;
responses are private, downloads and follow-ups audited.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from patentatlas.domain import followup
from patentatlas.domain.accounts import audit, require_region
from patentatlas.domain.indicators import resolve_region
from patentatlas.errors import UsageError, about
from patentatlas.i18n import message
from patentatlas.store import transaction
from patentatlas.web.auth import CurrentUser, client_ip
from patentatlas.web.deps import Cursor, Fields
from patentatlas.web.downloads import download_meta
from patentatlas.web.forms import answer, text
from patentatlas.web.i18n import translator
from patentatlas.web.regions_api import table_response
from patentatlas.web.render import jsonable, lang_of, render

router = APIRouter(tags=["warnings"])
PRIVATE = {"Cache-Control": "private, no-store"}
LIST_TABLES = ("patents", "by_township", "by_enterprise")
PATENT_COLUMNS = ("application_number", "title", "patent_type", "enterprise_name", "county_name", "township_name",
                  "patent_year", "due_date", "full_amount", "grace_period_end", "late_fee", "observed_on", "reason")
FEE_ONLY = ("patent_year", "due_date", "full_amount", "grace_period_end", "late_fee")
LAPSE_COLUMNS = ("observed_on", "reason")
TOWNSHIP_COLUMNS = ("township_name", "county_name", "patents", "enterprises", "fees")
ENTERPRISE_COLUMNS = ("enterprise_name", "county_name", "township_name", "patents", "fees", "late_fees",
                      "contact_person", "contact_phone", "last_outcome", "last_followup_at", "application_numbers")
Figure = Literal["due_90", "in_grace", "lapsed"]
Industry = Annotated[str | None, Query(description="strategic emerging industry code; empty = all")]
AsOf = Annotated[str | None, Query(description="the date, YYYY-MM-DD (default: the latest import's observation day)")]


def enterprise_link(key: str) -> str:
    """The enterprise page's address (the key may hold Chinese and parentheses)."""
    return "/warnings/enterprises/" + quote(key, safe=":")


def _private(response: Response) -> Response:
    response.headers.update(PRIVATE)
    return response


def list_page(cursor: Any, code: str, figure: str, industry: str | None, as_of: str | None) -> dict[str, Any]:
    data = followup.figure_list(cursor, code, figure, industry or None, as_of or None)
    for e in data["by_enterprise"]:
        e["link"] = enterprise_link(e["enterprise_key"])
    filters = {k: v for k, v in {"industry": industry, "as_of": as_of}.items() if v}
    base = f"/warnings/regions/{data['region']['code']}/lists/{figure}"
    data["downloads"] = {table: {fmt: f"{base}?{urlencode({**filters, 'format': fmt, 'table': table})}"
                                 for fmt in ("csv", "xlsx")} for table in LIST_TABLES}
    data["links"] = {"warnings": f"/warnings/regions/{data['region']['code']}"
                     + (f"?{urlencode(filters)}" if filters else ""),
                     "followups": f"/warnings/regions/{data['region']['code']}/followups"}
    return data


def table_columns(figure: str, table: str) -> list[str]:
    """The columns of one table of a figure's list (an empty list still has its header row)."""
    if table == "patents":
        lapsed = figure == "lapsed"
        return [c for c in PATENT_COLUMNS if (c in LAPSE_COLUMNS) == lapsed or c not in FEE_ONLY + LAPSE_COLUMNS]
    if table == "by_township":
        return list(TOWNSHIP_COLUMNS) if figure != "lapsed" else [c for c in TOWNSHIP_COLUMNS if c != "fees"]
    columns = list(ENTERPRISE_COLUMNS)
    return columns if figure != "lapsed" else [c for c in columns if c not in ("fees", "late_fees")]


def list_table(data: dict[str, Any], table: str) -> list[dict[str, Any]]:
    """One table of a figure's list, as the page shows it, for a download."""
    columns = table_columns(data["figure"], table)
    if table == "patents":
        return [{c: r[c] for c in columns} for r in data["patents"]]
    if table == "by_township":
        return [{c: r[c] for c in columns} for r in data["by_township"]]
    if table == "by_enterprise":
        return [{**{c: r.get(c) for c in columns},
                 "last_outcome": (r["last_followup"] or {}).get("outcome"),
                 "last_followup_at": (r["last_followup"] or {}).get("logged_at"),
                 "application_numbers": ";".join(r["application_numbers"])} for r in data["by_enterprise"]]
    raise UsageError(about("table", message("err_not_one_of", value=repr(table), choices=", ".join(LIST_TABLES))))


@router.get("/warnings/regions/{code}/lists/{figure}", response_class=HTMLResponse, tags=["pages"],
            summary="The list behind a figure of a region's fee warnings (due_90, in_grace, lapsed): by township, "
                    "by enterprise, every patent; CSV/XLSX with ?format=&table=")
@router.get("/api/warnings/regions/{code}/lists/{figure}",
            summary="The list behind a figure of a region's fee warnings (JSON; CSV/XLSX with ?format=&table=)")
def figure_list(request: Request, cursor: Cursor, user: CurrentUser, code: str, figure: Figure,
                industry: Industry = None, as_of: AsOf = None,
                format: Literal["json", "csv", "xlsx"] | None = None,
                table: Literal["patents", "by_township", "by_enterprise"] = "patents") -> Response:
    region = resolve_region(cursor, code)
    require_region(cursor, user, region["code"])
    data = list_page(cursor, region["code"], figure, industry, as_of)
    if format in ("csv", "xlsx"):
        audit(cursor, user.user_id, "warnings.export", region["code"],
              {"list": figure, "table": table, "format": format, "as_of": data["as_of"].isoformat()},
              ip=client_ip(request))
        name = f"warnings-{region['code']}-{figure}-{table}-{data['as_of'].isoformat()}"
        t = translator(lang_of(request))
        part = t["fl_" + table] if table != "patents" else t["fl_patents_list"]
        title = f"{data['region']['name']} · {t['fl_' + figure]} · {part}"
        return _private(table_response(list_table(data, table), format, name, title=title, meta=download_meta(data),
                                       columns=table_columns(figure, table), lang=lang_of(request)))
    data["lang"] = lang_of(request)
    return _private(render(request, "warning_list.html", data))


@router.get("/warnings/regions/{code}/followups", response_class=HTMLResponse, tags=["pages"],
            summary="The open follow-ups (called, promised) of a region's enterprises")
@router.get("/api/warnings/regions/{code}/followups", summary="The open follow-ups of a region (JSON)")
def open_followups(request: Request, cursor: Cursor, user: CurrentUser, code: str) -> Response:
    region = resolve_region(cursor, code)
    require_region(cursor, user, region["code"])
    rows = followup.open_followups(cursor, region["code"])
    for r in rows:
        r["link"] = enterprise_link(r["enterprise_key"])
    page = {"region": {k: region[k] for k in ("code", "name", "level")}, "followups": rows,
            "links": {"warnings": f"/warnings/regions/{region['code']}"}}
    return _private(render(request, "followups.html", page))


@router.get("/warnings/enterprises/{key:path}", response_class=HTMLResponse, tags=["pages"],
            summary="An enterprise for the office: contact, patents, fees at risk, warnings and follow-ups")
@router.get("/api/warnings/enterprises/{key:path}", summary="An enterprise for the office (JSON)")
def enterprise_page(request: Request, cursor: Cursor, user: CurrentUser, key: str, as_of: AsOf = None) -> Response:
    page = followup.enterprise_followup_page(cursor, user, key, as_of or None)
    page["links"] = {"self": enterprise_link(key), "warnings": f"/warnings/regions/{page['region']['code']}",
                     "followups": f"/warnings/regions/{page['region']['code']}/followups"}
    return _private(render(request, "followup_enterprise.html", page))


@router.post("/warnings/enterprises/{key:path}", include_in_schema=False)
@router.post("/api/warnings/enterprises/{key:path}", summary="Log a follow-up of an enterprise: outcome "
             "(called | promised | paid | gave_up), note")
def log_followup(request: Request, cursor: Cursor, user: CurrentUser, key: str, fields: Fields) -> Response:
    with transaction(cursor):
        logged = followup.log_followup(cursor, user, key, text(fields, "outcome"),
                                       text(fields, "note", required=False), ip=client_ip(request))
    return answer(request, jsonable(logged), enterprise_link(key) + "?done=logged#followups")
