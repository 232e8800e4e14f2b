"""The government end's JSON API through the front door (FastAPI's TestClient) on the four real
exports: the same dicts as the domain functions, one error shape with 4xx, CSV and XLSX downloads."""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from patentatlas.domain.high_value import explain
from patentatlas.domain.indicators import map_data, region_enterprises, region_indicators
from tests.web_support import client_on_copy


@pytest.fixture(scope="module")
def client(loaded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with client_on_copy(loaded_db, tmp_path_factory.mktemp("regions_api")) as test_client:
        yield test_client


def as_json(value: Any) -> Any:
    return json.loads(json.dumps(value, ensure_ascii=False))


def csv_rows(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(codecs.BOM_UTF8)
    assert "attachment" in response.headers["content-disposition"]
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def xlsx_rows(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    assert sheet is not None
    lines = list(sheet.iter_rows(values_only=True))
    # the title block (title, region, date, counting rule, source) and a blank row come first
    blank = next((i for i, line in enumerate(lines) if not any(v is not None for v in line)), -1)
    header, *rows = lines[blank + 1:]
    # a row's trailing empty cells are not stored: pad them back
    return [dict(zip(header, (*row, *(None,) * (len(header) - len(row))), strict=True)) for row in rows]


def test_indicators_are_the_domains(client: TestClient, loaded: duckdb.DuckDBPyConnection) -> None:
    response = client.get("/api/regions/110108/indicators")
    assert response.status_code == 200
    assert response.json() == as_json(region_indicators(loaded, "110108"))
    assert response.json()["valid_invention_count"] == 118
    past = client.get("/api/regions/110108/indicators", params={"as_of": "2020-12-31", "industry": ""}).json()
    assert past["valid_invention_count"] == 93 and past["industry"] is None


@pytest.mark.parametrize(("url", "status", "message"), [
    ("/api/regions/999999/indicators", 404, "not a 2023 division code"),
    ("/api/regions/abc/indicators", 400, "6-digit adcode"),
    ("/api/regions/110108/indicators?industry=77", 404, "not a 2021 strategic emerging industry"),
    ("/api/regions/110108/indicators?as_of=2999-01-01", 400, "in the future"),
    ("/api/regions/110108/indicators?as_of=1900-01-01", 400, "before any data"),
    ("/api/regions/110108/indicators?as_of=yesterday", 400, "YYYY-MM-DD"),
    ("/api/regions/110108/indicators?format=pdf", 400, "format"),
    ("/api/regions/110108/indicators?format=csv&table=everything", 400, "table"),
    ("/api/map?parent=330000&indicator=patents_per_km2", 400, "not one the map shows"),
    ("/api/map?parent=110108024", 400, "no sub-regions"),
    ("/api/map?parent=999999", 404, "not a 2023 division code"),
    ("/api/regions/110108/enterprises?limit=0", 400, "limit"),
    ("/api/patents/CN201410725372.1/high-value", 400, "not an application number"),
    ("/api/patents/CN209910000001.8/high-value", 404, "not in the store"),
])
def test_errors_have_one_json_shape(client: TestClient, url: str, status: int, message: str) -> None:
    response = client.get(url)
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) <= {"error", "message", "code"} and message in body["message"]  # code: the message's msgid


def test_map_of_zhejiang_lists_its_cities_with_their_own_values(client: TestClient) -> None:
    data = client.get("/api/map", params={"parent": "330000", "indicator": "valid_invention_per_10k"}).json()
    assert data["parent"] == {"code": "330000", "name": "浙江省", "level": "province"}
    assert data["ancestors"] == [{"code": "100000", "name": "全国"}]
    assert data["child_level"] == "city" and data["indicator"] == "valid_invention_per_10k"
    assert data["has_boundaries"] is True
    assert [r["name"] for r in data["regions"]] == ["杭州市", "宁波市", "温州市", "嘉兴市", "湖州市", "绍兴市",
                                                   "金华市", "衢州市", "舟山市", "台州市", "丽水市"]
    for row in data["regions"]:
        assert set(row) >= {"code", "name", "value", "valid_invention_count", "high_value_invention_count",
                            "applications", "population"}
        own = client.get(f"/api/regions/{row['code']}/indicators").json()
        assert row["value"] == own["valid_invention_per_10k"]
        assert row["valid_invention_count"] == own["valid_invention_count"]
        assert row["high_value_invention_count"] == own["high_value_invention_count"]
        assert row["population"] == own["population"]


def test_map_json_is_the_domains(client: TestClient, loaded: duckdb.DuckDBPyConnection) -> None:
    params = {"parent": "100000", "indicator": "applications", "as_of": "2021-12-31"}
    assert client.get("/api/map", params=params).json() == as_json(
        map_data(loaded, "100000", "applications", as_of="2021-12-31"))
    townships = client.get("/api/map", params={"parent": "110108"}).json()
    assert townships["child_level"] == "township" and townships["has_boundaries"] is False


def test_map_downloads(client: TestClient) -> None:
    data = client.get("/api/map", params={"parent": "330000"}).json()
    rows = csv_rows(client.get("/api/map", params={"parent": "330000", "format": "csv"}))
    # headers in Chinese; the cities, then the patents placed in none of them
    assert [r["名称"] for r in rows] == [r["name"] for r in data["regions"]] + ["未能定位"]
    assert [int(r["有效发明专利"]) for r in rows] == [r["valid_invention_count"] for r in data["regions"]] + [
        data["unassigned"]["valid_invention_count"]]
    sheet = xlsx_rows(client.get("/api/map", params={"parent": "330000", "format": "xlsx"}))
    assert [r["代码"] for r in sheet][:-1] == [r["code"] for r in data["regions"]]
    assert [r["常住人口"] for r in sheet][:-1] == [r["population"] for r in data["regions"]]


def test_indicator_tables_download(client: TestClient) -> None:
    data = client.get("/api/regions/110108/indicators").json()
    summary = {r["指标"]: r["数值"] for r in csv_rows(
        client.get("/api/regions/110108/indicators", params={"format": "csv"}))}
    assert summary["有效发明专利"] == "118" and summary["地区"] == "海淀区"
    assert summary["专利申请量"] == str(sum(data["applications_by_year"].values()))  # as the page's cards
    assert summary["专利授权量"] == str(sum(data["grants_by_year"].values()))
    trends = csv_rows(client.get("/api/regions/110108/indicators", params={"format": "csv", "table": "trends"}))
    by_year = {r["申请年"]: r for r in trends}
    for year, count in data["applications_by_year"].items():
        assert int(by_year[year]["专利申请量"]) == count
    assert int(by_year["2017"]["专利授权量（发明）"]) == data["grants_by_type"]["invention"]["2017"]
    # IPC titles, criteria and the counting rule in the download's language only
    for lang, title in (("zh", "title_zh"), ("en", "title_en")):
        top_ipc = xlsx_rows(client.get("/api/regions/110108/indicators",
                                       params={"format": "xlsx", "table": "top_ipc", "lang": lang}))
        assert [list(r.values()) for r in top_ipc] == [
            [r["subclass"], r[title], *[v for k, v in r.items() if k not in ("subclass", "title_zh", "title_en")]]
            for r in data["top_ipc"]]
    assert top_ipc[0]["IPC title"].startswith("ELECTRIC DIGITAL DATA PROCESSING")
    criteria = csv_rows(client.get("/api/regions/110108/indicators", params={"format": "csv", "table": "high_value"}))
    assert [int(r["满足"]) for r in criteria] == [c["met"] for c in data["high_value"]["criteria"]]
    assert [r["认定情形"] for r in criteria][1:3] == ["有海外同族专利", "维持年限超过 10 年"]
    english = csv_rows(client.get("/api/regions/110108/indicators",
                                  params={"format": "csv", "table": "high_value", "lang": "en"}))
    assert [r["Criterion"] for r in english][1:3] == ["has a family member filed abroad",
                                                      "maintained for more than 10 years"]
    summary_en = {r["Indicator"]: r["Value"] for r in csv_rows(
        client.get("/api/regions/110108/indicators", params={"format": "csv", "lang": "en"}))}
    assert summary_en["Counting rule"] == data["counting_rule"]["en"]


def test_enterprises_json_and_downloads(client: TestClient, loaded: duckdb.DuckDBPyConnection) -> None:
    data = client.get("/api/regions/330100/enterprises", params={"limit": 5}).json()
    assert data == as_json(region_enterprises(loaded, "330100", limit=5))
    first = data["enterprises"][0]
    # the two spellings (（） and ()) are one enterprise: 51 + 7 patents in the four exports
    assert (first["name"], first["enterprise_key"], first["patents"]) == (
        "网易(杭州)网络有限公司", "name:网易(杭州)网络有限公司", 58)
    assert [e["name"] for e in data["enterprises"]].count(first["name"]) == 1
    rows = csv_rows(client.get("/api/regions/330100/enterprises", params={"limit": 5, "format": "csv"}))
    assert rows[0]["名称"] == first["name"] and int(rows[0]["专利数"]) == first["patents"]
    for year, count in first["applications_by_year"].items():
        assert int(rows[0][f"专利申请量（{year}）"]) == count
    sheet = xlsx_rows(client.get("/api/regions/330100/enterprises", params={"limit": 5, "format": "xlsx"}))
    assert [r["有效发明"] for r in sheet] == [e["valid_inventions"] for e in data["enterprises"]]


def test_patent_high_value(client: TestClient, loaded: duckdb.DuckDBPyConnection) -> None:
    url = "/api/patents/201410725372.0/high-value"
    data = client.get(url, params={"as_of": "2020-12-31"}).json()
    assert data == as_json(explain(loaded, "CN201410725372.0", "2020-12-31"))
    assert data["valid"] is True and len(data["criteria"]) == 5
    rows = csv_rows(client.get(url, params={"format": "csv"}))
    words = {"met": "满足", "not_met": "不满足", "not_judged": "无法判断"}  # the page's words
    assert [r["结果"] for r in rows] == [words[c["result"]] for c in client.get(url).json()["criteria"]]


def test_api_is_documented(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/regions/{code}/indicators", "/api/map", "/api/regions/{code}/enterprises",
                 "/api/patents/{number}/high-value"):
        assert path in paths
    params = {p["name"] for p in paths["/api/map"]["get"]["parameters"]}
    assert params >= {"parent", "indicator", "industry", "as_of", "format"}
