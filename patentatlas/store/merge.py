"""A patent's stored state and how a newly read row merges into it.

Rows of one application (incoPat lists the A and the B publication as two rows; a newer export
repeats a patent) merge into one state. The merge does not depend on the order rows arrive in,
so importing the same file twice changes nothing:

- bibliographic fields come from the most authoritative publication — the highest
  (kind rank, publication date, publication number); a less authoritative row only fills gaps;
- the legal status is the latest one read (a newer export wins);
- publications and legal events are the union of all rows;
- the industries (SEI, NIC) are derived again from the merged IPC codes.
"""

from __future__ import annotations

from typing import Any

from patentatlas.importers.chunks import State, industry_state

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
    return value is None or value == "" or value == [] or value == ()


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
    # derived: follows the merged classification
    merged.update(industry_state(merged["ipc_codes"], merged["ipc_main"], merged["source_sei_labels"]))
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
