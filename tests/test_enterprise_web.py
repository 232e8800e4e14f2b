"""The enterprise end and accounts through the front door: sign-in, cookies, CSRF, and isolation —
for every endpoint, enterprise A can neither read nor change B's data, an analyst sees only her
region, and nothing changes when a request is refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from patentatlas.domain import accounts
from patentatlas.domain import enterprises as ent
from patentatlas.domain.ical import unfold
from patentatlas.store import open_store
from patentatlas.web.app import create_app
from tests.conftest import copied_store
from tests.web_support import signed_in

PASSWORD = "correct horse battery"
A_NAME, A_USCC = "中科创达软件股份有限公司", "91110108551385082Q"
B_NAME, B_USCC = "成都中科创达软件有限公司", "91330100716105852F"
B_WARNING = "status:2:CN201410720504.0:1"


@pytest.fixture(scope="module")
def db_path(thundersoft_november_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = copied_store(thundersoft_november_db, tmp_path_factory.mktemp("enterprise_web"))
    conn = open_store(path)
    for name, code, email in ((A_NAME, A_USCC, "a@a.cn"), (B_NAME, B_USCC, "b@b.cn")):
        eid = ent.register_enterprise(conn, name, code)["enterprise_id"]
        ent.confirm_proposals(conn, eid, [p["application_number"] for p in ent.proposals(conn, eid)])
        accounts.create_user(conn, email, "enterprise", password=PASSWORD, enterprise_id=eid)
    accounts.create_user(conn, "zj@gov.cn", "analyst", password=PASSWORD, region_code="330000")
    accounts.create_user(conn, "root@gov.cn", "admin", password=PASSWORD)
    facts = {"rule": "status_change", "application_number": "CN201410720504.0", "old_status": "in_force",
             "new_status": "lapsed", "old_status_text": "有权", "new_status_text": "未缴年费",
             "observed_on": "2026-11-01", "batch_id": 1, "file": "thundersoft.csv"}
    conn.execute("INSERT INTO warnings (warning_key, enterprise_id, application_number, rule, severity, facts, as_of) "
                 "VALUES (?, 2, 'CN201410720504.0', 'status_change', 'warning', ?, DATE '2026-11-01')",
                 [B_WARNING, json.dumps(facts)])
    conn.close()
    return path


@pytest.fixture(scope="module")
def app(db_path: Path) -> Iterator[Any]:
    application = create_app(db_path)
    yield application
    application.state.conn.close()


def _client(app: Any, email: str) -> TestClient:
    return signed_in(app, email, PASSWORD)


@pytest.fixture(scope="module")
def as_a(app: Any) -> TestClient:
    return _client(app, "a@a.cn")


@pytest.fixture(scope="module")
def as_analyst(app: Any) -> TestClient:
    return _client(app, "zj@gov.cn")


def _state(app: Any) -> tuple[Any, ...]:
    """Everything of B's that a request could change."""
    cursor = app.state.conn.cursor()
    try:
        return (cursor.execute("SELECT * FROM enterprises WHERE enterprise_id = 2").fetchall(),
                cursor.execute("SELECT count(*) FROM custody WHERE enterprise_id = 2").fetchall(),
                cursor.execute("SELECT count(*) FROM custody_declined WHERE enterprise_id = 2").fetchall(),
                cursor.execute("SELECT count(*) FROM fee_payments").fetchall(),
                cursor.execute("SELECT read_at FROM warnings WHERE enterprise_id = 2").fetchall())
    finally:
        cursor.close()


B_READS = ["/enterprises/2", "/api/enterprises/2", "/enterprises/2/custody", "/api/enterprises/2/custody",
           "/enterprises/2/profile", "/api/enterprises/2/profile", "/enterprises/2/watches",
           "/api/enterprises/2/watches", "/enterprises/2/fees", "/api/enterprises/2/fees",
           "/api/enterprises/2/fees?format=csv", "/api/enterprises/2/fees?format=xlsx", "/enterprises/2/fees.ics",
           "/enterprises/2/inbox", "/api/enterprises/2/inbox"]
