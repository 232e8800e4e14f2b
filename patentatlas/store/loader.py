"""Loading a file into the store: batches of rows, each one transaction, every row accounted for.

This is the store's part of an import; :func:`patentatlas.imports.import_file` is the whole of
it (what follows the data: specialty databases, placement, value scores, the search index).

>>> report = load_file(conn, Path("incopat_toyota_autodrive_5048.csv"))  # doctest: +SKIP
>>> report.loaded, report.updated, report.unchanged, report.quarantined  # doctest: +SKIP
(4041, 1006, 0, 1)
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from patentatlas.importers import open_source
from patentatlas.importers.chunks import REGION_FIELDS, Chunk, State
from patentatlas.importers.coverage import Coverage
from patentatlas.importers.parties import FIRST_APPLICANT_SCHEMA
from patentatlas.importers.prefetch import prefetched_chunks
from patentatlas.store import scalar, transaction, writer
from patentatlas.store.merge import merge_state

Progress = Callable[[int], None]
PREFETCH_BYTES = 32 * 1024 * 1024  # from this size a helper process reads while the store writes
BATCH_ROWS = 250_000  # rows per transaction: DuckDB holds a transaction's changes in memory
# …and so do the bytes: a batch ends at whichever limit comes first (80 MB: 300,000 incoPat records with
# long abstracts peaked at 936–969 MB, against 1,076 MB at 160 MB; a million Patentics records alike)
BATCH_BYTES = 80 * 1024 * 1024


@dataclass
class ImportReport:
    """What one file did to the store: ``read = loaded + updated + unchanged + quarantined``."""

    file: str
    format: str
    batch_ids: list[int] = field(default_factory=list)
    read: int = 0
    loaded: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    coverage: Coverage = field(default_factory=Coverage)
    # the temporary table of the first applicants the helper reading the file placed by their record
    # (importers.parties.first_applicants), for placement; None when this process read the file
    first_applicants: str | None = None

    def counts(self) -> dict[str, Any]:
        """The figures as the CLI's ``--json`` prints them: the counts, what the file carried
        (``coverage``) and what an office must know before publishing from it (``warnings``)."""
        figures: dict[str, Any] = {k: getattr(self, k) for k in
                                   ("file", "read", "loaded", "updated", "unchanged", "quarantined")}
        figures["quarantined_share"] = round(self.quarantined / self.read, 4) if self.read else None
        return {**figures, "coverage": self.coverage.report(), "warnings": self.coverage.warnings()}

    def add(self, other: ImportReport) -> None:
        for name in ("read", "loaded", "updated", "unchanged", "quarantined"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.batch_ids += other.batch_ids
        self.coverage.add(other.coverage)


def file_checksum(path: Path) -> str:
    """SHA-256 of the file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_file(
    conn: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    mapping: dict[str, str] | None = None,
    observed_on: dt.date | None = None,
    progress: Progress | None = None,
    batch_rows: int = BATCH_ROWS,
    apart: bool = False,
) -> ImportReport:
    """Load one file into the store; each batch of up to ``batch_rows`` rows is one transaction, so a failure
    leaves the store as it was before the batch it happened in (a file of up to ``batch_rows``
    rows is one batch). Memory stays bounded whatever the file's size. The file is read in a
    helper process when it is large, or whatever its size when ``apart`` (a server answering pages
    while it imports keeps its interpreter for them)."""
    source = open_source(path, mapping)
    chunks = prefetched_chunks(path, mapping) if apart or path.stat().st_size >= PREFETCH_BYTES else source.chunks
    report = ImportReport(str(path), source.format)
    if chunks is not source.chunks:
        report.first_applicants = _first_applicants_table(conn)
    collecting = gc.isenabled()
    gc.disable()  # an import allocates millions of short-lived objects and makes no cycles
    # the checksum is read beside the first chunk (hashlib lets go of the interpreter), not before it
    with ThreadPoolExecutor(1, thread_name_prefix="checksum") as hashing:
        checksum = hashing.submit(file_checksum, path)
        loader = _Loader(conn, report, checksum, observed_on or dt.date.today())
        try:
            with _ImportThreads(conn) as threads:
                for part, part_chunks in enumerate(_parts(_then(chunks, threads.restore), batch_rows), start=1):
                    loader.load_batch(part, part_chunks, progress)
        finally:
            if collecting:
                gc.enable()
    return report


FIRST_APPLICANTS = "import_first_applicants"


