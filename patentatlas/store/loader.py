"""Loading a file into the store: one import batch, one transaction, every row accounted for.

>>> report = import_file(conn, Path("incopat_toyota_autodrive_5048.csv"))  # doctest: +SKIP
>>> report.loaded, report.updated, report.unchanged, report.quarantined  # doctest: +SKIP
(4042, 1006, 0, 0)
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb

from patentatlas.importers import open_source
from patentatlas.importers.records import PatentRecord, Rejection, RowResult
from patentatlas.store import writer
from patentatlas.store.merge import State, merge_state, record_state

CHUNK_ROWS = 20_000
Progress = Callable[[int], None]


@dataclass
class ImportReport:
    """What one file did to the store: ``read = loaded + updated + unchanged + quarantined``."""

    file: str
    format: str
    batch_id: int
    read: int = 0
    loaded: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0

    def counts(self) -> dict[str, Any]:
        """The figures as the CLI's ``--json`` prints them."""
        data = asdict(self)
        return {k: data[k] for k in ("file", "read", "loaded", "updated", "unchanged", "quarantined")}


def file_checksum(path: Path) -> str:
    """SHA-256 of the file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def import_file(
    conn: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    mapping: dict[str, str] | None = None,
    observed_on: dt.date | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import one file as one batch in one transaction; a failure leaves the store unchanged."""
    source = open_source(path, mapping)
    conn.execute("BEGIN TRANSACTION")
    try:
        batch_id = writer.start_batch(conn, str(path), source.format, file_checksum(path))
        report = ImportReport(str(path), source.format, batch_id)
        batch = _Batch(conn, report, observed_on or dt.date.today())
        for chunk in _chunks(source.rows, CHUNK_ROWS):
            batch.add_chunk(chunk)
            if progress:
                progress(len(chunk))
        writer.finish_batch(conn, report)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return report


def _chunks(rows: Iterator[RowResult], size: int) -> Iterator[list[RowResult]]:
    chunk: list[RowResult] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class _Batch:
    """Merges chunks of rows into the store, counting what each row did."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, report: ImportReport, observed_on: dt.date):
        self.conn = conn
        self.report = report
        self.observed_on = observed_on
        self.seen_before: dict[str, tuple[str | None, str | None]] = {}  # key → status at start
        self.written_parties: dict[int, float] = {}

    def add_chunk(self, chunk: list[RowResult]) -> None:
        keys = {r.outcome.application_number for r in chunk if isinstance(r.outcome, PatentRecord)}
        stored = writer.fetch_states(self.conn, keys)
        for key, state in stored.items():
            if state["first_batch_id"] != self.report.batch_id:
                self.seen_before.setdefault(key, (state["status"], state["status_text"]))
        current: dict[str, State] = dict(stored)
        changed: dict[str, State] = {}
        quarantined: list[RowResult] = []
        for row in chunk:
            self.report.read += 1
            if isinstance(row.outcome, Rejection):
                quarantined.append(row)
                continue
            key = row.outcome.application_number
            old = current.get(key)
            new = merge_state(old, record_state(row.outcome))
            if old is None:
                self.report.loaded += 1
            elif _same(old, new):
                self.report.unchanged += 1
                continue
            else:
                self.report.updated += 1
            current[key] = changed[key] = new
        self.report.quarantined += len(quarantined)
        writer.write_states(self.conn, changed, set(stored), self.report.batch_id, self.written_parties)
        writer.write_status_changes(self.conn, self._status_changes(changed), self.report.batch_id, self.observed_on)
        writer.write_quarantine(self.conn, quarantined, self.report.file, self.report.batch_id)

    def _status_changes(self, changed: dict[str, State]) -> list[tuple[str, Any, Any, Any, Any]]:
        out = []
        for key, state in changed.items():
            before = self.seen_before.get(key)
            if before and before != (state["status"], state["status_text"]):
                out.append((key, before[0], state["status"], before[1], state["status_text"]))
                self.seen_before[key] = (state["status"], state["status_text"])
        return out


_BOOKKEEPING = {"first_batch_id", "last_batch_id"}


def _same(old: State, new: State) -> bool:
    return all(old.get(k) == v for k, v in new.items() if k not in _BOOKKEEPING)


