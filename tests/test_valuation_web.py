"""Valuation cases through the front door (issue 13 §2): an enterprise's case valued by hand, saved with
its history and who supplied each input; the office's cases for admins and the analysts of the
patents' region; every other enterprise refused on every endpoint (read, update, list, PDF) with
nothing changed; CSRF on every POST; bad input refused naming it; the report as a page and as a PDF
that is not blank and says the income value in Chinese."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from patentatlas.domain import accounts
from patentatlas.domain import enterprises as ent
from patentatlas.store import open_store
from patentatlas.web.app import create_app
from tests.conftest import copied_store
from tests.web_support import get_page, signed_in

PASSWORD = "correct horse battery"
# in force, in the custody of 中科创达软件股份有限公司 (A), placed in 海淀区 (110108):
P1 = "CN201910140397.7"  # 一种遗留物体检测方法及装置, invention filed 2019-02-22: term ends 2039-02-22
P2 = "CN201710178924.4"  # 一种呼叫控制方法、系统及移动终端, filed 2017-03-23: term ends 2037-03-23
LAPSED = "CN202011219932.7"  # in A's custody, lapsed
B_PATENT = "CN201810374591.7"  # in force, in the custody of 成都中科创达软件有限公司 (B), placed in 杭州 (330100)
ON = "2026-11-01"  # P2 has (2037-03-23 − 2026-11-01) = 3,795 days ÷ 365.25 = 10.39 years left


def inputs(**change: Any) -> dict[str, Any]:
    return {"title": "质押贷款 2026", "patents": [P1, P2], "valuation_date": ON,
            "annual_income": [800_000, 1_000_000], "profit_split": 0.25, "discount_rate": 0.12,
            "economic_life_years": 4, "liquidation_discount": 0.4,
            "comparable_prices": [1_500_000, 1_200_000], "comparable_adjustments": [0.9, 1.1],
            "replacement_cost": 900_000, "functional_depreciation": 150_000,
            "economic_depreciation": 50_000} | change


@pytest.fixture(scope="module")
def db_path(thundersoft_november_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = copied_store(thundersoft_november_db, tmp_path_factory.mktemp("valuation_web"))
    conn = open_store(path)
    for name, code, email in (("中科创达软件股份有限公司", "91110108551385082Q", "a@a.cn"),
                              ("成都中科创达软件有限公司", "91330100716105852F", "b@b.cn")):
        eid = ent.register_enterprise(conn, name, code)["enterprise_id"]
        ent.confirm_proposals(conn, eid, [p["application_number"] for p in ent.proposals(conn, eid)])
        accounts.create_user(conn, email, "enterprise", password=PASSWORD, enterprise_id=eid)
    accounts.create_user(conn, "hd@gov.cn", "analyst", password=PASSWORD, region_code="110108")
    accounts.create_user(conn, "zj@gov.cn", "analyst", password=PASSWORD, region_code="330000")
    accounts.create_user(conn, "root@gov.cn", "admin", password=PASSWORD)
    conn.close()
    return path


@pytest.fixture(scope="module")
def app(db_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    copy = tmp_path_factory.mktemp("valuation_app") / "store.duckdb"
    shutil.copy(db_path, copy)
    application = create_app(copy)
    yield application
    application.state.conn.close()


@pytest.fixture(scope="module")
def clients(app: Any) -> dict[str, TestClient]:
    return {who: signed_in(app, f"{who}@{'gov' if who in ('hd', 'zj', 'root') else who}.cn", PASSWORD)
            for who in ("a", "b", "hd", "zj", "root")}


@pytest.fixture(scope="module")
def a_case(clients: dict[str, TestClient]) -> dict[str, Any]:
    """A's case, saved once by A (version 1)."""
    answer = clients["a"].post("/api/valuations", json=inputs())
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_enterprise_case_valued_by_hand(a_case: dict[str, Any]) -> None:
    result = a_case["result"]
    # profit split 25 % of 800,000, 1,000,000, then held flat: 200,000, 250,000, 250,000, 250,000;
    # at 12 %: 200,000 / 1.12 = 178,571.43; 250,000 / 1.2544 = 199,298.47; 250,000 / 1.404928 = 177,945.06;
    # 250,000 / 1.57351936 = 158,879.52; the sum (unrounded terms) 714,694.48
    assert result["income_approach"]["value"] == 714_694.48
    assert result["income_approach"]["incomes"] == [800_000, 1_000_000, 1_000_000, 1_000_000]
    # liquidation: 714,694.48 × (1 − 0.4) = 428,816.69
    assert result["liquidation_value"] == 428_816.69
    # market: 1,500,000 × 0.9 = 1,350,000 and 1,200,000 × 1.1 = 1,320,000, mean 1,335,000
    assert result["market_approach"]["value"] == 1_335_000
    # cost: 900,000 − 0 − 150,000 − 50,000 = 700,000
    assert result["cost_approach"]["value"] == 700_000
    assert [p["remaining_years"] for p in result["patents"]] == [12.31, 10.39]
    row = next(r for r in result["sensitivity"] if r["discount_rate"] == 0.12)
    # one year more at 12 %: + 250,000 / 1.12^5 = 141,856.71 → 856,551.19; lives 2 … 6 (the term allows 10)
    assert (row["4"], row["5"]) == (714_694.48, 856_551.19)
    assert [r["discount_rate"] for r in result["sensitivity"]] == [0.1, 0.11, 0.12, 0.13, 0.14]
    # the patents' indicator scores as domain.value stored them
    assert [(s["application_number"], s["score"], s["legal"], s["technical"], s["economic"])
            for s in result["indicators"]] == [(P1, 80.0, 100.0, 80.0, 60.0), (P2, 80.0, 100.0, 80.0, 60.0)]
    assert a_case["owner"] == {"kind": "enterprise", "enterprise_id": 1, "name": "中科创达软件股份有限公司"}
    supplied = a_case["inputs"]["discount_rate"]
    assert (supplied["value"], supplied["supplied_by"]) == ("0.12", {"user_id": 1, "role": "enterprise",
                                                                      "name": "a@a.cn"})
    income = next(f for f in a_case["figures"] if f["figure"] == "income_approach")
    assert [i["name"] for i in income["inputs"]] == ["annual_income", "profit_split", "discount_rate",
                                                    "economic_life_years", "valuation_date", "patents"]


