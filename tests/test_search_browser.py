"""The header's search box in Chromium: a Chinese query shows its results with highlights; a
publication number opens its patent, whose page lists similar patents."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import search_support
from tests.browser_support import chromium, require_browser, served_copy
from tests.search_support import CHAT_RETRIEVAL, copy_with_index

require_browser()  # skipped without Chromium, failed when CI is set
indexed_db = search_support.indexed_db  # the shared fixture


@pytest.fixture(scope="module")
def server(indexed_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("search-browser")
    copy_with_index(indexed_db, folder / "built")
    # served_copy copies the store file into the folder: its index goes beside it first
    Path(folder / "built" / "store.duckdb.search").rename(folder / "store.duckdb.search")
    with served_copy(folder / "built" / "store.duckdb", folder) as address:
        yield address


def test_the_header_box_searches_and_opens_numbers(server: str) -> None:
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        errors: list[str] = []
        outside: list[str] = []

        def only_local(route: Any) -> None:
            if route.request.url.startswith(server + "/"):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        page.route("**/*", only_local)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
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
