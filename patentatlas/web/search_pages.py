"""The search page (/search) and its API (/api/search…): one dict per page, as HTML or JSON.

The header's search box sends its text to /search: a number of one patent (application or
publication, any written form) opens that patent; anything else shows the results.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote, urlencode

import duckdb
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from patentatlas.errors import UsageError, about
from patentatlas.i18n import message
from patentatlas.search.analysis import TABLES, analyse, analysis_table, charts_of
from patentatlas.search.engine import FACETS, MAX_LIMIT, MAX_OFFSET, SORTS, SearchOptions, search
from patentatlas.search.index import open_index
from patentatlas.search.lookup import patent_for_number
from patentatlas.search.query import FIELDS
from patentatlas.search.saved import FILTER_KEYS, delete_saved_search, save_search, saved_searches
from patentatlas.search.similar import similar_patents
from patentatlas.web.auth import CurrentUser
from patentatlas.web.deps import Cursor, Fields
from patentatlas.web.forms import set_flash, text
from patentatlas.web.regions_api import table_response
from patentatlas.web.render import jsonable, lang_of, page_user, render

router = APIRouter()
PER_PAGE = 20
MAX_PAGES = MAX_OFFSET // PER_PAGE
Year = Annotated[int | None, Query(ge=1900, le=2100)]
Sort = Literal["relevance", "date", "date_asc", "cited", "value"]
PatentType = Literal["", "invention", "utility_model", "design"]
Status = Literal["", "pending", "in_force", "lapsed"]


def _options(region: str | None, industry: str | None, type_: str | None, status: str | None,
             year_from: int | None, year_to: int | None, sort: str = "relevance", limit: int = PER_PAGE,
             offset: int = 0) -> SearchOptions:
    return SearchOptions(region=region or None, industry=industry or None, patent_type=type_ or None,
                         status=status or None, year_from=year_from, year_to=year_to, sort=sort, limit=limit,
                         offset=offset)


def search_page(conn: duckdb.DuckDBPyConnection, q: str, options: SearchOptions, page: int,
                user_id: int | None = None) -> dict[str, Any]:
    """The results (or, with nothing asked, the syntax alone), the result set's charts (filings by
    year, top applicants, top IPC subclasses), the links of the page, and the saved searches of
    ``user_id`` (an enterprise user, who may save this one)."""
    data: dict[str, Any] = {"q": q, "page": page, "per_page": options.limit, "filters": options.filters(),
                            "sort": options.sort, "sorts": list(SORTS), "fields": sorted(set(FIELDS.values())),
                            "result": None, "error": None, "charts": None,
                            "saved": None if user_id is None else [
                                s | {"href": "/search?" + urlencode({"q": s["query"], **s["filters"]})}
                                for s in saved_searches(conn, user_id)]}
    if not q.strip() and not options.filters():
        return data
    try:
        data["result"] = search(conn, q, SearchOptions(**{**vars(options), "facet_names": tuple(FACETS)}))
    except UsageError as exc:
        data["error"] = exc.message
        return data
    data["charts"] = charts_of(data["result"]["facets"])
    params = {"q": q, **options.filters(), "sort": options.sort}
    data["links"] = {
        "json": "/api/search?" + urlencode(params),
        "analysis": "/api/search/analysis?" + urlencode(params),
        "xlsx": {t: "/api/search/analysis?" + urlencode({**params, "format": "xlsx", "table": t}) for t in TABLES},
    }
    return data


def ready(request: Request, cursor: duckdb.DuckDBPyConnection) -> None:
    """The index open (a large store's first search starts building it in the background: 503 meanwhile)."""
    open_index(cursor, background=request.app.state.conn)


def _whole(fields: dict[str, Any], name: str) -> int | None:
    """A whole-number field (JSON numbers arrive as their text), or None when not given."""
    value = text(fields, name, required=False)
    if not value:
        return None
    if not value.isdigit() or len(value) > 9:
        raise UsageError(about(name, message("err_whole_number", value=repr(value[:20]))))
    return int(value)


@router.get("/search", response_class=HTMLResponse, summary="The search page (HTML, or JSON with ?format=json)")
def search_html(request: Request, cursor: Cursor, q: Annotated[str, Query(max_length=20_000)] = "",
                region: str | None = None, industry: str | None = None, type: PatentType = "",
                status: Status = "", year_from: Year = None, year_to: Year = None, sort: Sort = "relevance",
                page: Annotated[int, Query(ge=1, le=MAX_PAGES)] = 1) -> Response:
    ready(request, cursor)
    number = patent_for_number(cursor, q) if q and page == 1 else None
    if number and request.query_params.get("format") != "json":
        return RedirectResponse(f"/patents/{quote(number)}", status_code=303)
    options = _options(region, industry, type, status, year_from, year_to, sort, PER_PAGE, (page - 1) * PER_PAGE)
    user = page_user(request)
    saver = user.user_id if user is not None and user.role == "enterprise" else None
    return render(request, "search.html", search_page(cursor, q, options, page, saver))


@router.post("/search/save", include_in_schema=False)
def save_html(request: Request, cursor: Cursor, user: CurrentUser, fields: Fields) -> Response:
    """The page's "save this search" button: saved, then back to the same results with a message."""
    query = text(fields, "q", required=False)
    filters = {k: text(fields, k, required=False) for k in FILTER_KEYS}
    response = RedirectResponse("/search?" + urlencode({"q": query, **{k: v for k, v in filters.items() if v}}),
                                status_code=303)
    try:
        save_search(cursor, user.user_id, text(fields, "name", required=False), query, filters)
    except UsageError as exc:
        set_flash(response, "error", message=exc.message, field="name", values=fields, form="/search/save")
        return response
    set_flash(response, "success", key="flash_search_saved")
    return response


@router.get("/api/search", tags=["search"], summary="Search: {total, hits, facets, notices}")
def api_search(request: Request, cursor: Cursor, q: Annotated[str, Query(max_length=20_000)] = "",
               region: str | None = None, industry: str | None = None, type: PatentType = "", status: Status = "",
               year_from: Year = None,
               year_to: Year = None, sort: Sort = "relevance",
               limit: Annotated[int, Query(ge=0, le=MAX_LIMIT)] = PER_PAGE,
               offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0) -> Any:
    ready(request, cursor)
    result = search(cursor, q, _options(region, industry, type, status, year_from, year_to, sort, limit, offset))
    result["patent"] = patent_for_number(cursor, q) if q else None  # the one patent a number names
    return jsonable(result)


@router.post("/api/search", tags=["search"],
             summary="Search with the query in a JSON body ({q, region, …, limit, offset}): for a pasted paragraph")
def api_search_post(request: Request, cursor: Cursor, fields: Fields) -> Any:
    ready(request, cursor)
    q = text(fields, "q", required=False)
    if len(q) > 20_000:
        raise UsageError(about("q", message("err_query_too_long", n=f"{len(q):,}")))
    values = {k: text(fields, k, required=False) or None for k in ("region", "industry", "type", "status", "sort")}
    numbers = {k: _whole(fields, k) for k in ("year_from", "year_to", "limit", "offset")}
    options = _options(values["region"], values["industry"], values["type"], values["status"], numbers["year_from"],
                       numbers["year_to"], values["sort"] or "relevance",
                       PER_PAGE if numbers["limit"] is None else numbers["limit"], numbers["offset"] or 0)
    return jsonable(search(cursor, q, options))


@router.get("/api/search/analysis", tags=["search"],
            summary="A result set's trend, applicants, IPC, regions and citation network (JSON, CSV or XLSX)")
def api_analysis(request: Request, cursor: Cursor, q: Annotated[str, Query(max_length=20_000)] = "",
                 region: str | None = None, industry: str | None = None, type: PatentType = "", status: Status = "",
               year_from: Year = None,
                 year_to: Year = None, sort: Sort = "relevance",
                 format: Literal["json", "csv", "xlsx"] = "json",
                 table: Literal["trend", "applicants", "ipc", "regions", "citations", "patents"] = "trend") -> Response:
    ready(request, cursor)
    data = jsonable(analyse(cursor, q, _options(region, industry, type, status, year_from, year_to, sort)))
    if format == "json":
        return JSONResponse(data)
    return table_response(analysis_table(data, table), format, f"search-{table}", lang=lang_of(request))


@router.get("/api/patents/{number}/similar", tags=["search"], summary="The patents most like this one, and why")
def api_similar_patent(request: Request, cursor: Cursor, number: str,
                       limit: Annotated[int, Query(ge=1, le=100)] = 10) -> Any:
    ready(request, cursor)
    return jsonable(similar_patents(cursor, number=number, limit=limit))


@router.post("/api/search/similar", tags=["search"], summary="The patents most like a pasted paragraph ({text})")
def api_similar_text(request: Request, cursor: Cursor, fields: Fields) -> Any:
    ready(request, cursor)
    limit = _whole(fields, "limit")
    return jsonable(similar_patents(cursor, text=text(fields, "text"), limit=10 if limit is None else limit))


@router.get("/api/saved-searches", tags=["search"], summary="The signed-in user's saved searches")
def api_saved(cursor: Cursor, user: CurrentUser) -> Any:
    return jsonable(saved_searches(cursor, user.user_id))


@router.post("/api/saved-searches", tags=["search"],
             summary="Save a search ({name, q, region, industry, type, status, year_from, year_to})")
def api_save(cursor: Cursor, user: CurrentUser, fields: Fields) -> Any:
    query = text(fields, "q", required=False)
    filters = {k: fields.get(k) for k in ("region", "industry", "type", "status", "year_from", "year_to")}
    sid = save_search(cursor, user.user_id, text(fields, "name", required=False), query, filters)
    return {"id": sid}


@router.delete("/api/saved-searches/{sid}", tags=["search"], summary="Delete one of your saved searches")
def api_delete_saved(cursor: Cursor, user: CurrentUser, sid: int) -> Any:
    delete_saved_search(cursor, user.user_id, sid)
    return {"deleted": sid}
