"""From table rows to patent states, column by column.

Shared by the incoPat, Patentics and generic importers: they differ only in which headers name
which field. A chunk of rows is turned into columns, and each column is parsed with a function
cached on the cell's text — dates, IPC lists, applicants and statuses repeat across rows, so each
distinct cell is parsed once. A parse that fails gives a :class:`FieldError` naming the column as
the file names it; the row then goes to quarantine with the first error found.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Sequence
from functools import lru_cache
from itertools import accumulate
from typing import Any

import pyarrow as pa

from patentatlas.errors import FieldError
from patentatlas.i18n import message
from patentatlas.importers.chunks import (
    INDUSTRY_FIELDS,
    LEGAL_EVENT,
    PUBLICATION,
    STATE_SCHEMA,
    Chunk,
    first_applicant_region,
    overseas_family,
)
from patentatlas.importers.records import Rejection, RowResult
from patentatlas.importers.tabular import ColumnRows, TableRow
from patentatlas.normalize import ipc as ipc_norm
from patentatlas.normalize.appno import (
    TYPE_BY_DIGIT,
    ApplicationNumber,
    canonical_numbers,
    normalize_application_number,
)
from patentatlas.normalize.dates import date_order_problem, parse_date
from patentatlas.normalize.kinds import GRANT_KINDS, kind_rank, patent_type_from_text, publication_kind
from patentatlas.normalize.missing import is_placeholder
from patentatlas.normalize.names import clean_text, split_names
from patentatlas.normalize.status import status_reading
from patentatlas.reference.sei import industries_of

_EVENT = re.compile(r"^(?:\d+\s+)?(\d{4}\.\d{2}\.\d{2})\s+(\S+)")
_SEI_SPLIT = re.compile(r",\s*(?=\d)")
_NIC_SPLIT = re.compile(r"[;；,\s]+")
_CJK = re.compile(r"[\u3400-\u9fff]")
_AGENCY_CODE = re.compile(r"\d{4,6}$")
_HIDDEN_INVENTOR = {"不公告发明人", "请求不公布姓名"}
_CACHE = 1 << 16


class TableContext:
    """What is fixed for one table: headers, which column holds which field, and names for messages."""

    def __init__(self, headers: list[str], columns: dict[str, int], sheet: str | None, text_only: bool) -> None:
        self.headers = headers
        self.columns = columns
        self.sheet = sheet
        self.text_only = text_only

    def name(self, field: str, default: str) -> str:
        index = self.columns.get(field)
        return self.headers[index] if index is not None else default

    def raw(self, cells: list[Any]) -> dict[str, Any]:
        """A rejected row's cells by header (cells beyond the header kept under their position)."""
        raw: dict[str, Any] = dict(zip(self.headers, cells, strict=False))
        for index in range(len(self.headers), len(cells)):
            raw[f"(column {index + 1})"] = cells[index]
        return raw


def _clean_column(column: Sequence[Any], text_only: bool) -> list[Any]:
    if text_only:
        cleaned = list(map(str.strip, column))
        if "_x" in "\x1f".join(cleaned):  # an Excel artefact somewhere: clean cell by cell
            cleaned = list(map(clean_text, cleaned))
        return cleaned
    return [clean_text(c) if c.__class__ is str else ("" if c is None else c) for c in column]


def _transpose(rows: Sequence[TableRow], indices: list[int]) -> list[tuple[Any, ...]]:
    """The cells at ``indices`` of every row, as one tuple per index (rows are at least that wide)."""
    if not rows or not indices:
        return [() for _ in indices]
    # at C speed; rows are at least as wide as the header (a longer row's extra cells are dropped)
    columns = list(zip(*[row.cells for row in rows], strict=False))
    return [columns[i] for i in indices]


class _Column(list[Any]):
    """A parsed column that also keeps each row's index into its distinct values, so that Arrow
    converts each distinct value once (:func:`_array`)."""

    codes: list[int]
    distinct: list[Any]


def _each(function: Callable[..., Any], cells: Sequence[Any], *args: Any) -> _Column:
    """``function`` of every cell, called once per distinct cell (cells repeat down a column)."""
    index: dict[Any, Any] = dict.fromkeys(cells)
    distinct = []
    for number, cell in enumerate(index):
        index[cell] = number
        distinct.append(function(cell, *args))
    return _encoded(list(map(index.__getitem__, cells)), distinct)


def _encoded(codes: list[int], distinct: list[Any]) -> _Column:
    column = _Column(map(distinct.__getitem__, codes))
    column.codes, column.distinct = codes, distinct
    return column


