"""The admin's imports: upload an export for the server to import (one at a time, in the
background, its progress on the page), and the history of every file imported with its counts
and what it carried (issue 8 §6)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from patentatlas.domain.accounts import now, require_role
from patentatlas.domain.import_jobs import ImportRunningError, keep_upload
from patentatlas.domain.imports import import_history
from patentatlas.errors import UsageError
from patentatlas.i18n import message
from patentatlas.web.auth import CurrentUser
from patentatlas.web.deps import Cursor
from patentatlas.web.forms import answer, payload, wants_json
from patentatlas.web.render import render

router = APIRouter()


@router.get("/admin/imports", response_class=HTMLResponse, tags=["admin"],
            summary="Imports with their counts, coverage and warnings (admin; JSON with ?format=json)")
def imports_page(request: Request, cursor: Cursor, user: CurrentUser,
                 limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> Response:
    require_role(user, "admin")
    jobs = request.app.state.import_jobs
    return render(request, "admin_imports.html", {"imports": import_history(cursor, limit), "jobs": jobs.listed(),
                                                  "running": jobs.current() is not None})


@router.post("/admin/imports", include_in_schema=False)
@router.post("/api/admin/imports", tags=["admin"], status_code=202,
             summary="Upload an export (the file field `file`: CSV, XLSX or USPTO XML) for the server to import in "
                     "the background; one at a time (409 while one runs); progress at GET /api/admin/imports/jobs")
async def upload_import(request: Request, user: CurrentUser) -> Response:
    require_role(user, "admin")
    fields = await payload(request)  # the upload is spooled to a temporary file as it arrives
    upload = fields.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise UsageError(message("err_choose_export"), field="file")
    job = await run_in_threadpool(_start, request, upload, user.user_id)
    if wants_json(request):
        return JSONResponse(jsonable_encoder(job), status_code=202)
    return answer(request, job, "/admin/imports#jobs")


@router.get("/api/admin/imports/jobs", tags=["admin"], summary="The server's import jobs, newest first (admin)")
def import_jobs(request: Request, user: CurrentUser) -> list[dict]:
    require_role(user, "admin")
    return request.app.state.import_jobs.listed()


def _start(request: Request, upload: UploadFile, by: int) -> dict:
    """Keep the upload beside the store and start its import."""
    path = keep_upload(request.app.state.uploads, upload.filename or "upload.csv", now(), upload.file)
    try:
        return request.app.state.import_jobs.start(request.app.state.conn, path, by).to_dict()
    except ImportRunningError:
        path.unlink()  # not imported: not kept
        raise
