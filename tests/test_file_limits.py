"""Files that attack the importer (issue 10 §8 and its Low items): zip bombs are refused before
they are read, an oversized cell quarantines its row (cut short), a CSV line without end refuses
the file, a damaged sheet is one line of error, and rows with a repeated number are all read.
Imported through the front door (the CLI); the bombs are generated here, a few KB each."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import duckdb
import openpyxl
import pytest
from click.testing import CliRunner, Result

from patentatlas.cli import main
from tests.conftest import THUNDERSOFT

TS_NUMBER, TS_TITLE = 1, 7  # ThunderSoft (Patentics): 申请号 column 2, 标题 column 8


def _import(db: Path, path: Path) -> Result:
    return CliRunner().invoke(main, ["--db", str(db), "import", "--json", str(path)])


def _rows(count: int) -> list[list[str]]:
    with THUNDERSOFT.open(encoding="utf-8", newline="") as fh:
        return [row for _, row in zip(range(count + 1), csv.reader(fh), strict=False)]


def _workbook(path: Path, rows: list[list[str]]) -> Path:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def _rewrite_sheet(source: Path, target: Path, change: object) -> Path:
    """A copy of the workbook with its first sheet's XML passed through ``change``."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = change(data.decode("utf-8")).encode("utf-8")  # type: ignore[operator]
            out.writestr(info.filename, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return target


def _one_line_error(result: Result, path: Path) -> str:
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith(f"error: {path}: ")
    return line.removeprefix(f"error: {path}: ")


def test_a_cell_bomb_is_refused_before_it_is_read(tmp_path: Path) -> None:
    rows = _rows(2)
    plain = _workbook(tmp_path / "plain.xlsx", rows)
    # one title of 40 million characters: 40 MB of XML that deflates to ~40 KB (a 1,000-fold bomb)
    bomb = _rewrite_sheet(plain, tmp_path / "bomb.xlsx",
                          lambda xml: xml.replace(rows[1][TS_TITLE], "A" * 40_000_000, 1))
    assert bomb.stat().st_size < 100_000
    reason = _one_line_error(_import(tmp_path / "store.duckdb", bomb), bomb)
    assert reason.startswith("its part xl/worksheets/sheet1.xml unpacks ")
    assert reason.endswith(" times larger, over the limit of 100 (setting xlsx_max_ratio; a zip bomb?): refused "
                           "before reading it")


def test_a_workbook_too_big_unpacked_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = _workbook(tmp_path / "all.xlsx", _rows(511))  # about 3 MB of XML
    monkeypatch.setenv("PATENTATLAS_XLSX_MAX_MB", "1")
    reason = _one_line_error(_import(tmp_path / "store.duckdb", big), big)
    assert reason == "unpacks to 3 MB, over the limit of 1 MB (setting xlsx_max_mb): refused before reading it"


def test_an_oversized_cell_quarantines_its_row_cut_short(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = _rows(3)
    rows[2][TS_TITLE] = "长" * 5000
    monkeypatch.setenv("PATENTATLAS_MAX_CELL_KB", "4")
    path = _workbook(tmp_path / "big_cell.xlsx", rows)
    db = tmp_path / "store.duckdb"
    result = _import(db, path)
    assert result.exit_code == 0, result.output
    assert (json.loads(result.stdout)["read"], json.loads(result.stdout)["quarantined"]) == (3, 1)
    conn = duckdb.connect(str(db), read_only=True)
    ((row, reason, raw),) = conn.execute("SELECT row_number, reason, raw FROM quarantine").fetchall()
    conn.close()
    assert (row, reason) == (3, "the cell in column 8 holds 5,000 characters, over the limit of 4 KB "
                                "(setting max_cell_kb)")
    assert json.loads(raw)["标题"] == "长" * 200 + "…"


def test_an_oversized_csv_cell_quarantines_its_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = _rows(3)
    rows[2][TS_TITLE] = "长" * 5000
    path = tmp_path / "big_cell.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows(rows)
    monkeypatch.setenv("PATENTATLAS_MAX_CELL_KB", "4")
    db = tmp_path / "store.duckdb"
    result = _import(db, path)
    assert result.exit_code == 0, result.output
    assert (json.loads(result.stdout)["read"], json.loads(result.stdout)["quarantined"]) == (3, 1)
    conn = duckdb.connect(str(db), read_only=True)
    reasons = conn.execute("SELECT reason FROM quarantine").fetchall()
    conn.close()
    assert reasons == [("the cell in column 8 holds 5,000 characters, over the limit of 4 KB (setting max_cell_kb)",)]


def test_a_csv_line_without_end_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "endless.csv"
    path.write_bytes(b"\xe7\x94\xb3\xe8\xaf\xb7\xe5\x8f\xb7,\xe6\xa0\x87\xe9\xa2\x98\n" + b"x," * 1_500_000)
    monkeypatch.setenv("PATENTATLAS_MAX_CELL_KB", "1")
    reason = _one_line_error(_import(tmp_path / "store.duckdb", path), path)
    assert reason == ("a row is longer than 65,536 characters (64 cells of the setting max_cell_kb), which no "
                      "table export writes: refused")


def test_rows_with_a_repeated_number_are_all_read(tmp_path: Path) -> None:
    rows = _rows(4)
    plain = _workbook(tmp_path / "plain.xlsx", rows)
    # Excel never writes it, other tools do: the fourth row numbered 3 again
    repeated = _rewrite_sheet(plain, tmp_path / "repeated.xlsx",
                              lambda xml: xml.replace('<row r="4">', '<row r="3">').replace('r="A4"', 'r="A3"'))
    result = _import(tmp_path / "store.duckdb", repeated)
    assert result.exit_code == 0, result.output
    counts = json.loads(result.stdout)
    assert (counts["read"], counts["loaded"] + counts["quarantined"]) == (4, 4)


def test_a_truncated_sheet_is_one_line_of_error(tmp_path: Path) -> None:
    plain = _workbook(tmp_path / "plain.xlsx", _rows(20))
    cut = _rewrite_sheet(plain, tmp_path / "cut.xlsx", lambda xml: xml[: len(xml) // 2])
    reason = _one_line_error(_import(tmp_path / "store.duckdb", cut), cut)
    assert reason.startswith("sheet 'Sheet' is damaged after row ")


def test_a_broken_zip_is_one_line_of_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04" + bytes(200))
    reason = _one_line_error(_import(tmp_path / "store.duckdb", path), path)
    assert reason == "is not a readable XLSX workbook (File is not a zip file)"


def test_the_sample_workbooks_pass_the_limits() -> None:
    from patentatlas.importers.tabular import check_workbook
    from tests.conftest import DATA

    for path in sorted(DATA.glob("**/*.xlsx")):
        check_workbook(path)
    assert io  # the real workbooks (5–8 fold compression) are far from the bomb limits


def test_a_quoted_cell_over_many_lines_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = _rows(2)
    rows[1][TS_TITLE] = "短行\n" * 100_000  # every line short, the cell 300,000 characters
    path = tmp_path / "tall_cell.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows(rows)
    monkeypatch.setenv("PATENTATLAS_MAX_CELL_KB", "1")
    reason = _one_line_error(_import(tmp_path / "store.duckdb", path), path)
    assert reason.startswith("a row is longer than 65,536 characters")
