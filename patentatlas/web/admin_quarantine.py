"""The admin's quarantine page (issue 11 §9): the rows the imports rejected, newest batch first,
filtered by file and batch, paged, each reason in the page's language; CSV and XLSX downloads of
the filtered rows (audited: the raw cells may be private, a payment list's receipts)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from patentatlas.domain.accounts import audit, require_role
from patentatlas.domain.quarantine import DOWNLOAD_COLUMNS, quarantine_page, quarantine_table
from patentatlas.errors import UsageError, about
from patentatlas.i18n import message
from patentatlas.web.auth import CurrentUser, client_ip
from patentatlas.web.deps import Cursor
from patentatlas.web.i18n import translator
from patentatlas.web.regions_api import table_response
from patentatlas.web.render import lang_of, render

router = APIRouter()


@router.get("/admin/quarantine", response_class=HTMLResponse, tags=["admin"],
            summary="The quarantined rows, newest batch first: ?file= (a file's name), ?batch=, ?page=; "
                    "JSON with ?format=json, the filtered rows as CSV/XLSX with ?format=csv|xlsx (admin)")
def quarantine(request: Request, cursor: Cursor, user: CurrentUser, file: str | None = None,
               format: Literal["json", "csv", "xlsx"] | None = None) -> Response:
    require_role(user, "admin")
    query = request.query_params
    batch = _number(query.get("batch"), "batch", "err_whole_number")
    page = _number(query.get("page"), "page", "err_not_page_number") or 1
    file = (file or "").strip() or None
    if format in ("csv", "xlsx"):
        audit(cursor, user.user_id, "quarantine.export", file, {"batch": batch, "format": format},
              ip=client_ip(request))
        lang = lang_of(request)
        name = "quarantine" + (f"-batch{batch}" if batch is not None else "")
        response = table_response(quarantine_table(cursor, file=file, batch=batch), format, name, lang=lang,
                                  title=translator(lang)["quarantine_page"] + (f" · {file}" if file else ""),
                                  columns=DOWNLOAD_COLUMNS)
    else:
        response = render(request, "admin_quarantine.html",
                          quarantine_page(cursor, file=file, batch=batch, page=page))
    response.headers["Cache-Control"] = "private, no-store"  # raw rows: a payment list's receipts too
    return response


def _number(value: str | None, field: str, msgid: str) -> int | None:
    """A whole number ≥ 1 from the query (None when empty); a UsageError about the field if not."""
    if not value:
        return None
    if not value.strip().isdigit() or int(value) < 1:
        raise UsageError(about(field, message(msgid, value=repr(value))))
    return int(value)
