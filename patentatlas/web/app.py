"""The FastAPI application: routes in one place; every page is a dict rendered as HTML or JSON."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import duckdb
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BeforeValidator, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from patentatlas.config import setting
from patentatlas.domain.accounts import require_enterprise, require_role
from patentatlas.domain.import_jobs import ImportJobs
from patentatlas.domain.patents import PatentFilter, get_patent, quarantine_rows, store_summary
from patentatlas.errors import AuthError, NotFoundError, PatentAtlasError, PayloadTooLargeError, UsageError
from patentatlas.i18n import message
from patentatlas.store import open_store
from patentatlas.store.version import DataVersion, versioned
from patentatlas.web import (
    account_pages,
    admin_imports,
    admin_quarantine,
    enterprise_pages,
    industries_pages,
    regions_api,
    regions_pages,
    scores_pages,
    search_pages,
    valuation_pages,
    warnings_gov,
)
from patentatlas.web.auth import CurrentUser
from patentatlas.web.deps import MAX_PAGE, Cursor
from patentatlas.web.forms import form_back, form_error, wants_json
from patentatlas.web.page_cache import PageCache
from patentatlas.web.pages import overview_page, patent_page
from patentatlas.web.render import jsonable, page_user, render, render_template
from patentatlas.web.scheduler import lifespan as scheduler_lifespan

HERE = Path(__file__).parent


def create_app(db_path: str | Path) -> FastAPI:
    """The app, owning the store at ``db_path`` for as long as it runs."""
    app = FastAPI(title="PatentAtlas", version="0.1.0", docs_url=None, redoc_url=None, lifespan=scheduler_lifespan,
                  description="Regional patent monitoring — JSON API behind every page.")
    app.state.data_version = DataVersion()  # moved on by every committed write through this connection
    app.state.conn = versioned(open_store(db_path), app.state.data_version)
    app.state.import_jobs = ImportJobs()  # an admin's uploads, imported by the server (one at a time)
    app.state.uploads = Path(f"{db_path}.uploads")  # where they are kept, beside the store
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.add_middleware(PageCache, version=app.state.data_version, conn=app.state.conn)
    app.add_middleware(BodyLimit)
    app.add_middleware(SecurityHeaders)
    app.add_exception_handler(PatentAtlasError, _error_handler)  # type: ignore[arg-type]
    # FastAPI's own errors (bad query values, unknown paths) get the same shape as ours
    app.add_exception_handler(RequestValidationError, _validation_handler)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http_handler)  # type: ignore[arg-type]
    # a date past 9999 or a number past the store's columns, from any route: the client's value, a 400
    for kind in (OverflowError, duckdb.ConversionException, duckdb.OutOfRangeException):
        app.add_exception_handler(kind, _out_of_range_handler)
    _routes(app)
    app.include_router(regions_api.router)
    app.include_router(regions_pages.router)
    app.include_router(industries_pages.router)
    app.include_router(scores_pages.router)
    app.include_router(account_pages.router)
    app.include_router(enterprise_pages.router)
    app.include_router(warnings_gov.router)
    app.include_router(admin_imports.router)
    app.include_router(admin_quarantine.router)
    app.include_router(search_pages.router)
    app.include_router(valuation_pages.router)
    return app




# Everything comes from this server (ECharts and Swagger UI are served by us): the browser is told
# so, and refuses any other source; no script runs unless it is one of our files (no inline script,
# no onclick=: Swagger UI's one inline script carries a nonce made for its response); no page may
# be framed by another site.
CSP = ("default-src 'self'; script-src 'self'{nonce}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'; object-src 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP.format(nonce=""),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


class SecurityHeaders:
    """Adds :data:`SECURITY_HEADERS` to every response that has not set its own (plain ASGI: no
    task group between the route and the body it reads, unlike ``@app.middleware``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *(
                    (name.lower().encode(), value.encode()) for name, value in SECURITY_HEADERS.items()
                    if name.lower().encode() not in present)]
            await send(message)

        await self.app(scope, receive, with_headers)


