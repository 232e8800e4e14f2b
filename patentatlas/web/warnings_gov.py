"""The government end of the fee warnings (issue 4 §5): a region's page and its JSON API, each
table also a CSV or XLSX download.

    GET /warnings/regions/{code}        the page (JSON with ?format=json)
    GET /api/warnings/regions/{code}    ?industry=&as_of=&format=json|csv|xlsx&table=…

This is private government data: a signed-in admin, or an analyst whose region is ``code`` or
contains it (401 signed out, 403 for a region outside the analyst's). Responses are marked
``Cache-Control: private, no-store``; every download is written to the audit log.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import duckdb
from fastapi import APIRouter, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, JSONResponse, Response

from patentatlas.domain.accounts import User, audit, may_see_region, require_region
from patentatlas.domain.fee_watch import ENTERPRISE_LIMIT, TABLES, region_warning_summary, warning_table
from patentatlas.domain.indicators import region_ancestors, resolve_region
from patentatlas.store.export import EXCEL_MAX_ROWS
from patentatlas.web.auth import CurrentUser, client_ip
from patentatlas.web.deps import Cursor
from patentatlas.web.downloads import download_meta
from patentatlas.web.followup_pages import enterprise_link
from patentatlas.web.followup_pages import router as followup_router
from patentatlas.web.i18n import translator
from patentatlas.web.regions_api import table_response
from patentatlas.web.regions_pages import industry_choices
from patentatlas.web.render import lang_of, render

router = APIRouter(tags=["warnings"])
router.include_router(followup_router)  # the lists behind the figures, enterprise pages, the follow-up log

PRIVATE = {"Cache-Control": "private, no-store"}
Industry = Annotated[str | None, Query(description="2021 strategic emerging industry code (1, 1.4); empty = all")]
AsOf = Annotated[str | None, Query(description="the date, YYYY-MM-DD (default: the day the latest import's data "
                                               "was observed); the quarter is the one holding it")]
Table = Annotated[Literal[TABLES] | None,  # type: ignore[valid-type]
                  Query(description="with csv/xlsx, the table to download: " + ", ".join(TABLES))]
Limit = Annotated[int, Query(ge=1, le=1000, description="the most entering-grace patents and enterprises listed")]


def allowed(conn: duckdb.DuckDBPyConnection, user: User, code: str) -> dict[str, Any]:
    """The region, if ``user`` may read its warnings (404 unknown region, 403 another region)."""
    region = resolve_region(conn, code)
    require_region(conn, user, region["code"])
    return region


def _ancestors(conn: duckdb.DuckDBPyConnection, region: dict[str, Any], user: User) -> list[dict[str, Any]]:
    """The breadcrumb; ``allowed`` says whether the user may open each region's warnings."""
    return [{**a, "allowed": may_see_region(conn, user, a["code"])} for a in region_ancestors(conn, region)]


def _link(path: str, **params: Any) -> str:
    kept = {k: v for k, v in params.items() if v not in (None, "")}
    return path + ("?" + urlencode(kept) if kept else "")


def warnings_page(conn: duckdb.DuckDBPyConnection, user: User, code: str, industry: str | None = None,
                  as_of: str | None = None) -> dict[str, Any]:
    """The page's dict: the summary, the breadcrumb, the filters and a download link per table."""
    data = region_warning_summary(conn, code, industry or None, as_of or None)
    region = resolve_region(conn, data["region"]["code"])
    filters = {"industry": industry or None, "as_of": as_of or None}
    api = f"/api/warnings/regions/{region['code']}"
    children = [{**c, "allowed": c["code"] is not None and may_see_region(conn, user, c["code"])}
                for c in data["entering_grace"]["by_child_region"]]
    callees = data["enterprises_to_call"]
    return {
        **data,
        "entering_grace": {**data["entering_grace"], "by_child_region": children},
        "enterprises_to_call": {**callees, "enterprises": [
            {**e, "link": enterprise_link(e["enterprise_key"]) if e.get("enterprise_key") else None}
            for e in callees["enterprises"]]},
        "lists": {figure: _link(f"/warnings/regions/{region['code']}/lists/{figure}", **filters)
                  for figure in ("due_90", "in_grace", "lapsed")},
        "followups_link": f"/warnings/regions/{region['code']}/followups",
        "ancestors": _ancestors(conn, region, user),
        "filters": filters,
        "industry_choices": industry_choices(conn),
        "links": {"region": _link(f"/regions/{region['code']}", **filters), "json": _link(api, **filters)},
        "downloads": {table: {fmt: _link(api, **filters, format=fmt, table=table) for fmt in ("csv", "xlsx")}
                      for table in TABLES},
    }