def test_every_update_is_a_new_version(clients: dict[str, TestClient], a_case: dict[str, Any]) -> None:
    case_id = a_case["case_id"]
    answer = clients["root"].post(f"/api/valuations/{case_id}", json={"discount_rate": 0.10})
    assert answer.status_code == 200, answer.text
    case = answer.json()
    # at 10 %: 181,818.18 + 206,611.57 + 187,828.70 + 170,753.36 = 747,011.82 (unrounded terms)
    assert (case["version"], case["result"]["income_approach"]["value"]) == (2, 747_011.82)
    assert case["inputs"]["discount_rate"]["supplied_by"] == {"user_id": 5, "role": "admin", "name": "root@gov.cn"}
    assert case["inputs"]["profit_split"] == a_case["inputs"]["profit_split"]  # kept, with its supplier and time
    assert [(h["version"], h["saved_by"]["user_id"], h["income_value"]) for h in case["history"]] == [
        (1, 1, 714_694.48), (2, 5, 747_011.82)]
    assert case["history"][1]["changed"] == ["discount_rate"]
    first = clients["a"].get(f"/api/valuations/{case_id}", params={"version": 1}).json()
    assert (first["version"], first["result"]["income_approach"]["value"]) == (1, 714_694.48)
    unchanged = clients["a"].post(f"/api/valuations/{case_id}", json={"discount_rate": "0.1"})
    assert unchanged.status_code == 400 and "nothing changed" in unchanged.json()["message"]


@contextmanager
def form_only(client: TestClient) -> Iterator[None]:
    """The client without its CSRF header for a while, as a browser posting a form."""
    token = client.headers.pop("X-CSRF-Token")
    try:
        yield
    finally:
        client.headers["X-CSRF-Token"] = token


def _latest(app: Any, case_id: int) -> Any:
    cursor = app.state.conn.cursor()
    try:
        return cursor.execute("SELECT max(version), count(*) FROM valuation_versions WHERE case_id = ?",
                              [case_id]).fetchall()
    finally:
        cursor.close()


@pytest.mark.parametrize("who", ["b", "hd", "zj"])
def test_others_are_refused_on_every_endpoint(app: Any, clients: dict[str, TestClient], a_case: dict[str, Any],
                                              who: str) -> None:
    case_id, before = a_case["case_id"], _latest(app, a_case["case_id"])
    client = clients[who]
    for url in (f"/api/valuations/{case_id}", f"/valuations/{case_id}", f"/api/valuations/{case_id}/report.pdf",
                f"/valuations/{case_id}/report.pdf", "/api/enterprises/1/valuations", "/enterprises/1/valuations"):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/api/valuations/{case_id}", json={"discount_rate": 0.2}).status_code == 403
    assert _latest(app, case_id) == before


