"""From table rows to patent states, column by column.

Shared by the incoPat, Patentics and generic importers: they differ only in which headers name
which field. A chunk of rows is turned into columns and each column is dictionary-encoded (by
Arrow, at C speed, for a plain CSV): a parse function runs once per *distinct* cell — dates, IPC
lists, applicants and statuses repeat down a column — and its results reach the rows through the
codes (:class:`_Codes`), so no Python runs per row. Free text (titles, abstracts) and the checks
that hold for almost every row (canonical numbers, date order, placeholders) are Arrow
expressions; Python sees only the rows they flag. A parse that fails gives a :class:`FieldError`
naming the column as the file names it; the row then goes to quarantine with the first error found.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from patentatlas.errors import FieldError
from patentatlas.i18n import Message, message
from patentatlas.importers.chunks import (
    INDUSTRY_FIELDS,
    PUBLICATION,
    REGION_FIELDS,
    STATE_SCHEMA,
    Chunk,
    first_applicant_region,
    overseas_family,
)
from patentatlas.importers.records import Rejection, RowResult
from patentatlas.importers.tabular import ColumnRows, TableRow
from patentatlas.normalize import ipc as ipc_norm
from patentatlas.normalize import missing
from patentatlas.normalize.appno import (
    TYPE_BY_DIGIT,
    ApplicationNumber,
    canonical_mask,
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
_CJK_CLASS = "[\u3400-\u9fff]"  # the characters as they are: Arrow's RE2 reads no \u escapes
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


def _region_of(triple: tuple[tuple[tuple[str, ...], str | None], str | None]) -> tuple[Any, ...]:
    (names, address), office = triple
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


class _Codes:
    """A column as codes into its distinct values: ``distinct[codes[i]]`` is row ``i``'s value.

    A parse maps the distinct values (:meth:`map`) and leaves the codes alone; two columns are
    read together through the codes of their distinct pairs (:func:`_pair`); Arrow turns the
    distinct values into a column once and takes it by the codes (:meth:`arrow`).
    """

    __slots__ = ("codes", "distinct")

    def __init__(self, codes: pa.Array, distinct: list[Any]) -> None:
        self.codes = codes
        self.distinct = distinct

    def map(self, function: Callable[..., Any], *args: Any) -> _Codes:
        return _Codes(self.codes, [function(value, *args) for value in self.distinct])

    def part(self, k: int) -> _Codes:
        """The ``k``-th item of each value of a column of tuples."""
        return _Codes(self.codes, [value[k] for value in self.distinct])

    def arrow(self, arrow_type: pa.DataType) -> pa.Array:
        values = [None if value.__class__ is FieldError else value for value in self.distinct]
        return pa.array(values, type=arrow_type).take(self.codes)

    def rows(self) -> list[Any]:
        """One value per row, as Python (for the few row-by-row paths)."""
        return list(map(self.distinct.__getitem__, self.codes.to_pylist()))


def _encode_arrow(column: pa.Array) -> _Codes:
    encoded = pc.dictionary_encode(column, null_encoding="encode")  # a null is a value of its own
    return _Codes(encoded.indices, encoded.dictionary.to_pylist())


def _encode_list(cells: Sequence[Any]) -> _Codes:
    index: dict[Any, Any] = dict.fromkeys(cells)
    for number, cell in enumerate(index):
        index[cell] = number
    return _Codes(pa.array(list(map(index.__getitem__, cells)), pa.int32()), list(index))


def _constant(value: Any, n: int) -> _Codes:
    return _Codes(pa.repeat(pa.scalar(0, pa.int32()), n), [value])


def _pair(first: _Codes, second: _Codes) -> _Codes:
    """Both columns as one of (first, second) pairs, encoded anew: one code per distinct pair."""
    width = len(second.distinct)
    key = pc.add(pc.multiply(first.codes.cast(pa.int64()), width), second.codes.cast(pa.int64()))
    encoded = key.dictionary_encode()
    return _Codes(encoded.indices, [(first.distinct[k // width], second.distinct[k % width])
                                    for k in encoded.dictionary.to_pylist()])


def _blank(column: pa.Array) -> pa.Array:
    """Empty text as null (what the store keeps for "no value")."""
    return pc.if_else(pc.equal(column, ""), pa.scalar(None, pa.string()), column)


def _where(mask: pa.Array) -> list[int]:
    """The row indices where ``mask`` is true."""
    return pc.indices_nonzero(pc.fill_null(mask, False)).to_pylist()


class _Parsed:
    """A chunk's columns: the cells of each field (as Arrow text, or as codes), the parsed
    columns by state field (``parsed``: codes; ``arrays``: one Arrow value per row), and each
    rejected row's first error."""

    def __init__(self, rows: list[TableRow] | ColumnRows, ctx: TableContext) -> None:
        self.ctx = ctx
        self.n = len(rows)
        self.parsed: dict[str, _Codes] = {}
        self.arrays: dict[str, pa.Array] = {}
        self.errors: dict[int, FieldError] = {}
        self.derived_numbers: list[str | None] = []  # how each number was derived (numbers written otherwise)
        self._coded: dict[str, _Codes] = {}
        fields = list(ctx.columns)
        if isinstance(rows, ColumnRows):
            self.numbers: Sequence[int] = rows.numbers
            self.row_cells: Callable[[int], list[Any]] = rows.cells
            # plain CSV: Arrow text, trimmed; a column with a spreadsheet artefact is cleaned per distinct cell
            self.columns: dict[str, pa.Array] | None = {f: rows.column(ctx.columns[f]) for f in fields}
            self._dirty = {f for f in fields if rows.has_artefact(ctx.columns[f])}
            self._lists: dict[str, Sequence[Any]] = {}
        else:
            self.numbers = [r.row for r in rows]
            self.row_cells = lambda i: rows[i].cells
            self.columns, self._dirty = None, set()
            self._lists = dict(zip(fields, _transpose(rows, [ctx.columns[f] for f in fields]), strict=True))

    def cells(self, field: str) -> _Codes:
        """The cleaned cells of one field as codes (one empty string where the table lacks it)."""
        coded = self._coded.get(field)
        if coded is None:
            coded = self._coded[field] = self._encode(field)
        return coded

    def _encode(self, field: str) -> _Codes:
        if self.columns is not None:
            column = self.columns.get(field)
            if column is None:
                return _constant("", self.n)
            coded = _encode_arrow(column)
            return coded.map(clean_text) if field in self._dirty else coded
        cells = self._lists.get(field)
        return _constant("", self.n) if cells is None else _encode_list(_clean_column(cells, self.ctx.text_only))

    def texts(self, field: str) -> _Codes:
        """The cleaned cells of one field as text (a workbook's numbers and dates too)."""
        cells = self.cells(field)
        return cells if self.ctx.text_only else cells.map(str)

    def text_column(self, field: str) -> pa.Array:
        """The cleaned cells of one field as an Arrow text column ("" where empty)."""
        if self.columns is not None and field in self.columns and field not in self._dirty:
            return self.columns[field]
        return self.cells(field).map(lambda cell: str(cell) if cell else "").arrow(pa.string())

    def put(self, field: str, parsed: _Codes) -> _Codes:
        """Keep a parsed column; a FieldError in it marks its rows as rejected (the first error of
        a row is the one it keeps). The errors' values become None."""
        failed = [code for code, value in enumerate(parsed.distinct) if value.__class__ is FieldError]
        if failed:
            rows = _where(pc.is_in(parsed.codes, pa.array(failed, pa.int32())))
            for i, code in zip(rows, parsed.codes.take(pa.array(rows, pa.int64())).to_pylist(), strict=True):
                self.errors.setdefault(i, parsed.distinct[code])
            parsed = parsed.map(lambda value: None if value.__class__ is FieldError else value)
        self.parsed[field] = parsed
        return parsed

    def fail(self, i: int, field: str, reason: Message) -> None:
        self.errors.setdefault(i, FieldError(field, reason))


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
    numbers = p.text_column("application_number") if p.ctx.text_only else None
    if numbers is not None and pc.all(canonical_mask(numbers)).as_py() is not False:
        # the common case: every number canonical, its type in its digits
        p.arrays["application_number"] = numbers
        p.arrays["country"] = pa.repeat(pa.scalar("CN", pa.string()), p.n)
        type_digits = _encode_arrow(pc.utf8_slice_codeunits(numbers, 6, 7))
        p.parsed["patent_type"] = type_digits.map(TYPE_BY_DIGIT.__getitem__)
    else:
        _parse_numbers(p, p.cells("application_number").rows())
    publication = _blank(p.text_column("publication_number"))
    p.arrays["publication_number"] = publication = _without_placeholders(publication)
    # a kind is read from a number's last two characters (when it has four): parsed once per ending
    endings = pc.if_else(pc.fill_null(pc.greater_equal(pc.utf8_length(publication), 4), False),
                         pc.utf8_slice_codeunits(publication, -2), "")
    kinds = _encode_arrow(endings).map(_kind_of_ending)
    p.arrays["publication_kind"] = kinds.arrow(pa.string())
    p.parsed["biblio_rank"] = kinds.map(kind_rank)


