"""Writing merged states to the store in bulk (Arrow tables into DuckDB), inside the caller's
transaction. The loader decides what changed; this module only writes it."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from patentatlas.errors import safe, shown
from patentatlas.i18n import message_json
from patentatlas.importers.chunks import State, states_table
from patentatlas.importers.parties import COLUMNS as PARTY_COLUMNS
from patentatlas.importers.parties import ChunkParties, chunk_parties
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
    found: ChunkParties | None = None,
) -> None:
    """Insert ``new`` states (applications not in the store), replace the ``changed`` ones, and
    write their parties and links.

    ``written_parties`` (party id → region confidence already written in this import) spares
    re-writing a party seen in an earlier chunk unless its region got better. ``found``: the
    parties of ``new`` worked out already (by the helper process reading the file), when nothing
    changed.
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
        insert_table(conn, "patents", new.append_column("first_batch_id", ids).append_column("last_batch_id", ids))
    _insert(conn, "patents", list(changed.values()))
    written = new.select(list(_WRITTEN_COLUMNS))
    if changed:
        written = pa.concat_tables([written, states_table(list(changed.values())).select(list(_WRITTEN_COLUMNS))])
    parties, links = _parties_and_links(written.select(list(PARTY_COLUMNS)), written_parties,
                                        None if changed else found)
    _upsert_parties(conn, parties)
    insert_table(conn, "patent_parties", links)
    _write_citations(conn, written)


_WRITTEN_COLUMNS = (*PARTY_COLUMNS, "cited_publications", "citing_publications")
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
        insert_table(conn, table, _arrow(conn, table, rows))


def insert_table(conn: duckdb.DuckDBPyConnection, table: str, data: pa.Table) -> None:
    """``data``'s rows into ``table``, its columns matched by name."""
    if data.num_rows:
        conn.register("stage_rows", data)
        conn.execute(f"INSERT INTO {table} BY NAME SELECT * FROM stage_rows")
        conn.unregister("stage_rows")


def _parties_and_links(states: pa.Table, written: dict[int, float],
                       found: ChunkParties | None = None) -> tuple[list[dict[str, Any]], pa.Table]:
    """Party rows not yet written in this import (or now better placed) and the link table of
    these states; ``found``: what :func:`chunk_parties` gave for these very states already (the
    helper process reading the file works it out while this one writes)."""
    found = found or chunk_parties(states)
    parties: dict[int, dict[str, Any]] = {}
    for party in found.rows:
        party_key, confidence = party["party_id"], party["region_confidence"]
        if confidence > written.get(party_key, -1.0):
            parties[party_key] = party
            written[party_key] = confidence
    return list(parties.values()), found.links


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
