"""Property-based tests of the CSV import: real rows, mangled at random, never crash the import and
are always accounted for.

Each example builds a CSV from real rows of the sample exports (cells truncated, duplicated,
deleted, stretched, quote characters and NUL bytes put in, columns shuffled, random line ends,
quoting and encodings, random bytes inserted into the encoded file), imports it into a fresh
store, and checks:

- nothing escapes but an :class:`InputFileError` (a whole file we cannot read), and only for a
  file whose header the random bytes damaged: it names the file and leaves the store as it was;
- ``read = loaded + updated + unchanged + quarantined``, and the store holds exactly that;
- ``read`` is the number of non-blank records the ``csv`` module itself reads from the file,
  header aside;
- quarantined rows carry spreadsheet row numbers (2 … read + 1), each at most once.
"""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patentatlas.errors import InputFileError
from patentatlas.imports import import_file
from patentatlas.store import open_store
from patentatlas.store.loader import ImportReport
from tests.conftest import LENS, THUNDERSOFT, TOYOTA, VR

ROWS_PER_SOURCE = 12
ENCODINGS = ("utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16")
BOMS = {"utf-8-sig": 3, "utf-16": 2}
QUOTES = ('"', "'", "“", "”", '""', '"\n"', "「")
JUNK = (b"\x00", b'"', b"\r", b"\n", b"\xff\xfe\x80", b"\x81", b",", "申请号".encode("gbk"))
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _real_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [row for _, row in zip(range(ROWS_PER_SOURCE + 1), csv.reader(fh), strict=False)]


SOURCES = [_real_rows(path) for path in (THUNDERSOFT, TOYOTA, VR, LENS)]


