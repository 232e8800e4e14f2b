"""Fees that stay true (issue 11 §6): a recorded payment resolves its fee's warnings and cancels
their pending deliveries; a paid row shows what was paid, and a later reduction declaration never
rewrites it; one-click 已缴 on each row and bulk marking, through the front door.

The real Thundersoft export (中科创达, observed 2026-06-30); the fixtures and dates of
tests/test_warnings.py: ANGLE (CN201910272908.0) year 8 was due 2026-04-07; on 2026-08-04 it is in
the 4th month of its grace period: full fee 2,000, late fee 15 % = 300."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient

from patentatlas.domain.accounts import create_user
from patentatlas.domain.enterprises import register_enterprise, update_profile
from patentatlas.domain.outbox import deliver_pending
from patentatlas.domain.payments import enterprise_fee_states, import_payments, mark_paid
from patentatlas.domain.warnings import run_alerts, unread_count
from patentatlas.errors import UsageError
from patentatlas.store import open_store
from patentatlas.web.app import create_app
from tests.conftest import copied_store
from tests.test_warnings import ANGLE, AS_OF, AT, DDOS, VIDEO, thundersoft, warnings_of
from tests.web_support import HtmlPage, signed_in

PASSWORD = "correct horse battery"
JULY = dt.date(2026, 7, 1)  # ANGLE year 8 in its 3rd month of grace
JULY_AT = dt.datetime(2026, 7, 1, 1, 0)


@pytest.fixture
def db(thundersoft_june_db: Path, tmp_path: Path) -> Path:
    """A copy of the Thundersoft export observed 2026-06-30 (conftest's session store)."""
    return copied_store(thundersoft_june_db, tmp_path)


@pytest.fixture
def conn(db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = open_store(db)
    yield connection
    connection.close()


def _deliveries(conn: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    return conn.execute("SELECT warning_key, channel, status FROM deliveries ORDER BY 1, 2").fetchall()


def test_a_payment_resolves_its_warnings_and_cancels_their_deliveries(conn: duckdb.DuckDBPyConnection) -> None:
    eid = thundersoft(conn, [ANGLE, DDOS], fee_reduction="", notify_email="ip@thundersoft.cn",
                      webhook_url="https://hooks.example.com/pa", webhook_secret="s" * 32)
    run_alerts(conn, JULY, None, now=JULY_AT)
    run_alerts(conn, AS_OF, None, now=AT)
    m3, m4, ddos = f"fee_grace:{eid}:{ANGLE}:8:m3", f"fee_grace:{eid}:{ANGLE}:8:m4", f"fee_due:{eid}:{DDOS}:8:30"
    assert {m3, m4, ddos} <= set(warnings_of(conn, eid))
    conn.execute("UPDATE deliveries SET status = 'sent', sent_at = ? WHERE warning_key = ? AND channel = 'webhook'",
                 [JULY_AT, m3])  # one went out already: it stays sent
    unread = unread_count(conn, eid)

    done = mark_paid(conn, eid, ANGLE, 8, "2026-08-04", "2,000", "浙财缴-0804", late_fee=300)

    assert (done["warnings_resolved"], done["deliveries_cancelled"]) == (2, 3)
    resolved = warnings_of(conn, eid)
    reason = "已缴费：2026-08-04 缴纳年费 2,000 元、滞纳金 300 元，收据号 浙财缴-0804"
    for key in (m3, m4):
        assert resolved[key]["resolved_reason"] == reason
        assert resolved[key]["resolved_at"] is not None and resolved[key]["read_at"] is not None
    assert resolved[ddos]["resolved_at"] is None  # another patent's warning stays
    assert unread_count(conn, eid) == unread - 2
    assert [d for d in _deliveries(conn) if d[0] in (m3, m4)] == [
        (m3, "email", "cancelled"), (m3, "webhook", "sent"), (m4, "email", "cancelled"), (m4, "webhook", "cancelled")]
    # the delivery pass never sends a cancelled row (mail unset, webhooks would go out: none is due)
    before = _deliveries(conn)
    deliver_pending(conn, None, AT + dt.timedelta(days=1))
    assert [d for d in _deliveries(conn) if d[0] in (m3, m4)] == [d for d in before if d[0] in (m3, m4)]
    audit = conn.execute("SELECT detail->>'warnings_resolved', detail->>'deliveries_cancelled', detail->>'late_fee' "
                         "FROM audit_log WHERE action = 'fee.paid'").fetchall()
    assert audit == [("2", "3", "300")]


def test_the_job_makes_no_new_warning_for_a_paid_year(conn: duckdb.DuckDBPyConnection) -> None:
    eid = thundersoft(conn, [ANGLE], fee_reduction="")
    run_alerts(conn, JULY, None, now=JULY_AT)
    mark_paid(conn, eid, ANGLE, 8, "2026-07-02", 2000, late_fee=200)
    run_alerts(conn, AS_OF, None, now=AT)
    assert [k for k, w in warnings_of(conn, eid).items() if not w["resolved_at"]] == []


def test_a_paid_row_shows_what_was_paid_and_a_later_reduction_does_not_rewrite_it(
        conn: duckdb.DuckDBPyConnection) -> None:
    eid = thundersoft(conn, [ANGLE], fee_reduction="")
    (before, *_), _ = enterprise_fee_states(conn, eid, AS_OF, None)
    assert (before.state, before.fee.amount, before.fee.late_fee) == ("grace", 2000, 300)
    mark_paid(conn, eid, ANGLE, 8, "2026-08-04", 2000, "浙财缴-0804", late_fee=300)
    update_profile(conn, eid, {"fee_reduction": "single"})  # declared afterwards: 85 % off years 2–11
    (paid, following, *_), _ = enterprise_fee_states(conn, eid, AS_OF, "single")
    row = paid.to_dict()
    assert {k: row[k] for k in ("state", "amount", "late_fee", "reduced", "full_amount")} == {
        "state": "paid", "amount": 2000, "late_fee": 300, "reduced": False, "full_amount": 2000}
    assert row["payment"] == {"paid_on": "2026-08-04", "amount": 2000, "receipt_number": "浙财缴-0804",
                              "source": "manual", "late_fee": 300}
    # the next year, unpaid, is reduced as declared: 2,000 × 15 % = 300
    assert (following.fee.patent_year, following.state, following.to_dict()["amount"]) == (9, "upcoming", 300)


def test_a_payment_list_carries_the_late_fee(conn: duckdb.DuckDBPyConnection) -> None:
    eid = thundersoft(conn, [ANGLE], fee_reduction="")
    run_alerts(conn, AS_OF, None, now=AT)
    listing = f"申请号,年度,缴费日,金额,滞纳金,收据号\n{ANGLE},8,2026-08-04,2000,300,R-1\n".encode()
    report = import_payments(conn, eid, listing, "payments.csv")
    assert (report["recorded"], report["quarantined"]) == (1, 0)
    assert conn.execute("SELECT amount, late_fee, receipt_number FROM fee_payments").fetchall() == [(2000, 300, "R-1")]
    assert warnings_of(conn, eid)[f"fee_grace:{eid}:{ANGLE}:8:m4"]["resolved_reason"] == (
        "已缴费：2026-08-04 缴纳年费 2,000 元、滞纳金 300 元，收据号 R-1")


def test_a_negative_late_fee_is_refused_and_nothing_recorded(conn: duckdb.DuckDBPyConnection) -> None:
    eid = thundersoft(conn, [ANGLE], fee_reduction="")
    with pytest.raises(UsageError, match="late_fee: must be 0 or more yuan"):
        mark_paid(conn, eid, ANGLE, 8, "2026-08-04", 2000, late_fee=-5)
    assert conn.execute("SELECT count(*) FROM fee_payments").fetchall() == [(0,)]


# --------------------------------------------------------------------------- through the web


@pytest.fixture
def web(db: Path) -> Iterator[TestClient]:
    store = open_store(db)
    eid = thundersoft(store, [ANGLE, VIDEO, DDOS], fee_reduction="", notify_email="ip@thundersoft.cn")
    create_user(store, "ip@thundersoft.cn", "enterprise", password=PASSWORD, enterprise_id=eid)
    other = register_enterprise(store, "深圳市腾讯计算机系统有限公司", "914403001922038216")["enterprise_id"]
    create_user(store, "ip@other.cn", "enterprise", password=PASSWORD, enterprise_id=int(other))
    run_alerts(store, AS_OF, None, now=AT)
    store.close()
    app = create_app(db)
    client = signed_in(app, "ip@thundersoft.cn", PASSWORD)
    client.app_state = app.state  # type: ignore[attr-defined]
    yield client
    app.state.conn.close()


def _rows(client: TestClient, as_of: str = "2026-08-04") -> dict[tuple[str, str], list[str]]:
    page = HtmlPage(client.get("/enterprises/1/fees", params={"as_of": as_of}).text)
    return {(a["data-number"] or "", a["data-year"] or ""): cells for a, cells in page.rows if a.get("data-number")}


def test_one_click_paid_from_the_fee_calendar(web: TestClient) -> None:
    page = web.get("/enterprises/1/fees", params={"as_of": "2026-08-04"}).text
    assert 'name="amount" value="2000"' in page and 'name="late_fee" value="300"' in page  # pre-filled
    assert f'value="{ANGLE}|8|2000|300"' in page  # the bulk checkbox
    answer = web.post("/enterprises/1/payments", data={
        "application_number": ANGLE, "patent_year": "8", "paid_on": "2026-08-04", "amount": "2000",
        "late_fee": "300", "as_of": "2026-08-04"})
    assert answer.status_code == 303
    assert answer.headers["location"] == ("/enterprises/1/fees?done=paid&n=1&resolved=1&cancelled=1"
                                          "&as_of=2026-08-04#fee-table")
    shown = HtmlPage(web.get(answer.headers["location"]).text)
    assert shown.text["flash"] == "已登记缴费 1 笔；相关预警已解除 1 条，待发送的通知已取消 1 条。"
    cells = _rows(web)[(ANGLE, "8")]
    assert cells[5:8] == ["2,000", "已缴 2026-08-04", "300 已缴"]
    assert not any("今日缴纳" in c for c in cells)
    inbox = HtmlPage(web.get("/enterprises/1/inbox").text)
    assert "resolved-warnings" in inbox.text
    assert f"fee_grace:1:{ANGLE}:8:m4" not in [a.get("data-key") for a, _ in inbox.rows]
    listed = web.get("/api/enterprises/1/inbox").json()
    (warning,) = [w for w in listed["resolved"] if w["warning_key"] == f"fee_grace:1:{ANGLE}:8:m4"]
    # the reason is kept as a message, said in each reader's language: the API's English, the page's Chinese
    assert warning["resolved_reason"] == "Paid on 2026-08-04: annual fee 2,000 yuan, late fee 300 yuan"
    assert "已缴费：2026-08-04 缴纳年费 2,000 元、滞纳金 300 元" in web.get("/enterprises/1/inbox").text
    assert all(w["warning_key"] != warning["warning_key"] for w in listed["warnings"])


def test_bulk_marking_records_all_or_none(web: TestClient) -> None:
    bad = web.post("/api/enterprises/1/payments/bulk", json={"paid_on": "2026-08-04", "fees": [
        {"application_number": ANGLE, "patent_year": 8, "amount": 2000, "late_fee": 300},
        {"application_number": VIDEO, "patent_year": 8, "amount": "两千", "late_fee": 0}]})
    assert bad.status_code == 400 and "两千" in bad.text
    cursor = web.app_state.conn.cursor()  # type: ignore[attr-defined]
    assert cursor.execute("SELECT count(*) FROM fee_payments").fetchall() == [(0,)]
    answer = web.post("/enterprises/1/payments/bulk", data={
        "fee": [f"{ANGLE}|8|2000|300", f"{VIDEO}|8|2000|0"], "paid_on": "2026-08-04", "receipt_number": "批量-1"})
    assert answer.status_code == 303 and "n=2" in answer.headers["location"]
    assert cursor.execute("SELECT application_number, patent_year, amount, late_fee, receipt_number "
                          "FROM fee_payments ORDER BY 1").fetchall() == [
        (VIDEO, 8, 2000, 0, "批量-1"), (ANGLE, 8, 2000, 300, "批量-1")]
    rows = _rows(web)
    assert rows[(ANGLE, "8")][6] == rows[(VIDEO, "8")][6] == "已缴 2026-08-04 · 收据号 批量-1"
    cursor.close()


def test_another_enterprise_cannot_mark_its_fees_paid(web: TestClient) -> None:
    other = signed_in(web.app, "ip@other.cn", PASSWORD)
    refused = other.post("/api/enterprises/1/payments/bulk", json={"paid_on": "2026-08-04", "fees": [
        {"application_number": ANGLE, "patent_year": 8, "amount": 2000, "late_fee": 300}]})
    assert refused.status_code == 403
    cursor = web.app_state.conn.cursor()  # type: ignore[attr-defined]
    assert cursor.execute("SELECT count(*) FROM fee_payments").fetchall() == [(0,)]
    assert cursor.execute("SELECT count(*) FROM warnings WHERE resolved_at IS NOT NULL").fetchall() == [(0,)]
    cursor.close()