def _without_placeholders(column: pa.Array) -> pa.Array:
    """Null where a cell says "no value" (``-``, ``无`` …): only short cells can, so only those are looked at."""
    short = pc.filter(column, pc.fill_null(pc.less_equal(pc.utf8_length(column), missing.LONGEST), False))
    said = [value for value in pc.unique(short).to_pylist() if is_placeholder(value)]
    if not said:
        return column
    return pc.if_else(pc.is_in(column, pa.array(said, pa.string())), pa.scalar(None, pa.string()), column)


def _kind_of_ending(ending: str) -> str | None:
    """:func:`publication_kind` of a number of four characters or more that ends so."""
    return publication_kind(f"CN{ending}") if ending else None


def _parse_numbers(p: _Parsed, cells: list[Any]) -> None:
    """Numbers written otherwise (no check digit, a kind code, ZL, PCT, foreign), one by one."""
    column = p.ctx.name("application_number", "申请号")
    numbers: list[ApplicationNumber | FieldError | None] = [
        ApplicationNumber(c, "CN", c[6]) if canonical else _number(c, column)
        for c, canonical in zip(cells, canonical_numbers(cells), strict=True)]
    for i, number in enumerate(numbers):
        if isinstance(number, FieldError):
            p.errors.setdefault(i, number)
    found = [n if isinstance(n, ApplicationNumber) else None for n in numbers]
    p.arrays["application_number"] = pa.array([n.number if n else None for n in found], pa.string())
    p.derived_numbers = [n.derived if n else None for n in found]
    p.arrays["country"] = pa.array([n.country if n else None for n in found], pa.string())
    from_text = _pair(p.texts("patent_type"), p.texts("publication_type")).map(_type_of).rows()
    p.arrays["patent_type"] = pa.array([
        TYPE_BY_DIGIT[n.type_digit] if n and n.type_digit else t for n, t in zip(found, from_text, strict=True)
    ], pa.string())


