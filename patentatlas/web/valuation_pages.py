"""Pledge valuations at the web edge (issue 13 §2): the cases of an enterprise and of the office, each
case's report as a page, as JSON and as a PDF (WeasyPrint), and the changes that make new versions.

    GET  /api/valuations                        the office's cases (admins; analysts: their region's)
    GET  /api/enterprises/{eid}/valuations      an enterprise's cases (its users; admins)
    POST /api/valuations                        a new case: the enterprise's, or the office's
    GET  /api/valuations/{case_id}[?version=N]  the case as saved, with its history
    POST /api/valuations/{case_id}              a new version with the inputs sent
    GET  /api/valuations/{case_id}/report.pdf   the report as a PDF

The same paths without ``/api`` are the pages (forms carry the CSRF token; a save returns to the case).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import duckdb
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from patentatlas.domain import valuation_cases as cases
from patentatlas.domain.accounts import User, audit
from patentatlas.domain.enterprises import get_enterprise
from patentatlas.i18n import language
from patentatlas.store import transaction
from patentatlas.web.auth import CurrentUser
from patentatlas.web.deps import Cursor, Fields
from patentatlas.web.forms import text, wants_json
from patentatlas.web.render import jsonable, lang_of, render, templates

router = APIRouter(tags=["valuations"])
PRINT_CSS = Path(__file__).parent / "static" / "valuation_print.css"
Version = Annotated[int | None, Query(ge=1, le=1_000_000, description="a saved version (default: the latest)")]


def case_page(cursor: duckdb.DuckDBPyConnection, user: User, case_id: int,
              version: int | None = None) -> dict[str, Any]:
    """The case with its report's links and the fields of the change form."""
    case = cases.get_case(cursor, user, case_id, version)
    suffix = f"?version={case['version']}" if version else ""
    return case | {"inputs_order": list(cases.INPUTS),
                   "links": {"pdf": f"/valuations/{case_id}/report.pdf{suffix}", "json": f"/api/valuations/{case_id}"
                             f"{suffix}", "list": _list_link(case["owner"])}}


def _list_link(owner: dict[str, Any]) -> str:
    return f"/enterprises/{owner['enterprise_id']}/valuations" if owner["enterprise_id"] else "/valuations"


def _saved(request: Request, case: dict[str, Any], status_code: int) -> Response:
    if wants_json(request):
        return JSONResponse(jsonable(case), status_code=status_code)
    return RedirectResponse(f"/valuations/{case['case_id']}", status_code=303)


@router.get("/valuations", response_class=HTMLResponse, include_in_schema=False)
@router.get("/api/valuations", summary="The office's valuation cases (admins; analysts: of their region)")
def office_cases(request: Request, cursor: Cursor, user: CurrentUser) -> Response:
    if user.role == "enterprise" and not wants_json(request):
        return RedirectResponse(f"/enterprises/{user.enterprise_id}/valuations", status_code=303)
    page = {"owner": {"kind": "office", "enterprise_id": None, "name": None},
            "cases": cases.list_cases(cursor, user), "may_create": True, "inputs_order": list(cases.INPUTS)}
    return render(request, "valuations.html", page)


@router.get("/enterprises/{eid}/valuations", response_class=HTMLResponse, include_in_schema=False)
@router.get("/api/enterprises/{eid}/valuations", summary="An enterprise's valuation cases (its users; admins)")
def enterprise_cases(request: Request, cursor: Cursor, user: CurrentUser, eid: int) -> Response:
    listed = cases.list_cases(cursor, user, eid)  # refuses another enterprise before anything is read
    page = {"owner": {"kind": "enterprise", "enterprise_id": eid, "name": get_enterprise(cursor, eid)["name"]},
            "cases": listed, "may_create": user.enterprise_id == eid, "inputs_order": list(cases.INPUTS)}
    return render(request, "valuations.html", page)


@router.post("/valuations", include_in_schema=False)
@router.post("/api/valuations", summary="A new valuation case: title, patents and the inputs "
                                        "(an enterprise user's belongs to her enterprise, else to the office)")
def create(request: Request, cursor: Cursor, user: CurrentUser, fields: Fields) -> Response:
    title, sent = text(fields, "title"), cases.case_inputs(fields)
    with transaction(cursor):
        case = cases.create_case(cursor, user, title, sent)
        audit(cursor, user.user_id, "valuation.create", str(case["case_id"]), {"inputs": sorted(sent)})
    return _saved(request, case, 201)


@router.get("/valuations/{case_id}", response_class=HTMLResponse, include_in_schema=False)
@router.get("/api/valuations/{case_id}", summary="A valuation case as saved: inputs with who supplied them, "
                                                  "the income, market and cost approaches, indicator scores, history")
def read(request: Request, cursor: Cursor, user: CurrentUser, case_id: int, version: Version = None) -> Response:
    return render(request, "valuation.html", case_page(cursor, user, case_id, version))


@router.post("/valuations/{case_id}", include_in_schema=False)
@router.post("/api/valuations/{case_id}", summary="Change a case's inputs (only those sent): a new version")
def update(request: Request, cursor: Cursor, user: CurrentUser, case_id: int, fields: Fields) -> Response:
    sent = cases.case_inputs(fields)
    with transaction(cursor):
        case = cases.update_case(cursor, user, case_id, sent)
        audit(cursor, user.user_id, "valuation.update", str(case_id),
              {"version": case["version"], "changed": case["history"][-1]["changed"]})
    return _saved(request, case, 200)


@router.get("/valuations/{case_id}/report.pdf", include_in_schema=False)
@router.get("/api/valuations/{case_id}/report.pdf", response_class=Response,
            summary="The case's report as a PDF (Chinese unless ?lang=en)")
def report_pdf(request: Request, cursor: Cursor, user: CurrentUser, case_id: int, version: Version = None) -> Response:
    page = case_page(cursor, user, case_id, version)
    pdf = render_pdf(page, lang_of(request))
    name = f"valuation-{case_id}-v{page['version']}.pdf"
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'})


def render_pdf(page: dict[str, Any], lang: str = "zh") -> bytes:
    """The report of a case page as a PDF: the report template, the print stylesheet, a CJK font."""
    from weasyprint import CSS, HTML  # a second's import: only when a PDF is asked for

    with language(lang):
        html = templates.env.get_template("valuation_print.html").render(page=page, lang=lang)
    document = HTML(string=html, url_fetcher=_fetch_nothing)
    return bytes(document.write_pdf(stylesheets=[CSS(filename=str(PRINT_CSS))]))


def _fetch_nothing(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """The report needs nothing from outside it: a link a user typed into an input is never fetched."""
    raise ValueError(f"the PDF report fetches nothing ({url[:80]})")
