"""What importers yield: one :class:`PatentRecord` per good row, one :class:`Rejection` per bad one.

Every row an importer reads comes out as exactly one :class:`RowResult`, so the counts add up:
``read = loaded + updated + unchanged + quarantined``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Party:
    """An applicant / patent holder as the source wrote it, with what the source says of it."""

    name: str
    address: str | None = None
    country: str | None = None  # ISO 3166 alpha-2 where the source states it (USPTO addresses)


@dataclass(frozen=True, slots=True)
class LegalEvent:
    """One dated legal event as the source lists it (CNIPA 法律状态 entries)."""

    date: dt.date
    code: str  # the event's short name, e.g. 实质审查的生效
    text: str  # the whole entry as written


@dataclass(slots=True)
class PatentRecord:
    """One application as read from one row or document, already normalised."""

    application_number: str  # canonical: CN202010302257.8, or a foreign number as written
    country: str  # office of the application: CN, US, JP, TW ...
    patent_type: str | None  # invention / utility_model / design
    filing_date: dt.date | None
    publication_number: str | None = None
    publication_kind: str | None = None  # A, B, U, S (C, Y, D before 2010)
    publication_date: dt.date | None = None
    grant_date: dt.date | None = None
    priority_date: dt.date | None = None
    title_zh: str | None = None
    title_en: str | None = None
    abstract_zh: str | None = None
    abstract_en: str | None = None
    main_claim: str | None = None
    ipc_main: str | None = None
    ipc_codes: tuple[str, ...] = ()
    cpc_codes: tuple[str, ...] = ()
    claim_count: int | None = None
    family_size: int | None = None
    family_members: tuple[str, ...] = ()
    backward_citation_count: int | None = None  # documents this patent cites (引用)
    forward_citation_count: int | None = None  # documents citing this patent (被引用)
    cited_publications: tuple[str, ...] = ()
    citing_publications: tuple[str, ...] = ()
    status_text: str | None = None  # the source's own words (当前法律状态 / 法律状态)
    status: str | None = None  # pending / in_force / lapsed, or None when not judged
    applicants: tuple[Party, ...] = ()
    inventors: tuple[str, ...] = ()
    agencies: tuple[str, ...] = ()
    legal_events: tuple[LegalEvent, ...] = ()
    source_nic_codes: tuple[str, ...] = ()  # labels the export carries (incoPat 国民经济分类)
    source_sei_labels: tuple[str, ...] = ()  # incoPat 新兴产业分类, e.g. "6.5 (智能电网产业)"
    extra: dict[str, Any] = field(default_factory=dict)  # source fields with no column yet
    derived: tuple[str, ...] = ()  # values reached by a rule, not read (importers.coverage.DERIVED)


@dataclass(frozen=True, slots=True)
class Rejection:
    """A row that cannot be loaded: it goes to quarantine with its reason (a :class:`~patentatlas.i18n.Message`:
    the store keeps its msgid, a page says it in its language; plain text still works)."""

    field: str
    reason: str


@dataclass(frozen=True, slots=True)
class RowResult:
    """One row read: where it was (sheet and row as a person would find them), either the record
    or the reason it was rejected, and — for a rejected row — its raw cells by header."""

    row: int
    raw: dict[str, Any]
    outcome: PatentRecord | Rejection
    sheet: str | None = None
