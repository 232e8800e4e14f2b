"""Writing merged states to the store in bulk (Arrow tables into DuckDB), inside the caller's
transaction. The loader decides what changed; this module only writes it."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from patentatlas.errors import safe, shown
from patentatlas.i18n import message_json
from patentatlas.importers.chunks import State, states_table
from patentatlas.normalize.names import normalize_name, party_kind
from patentatlas.reference.regions import resolve_region
from patentatlas.store import scalar, utc_now

if TYPE_CHECKING:
    from patentatlas.importers.records import RowResult
    from patentatlas.store.loader import ImportReport

_schemas: dict[str, pa.Schema] = {}


def table_schema(conn: duckdb.DuckDBPyConnection, table: str) -> pa.Schema:
    """The Arrow schema of a store table, read from the store itself (one definition of types)."""
    if table not in _schemas:
        _schemas[table] = conn.sql(f"SELECT * FROM {table} LIMIT 0").to_arrow_table().schema
    return _schemas[table]


def _arrow(conn: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]]) -> pa.Table:
    schema = table_schema(conn, table)
    columns = [pa.array([r.get(f.name) for r in rows], type=f.type) for f in schema]
    return pa.Table.from_arrays(columns, schema=schema)


def start_batch(conn: duckdb.DuckDBPyConnection, file: str, fmt: str, checksum: str, part: int,
                observed_on: dt.date) -> int:
    """A new import batch (``part`` of its file, its data observed on ``observed_on``); returns its id."""
    batch_id = scalar(conn, "SELECT coalesce(max(batch_id), 0) + 1 FROM import_batches")
    conn.execute(
        "INSERT INTO import_batches (batch_id, file, part, format, checksum, started_at, observed_on) "
        "VALUES (?, ?, ?, ?, ?, now(), ?)",
        [batch_id, file, part, fmt, checksum, observed_on],
    )
    return int(batch_id)


def mark_seen(conn: duckdb.DuckDBPyConnection, keys: list[str], batch_id: int) -> None:
    """Unchanged rows were still seen by this batch: ``last_batch_id`` is the last batch that saw a patent."""
    if keys:
        conn.execute("UPDATE patents SET last_batch_id = ? WHERE application_number IN (SELECT unnest(?))",
                     [batch_id, keys])


def finish_batch(conn: duckdb.DuckDBPyConnection, batch_id: int, report: ImportReport) -> None:
    """Record the batch's counts, what its rows carried, and its end time (the clock's: inside a
    transaction DuckDB's now() is the transaction's start, the batch's start time)."""
    conn.execute(
        "UPDATE import_batches SET finished_at = ?, rows_read = ?, loaded = ?, updated = ?, "
        "unchanged = ?, quarantined = ?, coverage = ? WHERE batch_id = ?",
        [utc_now(), report.read, report.loaded, report.updated, report.unchanged, report.quarantined,
         report.coverage.to_json(), batch_id],
    )


def fetch_states(conn: duckdb.DuckDBPyConnection, keys: pa.Array | pa.ChunkedArray) -> dict[str, State]:
    """The stored rows of these applications (repeats allowed), as states.

    Asks for the keys first (a scan of one column) and reads whole rows only for those found:
    in a large import most keys are new, and whole rows are costly to scan for. The keys go to
    DuckDB as the Arrow column they came in, not as Python strings.
    """
    if not len(keys):
        return {}
    found = _select_in(conn, "SELECT application_number FROM patents", keys).column(0)
    if not len(found):
        return {}
    rows = _select_in(conn, "SELECT * FROM patents", found).to_pylist()
    return {row["application_number"]: row for row in rows}


def _select_in(conn: duckdb.DuckDBPyConnection, select: str, keys: pa.Array | pa.ChunkedArray) -> pa.Table:
    conn.register("wanted_keys", pa.table({"k": keys}))
    try:
        return conn.sql(f"{select} WHERE application_number IN (SELECT k FROM wanted_keys)").to_arrow_table()
    finally:
        conn.unregister("wanted_keys")


