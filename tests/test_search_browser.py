"""The header's search box in Chromium: a Chinese query shows its results with highlights; a
publication number opens its patent, whose page lists similar patents. The result set's charts
draw the page's numbers; an enterprise user saves the search from the page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from patentatlas.commands.accounts import DEMO_ENTERPRISE_USER, DEMO_PASSWORD, seed_demo_accounts
from patentatlas.store import open_store
from tests import search_support
from tests.browser_support import chromium, only_local, require_browser, script_errors, served_copy, wait_until
from tests.search_support import CHAT_RETRIEVAL, copy_with_index

require_browser()  # skipped without Chromium, failed when CI is set
indexed_db = search_support.indexed_db  # the shared fixture


@pytest.fixture(scope="module")
def server(indexed_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("search-browser")
    built = copy_with_index(indexed_db, folder / "built")
    conn = open_store(built)
    seed_demo_accounts(conn)  # 网易's IP manager, an enterprise user
    conn.close()
    # served_copy copies the store file into the folder: its index goes beside it first
    Path(folder / "built" / "store.duckdb.search").rename(folder / "store.duckdb.search")
    with served_copy(folder / "built" / "store.duckdb", folder) as address:
        yield address


def test_the_header_box_searches_and_opens_numbers(server: str) -> None:
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        outside, errors = only_local(page, server)
        page.goto(server + "/")
        page.fill("#header-search", "内窥镜")
        with page.expect_navigation():
            page.press("#header-search", "Enter")
        assert "/search?q=" in page.url
        assert page.text_content("#search-total") == "2"
        titles = page.eval_on_selector_all("#search-hits .hit-title", "els => els.map(e => e.textContent)")
        assert sorted(titles) == ["一种虚拟现实全景医用内窥镜", "虚拟现实胶囊内窥镜"]
        assert page.eval_on_selector_all("#search-hits mark", "els => els.map(e => e.textContent)")[0] == "内窥镜"
        assert "检索语法" in page.inner_text("#search-syntax")

        page.fill("#header-search", "CN110750616B")
        with page.expect_navigation():
            page.press("#header-search", "Enter")
        assert page.url.endswith(f"/patents/{CHAT_RETRIEVAL}")
        assert page.text_content("#patent-number") == CHAT_RETRIEVAL
        page.wait_for_selector("#similar-list li")  # similar patents, fetched by similar.js
        assert "共同关键词" in page.inner_text("#similar-list")
        assert errors == [] and outside == []
        page.close()


CHART_DATA = """id => { const o = echarts.getInstanceByDom(document.getElementById(id)).getOption();
  return {labels: (o.yAxis[0].type === 'category' ? o.yAxis[0] : o.xAxis[0]).data, values: o.series[0].data}; }"""


def test_the_result_sets_charts_and_saving_the_search(server: str) -> None:
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        errors = script_errors(page)
        outside: list[str] = []
        page.on("request", lambda r: None if r.url.startswith(server) else outside.append(r.url))
        page.goto(server + "/sign-in")
        page.fill("input[name=email]", DEMO_ENTERPRISE_USER)
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("#sign-in-form button[type=submit]")
        page.wait_for_load_state()
        address = server + "/search?q=" + quote("title:手术")
        page.goto(address)
        wait_until(page, "Boolean(window.searchCharts && window.searchCharts.ready)")
        expected = page.request.get(address + "&format=json").json()["charts"]
        trend = page.evaluate(CHART_DATA, "chart-trend")
        assert trend["labels"][0] == "2009" and trend["labels"][-1] == "2022" and sum(trend["values"]) == 63
        assert trend == {"labels": [str(r["year"]) for r in expected["trend"]],
                         "values": [r["patents"] for r in expected["trend"]]}
        applicants = page.evaluate(CHART_DATA, "chart-applicants")
        assert applicants == {"labels": [r["applicant"] for r in expected["applicants"]],
                              "values": [r["patents"] for r in expected["applicants"]]}
        assert len(applicants["values"]) == 10 and applicants["values"][0] == 3
        ipc = page.evaluate(CHART_DATA, "chart-ipc")
        assert ipc == {"labels": [r["ipc_subclass"] for r in expected["ipc"]],
                       "values": [r["patents"] for r in expected["ipc"]]}
        assert page.is_visible("#chart-trend canvas")

        page.fill("#save-search-form input[name=name]", "手术监控")
        with page.expect_navigation():
            page.click("#save-search")
        assert page.url == address.replace("title:", "title%3A")
        assert "检索式已保存" in page.text_content("#flash-message")
        assert page.inner_text("#saved-searches summary") == "我保存的检索式 (1)"
        page.click("#saved-searches summary")
        assert page.inner_text("#saved-searches li").startswith("手术监控")
        mine = page.request.get(server + "/api/saved-searches").json()
        assert [(s["name"], s["query"]) for s in mine] == [("手术监控", "title:手术")]
        assert errors == [] and outside == []
        page.close()
