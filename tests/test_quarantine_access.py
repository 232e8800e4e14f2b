"""Private rows in a public quarantine (issue 10 §5): the patent imports' quarantine is for
admins; the rejected rows of a payment list belong to the enterprise that uploaded it; no server
path leaves the server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from patentatlas.domain import accounts, payments
from patentatlas.domain import enterprises as ent
from patentatlas.store import open_store
from patentatlas.web.app import create_app
from tests.conftest import DATA, copied_store
from tests.web_support import signed_in

PASSWORD = "correct horse battery"
A_NAME, A_USCC = "中科创达软件股份有限公司", "91110108551385082Q"
B_NAME, B_USCC = "成都中科创达软件有限公司", "91330100716105852F"
PAYMENT_LIST = ("申请号,年度,缴费日,金额,收据号\n"
                "CN209910000001.8,3,2026-11-20,900,SECRET-RECEIPT-7\n").encode()


@pytest.fixture(scope="module")
def app(thundersoft_november_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    path = copied_store(thundersoft_november_db, tmp_path_factory.mktemp("quarantine"))
    conn = open_store(path)
    ids = []
    for name, code, email in ((A_NAME, A_USCC, "a@a.cn"), (B_NAME, B_USCC, "b@b.cn")):
        eid = ent.register_enterprise(conn, name, code)["enterprise_id"]
        accounts.create_user(conn, email, "enterprise", password=PASSWORD, enterprise_id=eid)
        ids.append(eid)
    accounts.create_user(conn, "zj@gov.cn", "analyst", password=PASSWORD, region_code="330000")
    accounts.create_user(conn, "root@gov.cn", "admin", password=PASSWORD)
    report = payments.import_payments(conn, ids[0], PAYMENT_LIST, "/srv/uploads/tmp/缴费清单-A.csv")
    assert report["quarantined"] == 1
    # a row the office's import rejected, as the loader records it: with the file's full server path
    conn.execute("INSERT INTO quarantine (batch_id, file, sheet, row_number, field, reason, raw) "
                 "VALUES (99, ?, NULL, 7, 'IPC', 'bad', '{}')", [str(DATA / "x" / "专利.csv")])
    conn.close()
    application = create_app(path)
    application.state.enterprises = ids
    yield application
    application.state.conn.close()


def test_the_quarantine_is_for_admins(app: Any) -> None:
    anonymous = TestClient(app)
    assert anonymous.get("/api/quarantine").status_code == 401
    for email in ("a@a.cn", "b@b.cn", "zj@gov.cn"):
        answer = signed_in(app, email, PASSWORD).get("/api/quarantine")
        assert answer.status_code == 403, email
        assert "SECRET-RECEIPT-7" not in answer.text


def test_admins_see_base_names_only(app: Any) -> None:
    answer = signed_in(app, "root@gov.cn", PASSWORD).get("/api/quarantine")
    assert answer.status_code == 200
    assert [(r["file"], r["row"], r["field"]) for r in answer.json()] == [
        ("专利.csv", 7, "IPC"), ("缴费清单-A.csv", 2, "application_number")]
    assert "/srv/" not in answer.text and str(DATA) not in answer.text


def test_a_payment_lists_rejects_are_its_enterprises(app: Any) -> None:
    a, b = app.state.enterprises
    mine = signed_in(app, "a@a.cn", PASSWORD).get(f"/api/enterprises/{a}/quarantine")
    assert mine.status_code == 200
    ((row,),) = [mine.json()]
    assert (row["file"], row["row"], row["field"]) == ("缴费清单-A.csv", 2, "application_number")
    assert "SECRET-RECEIPT-7" in row["raw"]  # its own receipt, shown to it
    other = signed_in(app, "b@b.cn", PASSWORD)
    assert other.get(f"/api/enterprises/{b}/quarantine").json() == []
    refused = other.get(f"/api/enterprises/{a}/quarantine")
    assert (refused.status_code, "SECRET-RECEIPT-7" in refused.text) == (403, False)
    assert TestClient(app).get(f"/api/enterprises/{a}/quarantine").status_code == 401


def test_the_public_overview_counts_only_the_offices_imports(app: Any) -> None:
    assert TestClient(app).get("/api/summary").json()["quarantined_rows"] == 1  # the patent row, not A's list
