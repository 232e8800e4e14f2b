"""Errors where they happen (issue 11 §2), through the front door: a browser's form that fails goes
back to its page with the message (in the page's language), the field it concerns and what was
typed — passwords never kept —; every action says what it did on the next page, once; the removal
from custody asks first. Scripts (JSON) keep the one error shape."""

from __future__ import annotations

import base64
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from patentatlas.commands.accounts import (
    DEMO_ADMIN,
    DEMO_ANALYST,
    DEMO_ENTERPRISE_USER,
    DEMO_PASSWORD,
    seed_demo_accounts,
)
from patentatlas.store import open_store
from patentatlas.web.app import create_app
from patentatlas.web.forms import FLASH_COOKIE
from tests.web_support import HtmlPage, signed_in

HOST = "http://testserver"
HELD = "CN201910085883.3"  # in the demo enterprise's custody


@pytest.fixture(scope="module")
def app(loaded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    path = tmp_path_factory.mktemp("pages_forms") / "store.duckdb"
    shutil.copy(loaded_db, path)
    conn = open_store(path)
    seed_demo_accounts(conn)
    conn.close()
    application = create_app(path)
    yield application
    application.state.conn.close()


def _flash(page: str) -> tuple[str | None, dict[str, Any] | None]:
    """The message shown at the top of a page, and what forms.js receives."""
    shown = re.search(r'<p class="flash [^"]*" id="flash-message"[^>]*>(.*?)</p>', page)
    data = re.search(r'<script type="application/json" id="flash-data">(.*?)</script>', page)
    return (shown.group(1) if shown else None), (json.loads(data.group(1)) if data else None)


def _form_client(app: Any) -> TestClient:
    """A browser-like client: forms with the pre-session CSRF token, no redirects followed."""
    client = TestClient(app, follow_redirects=False)
    client.get("/sign-in")
    return client


def test_a_failed_sign_in_returns_to_the_form_with_the_email_kept(app: Any) -> None:
    client = _form_client(app)
    sent = {"email": DEMO_ENTERPRISE_USER, "password": "not-the-password-1", "next": "/enterprises/1",
            "csrf_token": client.cookies.get("pa_csrf_pre")}
    answer = client.post("/sign-in", data=sent, headers={"Referer": f"{HOST}/sign-in?next=/enterprises/1"})
    assert (answer.status_code, answer.headers["location"]) == (303, "/sign-in?next=/enterprises/1")
    page = client.get("/sign-in?next=/enterprises/1").text
    shown, data = _flash(page)
    assert shown == "输入有误：电子邮箱或密码错误"
    assert data is not None and data["form"] == "/sign-in" and data["kind"] == "error"
    assert data["values"] == {"email": DEMO_ENTERPRISE_USER, "next": "/enterprises/1"}  # never the password
    assert "not-the-password-1" not in page and "not-the-password-1" not in base64.urlsafe_b64decode(
        answer.cookies[FLASH_COOKIE].split(".")[0].strip('"')).decode()
    assert _flash(client.get("/sign-in").text) == (None, None)  # shown once


def test_the_error_is_in_the_users_language(app: Any) -> None:
    client = _form_client(app)
    client.get("/sign-in?lang=en")
    client.post("/sign-in", data={"email": "nobody@example.cn", "password": "x" * 12,
                                  "csrf_token": client.cookies.get("pa_csrf_pre")},
                headers={"Referer": f"{HOST}/sign-in"})
    assert _flash(client.get("/sign-in").text)[0] == "Please check the form: wrong e-mail or password"


def test_a_profile_error_names_its_field_and_keeps_the_input(app: Any) -> None:
    owner = signed_in(app, DEMO_ENTERPRISE_USER, DEMO_PASSWORD)
    sent = {"name_variants": "网易（杭州）网络有限公司", "employees": "三百", "rd_spending": "1200000",
            "fee_reduction": "single", "notify_email": "ip@163.com", "webhook_secret": "s3cret-value"}
    answer = owner.post("/enterprises/1/profile", data=sent, headers={"Referer": f"{HOST}/enterprises/1/profile"})
    assert (answer.status_code, answer.headers["location"]) == (303, "/enterprises/1/profile")
    shown, data = _flash(owner.get("/enterprises/1/profile").text)
    assert shown == "输入有误：员工人数：&#39;三百&#39; 不是整数"
    assert data is not None and data["field"] == "employees"
    assert data["values"] == {k: v for k, v in sent.items() if k != "webhook_secret"}
    profile = owner.get("/api/enterprises/1/profile").json()["enterprise"]  # nothing was saved
    assert (profile["employees"], profile["rd_spending"], profile["fee_reduction"]) == (None, None, None)


def test_a_script_still_gets_the_json_error(app: Any) -> None:
    owner = signed_in(app, DEMO_ENTERPRISE_USER, DEMO_PASSWORD)
    answer = owner.post("/api/enterprises/1/profile", json={"employees": "三百"},
                        headers={"Referer": f"{HOST}/enterprises/1/profile"})
    assert answer.status_code == 400
    assert answer.json() == {"error": "UsageError", "message": "employees: '三百' is not a whole number",
                             "code": "err_whole_number"}  # the English text as before, the catalogue's msgid beside it
    assert FLASH_COOKIE not in answer.cookies
    # a form sent from another site's page is not sent back there
    elsewhere = owner.post("/enterprises/1/profile", data={"employees": "x"},
                           headers={"Referer": "https://evil.example/form"})
    assert elsewhere.status_code == 400 and "出错了" in elsewhere.text


@pytest.mark.parametrize(("path", "sent", "back", "message"), [
    ("/enterprises/1/watches", {"watch_ipc": "G06F", "watch_keywords": "游戏"}, "/enterprises/1/watches",
     "技术监控设置已保存。"),
    ("/enterprises/1/profile", {"employees": "300"}, "/enterprises/1/profile", "企业信息已保存。"),
    ("/enterprises/1/custody", {"action": "remove", "numbers": HELD}, "/enterprises/1/custody", "专利已移出托管。"),
    ("/enterprises/1/custody", {"action": "add", "numbers": HELD}, "/enterprises/1/custody", "专利已加入托管。"),
    # not the enterprise's by its names (Toyota's): a request the office decides
    ("/enterprises/1/custody", {"action": "add", "numbers": "CN202010302257.8"}, "/enterprises/1/custody",
     "已提交托管申请，待知识产权局审核。"),
])
def test_every_action_says_what_it_did_once(app: Any, path: str, sent: dict[str, str], back: str,
                                            message: str) -> None:
    owner = signed_in(app, DEMO_ENTERPRISE_USER, DEMO_PASSWORD)
    answer = owner.post(path, data=sent)
    assert (answer.status_code, answer.headers["location"]) == (303, back)
    shown, data = _flash(owner.get(back).text)
    assert shown == message and data is not None and data["kind"] == "success"
    assert _flash(owner.get(back).text) == (None, None)


def test_a_forged_message_is_not_shown(app: Any) -> None:
    client = TestClient(app)
    body = base64.urlsafe_b64encode(json.dumps({"kind": "error", "message": "call 400-000"}).encode()).decode()
    client.cookies.set(FLASH_COOKIE, f"{body}.{'0' * 32}")
    assert _flash(client.get("/sign-in").text) == (None, None)


def test_removal_from_custody_asks_first(app: Any) -> None:
    owner = signed_in(app, DEMO_ENTERPRISE_USER, DEMO_PASSWORD)
    page = HtmlPage(owner.get("/enterprises/1/custody").text)
    assert "/static/forms.js" in page.scripts
    html = owner.get("/enterprises/1/custody").text
    removes = re.findall(r'<button type="submit" name="action" value="remove"([^>]*)>', html)
    assert removes and all('data-confirm="确定将该专利移出托管吗？' in b for b in removes)


def test_sign_up_keeps_all_but_the_password(app: Any) -> None:
    client = _form_client(app)
    sent = {"name": "杭州示例科技有限公司", "uscc": "91330106MA2B0XXXXX", "name_variants": "示例科技",
            "display_name": "知识产权部", "email": "ip@example.cn", "password": "short"}
    answer = client.post("/sign-up", data={**sent, "csrf_token": client.cookies.get("pa_csrf_pre")},
                         headers={"Referer": f"{HOST}/sign-up"})
    assert (answer.status_code, answer.headers["location"]) == (303, "/sign-up")
    shown, data = _flash(client.get("/sign-up").text)
    assert shown == "输入有误：密码至少 10 位"
    assert data is not None and data["field"] == "password"
    assert data["values"] == {k: v for k, v in sent.items() if k != "password"}


def test_an_invitation_error_returns_to_the_users_page(app: Any) -> None:
    admin = signed_in(app, DEMO_ADMIN, DEMO_PASSWORD)
    sent = {"email": "new.analyst@gov.cn", "role": "analyst", "region_code": "999999", "display_name": "新同事"}
    answer = admin.post("/admin/users", data=sent, headers={"Referer": f"{HOST}/admin/users"})
    assert (answer.status_code, answer.headers["location"]) == (303, "/admin/users")
    shown, data = _flash(admin.get("/admin/users").text)
    assert shown == "输入有误：地区：分析员须填写已知的地区代码，&#39;999999&#39; 不是"
    assert data is not None and data["values"] == sent and data["form"] == "/admin/users"


def test_a_bad_payment_list_returns_to_the_fee_calendar(app: Any) -> None:
    owner = signed_in(app, DEMO_ENTERPRISE_USER, DEMO_PASSWORD)
    answer = owner.post("/enterprises/1/payments", files={"file": ("缴费.csv", "甲,乙\n1,2\n".encode(), "text/csv")},
                        headers={"Referer": f"{HOST}/enterprises/1/fees"})
    assert (answer.status_code, answer.headers["location"]) == (303, "/enterprises/1/fees")
    shown, data = _flash(owner.get("/enterprises/1/fees").text)
    assert shown is not None and shown.startswith("输入有误：") and "缴费.csv" in shown, shown
    assert data is not None and data["form"] == "/enterprises/1/payments" and data["values"] == {}


def test_a_specialty_database_saved_says_so(app: Any) -> None:
    analyst = signed_in(app, DEMO_ANALYST, DEMO_PASSWORD)
    answer = analyst.post("/industries/specialty", data={"db_id": "vr-display", "name": "虚拟现实显示",
                                                         "ipc_codes": "G02B27/01", "keywords": "头戴显示"})
    assert (answer.status_code, answer.headers["location"]) == (303, "/industries/specialty/vr-display")
    assert _flash(analyst.get("/industries/specialty/vr-display").text)[0] == "专题数据库已保存，成员已按定义计算。"


def test_resetting_a_password_asks_first(app: Any) -> None:
    admin = signed_in(app, DEMO_ADMIN, DEMO_PASSWORD)
    html = admin.get("/admin/users").text
    resets = re.findall(r'<form method="post" action="/admin/users/\d+/reset">.*?<button([^>]*)>', html)
    assert resets and all('data-confirm="重置后该用户的密码和所有登录会话立即失效，确定重置吗？"' in b for b in resets)


# --------------------------------------------------------------------------- errors in the page's language

def _error_after(client: TestClient, path: str, sent: dict[str, Any], back: str,
                 lang: str) -> tuple[str | None, dict[str, Any] | None]:
    """The message a form's error leaves on its page, in ``lang`` (chosen as a visitor does: ?lang=)."""
    client.get(f"{back}?lang={lang}")
    answer = client.post(path, data=sent, headers={"Referer": f"{HOST}{back}"})
    assert (answer.status_code, answer.headers["location"]) == (303, back), answer.text[:300]
    return _flash(client.get(back).text)


@pytest.mark.parametrize(("lang", "expected"), [
    ("zh", "输入有误：统一社会信用代码 914403001922038217 的校验位为 7，应为 6"),
    ("en", "Please check the form: unified social credit code &#39;914403001922038217&#39;: check character is 7, "
           "expected 6"),
])
def test_a_wrong_credit_code_is_said_beside_it(app: Any, lang: str, expected: str) -> None:
    client = _form_client(app)
    sent = {"name": "南京中科创达软件科技有限公司", "uscc": "914403001922038217", "email": f"nj-{lang}@nj.cn",
            "password": "correct horse battery staple"}
    shown, data = _error_after(client, "/sign-up", {**sent, "csrf_token": client.cookies.get("pa_csrf_pre")},
                               "/sign-up", lang)
    assert shown == expected
    assert data is not None and data["field"] == "uscc"
    assert data["values"] == {k: v for k, v in sent.items() if k != "password"}


@pytest.mark.parametrize(("lang", "expected"), [
    ("zh", "输入有误：申请号 CN202010302257.9 的校验位为 9，按号码计算应为 8"),
    ("en", "Please check the form: check digit of &#39;CN202010302257.9&#39; is 9, the number&#39;s digits give 8"),
])
def test_a_wrong_check_digit_is_said_beside_the_numbers(app: Any, lang: str, expected: str) -> None:
    owner = signed_in(app, DEMO_ENTERPRISE_USER, DEMO_PASSWORD)
    sent = {"action": "add", "numbers": "CN202010302257.9"}
    shown, data = _error_after(owner, "/enterprises/1/custody", sent, "/enterprises/1/custody", lang)
    assert shown == expected
    assert data is not None and data["field"] == "numbers" and data["values"] == sent


@pytest.mark.parametrize(("lang", "expected"), [
    ("zh", "输入有误：请至少选择一项年费"),
    ("en", "Please check the form: fees: choose at least one fee"),
])
def test_choosing_no_fee_is_said_beside_the_fees(app: Any, lang: str, expected: str) -> None:
    owner = signed_in(app, DEMO_ENTERPRISE_USER, DEMO_PASSWORD)
    sent = {"paid_on": "2026-01-05", "receipt_number": "R-1"}
    shown, data = _error_after(owner, "/enterprises/1/payments/bulk", sent, "/enterprises/1/fees", lang)
    assert shown == expected
    assert data is not None and data["field"] == "fees" and data["values"] == sent


def test_a_patent_not_in_the_store_is_said_in_chinese(app: Any) -> None:
    page = HtmlPage(TestClient(app).get("/patents/CN209910000001.8").text)
    assert page.text["error-message"] == "专利库中没有申请号为 CN209910000001.8 的专利"
    english = TestClient(app).get("/patents/CN209910000001.8?lang=en")
    assert HtmlPage(english.text).text["error-message"] == "application CN209910000001.8 is not in the store"


def test_an_api_error_keeps_its_english_message_and_names_its_code(app: Any) -> None:
    answer = TestClient(app).get("/api/patents/CN209910000001.8")
    assert (answer.status_code, answer.json()) == (404, {
        "error": "NotFoundError", "message": "application CN209910000001.8 is not in the store",
        "code": "err_patent_not_in_store"})
    unknown = TestClient(app).get("/api/no-such-thing", headers={"Accept-Language": "zh"})
    assert unknown.json() == {"error": "NotFoundError", "message": "/api/no-such-thing is not a page of this site",
                              "code": "err_no_such_page"}
