"""The region page in a real browser (Debian's Chromium, driven by Playwright) on the running server:
Zhejiang's 11 cities are drawn and coloured from the API's numbers, hovering shows a city's value,
a real click on a city drills down to its counties, the breadcrumb goes back up, townships are a
ranked bar chart, and nothing is asked of the internet."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from patentatlas.reference.regions import iter_regions
from tests.browser_support import chromium, only_local, require_browser, served_copy, wait_until

SCREENSHOTS = Path("/tmp")
ZHEJIANG_CITIES = [f"33{n:02d}00" for n in range(1, 12)]
HANGZHOU = "330100"

require_browser()  # skipped without Chromium, failed when CI is set

# the page's chart, its option, and what ECharts drew for each data item (the visual map's colour)
CHART = "window.regionPage.chart"
DRAWN = f"""() => {{
    const chart = {CHART};
    const series = chart.getModel().getSeriesByIndex(0);
    const data = series.getData();
    const colours = {{}};
    for (let i = 0; i < data.count(); i++) {{ colours[data.getName(i)] = data.getItemVisual(i, 'style').fill; }}
    const geo = series.coordinateSystem;
    return {{option: chart.getOption(), colours: colours,
             regions: geo && geo.regions ? geo.regions.map(r => r.name) : null}};
}}"""


@pytest.fixture(scope="module")
def server(loaded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on a copy of the loaded store, served on a loopback port; yields its address."""
    with served_copy(loaded_db, tmp_path_factory.mktemp("map_browser")) as address:
        yield address


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(server: str, browser: Any) -> Iterator[Any]:
    """A Chinese page that may ask only our server for anything; what it asked elsewhere and its
    script errors are checked at the end."""
    tab = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    outside, errors = only_local(tab, server)
    yield tab
    assert outside == []
    assert errors == []
    tab.close()


def _api(server: str, path: str, **params: Any) -> Any:
    response = httpx.get(server + path, params=params, timeout=20)
    assert response.status_code == 200, response.text
    return response.json()


def _open(page: Any, url: str) -> dict[str, Any]:
    """Go to ``url`` (or wait for the page a click opened), wait until the chart has drawn, return it."""
    if url:
        page.goto(url)
    page.wait_for_selector("body[data-map-ready='1']", state="attached", timeout=15_000)
    drawn: dict[str, Any] = page.evaluate(DRAWN)
    return drawn


def _seat(code: str) -> tuple[float, float]:
    """The region's seat (lng, lat) from the region table: a point inside it to hover and click."""
    row = next(r for r in iter_regions() if r["code"] == code)
    return float(row["lng"]), float(row["lat"])  # type: ignore[arg-type]


def _pixel(page: Any, code: str) -> tuple[float, float]:
    """Where the region's seat is on the screen, through the chart's own projection."""
    x, y = page.evaluate(f"([lng, lat]) => {CHART}.convertToPixel({{seriesIndex: 0}}, [lng, lat])", list(_seat(code)))
    box = page.locator("#region-map").bounding_box()
    return box["x"] + x, box["y"] + y


def _class_colour(legend: list[dict[str, Any]], value: float | None) -> str | None:
    if value is None:
        return None
    for piece in legend:
        if (piece["min"] == piece["max"] == value) or (piece["min"] < value <= piece["max"]):
            return str(piece["color"])
    raise AssertionError(f"{value} is in no class of {legend}")


def _check_map(server: str, drawn: dict[str, Any], parent: str, children: list[str]) -> dict[str, Any]:
    """The chart holds the API's value for every child, drew every child, and coloured it by class."""
    api = _api(server, "/api/map", parent=parent, indicator="valid_invention_per_10k")
    assert [r["code"] for r in api["regions"]] == children
    series = drawn["option"]["series"][0]
    assert series["type"] == "map" and series["map"] == f"region-{parent}"
    shown = {d["name"]: d.get("value") for d in series["data"]}  # ECharts adds the regions we gave no value
    assert {c: shown[c] for c in children} == {r["code"]: r["value"] for r in api["regions"]}
    assert all(v is None or v != v for c, v in shown.items() if c not in children)  # null or NaN
    assert set(children) <= set(drawn["regions"])
    legend = _api(server, f"/regions/{parent}", format="json")["legend"]
    pieces = drawn["option"]["visualMap"][0]["pieces"]
    assert [p["color"] for p in pieces] == [c["color"] for c in legend]
    for region in api["regions"]:
        expected = _class_colour(legend, region["value"])
        if expected is not None:
            assert drawn["colours"][region["code"]].lower() == expected, region
    return api


def _table(page: Any) -> dict[str, str]:
    """The map's table as the page shows it: code → the chosen indicator's value."""
    rows: dict[str, str] = page.eval_on_selector_all(
        "#map-table tbody tr",
        "rows => Object.fromEntries(rows.map(r => [r.dataset.code, r.querySelector('td.chosen').dataset.value]))")
    return rows


