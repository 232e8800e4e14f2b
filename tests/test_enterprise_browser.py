"""A real browser on the enterprise end: the demo's enterprise user signs in through the form, sees
the fee calendar drawn with the API's numbers, records a payment through the form, and the page
asks nothing of the internet."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from patentatlas.commands.accounts import DEMO_ENTERPRISE_USER, DEMO_PASSWORD
from tests.browser_support import chromium, require_browser, served_demo

require_browser()  # skipped without Chromium, failed when CI is set


@pytest.fixture(scope="module")
def server(loaded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("enterprise_browser")
    with served_demo(loaded_db, folder) as address:
        yield address


@pytest.fixture
def page(server: str) -> Iterator[Any]:
    with chromium() as browser:
        yield browser.new_context().new_page()


def test_sign_in_see_the_fee_calendar_and_record_a_payment(server: str, page: Any) -> None:
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(server) else outside.append(r.url))
    page.goto(f"{server}/enterprises/1/fees")
    assert "/sign-in?next=" in page.url  # a private page sends the browser to sign in first
    page.fill("input[name=email]", DEMO_ENTERPRISE_USER)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("#sign-in-form button[type=submit]")
    page.wait_for_url(f"{server}/enterprises/1/fees")
    page.wait_for_selector("#fee-chart canvas")
    api = page.request.get(f"{server}/api/enterprises/1/fees").json()
    rows = page.locator("#fee-table tbody tr")
    assert rows.count() == len(api["fees"]) > 0
    assert page.inner_text("#count-upcoming") == str(api["counts"]["upcoming"])
    fee = next(f for f in api["fees"] if f["state"] in ("upcoming", "grace"))
    page.fill("#payment-form input[name=application_number]", fee["application_number"])
    page.fill("#payment-form input[name=patent_year]", str(fee["patent_year"]))
    page.fill("#payment-form input[name=paid_on]", dt.date.today().isoformat())
    page.fill("#payment-form input[name=amount]", str(fee["amount"]))
    page.fill("#payment-form input[name=receipt_number]", "浙财缴-0001")
    page.click("#payment-form button[type=submit]")
    page.wait_for_url(f"{server}/enterprises/1/fees?done=paid**")
    assert page.inner_text("#flash").startswith("已登记缴费 1 笔")  # the page says what was done
    row = page.locator(f'#fee-table tr[data-number="{fee["application_number"]}"][data-year="{fee["patent_year"]}"]')
    assert "已缴" in row.inner_text()
    after = page.request.get(f"{server}/api/enterprises/1/fees").json()
    (paid,) = [f for f in after["fees"] if (f["application_number"], f["patent_year"]) ==
               (fee["application_number"], fee["patent_year"])]
    assert (paid["state"], paid["payment"]["receipt_number"]) == ("paid", "浙财缴-0001")
    assert outside == []