def _mangle_cell(draw: st.DrawFn, row: list[str]) -> None:
    """One random change to one row, in place."""
    if not row:
        row.append(draw(st.text(max_size=5)))
        return
    i = draw(st.integers(0, len(row) - 1))
    kind = draw(st.sampled_from(["truncate", "duplicate", "delete", "insert", "quote", "nul", "long", "blank"]))
    if kind == "truncate":
        row[i] = row[i][: draw(st.integers(0, max(len(row[i]) - 1, 0)))]
    elif kind == "duplicate":
        row.insert(i, row[i])
    elif kind == "delete":
        del row[i]
    elif kind == "insert":
        at = draw(st.integers(0, len(row[i])))
        row[i] = row[i][:at] + draw(st.text(max_size=12)) + row[i][at:]
    elif kind == "quote":
        at = draw(st.integers(0, len(row[i])))
        row[i] = row[i][:at] + draw(st.sampled_from(QUOTES)) + row[i][at:]
    elif kind == "nul":
        row[i] = row[i] + "\x00" * draw(st.integers(1, 3))
    elif kind == "long":
        row[i] = (row[i] or "长") * (draw(st.integers(1_000, 1_300_000)) // max(len(row[i]), 1))
    else:
        row[i] = draw(st.sampled_from(["", " ", "\t", "\n"]))


@st.composite
def mangled_csv(draw: st.DrawFn) -> tuple[bytes, str]:
    """A CSV file's bytes built from mangled real rows, and the encoding its text was written in."""
    header, *body = draw(st.sampled_from(SOURCES))
    rows = [list(r) for r in draw(st.lists(st.sampled_from(body), max_size=6))]
    if draw(st.booleans()):  # the columns in another order (header and rows alike)
        order = draw(st.permutations(range(len(header))))
        header = [header[j] for j in order]
        rows = [[r[j] for j in order] for r in rows]
    for row in rows:
        for _ in range(draw(st.integers(0, 3))):
            _mangle_cell(draw, row)
    if draw(st.booleans()) and rows:
        rows.insert(draw(st.integers(0, len(rows))), [])  # a blank line
    buffer = io.StringIO()
    quote_all = draw(st.booleans())
    writer = csv.writer(buffer, lineterminator=draw(st.sampled_from(["\n", "\r\n", "\r"])),
                        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    writer.writerows([header, *rows])
    encoding = draw(st.sampled_from(ENCODINGS))
    data = buffer.getvalue().encode(encoding, errors="replace")
    step = 2 if encoding == "utf-16" else 1  # keep UTF-16 code units aligned
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(BOMS.get(encoding, 0) // step, len(data) // step)) * step
        junk = draw(st.binary(min_size=step, max_size=8) | st.sampled_from(JUNK))
        junk = junk[: len(junk) // step * step] or b"\x00" * step
        data = data[:at] + junk + data[at:]
    return data, encoding


def csv_module_records(data: bytes, encoding: str) -> int:
    """Non-blank records after the header, as the csv module reads the file's text (NULs dropped,
    as the importer drops them; undecodable bytes replaced, which never moves a record's bounds)."""
    text = data.decode(encoding, errors="replace").replace("\x00", "")
    records = [r for r in csv.reader(io.StringIO(text, newline="")) if any(c.strip() for c in r)]
    return max(len(records) - 1, 0)


def header_intact(data: bytes, encoding: str) -> bool:
    """Whether the file's first record, read by the csv module in the encoding it was written in,
    is one of the real headers (in any column order)."""
    text = data.decode(encoding, errors="replace").replace("\x00", "")
    first = next(csv.reader(io.StringIO(text, newline="")), [])
    return sorted(first) in [sorted(header) for header, *_ in SOURCES]


def _import(data: bytes) -> tuple[ImportReport | str, list[tuple[int, int]], int]:
    """Import the bytes as a CSV into a fresh store: the report (or, when the file as a whole was
    refused, the message with the file's path as FILE), the quarantined row numbers with their
    counts, and the number of patents stored."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "mangled.csv"
        path.write_bytes(data)
        conn = open_store(Path(folder) / "store.duckdb")
        try:
            try:
                outcome: ImportReport | str = import_file(conn, path)
            except InputFileError as exc:
                outcome = str(exc).replace(str(path), "FILE")
                # refused before anything was written: no batch, no quarantined row, no patent
                assert conn.execute("SELECT count(*) FROM import_batches").fetchall() == [(0,)]
            return outcome, _quarantined_rows(conn), conn.execute("SELECT count(*) FROM patents").fetchall()[0][0]
        finally:
            conn.close()


def _quarantined_rows(conn: duckdb.DuckDBPyConnection) -> list[tuple[int, int]]:
    return conn.execute("SELECT row_number, count(*) FROM quarantine GROUP BY 1 ORDER BY 1").fetchall()


@SETTINGS
@given(mangled_csv())
def test_mangled_real_rows_are_all_accounted_for(case: tuple[bytes, str]) -> None:
    data, encoding = case
    report, quarantined, patents = _import(data)
    if isinstance(report, str):  # refused as a whole: only a damaged header, named with the file
        assert not header_intact(data, encoding)
        assert report.startswith("FILE: no column holds the application number; headers are: ")
        assert (quarantined, patents) == ([], 0)
        return
    assert report.read == report.loaded + report.updated + report.unchanged + report.quarantined
    assert report.read == csv_module_records(data, encoding)
    assert patents == report.loaded
    assert sum(n for _, n in quarantined) == report.quarantined
    assert all(n == 1 and 2 <= row <= report.read + 1 for row, n in quarantined)


@st.composite
def reencoded_csv(draw: st.DrawFn) -> tuple[list[list[str]], bytes]:
    """Real rows written in another encoding, line end, quoting and column order, unmangled."""
    header, *body = draw(st.sampled_from(SOURCES))
    rows = [list(r) for r in draw(st.lists(st.sampled_from(body), min_size=1, max_size=6))]
    order = draw(st.permutations(range(len(header))))
    buffer = io.StringIO()
    end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    # the csv module quotes a cell only for the characters of its own line end: with "\r" it would
    # leave the "\n" of a multi-line cell bare, and the file would say something else
    quote_all = end == "\r" or draw(st.booleans())
    writer = csv.writer(buffer, lineterminator=end, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    writer.writerows([[r[j] for j in order] for r in [header, *rows]])
    return [header, *rows], buffer.getvalue().encode(draw(st.sampled_from(ENCODINGS)))


def _patents(data: bytes) -> tuple[tuple[int, ...], list[tuple[object, ...]]]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rows.csv"
        path.write_bytes(data)
        conn = open_store(Path(folder) / "store.duckdb")
        try:
            report = import_file(conn, path)
            stored = conn.execute("SELECT * EXCLUDE (first_batch_id, last_batch_id) FROM patents "
                                  "ORDER BY application_number").fetchall()
        finally:
            conn.close()
    counts = (report.read, report.loaded, report.updated, report.unchanged, report.quarantined)
    return counts, stored


@SETTINGS
@given(reencoded_csv())
def test_encoding_line_ends_quoting_and_column_order_change_nothing(case: tuple[list[list[str]], bytes]) -> None:
    rows, data = case
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    assert _patents(data) == _patents(buffer.getvalue().encode("utf-8"))
