"""The admin's import history: every file imported, its counts and what it carried (issue 8 §6)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from patentatlas.domain.accounts import require_role
from patentatlas.domain.imports import import_history
from patentatlas.web.auth import CurrentUser
from patentatlas.web.deps import Cursor
from patentatlas.web.render import render

router = APIRouter()


@router.get("/admin/imports", response_class=HTMLResponse, tags=["admin"],
            summary="Imports with their counts, coverage and warnings (admin; JSON with ?format=json)")
def imports_page(request: Request, cursor: Cursor, user: CurrentUser,
                 limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> Response:
    require_role(user, "admin")
    return render(request, "admin_imports.html", {"imports": import_history(cursor, limit)})
