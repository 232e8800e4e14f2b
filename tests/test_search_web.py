"""The search page, its API, the header box's numbers, similar patents and analysis downloads."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from patentatlas.web.app import create_app
from tests import search_support
from tests.search_support import CHAT_RETRIEVAL, ENDOSCOPES, copy_with_index

indexed_db = search_support.indexed_db  # the shared fixture


@pytest.fixture(scope="module")
def client(indexed_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    app = create_app(copy_with_index(indexed_db, tmp_path_factory.mktemp("web")))
    try:
        with TestClient(app, follow_redirects=False) as c:
            yield c
    finally:
        app.state.conn.close()


def test_api_search(client: TestClient) -> None:
    data = client.get("/api/search", params={"q": "内窥镜"}).json()
    assert data["total"] == 2
    assert {h["application_number"] for h in data["hits"]} == ENDOSCOPES
    assert data["patent"] is None
    assert data["facets"]["type"] == [{"value": "invention", "count": 1}, {"value": "utility_model", "count": 1}]


@pytest.mark.parametrize("typed", ["CN110750616B", "CN110750616", "cn 110750616 b", "201910985485",
                                   "ZL201910985485.7", "2019109854857"])
def test_a_number_opens_its_patent(client: TestClient, typed: str) -> None:
    answer = client.get("/search", params={"q": typed})
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/patents/{CHAT_RETRIEVAL}"
    assert client.get("/api/search", params={"q": typed}).json()["patent"] == CHAT_RETRIEVAL


def test_the_page_shows_hits_with_highlights_and_the_syntax(client: TestClient) -> None:
    page = client.get("/search", params={"q": "内窥镜"}).text
    assert '<span id="search-total">2</span>' in page
    assert "<mark>内窥镜</mark>" in page
    assert 'id="search-syntax"' in page and "filed:2019..2021" in page
    assert 'id="header-search"' in page  # the header's box, on every page
    assert 'id="header-search"' in client.get("/").text
    empty = client.get("/search").text  # nothing asked: the syntax, no error
    assert 'id="search-syntax"' in empty and "search-error" not in empty
    english = client.get("/search", params={"q": "内窥镜", "lang": "en"}).text
    assert "Query syntax" in english


@pytest.mark.parametrize("q, notice", [
    ('"内窥镜', "a quote was not closed"),
    ("(内窥镜 OR 牙科", "a parenthesis was not closed"),
    ("nosuch:内窥镜", "unknown field 'nosuch'"),
    ("title:手术 filed:2021..2019", "the range's ends were swapped"),
])
def test_bad_queries_answer_200_with_a_notice(client: TestClient, q: str, notice: str) -> None:
    answer = client.get("/api/search", params={"q": q})
    assert answer.status_code == 200
    assert any(notice in n for n in answer.json()["notices"])
    page = client.get("/search", params={"q": q})
    assert page.status_code == 200 and notice.split("'")[0] in page.text


def test_a_pasted_paragraph_of_10000_characters(client: TestClient) -> None:
    paragraph = ("一种基于虚拟现实的手术训练系统，包括头戴显示器、力反馈手柄和手术模拟模块。" * 300)[:10_000]
    answer = client.post("/api/search", json={"q": paragraph, "limit": 5})
    assert answer.status_code == 200
    data = answer.json()
    assert "searched as a paragraph" in data["notices"][0]
    assert {"手术", "力反馈", "手柄"} <= set(data["terms"])
    assert data["hits"][0]["title"] == "一种力反馈虚拟现实手柄"  # 力反馈, 手柄 and 虚拟现实 in a short title
    assert client.post("/api/search", json={"q": "内窥镜", "limit": "five"}).status_code == 400


@pytest.mark.parametrize("params, message", [
    ({"q": ""}, "the query is empty"),
    ({"q": "filed:2019-13..2020"}, "not a date"),
    ({"q": "ipc:G0"}, "not an IPC code"),
    ({"q": "内窥镜", "sort": "price"}, "sort"),
    ({"q": "内窥镜", "limit": 5000}, "limit"),
])
def test_unreadable_queries_answer_400(client: TestClient, params: dict, message: str) -> None:
    answer = client.get("/api/search", params=params)
    assert answer.status_code == 400
    assert message in answer.text


def test_similar_patents_say_why(client: TestClient) -> None:
    data = client.get("/api/patents/CN201410722564.6/similar", params={"limit": 3}).json()
    assert data["of"] == "CN201410722564.6"
    first = data["hits"][0]
    assert first["application_number"] == "CN201820922298.5"  # the other 虚拟现实 内窥镜
    assert {"虚拟现实", "内窥镜"} <= set(first["shared_terms"])
    assert all(h["application_number"] != "CN201410722564.6" for h in data["hits"])
    pasted = client.post("/api/search/similar", json={"text": "一种虚拟现实胶囊内窥镜，用于观察消化道", "limit": 2})
    pasted = pasted.json()
    assert {h["application_number"] for h in pasted["hits"]} == ENDOSCOPES
    assert 'id="similar"' in client.get("/patents/CN201410722564.6").text


def test_analysis_and_its_xlsx(client: TestClient) -> None:
    data = client.get("/api/search/analysis", params={"q": "applicant:中科创达"}).json()
    assert data["total"] == sum(r["patents"] for r in data["trend"])
    assert data["applicants"][0]["applicant"] == "中科创达软件股份有限公司"
    edges = data["network"]["edges"]
    assert edges, "ThunderSoft's patents cite each other"
    members = {p["application_number"] for p in data["patents"]}
    assert all(e["citing"] in members and e["cited"] in members for e in edges)
    xlsx = client.get("/api/search/analysis", params={"q": "applicant:中科创达", "format": "xlsx", "table": "trend"})
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = [tuple(v for v in r if v is not None) for r in sheet.iter_rows(values_only=True)]
    # the table ends the sheet (the shared writer may put a title and the source above it, and name the columns)
    assert rows[-len(data["trend"]):] == [(r["year"], r["patents"]) for r in data["trend"]]
    assert len(rows[-len(data["trend"]) - 1]) == 2  # its header: two columns


def test_a_large_store_without_an_index_is_indexed_in_the_background(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from patentatlas.imports import import_file
    from patentatlas.search import index
    from patentatlas.store import open_store
    from tests.conftest import THUNDERSOFT

    monkeypatch.setattr(index, "BACKGROUND_FROM", 100)  # the 509 Thundersoft patents count as large here
    conn = open_store(tmp_path / "store.duckdb")
    import_file(conn, THUNDERSOFT)
    conn.close()
    app = create_app(tmp_path / "store.duckdb")
    try:
        with TestClient(app) as c:
            first = c.get("/api/search", params={"q": "图像"})
            assert first.status_code == 503
            assert "being built" in first.json()["message"]
            deadline = time.monotonic() + 120
            while (answer := c.get("/api/search", params={"q": "图像"})).status_code == 503:
                assert time.monotonic() < deadline
                time.sleep(0.5)
            assert answer.status_code == 200 and answer.json()["total"] > 0
    finally:
        app.state.conn.close()


def test_the_page_holds_the_result_sets_charts(client: TestClient) -> None:
    data = client.get("/search", params={"q": "内窥镜", "format": "json"}).json()
    # 2014 上海理鑫光学 (A61B1/05), 2018 重庆医科大学附属儿童医院 (A61B1/04); the years between are 0
    assert data["charts"]["trend"] == [{"year": 2014, "patents": 1}, {"year": 2015, "patents": 0},
                                       {"year": 2016, "patents": 0}, {"year": 2017, "patents": 0},
                                       {"year": 2018, "patents": 1}]
    assert sorted((r["applicant"], r["patents"]) for r in data["charts"]["applicants"]) == [
        ("上海理鑫光学科技有限公司", 1), ("重庆医科大学附属儿童医院", 1)]
    assert data["charts"]["ipc"] == [{"ipc_subclass": "A61B", "patents": 2}]
    assert data["saved"] is None  # nobody signed in: nothing to save to
    surgery = client.get("/search", params={"q": "title:手术", "format": "json"}).json()["charts"]
    assert [(r["year"], r["patents"]) for r in surgery["trend"]] == [
        (2009, 1), (2010, 0), (2011, 0), (2012, 0), (2013, 2), (2014, 0), (2015, 2), (2016, 10), (2017, 9),
        (2018, 11), (2019, 9), (2020, 10), (2021, 6), (2022, 3)]
    assert sum(r["patents"] for r in surgery["trend"]) == 63
    page = client.get("/search", params={"q": "内窥镜"}).text
    assert '<script src="/static/echarts.min.js"></script>' in page and 'id="chart-trend"' in page
