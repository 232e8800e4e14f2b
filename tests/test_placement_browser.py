"""The county's own view in a real browser (Debian's Chromium): on a store set up as the demo is
(the four exports, the SZSE directory, the demo accounts), 滨江区's page shows 网易's patents, and
its government warning page lists 网易's fees at risk."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from patentatlas.commands.accounts import DEMO_ANALYST, DEMO_PASSWORD, seed_demo_accounts
from patentatlas.domain.directory import import_directory
from patentatlas.store import open_store
from tests.browser_support import chromium, require_browser, script_errors, served_copy
from tests.conftest import DATA

require_browser()  # skipped without Chromium, failed when CI is set

BINJIANG = "330108"
NETEASE = "网易(杭州)网络有限公司"


@pytest.fixture(scope="module")
def demo_db(loaded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("placement_demo") / "store.duckdb"
    shutil.copy(loaded_db, path)
    conn = open_store(path)
    import_directory(conn, DATA / "enterprise_directory" / "szse_a_share_list_2025-10-22.csv")
    seed_demo_accounts(conn)
    conn.close()
    return path


@pytest.fixture(scope="module")
def server(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with served_copy(demo_db, tmp_path_factory.mktemp("placement_browser")) as address:
        yield address


@pytest.fixture
def page(server: str) -> Iterator[Any]:
    with chromium() as browser:
        tab = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        errors = script_errors(tab)
        yield tab
        assert errors == []


def _cells(page: Any, table: str) -> list[list[str]]:
    return page.eval_on_selector_all(f"#{table} tbody tr",
                                     "rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))")


def test_binjiang_page_shows_netease_patents(server: str, page: Any) -> None:
    page.goto(f"{server}/regions/{BINJIANG}")
    assert page.inner_text("#region-name") == "滨江区"
    applicants = _cells(page, "applicants-table")
    assert applicants[0][1:3] == [NETEASE, "58"]
    assert page.get_attribute("#placement-summary", "data-county") == "63"
    methods = {row[0]: row[1:] for row in _cells(page, "placement-table")}
    assert methods["注册企业（信用代码）"] == ["58", "58", "0"]
    page.click("#patents-link")
    page.wait_for_url(f"**/regions/{BINJIANG}/patents*")
    listed = page.inner_text("main") if page.query_selector("main") else page.inner_text("body")
    assert listed.count("网易") >= 20  # the first page of 50: most of 滨江区's 63 patents are 网易's
    page.screenshot(path="/tmp/placement_binjiang.png", full_page=True)


def test_binjiang_warning_page_lists_netease_fees(server: str, page: Any) -> None:
    with httpx.Client(base_url=server) as api:
        token = api.post("/api/session", json={"email": DEMO_ANALYST, "password": DEMO_PASSWORD}).json()
        assert token["csrf_token"]
        expected = api.get(f"/api/warnings/regions/{BINJIANG}").json()["enterprises_to_call"]["enterprises"][0]
    assert (expected["name"], expected["patents_in_grace"], expected["county_name"]) == (NETEASE, 9, "滨江区")
    page.goto(f"{server}/warnings/regions/{BINJIANG}")
    page.fill("input[name=email]", DEMO_ANALYST)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("#sign-in-form button[type=submit]")
    page.wait_for_url(f"**/warnings/regions/{BINJIANG}*")
    first = _cells(page, "enterprises-table")[0]
    assert first[1:4] == [NETEASE, "滨江区", "9"]
    assert first[6] == f"{expected['fees_at_risk']:,}"
    page.screenshot(path="/tmp/placement_binjiang_warnings.png", full_page=True)
