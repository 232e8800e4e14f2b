"""A patent's stored state and how a newly read row merges into it.

Rows of one application (incoPat lists the A and the B publication as two rows; a newer export
repeats a patent) merge into one state. The merge does not depend on the order rows arrive in,
so importing the same file twice changes nothing:

- bibliographic fields come from the most authoritative publication — the highest
  (kind rank, publication date, publication number); a less authoritative row only fills gaps;
- the legal status is the latest one read (a newer export wins);
- publications and legal events are the union of all rows.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from patentatlas.importers.records import PatentRecord
from patentatlas.normalize.kinds import kind_rank
from patentatlas.reference.regions import resolve_region

State = dict[str, Any]

BIBLIO_FIELDS = (
    "patent_type", "publication_number", "publication_kind", "publication_date", "grant_date",
    "priority_date", "title_zh", "title_en", "abstract_zh", "abstract_en", "main_claim",
    "ipc_main", "ipc_codes", "cpc_codes", "claim_count", "family_size", "family_members",
    "has_overseas_family", "backward_citation_count", "forward_citation_count",
    "source_nic_codes", "source_sei_labels", "cited_publications", "citing_publications",
    "applicant_names", "first_applicant_address", "inventor_names", "agency_names",
    "first_applicant_region_code", "first_applicant_province_code", "first_applicant_city_code",
    "first_applicant_county_code", "first_applicant_country", "extra",
)
STATUS_FIELDS = ("status", "status_text")


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def overseas_family(record: PatentRecord) -> bool | None:
    """Whether a family member was filed outside China; None where the source does not say."""
    if record.family_members:
        return any(not m.upper().startswith("CN") for m in record.family_members)
    if record.family_size == 0:
        return False
    return None


_NO_REGION = {
    "first_applicant_region_code": None,
    "first_applicant_province_code": None,
    "first_applicant_city_code": None,
    "first_applicant_county_code": None,
    "first_applicant_country": None,
}


def _region_fields(record: PatentRecord) -> dict[str, Any]:
    if not record.applicants:
        return _NO_REGION
    first = record.applicants[0]
    return _first_applicant_region(first.name, first.address, first.country)


@lru_cache(maxsize=1 << 16)
def _first_applicant_region(name: str, address: str | None, country: str | None) -> dict[str, Any]:
    match = resolve_region(name, address, country)
    return {
        "first_applicant_region_code": match.region_code,
        "first_applicant_province_code": match.province_code,
        "first_applicant_city_code": match.city_code,
        "first_applicant_county_code": match.county_code,
        "first_applicant_country": match.country,
    }


def record_state(record: PatentRecord) -> State:
    """The state one record alone would store (the patents row, bookkeeping aside)."""
    applicants = record.applicants
    state: State = {
        "application_number": record.application_number,
        "country": record.country,
        "filing_date": record.filing_date,
        "status": record.status,
        "status_text": record.status_text,
        "publications": [{
            "publication_number": record.publication_number,
            "kind": record.publication_kind,
            "publication_date": record.publication_date,
        }] if record.publication_number else [],
        "legal_events": [
            {"event_date": e.date, "code": e.code, "description": e.text} for e in record.legal_events
        ],
        "biblio_rank": kind_rank(record.publication_kind),
        "patent_type": record.patent_type,
        "publication_number": record.publication_number,
        "publication_kind": record.publication_kind,
        "publication_date": record.publication_date,
        "grant_date": record.grant_date,
        "priority_date": record.priority_date,
        "title_zh": record.title_zh,
        "title_en": record.title_en,
        "abstract_zh": record.abstract_zh,
        "abstract_en": record.abstract_en,
        "main_claim": record.main_claim,
        "ipc_main": record.ipc_main,
        "ipc_codes": list(record.ipc_codes),
        "cpc_codes": list(record.cpc_codes),
        "claim_count": record.claim_count,
        "family_size": record.family_size,
        "family_members": list(record.family_members),
        "has_overseas_family": overseas_family(record),
        "backward_citation_count": record.backward_citation_count,
        "forward_citation_count": record.forward_citation_count,
        "source_nic_codes": list(record.source_nic_codes),
        "source_sei_labels": list(record.source_sei_labels),
        "cited_publications": list(record.cited_publications),
        "citing_publications": list(record.citing_publications),
        "applicant_names": [p.name for p in applicants],
        "first_applicant_address": applicants[0].address if applicants else None,
        "inventor_names": list(record.inventors),
        "agency_names": list(record.agencies),
        "extra": json.dumps(record.extra, ensure_ascii=False, sort_keys=True, default=str)
        if record.extra else None,
    }
    state.update(_region_fields(record))
    return state


def _authority(state: State) -> tuple[int, str, str]:
    date = state.get("publication_date")
    return (state.get("biblio_rank") or 0, date.isoformat() if date else "", state.get("publication_number") or "")


def merge_state(old: State | None, new: State) -> State:
    """``old`` with ``new`` merged in (neither is changed)."""
    if old is None:
        return new
    merged = dict(old)
    authoritative = _authority(new) >= _authority(old)
    for field in BIBLIO_FIELDS:
        value = new[field]
        if not _empty(value) and (authoritative or _empty(merged[field])):
            merged[field] = value
    if authoritative:
        merged["biblio_rank"] = new["biblio_rank"]
    if merged["filing_date"] is None:
        merged["filing_date"] = new["filing_date"]
    for field in STATUS_FIELDS:
        if not _empty(new[field]):
            merged[field] = new[field]
    merged["publications"] = _union(old["publications"], new["publications"], ("publication_number",))
    merged["legal_events"] = _union(
        old["legal_events"], new["legal_events"], ("event_date", "code", "description")
    )
    return merged


def _union(old: list[dict[str, Any]], new: list[dict[str, Any]], key: tuple[str, ...]) -> list[dict[str, Any]]:
    if not new:
        return old
    by_key = {tuple(item[k] for k in key): item for item in old}
    for item in new:
        by_key.setdefault(tuple(item[k] for k in key), item)
    first = next(iter(by_key.values()))
    order = [k for k in first if "date" in k] + list(key)
    return sorted(by_key.values(), key=lambda i: tuple(str(i[k] or "") for k in order))