B_CHANGES = [
    ("/api/enterprises/2/custody", {"action": "remove", "numbers": ["CN201410720504.0"]}),
    ("/enterprises/2/custody", {"action": "add", "numbers": ["CN201410720504.0"]}),
    ("/api/enterprises/2/profile", {"employees": "1"}),
    ("/enterprises/2/profile", {"fee_reduction": "single"}),
    ("/api/enterprises/2/watches", {"watch_ipc": "G06F"}),
    ("/enterprises/2/watches", {"watch_keywords": "手势"}),
    ("/api/enterprises/2/payments", {"application_number": "CN201410720504.0", "patent_year": "13",
                                     "paid_on": "2026-11-20", "amount": "6000"}),
    ("/enterprises/2/payments", {"application_number": "CN201410720504.0", "patent_year": "13",
                                 "paid_on": "2026-11-20", "amount": "6000"}),
    ("/api/enterprises/2/payments/bulk", {"paid_on": "2026-11-20", "fee": "CN201410720504.0|13|6000|0"}),
    ("/enterprises/2/payments/bulk", {"paid_on": "2026-11-20", "fee": "CN201410720504.0|13|6000|0"}),
    ("/api/enterprises/2/calendar-token", {}),
    ("/enterprises/2/calendar-token", {}),
    ("/api/enterprises/2/inbox/read", {"warning_key": B_WARNING}),
    ("/enterprises/2/inbox/read", {"warning_key": B_WARNING}),
]


@pytest.mark.parametrize("path", B_READS)
def test_enterprise_a_cannot_read_b(as_a: TestClient, as_analyst: TestClient, app: Any, path: str) -> None:
    for client in (as_a, as_analyst):
        answer = client.get(path, headers={"Accept": "application/json"})
        assert answer.status_code == 403, (path, answer.text)
        assert answer.json() == {"error": "ForbiddenError", "message": "enterprise 2 is not yours to see",
                                 "code": "err_not_your_enterprise"}
    assert TestClient(app, follow_redirects=False).get(path, headers={"Accept": "application/json"}).status_code == 401


@pytest.mark.parametrize(("path", "body"), B_CHANGES)
def test_enterprise_a_cannot_change_b(as_a: TestClient, as_analyst: TestClient, app: Any, path: str,
                                      body: dict[str, Any]) -> None:
    before = _state(app)
    for client in (as_a, as_analyst):
        assert client.post(path, json=body).status_code == 403
        assert client.post(path, data=body, headers={"Accept": "application/json"}).status_code == 403
    assert _state(app) == before


def test_a_reads_its_own(as_a: TestClient) -> None:
    page = as_a.get("/api/enterprises/1/custody").json()
    assert len(page["custody"]) == 309 and page["proposals"] == []
    assert as_a.get("/enterprises/1/fees").status_code == 200
    bad = as_a.get("/api/enterprises/1/fees?as_of=2026-13-01")
    assert (bad.status_code, bad.json()["message"]) == (
        400, "as_of='2026-13-01' is not a date: write it as YYYY-MM-DD, e.g. 2022-12-31")
    ics = as_a.get("/enterprises/1/fees.ics")
    assert ics.headers["content-type"] == "text/calendar; charset=utf-8"
    assert ics.text.startswith("BEGIN:VCALENDAR\r\n")


def test_a_cannot_mark_b_warning_read_through_its_own_inbox(as_a: TestClient, app: Any) -> None:
    before = _state(app)
    answer = as_a.post("/api/enterprises/1/inbox/read", json={"warning_key": B_WARNING})
    assert answer.status_code == 404
    assert _state(app) == before


@pytest.mark.parametrize(("method", "path"), [("GET", "/admin/users"), ("GET", "/admin/audit"),
                                              ("GET", "/admin/deliveries"), ("POST", "/admin/users"),
                                              ("POST", "/api/enterprises"), ("POST", "/api/admin/users/1/reset")])
def test_admin_pages_are_for_admins(as_a: TestClient, as_analyst: TestClient, method: str, path: str) -> None:
    for client in (as_a, as_analyst):
        answer = client.request(method, path, json={"email": "x@x.cn", "role": "admin"},
                                headers={"Accept": "application/json"})
        assert answer.status_code == 403, (path, answer.text)


def test_the_enterprise_list_is_for_admins(as_a: TestClient, as_analyst: TestClient) -> None:
    assert as_analyst.get("/enterprises", headers={"Accept": "application/json"}).status_code == 403
    own = as_a.get("/enterprises")  # an enterprise user is sent to its own enterprise
    assert (own.status_code, own.headers["location"]) == (303, "/enterprises/1")


def test_a_post_without_the_csrf_token_changes_nothing(app: Any) -> None:
    client = _client(app, "a@a.cn")
    del client.headers["X-CSRF-Token"]
    cursor = app.state.conn.cursor()
    before = cursor.execute("SELECT employees FROM enterprises WHERE enterprise_id = 1").fetchall()
    answer = client.post("/api/enterprises/1/profile", json={"employees": "77"})
    assert answer.status_code == 403
    assert "CSRF" in answer.json()["message"]
    assert client.post("/enterprises/1/profile", data={"employees": "77", "csrf_token": "forged"}).status_code == 403
    assert cursor.execute("SELECT employees FROM enterprises WHERE enterprise_id = 1").fetchall() == before
    cursor.close()


