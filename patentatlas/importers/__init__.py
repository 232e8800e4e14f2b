"""Importers: from a file to a stream of :class:`Chunk` of patent states, the format picked from its headers.

>>> source = open_source(DATA / "cn_patents" / "incopat_toyota_autodrive_5048.csv")  # DATA: the sample data
>>> source.format
'incopat'
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from patentatlas.errors import InputFileError, UnknownFormatError
from patentatlas.importers.chunks import Chunk, chunks_from_results
from patentatlas.importers.fields import header_key, map_headers
from patentatlas.importers.lens import is_lens_header, lens_results
from patentatlas.importers.table_records import TableContext, build_chunk
from patentatlas.importers.tabular import ColumnRows, Table, TableRow, iter_tables

_INCOPAT_SIGNS = {header_key(h) for h in ("链接到incoPat", "标准化申请人", "公开（公告）号")}
_PATENTICS_SIGNS = {
    header_key(h)
    for h in ("标准专利权人", "本文引用专利数", "引用本文专利数", "价值谱", "技术特征", "标准申请人")
}


CHUNK_ROWS = 20_000


@dataclass
class Source:
    """An opened file: its detected format and the stream of its chunks."""

    path: Path
    format: str
    chunks: Iterator[Chunk]


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


def open_source(path: Path, mapping: dict[str, str] | None = None, chunk_rows: int = CHUNK_ROWS) -> Source:
    """Detect the file's format and open it as a stream of chunks (nothing read beyond the head)."""
    if not path.exists():
        raise InputFileError(str(path), "no such file")
    if path.is_dir():
        raise InputFileError(str(path), "is a folder, not a file")
    with path.open("rb") as fh:
        head = fh.read(4096)
    if head.lstrip().startswith(b"<?xml") or path.suffix.lower() == ".xml":
        return _xml_source(path, head, chunk_rows)
    tables = iter_tables(path)
    before: list[Table] = []  # a workbook's cover or notes sheets ahead of its data
    for table in tables:
        if _recognised(table, mapping):
            fmt = "generic" if mapping else table_format(table.headers) or "generic"
            return Source(path, fmt, _table_chunks(_chain(*before, table, rest=tables), mapping, chunk_rows))
        before.append(table)
    if not before:
        raise InputFileError(str(path), "holds no table")
    raise _unknown(before[0])


def _xml_source(path: Path, head: bytes, chunk_rows: int) -> Source:
    from patentatlas.importers.uspto import looks_like_uspto, read_uspto_xml

    if not looks_like_uspto(head):
        raise UnknownFormatError(
            str(path), "is XML but not a USPTO grant or application document (2004 formats on)"
        )
    return Source(path, "uspto_xml", chunks_from_results(read_uspto_xml(path), chunk_rows))


def _recognised(table: Table, mapping: dict[str, str] | None) -> bool:
    if mapping:
        return "application_number" in map_headers(table.headers, mapping)
    return table_format(table.headers) is not None


def _unknown(table: Table) -> UnknownFormatError:
    where = f" (sheet {table.sheet})" if table.sheet else ""
    shown = ", ".join(h for h in table.headers[:12] if h)
    return UnknownFormatError(
        str(table.path),
        f"no column holds the application number{where}; headers are: {shown}. "
        "Name it 申请号 / Application Number, or pass --mapping FILE.",
    )


def _table_chunks(tables: Iterator[Table], mapping: dict[str, str] | None, size: int) -> Iterator[Chunk]:
    """Every table's rows in chunks; a table without an application-number column (a workbook's
    notes sheet) has all its rows quarantined, so they are still accounted for."""
    for table in tables:
        fmt = table_format(table.headers) if not mapping else "generic"
        if fmt == "lens":
            yield from chunks_from_results(lens_results(table), size)
            continue
        columns = map_headers(table.headers, mapping)
        if "application_number" not in columns:
            columns = {}  # every row of this sheet is rejected below
        ctx = TableContext(table.headers, columns, table.sheet, table.text_only)
        items = table.column_rows(size) if table.column_rows and columns else table.rows
        for rows in _batches(items, size):
            if not columns:
                for row in rows:
                    row.problem = row.problem or _no_number(table)
            yield build_chunk(rows, ctx)


def _chain(*tables: Table, rest: Iterator[Table]) -> Iterator[Table]:
    yield from tables
    yield from rest


def _batches(rows: Iterator[TableRow | ColumnRows], size: int) -> Iterator[Any]:
    """Rows in lists of ``size``; rows read as columns come in such batches already."""
    batch: list[TableRow] = []
    for row in rows:
        if isinstance(row, ColumnRows):
            if batch:
                yield batch
                batch = []
            yield row
            continue
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _no_number(table: Table) -> str:
    return f"sheet {table.sheet} has no application-number column (headers: {table.headers[:8]})"
