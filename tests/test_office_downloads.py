"""Downloads an office can forward (issue 11 §3, §4) on the four real exports: headers and coded
values in Chinese, an XLSX title block above the table on a sheet named after it, widths to fit,
identifiers as text, the map's 未能定位 row so the cities sum to the headline, the summary's 申请量
and 授权量 as the page's cards, an empty table as its header row — each file opened with
csv/openpyxl and its figures checked against the page's JSON."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient

from tests.web_support import client_on_copy


@pytest.fixture(scope="module")
def client(loaded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with client_on_copy(loaded_db, tmp_path_factory.mktemp("office_downloads")) as test_client:
        yield test_client


def _csv(client: TestClient, url: str, **params: Any) -> list[dict[str, str]]:
    answer = client.get(url, params=params)
    assert answer.status_code == 200, answer.text[:300]
    return list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))


def _book(client: TestClient, url: str, **params: Any) -> openpyxl.Workbook:
    answer = client.get(url, params=params)
    assert answer.status_code == 200, answer.text[:300]
    return openpyxl.load_workbook(io.BytesIO(answer.content))


def _table(sheet: Any) -> tuple[list[str], list[list[Any]], list[str]]:
    """(title block lines, header, rows) of a sheet: the block ends at the first blank row."""
    lines = [list(r) for r in sheet.iter_rows(values_only=True)]
    blank = next(i for i, line in enumerate(lines) if not any(v is not None for v in line))
    block = [line[0] for line in lines[:blank]]
    return block, lines[blank + 1], lines[blank + 2:]


def test_the_map_download_sums_to_the_headline(client: TestClient) -> None:
    page = client.get("/regions/330000", params={"format": "json"}).json()
    headline = {h["key"]: h["value"] for h in page["headline"]}
    rows = _csv(client, "/api/map", parent="330000", indicator="valid_invention_count", format="csv")
    assert rows[-1]["名称"] == "未能定位" and rows[-1]["代码"] == ""
    assert sum(int(r["有效发明专利"]) for r in rows) == headline["valid_invention_count"]
    assert sum(int(r["专利申请量"]) for r in rows) == headline["applications"]
    assert sum(int(r["专利授权量"]) for r in rows) == headline["grants"]
    cities = [r for r in rows if r["代码"]]
    assert [r["名称"] for r in cities] == [r["name"] for r in page["map"]["regions"]]


def test_the_summary_download_has_the_pages_applications_and_grants(client: TestClient) -> None:
    page = client.get("/regions/330100", params={"format": "json"}).json()
    headline = {h["key"]: h["value"] for h in page["headline"]}
    summary = {r["指标"]: r["数值"] for r in _csv(client, "/api/regions/330100/indicators", format="csv")}
    assert (int(summary["专利申请量"]), int(summary["专利授权量"])) == (headline["applications"], headline["grants"])
    assert int(summary["有效发明专利"]) == headline["valid_invention_count"]
    assert summary["地区"] == "杭州市"


def test_the_xlsx_has_a_title_block_a_named_sheet_widths_and_text_identifiers(client: TestClient) -> None:
    data = client.get("/api/regions/330100/indicators").json()
    book = _book(client, "/api/map", parent="330000", indicator="valid_invention_count", format="xlsx")
    assert book.sheetnames == ["浙江省 · 有效发明专利"]
    sheet = book.worksheets[0]
    block, header, rows = _table(sheet)
    assert block[0] == "浙江省 · 有效发明专利"
    assert block[1:3] == ["地区：浙江省（330000）", f"统计日期：{data['as_of']}"]
    assert block[3].startswith("统计口径：每件专利只计一次，按第一申请人")
    assert block[4].startswith("数据来源：") and block[5].startswith("导出时间（北京时间）：")
    assert sheet["A1"].font.bold
    assert header[:3] == ["代码", "名称", "数值"]
    code = header.index("代码")
    assert {type(r[code]) for r in rows if r[code] is not None} == {str}  # region codes stay text
    assert sheet.column_dimensions["B"].width >= 8


def test_coded_values_are_words_and_numbers_stay_text(client: TestClient) -> None:
    book = _book(client, "/regions/330100/patents", format="xlsx")
    block, header, rows = _table(book.worksheets[0])
    kind, status, number = header.index("类型"), header.index("法律状态"), header.index("申请号")
    assert {r[kind] for r in rows} <= {"发明", "实用新型", "外观设计"}
    assert {r[status] for r in rows} <= {"有效", "失效", "审中", None}
    assert all(isinstance(r[number], str) and r[number].startswith("CN") for r in rows)
    json_total = client.get("/regions/330100/patents", params={"format": "json"}).json()["results"]["total"]
    assert len(rows) == json_total


def test_an_empty_table_is_its_header_row(client: TestClient) -> None:
    from patentatlas.domain import accounts
    cursor = client.app.state.conn.cursor()  # type: ignore[attr-defined]
    accounts.create_user(cursor, "root@office.cn", "admin", password="correct horse battery")
    cursor.close()
    answer = client.post("/api/session", json={"email": "root@office.cn", "password": "correct horse battery"})
    assert answer.status_code == 200
    body = client.get("/api/warnings/regions/330106", params={"format": "csv", "table": "lapses_by_town"}).content
    text = body.decode("utf-8-sig")
    assert text.splitlines() == ["乡镇代码,乡镇（街道）,区县代码,区县,失效专利数,其中发明,申请号"]
    client.cookies.clear()


def test_an_api_download_is_in_the_requests_language(client: TestClient) -> None:
    rows = _csv(client, "/api/map", parent="330000", indicator="valid_invention_count", format="csv", lang="en")
    assert list(rows[0])[:3] == ["Code", "Name", "Value"]
    assert rows[-1]["Name"] == "Not placed"
    book = _book(client, "/api/regions/330100/indicators", table="trends", format="xlsx", lang="en")
    block, header, _ = _table(book.worksheets[0])
    assert block[0] == "杭州市 · Applications and grants by year"
    assert header[:3] == ["Filing year", "Patent applications", "Patent grants"]
    client.cookies.set("lang", "en")  # the language chosen on a page holds for the downloads after it
    try:
        summary = {r["Indicator"]: r["Value"] for r in _csv(client, "/api/regions/330100/indicators", format="csv")}
    finally:
        client.cookies.delete("lang")
    assert summary["Region"] == "杭州市"
