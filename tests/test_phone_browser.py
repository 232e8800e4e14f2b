"""The pages on a phone (issue 11 §5): in Debian's Chromium at 390 px wide no page scrolls sideways,
the header's menu sits behind a button that opens and closes it, the language button stays on
screen, wide tables scroll inside their own box and their headers stay on one line; at 1440 px
the menu is shown without the button."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from patentatlas.commands.accounts import (
    DEMO_ADMIN,
    DEMO_ANALYST,
    DEMO_ENTERPRISE_USER,
    DEMO_PASSWORD,
)
from tests.browser_support import chromium, require_browser, script_errors, served_demo

require_browser()  # skipped without Chromium, failed when CI is set

PHONE, DESKTOP = 390, 1440
PAGES: dict[str | None, list[str]] = {
    None: ["/", "/patents", "/regions/330000", "/regions/330100", "/industries", "/sign-in",
           "/patents/CN202010302257.8", "/patents/CN201710069085.2?lang=en"],
    DEMO_ENTERPRISE_USER: ["/enterprises/1", "/enterprises/1/fees", "/enterprises/1/custody"],
    DEMO_ANALYST: ["/warnings/regions/330000"],
    DEMO_ADMIN: ["/admin/imports", "/admin/quarantine"],
}

# the lines each table header takes: the distinct tops of its text's boxes
HEADER_LINES = """() => [...document.querySelectorAll('main th')].filter(th => th.textContent.trim()).map(th => {
  const range = document.createRange(); range.selectNodeContents(th);
  return [th.textContent.trim(), new Set([...range.getClientRects()].map(r => Math.round(r.top))).size];
})"""
# wide tables: each either fits its box or scrolls inside it (its box no wider than the page)
TABLE_BOXES = """() => [...document.querySelectorAll('main table')].map(t => {
  const style = getComputedStyle(t);
  return [t.id || t.className, Math.round(t.getBoundingClientRect().right), t.scrollWidth > t.clientWidth,
          style.overflowX];
})"""


@pytest.fixture(scope="module")
def server(loaded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("phone_browser")
    with served_demo(loaded_db, folder) as address:
        yield address


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def _signed_in(browser: Any, server: str, who: str | None, width: int) -> Any:
    """A page at ``width`` px, signed in as ``who`` through the sign-in form (or not signed in)."""
    page = browser.new_context(viewport={"width": width, "height": 800}, locale="zh-CN").new_page()
    if who:
        page.goto(f"{server}/sign-in")
        page.fill("#sign-in-form input[name=email]", who)
        page.fill("#sign-in-form input[name=password]", DEMO_PASSWORD)
        with page.expect_navigation():
            page.click("#sign-in-form button[type=submit]")
    return page


@pytest.mark.parametrize("who", list(PAGES), ids=["public", "enterprise", "analyst", "admin"])
def test_every_page_fits_a_phone(browser: Any, server: str, who: str | None) -> None:
    page = _signed_in(browser, server, who, PHONE)
    errors = script_errors(page)
    for path in PAGES[who]:
        assert page.goto(server + path).status == 200, path
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE, path
        lang = page.locator("#lang-switch").bounding_box()
        assert lang is not None and lang["x"] >= 0 and lang["x"] + lang["width"] <= PHONE, (path, lang)
        assert page.is_visible("#menu-toggle") and page.inner_text("#menu-toggle") in ("菜单", "Menu")
        # the menu is closed until the button opens it, and the button closes it again
        assert not page.is_visible("#top-menu") and not page.is_visible("#nav-regions"), path
        page.click("#menu-toggle")
        assert page.is_visible("#nav-regions") and page.is_visible("#user-menu"), path
        assert page.get_attribute("#menu-toggle", "aria-expanded") == "true"
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE, path
        page.click("#menu-toggle")
        assert not page.is_visible("#nav-regions") and page.get_attribute("#menu-toggle", "aria-expanded") == "false"
        broken = [(text, lines) for text, lines in page.evaluate(HEADER_LINES) if lines > 1]
        assert broken == [], (path, broken)
        for name, right, scrolls, overflow in page.evaluate(TABLE_BOXES):
            assert right <= PHONE, (path, name, right)
            assert not scrolls or overflow in ("auto", "scroll"), (path, name)
    assert errors == []


def test_wide_tables_scroll_inside_their_box(browser: Any, server: str) -> None:
    page = _signed_in(browser, server, DEMO_ENTERPRISE_USER, PHONE)
    page.goto(f"{server}/enterprises/1/fees")
    table = page.locator("#fee-table")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
    assert table.evaluate("t => t.scrollWidth > t.clientWidth")  # wider than the phone: it scrolls itself
    table.evaluate("t => { t.scrollLeft = 200; }")
    assert table.evaluate("t => t.scrollLeft") == 200
    assert page.evaluate("window.scrollX") == 0


@pytest.mark.parametrize("who", [None, DEMO_ANALYST], ids=["public", "analyst"])
def test_on_a_desktop_the_menu_shows_without_the_button(browser: Any, server: str, who: str | None) -> None:
    page = _signed_in(browser, server, who, DESKTOP)
    page.goto(f"{server}/regions/330000")
    assert not page.is_visible("#menu-toggle")
    assert page.is_visible("#nav-regions") and page.is_visible("#nav-industries") and page.is_visible("#user-menu")
    header = page.locator("header.top").bounding_box()
    assert header is not None and header["height"] < 70  # one row, as before
    if who:
        assert page.is_visible("#user-menu a[href='/warnings/regions/330000']")
