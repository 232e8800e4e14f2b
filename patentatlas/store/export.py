"""Exporting the store: Parquet partitioned by filing year (the shape a distributed engine
reads), or one flat CSV / XLSX of patents for people."""

from __future__ import annotations

import codecs
import shutil
from pathlib import Path

import duckdb

from patentatlas.errors import UsageError
from patentatlas.store import scalar

EXCEL_MAX_ROWS = 1_048_575
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
_TABLES = ("parties", "patent_parties", "status_changes", "import_batches", "quarantine", "regions", "ipc")


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


def _csv(conn: duckdb.DuckDBPyConnection, output: Path) -> Path:
    """UTF-8 with a byte-order mark: Excel on Chinese Windows reads it as UTF-8, not GBK."""
    body = output.with_name(output.name + ".part")
    conn.execute(f"COPY ({_FLAT}) TO '{_sql_path(body)}' (HEADER, DELIMITER ',')")
    with output.open("wb") as out, body.open("rb") as src:
        out.write(codecs.BOM_UTF8)
        shutil.copyfileobj(src, out, 1 << 20)
    body.unlink()
    return output


def _parquet(conn: duckdb.DuckDBPyConnection, output: Path) -> list[Path]:
    output.mkdir(parents=True, exist_ok=True)
    patents = output / "patents"
    conn.execute(
        "COPY (SELECT *, coalesce(year(filing_date), 0) AS filing_year FROM patents) "
        f"TO '{_sql_path(patents)}' (FORMAT parquet, PARTITION_BY (filing_year), OVERWRITE_OR_IGNORE)"
    )
    written = [patents]
    for table in _TABLES:
        target = output / f"{table}.parquet"
        conn.execute(f"COPY {table} TO '{_sql_path(target)}' (FORMAT parquet)")
        written.append(target)
    return written


def _xlsx(conn: duckdb.DuckDBPyConnection, output: Path) -> Path:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    count = scalar(conn, "SELECT count(*) FROM patents")
    if count > EXCEL_MAX_ROWS:
        raise UsageError(f"{count} patents do not fit one Excel sheet; export parquet or csv instead")
    book = Workbook(write_only=True)
    sheet = book.create_sheet("patents")
    cursor = conn.execute(_FLAT)
    sheet.append([d[0] for d in cursor.description])
    while batch := cursor.fetchmany(5000):
        for row in batch:
            sheet.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in row])
    book.save(output)
    return output