def test_csrf_on_every_post(app: Any, clients: dict[str, TestClient], a_case: dict[str, Any]) -> None:
    case_id, before = a_case["case_id"], _latest(app, a_case["case_id"])
    client = clients["a"]
    count = len(client.get("/api/enterprises/1/valuations").json()["cases"])
    no_token = {"X-CSRF-Token": ""}
    assert client.post("/api/valuations", json=inputs(), headers=no_token).status_code == 403
    assert client.post(f"/api/valuations/{case_id}", json={"discount_rate": 0.2}, headers=no_token).status_code == 403
    with form_only(client):  # a browser's form: the token in the field, no header
        assert client.post("/valuations", data={**inputs(), "csrf_token": "wrong"}).status_code == 403
        assert client.post(f"/valuations/{case_id}", data={"discount_rate": "0.2"}).status_code == 403
    assert _latest(app, case_id) == before
    assert len(client.get("/api/enterprises/1/valuations").json()["cases"]) == count


def test_office_cases_for_admins_and_the_region_analysts(clients: dict[str, TestClient]) -> None:
    made = clients["hd"].post("/api/valuations", json=inputs(title="海淀区质押融资试点", patents=[P1],
                                                             profit_split="", royalty_rate=0.05))
    assert made.status_code == 201, made.text
    case = made.json()
    assert case["owner"] == {"kind": "office", "enterprise_id": None, "name": None}
    # royalty 5 % of 800,000, 1,000,000 …: 40,000, 50,000, 50,000, 50,000 at 12 %:
    # 35,714.29 + 39,859.69 + 35,589.01 + 31,775.90 = 142,938.90 (unrounded terms)
    assert case["result"]["income_approach"]["value"] == 142_938.9
    case_id = case["case_id"]
    assert [c["case_id"] for c in clients["root"].get("/api/valuations").json()["cases"]] == [case_id]
    assert [c["case_id"] for c in clients["hd"].get("/api/valuations").json()["cases"]] == [case_id]
    assert clients["zj"].get("/api/valuations").json()["cases"] == []  # 浙江 does not see 海淀's case
    for who in ("zj", "a", "b"):
        assert clients[who].get(f"/api/valuations/{case_id}").status_code == 403, who
        assert clients[who].get(f"/api/valuations/{case_id}/report.pdf").status_code == 403, who
        assert clients[who].post(f"/api/valuations/{case_id}", json={"discount_rate": 0.2}).status_code == 403, who
    for who in ("a", "b"):
        assert clients[who].get("/api/valuations").status_code == 403
    refused = clients["zj"].post("/api/valuations", json=inputs(patents=[P1]))
    assert refused.status_code == 403
    assert f"patents: {P1} is placed in 110108, outside your region 330000" in refused.json()["message"]


@pytest.mark.parametrize(("change", "message"), [
    ({"discount_rate": -0.05}, "discount_rate: -0.05 is negative"),
    ({"economic_life_years": 11}, "economic_life_years: 11 years is beyond the shortest remaining legal term "
                                  f"(10.39 years, {P2})"),
    ({"patents": [P1, LAPSED]}, f"patents: {LAPSED} is lapsed, not in force"),
    ({"annual_income": []}, "annual_income: the revenue figures attributable to the patents are missing"),
    ({"patents": [P1, B_PATENT]}, f"patents: {B_PATENT} is not in the custody of 中科创达软件股份有限公司"),
    ({"comparable_adjustments": [0.9]}, "comparable_adjustments: 1 factors for 2 comparable_prices"),
    ({"economic_depreciation": 800_000}, "economic_depreciation: together 950,000.00 exceed the replacement_cost"),
    ({"royalty_rate": 0.05}, "royalty_rate, profit_split: give one of them"),
])
def test_bad_input_is_refused_naming_it(app: Any, clients: dict[str, TestClient], change: dict[str, Any],
                                        message: str) -> None:
    count = _cases(app)
    answer = clients["a"].post("/api/valuations", json=inputs(**change))
    assert answer.status_code == 400, answer.text
    assert message in answer.json()["message"]
    assert _cases(app) == count


def _cases(app: Any) -> int:
    cursor = app.state.conn.cursor()
    try:
        return int(cursor.execute("SELECT count(*) FROM valuation_cases").fetchall()[0][0])
    finally:
        cursor.close()


