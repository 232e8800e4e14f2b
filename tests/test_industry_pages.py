"""The industry pages through the front door (TestClient, in process) on the four real exports:
the SEI tree's counts against the store's own, the downloads of every table, a specialty
database's dashboard, Chinese and English, and one error shape for bad input."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from patentatlas.domain.indicators import region_indicators
from patentatlas.domain.industries import define_specialty, sei_tree
from patentatlas.imports import import_file
from patentatlas.store import open_store
from patentatlas.store.reference import ensure_reference
from patentatlas.web.app import create_app
from patentatlas.web.i18n import translator
from tests.conftest import THUNDERSOFT
from tests.web_support import HtmlPage, get_page, signed_in

AI = "1"  # 新一代信息技术产业, the largest first-level industry of the four files
VR_WORD = "虚拟现实"
BOE = "京东方科技集团股份有限公司"


@pytest.fixture(scope="module")
def client(loaded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The app on a copy of the session store, with one specialty database: 虚拟现实 by keyword."""
    db = tmp_path_factory.mktemp("industry_pages") / "store.duckdb"
    shutil.copy(loaded_db, db)
    app = create_app(db)
    define_specialty(app.state.conn, "vr", "虚拟现实产业", keywords=[VR_WORD])
    with TestClient(app) as test_client:
        yield test_client
    app.state.conn.close()


@pytest.fixture(scope="module")
def store(client: TestClient) -> duckdb.DuckDBPyConnection:
    return client.app.state.conn.cursor()  # type: ignore[attr-defined]


def _csv(client: TestClient, url: str) -> list[dict[str, str]]:
    response = client.get(url)
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read the Chinese
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def _xlsx(client: TestClient, url: str) -> list[dict[str, Any]]:
    response = client.get(url)
    assert response.status_code == 200, response.text[:300]
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    assert sheet is not None
    lines = [list(r) for r in sheet.iter_rows(values_only=True)]
    # the title block (title, region, date, counting rule, source) and a blank row come first
    blank = next((i for i, line in enumerate(lines) if not any(v is not None for v in line)), -1)
    head, *rows = lines[blank + 1:]
    return [dict(zip(head, (*r, *(None,) * (len(head) - len(r))), strict=True)) for r in rows]


def _in_industry(store: duckdb.DuckDBPyConnection, code: str, where: str, as_of: str) -> tuple[int, ...]:
    """Patents filed by ``as_of`` with an SEI code under the first-level ``code``, counted in SQL from
    ``patents.sei_codes``; and how many of them are invention patents in force now."""
    row = store.execute(
        "SELECT count(*), count(*) FILTER (WHERE patent_type = 'invention' AND status = 'in_force') FROM patents "
        f"WHERE list_has_any(list_transform(sei_codes, lambda c: split_part(c, '.', 1)), [?]) AND filing_date <= ? "
        f"AND {where}", [code, as_of]).fetchone()
    assert row is not None
    return tuple(row)


# --------------------------------------------------------------------------- the SEI tree


def test_the_tree_counts_what_the_store_holds(client: TestClient, store: duckdb.DuckDBPyConnection) -> None:
    page = client.get("/api/industries").json()
    assert page == json.loads(json.dumps(client.get("/industries", params={"format": "json"}).json()))
    tree = page["tree"]
    assert tree == json.loads(json.dumps(sei_tree(store)))
    assert page["region"] is None and [r["code"] for r in page["top_level"]] == [str(i) for i in range(1, 10)]
    ai = next(r for r in page["top_level"] if r["code"] == AI)
    patents, _ = _in_industry(store, AI, "TRUE", tree["as_of"])
    assert ai["patents"] == patents == 7397
    total = store.execute("SELECT count(*) FROM patents WHERE filing_date <= ?", [tree["as_of"]]).fetchone()
    assert tree["patents"] == (total or [0])[0] == tree["not_judged"] + tree["judged_not_sei"] + tree["sei_patents"]


def test_a_regions_tree_counts_its_first_applicants(client: TestClient, store: duckdb.DuckDBPyConnection) -> None:
    page = client.get("/api/industries", params={"region": "330000"}).json()
    assert page["region"] == {"code": "330000", "name": "浙江省", "level": "province"}
    ai = next(n for n in page["tree"]["industries"] if n["code"] == AI)
    patents, in_force = _in_industry(store, AI, "first_applicant_province_code = '330000'", page["tree"]["as_of"])
    assert (ai["patents"], ai["valid_inventions"]) == (patents, 37) == (190, 37)
    assert ai["valid_inventions"] == region_indicators(store, "330000", AI)["valid_invention_count"] <= in_force
    for child in ai["children"]:  # each second-level industry: the patents carrying its code
        n = store.execute("SELECT count(*) FROM patents WHERE list_contains(sei_codes, ?) AND filing_date <= ? "
                          "AND first_applicant_province_code = '330000'", [child["code"], page["tree"]["as_of"]])
        assert child["patents"] == (n.fetchone() or [0])[0]