def test_session_cookie_flags_and_sign_out(app: Any) -> None:
    client = TestClient(app, follow_redirects=False)
    answer = client.post("/api/session", json={"email": "a@a.cn", "password": PASSWORD})
    cookie = answer.headers["set-cookie"]
    assert "pa_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    csrf = answer.json()["csrf_token"]
    assert client.delete("/api/session", headers={"X-CSRF-Token": csrf}).status_code == 200
    assert client.get("/api/enterprises/1").status_code == 401


def test_wrong_password_is_401_with_one_message(app: Any) -> None:
    answer = TestClient(app).post("/api/session", json={"email": "a@a.cn", "password": "nope"})
    assert answer.status_code == 401
    assert answer.json() == {"error": "AuthError", "message": "wrong e-mail or password",
                             "code": "err_wrong_credentials"}


def test_a_page_needing_a_session_sends_the_browser_to_sign_in(app: Any) -> None:
    answer = TestClient(app, follow_redirects=False).get("/enterprises/1/fees")
    assert (answer.status_code, answer.headers["location"]) == (303, "/sign-in?next=%2Fenterprises%2F1%2Ffees")


def test_sign_in_form_needs_its_csrf_cookie(app: Any) -> None:
    client = TestClient(app, follow_redirects=False)
    page = client.get("/sign-in?next=/enterprises/1")
    token = client.cookies.get("pa_csrf_pre")
    assert f'value="{token}"' in page.text
    refused = TestClient(app, follow_redirects=False).post(
        "/sign-in", data={"email": "a@a.cn", "password": PASSWORD, "csrf_token": token})
    assert refused.status_code == 403  # the token without its cookie: a forged cross-site form
    answer = client.post("/sign-in", data={"email": "a@a.cn", "password": PASSWORD, "csrf_token": token,
                                           "next": "/enterprises/1"})
    assert (answer.status_code, answer.headers["location"]) == (303, "/enterprises/1")
    open_redirect = client.post("/sign-in", data={"email": "a@a.cn", "password": PASSWORD, "csrf_token": token,
                                                  "next": "//evil.example/"})
    assert open_redirect.headers["location"] == "/enterprises/1"


def test_sign_up_waits_for_the_office_then_claims(app: Any) -> None:
    client = TestClient(app, follow_redirects=False)
    client.get("/sign-up")
    token = client.cookies.get("pa_csrf_pre")
    bad = client.post("/sign-up", data={"csrf_token": token, "name": "南京中科创达软件科技有限公司",
                                        "uscc": "914403001922038217", "email": "nj@nj.cn", "password": PASSWORD})
    assert bad.status_code == 400 and "统一社会信用代码 914403001922038217 的校验位为 7，应为 6" in bad.text
    answer = client.post("/sign-up", data={"csrf_token": token, "name": "南京中科创达软件科技有限公司",
                                           "uscc": "914403001922038216", "email": "nj@nj.cn", "password": PASSWORD})
    assert (answer.status_code, answer.headers["location"]) == (303, "/sign-in?signed_up=1")
    assert "pa_session" not in answer.headers.get("set-cookie", "")  # not signed in: the same as a taken e-mail
    assert 'id="signed-up"' in client.get("/sign-in?signed_up=1").text
    nj = _client(app, "nj@nj.cn")
    eid = nj.get("/api/session").json()["user"]["enterprise_id"]
    assert nj.get(f"/api/enterprises/{eid}").json()["enterprise"]["status"] == "pending"
    assert 'id="pending-notice"' in nj.get(f"/enterprises/{eid}/custody").text
    proposals = nj.get(f"/api/enterprises/{eid}/custody").json()["proposals"]
    assert len(proposals) == 27  # the file's rows with 南京中科创达软件科技有限公司 as applicant
    numbers = [p["application_number"] for p in proposals]
    refused = nj.post(f"/api/enterprises/{eid}/custody", json={"action": "confirm", "numbers": numbers})
    assert (refused.status_code, refused.json()["message"]) == (
        403, f"enterprise {eid} is waiting for the office (an admin or its region's analyst) to verify its "
             "registration: until then it cannot hold patents, record payments or receive warnings")
    # 914403… is Shenzhen (440300): not the Zhejiang analyst's to decide; the admin's
    assert as_analyst_decides(app, eid).status_code == 403
    admin = _client(app, "root@gov.cn")
    (pending,) = [r for r in admin.get("/api/approvals").json()["registrations"] if r["enterprise_id"] == eid]
    assert (pending["evidence"]["division_code"], pending["evidence"]["region_name"],
            pending["evidence"]["contacts"][0]["email"], pending["evidence"]["would_claim"]) == (
        "440300", "深圳市", "nj@nj.cn", 27)
    page = admin.get("/approvals")
    assert f'data-enterprise="{eid}"' in page.text and "nj@nj.cn" in page.text
    approved = admin.post(f"/approvals/enterprises/{eid}", data={"decision": "approve", "note": "已电话核实"})
    assert (approved.status_code, approved.headers["location"]) == (303, "/approvals")
    claimed = nj.post(f"/enterprises/{eid}/custody", data={"action": "confirm", "numbers": numbers})
    assert claimed.status_code == 303
    assert len(nj.get(f"/api/enterprises/{eid}/custody").json()["custody"]) == 27
    unknown = nj.post(f"/api/enterprises/{eid}/custody", json={"action": "add", "numbers": ["CN209910000001.8"]})
    assert unknown.status_code == 404
    assert unknown.json()["message"] == "application CN209910000001.8 is not in the store: import it first"


