"""From one table row (canonical field → cell) to a :class:`PatentRecord`.

Shared by the incoPat, Patentics and generic importers: they differ only in which headers name
which field. Every error names the column as the file names it. Cells repeat a lot across rows
(dates, IPC lists, applicants, statuses), so each cell-level parse is cached on its text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from patentatlas.errors import FieldError
from patentatlas.importers.records import LegalEvent, Party, PatentRecord
from patentatlas.normalize import ipc as ipc_norm
from patentatlas.normalize.appno import TYPE_BY_DIGIT, normalize_application_number
from patentatlas.normalize.dates import parse_date
from patentatlas.normalize.kinds import GRANT_KINDS, patent_type_from_text, publication_kind
from patentatlas.normalize.names import clean_text, split_names
from patentatlas.normalize.status import status_family

Values = dict[str, Any]  # canonical field → cleaned cell (str, or a date from a workbook)
Columns = dict[str, str]  # canonical field → the header that names it in this file
RecordBuilder = Callable[[Values, Columns], PatentRecord]

_NONE_WORDS = {"", "0", "-", "--", "无", "nan", "None"}
_EVENT = re.compile(r"^(?:\d+\s+)?(\d{4}\.\d{2}\.\d{2})\s+(\S+)")
_SEI_SPLIT = re.compile(r",\s*(?=\d)")
_NIC_SPLIT = re.compile(r"[;；,\s]+")
_CJK = re.compile(r"[\u3400-\u9fff]")
_AGENCY_CODE = re.compile(r"\d{4,6}$")
_HIDDEN_INVENTOR = {"不公告发明人", "请求不公布姓名"}
_CACHE = 1 << 16


def row_values(cells: list[Any], columns: dict[str, int]) -> Values:
    """The cells of one row by canonical field, cleaned of whitespace and Excel artefacts."""
    width = len(cells)
    values: Values = {}
    for field, index in columns.items():
        cell = cells[index] if index < width else ""
        values[field] = clean_text(cell) if isinstance(cell, str) else ("" if cell is None else cell)
    return values


@lru_cache(maxsize=_CACHE)
def _int(text: str, column: str) -> int | None:
    if text == "":
        return None
    try:
        number = float(text)
    except ValueError:
        raise FieldError(column, f"{text!r} is not a number") from None
    if not number.is_integer() or number < 0:
        raise FieldError(column, f"{text!r} is not a whole number ≥ 0")
    return int(number)


@lru_cache(maxsize=_CACHE)
def _names(text: str) -> tuple[str, ...]:
    return () if text in _NONE_WORDS else split_names(text)


@lru_cache(maxsize=_CACHE)
def _inventors(text: str) -> tuple[str, ...]:
    return tuple(n for n in _names(text) if n not in _HIDDEN_INVENTOR)


@lru_cache(maxsize=_CACHE)
def _agencies(text: str) -> tuple[str, ...]:
    return tuple(_AGENCY_CODE.sub("", n).strip() for n in _names(text))


@lru_cache(maxsize=_CACHE)
def _parties(text: str, address: str) -> tuple[Party, ...]:
    return tuple(Party(n, address or None if i == 0 else None) for i, n in enumerate(_names(text)))


@lru_cache(maxsize=_CACHE)
def _nic(text: str) -> tuple[str, ...]:
    return tuple(c for c in _NIC_SPLIT.split(text) if c)


@lru_cache(maxsize=_CACHE)
def _sei(text: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in _SEI_SPLIT.split(text) if s.strip())


@lru_cache(maxsize=_CACHE)
def _titles(zh: str, en: str) -> tuple[str | None, str | None]:
    if zh and not en and not _CJK.search(zh):
        return None, zh
    return zh or None, en or None


@lru_cache(maxsize=_CACHE)
def _status(text: str, validity: str) -> tuple[str | None, str | None]:
    return text or None, status_family(validity) or status_family(text)


def legal_events(text: str) -> tuple[LegalEvent, ...]:
    """Patentics 法律描述: blank-line separated entries, each starting ``2021.09.21 code ...``."""
    if not text:
        return ()
    events = []
    for chunk in re.split(r"\n\s*\n", text.strip()):
        match = _EVENT.match(chunk.strip())
        if match:
            date = parse_date(match.group(1), "法律描述")
            if date:
                events.append(LegalEvent(date, match.group(2), chunk.strip()))
    return tuple(events)


def _patent_type(values: Values, type_digit: str | None) -> str | None:
    if type_digit:
        return TYPE_BY_DIGIT[type_digit]
    return patent_type_from_text(values.get("patent_type")) or patent_type_from_text(
        values.get("publication_type")
    )


def build_record(values: Values, columns: Columns) -> PatentRecord:
    """The record for one row; FieldError (naming the column) when a value is invalid."""
    get = values.get
    column = columns.get
    number = normalize_application_number(get("application_number", ""), column("application_number", "申请号"))
    filing_date = parse_date(get("filing_date"), column("filing_date", "申请日"))
    if filing_date is None:
        raise FieldError(column("filing_date", "申请日"), "filing date is missing")
    publication_number = get("publication_number") or None
    kind = publication_kind(publication_number)
    publication_date = parse_date(get("publication_date"), column("publication_date", ""))
    grant_date = parse_date(get("grant_date"), column("grant_date", ""))
    if grant_date is None and kind in GRANT_KINDS:
        grant_date = publication_date  # a grant publication's date is its grant announcement
    ipc_codes = ipc_norm.split_codes(get("ipc", ""), column("ipc", "IPC"))
    title_zh, title_en = _titles(get("title_zh", ""), get("title_en", ""))
    status_text, status = _status(get("status_text", ""), get("validity", ""))
    record = PatentRecord(
        application_number=number.number,
        country=number.country,
        patent_type=_patent_type(values, number.type_digit),
        filing_date=filing_date,
        publication_number=publication_number,
        publication_kind=kind,
        publication_date=publication_date,
        grant_date=grant_date,
        priority_date=parse_date(get("priority_date"), column("priority_date", "")),
        title_zh=title_zh,
        title_en=title_en,
        abstract_zh=get("abstract_zh") or None,
        abstract_en=get("abstract_en") or None,
        main_claim=get("main_claim") or None,
        ipc_main=ipc_norm.main_code(get("ipc_main"), ipc_codes, column("ipc_main", "")),
        ipc_codes=ipc_codes,
        cpc_codes=ipc_norm.split_codes(get("cpc", ""), column("cpc", "CPC")),
        claim_count=_int(get("claim_count", ""), column("claim_count", "")),
        family_size=_int(get("family_size", ""), column("family_size", "")),
        family_members=_names(get("family_members", "")),
        backward_citation_count=_int(get("cited_count", ""), column("cited_count", "")),
        forward_citation_count=_int(get("citing_count", ""), column("citing_count", "")),
        cited_publications=_names(get("cited", "")),
        citing_publications=_names(get("citing", "")),
        status_text=status_text,
        status=status,
        applicants=_parties(get("applicants", ""), get("address", "")),
        inventors=_inventors(get("inventors", "")),
        agencies=_agencies(get("agencies", "")),
        legal_events=legal_events(get("legal_events", "")),
        source_nic_codes=_nic(get("nic", "")),
        source_sei_labels=_sei(get("sei", "")),
    )
    check_date_order(record, column("filing_date", "申请日"))
    return record


def check_date_order(record: PatentRecord, filing_column: str) -> None:
    """A filing date after the publication or grant date is a data error: reject the row."""
    filing = record.filing_date
    if filing is None:
        return
    for label, later in (("publication", record.publication_date), ("grant", record.grant_date)):
        if later is not None and later < filing:
            raise FieldError(filing_column, f"filing date {filing} is after the {label} date {later}")