def test_the_page_shows_the_tree_in_chinese(client: TestClient) -> None:
    data = client.get("/api/industries").json()
    page = get_page(client, "/industries", lang="zh")
    assert page.text["region-name"] == "全部专利（不限地区）"
    cells = page.row(data_code=AI, data_level="1")
    assert cells[1:5] == [AI, "新一代信息技术产业", "7,397", f"{data['top_level'][0]['valid_inventions']:,}"]
    # second-level rows follow their parent, indented, and fold into it
    children = [a for a, _ in page.rows if a.get("data-parent") == AI]
    assert [a["data-code"] for a in children] == ["1.1", "1.2", "1.3", "1.4", "1.5"]
    assert all(a["class"] == "level-2" for a in children)
    assert page.row(data_code="1.5")[2] == "人工智能"
    for card in data["summary"]:
        assert page.attrs[f"card-{card['key']}"]["data-value"] == str(card["value"])
    assert json.loads(page.text["industries-data"]) == data["top_level"]  # what the bar chart draws
    assert "sei-chart" in page.attrs and "/static/industries.js" in page.scripts
    assert "/industries/specialty/vr" in page.hrefs
    assert page.row(data_db="vr")[3] == "7,813"
    assert page.attrs["nav-industries"]["href"] == "/industries"


def test_the_page_in_english(client: TestClient) -> None:
    page = get_page(client, "/industries", lang="en", region="330000")
    assert page.text["page-title"].startswith("Strategic emerging industries · 浙江省")
    assert "Industries (two levels)" in page.text["tree-panel"]
    assert page.text["region-name"] == "浙江省" and page.text["region-code"] == "330000"
    assert page.row(data_code=AI, data_level="1")[3] == "190"
    assert "Specialty industry databases" in page.text["specialties-panel"]
    client.cookies.clear()  # Chinese again for the next tests


def test_every_table_and_chart_downloads(client: TestClient, store: duckdb.DuckDBPyConnection) -> None:
    page = client.get("/api/industries", params={"region": "330000"}).json()
    assert set(page["downloads"]) == {"summary", "top_level", "tree", "specialties"}
    html = client.get("/industries", params={"region": "330000"}).text
    for links in page["downloads"].values():
        assert links["csv"].replace("&", "&amp;") in html and links["xlsx"].replace("&", "&amp;") in html
        assert _csv(client, links["csv"]) and _xlsx(client, links["xlsx"])
    patents, _ = _in_industry(store, AI, "first_applicant_province_code = '330000'", page["tree"]["as_of"])
    for rows in (_csv(client, page["downloads"]["top_level"]["csv"]), _csv(client, page["downloads"]["tree"]["csv"])):
        ai = next(r for r in rows if r["代码"] == AI)  # headers in Chinese
        assert (ai["名称"], int(ai["专利数"]), int(ai["有效发明"])) == ("新一代信息技术产业", patents, 37)
    tree = _xlsx(client, page["downloads"]["tree"]["xlsx"])
    assert len(tree) == 9 + sum(len(n["children"]) for n in page["tree"]["industries"])
    assert next(r for r in tree if r["代码"] == AI)["专利数"] == patents == 190
    assert next(r for r in tree if r["代码"] == "1.5")["上级代码"] == AI
    summary = {r["指标"]: r["数值"] for r in _csv(client, page["downloads"]["summary"]["csv"])}
    assert (summary["地区代码"], int(summary["专利数"])) == ("330000", page["tree"]["patents"])
    specialties = _xlsx(client, page["downloads"]["specialties"]["xlsx"])
    labels = translator("zh")
    assert [(r[labels["db_id"]], r["成员专利数"], r["关键词"]) for r in specialties] == [("vr", 7813, VR_WORD)]


def test_bad_input_is_the_one_error_shape(client: TestClient) -> None:
    response = client.get("/api/industries", params={"region": "999999"})
    assert response.status_code == 404
    assert response.json()["error"] == "NotFoundError" and "999999" in response.json()["message"]
    response = client.get("/api/industries", params={"region": "hangzhou"})
    assert response.status_code == 400 and response.json()["error"] == "UsageError"
    response = client.get("/api/industries", params={"format": "csv", "table": "nonsense"})
    assert response.status_code == 400 and response.json()["error"] == "UsageError"
    page = get_page(client, "/industries", status=404, region="999999")
    assert "999999" in page.text["error-message"]
    response = client.get("/industries", params={"region": "999999", "format": "json"})
    assert response.status_code == 404 and response.json()["error"] == "NotFoundError"