def as_analyst_decides(app: Any, eid: int) -> Any:
    return _client(app, "zj@gov.cn").post(f"/api/approvals/enterprises/{eid}", json={"decision": "approve"})


def test_the_admin_invites_an_analyst_who_then_signs_in(app: Any) -> None:
    admin = _client(app, "root@gov.cn")
    invited = admin.post("/admin/users", json={"email": "hz@gov.cn", "role": "analyst", "region_code": "330100"})
    assert invited.status_code == 200, invited.text
    link = invited.json()["invite_url"]
    path = link[link.index("/invite/"):]
    newcomer = TestClient(app, follow_redirects=False)
    newcomer.get(path)
    accepted = newcomer.post(path, data={"password": PASSWORD, "csrf_token": newcomer.cookies.get("pa_csrf_pre")})
    assert (accepted.status_code, accepted.headers["location"]) == (303, "/warnings/regions/330100")
    assert newcomer.get("/api/session").json()["user"]["region_code"] == "330100"
    for page in ("/admin/users", "/admin/audit", "/admin/deliveries"):
        assert admin.get(page).status_code == 200
    audit = admin.get("/admin/audit", headers={"Accept": "application/json"}).json()["entries"]
    assert [e["action"] for e in audit[:3]] == ["sign_in", "user.accept_invite", "user.invite"]


def test_the_calendar_feed_at_its_secret_address(as_a: TestClient, app: Any) -> None:
    url = as_a.post("/api/enterprises/1/calendar-token").json()["calendar_url"]  # shown once, when made
    path = url[url.index("/calendar/"):]
    calendar_app = TestClient(app)  # no session: a calendar app only knows the address
    feed = calendar_app.get(path)
    assert feed.status_code == 200 and f"X-WR-CALNAME:{A_NAME} 年费日历" in feed.text
    assert "宽限期届满: " in unfold(feed.text) and "滞纳期" not in unfold(feed.text)
    as_a.post("/api/enterprises/1/profile", json={"notify_lang": "en"})  # the subscriber's language
    english = unfold(calendar_app.get(path).text)
    as_a.post("/api/enterprises/1/profile", json={"notify_lang": "zh"})
    assert f"X-WR-CALNAME:{A_NAME} Fee calendar" in english
    summary = next(line for line in english.splitlines() if line.startswith("SUMMARY:"))
    assert summary.startswith("SUMMARY:Annual fee due CN") and " year " in summary
    assert "Grace period ends: " in english and "Patent year: " in english
    assert [w for w in ("年费截止", "专利年度", "应缴金额", "缴费期限", "宽限期", "年费日历") if w in english] == []
    assert calendar_app.get("/calendar/guessed-token.ics").status_code == 404
    new_url = as_a.post("/api/enterprises/1/calendar-token").json()["calendar_url"]
    assert new_url != url
    assert calendar_app.get(path).status_code == 404  # the old address stops working
    assert calendar_app.get(new_url[new_url.index("/calendar/"):]).status_code == 200


