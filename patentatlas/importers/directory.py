"""Reading an enterprise directory (企业名录: the market-regulation registry an office holds) from a
CSV or XLSX file, as a stream of entries or rejected rows.

Columns are found by their headers, whatever their spacing or width (the SZSE list writes
``省    份``); a header row below title rows is found too. Only a name column is required:

    name            公司全称 / 企业名称 / 名称 / 单位名称 / 市场主体名称 / name
    former_names    曾用名 / 原名称 / 历史名称 (several separated by ; ， |)
    uscc            统一社会信用代码 / 信用代码 / uscc
    address         注册地址 / 住所 / 地址 / 经营地址 / address
    township        乡镇 / 乡镇街道 / 所属乡镇 / 街道 / township
    county          区县 / 所属区县 / county (a name or a code: checks the address)
    industry        所属行业 / 行业 / 国民经济行业 / industry
    tags            标签 / 企业标签 / 资质 / tags, and yes/no columns 高新技术企业 / 专精特新 / 规上
    contact_person  联系人 / contact
    contact_phone   联系电话 / 电话 / 手机 / phone

A row without a name, or with a credit code that fails its GB 32100 check, is rejected with
the field and the reason (the store keeps it in ``directory_quarantine``).

>>> rows = directory_rows(Path("szse_a_share_list_2025-10-22.csv"))  # doctest: +SKIP
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from patentatlas.domain.uscc import validate_uscc
from patentatlas.errors import EmptyFileError, InputFileError, UsageError
from patentatlas.i18n import message
from patentatlas.importers.records import Rejection
from patentatlas.importers.tabular import Table, TableRow, iter_tables
from patentatlas.normalize.names import split_list

FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("公司全称", "企业名称", "企业全称", "名称", "单位名称", "公司名称", "市场主体名称", "主体名称", "name",
             "companyname", "enterprisename"),
    "former_names": ("曾用名", "原名称", "历史名称", "曾用名称", "formernames", "formername"),
    "uscc": ("统一社会信用代码", "社会信用代码", "信用代码", "uscc", "creditcode"),
    "address": ("注册地址", "住所", "地址", "企业地址", "经营地址", "注册地", "住所地址", "address"),
    "township": ("乡镇", "乡镇街道", "所属乡镇", "所属街道", "街道", "township"),
    "county": ("区县", "所属区县", "县区", "county"),
    "industry": ("所属行业", "行业", "国民经济行业", "行业分类", "industry"),
    "tags": ("标签", "企业标签", "资质", "企业资质", "tags"),
    "contact_person": ("联系人", "联系人姓名", "contact", "contactperson"),
    "contact_phone": ("联系电话", "电话", "手机", "联系方式", "phone", "contactphone"),
}
TAG_COLUMNS = ("高新技术企业", "专精特新", "规上", "规上企业", "科技型中小企业")
_YES = {"是", "y", "yes", "true", "1", "√", "✓"}
_HEADER_SEARCH_ROWS = 20


def header_key(header: str) -> str:
    """A header with widths, spaces and case made alike: ``"省    份"`` → ``"省份"``.

    >>> header_key(" 地      区 "), header_key("Contact Phone")
    ('地区', 'contactphone')
    """
    return re.sub(r"[\s_\-:：]+", "", unicodedata.normalize("NFKC", str(header))).lower()


_KEYS = {key: name for name, keys in FIELDS.items() for key in (header_key(k) for k in keys)}


def map_columns(headers: list[str]) -> tuple[dict[str, int], dict[str, int]]:
    """(field → column index, tag → column index) for a header row; the first column of a field wins."""
    columns: dict[str, int] = {}
    tags: dict[str, int] = {}
    for index, header in enumerate(headers):
        key = header_key(header)
        name = _KEYS.get(key)
        if name and name not in columns:
            columns[name] = index
        elif key in TAG_COLUMNS:
            tags[key] = index
    return columns, tags


@dataclass
class DirectoryEntry:
    """One enterprise as the file gives it (cleaned, not yet placed)."""

    name: str
    former_names: list[str] = field(default_factory=list)
    uscc: str | None = None
    address: str | None = None
    township: str | None = None
    county: str | None = None
    industry: str | None = None
    tags: list[str] = field(default_factory=list)
    contact_person: str | None = None
    contact_phone: str | None = None


@dataclass
class DirectoryRow:
    """A row read: its spreadsheet row number, the raw cells by header, and an entry or a rejection."""

    row: int
    sheet: str | None
    raw: dict[str, Any]
    outcome: DirectoryEntry | Rejection


@dataclass
class DirectorySource:
    """An opened directory file: its format (csv/xlsx), the columns found, and its rows."""

    path: Path
    format: str
    columns: dict[str, str]  # field → the header it was read from
    rows: Iterator[DirectoryRow]


def _text(value: Any) -> str | None:
    text = re.sub(r"\s+", " ", str(value)).strip() if value is not None else ""
    return text or None


def _entry(cells: list[Any], columns: dict[str, int], tags: dict[str, int]) -> DirectoryEntry | Rejection:
    def cell(name: str) -> str | None:
        index = columns.get(name)
        return _text(cells[index]) if index is not None and index < len(cells) else None

    name = cell("name")
    if not name:
        return Rejection("name", message("err_directory_no_name"))
    uscc = cell("uscc")
    if uscc:
        try:
            uscc = validate_uscc(uscc)
        except UsageError as exc:
            return Rejection("uscc", exc.message)
    found = split_list(re.sub(r"[|｜、]", ";", cell("tags") or ""))
    found += [tag for tag, index in tags.items() if index < len(cells) and str(cells[index]).strip().lower() in _YES]
    return DirectoryEntry(
        name=name, former_names=split_list(re.sub(r"[|｜、]", ";", cell("former_names") or "")), uscc=uscc,
        address=cell("address"), township=cell("township"), county=cell("county"), industry=cell("industry"),
        tags=list(dict.fromkeys(found)), contact_person=cell("contact_person"), contact_phone=cell("contact_phone"))


def _find_header(table: Table) -> tuple[list[str], Iterator[TableRow]] | None:
    """The header row: the table's own, or one of the first rows below title rows."""
    if "name" in map_columns(table.headers)[0]:
        return table.headers, table.rows
    for _ in range(_HEADER_SEARCH_ROWS):
        row = next(table.rows, None)
        if row is None:
            return None
        headers = [str(c) for c in row.cells]
        if "name" in map_columns(headers)[0]:
            return headers, table.rows
    return None


