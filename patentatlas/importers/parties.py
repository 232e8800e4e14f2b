"""The parties of some patents' states (applicants and agencies) and the links between them, as
the store writes them (``parties``, ``patent_parties``). Inventors are not parties: a party is
one per normalised name, and an inventor's name names no one person (two 张伟 are two people); a
patent's inventors are its ``inventor_names``, in their order (schema migration 19).

Works on whole columns: names are flattened and dictionary-encoded, so each distinct name is
turned into a party once, and the links are built by Arrow from the distinct names' ids (Python
touches each distinct name once, never each link). The helper process reading a large file
works this out for each chunk while the importing process writes the one before
(:mod:`patentatlas.importers.prefetch`); the store's writer decides which rows it still has to
write (:func:`patentatlas.store.writer.write_states`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from patentatlas.normalize.names import normalize_name, party_kind
from patentatlas.reference.regions import record_region

_ROLES = (("applicant", "applicant_names"), ("agency", "agency_names"))
COLUMNS = ("application_number", "country", "applicant_names", "first_applicant_address",
           "agency_names")  # what the parties are read from


@dataclass
class ChunkParties:
    """Every distinct name of some states as a parties row (applicants first, then agencies; a name
    in both roles twice), the links of the states to them, and where each distinct
    first applicant (name, address, office) is by its record (:func:`first_applicants`)."""

    rows: list[dict[str, Any]]
    links: pa.Table
    first_applicants: pa.Table | None = None


# where a patent's record puts its first applicant, as placement reads it (domain.placement)
FIRST_APPLICANT_SCHEMA = pa.schema([(name, pa.float64() if name == "confidence" else pa.string()) for name in (
    "name", "address", "office", "method", "confidence", "country", "province", "city", "county", "township",
    "normalized")])


def first_applicants(states: pa.Table) -> pa.Table:
    """Each distinct (first applicant, its address, the office) of ``states`` with the region its
    record gives (:func:`~patentatlas.reference.regions.record_region`, as placement asks it) and its
    normalised name: the helper reading a file has worked them out already, placement need not again."""
    lists = states.column("applicant_names").combine_chunks()
    firsts = pc.list_slice(lists, 0, 1)
    parent = pc.list_parent_indices(firsts)
    keys = pa.table({"name": pc.list_flatten(firsts),
                     "address": pc.take(states.column("first_applicant_address"), parent),
                     "office": pc.take(states.column("country"), parent)})
    keys = keys.group_by(["name", "address", "office"], use_threads=False).aggregate([])
    names, addresses, offices = (keys.column(k).to_pylist() for k in ("name", "address", "office"))
    found = [record_region(n, a, o) for n, a, o in zip(names, addresses, offices, strict=True)]
    return pa.table([names, addresses, offices, [m.method for m in found], [m.confidence for m in found],
                     [m.country for m in found], [m.province_code for m in found], [m.city_code for m in found],
                     [m.county_code for m in found], [m.township_code for m in found],
                     [normalize_name(n) for n in names]], schema=FIRST_APPLICANT_SCHEMA)


def party_id(normalized: str) -> int:
    """A stable 64-bit id from a normalised name."""
    return int.from_bytes(hashlib.blake2b(normalized.encode(), digest_size=8).digest(), "big", signed=True)


def chunk_parties(states: pa.Table) -> ChunkParties:
    """The parties and links of ``states`` (a table with at least :data:`COLUMNS`)."""
    rows: list[dict[str, Any]] = []
    tables = [links for role, field in _ROLES if (links := _role_links(states, role, field, rows)) is not None]
    return ChunkParties(rows, pa.concat_tables(tables) if tables else pa.table({}))


def _role_links(states: pa.Table, role: str, field: str, out: list[dict[str, Any]]) -> pa.Table | None:
    """The links of the names in one role's column (None when it names nobody); the names' parties
    rows go to ``out``."""
    lists = states.column(field).combine_chunks()
    flat = pc.list_flatten(lists)
    if not len(flat):
        return None
    parent = pc.list_parent_indices(lists)
    seq = _positions(lists, parent)
    encoded = flat.dictionary_encode()
    names = encoded.dictionary.to_pylist()
    if role == "applicant":
        where = _applicant_places(states, seq, parent, encoded.indices)
        rows = [_party(n, role, a, o) for n, a, o in zip(names, *where, strict=True)]
    else:
        rows = [_party(n, role, None, None) for n in names]
    out.extend(rows)
    ids = pa.array([party["party_id"] for party in rows], pa.int64())
    return pa.table({
        "application_number": pc.take(states.column("application_number"), parent),
        "party_id": pc.take(ids, encoded.indices),
        "role": _link_roles(role, rows, encoded.indices),
        "seq": seq.cast(pa.int32()),
    })


def _positions(lists: pa.ListArray, parent: pa.Array) -> pa.Array:
    """Each flattened item's place in its list, from 1 (an applicant's seq)."""
    counting = pc.cumulative_sum(pa.repeat(pa.scalar(1, pa.int64()), len(parent)))  # 1, 2, 3, …
    starts = pc.subtract(pc.take(lists.offsets.cast(pa.int64()), parent), lists.offsets[0].cast(pa.int64()))
    return pc.subtract(counting, starts)


def _link_roles(role: str, rows: list[dict[str, Any]], codes: pa.Array) -> pa.Array:
    """The link's role: the column's, except an agency that is a person, who is an agent."""
    if role != "agency":
        return pa.repeat(pa.scalar(role, pa.string()), len(codes))
    return pc.take(pa.array(["agent" if p["kind"] == "individual" else role for p in rows], pa.string()), codes)


def _applicant_places(states: pa.Table, seq: pa.Array, parent: pa.Array,
                      codes: pa.Array) -> tuple[list[str | None], list[str | None]]:
    """For each distinct applicant name (in code order): an address given for it as a first
    applicant in these states, and the office of an application it filed (for guessing a foreign
    country) — the last of each in the chunk, grouped by Arrow. Every code occurs, so the groups
    sorted by code are the names in order."""
    address = pc.if_else(pc.equal(seq, 1), pc.take(states.column("first_applicant_address"), parent), None)
    grouped = pa.table({"code": codes, "address": address, "office": pc.take(states.column("country"), parent)}) \
        .group_by("code", use_threads=False).aggregate([("address", "last"), ("office", "last")]) \
        .sort_by("code")
    return grouped.column("address_last").to_pylist(), grouped.column("office_last").to_pylist()


@lru_cache(maxsize=1 << 17)
def _party(name: str, role: str, address: str | None, office: str | None) -> dict[str, Any]:
    """The parties row for a name in a role (cached: names repeat across patents; read only)."""
    normalized = normalize_name(name)
    kind = party_kind(name)
    row: dict[str, Any] = {
        "party_id": party_id(normalized),
        "name": name,
        "normalized_name": normalized,
        "kind": kind,
        "address": address,
        "region_confidence": 0.0,
    }
    if role == "applicant":
        match = record_region(name, address, office)
        row.update(
            country=match.country, province_code=match.province_code, city_code=match.city_code,
            county_code=match.county_code, township_code=match.township_code,
            region_code=match.region_code, region_method=match.method,
            region_confidence=match.confidence,
        )
    return row
