"""The search index beside the store: ``store.duckdb`` → ``store.duckdb.search/`` (in memory for a
``:memory:`` store), built from the store by one call and brought up to date after each import.

The index remembers the last import batch it has seen (``state.json``); any store newer than that
is caught up before a search, so a store copied without its index, or an index from before an
import, still answers for everything in the store. It also keeps each document's facts
(``facts.parquet``: a hash of what a document holds besides its texts): placements, value scores
and industries change without an import, and :mod:`.freshness` indexes again the patents whose
facts the store no longer shares.

>>> rebuild_index(conn)["patents"]  # doctest: +SKIP
15149
"""

from __future__ import annotations

import json
import multiprocessing
import shutil
import threading
import time
from collections import OrderedDict, deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import tantivy

from patentatlas.errors import PatentAtlasError
from patentatlas.search.documents import documents_of, row_sql
from patentatlas.search.text import en_analyzer, zh_analyzer

SCHEMA_VERSION = 5  # bump when the fields change: an index of another version is rebuilt
CHUNK_ROWS = 2_000
WRITER_HEAP = 200_000_000
RAW_FIELDS = ("an", "num", "ipc", "type", "status", "province", "region", "sei", "ipc_class", "first_applicant")
FAST_FIELDS = {"type", "status", "province", "ipc_class", "first_applicant", "region", "sei"}
ZH_FIELDS = ("title", "title_bg", "abstract", "claims", "applicant", "inventor")
EN_FIELDS = ("title_en", "abstract_en")
SHOWN = ("show_title", "show_title_en", "show_abstract", "show_applicants")


def build_schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    for name in RAW_FIELDS:
        sb.add_text_field(name, stored=name == "an", fast=name in FAST_FIELDS, tokenizer_name="raw")
    for name in ZH_FIELDS:
        sb.add_text_field(name, tokenizer_name="zh")
    for name in EN_FIELDS:
        sb.add_text_field(name, tokenizer_name="en")
    for name in SHOWN:  # kept, not indexed (as text each would be one huge term: twice the index, slower)
        sb.add_bytes_field(name, stored=True, indexed=False)
    for name in ("filed", "published", "granted"):
        sb.add_date_field(name, stored=name == "filed", indexed=True, fast=True)
    sb.add_integer_field("filed_year", indexed=True, fast=True)
    sb.add_integer_field("cited_by", fast=True)
    sb.add_float_field("value", fast=True)
    return sb.build()


def shown(doc: tantivy.Document) -> dict[str, str]:
    """A stored document's number and the texts a hit shows (kept as UTF-8 bytes)."""
    out = {"an": str(doc.get_first("an") or "")}
    for name in SHOWN:
        value = doc.get_first(name)
        out[name] = value.decode() if isinstance(value, bytes) else ""
    filed = doc.get_first("filed")
    out["filed"] = filed.date().isoformat() if filed else ""
    return out


FACTS_SCHEMA = pa.schema([("an", pa.string()), ("facts", pa.uint64())])