def _first_applicants_table(conn: duckdb.DuckDBPyConnection) -> str:
    """A temporary table (this connection's, gone with it) for the chunks' resolved first applicants,
    of the columns the helper ships them in."""
    conn.register("first_applicants_shape", FIRST_APPLICANT_SCHEMA.empty_table())
    try:
        conn.execute(f"CREATE OR REPLACE TEMP TABLE {FIRST_APPLICANTS} AS SELECT * FROM first_applicants_shape")
    finally:
        conn.unregister("first_applicants_shape")
    return FIRST_APPLICANTS


def drop_first_applicants(conn: duckdb.DuckDBPyConnection, report: ImportReport) -> None:
    """Drop the import's table of resolved first applicants (placement has read it)."""
    if report.first_applicants:
        conn.execute(f"DROP TABLE IF EXISTS {report.first_applicants}")
        report.first_applicants = None


class _ImportThreads:
    """DuckDB with a core fewer while a file is read: the reading (a helper process, or this one)
    keeps a core busy, and on two cores an insert of a chunk's Arrow table costs twice the CPU
    in two threads (measured: 0.9 s against 0.4 s for 300,000 patents) for no gain in time. Once
    the file is read (:meth:`restore`), what is left to write has every core again. The setting
    is the database's; it goes back unless another import changed it since."""

    def __init__(self, conn: duckdb.DuckDBPyConnection) -> None:
        self.conn = conn
        self.before = int(scalar(conn, "SELECT current_setting('threads')"))
        self.during = max(1, min(self.before, (os.cpu_count() or 1) - 1))

    def __enter__(self) -> _ImportThreads:
        if self.during != self.before:
            self.conn.execute(f"SET threads = {self.during}")
        return self

    def __exit__(self, *exc: object) -> None:
        self.restore()

    def restore(self) -> None:
        if self.during != self.before and \
                int(scalar(self.conn, "SELECT current_setting('threads')")) == self.during:
            self.conn.execute(f"SET threads = {self.before}")


def _then(chunks: Iterator[Chunk], done: Callable[[], None]) -> Iterator[Chunk]:
    """The chunks, and ``done()`` once there are no more."""
    yield from chunks
    done()


def record_patent_figures(conn: duckdb.DuckDBPyConnection, report: ImportReport) -> None:
    """The file's figures over merged patents, kept with its last batch (batches of a file add up)."""
    if not report.batch_ids:
        return
    figures = Coverage()
    figures.add_patent_figures(conn, report.batch_ids)
    report.coverage.add(figures)
    last = max(report.batch_ids)
    stored = Coverage.from_json(scalar(conn, "SELECT coverage FROM import_batches WHERE batch_id = ?", [last]))
    stored.add(figures)
    conn.execute("UPDATE import_batches SET coverage = ? WHERE batch_id = ?", [stored.to_json(), last])


def _parts(chunks: Iterator[Chunk], rows_limit: int, bytes_limit: int = BATCH_BYTES) -> Iterator[Iterator[Chunk]]:
    """The chunks in runs of about ``rows_limit`` rows or ``bytes_limit`` bytes of states,
    whichever comes first (rows with long abstracts fill memory sooner); one run at least."""
    pending = next(chunks, None)

    def run() -> Iterator[Chunk]:
        nonlocal pending
        rows = size = 0
        # up to rows_limit rows: the next chunk joins only if it fits (the first always does)
        while pending is not None and (rows == 0 or rows + pending.read <= rows_limit) and size < bytes_limit:
            chunk, pending = pending, next(chunks, None)
            rows += chunk.read
            size += chunk.states.nbytes
            yield chunk

    yield run()
    while pending is not None:
        yield run()