def open_directory(path: Path) -> DirectorySource:
    """Open a directory file (CSV or XLSX, first sheet with a name column); rows are read as asked for."""
    if not path.exists():
        raise InputFileError(str(path), "no such file")
    tables = iter_tables(path)
    for table in tables:
        found = _find_header(table)
        if found is None:
            continue
        headers, rows = found
        columns, tags = map_columns(headers)
        fmt = "xlsx" if table.sheet is not None else "csv"
        described = {name: headers[index] for name, index in columns.items()}
        return DirectorySource(path, fmt, described, _rows(table.sheet, headers, rows, columns, tags))
    raise EmptyFileError(str(path), "no column holds the enterprise name: name one 公司全称, 企业名称 or 名称 "
                         "(other columns: 统一社会信用代码, 注册地址, 乡镇, 所属行业, 标签, 联系人, 联系电话)")


def _rows(sheet: str | None, headers: list[str], rows: Iterator[TableRow], columns: dict[str, int],
          tags: dict[str, int]) -> Iterator[DirectoryRow]:
    for row in rows:
        raw = {h: (c if isinstance(c, str) else str(c)) for h, c in zip(headers, row.cells, strict=False)}
        problem = row.problem
        if problem and problem.startswith("row has"):  # counted against the table's first row, maybe a title
            extra = any(str(c).strip() for c in row.cells[len(headers):])
            problem = message("err_row_cells", cells=len(row.cells), width=len(headers)) if extra else None
        if problem:
            yield DirectoryRow(row.row, sheet, raw, Rejection("row", problem))
            continue
        yield DirectoryRow(row.row, sheet, raw, _entry(row.cells, columns, tags))