# --------------------------------------------------------------------------- a specialty database


def test_the_specialty_dashboard(client: TestClient, store: duckdb.DuckDBPyConnection) -> None:
    data = client.get("/api/industries/specialty/vr").json()
    d = data["dashboard"]
    assert (d["db_id"], d["name"], d["version"], d["keywords"]) == ("vr", "虚拟现实产业", 1, [VR_WORD])
    assert d["members"] == 7813  # the files' 7,813 applications with 虚拟现实 in a title or abstract
    assert data == client.get("/industries/specialty/vr", params={"format": "json"}).json()
    # the members filed in 2016, counted in SQL from the patents' own texts
    in_2016 = store.execute("SELECT count(*) FROM patents WHERE year(filing_date) = 2016 AND contains(lower("
                            "concat_ws(' ', title_zh, title_en, abstract_zh, abstract_en)), ?)", [VR_WORD]).fetchone()
    by_year = {r["year"]: r["patents"] for r in data["by_year"]}
    assert by_year["2016"] == (in_2016 or [0])[0] == 1898
    assert sum(by_year.values()) == d["members"] and sum(r["patents"] for r in data["by_type"]) == d["members"]
    assert data["by_criterion"] == [{"criterion": "ipc", "patents": 0}, {"criterion": "keyword", "patents": 7813},
                                    {"criterion": "applicant", "patents": 0}]
    assert d["top_applicants"][0] == {"name": BOE, "patents": 134}


def test_the_specialty_page_shows_it(client: TestClient) -> None:
    data = client.get("/api/industries/specialty/vr").json()
    page = get_page(client, "/industries/specialty/vr", lang="zh")
    assert page.text["specialty-name"] == "虚拟现实产业" and "v1" in page.text["specialty-version"]
    assert page.attrs["card-members"]["data-value"] == "7813" and page.text["card-members"] == "7,813"
    assert page.text["definition-keywords"] == VR_WORD and page.text["definition-ipc"] == "—"
    assert page.row(data_year="2016") == ["2016", "1,898"]
    assert json.loads(page.text["specialty-years"]) == data["by_year"]  # what the chart draws
    assert page.row(data_key="keyword") == ["关键词匹配", "7,813"]
    assert page.row(data_rank="1") == ["1", BOE, "134"]
    assert "specialty-years-chart" in page.attrs and "/static/industries.js" in page.scripts
    english = get_page(client, "/industries/specialty/vr", lang="en")
    assert "Member patents by filing year" in english.text["years-panel"]
    client.cookies.clear()


def test_every_specialty_table_downloads(client: TestClient) -> None:
    data = client.get("/api/industries/specialty/vr").json()
    tables = {"definition", "by_year", "by_type", "by_status", "by_criterion", "top_applicants"}
    assert set(data["downloads"]) == tables
    html = client.get("/industries/specialty/vr").text
    for links in data["downloads"].values():
        assert links["csv"].replace("&", "&amp;") in html and links["xlsx"].replace("&", "&amp;") in html
    by_year = _csv(client, data["downloads"]["by_year"]["csv"])
    assert next(int(r["专利数"]) for r in by_year if r["申请年"] == "2016") == 1898
    applicants = _xlsx(client, data["downloads"]["top_applicants"]["xlsx"])
    assert applicants[0] == {"名称": BOE, "专利数": 134} and len(applicants) == 10
    definition = {r["字段"]: r["数值"] for r in _csv(client, data["downloads"]["definition"]["csv"])}
    assert (definition["版本"], definition["关键词"], definition["成员专利数"]) == ("1", VR_WORD, "7813")
    statuses = _xlsx(client, data["downloads"]["by_status"]["xlsx"])
    assert sum(r["专利数"] for r in statuses) == 7813
    assert _csv(client, data["downloads"]["by_criterion"]["csv"])[1] == {"匹配条件": "关键词匹配", "专利数": "7813"}


def test_unknown_specialty_is_a_404(client: TestClient) -> None:
    response = client.get("/api/industries/specialty/pens")
    assert response.status_code == 404 and response.json()["error"] == "NotFoundError"
    assert "pens" in response.json()["message"]
    page = get_page(client, "/industries/specialty/pens", status=404)
    assert "pens" in page.text["error-message"]
    assert client.get("/api/industries/specialty/pens", params={"format": "csv"}).status_code == 404


