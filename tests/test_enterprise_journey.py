"""The enterprise's journey through the front door, on the demo's four real exports: it signs up,
the office verifies it on the approvals page, it claims its patents, sees its fee calendar, and —
once the warning job has run from the command line — receives the warning by e-mail (a real SMTP
server on loopback) and by a signed webhook (a real HTTP server on loopback)."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from fastapi import FastAPI
from fastapi.testclient import TestClient

from patentatlas.cli import main
from patentatlas.delivery.webhook import verify
from patentatlas.domain.accounts import create_user
from patentatlas.imports import import_file
from patentatlas.store import open_store
from patentatlas.store.reference import ensure_reference
from patentatlas.web.app import create_app
from tests.conftest import CHATBOT, THUNDERSOFT, TOYOTA, VR
from tests.servers import Collector, Receiver, serve

NETEASE = "网易(杭州)网络有限公司"
USCC = "91330100716105852F"  # a valid code (the test only needs the check character to hold)
PASSWORD = "netease ip department"
SECRET = "hook-secret-网易"
# filed 2019-10-16, granted 2023-02-03 (patent year 4), in force: year 8 began on Friday 2026-10-16
# and its fee (2,000 yuan, no reduction declared) was due that day; on 2026-11-22 it is in the 2nd
# month of the grace period: late fee 5 % of 2,000 = 100, total 2,100; the grace period ends
# 2027-04-16 (a year the holiday calendar does not cover yet: provisional)
PATENT = "CN201910985485.7"
AS_OF = dt.date(2026, 11, 22)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("journey") / "store.duckdb"
    conn = open_store(path)
    ensure_reference(conn)
    for source in (TOYOTA, CHATBOT, VR, THUNDERSOFT):
        import_file(conn, source, observed_on=dt.date(2026, 11, 1))
    create_user(conn, "root@office.gov.cn", "admin", password=PASSWORD)
    conn.close()
    return path


def _sign_up_and_claim(db: Path, hook_url: str) -> int:
    app = create_app(db)
    try:
        client = TestClient(app, follow_redirects=False)
        client.get("/sign-up")
        csrf_pre = client.cookies.get("pa_csrf_pre")
        signed_up = client.post("/sign-up", data={"csrf_token": csrf_pre, "name": NETEASE, "uscc": USCC,
                                                  "email": "ip@netease.example.cn", "password": PASSWORD})
        assert signed_up.headers["location"] == "/sign-in?signed_up=1"
        signed_in = client.post("/sign-in", data={"csrf_token": csrf_pre, "email": "ip@netease.example.cn",
                                                  "password": PASSWORD})
        eid = int(signed_in.headers["location"].split("/")[2])
        _office_verifies(app, eid)
        csrf = client.get("/api/session").json()["csrf_token"]
        proposals = client.get(f"/api/enterprises/{eid}/custody").json()["proposals"]
        cursor = app.state.conn.cursor()
        # the exports write its name with ASCII or with full-width brackets: both are its patents
        named = cursor.execute("SELECT count(*) FROM patents WHERE list_has_any(applicant_names, ?)",
                               [[NETEASE, "网易（杭州）网络有限公司"]]).fetchall()[0][0]
        cursor.close()
        assert len(proposals) == named == 58
        client.post(f"/enterprises/{eid}/custody", data={"csrf_token": csrf, "action": "confirm",
                                                         "numbers": [p["application_number"] for p in proposals]})
        fees = client.get(f"/api/enterprises/{eid}/fees?as_of={AS_OF}").json()
        (fee,) = [f for f in fees["fees"] if f["application_number"] == PATENT and f["patent_year"] == 8]
        assert (fee["state"], fee["due_date"], fee["amount"], fee["late_fee"], fee["grace_period_end"],
                fee["provisional"]) == ("grace", "2026-10-16", 2000, 100, "2027-04-16", True)
        page = client.get(f"/enterprises/{eid}/fees?as_of={AS_OF}")
        assert f'data-number="{PATENT}" data-year="8"' in page.text
        saved = client.post(f"/api/enterprises/{eid}/profile", headers={"X-CSRF-Token": csrf}, json={
            "notify_email": "ip@netease.example.cn", "webhook_url": hook_url, "webhook_secret": SECRET})
        assert saved.json()["webhook_secret_set"] is True
        return eid
    finally:
        app.state.conn.close()


def _office_verifies(app: FastAPI, eid: int) -> None:
    office = TestClient(app, follow_redirects=False)
    office.get("/sign-in")
    token = office.cookies.get("pa_csrf_pre")
    office.post("/sign-in", data={"csrf_token": token, "email": "root@office.gov.cn", "password": PASSWORD})
    page = office.get("/approvals")
    assert f'data-enterprise="{eid}"' in page.text and "ip@netease.example.cn" in page.text
    csrf = office.get("/api/session").json()["csrf_token"]
    done = office.post(f"/approvals/enterprises/{eid}", data={"csrf_token": csrf, "decision": "approve"})
    assert (done.status_code, done.headers["location"]) == (303, "/approvals")


def test_sign_up_claim_calendar_and_warnings_by_mail_and_webhook(
        db: Path, smtp: tuple[Controller, Collector], monkeypatch: pytest.MonkeyPatch) -> None:
    controller, collector = smtp
    for receiver in serve(Receiver()):
        eid = _sign_up_and_claim(db, receiver.url)
        monkeypatch.setenv("PATENTATLAS_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("PATENTATLAS_SMTP_PORT", str(controller.port))
        monkeypatch.setenv("PATENTATLAS_SMTP_SENDER", "alerts@patentatlas.example.cn")
        result = CliRunner().invoke(main, ["--db", str(db), "alerts", "run", "--as-of", AS_OF.isoformat(), "--json"])
        assert result.exit_code == 0, result.output
        summary = json.loads(result.output)
        created = summary["created"]
        assert created > 0 and summary["deliveries"]["sent"] == 2 * created  # one mail and one webhook each
        key = f"fee_grace:{eid}:{PATENT}:8:m2"
        subjects = [collector.message(i)["Subject"] for i in range(len(collector.envelopes))]
        assert f"年费逾期（宽限期第2个月）：{PATENT} 第8年，今日补缴共 2,100 元" in subjects
        assert all(e.rcpt_tos == ["ip@netease.example.cn"] for e in collector.envelopes)
        hooks = {json.loads(body)["id"]: (headers, body) for _, headers, body in receiver.received}
        headers, body = hooks[key]
        assert verify(SECRET, body, headers["x-patentatlas-timestamp"], headers["x-patentatlas-signature"],
                      now=int(time.time()))
        assert json.loads(body)["facts"]["late_fee"] == 100
        again = CliRunner().invoke(main, ["--db", str(db), "alerts", "run", "--as-of", AS_OF.isoformat(), "--json"])
        assert json.loads(again.output)["created"] == 0  # never twice
        assert len(receiver.received) == created


def test_demo_accounts_make_a_verified_netease_with_its_58_patents(db: Path) -> None:
    result = CliRunner().invoke(main, ["--db", str(db), "demo-accounts"])
    assert result.exit_code == 0, result.output
    assert "(网易(杭州)网络有限公司, 58 patents in custody)" in result.output
    listed = CliRunner().invoke(main, ["--db", str(db), "enterprises", "list"])
    assert "91330108MA2CDEM1YA  verified     58  网易(杭州)网络有限公司" in listed.output
