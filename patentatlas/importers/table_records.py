"""From one table row (canonical field → cell) to a :class:`PatentRecord`.

Shared by the incoPat, Patentics and generic importers: they differ only in which headers name
which field. Every error names the column as the file names it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from patentatlas.errors import FieldError
from patentatlas.importers.records import LegalEvent, Party, PatentRecord
from patentatlas.normalize import ipc as ipc_norm
from patentatlas.normalize.appno import TYPE_BY_DIGIT, normalize_application_number
from patentatlas.normalize.dates import parse_date
from patentatlas.normalize.kinds import GRANT_KINDS, patent_type_from_text, publication_kind
from patentatlas.normalize.names import clean_text, split_names
from patentatlas.normalize.status import status_family

_NONE_WORDS = {"", "0", "-", "--", "无", "nan", "None"}
_EVENT = re.compile(r"^(?:\d+\s+)?(\d{4}\.\d{2}\.\d{2})\s+(\S+)")
_SEI_SPLIT = re.compile(r",\s*(?=\d)")
_CJK = re.compile(r"[\u3400-\u9fff]")
_AGENCY_CODE = re.compile(r"\d{4,6}$")
_HIDDEN_INVENTOR = {"不公告发明人", "请求不公布姓名"}


class RowValues:
    """The cells of one row by canonical field, remembering each field's own column name."""

    def __init__(self, cells: list[Any], columns: dict[str, int], headers: list[str]) -> None:
        self._cells = cells
        self._columns = columns
        self._headers = headers

    def text(self, field: str) -> str:
        index = self._columns.get(field)
        if index is None or index >= len(self._cells):
            return ""
        value = self._cells[index]
        return clean_text(value) if isinstance(value, str) else ("" if value is None else value)

    def raw(self, field: str) -> Any:
        index = self._columns.get(field)
        return self._cells[index] if index is not None and index < len(self._cells) else None

    def column(self, field: str) -> str:
        index = self._columns.get(field)
        return self._headers[index] if index is not None else field


def _int(values: RowValues, field: str) -> int | None:
    text = values.text(field)
    if text in ("", None):
        return None
    try:
        number = float(text)
    except (TypeError, ValueError):
        raise FieldError(values.column(field), f"{text!r} is not a number") from None
    if not number.is_integer() or number < 0:
        raise FieldError(values.column(field), f"{text!r} is not a whole number ≥ 0")
    return int(number)


def _date(values: RowValues, field: str) -> dt.date | None:
    return parse_date(values.raw(field), values.column(field))


def _list(values: RowValues, field: str) -> tuple[str, ...]:
    text = values.text(field)
    if str(text).strip() in _NONE_WORDS:
        return ()
    return split_names(str(text))


def _codes(values: RowValues, field: str) -> tuple[str, ...]:
    return ipc_norm.split_codes(str(values.text(field)), values.column(field))


def legal_events(text: str) -> tuple[LegalEvent, ...]:
    """Patentics 法律描述: blank-line separated entries, each starting ``2021.09.21 code ...``."""
    events = []
    for chunk in re.split(r"\n\s*\n", text.strip()):
        match = _EVENT.match(chunk.strip())
        if match:
            date = parse_date(match.group(1), "法律描述")
            if date:
                events.append(LegalEvent(date, match.group(2), chunk.strip()))
    return tuple(events)


def _titles(values: RowValues) -> tuple[str | None, str | None]:
    zh, en = values.text("title_zh") or None, values.text("title_en") or None
    if zh and not _CJK.search(zh) and not en:
        zh, en = None, zh
    return zh, en


def _status(values: RowValues) -> tuple[str | None, str | None]:
    text = values.text("status_text") or None
    validity = values.text("validity")
    return text, status_family(validity) or status_family(text)


def _patent_type(values: RowValues, type_digit: str | None) -> str | None:
    if type_digit:
        return TYPE_BY_DIGIT[type_digit]
    return patent_type_from_text(values.text("patent_type")) or patent_type_from_text(
        values.text("publication_type")
    )


def _parties(values: RowValues) -> tuple[Party, ...]:
    names = _list(values, "applicants")
    address = values.text("address") or None
    return tuple(Party(n, address if i == 0 else None) for i, n in enumerate(names))


def _agencies(values: RowValues) -> tuple[str, ...]:
    return tuple(_AGENCY_CODE.sub("", n).strip() for n in _list(values, "agencies"))


def build_record(values: RowValues) -> PatentRecord:
    """The record for one row; FieldError (naming the column) when a value is invalid."""
    number = normalize_application_number(
        values.raw("application_number") or "", values.column("application_number")
    )
    filing_date = _date(values, "filing_date")
    if filing_date is None:
        raise FieldError(values.column("filing_date"), "filing date is missing")
    publication_number = values.text("publication_number") or None
    kind = publication_kind(publication_number)
    publication_date = _date(values, "publication_date")
    grant_date = _date(values, "grant_date")
    if grant_date is None and kind in GRANT_KINDS:
        grant_date = publication_date  # a grant publication's date is its grant announcement
    ipc_codes = _codes(values, "ipc")
    title_zh, title_en = _titles(values)
    status_text, status = _status(values)
    record = PatentRecord(
        application_number=number.number,
        country=number.country,
        patent_type=_patent_type(values, number.type_digit),
        filing_date=filing_date,
        publication_number=publication_number,
        publication_kind=kind,
        publication_date=publication_date,
        grant_date=grant_date,
        priority_date=_date(values, "priority_date"),
        title_zh=title_zh,
        title_en=title_en,
        abstract_zh=values.text("abstract_zh") or None,
        abstract_en=values.text("abstract_en") or None,
        main_claim=values.text("main_claim") or None,
        ipc_main=ipc_norm.main_code(values.text("ipc_main"), ipc_codes, values.column("ipc_main")),
        ipc_codes=ipc_codes,
        cpc_codes=_codes(values, "cpc"),
        claim_count=_int(values, "claim_count"),
        family_size=_int(values, "family_size"),
        family_members=_list(values, "family_members"),
        backward_citation_count=_int(values, "cited_count"),
        forward_citation_count=_int(values, "citing_count"),
        cited_publications=_list(values, "cited"),
        citing_publications=_list(values, "citing"),
        status_text=status_text,
        status=status,
        applicants=_parties(values),
        inventors=tuple(n for n in _list(values, "inventors") if n not in _HIDDEN_INVENTOR),
        agencies=_agencies(values),
        legal_events=legal_events(values.text("legal_events")),
        source_nic_codes=tuple(c for c in re.split(r"[;；,\s]+", values.text("nic")) if c),
        source_sei_labels=tuple(
            s.strip() for s in _SEI_SPLIT.split(values.text("sei")) if s.strip()
        ),
    )
    check_date_order(record, {"filing_date": values.column("filing_date")})
    return record


RecordBuilder = Callable[[RowValues], PatentRecord]


def check_date_order(record: PatentRecord, columns: dict[str, str]) -> None:
    """A filing date after the publication or grant date is a data error: reject the row."""
    filing = record.filing_date
    if filing is None:
        return
    column = columns.get("filing_date", "filing_date")
    for label, later in (("publication", record.publication_date), ("grant", record.grant_date)):
        if later is not None and later < filing:
            raise FieldError(column, f"filing date {filing} is after the {label} date {later}")
