"""A real browser (Debian's Chromium, driven by Playwright) on the running server: the overview page
shows the API's numbers, draws its chart, filters, switches language, and asks nothing of the internet."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser_support import chromium, only_local, require_browser, served_copy

SCREENSHOT = Path("/tmp/overview.png")

require_browser()  # skipped without Chromium, failed when CI is set


@pytest.fixture(scope="module")
def server(loaded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on a copy of the loaded store, served on a loopback port; yields its address."""
    with served_copy(loaded_db, tmp_path_factory.mktemp("browser")) as address:
        yield address


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def _api(server: str, path: str, **params: Any) -> Any:
    return httpx.get(server + path, params=params, timeout=10).json()


def test_overview_in_a_browser(server: str, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    outside, errors = only_local(page, server)  # anything not from our server is refused and remembered
    page.goto(server + "/patents")

    summary = _api(server, "/api/summary")
    assert page.text_content("#total-patents") == str(summary["patents"])
    assert page.text_content("#result-total") == str(summary["patents"])
    assert "专利总数" in page.inner_text("body")

    # the filings-by-year chart has drawn: ECharts made its canvas and holds the API's numbers
    page.wait_for_selector("#years-chart canvas", state="attached", timeout=10_000)
    assert page.evaluate("document.querySelector('#years-chart canvas').width") > 0
    option = page.evaluate("echarts.getInstanceByDom(document.getElementById('years-chart')).getOption()")
    by_year = {int(y): n for y, n in summary["by_filing_year"].items() if y != "unknown"}
    years = range(min(by_year), max(by_year) + 1)  # years without filings are bars of 0, not left out
    assert option["xAxis"][0]["data"] == [str(y) for y in years]
    assert option["series"][0]["data"] == [by_year.get(y, 0) for y in years]
    assert len(years) > len(by_year)
    page.evaluate("""() => new Promise(done => {  // the bars grow in an animation: let it end first
        echarts.getInstanceByDom(document.getElementById('years-chart')).on('finished', done);
        setTimeout(done, 3000);
    })""")
    page.screenshot(path=str(SCREENSHOT))

    # the filter form: only the type chosen, every other field sent empty
    page.select_option("select[name=type]", "utility_model")
    with page.expect_navigation():
        page.click("#filters button[type=submit]")
    expected = _api(server, "/api/overview", type="utility_model")["results"]["total"]
    assert page.text_content("#result-total") == str(expected)
    assert expected < summary["patents"]
    assert page.eval_on_selector("select[name=type]", "el => el.value") == "utility_model"

    # the language switch keeps the filter and shows English
    with page.expect_navigation():
        page.click("#lang-switch")
    body = page.inner_text("body")
    assert "Patents in store" in body and "专利总数" not in body
    assert page.text_content("#lang-switch") == "中文"
    assert page.text_content("#result-total") == str(expected)
    assert page.evaluate("document.documentElement.lang") == "en"

    assert outside == []
    assert errors == []
    page.close()
