"""An admin imports an export through the running server (DuckDB lets the server's process alone
write the store, so the command line cannot while it runs): the upload is kept beside the store,
imported in the background by the importer's helper process, one at a time, its progress and
counts on the page and in the API, the patents on the pages as soon as it is done."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from patentatlas.domain import accounts
from patentatlas.store import open_store
from patentatlas.store.reference import ensure_reference
from patentatlas.web.app import create_app
from tests.conftest import THUNDERSOFT
from tests.web_support import HtmlPage, signed_in

PASSWORD = "upload and import 2026"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[object]:
    db = tmp_path / "store.duckdb"
    conn = open_store(db)
    ensure_reference(conn)
    accounts.create_user(conn, "root@gov.cn", "admin", password=PASSWORD)
    accounts.create_user(conn, "clerk@gov.cn", "analyst", password=PASSWORD, region_code="330100")
    conn.close()
    application = create_app(db)
    yield application
    application.state.import_jobs.wait(60)
    application.state.conn.close()


def test_an_admin_uploads_an_export_and_the_server_imports_it(app: object, tmp_path: Path) -> None:
    admin = signed_in(app, "root@gov.cn", PASSWORD)
    before = admin.get("/api/summary").json()
    upload = ("../中科创达 export.csv", THUNDERSOFT.read_bytes(), "text/csv")  # a name with a path in it
    answer = admin.post("/admin/imports", files={"file": upload})
    assert answer.status_code == 303 and answer.headers["location"] == "/admin/imports#jobs"
    app.state.import_jobs.wait(120)  # type: ignore[attr-defined]
    (job,) = admin.get("/api/admin/imports/jobs").json()
    assert (job["status"], job["error"], job["counts"]) == (
        "done", None, {"read": 511, "loaded": 511, "updated": 0, "unchanged": 0, "quarantined": 0})
    kept = list((tmp_path / "store.duckdb.uploads").iterdir())
    assert [p.name.split("_", 1)[1] for p in kept] == ["中科创达_export.csv"]  # no path from the client
    page = HtmlPage(admin.get("/admin/imports").text)
    assert page.row(**{"class": "import-job", "data-status": "done"})[:5] == [
        job["file"], "已完成", "511", "511", "0"]
    after = admin.get("/api/summary").json()  # the pages see the import at once
    assert (before["patents"], after["patents"]) == (0, 511)
    audit = admin.get("/admin/audit", params={"format": "json", "action": "import."}).json()
    assert [(e["action"], e["target"]) for e in audit["entries"]] == [("import.upload", job["file"])]


def test_one_import_at_a_time_and_admins_only(app: object, tmp_path: Path) -> None:
    admin = signed_in(app, "root@gov.cn", PASSWORD)
    first = admin.post("/api/admin/imports", files={"file": ("ts.csv", THUNDERSOFT.read_bytes(), "text/csv")})
    assert first.status_code == 202 and first.json()["status"] == "running"
    second = admin.post("/api/admin/imports", files={"file": ("ts.csv", THUNDERSOFT.read_bytes(), "text/csv")})
    assert second.status_code == 409 and "one at a time" in second.json()["message"]
    assert len(list((tmp_path / "store.duckdb.uploads").iterdir())) == 1  # the refused upload is not kept
    clerk = signed_in(app, "clerk@gov.cn", PASSWORD)
    refused = clerk.post("/api/admin/imports", files={"file": ("ts.csv", THUNDERSOFT.read_bytes(), "text/csv")})
    assert refused.status_code == 403
    assert clerk.get("/api/admin/imports/jobs").status_code == 403
    assert TestClient(app).get("/api/admin/imports/jobs").status_code == 401  # type: ignore[arg-type]


def test_a_file_that_is_no_export_fails_with_its_reason(app: object) -> None:
    admin = signed_in(app, "root@gov.cn", PASSWORD)
    answer = admin.post("/api/admin/imports", files={"file": ("notes.csv", "甲,乙\n1,2\n".encode(), "text/csv")})
    assert answer.status_code == 202
    app.state.import_jobs.wait(60)  # type: ignore[attr-defined]
    (job,) = admin.get("/api/admin/imports/jobs").json()
    assert job["status"] == "failed" and "no column holds the application number" in job["error"]
    assert admin.post("/api/admin/imports", data={"note": "no file"}).status_code == 400
