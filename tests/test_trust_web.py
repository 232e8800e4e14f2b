"""Issue 10's attacks through the front door, each refused: another enterprise's patent put into
custody by hand, its payment read or overwritten, its warnings silenced; login CSRF; locking an
owner out; finding out who has an account; a forged X-Forwarded-For; an oversized payment list."""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from patentatlas.domain import accounts
from patentatlas.domain import enterprises as ent
from patentatlas.domain.uscc import check_character
from patentatlas.domain.warnings import inbox, run_alerts
from patentatlas.store import open_store, utc_now
from patentatlas.web.app import create_app
from tests.conftest import copied_store
from tests.web_support import signed_in

PASSWORD = "correct horse battery"
A_NAME, A_USCC = "中科创达软件股份有限公司", "91110108551385082Q"  # region 110108 (Beijing)
B_NAME, B_USCC = "成都中科创达软件有限公司", "91330100716105852F"  # region 330100 (Hangzhou)
A_PATENT = "CN202210513767.9"  # 中科创达软件股份有限公司's
OLD_INVENTION = "CN201410720504.0"  # A's: year 13 due 2026-12-01, 6,000 yuan; in its grace period on 2027-01-15
GRACE_DAY = "2027-01-15"


@pytest.fixture(scope="module")
def app(thundersoft_november_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    path = copied_store(thundersoft_november_db, tmp_path_factory.mktemp("trust"))
    conn = open_store(path)
    for name, code, email in ((A_NAME, A_USCC, "a@a.cn"), (B_NAME, B_USCC, "b@b.cn")):
        eid = ent.register_enterprise(conn, name, code)["enterprise_id"]
        ent.confirm_proposals(conn, eid, [p["application_number"] for p in ent.proposals(conn, eid)])
        accounts.create_user(conn, email, "enterprise", password=PASSWORD, enterprise_id=eid)
    accounts.create_user(conn, "zj@gov.cn", "analyst", password=PASSWORD, region_code="330000")
    accounts.create_user(conn, "bj@gov.cn", "analyst", password=PASSWORD, region_code="110000")
    accounts.create_user(conn, "root@gov.cn", "admin", password=PASSWORD)
    conn.close()
    application = create_app(path)
    yield application
    application.state.conn.close()


def _client(app: Any, email: str) -> TestClient:
    return signed_in(app, email, PASSWORD)


def _sql(app: Any, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    cursor = app.state.conn.cursor()
    try:
        return cursor.execute(sql, params or []).fetchall()
    finally:
        cursor.close()


def _fee(client: TestClient, eid: int, number: str, year: int) -> dict[str, Any]:
    fees = client.get(f"/api/enterprises/{eid}/fees?as_of={GRACE_DAY}").json()["fees"]
    (fee,) = [f for f in fees if f["application_number"] == number and f["patent_year"] == year]
    return fee


# --------------------------------------------------------------------------- custody and payments


def test_b_cannot_put_a_patent_of_a_into_its_custody(app: Any) -> None:
    as_b = _client(app, "b@b.cn")
    added = as_b.post("/api/enterprises/2/custody", json={"action": "add", "numbers": [A_PATENT]})
    assert added.status_code == 200
    (request,) = added.json()["done"]
    assert request == {"application_number": A_PATENT, "status": "requested", "request_id": request["request_id"],
                       "reason": "none of the enterprise's names applied for this patent: the office decides"}
    assert _sql(app, "SELECT count(*) FROM custody WHERE enterprise_id = 2 AND application_number = ?",
                [A_PATENT]) == [(0,)]
    paid = as_b.post("/api/enterprises/2/payments", json={"application_number": A_PATENT, "patent_year": "3",
                                                          "paid_on": "2026-11-20", "amount": "1"})
    assert (paid.status_code, paid.json()["message"]) == (
        404, f"application_number: application {A_PATENT} is not in this enterprise's custody")
    # Beijing's analyst does not decide for a Hangzhou enterprise; Zhejiang's does, and refuses
    beijing, zhejiang = _client(app, "bj@gov.cn"), _client(app, "zj@gov.cn")
    assert beijing.get("/api/approvals").json()["custody_requests"] == []
    path = f"/api/approvals/custody/{request['request_id']}"
    assert beijing.post(path, json={"decision": "approve"}).status_code == 403
    assert as_b.post(path, json={"decision": "approve"}).status_code == 403  # nor the enterprise itself
    assert [r["application_number"] for r in zhejiang.get("/api/approvals").json()["custody_requests"]] == [A_PATENT]
    refused = zhejiang.post(path, json={"decision": "refuse", "note": "非专利权人"})
    assert refused.json()["status"] == "refused"
    assert [(r["application_number"], r["status"], r["decision_note"])
            for r in as_b.get("/api/enterprises/2/custody").json()["requests"]] == [(A_PATENT, "refused", "非专利权人")]
    assert A_PATENT not in {p["application_number"] for p in as_b.get("/api/enterprises/2/custody").json()["custody"]}


def test_one_enterprises_payment_never_changes_anothers_fees_or_warnings(app: Any) -> None:
    as_a, as_b, admin = _client(app, "a@a.cn"), _client(app, "b@b.cn"), _client(app, "root@gov.cn")
    # even when the office lets B hold A's patent too (a licensee), B's record is B's alone
    request = as_b.post("/api/enterprises/2/custody", json={"action": "add", "numbers": [OLD_INVENTION]})
    admin.post(f"/api/approvals/custody/{request.json()['done'][0]['request_id']}", json={"decision": "approve"})
    one_yuan = as_b.post("/api/enterprises/2/payments", json={"application_number": OLD_INVENTION, "patent_year": "13",
                                                              "paid_on": "2026-11-21", "amount": "1",
                                                              "receipt_number": "RC-B-1"})
    assert one_yuan.status_code == 200
    fee = _fee(as_a, 1, OLD_INVENTION, 13)
    assert (fee["state"], fee["payment"], fee["amount"]) == ("grace", None, 6000)
    assert "RC-B-1" not in as_a.get(f"/api/enterprises/1/fees?as_of={GRACE_DAY}").text
    cursor = app.state.conn.cursor()
    run_alerts(cursor, dt.date(2027, 1, 15), None)
    keys = {w["warning_key"] for w in inbox(cursor, 1, limit=10_000)}
    b_keys = {w["warning_key"] for w in inbox(cursor, 2, limit=10_000)}
    cursor.close()
    assert f"fee_grace:1:{OLD_INVENTION}:13:m2" in keys  # A is still warned
    assert f"fee_grace:2:{OLD_INVENTION}:13:m2" not in b_keys
    # A records its own payment: B's record is neither read nor replaced
    as_a.post("/api/enterprises/1/payments", json={"application_number": OLD_INVENTION, "patent_year": "13",
                                                   "paid_on": "2026-11-22", "amount": "6000",
                                                   "receipt_number": "RC-A-13"})
    assert _fee(as_a, 1, OLD_INVENTION, 13)["payment"] == {"paid_on": "2026-11-22", "amount": 6000,
                                                            "receipt_number": "RC-A-13", "source": "manual",
                                                            "late_fee": None}
    assert _fee(as_b, 2, OLD_INVENTION, 13)["payment"]["receipt_number"] == "RC-B-1"
    assert "RC-A-13" not in as_b.get(f"/api/enterprises/2/fees?as_of={GRACE_DAY}").text
    assert _sql(app, "SELECT enterprise_id, amount, receipt_number FROM fee_payments WHERE application_number = ? "
                "AND patent_year = 13 ORDER BY 1", [OLD_INVENTION]) == [(1, 6000, "RC-A-13"), (2, 1, "RC-B-1")]


def test_a_payment_list_over_the_limit_is_refused_before_it_is_read(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    as_a = _client(app, "a@a.cn")
    monkeypatch.setenv("PATENTATLAS_PAYMENT_LIST_MAX_MB", "1")
    batches = _sql(app, "SELECT count(*) FROM import_batches")
    big = ("申请号,年度,缴费日,金额\n" + f"{OLD_INVENTION},14,2026-11-20,6000\n" * 40_000).encode()
    assert len(big) > 1024 * 1024
    refused = as_a.post("/api/enterprises/1/payments", files={"file": ("big.csv", big, "text/csv")})
    assert (refused.status_code, refused.json()) == (413, {
        "error": "PayloadTooLargeError",
        "message": f"file: the upload is {len(big) / 1024 / 1024:.1f} MB, more than the 1 MB a payment list may be: "
                   "split it into smaller lists (the limit is the setting PATENTATLAS_PAYMENT_LIST_MAX_MB)",
        "code": "err_payment_list_too_large"})
    assert _sql(app, "SELECT count(*) FROM import_batches") == batches
    small = f"申请号,年度,缴费日,金额,收据号\n{OLD_INVENTION},15,2026-11-20,6000,RC-A-15\n".encode("gb18030")
    report = as_a.post("/api/enterprises/1/payments", files={"file": ("list.csv", small, "text/csv")}).json()
    assert (report["read"], report["recorded"], report["quarantined"]) == (1, 1, 0)
    assert _sql(app, "SELECT enterprise_id, source FROM fee_payments WHERE receipt_number = 'RC-A-15'") == [
        (1, "import")]


# --------------------------------------------------------------------------- sign-in and sign-up


def test_the_sign_in_api_takes_json_only(app: Any) -> None:
    client = TestClient(app)
    for body, kind in ((b"email=a%40a.cn&password=correct+horse+battery", "application/x-www-form-urlencoded"),
                       (b'{"email": "a@a.cn", "password": "correct horse battery"}', "text/plain")):
        answer = client.post("/api/session", content=body, headers={"Content-Type": kind})
        assert (answer.status_code, answer.json()) == (415, {
            "error": "MediaTypeError",
            "message": "the sign-in API takes a JSON body (Content-Type: application/json) with email and password; "
                       "browsers sign in with the form at /sign-in", "code": "err_sign_in_json"})
        assert "pa_session" not in answer.headers.get("set-cookie", "")


def _from(app: Any, address: str, **cookies: str) -> TestClient:
    return TestClient(app, client=(address, 40000), cookies=cookies)


def _sign_in(client: TestClient, email: str, password: str) -> int:
    return client.post("/api/session", json={"email": email, "password": password}).status_code


def test_a_stranger_cannot_lock_the_owner_out(app: Any) -> None:
    cursor = app.state.conn.cursor()
    accounts.create_user(cursor, "owner@gov.cn", "analyst", password=PASSWORD, region_code="330000")
    cursor.close()
    owner = _from(app, "198.51.100.7")
    assert _sign_in(owner, "owner@gov.cn", PASSWORD) == 200
    device = owner.cookies.get("pa_device")
    assert device and "HttpOnly" in owner.post("/api/session", json={
        "email": "owner@gov.cn", "password": PASSWORD}).headers["set-cookie"]
    attacker = _from(app, "203.0.113.9")
    assert [_sign_in(attacker, "owner@gov.cn", "guess") for _ in range(5)] == [401] * 5
    assert _sign_in(attacker, "owner@gov.cn", PASSWORD) == 429  # this address is slowed down …
    assert _sign_in(_from(app, "198.51.100.8"), "owner@gov.cn", PASSWORD) == 200  # … the owner elsewhere is not
    # behind the same address (an office's NAT), the owner's browser that signed in before gets through
    assert _sign_in(_from(app, "203.0.113.9", pa_device=device), "owner@gov.cn", PASSWORD) == 200
    # an attack spread over a hundred addresses slows down new browsers, never the owner's own
    _sql(app, "INSERT INTO sign_in_attempts (email, ip, attempted_at, ok) SELECT 'owner@gov.cn', "
         "'192.0.2.' || i, ?, false FROM range(100) t(i)", [utc_now()])
    assert _sign_in(_from(app, "198.51.100.9"), "owner@gov.cn", PASSWORD) == 429
    trusted = _from(app, "198.51.100.9", pa_device=device)
    assert _sign_in(trusted, "owner@gov.cn", PASSWORD) == 200
    # a stolen device cookie is no key: it has its own five failures
    thief = _from(app, "192.0.2.200", pa_device=device)
    assert [_sign_in(thief, "owner@gov.cn", "guess") for _ in range(6)] == [401] * 5 + [429]


def test_unknown_e_mails_get_the_same_answer_after_the_same_work(app: Any) -> None:
    def timed(email: str, address: str) -> tuple[float, Any]:
        start = time.perf_counter()
        answer = _from(app, address).post("/api/session", json={"email": email, "password": "wrong password"})
        return time.perf_counter() - start, (answer.status_code, answer.json())

    known = [timed("a@a.cn", f"198.18.0.{i}") for i in range(3)]
    unknown = [timed("nobody@nowhere.cn", f"198.18.1.{i}") for i in range(3)]
    assert [a for _, a in known] == [a for _, a in unknown] == [
        (401, {"error": "AuthError", "message": "wrong e-mail or password", "code": "err_wrong_credentials"})] * 3
    # both verify an argon2 hash (about 50 ms here); without the dummy hash the unknown one took ~1 ms
    assert statistics.median(t for t, _ in unknown) > 0.5 * statistics.median(t for t, _ in known)


def _uscc(body: str) -> str:
    return body + check_character(body)


def test_sign_up_does_not_tell_whether_an_e_mail_has_an_account(app: Any) -> None:
    def sign_up(email: str, code: str) -> Any:
        return TestClient(app).post("/sign-up", json={"name": f"杭州测试{code[-4:]}有限公司", "uscc": code,
                                                      "email": email, "password": PASSWORD})

    taken_code, free_code = _uscc("91330106MA2TEET01"), _uscc("91330106MA2TEET02")
    taken, free = sign_up("a@a.cn", taken_code), sign_up("new@new.cn", free_code)
    assert (taken.status_code, free.status_code) == (200, 200)
    assert taken.json() | {"email": "x"} == free.json() | {"email": "x"} == {
        "received": True, "email": "x", "message": ent.SIGN_UP_RECEIVED}
    assert "set-cookie" not in taken.headers and "set-cookie" not in free.headers
    assert _sql(app, "SELECT uscc, status FROM enterprises WHERE uscc IN (?, ?)", [taken_code, free_code]) == [
        (free_code, "pending")]  # with a taken e-mail nothing was created
    assert _sql(app, "SELECT enterprise_id FROM users WHERE email = 'a@a.cn'") == [(1,)]
    browser = TestClient(app, follow_redirects=False)
    browser.get("/sign-up")
    token = browser.cookies.get("pa_csrf_pre")
    forms = [browser.post("/sign-up", data={"csrf_token": token, "name": "杭州另一测试有限公司", "uscc": code,
                                            "email": email, "password": PASSWORD})
             for email, code in (("b@b.cn", _uscc("91330106MA2TEET03")), ("new2@new.cn", _uscc("91330106MA2TEET04")))]
    assert [(f.status_code, f.headers["location"]) for f in forms] == [(303, "/sign-in?signed_up=1")] * 2


def _last_sign_in_address(app: Any, email: str) -> str:
    return _sql(app, "SELECT ip FROM audit_log WHERE action = 'sign_in' AND target = ? ORDER BY logged_at DESC "
                "LIMIT 1", [email])[0][0]


def test_x_forwarded_for_is_believed_only_from_a_trusted_proxy(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    forged = {"X-Forwarded-For": "10.9.9.9"}
    assert _from(app, "127.0.0.1").post("/api/session", json={"email": "zj@gov.cn", "password": PASSWORD},
                                        headers=forged).status_code == 200
    assert _last_sign_in_address(app, "zj@gov.cn") == "127.0.0.1"  # no proxy is trusted by default
    monkeypatch.setenv("PATENTATLAS_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8")
    via_proxy = {"X-Forwarded-For": "198.51.100.23, 10.1.2.3"}  # the client, then an inner proxy
    _from(app, "127.0.0.1").post("/api/session", json={"email": "zj@gov.cn", "password": PASSWORD}, headers=via_proxy)
    assert _last_sign_in_address(app, "zj@gov.cn") == "198.51.100.23"
    _from(app, "203.0.113.77").post("/api/session", json={"email": "zj@gov.cn", "password": PASSWORD},
                                    headers=via_proxy)
    assert _last_sign_in_address(app, "zj@gov.cn") == "203.0.113.77"  # not a proxy: its header is ignored
    # rotating a forged header does not escape the per-address count
    rotating = [_from(app, "203.0.113.78").post("/api/session", json={"email": "zj@gov.cn", "password": "guess"},
                                                headers={"X-Forwarded-For": f"192.0.2.{i}"}).status_code
                for i in range(6)]
    assert rotating == [401] * 5 + [429]


def test_a_bad_trusted_proxies_setting_is_named(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATENTATLAS_TRUSTED_PROXIES", "proxy.internal")
    answer = _from(app, "127.0.0.1").post("/api/session", json={"email": "zj@gov.cn", "password": PASSWORD})
    assert answer.status_code == 400
    assert answer.json()["message"].startswith("PATENTATLAS_TRUSTED_PROXIES: 'proxy.internal' does not appear")