def _parse_dates(p: _Parsed) -> None:
    for field, default in (("filing_date", "申请日"), ("publication_date", "公开日"),
                           ("grant_date", "授权日"), ("priority_date", "优先权日")):
        column = p.ctx.name(field, default)
        p.put(field, p.cells(field).map(_date, column))
    filing, published, granted = (p.parsed.pop(f).arrow(pa.date32())
                                  for f in ("filing_date", "publication_date", "grant_date"))
    # a grant publication's date is its grant announcement
    from_publication = pc.and_(pc.and_(pc.is_null(granted), pc.is_valid(published)),
                               pc.fill_null(pc.is_in(p.arrays["publication_kind"], pa.array(sorted(GRANT_KINDS))),
                                            False))
    if pc.any(from_publication).as_py():
        granted = pc.if_else(from_publication, published, granted)
        p.arrays["_derived_grant"] = from_publication
    p.arrays.update(filing_date=filing, publication_date=published, grant_date=granted)
    today = dt.date.today()
    # what date_order_problem refuses, as one expression; it says why for the rows this flags
    suspect = pc.or_kleene(pc.or_kleene(pc.is_null(filing), pc.greater(filing, pa.scalar(today, pa.date32()))),
                           pc.or_kleene(pc.less(published, filing), pc.less(granted, filing)))
    rows = _where(suspect)
    if rows:
        column = p.ctx.name("filing_date", "申请日")
        taken = pa.array(rows, pa.int64())
        for i, f, pub, grant in zip(rows, *(c.take(taken).to_pylist() for c in (filing, published, granted)),
                                    strict=True):
            problem = date_order_problem(f, pub, grant, today)
            if problem:
                p.fail(i, column, problem)


def _parse_classes(p: _Parsed) -> None:
    ipc_column = p.ctx.name("ipc", "IPC")
    codes = p.put("ipc_codes", p.texts("ipc").map(_ipc, ipc_column))
    main_column = p.ctx.name("ipc_main", "IPC主分类")
    p.put("ipc_main", _pair(p.texts("ipc_main"), codes).map(_main_of, main_column))
    cpc_column = p.ctx.name("cpc", "CPC")
    p.put("cpc_codes", p.texts("cpc").map(_codes, cpc_column))


def _parse_industries(p: _Parsed) -> None:
    """SEI codes, whether judged and on what basis (:func:`industries_of`), looked up once per
    distinct classification. The source's own labels (incoPat 新兴产业分类 / 国民经济分类) are kept beside."""
    p.parsed["source_nic_codes"] = p.texts("nic").map(_nic)
    p.parsed["source_sei_labels"] = labels = p.texts("sei").map(_sei)
    classes = _pair(_pair(p.parsed["ipc_codes"], p.parsed["ipc_main"]), labels)
    industries = classes.map(_industries_of)
    for k, field in enumerate(INDUSTRY_FIELDS):
        p.parsed[field] = industries.part(k)


def _industries_of(classes: tuple[tuple[Any, Any], tuple[str, ...]]) -> tuple[Any, ...]:
    (codes, main), label = classes
    return industries_of(codes or (), None if codes else main, () if codes or main else label)