def _part(column: _Column, k: int) -> _Column:
    """The ``k``-th item of each value of a column of tuples."""
    return _encoded(column.codes, [value[k] for value in column.distinct])


def _safe(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` returning its FieldError instead of raising it (so a column maps in one pass)."""
    def wrapped(*args: Any) -> Any:
        try:
            return function(*args)
        except FieldError as exc:
            return exc
    wrapped.__name__ = function.__name__
    return wrapped


_date = lru_cache(maxsize=_CACHE)(_safe(parse_date))
_codes = lru_cache(maxsize=_CACHE)(_safe(ipc_norm.split_codes))
_ipc = lru_cache(maxsize=_CACHE)(_safe(ipc_norm.ipc_codes))
_main = lru_cache(maxsize=_CACHE)(_safe(ipc_norm.main_code))
_number = _safe(normalize_application_number)


MAX_COUNT = 2**31 - 1  # the store keeps counts as INTEGER


@lru_cache(maxsize=_CACHE)
def _int(text: Any, column: str) -> int | None | FieldError:
    if text is None or is_placeholder(text, zero_is_value=True):
        return None
    try:
        number = float(text)
    except (TypeError, ValueError):
        return FieldError(column, message("err_not_a_number", value=repr(text)))
    if not number.is_integer() or number < 0:
        return FieldError(column, message("err_not_a_count", value=repr(text)))
    if number > MAX_COUNT:
        return FieldError(column, message("err_count_too_large", value=repr(text)))
    return int(number)


@lru_cache(maxsize=_CACHE)
def _names(text: str) -> tuple[str, ...]:
    return () if is_placeholder(text) else split_names(str(text))


@lru_cache(maxsize=_CACHE)
def _inventors(text: str) -> tuple[str, ...]:
    return tuple(n for n in _names(text) if n not in _HIDDEN_INVENTOR)


@lru_cache(maxsize=_CACHE)
def _agencies(text: str) -> tuple[str, ...]:
    return tuple(_AGENCY_CODE.sub("", n).strip() for n in _names(text))


@lru_cache(maxsize=_CACHE)
def _nic(text: str) -> tuple[str, ...]:
    return () if is_placeholder(text) else tuple(c for c in _NIC_SPLIT.split(str(text)) if c)


@lru_cache(maxsize=_CACHE)
def _sei(text: str) -> tuple[str, ...]:
    return () if is_placeholder(text) else tuple(s.strip() for s in _SEI_SPLIT.split(str(text)) if s.strip())


@lru_cache(maxsize=_CACHE)
def _status(text: str, validity: str) -> tuple[str | None, str | None]:
    """(family, the source's words): 专利有效性 first, then the legal status; the words kept are
    the legal status's (or the validity's when it is alone)."""
    words = text if not is_placeholder(text) else (validity if not is_placeholder(validity) else "")
    return status_reading(validity).family or status_reading(text).family, words or None


@lru_cache(maxsize=_CACHE)
def _type_from_text(patent_type: str, publication_type: str) -> str | None:
    return patent_type_from_text(patent_type) or patent_type_from_text(publication_type)




def _address(cell: Any) -> str | None:
    return None if is_placeholder(cell) else str(cell)


def _main_of(pair: tuple[str, Any], column: str) -> Any:
    return _main(pair[0], pair[1] or (), column)


def _region_of(triple: tuple[tuple[str, ...], str | None, str | None]) -> tuple[Any, ...]:
    names, address, office = triple
    return first_applicant_region(names[0] if names else None, address, None, office)


def _status_of(pair: tuple[str, str]) -> tuple[str | None, str | None]:
    return _status(*pair)


def _type_of(pair: tuple[str, str]) -> str | None:
    return _type_from_text(*pair)


def legal_events(text: str) -> list[tuple[Any, str, str]]:
    """Patentics 法律描述: blank-line separated entries, each starting ``2021.09.21 code ...``."""
    events = []
    for chunk in re.split(r"\n\s*\n", text.strip()):
        match = _EVENT.match(chunk.strip())
        if match:
            date = parse_date(match.group(1), "法律描述")
            if date:
                events.append((date, match.group(2), chunk.strip()))
    return events


class _Parsed:
    """A chunk's parsed columns (field → one value per row) and each row's first error."""

    def __init__(self, rows: list[TableRow] | ColumnRows, ctx: TableContext) -> None:
        self.ctx = ctx
        self.n = len(rows)
        self.values: dict[str, list[Any]] = {}
        self.industries: list[tuple[tuple[str, ...], bool, str | None]] = []  # see _parse_industries
        self.errors: list[FieldError | None] = [None] * self.n
        fields = list(ctx.columns)
        self.trimmed: set[str] | None = None  # read as columns: fields already trimmed (None: not so read)
        if isinstance(rows, ColumnRows):
            self.numbers: Sequence[int] = rows.numbers
            self.row_cells: Callable[[int], list[Any]] = rows.cells
            columns: Sequence[Sequence[Any]] = [rows.columns[ctx.columns[f]] for f in fields]
            self.trimmed = {f for f in fields if ctx.columns[f] not in rows.artefacts}
        else:
            self.numbers = [r.row for r in rows]
            self.row_cells = lambda i: rows[i].cells
            columns = list(_transpose(rows, [ctx.columns[f] for f in fields]))
        self._cells = dict(zip(fields, columns, strict=True))

    def cells(self, field: str) -> list[Any]:
        """The cleaned cells of one field (empty strings where the table lacks it)."""
        column = self._cells.get(field)
        if column is None:
            return [""] * self.n
        if self.trimmed is not None:
            return list(column) if field in self.trimmed else list(map(clean_text, column))
        return _clean_column(column, self.ctx.text_only)

    def texts(self, field: str) -> list[str]:
        """The cleaned cells of one field as text (a workbook's numbers and dates too)."""
        cells = self.cells(field)
        return cells if self.ctx.text_only else list(map(str, cells))

    def put(self, field: str, values: list[Any]) -> list[Any]:
        """Keep a parsed column; a FieldError in it marks its row as rejected."""
        if FieldError in set(map(type, values)):
            errors = self.errors
            for i, value in enumerate(values):
                if type(value) is FieldError:
                    errors[i] = errors[i] or value
                    values[i] = None
        self.values[field] = values
        return values

    def fail(self, i: int, field: str, reason: str) -> None:
        self.errors[i] = self.errors[i] or FieldError(field, reason)


def build_chunk(rows: Sequence[TableRow] | ColumnRows, ctx: TableContext) -> Chunk:
    """The states of a chunk of table rows, and the rows rejected."""
    if isinstance(rows, ColumnRows):  # read as columns: none has a problem of its own
        rejections, parsed = [], _Parsed(rows, ctx)
    else:
        rejections = [RowResult(r.row, ctx.raw(r.cells), Rejection("(row)", r.problem), ctx.sheet)
                      for r in rows if r.problem]
        parsed = _Parsed([r for r in rows if not r.problem], ctx)
    _parse_identity(parsed)
    _parse_dates(parsed)
    _parse_classes(parsed)
    _parse_industries(parsed)
    _parse_texts(parsed)
    _parse_counts(parsed)
    _parse_parties(parsed)
    _parse_status(parsed)
    return _chunk(parsed, rejections)


def _parse_identity(p: _Parsed) -> None:
    cells = p.cells("application_number")
    if all(canonical_numbers(cells)):  # the common case: every number canonical, its type in its digits
        p.values["application_number"] = cells
        p.values["_derived_number"] = [None] * p.n
        p.values["country"] = ["CN"] * p.n
        p.values["patent_type"] = [TYPE_BY_DIGIT[c[6]] for c in cells]
    else:
        _parse_numbers(p, cells)
    publication = [None if is_placeholder(c) else c for c in p.cells("publication_number")]
    # a kind is read from a number's last two characters (when it has four): parsed once per ending
    kinds = _each(_kind_of_ending, [c[-2:] if c and len(c) >= 4 else "" for c in publication])
    p.values["publication_number"] = publication
    p.values["publication_kind"] = kinds
    p.values["biblio_rank"] = _encoded(kinds.codes, [kind_rank(k) for k in kinds.distinct])


def _kind_of_ending(ending: str) -> str | None:
    """:func:`publication_kind` of a number of four characters or more that ends so."""
    return publication_kind(f"CN{ending}") if ending else None


def _parse_numbers(p: _Parsed, cells: list[Any]) -> None:
    """Numbers written otherwise (no check digit, a kind code, ZL, PCT, foreign), one by one."""
    column = p.ctx.name("application_number", "申请号")
    numbers: list[ApplicationNumber | None] = p.put("_number", [
        ApplicationNumber(c, "CN", c[6]) if canonical else _number(c, column)
        for c, canonical in zip(cells, canonical_numbers(cells), strict=True)])
    p.values["application_number"] = [n.number if n else None for n in numbers]
    p.values["_derived_number"] = [n.derived if n else None for n in numbers]
    p.values["country"] = [n.country if n else None for n in numbers]
    from_text = _each(_type_of, list(zip(p.texts("patent_type"), p.texts("publication_type"), strict=True)))
    p.values["patent_type"] = [
        TYPE_BY_DIGIT[n.type_digit] if n and n.type_digit else t for n, t in zip(numbers, from_text, strict=True)
    ]


def _parse_dates(p: _Parsed) -> None:
    for field, default in (("filing_date", "申请日"), ("publication_date", "公开日"),
                           ("grant_date", "授权日"), ("priority_date", "优先权日")):
        column = p.ctx.name(field, default)
        p.put(field, _each(_date, p.cells(field), column))
    filing, published, granted = p.values["filing_date"], p.values["publication_date"], p.values["grant_date"]
    column = p.ctx.name("filing_date", "申请日")
    today = dt.date.today()
    from_publication = p.values["_derived_grant"] = [False] * p.n
    for i, kind in enumerate(p.values["publication_kind"]):
        if granted[i] is None and kind in GRANT_KINDS and published[i] is not None:
            granted[i] = published[i]  # a grant publication's date is its grant announcement
            from_publication[i] = True
        problem = date_order_problem(filing[i], published[i], granted[i], today)
        if problem:
            p.fail(i, column, problem)
    if any(from_publication):
        p.values["grant_date"] = list(granted)  # no longer one value per distinct cell


def _parse_classes(p: _Parsed) -> None:
    ipc_column = p.ctx.name("ipc", "IPC")
    codes = p.put("ipc_codes", _each(_ipc, p.texts("ipc"), ipc_column))
    main_column = p.ctx.name("ipc_main", "IPC主分类")
    p.put("ipc_main", _each(_main_of, list(zip(p.texts("ipc_main"), codes, strict=True)), main_column))
    cpc_column = p.ctx.name("cpc", "CPC")
    p.put("cpc_codes", _each(_codes, p.texts("cpc"), cpc_column))


def _parse_industries(p: _Parsed) -> None:
    """SEI codes, whether judged and on what basis (:func:`industries_of`): each row gets the index
    of its distinct classification, whose industries are looked up once and turned into Arrow in
    :func:`_chunk`. The source's own labels (incoPat 新兴产业分类 / 国民经济分类) are kept beside."""
    p.values["source_nic_codes"] = _each(_nic, p.texts("nic"))
    p.values["source_sei_labels"] = labels = _each(_sei, p.texts("sei"))
    distinct: dict[tuple[Any, ...], int] = {}
    p.values["_industries"] = [
        distinct.setdefault((codes or (), None if codes else main, () if codes or main else label), len(distinct))
        for codes, main, label in zip(p.values["ipc_codes"], p.values["ipc_main"], labels, strict=True)]
    p.industries = [industries_of(*key) for key in distinct]


def _parse_texts(p: _Parsed) -> None:
    zh, en = p.cells("title_zh"), p.cells("title_en")
    for i, title in enumerate(zh):
        if title and not en[i] and not _CJK.search(str(title)):
            zh[i], en[i] = "", title  # an English title in the only title column
    for field, values in (("title_zh", zh), ("title_en", en)):
        p.values[field] = [str(v) if v else None for v in values]
    for field in ("abstract_zh", "abstract_en", "main_claim"):
        p.values[field] = [str(v) if v else None for v in p.cells(field)]
    p.values["extra"] = [None] * p.n


def _parse_counts(p: _Parsed) -> None:
    for field, source in (("claim_count", "claim_count"), ("family_size", "family_size"),
                          ("backward_citation_count", "cited_count"), ("forward_citation_count", "citing_count")):
        column = p.ctx.name(source, source)
        p.put(field, _each(_int, p.cells(source), column))
    p.values["family_members"] = members = _each(_names, p.texts("family_members"))
    p.values["has_overseas_family"] = list(map(overseas_family, members, p.values["family_size"]))
    p.values["cited_publications"] = _each(_names, p.texts("cited"))
    p.values["citing_publications"] = _each(_names, p.texts("citing"))


def _parse_parties(p: _Parsed) -> None:
    applicants = _each(_names, p.texts("applicants"))
    addresses = _each(_address, p.cells("address"))
    p.values["applicant_names"] = applicants
    p.values["first_applicant_address"] = [a if names else None for a, names in zip(addresses, applicants, strict=True)]
    offices = p.values["country"]
    regions = _each(_region_of, list(zip(applicants, addresses, offices, strict=True)))
    for k, field in enumerate(("first_applicant_region_code", "first_applicant_province_code",
                               "first_applicant_city_code", "first_applicant_county_code",
                               "first_applicant_country")):
        p.values[field] = _part(regions, k)
    p.values["inventor_names"] = _each(_inventors, p.texts("inventors"))
    p.values["agency_names"] = _each(_agencies, p.texts("agencies"))


def _parse_status(p: _Parsed) -> None:
    statuses = _each(_status_of, list(zip(p.texts("status_text"), p.texts("validity"),
                                          strict=True)))
    p.values["status"] = _part(statuses, 0)
    p.values["status_text"] = _part(statuses, 1)
    p.values["_events"] = [legal_events(str(c)) if c else () for c in p.cells("legal_events")]


def _chunk(p: _Parsed, rejections: list[RowResult]) -> Chunk:
    keep = [i for i, e in enumerate(p.errors) if e is None]
    for i, error in enumerate(p.errors):
        if error is not None:
            rejections.append(RowResult(p.numbers[i], p.ctx.raw(p.row_cells(i)),
                                        Rejection(error.field, error.reason), p.ctx.sheet))
    every = len(keep) == p.n
    values = p.values if every else {k: v if isinstance(v, _Column) else [v[i] for i in keep]
                                     for k, v in p.values.items()}
    arrays: list[pa.Array] = []
    made: dict[int, pa.Array] = {}
    for field in STATE_SCHEMA:
        if field.name == "publications":
            arrays.append(_publications(values, keep, every))
        elif field.name == "legal_events":
            arrays.append(_events(values["_events"]))
        elif field.name in INDUSTRY_FIELDS:
            distinct = [industries[INDUSTRY_FIELDS.index(field.name)] for industries in p.industries]
            arrays.append(pa.array(distinct, type=field.type).take(pa.array(values["_industries"], pa.int32())))
        else:
            arrays.append(_array(values[field.name], field.type, keep, every, made))
    states = pa.Table.from_arrays(arrays, schema=STATE_SCHEMA)
    rejections.sort(key=lambda r: r.row)
    derived = Counter(d for d in values["_derived_number"] if d)
    derived["grant_date_from_grant_publication"] += sum(values["_derived_grant"])
    numbers = p.numbers if len(keep) == p.n else [p.numbers[i] for i in keep]
    return Chunk(states, list(numbers), rejections, +derived)


def _array(values: list[Any], arrow_type: pa.DataType, keep: list[int], every: bool,
           made: dict[int, pa.Array]) -> pa.Array:
    """The kept rows' values as Arrow; a parsed column converts its distinct values once (``made``:
    the chunk's codes already turned into Arrow, by the id of their list)."""
    if not isinstance(values, _Column):
        return pa.array(values, type=arrow_type)
    distinct = [None if value.__class__ is FieldError else value for value in values.distinct]
    codes = made.get(id(values.codes))  # columns split from one parse share their codes
    if codes is None:
        codes = made[id(values.codes)] = pa.array(values.codes if every else [values.codes[i] for i in keep],
                                                  pa.int32())
    return pa.array(distinct, type=arrow_type).take(codes)


def _offsets(lengths: list[int]) -> pa.Array:
    return pa.array(accumulate(lengths, initial=0), type=pa.int32())


def _publications(values: dict[str, list[Any]], keep: list[int], every: bool) -> pa.Array:
    present = [i for i, number in enumerate(values["publication_number"]) if number]
    date = values["publication_date"]  # a parsed column: one value per row read
    dates = date if every or not isinstance(date, _Column) else [date[i] for i in keep]
    fields = [pa.array([(dates if name == "publication_date" else values[name])[i] for i in present], type=t.type)
              for name, t in zip(("publication_number", "publication_kind", "publication_date"), PUBLICATION,
                                 strict=True)]
    struct = pa.StructArray.from_arrays(fields, fields=list(PUBLICATION))
    return pa.ListArray.from_arrays(_offsets([1 if n else 0 for n in values["publication_number"]]), struct)


def _events(events: list[Any]) -> pa.Array:
    flat = [e for row in events for e in row]
    fields = [pa.array([e[k] for e in flat], type=t.type) for k, t in enumerate(LEGAL_EVENT)]
    struct = pa.StructArray.from_arrays(fields, fields=list(LEGAL_EVENT))
    return pa.ListArray.from_arrays(_offsets([len(row) for row in events]), struct)
