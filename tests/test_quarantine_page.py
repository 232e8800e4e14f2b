"""The quarantine reviewed on the web (issue 11 §9), for admins only: the rows the imports rejected,
each reason in the page's language (the store keeps its msgid and arguments, migration 18), filtered
by file and batch, paged, downloadable as CSV and XLSX in the page's language."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient

from patentatlas.domain import accounts
from patentatlas.domain import enterprises as ent
from patentatlas.imports import import_file
from patentatlas.store import open_store
from patentatlas.web.app import create_app
from tests.conftest import THUNDERSOFT, copied_store
from tests.test_date_checks import _edited_csv
from tests.web_support import HtmlPage, client_on_copy, signed_in

PASSWORD = "correct horse battery"
TOYOTA = "incopat_toyota_autodrive_5048.csv"
REASON_EN = "'B60R/' is not an IPC/CPC symbol (e.g. G06F16/583)"
REASON_ZH = "'B60R/' 不是 IPC/CPC 分类号（例如 G06F16/583）"


@pytest.fixture(scope="module")
def app(loaded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    path = copied_store(loaded_db, tmp_path_factory.mktemp("quarantine_page"))
    conn = open_store(path)
    eid = ent.register_enterprise(conn, "中科创达软件股份有限公司", "91110108551385082Q")["enterprise_id"]
    accounts.create_user(conn, "a@a.cn", "enterprise", password=PASSWORD, enterprise_id=eid)
    accounts.create_user(conn, "zj@gov.cn", "analyst", password=PASSWORD, region_code="330000")
    accounts.create_user(conn, "root@gov.cn", "admin", password=PASSWORD)
    # a row an older store quarantined: its reason plain English text, no message kept (reason_said NULL)
    conn.execute("INSERT INTO quarantine (batch_id, file, sheet, row_number, field, reason, raw) "
                 "VALUES (9, 'C:\\上传\\旧清单.xlsx', '专利', 7, '(row)', 'an old reason', '{\"申请号\": \"X1\"}')")
    conn.close()
    application = create_app(path)
    yield application
    application.state.conn.close()


@pytest.fixture(scope="module")
def admin(app: Any) -> TestClient:
    return signed_in(app, "root@gov.cn", PASSWORD)


def test_only_admins_open_the_quarantine(app: Any, admin: TestClient) -> None:
    anonymous = TestClient(app, follow_redirects=False).get("/admin/quarantine")
    assert (anonymous.status_code, anonymous.headers.get("location")) == (303, "/sign-in?next=%2Fadmin%2Fquarantine")
    for email in ("a@a.cn", "zj@gov.cn"):
        for url in ("/admin/quarantine", "/admin/quarantine?format=xlsx", "/admin/quarantine?format=json"):
            answer = signed_in(app, email, PASSWORD).get(url)
            assert answer.status_code == 403, (email, url)
            assert "B60R/" not in answer.text
    answer = admin.get("/admin/quarantine")
    assert (answer.status_code, answer.headers["cache-control"]) == (200, "private, no-store")


def _rows(page: HtmlPage, kind: str) -> list[tuple[dict[str, Any], list[str]]]:
    return [(a, [c.strip() for c in cells]) for a, cells in page.rows if a.get("class") == kind]


def test_the_toyota_row_in_chinese_and_in_english(admin: TestClient) -> None:
    zh = HtmlPage(admin.get("/admin/quarantine", params={"lang": "zh"}).text)
    rows = _rows(zh, "quarantine-row")
    # newest batch first: the older store's row (batch 9), then the Toyota export's (batch 1)
    assert [cells[:5] for _, cells in rows] == [
        ["旧清单.xlsx", "专利", "7", "（整行）", "an old reason"],
        [TOYOTA, "", "4788", "IPC", REASON_ZH]]
    assert (rows[1][0]["data-code"], rows[1][0]["data-batch"]) == ("err_ipc_not_symbol", "1")
    assert rows[1][1][5].startswith("原始单元格 (22)序号4787") and "TW094111778" in rows[1][1][5]
    assert zh.text["quarantine-total"] == "共 2 行 · 第 1 / 1 页"
    assert [(a["data-file"], cells) for a, cells in _rows(zh, "quarantine-file")] == [
        ("旧清单.xlsx", ["旧清单.xlsx", "1", "9"]), (TOYOTA, [TOYOTA, "1", "1"])]
    en = HtmlPage(admin.get("/admin/quarantine", params={"lang": "en"}).text)
    assert [cells[3:5] for _, cells in _rows(en, "quarantine-row")] == [
        ["(row)", "an old reason"], ["IPC", REASON_EN]]
    assert en.text["quarantine-total"] == "2 rows · page 1 of 1"


def test_filtered_by_file_and_batch(admin: TestClient) -> None:
    page = admin.get("/admin/quarantine", params={"file": TOYOTA, "format": "json"}).json()
    assert (page["total"], page["filters"]) == (1, {"file": TOYOTA, "batch": None})
    (row,) = page["rows"]
    assert {k: row[k] for k in ("batch_id", "file", "sheet", "row", "field", "reason", "reason_code")} == {
        "batch_id": 1, "file": TOYOTA, "sheet": None, "row": 4788, "field": "IPC", "reason": REASON_EN,
        "reason_code": "err_ipc_not_symbol"}
    assert (row["raw"]["申请号"], row["raw"]["IPC"].split("; ")[0]) == ("TW094111778", "B60R/")
    old = admin.get("/admin/quarantine", params={"file": "旧清单.xlsx", "format": "json"}).json()
    assert [(r["row"], r["reason"], r["reason_code"]) for r in old["rows"]] == [(7, "an old reason", None)]
    by_batch = admin.get("/admin/quarantine", params={"batch": "1", "format": "json"}).json()
    assert [r["row"] for r in by_batch["rows"]] == [4788]
    none = admin.get("/admin/quarantine", params={"file": TOYOTA, "batch": "9", "format": "json"}).json()
    assert (none["total"], none["rows"], none["pages"]) == (0, [], 1)
    assert len(page["files"]) == 2  # the counts per file stay whole under a filter
    bad = admin.get("/admin/quarantine", params={"batch": "x", "format": "json"})
    assert (bad.status_code, bad.json()["message"], bad.json()["code"]) == (
        400, "batch: 'x' is not a whole number", "err_whole_number")


def test_the_downloads_are_the_filtered_rows_in_the_pages_language(admin: TestClient) -> None:
    page = admin.get("/admin/quarantine", params={"file": TOYOTA, "lang": "zh"}).text
    assert f'href="/admin/quarantine?file={TOYOTA}&amp;format=xlsx"' in page
    answer = admin.get("/admin/quarantine", params={"file": TOYOTA, "format": "xlsx", "lang": "zh"})
    assert answer.status_code == 200 and answer.headers["cache-control"] == "private, no-store"
    sheet = openpyxl.load_workbook(io.BytesIO(answer.content), read_only=True).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = values.index(["批次", "文件", "工作表", "行号", "字段", "原因", "原始单元格"])
    assert values[0][0] == f"隔离的行 · {TOYOTA}"
    (row,) = values[header + 1:]
    assert row[:6] == [1, TOYOTA, None, 4788, "IPC", REASON_ZH]
    assert json.loads(row[6])["申请号"] == "TW094111778"
    en = admin.get("/admin/quarantine", params={"format": "csv", "lang": "en"})
    lines = list(csv.reader(io.StringIO(en.content.decode("utf-8-sig"))))
    assert lines[0] == ["Batch", "File", "Sheet", "Row", "Field", "Reason", "Raw cells"]
    assert [line[:6] for line in lines[1:]] == [["9", "旧清单.xlsx", "专利", "7", "(row)", "an old reason"],
                                                ["1", TOYOTA, "", "4788", "IPC", REASON_EN]]
    exports = admin.get("/admin/audit", params={"format": "json", "action": "quarantine."}).json()["entries"]
    assert [(e["target"], e["detail"]) for e in exports][:2] == [
        (None, {"batch": None, "format": "csv"}), (TOYOTA, {"batch": None, "format": "xlsx"})]


def test_the_api_keeps_english_and_adds_the_code(admin: TestClient) -> None:
    rows = admin.get("/api/quarantine").json()
    assert [(r["row"], r["reason"], r["reason_code"]) for r in rows] == [
        (7, "an old reason", None), (4788, REASON_EN, "err_ipc_not_symbol")]


def test_the_imports_page_links_each_batchs_quarantined_rows(admin: TestClient) -> None:
    page = admin.get("/admin/imports").text
    assert '<a href="/admin/quarantine">' in page  # the admin pages' links
    assert f'href="/admin/quarantine?file={TOYOTA}&amp;batch=1#quarantine-table">1</a>' in page


def test_each_reason_an_import_gives_in_both_languages(tmp_path: Path) -> None:
    """A Patentics export edited row by row: each rejected row's reason on the page in Chinese, and in
    English exactly as the store's reason column and the CLI say it."""
    target = tmp_path / "thundersoft_edited.csv"
    _edited_csv(THUNDERSOFT, target, [
        {"申请日": "2023/01/10"},  # published 2022/12/06
        {"国际分类": "G00F1/00"},
        {"同族数": "-3"},
        {"引用数": "abc"},
    ])
    with target.open("a", encoding="utf-8") as out:
        out.write("CN1,CN2\n")  # a row of 2 cells under the 78-column header
    conn = open_store(tmp_path / "store.duckdb")
    report = import_file(conn, target)
    assert (report.read, report.quarantined) == (5, 5)
    accounts.create_user(conn, "root@gov.cn", "admin", password=PASSWORD)
    english = conn.execute("SELECT reason FROM quarantine ORDER BY row_number").fetchall()
    conn.close()
    (tmp_path / "web").mkdir()
    with client_on_copy(tmp_path / "store.duckdb", tmp_path / "web") as client:
        admin = signed_in(client.app, "root@gov.cn", PASSWORD)
        said = {lang: [cells[2:5] for _, cells in _rows(HtmlPage(admin.get("/admin/quarantine", params={
            "lang": lang}).text), "quarantine-row")] for lang in ("zh", "en")}
    width = len(next(csv.reader(THUNDERSOFT.open(encoding="utf-8"))))
    assert said["zh"] == [
        ["2", "申请日", "申请日 2023-01-10 晚于公开日 2022-12-06"],
        ["3", "国际分类", "'G00F1/00' 形似 IPC 分类号，但 G00 不是 IPC 分类表中的大类"],
        ["4", "同族数", "'-3' 不是大于等于 0 的整数"],
        ["5", "引用数", "'abc' 不是数字"],
        ["6", "（整行）", f"该行有 2 个单元格，而表头有 {width} 列"]]
    assert said["en"] == [
        ["2", "申请日", "filing date 2023-01-10 is after the publication date 2022-12-06"],
        ["3", "国际分类", "'G00F1/00' has the shape of an IPC code, but G00 is no class of the IPC scheme"],
        ["4", "同族数", "'-3' is not a whole number ≥ 0"],
        ["5", "引用数", "'abc' is not a number"],
        ["6", "(row)", f"row has 2 cells but the header has {width}"]]
    assert [r[2] for r in said["en"]] == [r for (r,) in english]