def _parse_texts(p: _Parsed) -> None:
    zh, en = p.text_column("title_zh"), p.text_column("title_en")
    # an English title in the only title column
    english = pc.and_(pc.and_(pc.not_equal(zh, ""), pc.equal(en, "")),
                      pc.invert(pc.match_substring_regex(zh, _CJK_CLASS)))
    if pc.any(english).as_py():
        zh, en = pc.if_else(english, "", zh), pc.if_else(english, zh, en)
    p.arrays["title_zh"], p.arrays["title_en"] = _blank(zh), _blank(en)
    for field in ("abstract_zh", "abstract_en", "main_claim"):
        p.arrays[field] = _blank(p.text_column(field))


def _parse_counts(p: _Parsed) -> None:
    for field, source in (("claim_count", "claim_count"), ("family_size", "family_size"),
                          ("backward_citation_count", "cited_count"), ("forward_citation_count", "citing_count")):
        column = p.ctx.name(source, source)
        p.put(field, p.cells(source).map(_int, column))
    members = p.parsed["family_members"] = p.texts("family_members").map(_names)
    p.parsed["has_overseas_family"] = _pair(members, p.parsed["family_size"]).map(_overseas)
    p.parsed["cited_publications"] = p.texts("cited").map(_names)
    p.parsed["citing_publications"] = p.texts("citing").map(_names)


def _overseas(pair: tuple[tuple[str, ...], int | None]) -> bool | None:
    return overseas_family(*pair)


def _parse_parties(p: _Parsed) -> None:
    applicants = p.parsed["applicant_names"] = p.texts("applicants").map(_names)
    placed = _pair(applicants, p.cells("address").map(_address))
    p.parsed["first_applicant_address"] = placed.map(_first_address)
    regions = _pair(placed, _encode_arrow(p.arrays["country"])).map(_region_of)
    for k, field in enumerate(REGION_FIELDS):
        p.parsed[field] = regions.part(k)
    p.parsed["inventor_names"] = p.texts("inventors").map(_inventors)
    p.parsed["agency_names"] = p.texts("agencies").map(_agencies)


def _first_address(pair: tuple[tuple[str, ...], str | None]) -> str | None:
    names, address = pair
    return address if names else None


def _parse_status(p: _Parsed) -> None:
    statuses = _pair(p.texts("status_text"), p.texts("validity")).map(_status_of)
    p.parsed["status"] = statuses.part(0)
    p.parsed["status_text"] = statuses.part(1)
    p.parsed["legal_events"] = p.cells("legal_events").map(_events_of)


def _events_of(cell: Any) -> list[dict[str, Any]]:
    return [{"event_date": date, "code": code, "description": text}
            for date, code, text in (legal_events(str(cell)) if cell else ())]


def _chunk(p: _Parsed, rejections: list[RowResult]) -> Chunk:
    arrays = []
    for field in STATE_SCHEMA:
        if field.name == "publications":
            arrays.append(_publications(p))
        elif field.name == "extra":
            arrays.append(pa.nulls(p.n, pa.string()))
        elif field.name in p.arrays:
            arrays.append(p.arrays[field.name])
        else:
            arrays.append(p.parsed[field.name].arrow(field.type))
    states = pa.Table.from_arrays(arrays, schema=STATE_SCHEMA)
    numbers = list(p.numbers)
    derived_numbers = p.derived_numbers
    from_publication = p.arrays.get("_derived_grant")
    if p.errors:
        for i, error in sorted(p.errors.items()):
            rejections.append(RowResult(p.numbers[i], p.ctx.raw(p.row_cells(i)),
                                        Rejection(error.field, error.reason), p.ctx.sheet))
        keep = pa.array([i not in p.errors for i in range(p.n)], pa.bool_())
        states = states.filter(keep)
        numbers = [number for i, number in enumerate(numbers) if i not in p.errors]
        derived_numbers = [d for i, d in enumerate(derived_numbers) if i not in p.errors]
        if from_publication is not None:
            from_publication = pc.filter(from_publication, keep)
    rejections.sort(key=lambda r: r.row)
    derived = Counter(d for d in derived_numbers if d)
    if from_publication is not None:
        derived["grant_date_from_grant_publication"] += pc.sum(from_publication.cast(pa.int64())).as_py() or 0
    return Chunk(states, numbers, rejections, +derived)


def _publications(p: _Parsed) -> pa.Array:
    """Each row's publication as a list of one (none without a number)."""
    number = p.arrays["publication_number"]
    present = pc.is_valid(number)
    fields = [pc.filter(number, present), pc.filter(p.arrays["publication_kind"], present),
              pc.filter(p.arrays["publication_date"], present)]
    struct = pa.StructArray.from_arrays(fields, fields=list(PUBLICATION))
    offsets = pc.cumulative_sum(present.cast(pa.int32()))
    return pa.ListArray.from_arrays(pa.concat_arrays([pa.array([0], pa.int32()), offsets]), struct)