def write_states(
    conn: duckdb.DuckDBPyConnection,
    new: pa.Table,
    changed: dict[str, State],
    existing: set[str],
    batch_id: int,
    written_parties: dict[int, float],
) -> None:
    """Insert ``new`` states (applications not in the store), replace the ``changed`` ones, and
    write their parties and links.

    ``written_parties`` (party id → region confidence already written in this import) spares
    re-writing a party seen in an earlier chunk unless its region got better.
    """
    replaced = [k for k in changed if k in existing]
    if replaced:
        conn.register("replaced_keys", pa.table({"k": pa.array(replaced, type=pa.string())}))
        conn.execute("DELETE FROM patents WHERE application_number IN (SELECT k FROM replaced_keys)")
        conn.execute("DELETE FROM patent_parties WHERE application_number IN (SELECT k FROM replaced_keys)")
        conn.execute("DELETE FROM citations WHERE application_number IN (SELECT k FROM replaced_keys)")
        conn.unregister("replaced_keys")
    for state in changed.values():
        state.setdefault("first_batch_id", batch_id)
        state["last_batch_id"] = batch_id
    if new.num_rows:
        ids = pa.array([batch_id] * new.num_rows, type=pa.int32())
        _insert_table(conn, "patents", new.append_column("first_batch_id", ids).append_column("last_batch_id", ids))
    _insert(conn, "patents", list(changed.values()))
    written = new.select(list(_WRITTEN_COLUMNS))
    if changed:
        written = pa.concat_tables([written, states_table(list(changed.values())).select(list(_WRITTEN_COLUMNS))])
    parties, links = _parties_and_links(written.select(list(_PARTY_COLUMNS)), written_parties)
    _upsert_parties(conn, parties)
    _insert_table(conn, "patent_parties", links)
    _write_citations(conn, written)


_PARTY_COLUMNS = ("application_number", "country", "applicant_names", "first_applicant_address", "inventor_names",
                  "agency_names")
_WRITTEN_COLUMNS = (*_PARTY_COLUMNS, "cited_publications", "citing_publications")
# the citations of the patents just written, one row per publication their lists name (schema migration 17)
CITATION_ROWS = """SELECT * FROM (
  SELECT application_number, 'backward' AS direction, unnest(cited_publications) AS publication_number FROM {source}
  UNION ALL SELECT application_number, 'forward', unnest(citing_publications) FROM {source})
WHERE publication_number IS NOT NULL"""


def _write_citations(conn: duckdb.DuckDBPyConnection, written: pa.Table) -> None:
    """The ``citations`` rows of the patents just inserted or replaced (the replaced ones' old rows
    are gone with them): one set-based insert from their lists, no row in Python."""
    if written.num_rows:
        conn.register("written_citations", written.select(["application_number", "cited_publications",
                                                            "citing_publications"]))
        conn.execute(f"INSERT INTO citations {CITATION_ROWS.format(source='written_citations')}")
        conn.unregister("written_citations")


def _insert(conn: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]]) -> None:
    if rows:
        _insert_table(conn, table, _arrow(conn, table, rows))


def _insert_table(conn: duckdb.DuckDBPyConnection, table: str, data: pa.Table) -> None:
    if data.num_rows:
        conn.register("stage_rows", data)
        conn.execute(f"INSERT INTO {table} BY NAME SELECT * FROM stage_rows")
        conn.unregister("stage_rows")


def party_id(normalized: str) -> int:
    """A stable 64-bit id from a normalised name."""
    return int.from_bytes(hashlib.blake2b(normalized.encode(), digest_size=8).digest(), "big", signed=True)


_ROLES = (("applicant", "applicant_names"), ("inventor", "inventor_names"), ("agency", "agency_names"))


