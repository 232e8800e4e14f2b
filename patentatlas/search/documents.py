"""Index documents from the store's patent rows: plain dicts, so worker processes can build them."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Any

import duckdb

from patentatlas.search.text import han_bigrams, zh_names, zh_segmented

# the store's columns a document is built from, in this order
_ROW_SQL = """
SELECT application_number, title_zh, title_en, abstract_zh, abstract_en, main_claim, applicant_names,
       inventor_names, ipc_codes, ipc_main, [p.publication_number FOR p IN coalesce(publications, [])],
       publication_number, filing_date, publication_date, grant_date, patent_type, status,
       first_applicant_province_code, first_applicant_city_code, first_applicant_county_code, sei_codes,
       forward_citation_count, {value} AS value, {facts} AS facts
FROM patents {join}
"""
# what a document holds that changes without an import (placements, value scores, industries), as one
# number: a document whose number differs from the store's is indexed again. The rest changes only
# with an import, whose batch the index catches up with; the fewer columns, the cheaper the look
# (about 1 s over a million patents)
FACTS_SQL = """hash(status, first_applicant_province_code, first_applicant_city_code, first_applicant_county_code,
  sei_codes, forward_citation_count, {value})"""
# the value score (issue 13) at the precision the pages show: a change they would not show is none
_VALUE = "round(v.score, 2)"
# one row a patent: refresh_values replaces them all at once (a plain join lets a scoped look, the few
# patents a sync indexes again, read only theirs)
_VALUES = ("LEFT JOIN (SELECT application_number AS value_of, score FROM patent_values) v "
           "ON v.value_of = patents.application_number")


def _value_parts(conn: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    has_values = conn.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'patent_values'").fetchall()
    return (_VALUE, _VALUES) if has_values[0][0] else ("NULL", "")


def row_sql(conn: duckdb.DuckDBPyConnection) -> str:
    """The rows' query, each row ending with its facts (``FACTS_SQL``)."""
    value, join = _value_parts(conn)
    return _ROW_SQL.format(value=value, join=join, facts=FACTS_SQL.format(value=value))


def facts_sql(conn: duckdb.DuckDBPyConnection) -> str:
    """Each patent's number, last import batch and facts, as the documents would hold them now."""
    value, join = _value_parts(conn)
    return (f"SELECT application_number, last_batch_id, {FACTS_SQL.format(value=value)} AS facts "
            f"FROM patents {join}")


_IPC = re.compile(r"^([A-H])(\d\d)([A-Z])(\d{1,4})/(\d{1,6})$")


@lru_cache(maxsize=100_000)
def ipc_terms(code: str | None) -> tuple[str, ...]:
    """The code and each level above it (section, class, subclass, main group ``G06F3/``), so that
    ``ipc:G06F`` and ``ipc:G06F3`` are single terms.

    >>> ipc_terms("G06F 3/01")
    ('G', 'G06', 'G06F', 'G06F3/', 'G06F3/01')
    """
    text = re.sub(r"\s+", "", code or "").upper()
    match = _IPC.match(text)
    if not match:
        return (text,) if text else ()
    sec, cls, sub, group, _ = match.groups()
    return (sec, sec + cls, sec + cls + sub, f"{sec}{cls}{sub}{int(group)}/", f"{sec}{cls}{sub}{int(group)}/{_}")


def number_terms(application_number: str, publications: list[str]) -> list[str]:
    """Every written form a number is looked up by: ``CN202010302257.8``, ``202010302257``,
    ``CN110750616B``, ``CN110750616``."""
    terms = {application_number.upper()}
    digits = application_number.removeprefix("CN").split(".")[0]
    if digits.isdigit():
        terms.add(digits)
    for pn in publications:
        if pn:
            pn = pn.upper().replace(" ", "")
            terms.add(pn)
            terms.add(re.sub(r"[A-Z]\d?$", "", pn))
    return sorted(terms)


def _when(value: dt.date | None) -> dt.datetime | None:
    return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC) if value else None


def document_of(row: tuple[Any, ...]) -> dict[str, Any]:
    """One patent row (``ROW_SQL``'s columns) as the index's fields; Chinese text segmented here."""
    (an, title_zh, title_en, abs_zh, abs_en, claim, applicants, inventors, ipcs, ipc_main, pns, pn, filed,
     published, granted, ptype, status, prov, city, county, sei, cited_by, value, _facts) = row
    applicants, inventors = applicants or [], inventors or []
    ipc_all = {t for code in [ipc_main, *(ipcs or [])] for t in ipc_terms(code)}
    main = ipc_terms(ipc_main)
    doc: dict[str, Any] = {
        "an": [an],
        "num": number_terms(an, [*(pns or []), pn]),
        "title": [zh_segmented(title_zh or title_en)],
        "title_bg": [" ".join(han_bigrams(title_zh))],
        "title_en": [title_en or ""],
        "abstract": [zh_segmented(abs_zh)],
        "abstract_en": [abs_en or ""],
        "claims": [zh_segmented(claim)],
        "applicant": [zh_names(applicants)],
        "inventor": [zh_names(inventors)],
        "ipc": sorted(ipc_all),
        "ipc_class": [main[2] if len(main) > 2 else (main[0] if main else "")],
        "first_applicant": [applicants[0] if applicants else ""],
        "type": [ptype or ""],
        "status": [status or ""],
        "province": [prov or ""],
        "region": [c for c in (prov, city, county) if c],
        "sei": sorted({c for code in sei or [] for c in _sei_levels(code)}),
        "filed_year": [filed.year if filed else 0],
        "cited_by": [int(cited_by or 0)],
        "value": [float(value) if value is not None else -1.0],  # the value score (issue 13); -1: none
        # shown in hits without a trip to the store
        "show_title": [(title_zh or title_en or "").encode()],
        "show_title_en": [(title_en or "").encode()],
        "show_abstract": [(abs_zh or abs_en or "").encode()],
        "show_applicants": ["; ".join(applicants).encode()],
    }
    for name, value in (("filed", filed), ("published", published), ("granted", granted)):
        if value:
            doc[name] = [_when(value)]
    return doc


def _sei_levels(code: str) -> list[str]:
    """``1.2.3`` → ``1``, ``1.2``, ``1.2.3``: an industry filter takes any level."""
    parts = code.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def documents_of(rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    return [document_of(r) for r in rows]
