"""Exporting the store: Parquet partitioned by filing year, citations by office (the shape a
distributed engine reads), or one flat CSV / XLSX of patents for people; and the one table writer
behind every CSV and XLSX the platform hands out (``patentatlas export`` and every download of the
web pages).

A Parquet export carries the reference tables the indicators need (regions, IPC, strategic
emerging industries, placements, population) and a ``manifest.json``: the schema version, the
rule sets in force and the data's fingerprint, so that a job on another engine
(``patentatlas spark``) counts with the same rules and refuses a folder from another version.

A spreadsheet runs text that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return as
a formula (``=HYPERLINK(…)`` sends the reader's data away): such text is written with a leading
``'``, as OWASP advises, so that it shows as text and never runs. Numbers stay numbers (``-5`` is
a number, not text); integers longer than a spreadsheet's 15 significant digits (an 18-digit
identifier held as a number) are written as their exact digits, as text.

>>> table_cell('=HYPERLINK("http://x","y")'), table_cell(-5), table_cell(913301001234567890)
('\\'=HYPERLINK("http://x","y")', -5, '913301001234567890')
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

import duckdb

from patentatlas.errors import UsageError
from patentatlas.store import scalar, settings

EXCEL_MAX_ROWS = 1_048_575
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
EXACT_DIGITS = 15  # a spreadsheet keeps 15 significant digits of a number: longer integers go as text
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
_FLAT = """
SELECT application_number, country, patent_type, filing_date, publication_number,
       publication_date, grant_date, priority_date, title_zh, title_en, ipc_main,
       array_to_string(ipc_codes, '; ') AS ipc_codes, array_to_string(cpc_codes, '; ') AS cpc_codes,
       claim_count, family_size, has_overseas_family, backward_citation_count,
       forward_citation_count, status, status_text,
       array_to_string(applicant_names, '; ') AS applicants,
       array_to_string(inventor_names, '; ') AS inventors,
       first_applicant_region_code, first_applicant_country, abstract_zh, abstract_en
FROM patents ORDER BY application_number
"""
_TABLES = ("parties", "patent_parties", "status_changes", "import_batches", "quarantine", "regions", "ipc",
           "placements", "sei_industries", "population")
MANIFEST = "manifest.json"
PARQUET_FORMAT = "patentatlas-parquet"
MANIFEST_RULE_SETS = ("indicators", "high_value", "annual_fees")  # the rule sets the indicators count by (the term)
_BATCH = 5000


# --------------------------------------------------------------------------- the table writer


def table_cell(value: Any) -> Any:
    """``value`` as a spreadsheet cell: text that would run as a formula gets a leading ``'``;
    numbers stay numbers, except integers too long to keep every digit, which become text.

    >>> table_cell("+86 571 1234"), table_cell("@SUM(A1)"), table_cell("\\t=1"), table_cell(2.5)
    ("'+86 571 1234", "'@SUM(A1)", "'\\t=1", 2.5)
    """
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return str(value) if len(str(abs(value))) > EXACT_DIGITS else value
    if isinstance(value, float | dt.date | dt.datetime | dt.time):
        return value
    if isinstance(value, list | tuple):
        value = "; ".join("" if v is None else str(v) for v in value)
    elif isinstance(value, dict):
        value = json.dumps(value, ensure_ascii=False, default=str)
    text = value if isinstance(value, str) else str(value)  # Decimal, UUID…: their text
    return "'" + text if text.startswith(FORMULA_START) else text


def _csv_text(value: Any) -> str:
    cell = table_cell(value)
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    return cell.isoformat() if isinstance(cell, dt.date | dt.datetime | dt.time) else str(cell)


def write_csv(out: IO[str], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """The table as CSV (CRLF lines, as Excel writes them) into ``out``."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_csv_text(c) for c in columns])
    for row in rows:
        writer.writerow([_csv_text(v) for v in row])