def _parties_and_links(states: pa.Table, written: dict[int, float]) -> tuple[list[dict[str, Any]], pa.Table]:
    """Party rows not yet written (or now better placed) and the link table of these states.

    Works on whole columns: names are flattened and dictionary-encoded, so each distinct name is
    turned into a party once per chunk, and the links are built by Arrow from the distinct names'
    ids (Python touches each distinct name once, never each link).
    """
    parties: dict[int, dict[str, Any]] = {}
    tables = [links for role, field in _ROLES
              if (links := _role_links(states, role, field, parties, written)) is not None]
    return list(parties.values()), pa.concat_tables(tables) if tables else pa.table({})


def _role_links(states: pa.Table, role: str, field: str, parties: dict[int, dict[str, Any]],
                written: dict[int, float]) -> pa.Table | None:
    """The links of the names in one role's column (None when it names nobody); the parties to
    write go into ``parties``."""
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
    ids = _note_parties(rows, parties, written)
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


def _note_parties(rows: list[dict[str, Any]], parties: dict[int, dict[str, Any]],
                  written: dict[int, float]) -> pa.Array:
    """The rows' party ids; a party not yet written in this import, or now better placed, goes
    into ``parties`` (and ``written``)."""
    ids = [party["party_id"] for party in rows]
    for party_key, party in zip(ids, rows, strict=True):
        confidence = party["region_confidence"]
        if confidence > written.get(party_key, -1.0):
            parties[party_key] = party
            written[party_key] = confidence
    return pa.array(ids, pa.int64())


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
    kind = "individual" if role == "inventor" else party_kind(name)
    row: dict[str, Any] = {
        "party_id": party_id(normalized),
        "name": name,
        "normalized_name": normalized,
        "kind": kind,
        "address": address,
        "region_confidence": 0.0,
    }
    if role == "applicant":
        match = resolve_region(name, address, None, office)
        row.update(
            country=match.country, province_code=match.province_code, city_code=match.city_code,
            county_code=match.county_code, township_code=match.township_code,
            region_code=match.region_code, region_method=match.method,
            region_confidence=match.confidence,
        )
    return row


def _upsert_parties(conn: duckdb.DuckDBPyConnection, parties: list[dict[str, Any]]) -> None:
    if not parties:
        return
    conn.register("stage_parties", _arrow(conn, "parties", parties))
    conn.execute(
        "INSERT INTO parties BY NAME SELECT * FROM stage_parties ON CONFLICT (party_id) DO UPDATE SET "
        "address = excluded.address, country = excluded.country, "
        "province_code = excluded.province_code, city_code = excluded.city_code, "
        "county_code = excluded.county_code, township_code = excluded.township_code, "
        "region_code = excluded.region_code, region_method = excluded.region_method, "
        "region_confidence = excluded.region_confidence "
        "WHERE excluded.region_confidence > parties.region_confidence"
    )
    conn.unregister("stage_parties")


def write_status_changes(
    conn: duckdb.DuckDBPyConnection, changes: list[tuple[str, Any, Any, Any, Any]], batch_id: int, observed_on: dt.date
) -> None:
    """Record each change of legal status seen between imports, dated."""
    rows = [
        {"application_number": k, "batch_id": batch_id, "observed_on": observed_on, "old_status": o,
         "new_status": n, "old_status_text": ot, "new_status_text": nt}
        for k, o, n, ot, nt in changes
    ]
    _insert(conn, "status_changes", rows)


def write_quarantine(conn: duckdb.DuckDBPyConnection, rows: list[RowResult], file: str, batch_id: int) -> None:
    """Rejected rows with their reason and the raw row, so nothing is lost: the reason in English, and
    (a message's) its msgid and arguments, for a page to say it in its language."""
    records = []
    for r in rows:
        reason = safe(r.outcome.reason)  # type: ignore[union-attr]
        records.append({"batch_id": batch_id, "file": file, "sheet": r.sheet, "row_number": r.row,
                        "field": shown(r.outcome.field, 200), "reason": shown(str(reason)),  # type: ignore[union-attr]
                        "reason_said": message_json(reason), "raw": json.dumps(r.raw, ensure_ascii=False, default=str)})
    _insert(conn, "quarantine", records)
