"""Placement you can see: region pages, the enterprise list and downloads after the directory and a
registration; one enterprise whatever the spelling; old codes through the crosswalk; the county's
warning page with its enterprises, fees and contacts."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from patentatlas.domain import accounts
from patentatlas.domain import enterprises as ent
from patentatlas.domain.directory import import_directory
from patentatlas.store import open_store
from patentatlas.web.app import create_app
from tests.conftest import DATA, FIXTURES
from tests.web_support import signed_in

SZSE = DATA / "enterprise_directory" / "szse_a_share_list_2025-10-22.csv"
NETEASE_USCC = "91330108MA2CDEM1YA"
ADMIN, PASSWORD = "admin@test.patentatlas.cn", "correct horse battery"


@pytest.fixture(scope="module")
def placed_db(loaded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The four real exports, the SZSE list, the office's own directory (网易 with its contact) and 网易 registered."""
    path = tmp_path_factory.mktemp("placed") / "store.duckdb"
    shutil.copy(loaded_db, path)
    conn = open_store(path)
    import_directory(conn, SZSE)
    import_directory(conn, FIXTURES / "directory" / "office_v2.csv")
    ent.register_enterprise(conn, "网易(杭州)网络有限公司", NETEASE_USCC, name_variants=["网易（杭州）网络有限公司"])
    accounts.create_user(conn, ADMIN, "admin", password=PASSWORD)
    conn.close()
    return path


@pytest.fixture(scope="module")
def client(placed_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    copy = tmp_path_factory.mktemp("placed-app") / "store.duckdb"
    shutil.copy(placed_db, copy)
    app = create_app(copy)
    with TestClient(app) as test_client:
        yield test_client
    app.state.conn.close()


def test_binjiang_page_says_how_its_patents_are_placed(client: TestClient) -> None:
    page = client.get("/regions/330108", params={"format": "json"}).json()
    placement = page["placement"]
    assert (placement["patents"], placement["placed_to_county"], placement["placed_to_township"]) == (63, 63, 58)
    assert placement["by_method"] == [
        {"method": "directory", "patents": 63, "placed_to_county": 63, "placed_to_township": 58}]
    # 大华 (SZSE: 滨江区滨安路1187号, no township) is the applicant left to place to a township
    assert placement["unplaced"] == {"level": "township", "applicants_total": 1, "limit": 50, "applicants": [
        {"name": "浙江大华技术股份有限公司", "enterprise_key": "dir:浙江大华技术股份有限公司", "patents": 5}]}
    top = page["indicators"]["top_applicants"]
    assert top[0] == {"name": "网易（杭州）网络有限公司", "enterprise_key": f"uscc:{NETEASE_USCC}", "patents": 58,
                      "valid_inventions": top[0]["valid_inventions"], "high_value_inventions":
                      top[0]["high_value_inventions"]}
    assert [a["name"] for a in top] == ["网易（杭州）网络有限公司", "浙江大华技术股份有限公司"]


def test_city_page_lists_the_unplaced_applicants_with_downloads(client: TestClient) -> None:
    data = client.get("/api/regions/330100/placement").json()
    assert (data["patents"], data["placed_to_county"]) == (178, 63)
    assert data["unplaced"]["level"] == "county"
    assert data["unplaced"]["applicants"][:2] == [
        {"name": "杭州映墨科技有限公司", "enterprise_key": "name:杭州映墨科技有限公司", "patents": 15},
        {"name": "杭州电子科技大学", "enterprise_key": "name:杭州电子科技大学", "patents": 7}]
    response = client.get("/api/regions/330100/placement", params={"format": "csv", "table": "unplaced"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    # headers in Chinese
    assert rows[0] == {"名称": "杭州映墨科技有限公司", "企业标识": "name:杭州映墨科技有限公司", "专利数": "15"}
    assert len(rows) == data["unplaced"]["applicants_total"]
    methods = list(csv.DictReader(io.StringIO(client.get("/api/regions/330100/placement", params={
        "format": "csv"}).content.decode("utf-8-sig"))))
    assert methods[-1] == {"定位依据": "total", "专利数": "178", "定位到区县": "63", "定位到乡镇": "58"}


def test_one_enterprise_in_the_list_and_its_download(client: TestClient) -> None:
    data = client.get("/api/regions/330100/enterprises", params={"limit": 1000}).json()
    netease = [e for e in data["enterprises"] if e["name"].startswith("网易")]
    assert [(e["name"], e["enterprise_key"], e["patents"]) for e in netease] == [
        ("网易（杭州）网络有限公司", f"uscc:{NETEASE_USCC}", 58)]
    sheet = client.get("/api/regions/330100/enterprises", params={"limit": 1000, "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(sheet.content.decode("utf-8-sig"))))
    netease_rows = [(r["名称"], r["专利数"]) for r in rows if r["名称"].startswith("网易")]
    assert netease_rows == [("网易（杭州）网络有限公司", "58")]


def test_old_codes_open_the_district_that_took_them_over(client: TestClient) -> None:
    response = client.get("/regions/330103", params={"lang": "zh"}, follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (301, "/regions/330105?lang=zh")
    response = client.get("/regions/330104/enterprises", follow_redirects=False)
    assert response.headers["location"] == "/regions/330102/enterprises"
    shangcheng = client.get("/regions/330102", params={"format": "json"}).json()["placement"]["redistricting"]
    assert [(r["old_code"], r["old_name"], r["part"]) for r in shangcheng] == [("330104", "江干区", "main")]


def test_county_warning_page_lists_its_enterprises_fees_and_contacts(client: TestClient) -> None:
    admin = signed_in(client.app, ADMIN, PASSWORD)
    data = admin.get("/api/warnings/regions/330108").json()
    calls = data["enterprises_to_call"]["enterprises"]
    assert [(c["name"], c["county_name"], c["patents_in_grace"], c["contact_person"], c["contact_phone"],
             c["township_name"]) for c in calls] == [
        ("网易（杭州）网络有限公司", "滨江区", 9, "张三", "0571-00000001", "长河街道"),
        ("浙江大华技术股份有限公司", "滨江区", 4, "李四", "0571-00000002", None)]
    assert calls[0]["fees_at_risk"] > 0
    page = admin.get("/warnings/regions/330108")
    assert page.status_code == 200 and "张三" in page.text and "0571-00000001" in page.text


def test_the_patent_download_says_how_each_patent_was_placed(client: TestClient) -> None:
    response = client.get("/regions/330108/patents", params={"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 63
    assert {(r["企业名称"], r["定位依据"], r["第一申请人区县代码"]) for r in rows} == {
        ("网易（杭州）网络有限公司", "directory", "330108"), ("浙江大华技术股份有限公司", "directory", "330108")}