def write_xlsx(target: Path | IO[bytes], sheet_name: str, columns: Sequence[str],
               rows: Iterable[Sequence[Any]], title_block: Sequence[str] = (),
               widths: Sequence[float] | None = None) -> None:
    """The table as one sheet of an XLSX workbook written to ``target`` (streamed: write-only mode);
    ``title_block`` lines (the first in bold) go above the header row, then a blank row; ``widths``
    are the columns' widths in characters."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    def cell(value: Any) -> Any:
        value = table_cell(ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value)
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            value = value.replace(tzinfo=None)  # XLSX has no time zones
        return value

    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_title(sheet_name))
    for i, width in enumerate(widths or (), start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    for i, line in enumerate(title_block):
        styled = WriteOnlyCell(sheet, value=cell(line))
        styled.font = Font(bold=True, size=14) if i == 0 else Font(color="555555")
        sheet.append([styled])
    if title_block:
        sheet.append([])
    header = []
    for c in columns:
        styled = WriteOnlyCell(sheet, value=cell(c))
        styled.font = Font(bold=True)
        header.append(styled)
    sheet.append(header)
    for row in rows:
        sheet.append([cell(v) for v in row])
    book.save(target)


def sheet_title(name: str) -> str:
    """A worksheet's name as Excel allows it: at most 31 characters, none of ``[]:*?/\\``.

    >>> sheet_title("宽限期内专利清单: 按企业 [杭州市]")
    '宽限期内专利清单 按企业 杭州市'
    """
    cleaned = " ".join("".join(" " if ch in "[]:*?/\\" else ch for ch in name).split())
    return cleaned[:31] or "Sheet1"


def column_widths(columns: Sequence[str], rows: Sequence[Sequence[Any]], sample: int = 2000) -> list[float]:
    """Widths that fit each column's header and values (a Chinese character counts twice), 8 to 60.

    >>> column_widths(["申请号", "n"], [["CN201410720504.0", 5]])
    [18.0, 8]
    """
    def width(value: Any) -> int:
        text = _csv_text(value)
        return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)

    out: list[float] = []
    for i, column in enumerate(columns):
        longest = max([width(column), *(width(r[i]) for r in rows[:sample] if i < len(r))])
        out.append(max(8, min(60.0, longest + 2.0)))
    return out


def table_bytes(rows: Sequence[dict[str, Any]], fmt: str, *, columns: Sequence[str] | None = None,
                labels: Sequence[str] | None = None, title_block: Sequence[str] = (),
                sheet: str = "data") -> bytes:
    """Rows of dicts as a CSV (UTF-8 with a BOM, so Excel reads the Chinese) or XLSX file's bytes.
    The columns are ``columns`` (so an empty table still has its header row), else every key in the
    order first seen; ``labels`` are the headers shown (default the keys). XLSX only: the sheet's name,
    the ``title_block`` above the table, column widths to fit."""
    keys = list(columns) if columns is not None else list(dict.fromkeys(k for row in rows for k in row))
    header = list(labels) if labels is not None else keys
    values = [[row.get(c) for c in keys] for row in rows]
    if fmt == "csv":
        text = io.StringIO()
        write_csv(text, header, values)
        return codecs.BOM_UTF8 + text.getvalue().encode("utf-8")
    if fmt == "xlsx":
        out = io.BytesIO()
        write_xlsx(out, sheet, header, values, title_block, column_widths(header, values))
        return out.getvalue()
    raise UsageError(f"unknown table format {fmt!r}: use csv or xlsx")


# --------------------------------------------------------------------------- the store


def export_store(conn: duckdb.DuckDBPyConnection, fmt: str, output: Path) -> list[Path]:
    """Write the store out; returns the paths written."""
    if fmt == "parquet":
        return _parquet(conn, output)
    if fmt == "csv":
        return [_csv(conn, output)]
    if fmt == "xlsx":
        return [_xlsx(conn, output)]
    raise UsageError(f"unknown export format {fmt!r}: use parquet, csv or xlsx")


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _batches(cursor: duckdb.DuckDBPyConnection) -> Iterable[Sequence[Any]]:
    while batch := cursor.fetchmany(_BATCH):
        yield from batch


def _csv(conn: duckdb.DuckDBPyConnection, output: Path) -> Path:
    """UTF-8 with a byte-order mark: Excel on Chinese Windows reads it as UTF-8, not GBK."""
    cursor = conn.execute(_FLAT)
    part = output.with_name(output.name + ".part")
    with part.open("w", encoding="utf-8-sig", newline="") as out:
        write_csv(out, [d[0] for d in cursor.description], _batches(cursor))
    part.replace(output)
    return output


def _parquet(conn: duckdb.DuckDBPyConnection, output: Path) -> list[Path]:
    output.mkdir(parents=True, exist_ok=True)
    # JSON as text (other engines read Parquet's JSON type as unknown)
    patents = _partitioned(conn, "SELECT * REPLACE (CAST(extra AS VARCHAR) AS extra) FROM patents",
                           "coalesce(year(filing_date), 0)", output / "patents", "filing_year")
    written = [patents, _parquet_citations(conn, output / "citations")]
    for table in _TABLES:
        target = output / f"{table}.parquet"
        conn.execute(f"COPY {table} TO '{_sql_path(target)}' (FORMAT parquet)")
        written.append(target)
    manifest = output / MANIFEST
    manifest.write_text(json.dumps(parquet_manifest(conn), ensure_ascii=False, indent=1, default=str),
                        encoding="utf-8")
    return [*written, manifest]


def _partitioned(conn: duckdb.DuckDBPyConnection, select: str, key: str, target: Path, name: str) -> Path:
    """``select``'s rows as Hive partitions by ``key``: ``target/{name}=value/data_0.parquet``, one
    partition at a time. DuckDB's own PARTITION_BY keeps a writer per partition open and ran out of
    its 512 MB at 20M patents (it wrote 1M in 128 MB); a partition at a time it writes 20M in
    27 s within the limit. A partition no longer in the store leaves no folder behind."""
    shutil.rmtree(target, ignore_errors=True)
    values = [row[0] for row in conn.execute(f"SELECT DISTINCT {key} FROM ({select}) ORDER BY 1").fetchall()]
    with settings(conn, preserve_insertion_order=False):  # a partition's row order means nothing
        for value in values:
            folder = target / f"{name}={value}"
            folder.mkdir(parents=True)
            conn.execute(f"COPY (SELECT * FROM ({select}) WHERE {key} = ?) "
                         f"TO '{_sql_path(folder / 'data_0.parquet')}' (FORMAT parquet)", [value])
    target.mkdir(parents=True, exist_ok=True)  # an empty table: an empty folder
    return target


# the office whose publication a citation row names (CN, US, WO…; "other" when the number starts otherwise)
CITATION_OFFICE = ("CASE WHEN regexp_matches(publication_number, '^[A-Za-z]{2}') "
                   "THEN upper(left(publication_number, 2)) ELSE 'other' END")


def _parquet_citations(conn: duckdb.DuckDBPyConnection, target: Path) -> Path:
    """``citations`` partitioned by the office of the publication each row names (the number it is
    joined by): a few dozen folders however many rows, and a job on one office's publications reads
    only its folder."""
    return _partitioned(conn, "SELECT * FROM citations", CITATION_OFFICE, target, "office")


def parquet_manifest(conn: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """What a Parquet export holds: its schema version, tables, the rule sets the indicators count
    by (as the store has them now) and the data's fingerprint (patents, last import, status changes)."""
    from patentatlas.analytics.summaries import fingerprint
    from patentatlas.rules import load_rule_set

    patents, last_batch, changes = fingerprint(conn)
    return {
        "format": PARQUET_FORMAT,
        "schema_version": scalar(conn, "SELECT max(version) FROM schema_migrations"),
        "exported_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "patents": patents, "last_batch_id": last_batch, "status_changes": changes,
        "tables": {"patents": "patents/ (partitioned by filing_year)",
                   "citations": "citations/ (partitioned by office: the publication_number's first two letters)",
                   **{t: f"{t}.parquet" for t in _TABLES}},
        "rule_sets": {name: load_rule_set(conn, name) for name in MANIFEST_RULE_SETS},
    }


def _xlsx(conn: duckdb.DuckDBPyConnection, output: Path) -> Path:
    count = scalar(conn, "SELECT count(*) FROM patents")
    if count > EXCEL_MAX_ROWS:
        raise UsageError(f"{count} patents do not fit one Excel sheet; export parquet or csv instead")
    cursor = conn.execute(_FLAT)
    write_xlsx(output, "patents", [d[0] for d in cursor.description], _batches(cursor))
    return output