@dataclass
class SearchIndex:
    """An open index and what it has seen of its store."""

    index: tantivy.Index
    schema: tantivy.Schema
    path: Path | None
    state: dict[str, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    facts: pa.Table = field(default_factory=lambda: FACTS_SCHEMA.empty_table())  # what each document holds
    syncing: bool = False  # a sync with the store is under way (:mod:`.freshness`)
    generation: int = 0  # counts the commits this process made: what was computed before one is stale
    kept: OrderedDict[Any, Any] = field(default_factory=OrderedDict)  # facet counts by query (engine.py)

    def save_state(self) -> None:
        if self.path is not None:
            (self.path / "state.json").write_text(json.dumps(self.state))

    def save_facts(self) -> None:
        """Written after the documents they describe are committed: a crash in between leaves facts
        older than the index, which the next sync indexes again (never the other way round)."""
        if self.path is not None:
            pq.write_table(self.facts, self.path / "facts.parquet.new")
            (self.path / "facts.parquet.new").replace(self.path / "facts.parquet")

    def merge_facts(self, new: pa.Table, gone: list[str] | None = None) -> None:
        """The facts of documents just (re)written replace theirs; ``gone``: documents deleted."""
        dropped = pc.is_in(self.facts["an"], value_set=pa.concat_arrays(
            [new["an"].combine_chunks(), pa.array(gone or [], pa.string())]))
        self.facts = pa.concat_tables([self.facts.filter(pc.invert(dropped)), new]).combine_chunks()


_OPEN: dict[str, SearchIndex] = {}
_OPEN_LOCK = threading.Lock()


def index_path(conn: duckdb.DuckDBPyConnection) -> Path | None:
    """Where the store's index lives: beside its file; None for an in-memory store."""
    row = conn.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    return Path(str(row[0]) + ".search") if row and row[0] else None


def _key(conn: duckdb.DuckDBPyConnection, path: Path | None) -> str:
    if path is not None:
        return str(path.resolve())
    # an in-memory store is known by the token its search_state row holds (migration 9)
    token = conn.execute("SELECT store_token FROM search_state").fetchone()
    return f"memory:{token[0] if token else id(conn)}"


def _new_index(path: Path | None, *, reuse: bool = True) -> tantivy.Index:
    schema = build_schema()
    if path is not None:
        path.mkdir(parents=True, exist_ok=True)
    index = tantivy.Index(schema, path=str(path) if path else None, reuse=reuse)
    index.register_tokenizer("zh", zh_analyzer())
    index.register_tokenizer("en", en_analyzer())
    return index


def _load(path: Path | None) -> SearchIndex | None:
    """The index on disk if it is ours and of this version, else None (it is then built anew)."""
    if path is None or not (path / "state.json").exists():
        return None
    try:
        state = json.loads((path / "state.json").read_text())
        if state.get("version") != SCHEMA_VERSION:
            return None
        facts = pq.read_table(path / "facts.parquet", schema=FACTS_SCHEMA)
        return SearchIndex(_new_index(path), build_schema(), path, state, facts=facts)
    except (ValueError, OSError, pa.ArrowException):
        return None  # damaged: rebuilt from the store


class IndexBuildingError(PatentAtlasError):
    """The index is being built from the store in the background (the web server's first search of
    a large store); searches answer 503 until it is ready."""

    status_code = 503


BACKGROUND_FROM = 20_000  # patents: a store this large is indexed in the background by the web server
_BUILDING: dict[str, float] = {}


def open_index(conn: duckdb.DuckDBPyConnection, *, catch_up: bool = True,
               background: duckdb.DuckDBPyConnection | None = None) -> SearchIndex:
    """The store's index, opened once per process, built if missing and caught up with the store.

    Given ``background`` (the connection that owns the store, outliving the caller's cursor), a
    missing index of a large store is built in a thread of its own with a cursor of that
    connection, and ``IndexBuildingError`` raised until it is ready (a web request never waits)."""
    path = index_path(conn)
    key = _key(conn, path)
    with _OPEN_LOCK:
        found = _OPEN.get(key) or _load(path)
        if found is None:
            if background is not None and (key in _BUILDING or _patent_count(conn) >= BACKGROUND_FROM):
                _build_in_background(background, path, key)
            found = _build(conn, path)
        _OPEN[key] = found
    if catch_up:
        _catch_up(conn, found, background)
        with _OPEN_LOCK:
            found = _OPEN.get(key, found)  # a sync may have built it anew
    return found


def _patent_count(conn: duckdb.DuckDBPyConnection) -> int:
    return int(conn.execute("SELECT count(*) FROM patents").fetchone()[0])  # type: ignore[index]


def _build_in_background(conn: duckdb.DuckDBPyConnection, path: Path | None, key: str) -> None:
    """Start building (once) and say so; called holding ``_OPEN_LOCK``."""
    if key not in _BUILDING:
        _BUILDING[key] = time.time()
        cursor = conn.cursor()  # the thread's own cursor: DuckDB's rule for threads

        def build() -> None:
            try:
                built = _build(cursor, path)
                with _OPEN_LOCK:
                    _OPEN[key] = built
            finally:
                _BUILDING.pop(key, None)
                cursor.close()

        threading.Thread(target=build, name="search-index-build", daemon=True).start()
    started = time.strftime("%H:%M:%S", time.gmtime(_BUILDING[key]))
    raise IndexBuildingError(f"the search index is being built from the store (started {started} UTC, about "
                             "2,500 patents a second): try again in a few minutes")


def _latest_batch(conn: duckdb.DuckDBPyConnection) -> int:
    return int(conn.execute("SELECT coalesce(max(batch_id), 0) FROM import_batches").fetchone()[0])  # type: ignore[index]


def _catch_up(conn: duckdb.DuckDBPyConnection, found: SearchIndex,
              background: duckdb.DuckDBPyConnection | None = None) -> None:
    """Index the patents of imports the index has not seen, then those whose facts changed."""
    from patentatlas.search.freshness import sync_if_stale

    latest = _latest_batch(conn)
    if latest > found.state.get("batch", 0):
        index_rows(conn, found, "WHERE last_batch_id > ?", [found.state.get("batch", 0)], replace=True)
        found.state["batch"] = latest
        found.save_state()
    sync_if_stale(conn, found, background=background)


def rebuild_index(conn: duckdb.DuckDBPyConnection, *, workers: int | None = None) -> dict[str, Any]:
    """Build the index anew from every patent in the store; return its figures.

    The new index is written beside the old one and takes its place when complete."""
    path = index_path(conn)
    key = _key(conn, path)
    started = time.perf_counter()
    with _OPEN_LOCK:
        _OPEN.pop(key, None)
        built = _build(conn, path, workers=workers)
        _OPEN[key] = built
    seconds = time.perf_counter() - started
    return {"path": str(path) if path else None, "patents": built.state["patents"], "seconds": round(seconds, 2),
            "per_second": round(built.state["patents"] / seconds, 1) if seconds else None,
            "bytes": index_bytes(path)}


def replace_index(conn: duckdb.DuckDBPyConnection) -> SearchIndex:
    """Build the index anew and put it in the open one's place; searches meanwhile use the old one
    (a sync that would write most documents again: cheaper than deleting and adding each)."""
    path = index_path(conn)
    key = _key(conn, path)
    built = _build(conn, path)
    with _OPEN_LOCK:
        _OPEN[key] = built
    return built


def index_bytes(path: Path | None) -> int | None:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path else None


def _build(conn: duckdb.DuckDBPyConnection, path: Path | None, *, workers: int | None = None) -> SearchIndex:
    target = path.with_name(path.name + ".building") if path else None
    if target is not None and target.exists():
        shutil.rmtree(target)
    built = SearchIndex(_new_index(target, reuse=False), build_schema(), target)
    from patentatlas.search.freshness import store_changes

    latest, changes = _latest_batch(conn), store_changes(conn)  # read before the rows: never newer than they
    count = index_rows(conn, built, "", [], replace=False, workers=workers)
    built.state = {"version": SCHEMA_VERSION, "batch": latest, "patents": count, "changes": changes}
    built.save_state()
    if path is None or target is None:
        return built
    del built
    if path.exists():
        shutil.rmtree(path)
    target.rename(path)
    loaded = _load(path)
    assert loaded is not None
    return loaded


def index_batches(conn: duckdb.DuckDBPyConnection, batch_ids: list[int]) -> int:
    """Index (again) the patents the import batches touched; the loader calls this after an import.

    A store whose index was never built is left alone (its first search builds it): most stores in
    tests and scripts are never searched, and segmenting costs more than importing."""
    if not batch_ids or not _index_exists(conn):
        return 0
    found = open_index(conn, catch_up=False)
    seen = found.state.get("batch", 0)
    marks = ", ".join("?" for _ in batch_ids)
    count = index_rows(conn, found, f"WHERE last_batch_id IN ({marks})", list(batch_ids), replace=True)
    if seen >= min(batch_ids) - 1:
        found.state["batch"] = max(seen, max(batch_ids))  # no batch in between: the index has seen them all
        found.save_state()
    _catch_up(conn, found)
    return count


def _index_exists(conn: duckdb.DuckDBPyConnection) -> bool:
    path = index_path(conn)
    if path is not None:
        return (path / "state.json").exists()
    return _key(conn, None) in _OPEN


def index_rows(conn: duckdb.DuckDBPyConnection, found: SearchIndex, where: str, params: list[Any], *,
               replace: bool, workers: int | None = None, scope: pa.Table | None = None,
               gone: list[str] | None = None) -> int:
    """Write the documents of the patents ``where`` selects, segmenting in worker processes when many,
    and record their facts; ``scope`` (a table of ``an``): registered as ``search_scope`` for ``where``;
    ``gone``: numbers whose documents are deleted (patents no longer in the store)."""
    cursor = conn.cursor()  # a cursor of its own: the caller's may be in the middle of something
    try:
        if scope is not None:
            cursor.register("search_scope", scope)
        total = int(cursor.execute(f"SELECT count(*) FROM patents {where}", params).fetchone()[0])  # type: ignore[index]
        if total == 0 and not gone:
            return 0
        cursor.execute(row_sql(cursor) + where, params)
        facts: list[pa.Table] = []
        chunks = _noting_facts(iter(lambda: cursor.fetchmany(CHUNK_ROWS), []), facts)
        with found.lock:
            count = _write(found, _documents(chunks, total, workers), replace, gone or [])
            found.merge_facts(pa.concat_tables(facts) if facts else FACTS_SCHEMA.empty_table(), gone)
            found.save_facts()
        return count
    finally:
        cursor.close()


def _noting_facts(chunks: Any, facts: list[pa.Table]) -> Any:
    """The chunks of rows, each one's numbers and facts (its last column) noted as it passes."""
    for chunk in chunks:
        facts.append(pa.table({"an": pa.array([r[0] for r in chunk], pa.string()),
                               "facts": pa.array([r[-1] for r in chunk], pa.uint64())}))
        yield chunk


def _write(found: SearchIndex, documents: Any, replace: bool, gone: list[str]) -> int:
    """Add the documents (replacing a patent's older one) and delete ``gone``'s, in one commit."""
    count = 0
    writer = found.index.writer(WRITER_HEAP, 1)
    try:
        for number in gone:
            writer.delete_documents_by_term("an", number)
        for docs in documents:
            for doc in docs:
                if replace:
                    writer.delete_documents_by_term("an", doc["an"][0])
                writer.add_document(tantivy.Document.from_dict(doc, found.schema))
            count += len(docs)
        writer.commit()
        writer.wait_merging_threads()
    except BaseException:
        writer.rollback()
        raise
    found.index.reload()
    found.generation += 1
    found.kept.clear()
    return count


def _documents(chunks: Any, total: int, workers: int | None) -> Any:
    """Lists of documents, one per chunk of rows; built in worker processes past 10,000 rows where
    there are cores to spare (a few chunks in flight, so memory stays bounded). Workers that cannot
    start (a script read from stdin cannot be re-imported by them) or die: the rest is built here,
    never a hang."""
    # this process writes the index (its own thread) and feeds it: on two cores, workers only slow it
    # (four exports: 2,480-3,240 patents/s alone, 1,320-2,200 with two workers)
    spare = multiprocessing.cpu_count() - 2
    processes = workers if workers is not None else (min(4, spare) if total > 10_000 else 0)
    if processes <= 1:
        yield from map(documents_of, chunks)
        return
    pending: deque[tuple[Any, Future[list[dict[str, Any]]]]] = deque()
    unsent = None  # a chunk taken from the rows that a broken pool refused
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("forkserver")) as pool:
        try:
            for chunk in chunks:
                unsent = chunk
                pending.append((chunk, pool.submit(documents_of, chunk)))
                unsent = None
                if len(pending) >= 2 * processes:
                    yield _oldest(pending)
            while pending:
                yield _oldest(pending)
        except BrokenProcessPool:
            pass
    # after a broken pool: what was in flight, the chunk it refused, then the rest, here
    for chunk in [c for c, _ in pending] + ([unsent] if unsent is not None else []):
        yield documents_of(chunk)
    yield from map(documents_of, chunks)


def _oldest(pending: deque[tuple[Any, Future[list[dict[str, Any]]]]]) -> list[dict[str, Any]]:
    """The oldest chunk's documents, taken off ``pending`` only once they came back: a chunk whose
    worker died stays there, to be segmented by the caller."""
    docs = pending[0][1].result()
    pending.popleft()
    return docs