def test_form_and_report_page_in_chinese(clients: dict[str, TestClient]) -> None:
    client = clients["a"]
    form = get_page(client, "/enterprises/1/valuations")
    assert "new-case" in form.text
    token = client.headers["X-CSRF-Token"]
    fields = {k: ", ".join(map(str, v)) if isinstance(v, list) else str(v) for k, v in inputs().items()}
    with form_only(client):
        answer = client.post("/valuations", data=fields | {"patents": f"{P1}\n{P2}", "csrf_token": token})
    assert answer.status_code == 303, answer.text
    page = get_page(client, answer.headers["location"])
    assert page.text["figure-income_approach"] == "714,694.48 元"
    assert page.text["figure-liquidation_value"] == "428,816.69 元"
    assert page.text["figure-market_approach"] == "1,335,000.00 元"
    assert page.text["figure-cost_approach"] == "700,000.00 元"
    assert page.row(data_input="discount_rate") == ["折现率", "0.12", "a@a.cn（企业用户，ID 1）",
                                                    page.row(data_input="discount_rate")[3]]
    assert page.row(data_patent=P1)[4:8] == ["80.0", "100.0", "80.0", "60.0"]
    assert page.row(data_rate="0.12")[3] == "714,694.48"
    assert "收益法评估值" in page.text["figures"] and "a@a.cn（企业用户，ID 1）" in page.text["figures"]
    listing = get_page(client, "/enterprises/1/valuations")
    assert listing.row(data_case=answer.headers["location"].rsplit("/", 1)[1])[4] == "714,694.48"


def test_pdf_report_renders_not_blank(clients: dict[str, TestClient], a_case: dict[str, Any], tmp_path: Path) -> None:
    answer = clients["a"].get(f"/valuations/{a_case['case_id']}/report.pdf", params={"version": 1})
    assert answer.status_code == 200, answer.text[:300]
    assert answer.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(answer.content)
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
                   check=True)
    from PIL import Image

    with Image.open(next(tmp_path.glob("page*.png"))) as image:
        grey = image.convert("L")
        inked = sum(grey.histogram()[:200])  # pixels darker than light grey
        assert grey.size[0] > 300 and inked > 2_000, inked  # text and table lines, not a blank page
    words = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                           text=True).stdout
    assert "收益法评估值" in words and "714,694.48" in words
    assert "中科创达软件股份有限公司" in words and "a@a.cn" in words


def test_office_page_and_the_enterprise_redirect(clients: dict[str, TestClient]) -> None:
    made = clients["root"].post("/api/valuations", json=inputs(title="省局质押评估", patents=[B_PATENT]))
    assert made.status_code == 201, made.text
    case_id = str(made.json()["case_id"])
    page = get_page(clients["root"], "/valuations")
    assert page.text["cases-owner"] == "本局（政府端）" and "new-case" in page.text
    assert page.row(data_case=case_id)[1] == "省局质押评估"
    assert case_id not in [a.get("data-case") for a, _ in get_page(clients["hd"], "/valuations").rows]
    assert clients["a"].get("/valuations").headers["location"] == "/enterprises/1/valuations"
    english = get_page(clients["root"], f"/valuations/{case_id}", lang="en")
    assert english.row(data_input="discount_rate")[0] == "Discount rate"
    assert english.row(data_figure="income_approach")[0] == "Income approach value"


@pytest.mark.parametrize(("lang", "expected"), [
    ("zh", f"输入有误：专利：{P1} 位于 110108，不在您的管辖范围 330000 内"),
    ("en", f"Please check the form: Patents: {P1} is placed in 110108, outside your region 330000"),
])
def test_a_patent_outside_the_analysts_region_is_said_beside_it(app: Any, lang: str, expected: str) -> None:
    zj = signed_in(app, "zj@gov.cn", PASSWORD)  # a client of its own: the language it chooses stays with it
    zj.get(f"/valuations?lang={lang}")
    sent = {"title": "质押贷款 2026", "patents": P1, "annual_income": "800000", "discount_rate": "0.12"}
    answer = zj.post("/valuations", data=sent, headers={"Referer": "http://testserver/valuations"})
    assert (answer.status_code, answer.headers["location"]) == (303, "/valuations")
    page = zj.get("/valuations").text
    shown = re.search(r'<p class="flash [^"]*" id="flash-message"[^>]*>(.*?)</p>', page)
    data = re.search(r'<script type="application/json" id="flash-data">(.*?)</script>', page)
    assert shown is not None and shown.group(1) == expected
    assert data is not None and json.loads(data.group(1))["field"] == "patents"
    assert json.loads(data.group(1))["values"] == sent
