"""Government follow-up (服务跟踪, issue 11 §7) through the front door, on the four real exports
(observed 2023-05-15) as of 2023-06-30: the list behind each figure of the warning page adds up to
the figure, by township and by enterprise, and downloads as the page shows it; the enterprise page;
the follow-up log the region's analysts share, and the analysts of other regions refused."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import openpyxl
import pytest
from fastapi.testclient import TestClient

from patentatlas.domain import accounts
from patentatlas.imports import import_file
from patentatlas.store import open_store
from patentatlas.web.app import create_app
from tests.test_gov_warnings import AS_OF, LAPSING, PASSWORD, _lapsed_copy, pristine  # noqa: F401  (fixture)
from tests.web_support import HtmlPage, signed_in

NETEASE = "name:网易(杭州)网络有限公司"  # 16 of Hangzhou's 37 patents in the grace period on 2023-06-30
NETEASE_PAGE = "/warnings/enterprises/" + quote(NETEASE, safe=":")
Q = {"as_of": AS_OF.isoformat()}


@pytest.fixture(scope="module")
def app(pristine: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:  # noqa: F811
    """The store with one lapse seen on 2023-06-20 (中科创达, 海淀区 东升地区), a Hangzhou analyst
    and a Beijing analyst besides the Zhejiang one."""
    path = tmp_path_factory.mktemp("followup") / "store.duckdb"
    shutil.copy(pristine, path)
    conn = open_store(path)
    import_file(conn, _lapsed_copy(path.parent, LAPSING, "未缴年费"), observed_on=dt.date(2023, 6, 20))
    accounts.create_user(conn, "hz@gov.cn", "analyst", password=PASSWORD, region_code="330100",
                         display_name="杭州分析员")
    accounts.create_user(conn, "bj@gov.cn", "analyst", password=PASSWORD, region_code="110000")
    conn.close()
    application = create_app(path)
    yield application
    application.state.conn.close()


@pytest.fixture(scope="module")
def zj(app: Any) -> TestClient:
    return signed_in(app, "zj@gov.cn", PASSWORD)


@pytest.fixture(scope="module")
def hz(app: Any) -> TestClient:
    return signed_in(app, "hz@gov.cn", PASSWORD)


@pytest.fixture(scope="module")
def bj(app: Any) -> TestClient:
    return signed_in(app, "bj@gov.cn", PASSWORD)


@pytest.mark.parametrize("code", ["330000", "330100", "110108"])
def test_each_list_adds_up_to_its_figure(zj: TestClient, app: Any, code: str) -> None:
    client = zj if code.startswith("33") else signed_in(app, "root@gov.cn", PASSWORD)
    page = client.get(f"/api/warnings/regions/{code}", params=Q).json()
    lists = {f: client.get(f"/api/warnings/regions/{code}/lists/{f}", params=Q).json()
             for f in ("due_90", "in_grace", "lapsed")}
    assert (lists["due_90"]["count"], lists["due_90"]["fees"]) == (page["due_next_90_days"]["count"],
                                                                  page["due_next_90_days"]["fees"])
    assert (lists["in_grace"]["count"], lists["in_grace"]["fees"], lists["in_grace"]["late_fees"]) == (
        page["in_grace"]["count"], page["in_grace"]["fees_at_risk"], page["in_grace"]["late_fees_today"])
    assert lists["lapsed"]["count"] == page["lapses_by_town"]["count"]
    for data in lists.values():
        assert sum(t["patents"] for t in data["by_township"]) == data["count"]
        assert sum(e["patents"] for e in data["by_enterprise"]) == data["count"]
        assert sum(e["fees"] for e in data["by_enterprise"]) == data["fees"]


def test_the_figures_a_user_checks(zj: TestClient) -> None:
    due = zj.get("/api/warnings/regions/330000/lists/due_90", params=Q).json()
    grace = zj.get("/api/warnings/regions/330100/lists/in_grace", params=Q).json()
    assert (due["count"], due["fees"]) == (29, 42000)
    assert (grace["count"], grace["fees"]) == (37, 50000)
    assert [(e["enterprise_name"], e["patents"]) for e in grace["by_enterprise"][:2]] == [
        ("网易(杭州)网络有限公司", 16), ("杭州优海信息系统有限公司", 4)]
    assert len(grace["by_enterprise"]) == 17


def test_the_lapsed_list_names_township_and_enterprise(app: Any) -> None:
    admin = signed_in(app, "root@gov.cn", PASSWORD)
    data = admin.get("/api/warnings/regions/110108/lists/lapsed", params=Q).json()
    assert [(p["application_number"], p["township_name"], p["county_name"], p["observed_on"], p["reason"])
            for p in data["patents"]] == [(LAPSING, "东升地区", "海淀区", "2023-06-20", "未缴年费")]
    assert [(t["township_name"], t["patents"]) for t in data["by_township"]] == [("东升地区", 1)]
    assert [e["enterprise_name"] for e in data["by_enterprise"]] == ["中科创达软件股份有限公司"]


def test_the_page_links_each_figure_to_its_list(zj: TestClient) -> None:
    page = HtmlPage(zj.get("/warnings/regions/330100", params=Q).text)
    assert page.attrs["list-in-grace"]["href"] == "/warnings/regions/330100/lists/in_grace?as_of=2023-06-30"
    assert page.attrs["list-due-90"]["href"] == "/warnings/regions/330100/lists/due_90?as_of=2023-06-30"
    shown = HtmlPage(zj.get("/warnings/regions/330100/lists/in_grace", params=Q).text)
    assert shown.text["list-count"] == "37" and shown.text["list-title"] == "宽限期内专利清单"
    assert NETEASE_PAGE in shown.hrefs


def test_downloads_match_the_page(zj: TestClient) -> None:
    data = zj.get("/api/warnings/regions/330100/lists/in_grace", params=Q).json()
    answer = zj.get("/warnings/regions/330100/lists/in_grace", params={**Q, "format": "csv", "table": "patents"})
    assert answer.status_code == 200 and answer.headers["cache-control"] == "private, no-store"
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    body = [r for r in rows if len(r) > 3]
    numbers = [r[0] for r in body[1:]]
    assert numbers == [p["application_number"] for p in data["patents"]]
    book = openpyxl.load_workbook(io.BytesIO(zj.get("/warnings/regions/330100/lists/in_grace", params={
        **Q, "format": "xlsx", "table": "by_enterprise"}).content))
    sheet = book.worksheets[0]
    values = [list(r) for r in sheet.iter_rows(values_only=True) if r and any(v is not None for v in r)]
    start = next(i for i, r in enumerate(values) if "网易(杭州)网络有限公司" in r)
    first = values[start]
    assert first[3:5] == [16, data["by_enterprise"][0]["fees"]]
    assert len(values) - start == len(data["by_enterprise"])


def test_the_enterprise_page_and_the_shared_log(zj: TestClient, hz: TestClient, app: Any) -> None:
    page = zj.get("/api" + NETEASE_PAGE, params=Q).json()
    assert (page["name"], page["region"]["code"], page["fees_at_risk"]["in_grace"]) == (
        "网易(杭州)网络有限公司", "330100", 16)
    assert page["patent_count"] == len(page["patents"]) and page["followups"] == []
    answer = zj.post(NETEASE_PAGE, data={"outcome": "promised", "note": "财务周五前缴清 16 件"})
    assert answer.status_code == 303 and answer.headers["location"] == NETEASE_PAGE + "?done=logged#followups"
    shown = HtmlPage(zj.get(answer.headers["location"]).text)
    assert shown.text["flash"] == "跟踪记录已保存。"
    # the Hangzhou analyst shares the log and sees the enterprise among the open follow-ups
    (entry,) = hz.get("/api" + NETEASE_PAGE).json()["followups"]
    assert (entry["outcome"], entry["note"], entry["logged_by_name"]) == (
        "promised", "财务周五前缴清 16 件", "zj@gov.cn")
    assert [f["enterprise_key"] for f in hz.get("/api/warnings/regions/330100/followups").json()["followups"]] == [
        NETEASE]
    listed = hz.get("/api/warnings/regions/330100/lists/in_grace", params=Q).json()["by_enterprise"][0]
    assert listed["last_followup"]["outcome"] == "promised"
    hz.post("/api" + NETEASE_PAGE, json={"outcome": "paid", "note": "已缴"})
    assert hz.get("/api/warnings/regions/330100/followups").json()["followups"] == []  # no longer open
    cursor = app.state.conn.cursor()
    assert cursor.execute("SELECT action, target, detail->>'outcome' FROM audit_log WHERE action = 'followup.log' "
                          "ORDER BY logged_at").fetchall() == [("followup.log", NETEASE, "promised"),
                                                               ("followup.log", NETEASE, "paid")]
    cursor.close()


def test_an_analyst_of_another_region_is_refused(bj: TestClient, app: Any) -> None:
    cursor = app.state.conn.cursor()
    before = cursor.execute("SELECT count(*) FROM followups").fetchall()
    for path in ("/api" + NETEASE_PAGE, NETEASE_PAGE, "/api/warnings/regions/330100/lists/in_grace",
                 "/warnings/regions/330100/lists/in_grace?format=csv", "/api/warnings/regions/330100/followups"):
        answer = bj.get(path, headers={"Accept": "application/json"})
        assert answer.status_code == 403, path
    refused = bj.post("/api" + NETEASE_PAGE, json={"outcome": "called"})
    assert refused.status_code == 403
    assert refused.json()["message"] == "region 330100 is outside your region"
    assert bj.post(NETEASE_PAGE, data={"outcome": "called"}, headers={"Accept": "application/json"}).status_code == 403
    assert cursor.execute("SELECT count(*) FROM followups").fetchall() == before
    # her own region's enterprise she may follow up
    assert bj.post("/api/warnings/enterprises/" + quote("name:中科创达软件股份有限公司", safe=":"),
                   json={"outcome": "called"}).status_code == 200
    cursor.close()


def test_signed_out_and_enterprises_are_refused(app: Any) -> None:
    anonymous = TestClient(app, follow_redirects=False)
    assert anonymous.get("/api" + NETEASE_PAGE).status_code == 401
    assert anonymous.get("/api/warnings/regions/330100/lists/due_90").status_code == 401


def test_a_bad_outcome_is_refused(zj: TestClient) -> None:
    answer = zj.post("/api" + NETEASE_PAGE, json={"outcome": "maybe"})
    assert answer.status_code == 400
    assert "outcome: 'maybe' is not one of called, promised, paid, gave_up" in answer.text
