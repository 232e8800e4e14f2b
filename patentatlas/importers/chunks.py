"""What importers hand to the store: chunks of patent *states* as Arrow tables.

A state is one patents row (bookkeeping aside): the whole merged record of an application.
Tabular importers build a chunk's states column by column (fast: cells repeat, and each
distinct cell is parsed once); record-by-record importers (Lens, USPTO XML) build them from
:class:`PatentRecord` objects. Either way every row read is in the chunk: as a state, or as a
rejection.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from patentatlas.importers.records import PatentRecord, Rejection, RowResult
from patentatlas.normalize.kinds import kind_rank
from patentatlas.reference.regions import resolve_region
from patentatlas.reference.sei import industries_of

if TYPE_CHECKING:
    from patentatlas.importers.parties import ChunkParties

_STRINGS = pa.list_(pa.string())
PUBLICATION = pa.struct([("publication_number", pa.string()), ("kind", pa.string()),
                         ("publication_date", pa.date32())])
LEGAL_EVENT = pa.struct([("event_date", pa.date32()), ("code", pa.string()), ("description", pa.string())])

# the patents table's columns, bookkeeping aside, with their Arrow types (a test checks the
# store's DDL agrees)
STATE_SCHEMA = pa.schema([
    ("application_number", pa.string()), ("country", pa.string()), ("patent_type", pa.string()),
    ("filing_date", pa.date32()), ("publication_number", pa.string()), ("publication_kind", pa.string()),
    ("publication_date", pa.date32()), ("grant_date", pa.date32()), ("priority_date", pa.date32()),
    ("title_zh", pa.string()), ("title_en", pa.string()), ("abstract_zh", pa.string()),
    ("abstract_en", pa.string()), ("main_claim", pa.string()), ("ipc_main", pa.string()),
    ("ipc_codes", _STRINGS), ("cpc_codes", _STRINGS), ("claim_count", pa.int32()),
    ("family_size", pa.int32()), ("family_members", _STRINGS), ("has_overseas_family", pa.bool_()),
    ("backward_citation_count", pa.int32()), ("forward_citation_count", pa.int32()),
    ("status", pa.string()), ("status_text", pa.string()), ("source_nic_codes", _STRINGS),
    ("source_sei_labels", _STRINGS), ("publications", pa.list_(PUBLICATION)),
    ("legal_events", pa.list_(LEGAL_EVENT)), ("cited_publications", _STRINGS),
    ("citing_publications", _STRINGS), ("applicant_names", _STRINGS),
    ("first_applicant_address", pa.string()), ("inventor_names", _STRINGS), ("agency_names", _STRINGS),
    ("first_applicant_region_code", pa.string()), ("first_applicant_province_code", pa.string()),
    ("first_applicant_city_code", pa.string()), ("first_applicant_county_code", pa.string()),
    ("first_applicant_country", pa.string()), ("extra", pa.string()), ("biblio_rank", pa.int32()),
    ("sei_codes", _STRINGS), ("sei_judged", pa.bool_()), ("sei_basis", pa.string()),
])
# derived from the IPC codes (GB/T 4754 codes follow from sei_codes); sei_basis says from what
INDUSTRY_FIELDS = ("sei_codes", "sei_judged", "sei_basis")
REGION_FIELDS = ("first_applicant_region_code", "first_applicant_province_code", "first_applicant_city_code",
                 "first_applicant_county_code", "first_applicant_country")

State = dict[str, Any]


@dataclass
class Chunk:
    """Some rows of a file: their states (one per good row, in file order), the spreadsheet row
    number of each state, and the rejected rows."""

    states: pa.Table
    rows: list[int]
    rejections: list[RowResult] = field(default_factory=list)
    derived: Counter[str] = field(default_factory=Counter)  # values derived, by how (importers.coverage)
    parties: ChunkParties | None = None  # the states' parties, when the helper reading the file worked them out

    @property
    def read(self) -> int:
        return self.states.num_rows + len(self.rejections)


def states_table(states: list[State]) -> pa.Table:
    """An Arrow table of states (dicts) in :data:`STATE_SCHEMA`."""
    return pa.Table.from_arrays(
        [pa.array([s[f.name] for s in states], type=f.type) for f in STATE_SCHEMA], schema=STATE_SCHEMA
    )


def chunks_from_results(results: Iterator[RowResult], size: int) -> Iterator[Chunk]:
    """Chunks from an importer that yields one :class:`RowResult` per row."""
    states: list[State] = []
    rows: list[int] = []
    rejections: list[RowResult] = []
    derived: Counter[str] = Counter()
    for result in results:
        if isinstance(result.outcome, Rejection):
            rejections.append(result)
        else:
            states.append(record_state(result.outcome))
            rows.append(result.row)
            derived.update(result.outcome.derived)
        if len(states) + len(rejections) >= size:
            yield Chunk(states_table(states), rows, rejections, derived)
            states, rows, rejections, derived = [], [], [], Counter()
    if states or rejections:
        yield Chunk(states_table(states), rows, rejections, derived)


def overseas_family(members: tuple[str, ...] | list[str], size: int | None) -> bool | None:
    """Whether a family member was filed outside China; None where the source does not say."""
    if members:
        return any(not m.upper().startswith("CN") for m in members)
    return False if size == 0 else None


def industry_state(ipc_codes: tuple[str, ...] | list[str] | None, ipc_main: str | None = None,
                   source_sei_labels: tuple[str, ...] | list[str] | None = ()) -> State:
    """The industry fields (:data:`INDUSTRY_FIELDS`) a patent gets: see :func:`industries_of`."""
    sei, judged, basis = industries_of(tuple(ipc_codes or ()), ipc_main, tuple(source_sei_labels or ()))
    return {"sei_codes": list(sei), "sei_judged": judged, "sei_basis": basis}


@lru_cache(maxsize=1 << 16)
def first_applicant_region(
    name: str | None, address: str | None, country: str | None, office: str | None
) -> tuple[Any, ...]:
    """The five first-applicant region fields (see :data:`REGION_FIELDS`) for one applicant."""
    if not name:
        return (None,) * 5
    match = resolve_region(name, address, country, office)
    return (match.region_code, match.province_code, match.city_code, match.county_code, match.country)


def record_state(record: PatentRecord) -> State:
    """The state one record alone would store."""
    applicants = record.applicants
    first = applicants[0] if applicants else None
    state: State = {
        "application_number": record.application_number, "country": record.country,
        "patent_type": record.patent_type, "filing_date": record.filing_date,
        "publication_number": record.publication_number, "publication_kind": record.publication_kind,
        "publication_date": record.publication_date, "grant_date": record.grant_date,
        "priority_date": record.priority_date, "title_zh": record.title_zh, "title_en": record.title_en,
        "abstract_zh": record.abstract_zh, "abstract_en": record.abstract_en, "main_claim": record.main_claim,
        "ipc_main": record.ipc_main, "ipc_codes": list(record.ipc_codes), "cpc_codes": list(record.cpc_codes),
        "claim_count": record.claim_count, "family_size": record.family_size,
        "family_members": list(record.family_members),
        "has_overseas_family": overseas_family(record.family_members, record.family_size),
        "backward_citation_count": record.backward_citation_count,
        "forward_citation_count": record.forward_citation_count,
        "status": record.status, "status_text": record.status_text,
        "source_nic_codes": list(record.source_nic_codes), "source_sei_labels": list(record.source_sei_labels),
        "publications": [{"publication_number": record.publication_number, "kind": record.publication_kind,
                          "publication_date": record.publication_date}] if record.publication_number else [],
        "legal_events": [{"event_date": e.date, "code": e.code, "description": e.text}
                         for e in record.legal_events],
        "cited_publications": list(record.cited_publications),
        "citing_publications": list(record.citing_publications),
        "applicant_names": [p.name for p in applicants],
        "first_applicant_address": first.address if first else None,
        "inventor_names": list(record.inventors), "agency_names": list(record.agencies),
        "extra": json.dumps(record.extra, ensure_ascii=False, sort_keys=True, default=str) if record.extra else None,
        "biblio_rank": kind_rank(record.publication_kind),
    }
    region = (first_applicant_region(first.name, first.address, first.country, record.country) if first
              else (None,) * 5)
    state.update(zip(REGION_FIELDS, region, strict=True))
    state.update(industry_state(record.ipc_codes, record.ipc_main, record.source_sei_labels))
    return state
