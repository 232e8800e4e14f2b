"""Lens.org exports (CSV): one row per publication, lists joined with ``;;``, dates ``dd/mm/yy``.

>>> is_lens_header(["lens_id", "jurisdiction", "application_number"])
True
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from patentatlas.errors import FieldError
from patentatlas.i18n import message
from patentatlas.importers.records import Party, PatentRecord, Rejection, RowResult
from patentatlas.importers.tabular import Table
from patentatlas.normalize import ipc as ipc_norm
from patentatlas.normalize.appno import TYPE_BY_DIGIT, normalize_application_number
from patentatlas.normalize.dates import date_order_problem, parse_date
from patentatlas.normalize.kinds import GRANT_KINDS

LENS_COLUMNS = {
    "application_number": "application_number",
    "publication_number": "publication_number",
    "publication_date": "publication_date",
    "filing_date": "application_date",
    "jurisdiction": "jurisdiction",
    "kind": "kind",
    "title": "title",
    "applicants": "applicants",
    "inventors": "inventors",
    "type": "type",
    "forward_citations": "cited_count",
    "family_size": "simple_family_size",
    "priority_numbers": "priority_numbers",
    "cpc": "cpc_classifications",
    "ipc": "ipcr_classifications",
    "lens_id": "lens_id",
    "npl": "npl_citation_ids",
}
_PRIORITY_DATE = re.compile(r"(\d{8})\s*$")


def is_lens_header(headers: list[str]) -> bool:
    """A Lens.org export names its columns in English with a ``lens_id``."""
    names = {h.strip().lower() for h in headers}
    return {"lens_id", "jurisdiction", "application_number"} <= names


def lens_columns(headers: list[str]) -> dict[str, int]:
    """Our Lens field → column index."""
    index = {h.strip().lower(): i for i, h in enumerate(headers)}
    return {field: index[col] for field, col in LENS_COLUMNS.items() if col in index}



def _count(text: str, column: str) -> int | None:
    """A count cell: empty or not digits gives None; a number too large for a count is an error."""
    if not text.isdigit():
        return None
    if len(text) > 9:
        raise FieldError(column, message("err_count_too_large", value=f"{text[:20]}{'…' if len(text) > 20 else ''}"))
    return int(text)


def _split(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(p.strip() for p in text.split(";;") if p.strip()))


def _priority_date(text: str) -> object:
    dates = [m.group(1) for p in _split(text) if (m := _PRIORITY_DATE.search(p))]
    return parse_date(min(dates), "priority_numbers") if dates else None


def build_lens_record(values: dict[str, str]) -> PatentRecord:
    """The record for one Lens row; FieldError naming the Lens column when invalid."""
    # a PCT application (``CN 2014095917 W``) is recognised by the number's own rules
    number = normalize_application_number(values.get("application_number", ""), "application_number")
    filing = parse_date(values.get("filing_date", ""), "application_date", day_first_short=True)
    published = parse_date(values.get("publication_date", ""), "publication_date", day_first_short=True)
    kind = (values.get("kind", "") or "")[:1] or None
    jurisdiction = values.get("jurisdiction", "")
    granted = values.get("type", "") == "Granted Patent" or (jurisdiction != "WO" and kind in GRANT_KINDS)
    ipc_codes = ipc_norm.ipc_codes(values.get("ipc", "").replace(";;", ";"), "ipcr_classifications")
    forward = values.get("forward_citations", "")
    family = values.get("family_size", "")
    record = PatentRecord(
        application_number=number.number,
        country=number.country,
        patent_type=TYPE_BY_DIGIT.get(number.type_digit or "", "invention"),
        filing_date=filing,
        publication_number=re.sub(r"\s+", "", values.get("publication_number", "")) or None,
        publication_kind=kind,
        publication_date=published,
        grant_date=published if granted else None,
        priority_date=_priority_date(values.get("priority_numbers", "")),  # type: ignore[arg-type]
        title_en=values.get("title", "") or None,
        ipc_main=ipc_codes[0] if ipc_codes else None,
        ipc_codes=ipc_codes,
        cpc_codes=ipc_norm.split_codes(values.get("cpc", "").replace(";;", ";"), "cpc_classifications"),
        family_size=_count(family, "simple_family_size"),
        forward_citation_count=_count(forward, "cited_count"),
        applicants=tuple(Party(n) for n in _split(values.get("applicants", ""))),
        inventors=_split(values.get("inventors", "")),
        derived=(number.derived,) if number.derived else (),
        extra={"lens_id": values.get("lens_id", ""), "lens_type": values.get("type", ""),
               "npl_citation_count": len(_split(values.get("npl", "")))},
    )
    problem = date_order_problem(filing, record.publication_date, record.grant_date)
    if problem:
        raise FieldError("application_date", problem)
    return record


def lens_results(table: Table) -> Iterator[RowResult]:
    """One result per row of a Lens table."""
    columns = lens_columns(table.headers)
    for row in table.rows:
        if row.problem:
            yield RowResult(row.row, _raw(table.headers, row.cells), Rejection("(row)", row.problem), table.sheet)
            continue
        values = {f: str(row.cells[i]).strip() if i < len(row.cells) else "" for f, i in columns.items()}
        try:
            yield RowResult(row.row, {}, build_lens_record(values), table.sheet)
        except FieldError as exc:
            yield RowResult(row.row, _raw(table.headers, row.cells), Rejection(exc.field, exc.reason), table.sheet)


def _raw(headers: list[str], cells: list[Any]) -> dict[str, Any]:
    """A rejected row's cells by header, cells beyond the header kept under their position."""
    raw: dict[str, Any] = dict(zip(headers, cells, strict=False))
    for index in range(len(headers), len(cells)):
        raw[f"(column {index + 1})"] = cells[index]
    return raw
