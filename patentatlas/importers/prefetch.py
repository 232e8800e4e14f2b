"""Reading a large file in a second process while the store writes what it already has.

Parsing is Python work and writing is DuckDB work: on two cores they overlap when the chunks are
produced by a helper process (started fresh with ``spawn``, so nothing of the parent's DuckDB
threads is copied) and handed over as Arrow tables, which pickle as plain buffers. A watchdog
thread in the helper ends it within :data:`PARENT_CHECK_SECONDS` of its parent's death (a killed
import leaves no process parsing on), whether it is parsing or waiting on a full queue.

>>> chunks = prefetched_chunks(Path("big.csv"), None)  # doctest: +SKIP
"""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from queue import Empty, Full
from typing import Any

from patentatlas.errors import PatentAtlasError
from patentatlas.importers.chunks import Chunk


class ImportHelperError(PatentAtlasError):
    """The helper process reading a large file died."""

    status_code = 500

_DONE = "done"
_QUEUE_DEPTH = 2
PARENT_CHECK_SECONDS = 0.2


def _exit_when_orphaned(parent: int) -> None:
    """In the helper, a daemon thread: exit at once when ``parent`` is no longer our parent
    (it died; we were adopted). Nobody will read what we produce, and the file may be huge."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(0)  # no cleanup to wait for: the queue's pipe has no reader any more


def _produce(path: str, mapping: dict[str, str] | None, queue: Any, parent: int) -> None:
    """In the helper process: every chunk of the file, then a done marker (or the error)."""
    import gc

    from patentatlas.importers import open_source

    gc.disable()
    threading.Thread(target=_exit_when_orphaned, args=(parent,), name="parent-watch", daemon=True).start()
    try:
        for chunk in open_source(Path(path), mapping).chunks:
            _put(queue, chunk, parent)
    except _ParentGone:
        queue.cancel_join_thread()  # nobody reads the pipe: exit without flushing it
        return
    except BaseException as exc:  # handed to the parent, which raises it
        _put(queue, exc, parent)
        return
    _put(queue, _DONE, parent)


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
    # our pid, not the helper's getppid(): a parent killed before the helper starts is noticed too
    process = context.Process(target=_produce, args=(str(path), mapping, queue, os.getpid()), daemon=True)
    process.start()
    # while the helper reads its first chunk we would only wait: build the region index the
    # store's writer places parties by meanwhile (about a second, once per process)
    warming = threading.Thread(target=_warm_region_index, name="region-index", daemon=True)
    warming.start()
    try:
        while True:
            item = _next_item(queue, process)
            warming.join()
            if isinstance(item, Chunk):
                yield item
            elif isinstance(item, BaseException):
                raise item
            else:
                return
    finally:
        if process.is_alive():
            process.terminate()
        process.join()
