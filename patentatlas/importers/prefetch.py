"""Reading a large file in a second process while the store writes what it already has.

Parsing is Python work and writing is DuckDB work: on two cores they overlap when the chunks are
produced by a helper process (started fresh with ``spawn``, so nothing of the parent's DuckDB
threads is copied). A chunk's states cross as an Arrow IPC file in a folder of the import's own,
which the importing process maps rather than reads (through the queue's pipe, a million states
cost it a second of copying); the rest of the chunk (row numbers, rejections) is pickled. A watchdog
thread in the helper ends it within :data:`PARENT_CHECK_SECONDS` of its parent's death (a killed
import leaves no process parsing on), whether it is parsing or waiting on a full queue.

>>> chunks = prefetched_chunks(Path("big.csv"), None)  # doctest: +SKIP
"""

from __future__ import annotations

import multiprocessing as mp
import os
import shutil
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from queue import Empty, Full
from typing import Any

import pyarrow as pa
import pyarrow.ipc

from patentatlas.errors import PatentAtlasError
from patentatlas.importers.chunks import Chunk
from patentatlas.importers.records import RowResult


class ImportHelperError(PatentAtlasError):
    """The helper process reading a large file died."""

    status_code = 500

_DONE = "done"
_QUEUE_DEPTH = 2
PARENT_CHECK_SECONDS = 0.2


def _exit_when_orphaned(parent: int, folder: str) -> None:
    """In the helper, a daemon thread: exit at once when ``parent`` is no longer our parent
    (it died; we were adopted), taking the chunks' folder with us. Nobody will read what we
    produce, and the file may be huge."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    shutil.rmtree(folder, ignore_errors=True)
    os._exit(0)  # no cleanup to wait for: the queue's pipe has no reader any more


@dataclass
class _Shipped:
    """A chunk on its way: its states in an Arrow IPC file, the rest as it is."""

    states: str
    rows: list[int]
    rejections: list[RowResult]
    derived: Counter[str]


def _ship(chunk: Chunk, folder: Path, number: int) -> _Shipped:
    path = folder / f"{number}.arrow"
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, chunk.states.schema) as writer:
        writer.write_table(chunk.states)
    return _Shipped(str(path), chunk.rows, chunk.rejections, chunk.derived)


def _receive(shipped: _Shipped) -> Chunk:
    """The chunk, its states mapped from their file (which is gone once nothing maps it)."""
    with pa.memory_map(shipped.states) as source:
        states = pa.ipc.open_file(source).read_all()
    os.unlink(shipped.states)
    return Chunk(states, shipped.rows, shipped.rejections, shipped.derived)


def _produce(path: str, mapping: dict[str, str] | None, queue: Any, parent: int, folder: str) -> None:
    """In the helper process: every chunk of the file, then a done marker (or the error). Then it
    stays until the importing process ends it, having read the chunks' files; if that process dies
    first, the watchdog takes the folder with it (nothing is left in the temporary folder)."""
    import gc

    from patentatlas.importers import open_source

    gc.disable()
    threading.Thread(target=_exit_when_orphaned, args=(parent, folder), name="parent-watch", daemon=True).start()
    try:
        for number, chunk in enumerate(open_source(Path(path), mapping).chunks):
            _put(queue, _ship(chunk, Path(folder), number), parent)
        _put(queue, _DONE, parent)
    except _ParentGone:
        queue.cancel_join_thread()  # nobody reads the pipe: exit without flushing it
        shutil.rmtree(folder, ignore_errors=True)  # nor the chunks handed over
        return
    except BaseException as exc:  # handed to the parent, which raises it
        _put(queue, exc, parent)
    threading.Event().wait()


class _ParentGone(Exception):
    """The importing process is gone: nobody will read what we produce."""


def _put(queue: Any, item: Any, parent: int) -> None:
    while True:
        try:
            queue.put(item, timeout=1.0)
            return
        except Full:
            if os.getppid() != parent:
                raise _ParentGone from None


def _next_item(queue: Any, process: Any) -> Any:
    """The helper's next item; an error if it died without saying why."""
    while True:
        try:
            return queue.get(timeout=1.0)
        except Empty:
            if not process.is_alive():
                raise ImportHelperError(
                    f"the process reading the file stopped unexpectedly (exit code {process.exitcode})"
                ) from None


def _warm_region_index() -> None:
    from patentatlas.reference.regions import resolve_region

    resolve_region("", None, None, "CN")


def prefetched_chunks(path: Path, mapping: dict[str, str] | None) -> Iterator[Chunk]:
    """The file's chunks, produced in a helper process; its errors are raised here."""
    context = mp.get_context("spawn")
    queue = context.Queue(maxsize=_QUEUE_DEPTH)
    folder = tempfile.mkdtemp(prefix="patentatlas-chunks-")
    # our pid, not the helper's getppid(): a parent killed before the helper starts is noticed too
    process = context.Process(target=_produce, args=(str(path), mapping, queue, os.getpid(), folder), daemon=True)
    process.start()
    # while the helper reads its first chunk we would only wait: build the region index the
    # store's writer places parties by meanwhile (about a second, once per process)
    warming = threading.Thread(target=_warm_region_index, name="region-index", daemon=True)
    warming.start()
    try:
        while True:
            item = _next_item(queue, process)
            warming.join()
            if isinstance(item, _Shipped):
                yield _receive(item)
            elif isinstance(item, BaseException):
                raise item
            else:
                return
    finally:
        if process.is_alive():
            process.terminate()
        process.join()
        shutil.rmtree(folder, ignore_errors=True)