class _Loader:
    """Loads a file's batches, remembering across them what this import already wrote."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, report: ImportReport, checksum: Future[str],
                 observed_on: dt.date) -> None:
        self.conn = conn
        self.report = report
        self.checksum = checksum
        self.observed_on = observed_on
        self.seen_before: dict[str, tuple[str | None, str | None]] = {}  # key → status before this import
        self.written_parties: dict[int, float] = {}

    def load_batch(self, part: int, chunks: Iterator[Chunk], progress: Progress | None) -> None:
        """One batch in one transaction: all of it, or (on any failure) none of it."""
        conn, report = self.conn, self.report
        with transaction(conn):
            batch_id = writer.start_batch(conn, report.file, report.format, self.checksum.result(), part,
                                          self.observed_on)
            counts = ImportReport(report.file, report.format, [batch_id])
            batch = _Batch(self, counts, batch_id)
            for chunk in chunks:
                batch.add_chunk(chunk)
                if progress:
                    progress(chunk.read)
            writer.finish_batch(conn, batch_id, counts)
        report.add(counts)


class _Batch:
    """Merges chunks into the store within one batch, counting what each row did."""

    def __init__(self, loader: _Loader, counts: ImportReport, batch_id: int) -> None:
        self.loader = loader
        self.conn = loader.conn
        self.report = counts
        self.batch_id = batch_id
        self.unchanged: list[str] = []  # keys this chunk saw without a change

    def add_chunk(self, chunk: Chunk) -> None:
        keys = chunk.states.column("application_number")
        stored = writer.fetch_states(self.conn, keys)
        self._remember_status(stored)
        merging = _merging(keys, stored)
        self.report.read += chunk.read
        self.report.quarantined += len(chunk.rejections)
        self.report.coverage.add_states(chunk.states, chunk.derived)
        if merging is None:  # the usual case in a large import: every row is a new application
            new, changed = chunk.states, {}
        else:
            new = chunk.states.take(pc.indices_nonzero(pc.invert(merging)))
            changed = self._merge(chunk.states.take(pc.indices_nonzero(merging)).to_pylist(), stored)
        self.report.loaded += new.num_rows
        writer.write_states(self.conn, new, changed, set(stored), self.batch_id, self.loader.written_parties,
                            chunk.parties if merging is None else None)
        if chunk.parties is not None and chunk.parties.first_applicants is not None:  # keys: whatever merged
            writer.insert_table(self.conn, FIRST_APPLICANTS, chunk.parties.first_applicants)
        writer.mark_seen(self.conn, [k for k in self.unchanged if k not in changed], self.batch_id)
        self.unchanged.clear()
        changes = self._status_changes(changed)
        writer.write_status_changes(self.conn, changes, self.batch_id, self.loader.observed_on)
        writer.write_quarantine(self.conn, chunk.rejections, self.report.file, self.batch_id)

    def _remember_status(self, stored: dict[str, State]) -> None:
        """The status each stored patent had before this import (for the changes it records)."""
        mine = set(self.loader.report.batch_ids) | {self.batch_id}
        for key, state in stored.items():
            if state["first_batch_id"] not in mine:
                self.loader.seen_before.setdefault(key, (state["status"], state["status_text"]))

    def _merge(self, states: list[State], stored: dict[str, State]) -> dict[str, State]:
        """Merge rows whose application is already stored or repeats within the chunk, in file order."""
        current: dict[str, State] = dict(stored)
        changed: dict[str, State] = {}
        for new in states:
            key = new["application_number"]
            old = current.get(key)
            merged = merge_state(old, new)
            if old is None:
                self.report.loaded += 1
            elif _same(old, merged):
                self.report.unchanged += 1
                self.unchanged.append(key)
                continue
            else:
                self.report.updated += 1
            current[key] = changed[key] = merged
        return changed

    def _status_changes(self, changed: dict[str, State]) -> list[tuple[str, Any, Any, Any, Any]]:
        out = []
        seen_before = self.loader.seen_before
        for key, state in changed.items():
            before = seen_before.get(key)
            if before and before != (state["status"], state["status_text"]):
                out.append((key, before[0], state["status"], before[1], state["status_text"]))
                seen_before[key] = (state["status"], state["status_text"])
        return out


def _merging(keys: pa.ChunkedArray, stored: dict[str, State]) -> pa.ChunkedArray | None:
    """Which rows merge (their application is stored, or repeats within the chunk) rather than
    being inserted as they are; None when no row does. Counted by Arrow: a chunk's keys are many."""
    counts = pc.value_counts(keys)
    repeated = counts.field("values").filter(pc.greater(counts.field("counts"), 1))
    if not stored and not len(repeated):
        return None
    return pc.is_in(keys, value_set=pa.concat_arrays([repeated, pa.array(list(stored), repeated.type)]))


_BOOKKEEPING = {"first_batch_id", "last_batch_id"}
# placement (domain.placement) may have placed a stored patent better than its record alone does, and
# places every patent an import saw again: a region alone is no change of the record
_NOT_COMPARED = _BOOKKEEPING | set(REGION_FIELDS)


def _same(old: State, new: State) -> bool:
    return all(old.get(k) == v for k, v in new.items() if k not in _NOT_COMPARED)