TABLE_WORDS = {"entering_grace": "gw_entering_grace_list", "entering_grace_by_region": "gw_entering_grace",
               "entering_grace_by_industry": "gw_entering_grace", "lapses_by_town": "gw_lapses_by_town",
               "lapses_by_county": "gw_lapses_by_county", "enterprises_to_call": "gw_enterprises_to_call"}
# the header row of a table with no rows (what warning_table gives when there are some)
EMPTY_COLUMNS = {
    "entering_grace": ("application_number", "title", "patent_type", "first_applicant", "county_code",
                       "filing_date", "grant_date", "patent_year", "due_date", "full_amount", "grace_period_end",
                       "late_fee", "child_name", "child_region_code", "sei_codes"),
    "lapses_by_town": ("township_code", "township_name", "county_code", "county_name", "lapsed", "lapsed_inventions",
                       "application_numbers"),
    "lapses_by_county": ("county_code", "county_name", "lapsed", "lapsed_inventions"),
    "enterprises_to_call": ("rank", "name", "county_code", "county_name", "patents_in_grace", "inventions_in_grace",
                            "fell_due_this_quarter", "fees_at_risk", "late_fees_today", "earliest_grace_end",
                            "application_numbers"),
}


def _private(response: Response) -> Response:
    response.headers.update(PRIVATE)
    return response


@router.get("/warnings/regions/{code}", response_class=HTMLResponse, tags=["pages"],
            summary="A region's fee warnings: grace periods this quarter, lapses by township, enterprises to call "
                    "(JSON with ?format=json; admins and the region's analysts)")
def warnings_region_page(request: Request, cursor: Cursor, user: CurrentUser, code: str, industry: Industry = None,
                         as_of: AsOf = None) -> Response:
    allowed(cursor, user, code)
    return _private(render(request, "region_warnings.html", warnings_page(cursor, user, code, industry, as_of)))


@router.get("/api/warnings/regions/{code}", summary="A region's fee warnings (admins and the region's analysts)")
def warnings_region_api(request: Request, cursor: Cursor, user: CurrentUser, code: str, industry: Industry = None,
                        as_of: AsOf = None,
                        format: Annotated[Literal["json", "csv", "xlsx"] | None,
                                          Query(description="json (default), or a download: csv or xlsx")] = None,
                        table: Table = None, limit: Limit = ENTERPRISE_LIMIT) -> Response:
    """Valid inventions entering the grace period this quarter (count, full fees at risk, by child
    region and by top-level strategic emerging industry), fees due in the next 90 days, patents seen
    lapsing this quarter by the first applicant's township and county, and the enterprises to call;
    each patent counted once, by its first applicant's region. With ``format=csv|xlsx``, ``table``
    (default entering_grace) downloads one table in full."""
    region = allowed(cursor, user, code)
    if format in ("csv", "xlsx"):
        name = table or "entering_grace"
        data = region_warning_summary(cursor, region["code"], industry or None, as_of or None, limit=EXCEL_MAX_ROWS)
        audit(cursor, user.user_id, "warnings.export", region["code"],
              {"table": name, "format": format, "industry": industry or None, "as_of": data["as_of"].isoformat()},
              ip=client_ip(request))
        t = translator(lang_of(request))
        rows = warning_table(data, name)
        response = table_response(rows, format, f"warnings-{region['code']}-{name}-{data['as_of'].isoformat()}",
                                  title=f"{data['region']['name']} · {t.get(TABLE_WORDS[name], name)}",
                                  meta=download_meta(data), columns=None if rows else EMPTY_COLUMNS.get(name),
                                  lang=lang_of(request))
        return _private(response)
    data = region_warning_summary(cursor, region["code"], industry or None, as_of or None, limit=limit)
    return _private(JSONResponse(jsonable_encoder(data)))