class BodyLimit:
    """Every request body stops at ``max_request_mb``: refused at once from its Content-Length, or
    as it arrives (a chunked body), with 413 in the one error shape — memory and disk never fill."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit_mb = int(setting("max_request_mb"))
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit_mb << 20:
            request = Request(scope, receive)
            await (await _error_handler(request, _too_large(int(declared), limit_mb)))(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit_mb << 20:
                raise _too_large(received, limit_mb)  # in the route's read: answered by the error handler
            return message

        await self.app(scope, limited, send)


def _too_large(size: int, limit_mb: int) -> PayloadTooLargeError:
    return PayloadTooLargeError(message("err_body_too_large", size=f"{size / (1 << 20):,.1f}", limit=limit_mb))


def _with_nonce(page: HTMLResponse) -> HTMLResponse:
    """The page with a fresh nonce on each inline ``<script>``, and a CSP that allows only those."""
    nonce = secrets.token_urlsafe(18)
    html = bytes(page.body).decode("utf-8").replace("<script>", f'<script nonce="{nonce}">')
    return HTMLResponse(html, headers={"Content-Security-Policy": CSP.format(nonce=f" 'nonce-{nonce}'")})


def _blank_to_none(value: Any) -> Any:
    return None if value == "" else value  # a form's empty field is sent as ``year=``


Year = Annotated[Annotated[int, Field(ge=1900, le=2100)] | None, BeforeValidator(_blank_to_none), Query()]


async def _validation_handler(request: Request, exc: RequestValidationError) -> Response:
    problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:]) or e['loc'][0]}: {e['msg']}"
                         for e in exc.errors())
    return await _error_handler(request, UsageError(message("err_invalid_request", problems=problems)))


async def _out_of_range_handler(request: Request, exc: Exception) -> Response:
    detail = str(exc).split("\n")[0].removeprefix("Conversion Error: ").removeprefix("Out of Range Error: ")
    return await _error_handler(request, UsageError(message("err_out_of_range", detail=detail[:300])))


async def _http_handler(request: Request, exc: HTTPException) -> Response:
    if exc.status_code == 404:
        error: PatentAtlasError = NotFoundError(message("err_no_such_page", path=request.url.path))
    else:
        error = PatentAtlasError(str(exc.detail))
        error.status_code = exc.status_code
    return await _error_handler(request, error)


async def _error_handler(request: Request, exc: PatentAtlasError) -> Response:
    if wants_json(request):
        return JSONResponse(exc.to_dict(), status_code=exc.status_code)
    if type(exc) is AuthError and request.method == "GET":  # a page that needs a session: sign in first
        return RedirectResponse(f"/sign-in?{urlencode({'next': request.url.path})}", status_code=303)
    if exc.status_code < 500 and (back := form_back(request)) is not None:  # a form's error: beside its field
        return await form_error(request, back, exc)
    # the page names the signed-in user (a store query): off the event loop, as every route's work
    return await run_in_threadpool(render_template, request, "error.html",
                                   {"error": {**exc.to_dict(), "message": exc.message}, "query": {}},
                                   exc.status_code)


def _is_admin(request: Request) -> bool:
    user = page_user(request)
    return user is not None and user.role == "admin"


def _filter(q: str | None, patent_type: str | None, status: str | None, province: str | None,
            year: int | None, page: int, per_page: int) -> PatentFilter:
    return PatentFilter(q=q or None, patent_type=patent_type or None, status=status or None,
                        province_code=province or None, year=year, page=page, per_page=per_page)


def _routes(app: FastAPI) -> None:
    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        # Swagger UI from our own static folder (installed from npm): intranets have no CDN
        return _with_nonce(get_swagger_ui_html(openapi_url="/openapi.json", title="PatentAtlas API",
                                   swagger_js_url="/static/swagger-ui-bundle.js",
                                   swagger_css_url="/static/swagger-ui.css",
                                   swagger_favicon_url="/static/favicon.svg",
                                   swagger_ui_parameters={"validatorUrl": None}))  # no call out

    @app.get("/", response_class=HTMLResponse,
             summary="Home: the overview of the office's region (setting home_region), as /regions/{code}")
    def home(request: Request, cursor: Cursor, indicator: regions_pages.Indicator = None,
             industry: regions_pages.Industry = None, as_of: regions_pages.AsOf = None) -> Response:
        return regions_pages.region_overview(request, cursor, setting("home_region"), indicator, industry, as_of)

    @app.get("/patents", response_class=HTMLResponse, summary="The patent list (HTML, or JSON with ?format=json)")
    def overview(request: Request, cursor: Cursor, q: str | None = None, type: str | None = None,
                 status: str | None = None, province: str | None = None,
                 year: Year = None,
                 page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1) -> Response:
        flt = _filter(q, type, status, province, year, page, 50)
        return render(request, "overview.html", overview_page(cursor, flt, _is_admin(request)))

    @app.get("/patents/{number}", response_class=HTMLResponse,
             summary="One patent's page: industries, high-value criteria, legal events, family, citations, fees")
    def patent(request: Request, cursor: Cursor, number: str, as_of: regions_pages.AsOf = None) -> Response:
        return render(request, "patent.html", patent_page(cursor, number, page_user(request), as_of))

    @app.get("/api/overview", summary="The patent list's data (the quarantine count for admins only)")
    def api_overview(request: Request, cursor: Cursor, q: str | None = None, type: str | None = None,
                     status: str | None = None, province: str | None = None,
                     year: Year = None,
                     page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
                     per_page: Annotated[int, Query(ge=1, le=500)] = 50) -> Any:
        flt = _filter(q, type, status, province, year, page, per_page)
        return jsonable(overview_page(cursor, flt, _is_admin(request)))

    @app.get("/api/summary", summary="Counts by type, status, filing year, province")
    def api_summary(cursor: Cursor) -> Any:
        return store_summary(cursor)

    @app.get("/api/patents/{number}", summary="One patent by application number")
    def api_patent(cursor: Cursor, number: str) -> Any:
        return jsonable(get_patent(cursor, number))

    @app.get("/api/quarantine", summary="Rejected rows with file, row, field, reason (English) and the reason's "
                                        "msgid as reason_code (admins)")
    def api_quarantine(cursor: Cursor, user: CurrentUser, file: str | None = None,
                       limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> Any:
        require_role(user, "admin")  # raw rows of every import, payment lists included
        return quarantine_rows(cursor, file, limit, codes=True)

    @app.get("/api/enterprises/{eid}/quarantine", tags=["enterprise end"],
             summary="The rejected rows of the enterprise's own payment lists (its users and admins)")
    def api_enterprise_quarantine(cursor: Cursor, user: CurrentUser, eid: int, file: str | None = None,
                                  limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> Any:
        require_enterprise(user, eid)
        return quarantine_rows(cursor, file, limit, enterprise_id=eid)
