"""The office's approvals: enterprises that signed themselves up (with the evidence to judge them)
and custody requests for patents none of an enterprise's names applied for.

Admins see every one; an analyst sees those of enterprises in her region. The page is also JSON
at ``/api/approvals``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from patentatlas.domain import approvals
from patentatlas.domain.accounts import require_role
from patentatlas.store import transaction
from patentatlas.web.auth import CurrentUser
from patentatlas.web.deps import Cursor, Fields
from patentatlas.web.forms import answer, text
from patentatlas.web.render import render

router = APIRouter(tags=["approvals"])


def approvals_page(cursor: Any, user: Any) -> dict[str, Any]:
    return {"registrations": approvals.pending_registrations(cursor, user),
            "custody_requests": approvals.pending_custody_requests(cursor, user)}


@router.get("/approvals", response_class=HTMLResponse, summary="Registrations and custody requests to decide")
@router.get("/api/approvals", summary="Registrations (with evidence) and custody requests to decide (JSON)")
def approvals_list(request: Request, cursor: Cursor, user: CurrentUser) -> Response:
    require_role(user, "admin", "analyst")
    return render(request, "approvals.html", approvals_page(cursor, user))


@router.post("/approvals/enterprises/{eid}", include_in_schema=False)
@router.post("/api/approvals/enterprises/{eid}",
             summary="Verify or refuse a registration: decision approve|refuse, note (optional)")
def decide_registration(request: Request, cursor: Cursor, user: CurrentUser, eid: int, fields: Fields) -> Response:
    require_role(user, "admin", "analyst")
    with transaction(cursor):
        enterprise = approvals.decide_registration(cursor, user, eid, text(fields, "decision"),
                                                   text(fields, "note", required=False) or None)
    result = {"enterprise_id": eid, "name": enterprise["name"], "status": enterprise["status"]}
    return answer(request, result, "/approvals")


@router.post("/approvals/custody/{request_id}", include_in_schema=False)
@router.post("/api/approvals/custody/{request_id}",
             summary="Approve or refuse a custody request: decision approve|refuse, note (optional)")
def decide_custody(request: Request, cursor: Cursor, user: CurrentUser, request_id: int, fields: Fields) -> Response:
    require_role(user, "admin", "analyst")
    with transaction(cursor):
        result = approvals.decide_custody_request(cursor, user, request_id, text(fields, "decision"),
                                                  text(fields, "note", required=False) or None)
    return answer(request, result, "/approvals")