def test_a_new_version_shows_on_a_fresh_store(tmp_path: Path) -> None:
    conn = open_store(tmp_path / "store.duckdb")
    ensure_reference(conn)
    import_file(conn, THUNDERSOFT)
    conn.close()
    app = create_app(tmp_path / "store.duckdb")
    with TestClient(app) as fresh:
        assert "patentatlas specialty define" in get_page(fresh, "/industries").text["no-specialties"]
        define_specialty(app.state.conn, "xr", "扩展现实", keywords=[VR_WORD])
        second = define_specialty(app.state.conn, "xr", "扩展现实", ipc_codes=["G06T19/00"], keywords=["增强现实"])
        page = get_page(fresh, "/industries/specialty/xr")
        assert "v2" in page.text["specialty-version"] and page.text["definition-ipc"] == "G06T19/00"
        assert page.attrs["card-members"]["data-value"] == str(second["members"])
        rows = {r["db_id"]: r for r in fresh.get("/api/industries").json()["specialties"]}
        assert (rows["xr"]["version"], rows["xr"]["members"]) == (2, second["members"])
    app.state.conn.close()


# --------------------------------------------------------------------------- the API, the pages' sources


def test_routes_are_documented(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/industries", "/api/industries/specialty/{db_id}", "/industries",
                 "/industries/specialty/{db_id}"):
        assert paths[path]["get"]["summary"], path
    formats = {p["name"]: p for p in paths["/api/industries"]["get"]["parameters"]}
    assert {"region", "as_of", "format", "table"} <= set(formats)


def test_no_page_loads_anything_from_outside(client: TestClient) -> None:
    for url in ("/industries", "/industries?region=330000", "/industries/specialty/vr"):
        page = get_page(client, url)
        assert page.scripts == ["/static/menu.js", "/static/forms.js", "/static/echarts.min.js",
                                "/static/industries.js"], url
        html = client.get(url).text
        assert not re.search(r"https?://", html), url



# --------------------------------------------------------------------------- defining a specialty database


PASSWORD = "correct horse battery"


def _signed_in(client: TestClient, email: str, role: str, **scope: Any) -> TestClient:
    from patentatlas.domain.accounts import create_user

    cursor = client.app.state.conn.cursor()  # type: ignore[attr-defined]
    create_user(cursor, email, role, password=PASSWORD, **scope)
    cursor.close()
    return signed_in(client.app, email, PASSWORD)


def test_an_analyst_defines_a_specialty_database_through_the_form(client: TestClient,
                                                                  store: duckdb.DuckDBPyConnection) -> None:
    analyst = _signed_in(client, "pens@zj.gov.cn", "analyst", region_code="330000")
    form = HtmlPage(analyst.get("/industries").text)
    assert "specialty-form" in form.attrs
    answer = analyst.post("/industries/specialty", data={"db_id": "endoscope", "name": "内窥镜",
                                                         "ipc_codes": "A61B1/00", "keywords": "内窥镜, 内镜"})
    assert (answer.status_code, answer.headers["location"]) == (303, "/industries/specialty/endoscope")
    rows = store.execute("SELECT ipc_codes, concat_ws(' ', title_zh, title_en, abstract_zh, abstract_en) "
                         "FROM patents").fetchall()
    # a main group (A61B1/00) covers its subgroups; a keyword anywhere in the titles or abstracts
    expected = sum(1 for codes, words in rows
                   if any(c.startswith("A61B1/") for c in codes or ()) or "内窥镜" in words or "内镜" in words)
    assert expected > 0
    page = analyst.get("/api/industries/specialty/endoscope").json()
    assert page["dashboard"]["version"] == 1
    assert page["dashboard"]["members"] == expected


def test_a_bad_definition_is_a_form_error_and_stores_nothing(client: TestClient,
                                                             store: duckdb.DuckDBPyConnection) -> None:
    admin = _signed_in(client, "root@pens.gov.cn", "admin")
    before = store.execute("SELECT count(*) FROM specialty_databases").fetchall()
    page = admin.post("/industries/specialty", data={"db_id": "pens", "name": "制笔", "ipc_codes": "B43K, B4X"})
    assert page.status_code == 400
    error = HtmlPage(page.text).text["form-error"]
    assert error == ("输入有误: 专题数据库 pens：'B4X' 不是 IPC 分类号"
                     "（可写大类 G06、小类 A61B、大组 A61B1/00 或小组 A61B1/04）")
    empty = admin.post("/api/industries/specialty", json={"db_id": "pens", "name": "制笔"})
    assert empty.status_code == 400
    assert empty.json() == {"error": "UsageError", "message": "specialty database pens is empty: give at least one "
                                                                "IPC code, keyword or applicant",
                            "code": "err_specialty_empty"}
    assert store.execute("SELECT count(*) FROM specialty_databases").fetchall() == before


def test_only_offices_define_specialty_databases(client: TestClient) -> None:
    signed_out = TestClient(client.app).post("/api/industries/specialty", json={"db_id": "x", "name": "x",
                                                                                 "keywords": ["笔"]})
    assert signed_out.status_code == 401
