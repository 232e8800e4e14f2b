"""A real browser, in Chinese, at desktop width (1440 px) and on a phone (390 px), on the demo's
accounts (issue 11 §6, §7): the enterprise marks a fee paid with one click on its fee calendar and
its warning leaves the inbox; the analyst goes from a county's warning figure (滨江区, placed by the
office's directory) to its list, to an enterprise's page, logs a follow-up, and downloads the list,
whose figures are the page's; the admin
uploads an export, and the server imports it and shows its report."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from patentatlas.commands.accounts import DEMO_ADMIN, DEMO_ANALYST, DEMO_ENTERPRISE_USER, DEMO_PASSWORD
from patentatlas.domain import accounts
from patentatlas.domain.directory import import_directory
from patentatlas.domain.warnings import run_alerts
from patentatlas.store import open_store
from patentatlas.store.reference import ensure_reference
from tests.browser_support import chromium, require_browser, served_copy, served_demo
from tests.conftest import DATA, THUNDERSOFT

require_browser()  # skipped without Chromium, failed when CI is set

WIDTHS = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def server(loaded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("followup_browser")
    def then(conn: Any) -> None:  # the office's directory places enterprises in their county; today's warnings
        import_directory(conn, DATA / "enterprise_directory" / "szse_a_share_list_2025-10-22.csv")
        run_alerts(conn, dt.date.today(), None)

    with served_demo(loaded_db, folder, then=then) as address:
        yield address


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def _sign_in(page: Any, server: str, target: str, email: str) -> None:
    page.goto(f"{server}{target}")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("#sign-in-form button[type=submit]")
    page.wait_for_url(f"{server}{target}")


@pytest.mark.parametrize("width", list(WIDTHS))
def test_a_fee_marked_paid_leaves_the_inbox(server: str, browser: Any, width: str) -> None:
    page = browser.new_context(viewport=WIDTHS[width], locale="zh-CN").new_page()
    _sign_in(page, server, "/enterprises/1/fees", DEMO_ENTERPRISE_USER)
    inbox = page.request.get(f"{server}/api/enterprises/1/inbox").json()
    warning = next(w for w in inbox["warnings"] if w["rule"] in ("fee_due", "fee_grace"))
    number, year = warning["application_number"], warning["facts"]["patent_year"]
    row = page.locator(f"#fee-table tr[data-number='{number}'][data-year='{year}']")
    assert row.locator("input[name=amount]").input_value() == str(warning["facts"]["amount"])  # pre-filled
    row.locator("button.pay-one").click()
    page.wait_for_selector("#flash")
    assert page.inner_text("#flash").startswith("已登记缴费 1 笔；相关预警已解除")
    paid = page.locator(f"#fee-table tr[data-number='{number}'][data-year='{year}']")
    assert paid.get_attribute("data-state") == "paid" and "今日缴纳" not in paid.inner_text()
    page.goto(f"{server}/enterprises/1/inbox")
    active = [s.inner_text() for s in page.locator("section.warning.unread h2").all()]
    assert warning["title"] not in active  # gone from the warnings that ask for payment
    assert page.locator(f"#resolved-warnings section[data-key='{warning['warning_key']}']").count() == 1


@pytest.mark.parametrize("width", list(WIDTHS))
def test_the_analyst_follows_up_from_the_figure_and_downloads_the_list(server: str, browser: Any,
                                                                        width: str) -> None:
    page = browser.new_context(viewport=WIDTHS[width], locale="zh-CN", accept_downloads=True).new_page()
    _sign_in(page, server, "/warnings/regions/330108", DEMO_ANALYST)  # 滨江区, in the analyst's 杭州市
    page.click("#list-in-grace")
    page.wait_for_selector("#by-enterprise-table")
    data = page.request.get(f"{server}/api/warnings/regions/330108/lists/in_grace").json()
    assert page.inner_text("#list-title") == "宽限期内专利清单"
    assert page.inner_text("#list-count") == f"{data['count']:,}" and data["count"] > 0
    table_rows = page.locator("#by-enterprise-table tbody tr").all()
    shown = [[c.inner_text() for c in r.locator("td").all()] for r in table_rows]
    assert [(r[0], int(r[3].replace(",", ""))) for r in shown] == [
        (e["enterprise_name"], e["patents"]) for e in data["by_enterprise"]]
    first = data["by_enterprise"][0]
    page.locator("#by-enterprise-table tbody tr").first.locator("a").click()
    page.wait_for_selector("#followup-form")
    assert page.inner_text("#enterprise-name").startswith(first["enterprise_name"])
    note = f"{width}：已电话联系，承诺本周缴清"
    page.select_option("#followup-form select[name=outcome]", "promised")
    page.fill("#followup-form input[name=note]", note)
    page.click("#followup-form button[type=submit]")
    page.wait_for_selector("#flash")
    assert page.inner_text("#flash") == "跟踪记录已保存。"
    assert note in page.inner_text("#followup-log") and "承诺缴费" in page.inner_text("#followup-log")
    page.goto(f"{server}/warnings/regions/330108/lists/in_grace")
    with page.expect_download() as caught:
        page.click("#by-enterprise-downloads a[data-format=xlsx]")
    book = openpyxl.load_workbook(io.BytesIO(Path(caught.value.path()).read_bytes()))
    lines = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    blank = next(i for i, line in enumerate(lines) if not any(v is not None for v in line))
    header, rows = lines[blank + 1], lines[blank + 2:]
    assert lines[0][0] == "滨江区 · 宽限期内专利清单 · 按企业"
    name, patents, outcome = header.index("企业名称"), header.index("专利数"), header.index("最近跟踪结果")
    assert [(r[name], r[patents]) for r in rows] == [(r[0], int(r[3].replace(",", ""))) for r in shown]
    assert rows[0][outcome] == "承诺缴费"  # the follow-up just logged


@pytest.mark.parametrize("width", list(WIDTHS))
def test_the_admin_uploads_an_export_and_reads_its_report(browser: Any, width: str, tmp_path: Path) -> None:
    empty = tmp_path / "empty.duckdb"
    conn = open_store(empty)
    ensure_reference(conn)
    accounts.create_user(conn, DEMO_ADMIN, "admin", password=DEMO_PASSWORD)
    conn.close()
    with served_copy(empty, tmp_path) as server:
        page = browser.new_context(viewport=WIDTHS[width], locale="zh-CN").new_page()
        _sign_in(page, server, "/admin/imports", DEMO_ADMIN)
        page.set_input_files("#jobs input[type=file]", str(THUNDERSOFT))
        page.click("#jobs button[type=submit]")
        page.wait_for_selector("tr.import-job[data-status=done]", timeout=120_000)  # the page refreshes itself
        heads = [c.inner_text() for c in page.locator("table.import-jobs th").all()]
        cells = [c.inner_text() for c in page.locator("tr.import-job td").all()]
        assert (heads[1:5], cells[1:5]) == (["状态", "读取", "新增", "隔离"], ["已完成", "511", "511", "0"])
        report = page.locator("section.import-batch").first
        numbers = [c.inner_text() for c in report.locator("table.patents").first.locator("tbody td").all()]
        assert numbers == ["511", "511", "0", "0", "0"]  # read, loaded, updated, unchanged, quarantined
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS[width]["width"]
