"""A plain UTF-8 CSV is read column by column at C speed (Arrow's CSV reader); from the first batch
that is not plain (a row of the wrong width, a NUL, an oversized cell) the careful row-by-row
reader takes over where the fast one stopped. Either way a file gives the same states, the same
quarantine and the same row numbers: each case is checked against the same rows saved as GB18030,
which only the careful reader reads."""

from __future__ import annotations

import csv
from io import StringIO
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from patentatlas.importers import open_source
from patentatlas.importers.tabular import iter_tables
from tests.conftest import THUNDERSOFT

VR = THUNDERSOFT.parent / "patentics_cn_title_VR_7805.csv"


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def _write(path: Path, rows: list[list[str]], encoding: str) -> Path:
    with path.open("w", encoding=encoding, newline="") as out:
        csv.writer(out).writerows(rows)
    return path


def _read(path: Path) -> tuple[pa.Table, list[int], list[Any]]:
    """The file's states, the row numbers they came from, its rejections (row, field, reason) and
    their cells as read."""
    chunks = list(open_source(path, chunk_rows=1000).chunks)
    states = pa.concat_tables([c.states for c in chunks])
    rows = [n for c in chunks for n in c.rows]
    rejected: list[Any] = [(r.row, r.outcome.field, r.outcome.reason)  # type: ignore[union-attr]
                           for c in chunks for r in c.rejections]
    raw = [r.raw for c in chunks for r in c.rejections]  # the cells as read, kept in quarantine
    return states, rows, rejected + raw


def _same_either_way(tmp_path: Path, rows: list[list[str]]) -> tuple[pa.Table, list[int], list[Any]]:
    fast = _read(_write(tmp_path / "utf8.csv", rows, "utf-8"))
    careful = _read(_write(tmp_path / "gb18030.csv", rows, "gb18030"))
    assert fast[1] == careful[1] and fast[2] == careful[2]
    assert fast[0].equals(careful[0])
    return fast


def test_a_sample_export_reads_the_same_as_columns_and_as_rows(tmp_path: Path) -> None:
    states, rows, rejected = _same_either_way(tmp_path, _rows(VR))
    readers = [next(iter_tables(tmp_path / name)).column_rows is not None for name in ("utf8.csv", "gb18030.csv")]
    assert readers == [True, False]  # the first is read as columns, the second row by row
    assert (states.num_rows, len(rejected), rows[:3], rows[-1]) == (7805, 0, [2, 3, 4], 7806)


def test_a_short_row_after_the_first_batches_is_quarantined_with_its_number(tmp_path: Path) -> None:
    rows = _rows(VR)
    rows[2500] = rows[2500][:5]  # spreadsheet row 2501
    states, numbers, rejected = _same_either_way(tmp_path, rows)
    kept = dict(zip(rows[0], rows[2500], strict=False))  # the five cells it has, by header
    assert rejected == [(2501, "(row)", "row has 5 cells but the header has 24"), kept]
    assert (states.num_rows, 2501 in numbers, numbers[-1]) == (7804, False, 7806)


def test_blank_rows_are_no_rows_and_a_nul_hands_over_to_the_careful_reader(tmp_path: Path) -> None:
    rows = _rows(VR)
    rows.insert(1200, [""] * len(rows[0]))  # a row of delimiters only: not a row
    rows[4000][2] = rows[4000][2] + "\x00"  # a NUL in a title (removed, as the careful reader does)
    states, numbers, rejected = _same_either_way(tmp_path, rows)
    assert (states.num_rows, len(rejected), numbers[-1]) == (7805, 0, 7806)


def test_an_oversized_cell_late_in_the_file_quarantines_its_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATENTATLAS_MAX_CELL_KB", "2")  # the file's longest cell: 1,473 characters
    rows = _rows(VR)
    rows[6000][2] = "长" * 3000  # spreadsheet row 6001
    states, numbers, rejected = _same_either_way(tmp_path, rows)
    assert rejected[0] == (6001, "(row)", "the cell in column 3 holds 3,000 characters, over the limit of 2 KB "
                                          "(setting max_cell_kb)")
    assert states.num_rows == 7804


def test_spaces_around_cells_and_spreadsheet_artefacts_are_cleaned_the_same_way(tmp_path: Path) -> None:
    rows = _rows(VR)
    rows[3000][2] = "  一种显示装置_x000D_ "  # title: an Excel line end kept as text, spaces around
    rows[3001][11] = "\u3000北京理工大学 "  # applicants: an ideographic space before
    rows[3002][3] = "2014-02-30"  # a date that does not exist: quarantined, its cells kept as read
    states, numbers, rejected = _same_either_way(tmp_path, rows)
    titles = states.column("title_zh").to_pylist()
    assert titles[numbers.index(3001)] == "一种显示装置"
    assert states.column("applicant_names").to_pylist()[numbers.index(3002)] == ["北京理工大学"]
    assert rejected[0][0] == 3003 and rejected[1]["标题"] == rows[3002][2]


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
def test_a_gbk_row_of_another_width_in_a_utf8_file_is_quarantined_quietly(tmp_path: Path) -> None:
    """A row saved as GBK inside a UTF-8 file, and short: the careful reader takes over from its
    batch and quarantines it (row 5001); nothing is printed about it on the way (Arrow's handler of
    bad rows once printed "Exception ignored" when it could not decode such a row)."""
    rows = _rows(VR)
    data = b"".join(_csv_bytes(part, encoding) for part, encoding in (
        (rows[:5000], "utf-8"), ([rows[5000][:21]], "gb18030"), (rows[5001:], "utf-8")))
    path = tmp_path / "mixed.csv"
    path.write_bytes(data)
    chunks = list(open_source(path).chunks)
    assert sum(c.states.num_rows for c in chunks) == 7804
    assert [(r.row, r.outcome.field, r.outcome.reason) for c in chunks for r in c.rejections] == [
        (5001, "(row)", "row has 21 cells but the header has 24")]


def _csv_bytes(rows: list[list[str]], encoding: str) -> bytes:
    with StringIO() as out:
        csv.writer(out).writerows(rows)
        return out.getvalue().encode(encoding)
