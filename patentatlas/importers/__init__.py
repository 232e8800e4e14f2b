"""Importers: from a file to a stream of :class:`RowResult`, the format picked from its headers.

>>> source = open_source(Path("incopat_toyota_autodrive_5048.csv"))  # doctest: +SKIP
>>> source.format
'incopat'
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from patentatlas.errors import FieldError, InputFileError, UnknownFormatError
from patentatlas.importers.fields import header_key, map_headers
from patentatlas.importers.lens import build_lens_record, is_lens_header, lens_columns
from patentatlas.importers.records import Rejection, RowResult
from patentatlas.importers.table_records import RecordBuilder, build_record, row_values
from patentatlas.importers.tabular import Table, iter_tables

FORMATS = ("incopat", "patentics", "lens", "uspto_xml", "generic")
_INCOPAT_SIGNS = {header_key(h) for h in ("链接到incoPat", "标准化申请人", "公开（公告）号")}
_PATENTICS_SIGNS = {
    header_key(h)
    for h in ("标准专利权人", "本文引用专利数", "引用本文专利数", "价值谱", "技术特征", "标准申请人")
}


@dataclass
class Source:
    """An opened file: its detected format and the stream of its rows."""

    path: Path
    format: str
    rows: Iterator[RowResult]


def table_format(headers: list[str]) -> str | None:
    """incopat / patentics / lens / generic from a table's headers, or None if unreadable."""
    if is_lens_header(headers):
        return "lens"
    keys = {header_key(h) for h in headers}
    if "application_number" not in map_headers(headers):
        return None
    if len(keys & _INCOPAT_SIGNS) >= 2:
        return "incopat"
    if keys & _PATENTICS_SIGNS:
        return "patentics"
    return "generic"


def open_source(path: Path, mapping: dict[str, str] | None = None) -> Source:
    """Detect the file's format and open it as a stream of rows (nothing read beyond the head)."""
    if not path.exists():
        raise InputFileError(str(path), "no such file")
    with path.open("rb") as fh:
        head = fh.read(4096)
    if head.lstrip().startswith(b"<?xml") or path.suffix.lower() == ".xml":
        return _xml_source(path, head)
    tables = iter_tables(path)
    first = next(tables, None)
    if first is None:
        raise InputFileError(str(path), "holds no table")
    fmt = _format_or_fail(first, mapping)
    return Source(path, fmt, _table_rows(first, tables, mapping))


def _xml_source(path: Path, head: bytes) -> Source:
    from patentatlas.importers.uspto import looks_like_uspto, read_uspto_xml

    if not looks_like_uspto(head):
        raise UnknownFormatError(
            str(path), "is XML but not a USPTO grant or application document (2004 formats on)"
        )
    return Source(path, "uspto_xml", read_uspto_xml(path))


def _format_or_fail(table: Table, mapping: dict[str, str] | None) -> str:
    if mapping and "application_number" in map_headers(table.headers, mapping):
        return "generic"
    fmt = table_format(table.headers)
    if fmt is None:
        where = f" (sheet {table.sheet})" if table.sheet else ""
        shown = ", ".join(h for h in table.headers[:12] if h)
        raise UnknownFormatError(
            str(table.path),
            f"no column holds the application number{where}; headers are: {shown}. "
            "Name it 申请号 / Application Number, or pass --mapping FILE.",
        )
    return fmt


def _table_rows(
    first: Table, rest: Iterator[Table], mapping: dict[str, str] | None
) -> Iterator[RowResult]:
    yield from _rows_of(first, mapping)
    for table in rest:
        yield from _rows_of(table, mapping)


def _rows_of(table: Table, mapping: dict[str, str] | None) -> Iterator[RowResult]:
    fmt = "generic" if mapping else table_format(table.headers)
    headers = table.headers
    builder: RecordBuilder
    if fmt == "lens":
        columns, builder = lens_columns(headers), build_lens_record
    else:
        columns, builder = map_headers(headers, mapping), build_record
    names = {field: headers[i] for field, i in columns.items()}
    missing = None if fmt and "application_number" in columns else _no_number(table)
    for row in table.rows:
        if missing or row.problem:
            rejection = Rejection("(row)", missing or row.problem or "")
            yield RowResult(row.row, _raw(headers, row.cells), rejection, table.sheet)
            continue
        try:
            outcome = builder(row_values(row.cells, columns), names)
        except FieldError as exc:
            rejection = Rejection(exc.field, exc.reason)
            yield RowResult(row.row, _raw(headers, row.cells), rejection, table.sheet)
            continue
        yield RowResult(row.row, {}, outcome, table.sheet)


def _raw(headers: list[str], cells: list[object]) -> dict[str, object]:
    """A rejected row's cells by header (extra cells of a ragged row kept under their index)."""
    raw: dict[str, object] = dict(zip(headers, cells, strict=False))
    for index in range(len(headers), len(cells)):
        raw[f"(column {index + 1})"] = cells[index]
    return raw


def _no_number(table: Table) -> str:
    return f"sheet {table.sheet} has no application-number column (headers: {table.headers[:8]})"