def test_region_map_drills_down_and_back(server: str, page: Any) -> None:
    drawn = _open(page, server + "/regions/330000")
    api = _check_map(server, drawn, "330000", ZHEJIANG_CITIES)
    values = {r["code"]: r["value"] for r in api["regions"]}
    assert len({drawn["colours"][c] for c in ZHEJIANG_CITIES}) >= 3  # a map of classes, not one colour
    assert page.evaluate("echarts.getMap('region-330000').geoJSON.features.length") == 11
    assert page.evaluate("document.querySelector('#region-map canvas').width") > 0

    # the numbers on the page are the API's: the cards and the table under the map
    figures = _api(server, "/api/regions/330000/indicators")
    for key in ("valid_invention_count", "valid_invention_per_10k", "high_value_invention_count",
                "high_value_invention_per_10k", "population"):
        assert page.get_attribute(f"#card-{key}", "data-value") == str(figures[key]), key
    assert page.text_content("#card-valid_invention_count").replace(",", "") == str(figures["valid_invention_count"])
    assert page.get_attribute("#card-applications", "data-value") == str(sum(figures["applications_by_year"].values()))
    assert _table(page) == {c: str(v) for c, v in values.items()}
    assert "每件专利只计一次" in page.text_content("#counting-rule")
    trends = page.evaluate("window.regionPage.trends.getOption().series.map(s => s.data)")
    years = page.evaluate("window.regionPage.trends.getOption().xAxis[0].data")
    assert trends[0] == [figures["applications_by_year"].get(y, 0) for y in years]
    assert trends[1] == [figures["grants_by_year"].get(y, 0) for y in years]
    page.screenshot(path=str(SCREENSHOTS / "region_zh.png"), full_page=True)

    # hovering over Hangzhou shows its value
    x, y = _pixel(page, HANGZHOU)
    page.mouse.move(x, y)
    wait_until(page, "[...document.querySelectorAll('div')].some("
                     "d => d.textContent.startsWith('杭州市') && getComputedStyle(d).zIndex !== 'auto')", 5.0)
    tip = page.evaluate("[...document.querySelectorAll('div')].filter(d => d.textContent.startsWith('杭州市'))"
                        ".map(d => d.textContent).pop()")
    assert f"每万人口有效发明专利拥有量: {values[HANGZHOU]}" in tip

    # a real click on Hangzhou drills down to its counties
    with page.expect_navigation():
        page.mouse.click(x, y)
    assert page.url.startswith(server + "/regions/330100")
    counties = sorted(r["code"] for r in iter_regions() if r["parent_code"] == HANGZHOU)
    drawn = _open(page, "")
    _check_map(server, drawn, HANGZHOU, counties)
    assert page.text_content("#region-name") == "杭州市"
    assert page.evaluate("echarts.getMap('region-330100').geoJSON.features.length") == 13
    page.screenshot(path=str(SCREENSHOTS / "region_drilldown.png"), full_page=True)

    # the breadcrumb goes back up
    assert [a.text_content() for a in page.query_selector_all("#breadcrumb a[data-code]")] == ["全国", "浙江省"]
    with page.expect_navigation():
        page.click("#breadcrumb a[data-code='330000']")
    drawn = _open(page, "")
    _check_map(server, drawn, "330000", ZHEJIANG_CITIES)
    with page.expect_navigation():
        page.click("#up-link")
    drawn = _open(page, "")
    assert page.text_content("#region-name") == "全国"
    provinces = sorted(str(r["code"]) for r in iter_regions() if r["level"] == "province")
    _check_map(server, drawn, "100000", provinces)
    assert {"710000", "810000", "820000"} <= set(drawn["regions"])  # drawn, without figures in our table


def test_a_window_too_narrow_for_the_map_breaks_nothing(server: str, page: Any) -> None:
    """A window narrowed until the map's box has no width (a phone turned, a full-page screenshot
    on the way): ECharts cannot lay a map out in it and threw on every resize (CI saw it once);
    the page waits for a box of some size, then draws the map to it."""
    _open(page, server + "/regions/330000")
    size = "() => [window.regionPage.chart.getWidth(), document.getElementById('region-map').clientWidth]"
    for width in (20, 1):
        page.set_viewport_size({"width": width, "height": 900})
        wait_until(page, "document.getElementById('region-map').clientWidth === 0")
    page.set_viewport_size({"width": 1000, "height": 900})
    wait_until(page, f"({size})()[0] === ({size})()[1]")
    drawn, box = page.evaluate(size)
    assert drawn == box and 900 < box < 1000
    assert page.evaluate("echarts.getMap('region-330000').geoJSON.features.length") == 11


def test_indicator_selector_redraws_the_map(server: str, page: Any) -> None:
    _open(page, server + "/regions/330000")
    with page.expect_navigation():
        page.select_option("#indicator-select", "applications")
        page.click("#region-form button[type=submit]")
    drawn = _open(page, "")
    api = _api(server, "/api/map", parent="330000", indicator="applications")
    shown = {d["name"]: d["value"] for d in drawn["option"]["series"][0]["data"]}
    assert {r["code"]: shown[r["code"]] for r in api["regions"]} == {r["code"]: r["value"] for r in api["regions"]}
    assert "indicator=applications" in page.url


def test_townships_are_a_ranked_bar_chart(server: str, page: Any) -> None:
    drawn = _open(page, server + "/regions/110108")  # 海淀区: no boundaries below the county
    api = _api(server, "/api/map", parent="110108", indicator="valid_invention_count")
    assert api["has_boundaries"] is False and api["child_level"] == "township"
    series = drawn["option"]["series"][0]
    assert series["type"] == "bar"
    ranked = sorted(api["regions"], key=lambda r: (r["value"] is None, -(r["value"] or 0), r["code"]))
    assert drawn["option"]["yAxis"][0]["data"] == [r["name"] for r in ranked]
    assert [d["value"] for d in series["data"]] == [r["value"] for r in ranked]
    assert drawn["regions"] is None  # no map was registered or drawn


def test_english_page(server: str, page: Any) -> None:
    _open(page, server + "/regions/330000?lang=en")
    assert "Valid invention patents per 10,000 people" in page.inner_text("#map-panel")
    assert page.evaluate("document.documentElement.lang") == "en"