def test_an_expired_session_is_refused_with_its_time(app: Any) -> None:
    client = _client(app, "b@b.cn")
    cursor = app.state.conn.cursor()
    cursor.execute("UPDATE sessions SET expires_at = TIMESTAMP '2026-01-02 03:04:00' WHERE user_id = "
                   "(SELECT user_id FROM users WHERE email = 'b@b.cn')")
    cursor.close()
    answer = client.get("/api/enterprises/2")
    assert answer.status_code == 401
    assert answer.json()["message"] == "your session expired at 2026-01-02 03:04 UTC: please sign in again"
    page = client.get("/enterprises/2/fees")  # a browser is sent to sign in again
    assert (page.status_code, page.headers["location"]) == (303, "/sign-in?next=%2Fenterprises%2F2%2Ffees")


def test_an_admin_reads_an_enterprise_inbox_with_the_rule_in_words(app: Any) -> None:
    admin = _client(app, "root@gov.cn")
    page = admin.get("/enterprises/2/inbox")
    assert page.status_code == 200
    assert "规则: 法律状态变化 · 2026-" in page.text and "CN201410720504.0" in page.text
    assert "<h2>法律状态变化：CN201410720504.0 有效→失效</h2>" in page.text
    assert admin.get("/api/enterprises/2").json()["unread"] == 1
    english = admin.get("/enterprises/2/inbox?lang=en")
    assert "Rule: Legal status changed" in english.text
    assert "<h2>Legal status changed: CN201410720504.0 In force → Lapsed</h2>" in english.text


def test_the_admin_registers_an_enterprise(app: Any) -> None:
    admin = _client(app, "root@gov.cn")
    bad = admin.post("/api/enterprises", json={"name": "西安中科创达软件有限公司", "uscc": "9144030071526726XA"})
    assert (bad.status_code, bad.json()["message"]) == (
        400, "unified social credit code '9144030071526726XA': check character is A, expected G")
    made = admin.post("/api/enterprises", json={"name": "西安中科创达软件有限公司", "uscc": "9144030071526726XG"})
    assert made.status_code == 200 and made.json()["region_code"] == "440300"
    assert made.json()["status"] == "verified"  # registered by the office: verified at once
    listed = admin.get("/enterprises", headers={"Accept": "application/json"}).json()["enterprises"]
    assert [e["name"] for e in listed][-1] == "西安中科创达软件有限公司"


def _new_user(app: Any, email: str) -> None:
    cursor = app.state.conn.cursor()
    accounts.create_user(cursor, email, "analyst", password=PASSWORD, region_code="330000")
    cursor.close()


def test_changing_the_password_ends_the_other_sessions(app: Any) -> None:
    _new_user(app, "pw@gov.cn")
    here, elsewhere = _client(app, "pw@gov.cn"), _client(app, "pw@gov.cn")
    wrong = here.post("/api/account/password", json={"current_password": "guess", "new_password": "x" * 12})
    assert (wrong.status_code, wrong.json()["message"]) == (401, "the current password is wrong")
    short = here.post("/api/account/password", json={"current_password": PASSWORD, "new_password": "short"})
    assert (short.status_code, short.json()["message"]) == (400, "password: at least 10 characters, please")
    done = here.post("/api/account/password", json={"current_password": PASSWORD, "new_password": "a new passphrase"})
    assert done.json() == {"changed": True}
    assert 'id="password-form"' in here.get("/account").text
    assert here.get("/api/session").status_code == 200
    assert elsewhere.get("/api/session").status_code == 401
    signing_in = TestClient(app)
    assert signing_in.post("/api/session", json={"email": "pw@gov.cn", "password": PASSWORD}).status_code == 401
    assert signing_in.post("/api/session", json={"email": "pw@gov.cn",
                                                 "password": "a new passphrase"}).status_code == 200


def test_the_admin_resets_a_forgotten_password(app: Any) -> None:
    _new_user(app, "forgot@gov.cn")
    forgetful = _client(app, "forgot@gov.cn")
    user_id = forgetful.get("/api/session").json()["user"]["user_id"]
    link = _client(app, "root@gov.cn").post(f"/api/admin/users/{user_id}/reset").json()["invite_url"]
    assert forgetful.get("/api/session").status_code == 401  # its sessions ended
    path = link[link.index("/invite/"):]
    fresh = TestClient(app, follow_redirects=False)
    fresh.get(path)
    accepted = fresh.post(path, data={"password": "remembered now", "csrf_token": fresh.cookies.get("pa_csrf_pre")})
    assert accepted.status_code == 303
    old = TestClient(app).post("/api/session", json={"email": "forgot@gov.cn", "password": PASSWORD})
    assert old.status_code == 401
