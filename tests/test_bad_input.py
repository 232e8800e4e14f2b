"""Bad input, file by file: each case is built from real rows of the sample exports, mangled the
way real exports go wrong, and imported through the front door; every row read is accounted for."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pytest

from patentatlas.errors import EmptyFileError, UnknownFormatError
from patentatlas.importers.tabular import UNDECODABLE_HINT
from patentatlas.imports import import_file
from patentatlas.store import open_store
from patentatlas.store.loader import ImportReport
from tests.conftest import DATA, LENS, THUNDERSOFT, TOYOTA, VR

USPTO_2014 = DATA / "uspto_xml_samples" / "xml2014" / "US08930553.xml"
# ThunderSoft (Patentics): 申请号 is column 2, 标题 column 8, 申请日 column 17; its first data
# row spans 15 physical lines (multi-line 索引词 and 法律描述 cells)
TS_NUMBER, TS_TITLE, TS_FILED = 1, 7, 16
# Toyota (incoPat): 申请号 is column 9
TOYOTA_NUMBER = 8


def _real_rows(path: Path, count: int) -> list[list[str]]:
    """The header and the first ``count`` data rows of a real export."""
    with path.open(encoding="utf-8", newline="") as fh:
        return [row for _, row in zip(range(count + 1), csv.reader(fh), strict=False)]


def _csv_text(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def _write(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    path.write_bytes(_csv_text(rows).encode(encoding))
    return path


def _counts(report: ImportReport) -> tuple[int, int, int, int, int]:
    """(read, loaded, updated, unchanged, quarantined), checking that they add up."""
    assert report.read == report.loaded + report.updated + report.unchanged + report.quarantined
    return report.read, report.loaded, report.updated, report.unchanged, report.quarantined


def _quarantine(conn: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    return conn.execute("SELECT sheet, row_number, field, reason FROM quarantine ORDER BY sheet, row_number").fetchall()


def _stored(conn: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    return conn.execute(
        "SELECT application_number, title_zh, filing_date, inventor_names, applicant_names, status_text "
        "FROM patents ORDER BY application_number").fetchall()


def test_ragged_rows_are_quarantined_and_the_rest_load(store: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    header, *rows = _real_rows(THUNDERSOFT, 5)
    rows[1] = rows[1] + ["多出的一格", "又一格"]  # row 3: two cells beyond the header's 69
    rows[2] = rows[2][:10]  # row 4: cut short
    rows[4] = rows[4] + ["", ""]  # row 6: empty trailing cells, as spreadsheets write them: fine
    report = import_file(store, _write(tmp_path / "ragged.csv", [header, *rows]))
    assert _counts(report) == (5, 3, 0, 0, 2)
    assert _quarantine(store) == [
        (None, 3, "(row)", "row has 71 cells but the header has 69"),
        (None, 4, "(row)", "row has 10 cells but the header has 69"),
    ]
    (raw,) = store.execute("SELECT raw FROM quarantine WHERE row_number = 3").fetchone()  # type: ignore[misc]
    assert '"(column 70)": "多出的一格"' in raw  # the extra cells are kept, not dropped
    assert [r[0] for r in _stored(store)] == sorted([rows[0][TS_NUMBER], rows[3][TS_NUMBER], rows[4][TS_NUMBER]])


def test_a_count_too_large_for_a_count_is_quarantined(store: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    # found by the property test: a 4,301-digit cited_count crashed the Lens importer
    header, *rows = _real_rows(LENS, 2)
    rows[1][header.index("cited_count")] = "9" * 4301
    report = import_file(store, _write(tmp_path / "lens_huge.csv", [header, *rows]))
    assert _counts(report) == (2, 1, 0, 0, 1)
    assert _quarantine(store) == [(None, 3, "cited_count", "99999999999999999999… is too large to be a count")]


def test_ragged_lens_rows_keep_every_cell_in_quarantine(store: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    header, *rows = _real_rows(LENS, 3)
    rows[0] = rows[0] + ["多出的一格"]  # row 2
    rows[1] = rows[1][:5]  # row 3
    report = import_file(store, _write(tmp_path / "lens_ragged.csv", [header, *rows]))
    assert report.format == "lens"
    assert _counts(report) == (3, 1, 0, 0, 2)
    assert _quarantine(store) == [
        (None, 2, "(row)", "row has 25 cells but the header has 24"),
        (None, 3, "(row)", "row has 5 cells but the header has 24"),
    ]
    (raw,) = store.execute("SELECT raw FROM quarantine WHERE row_number = 2").fetchone()  # type: ignore[misc]
    assert '"(column 25)": "多出的一格"' in raw


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"])  # -le/-be: no BOM
def test_other_encodings_import_like_the_utf8_original(tmp_path: Path, encoding: str) -> None:
    original = open_store(tmp_path / "original.duckdb")
    expected = _counts(import_file(original, THUNDERSOFT))
    expected_rows = _stored(original)
    original.close()
    copy = tmp_path / f"thundersoft_{encoding}.csv"
    copy.write_bytes(THUNDERSOFT.read_text(encoding="utf-8").encode(encoding))
    conn = open_store(tmp_path / "copy.duckdb")
    assert _counts(import_file(conn, copy)) == expected == (511, 511, 0, 0, 0)
    assert _stored(conn) == expected_rows
    assert ("CN202210836006.7", "一种主题推荐方法、装置、设备和系统") in [r[:2] for r in _stored(conn)]
    conn.close()


@pytest.mark.parametrize("gbk_row", [2, 511], ids=["gbk-line-in-the-head", "gbk-line-at-the-end"])
def test_a_gbk_line_in_a_utf8_file_loads_and_the_utf8_rows_stay_right(tmp_path: Path, gbk_row: int) -> None:
    rows = _real_rows(THUNDERSOFT, 511)
    utf8 = [_csv_text([row]).encode("utf-8") for row in rows]
    mixed = list(utf8)
    mixed[gbk_row - 1] = _csv_text([rows[gbk_row - 1]]).encode("gbk")  # row N is the list's item N - 1
    (tmp_path / "utf8.csv").write_bytes(b"".join(utf8))
    (tmp_path / "mixed.csv").write_bytes(b"".join(mixed))
    original = open_store(tmp_path / "utf8.duckdb")
    import_file(original, tmp_path / "utf8.csv")
    conn = open_store(tmp_path / "mixed.duckdb")
    assert _counts(import_file(conn, tmp_path / "mixed.csv")) == (511, 511, 0, 0, 0)
    number, title = rows[gbk_row - 1][TS_NUMBER], rows[gbk_row - 1][TS_TITLE]
    assert conn.execute("SELECT title_zh FROM patents WHERE application_number = ?", [number]).fetchall() == [
        (title,)]
    # not only the GBK row: the UTF-8 rows around it are not misread as GB18030 either
    assert _stored(conn) == _stored(original)
    original.close()
    conn.close()


@pytest.mark.parametrize(("source", "blank_lines_above", "line"), [
    (THUNDERSOFT, 0, 17),  # rows of many lines: row 3 starts on line 17
    (VR, 2, 5),  # rows of one line, two blank lines above the header: row 3 is line 5
])
def test_a_line_valid_in_no_encoding_quarantines_its_row(
        store: duckdb.DuckDBPyConnection, tmp_path: Path, source: Path, blank_lines_above: int, line: int) -> None:
    rows = _real_rows(source, 5)
    number, title = rows[0].index("申请号"), rows[0].index("标题")
    records = [_csv_text([row]).encode("utf-8") for row in rows]
    broken = rows[2][title].encode("utf-8")
    records[2] = records[2].replace(broken, broken[:6] + b"\xff\xfe\x80" + broken[6:])  # row 3
    path = tmp_path / "bad_bytes.csv"
    path.write_bytes(b"\n" * blank_lines_above + b"".join(records))
    assert _counts(import_file(store, path)) == (5, 4, 0, 0, 1)
    assert _quarantine(store) == [(None, 3, "(row)", f"undecodable bytes in line {line}" + UNDECODABLE_HINT)]
    stored = {r[0]: r[1] for r in _stored(store)}
    assert sorted(stored) == sorted(r[number] for r in rows[1:] if r is not rows[2])
    assert all(stored[r[number]] == r[title] for r in rows[1:] if r is not rows[2])


def test_a_broken_code_unit_in_a_utf16_file_quarantines_its_row(
        store: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    rows = _real_rows(VR, 4)
    data = _csv_text(rows).encode("utf-16")  # with its BOM, little-endian
    title = rows[2][2].encode("utf-16-le")  # VR's 标题 is column 3
    data = data.replace(title, title[:4] + b"\x00\xd8" + title[4:])  # a high surrogate with no low one
    path = tmp_path / "broken_utf16.csv"
    path.write_bytes(data)
    assert _counts(import_file(store, path)) == (4, 3, 0, 0, 1)
    assert _quarantine(store) == [(None, 3, "(row)", "undecodable bytes in line 3" + UNDECODABLE_HINT)]


def test_old_mac_line_ends_import_like_the_original(tmp_path: Path) -> None:
    rows = _real_rows(THUNDERSOFT, 20)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r", quoting=csv.QUOTE_ALL).writerows(rows)  # Excel for Mac's "CSV"
    (tmp_path / "mac.csv").write_text(buffer.getvalue(), encoding="utf-8")
    _write(tmp_path / "unix.csv", rows)
    conn = open_store(tmp_path / "mac.duckdb")
    assert _counts(import_file(conn, tmp_path / "mac.csv")) == (20, 20, 0, 0, 0)
    original = open_store(tmp_path / "unix.duckdb")
    import_file(original, tmp_path / "unix.csv")
    assert _stored(conn) == _stored(original)
    conn.close()
    original.close()


def test_an_empty_file_is_an_error_naming_it(store: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(EmptyFileError) as caught:
        import_file(store, path)
    assert str(path) in str(caught.value)
    assert "empty" in caught.value.reason
    assert store.execute("SELECT count(*) FROM import_batches").fetchall() == [(0,)]


def test_a_header_only_file_reads_nothing(store: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    report = import_file(store, _write(tmp_path / "header_only.csv", _real_rows(THUNDERSOFT, 0)))
    assert report.format == "patentics"
    assert _counts(report) == (0, 0, 0, 0, 0)
    assert store.execute("SELECT count(*) FROM patents").fetchall() == [(0,)]


def test_workbook_with_two_sheets_and_an_empty_one(store: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    header, *rows = _real_rows(THUNDERSOFT, 6)
    book = openpyxl.Workbook()
    first = book.active
    first.title = "第一批"
    first.append(header)
    for row in rows[:3]:
        first.append(row)
    first.append(["  ", None, " \t"])  # a row of only spaces is no row (as in a CSV file)
    second = book.create_sheet("第二批")
    second.append(header)
    excel_dated: list[Any] = list(rows[3])
    excel_dated[TS_FILED] = dt.datetime(2022, 7, 15)  # a real Excel date, not text
    second.append(excel_dated)
    bad_digit = list(rows[4])
    bad_digit[TS_NUMBER] = bad_digit[TS_NUMBER][:-1] + "0"  # CN202210827097.8 → .0
    second.append(bad_digit)
    artefact = list(rows[5])
    artefact[TS_TITLE] = artefact[TS_TITLE].replace("，", "，_x000D_", 1)  # Excel's escaped carriage return
    second.append(artefact)
    book.create_sheet("空表")
    path = tmp_path / "two_sheets.xlsx"
    book.save(path)

    report = import_file(store, path)
    assert report.format == "patentics"
    assert _counts(report) == (6, 5, 0, 0, 1)
    assert _quarantine(store) == [
        ("第二批", 3, "申请号", "check digit of 'CN202210827097.0' is 0, the number's digits give 8")]
    stored = {r[0]: r for r in _stored(store)}
    assert sorted(stored) == sorted(r[TS_NUMBER] for r in rows if r is not rows[4])
    assert stored[rows[3][TS_NUMBER]][2] == dt.date(2022, 7, 15)
    assert stored[rows[0][TS_NUMBER]][2] == dt.date(2022, 7, 15)  # the text date '2022/07/15' of sheet 1
    title = stored[rows[5][TS_NUMBER]][1]
    assert "_x000D_" not in title
    assert title == rows[5][TS_TITLE].replace("，", "， ", 1)


def test_unknown_headers_need_a_mapping(tmp_path: Path) -> None:
    header, *rows = _real_rows(THUNDERSOFT, 3)
    picked = [header.index(h) for h in ("申请号", "标题", "申请日", "申请人")]
    nonsense = [["编号", "名字", "日子", "单位"]] + [[row[i] for i in picked] for row in rows]
    path = _write(tmp_path / "nonsense.csv", nonsense)
    conn = open_store(tmp_path / "store.duckdb")
    with pytest.raises(UnknownFormatError) as caught:
        import_file(conn, path)
    message = str(caught.value)
    assert message.startswith(f"{path}: no column holds the application number")
    assert "headers are: 编号, 名字, 日子, 单位" in message
    assert "--mapping" in message

    mapping = {"编号": "application_number", "名字": "title_zh", "日子": "filing_date", "单位": "applicants"}
    report = import_file(conn, path, mapping=mapping)
    assert report.format == "generic"
    assert _counts(report) == (3, 3, 0, 0, 0)
    assert conn.execute("SELECT application_number, title_zh, filing_date, applicant_names FROM patents "
                        "ORDER BY application_number").fetchall() == [
        ("CN202210344028.1", "一种基于WiFi-Aware的急救系统、方法和应用", dt.date(2022, 3, 31),
         ["西安中科创达软件有限公司"]),
        ("CN202210836006.7", "一种主题推荐方法、装置、设备和系统", dt.date(2022, 7, 15), ["西安中科创达软件有限公司"]),
        ("CN202210854000.2", "按键事件的分发方法、自由定义按键事件的方法及装置", dt.date(2022, 7, 13),
         ["南京中科创达软件科技有限公司"]),
    ]
    conn.close()


def test_the_same_patent_twice_in_one_file(store: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    header, row = _real_rows(TOYOTA, 1)
    report = import_file(store, _write(tmp_path / "twice.csv", [header, row, row]))
    assert report.format == "incopat"
    assert _counts(report) == (2, 1, 0, 1, 0)
    assert store.execute("SELECT application_number, title_zh FROM patents").fetchall() == [
        ("CN202010302257.8", "电池电阻测量装置")]


def test_a_wrong_check_digit_is_quarantined(store: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    header, *rows = _real_rows(TOYOTA, 3)
    assert rows[1][TOYOTA_NUMBER] == "CN202211104522.7"
    rows[1][TOYOTA_NUMBER] = "CN202211104522.4"
    report = import_file(store, _write(tmp_path / "check_digit.csv", [header, *rows]))
    assert _counts(report) == (3, 2, 0, 0, 1)
    assert _quarantine(store) == [
        (None, 3, "申请号", "check digit of 'CN202211104522.4' is 4, the number's digits give 7")]


def test_an_impossible_date_is_quarantined(store: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    header, *rows = _real_rows(THUNDERSOFT, 3)
    rows[2][TS_FILED] = "2021/02/30"
    report = import_file(store, _write(tmp_path / "bad_date.csv", [header, *rows]))
    assert _counts(report) == (3, 2, 0, 0, 1)
    assert _quarantine(store) == [(None, 4, "申请日", "'2021/02/30' is not a real date")]


def test_a_truncated_uspto_bulk_file(store: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    document = USPTO_2014.read_bytes()
    second = document.replace(b"<doc-number>08930553</doc-number>", b"<doc-number>08930554</doc-number>").replace(
        b"<doc-number>13648029</doc-number>", b"<doc-number>13648030</doc-number>")
    path = tmp_path / "ipg_truncated.xml"
    path.write_bytes(document + second[: len(second) // 2])
    report = import_file(store, path)
    assert report.format == "uspto_xml"
    assert _counts(report) == (2, 1, 0, 0, 1)
    assert store.execute("SELECT application_number, publication_number FROM patents").fetchall() == [
        ("US13648029", "US08930553B2")]
    ((row, field, reason, raw),) = store.execute("SELECT row_number, field, reason, raw FROM quarantine").fetchall()
    assert (row, field) == (2, "xml")
    assert "no element found" in reason
    assert "document starting at line 505" in reason
    assert '"doc_number": "08930554"' in raw


def test_a_notes_sheet_before_the_data_is_accounted_for(tmp_path: Path) -> None:
    """A workbook that opens with a notes sheet: the data sheet is still found and imported, and
    the notes' rows are quarantined (read, not lost) with the reason."""
    from openpyxl import Workbook

    with THUNDERSOFT.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = [next(reader) for _ in range(3)]
    book = Workbook()
    notes = book.active
    notes.title = "说明"
    notes.append(["导出说明", "Patentics 导出"])
    notes.append(["检索式", "中科创达"])
    data = book.create_sheet("数据")
    data.append(header)
    for row in rows:
        data.append(row)
    target = tmp_path / "with_notes.xlsx"
    book.save(target)
    conn = open_store(tmp_path / "store.duckdb")
    report = import_file(conn, target)
    assert (report.format, report.read, report.loaded, report.quarantined) == ("patentics", 4, 3, 1)
    assert conn.execute("SELECT sheet, row_number, field FROM quarantine").fetchall() == [("说明", 2, "(row)")]
