"""Reading a large file in a second process while the store writes what it already has.

Parsing is Python work and writing is DuckDB work: on two cores they overlap when the chunks are
produced by a helper process (:func:`helper_main`), a fresh interpreter that imports the
importers only (multiprocessing's ``spawn`` imported the importing program's main module again:
the benchmark's cost the helper 0.6 s before its first chunk). A chunk's states cross as an
Arrow IPC file in a folder of the import's own, which the importing process maps rather than
reads; the rest of the chunk (row numbers, rejections) is pickled through a pipe, up to
:data:`_QUEUE_DEPTH` chunks ahead. A watchdog thread in the helper ends it within
:data:`PARENT_CHECK_SECONDS` of its parent's death (a killed import leaves no process parsing
on), whether it is parsing or waiting on a full pipe.

>>> chunks = prefetched_chunks(Path("big.csv"), None)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import pickle
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.ipc

from patentatlas.errors import PatentAtlasError
from patentatlas.i18n import message
from patentatlas.importers.chunks import Chunk
from patentatlas.importers.parties import COLUMNS as PARTY_COLUMNS
from patentatlas.importers.parties import ChunkParties, chunk_parties, first_applicants
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
    """A chunk on its way: its states and its parties' links in Arrow IPC files, the rest as it is."""

    states: str
    rows: list[int]
    rejections: list[RowResult]
    derived: Counter[str]
    links: str
    parties: list[dict[str, Any]]
    first_applicants: str


def _ship(chunk: Chunk, folder: Path, number: int) -> _Shipped:
    """The chunk on its way, with its parties worked out here (the importing process would
    otherwise, while this one waits)."""
    found = chunk_parties(chunk.states.select(list(PARTY_COLUMNS)))
    states, links = _write(chunk.states, folder / f"{number}.arrow"), _write(found.links, folder / f"{number}.links")
    firsts = _write(first_applicants(chunk.states), folder / f"{number}.firsts")
    return _Shipped(states, chunk.rows, chunk.rejections, chunk.derived, links, found.rows, firsts)


def _write(table: pa.Table, path: Path) -> str:
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return str(path)


def _receive(shipped: _Shipped) -> Chunk:
    """The chunk, its tables mapped from their files (which are gone once nothing maps them)."""
    states, links, firsts = _read(shipped.states), _read(shipped.links), _read(shipped.first_applicants)
    parties = ChunkParties(shipped.parties, links, firsts)
    return Chunk(states, shipped.rows, shipped.rejections, shipped.derived, parties)


def _read(path: str) -> pa.Table:
    with pa.memory_map(path) as source:
        table = pa.ipc.open_file(source).read_all()
    os.unlink(path)
    return table


def _produce(path: str, mapping: dict[str, str] | None, channel: Connection, parent: int, folder: str) -> None:
    """In the helper process: every chunk of the file, then a done marker (or the error). Then it
    stays until the importing process ends it, having read the chunks' files; if that process dies
    first, the watchdog takes the folder with it (nothing is left in the temporary folder)."""
    import gc

    from patentatlas.importers import open_source

    gc.disable()
    threading.Thread(target=_exit_when_orphaned, args=(parent, folder), name="parent-watch", daemon=True).start()
    outbox: queue.Queue[Any] = queue.Queue(maxsize=_QUEUE_DEPTH)  # parsing goes on while one is sent
    threading.Thread(target=_send, args=(outbox, channel), name="sender", daemon=True).start()
    try:
        for number, chunk in enumerate(open_source(Path(path), mapping).chunks):
            _put(outbox, _ship(chunk, Path(folder), number), parent)
        _put(outbox, _DONE, parent)
    except _ParentGone:
        shutil.rmtree(folder, ignore_errors=True)  # nobody will read the chunks handed over
        return
    except BaseException as exc:  # handed to the parent, which raises it
        _put(outbox, exc, parent)
    threading.Event().wait()


def _send(outbox: queue.Queue[Any], channel: Connection) -> None:
    """In the helper: what is put in the outbox, through the pipe, in order (blocking while the
    importing process has not read the last one). An error that cannot be pickled goes as its
    text (the importing process would otherwise wait for ever); a pipe with no reader ends the
    sending (the importing process is gone: the watchdog ends this one)."""
    while True:
        item = outbox.get()
        try:
            channel.send(item)
        except (pickle.PicklingError, TypeError, AttributeError):
            channel.send(ImportHelperError(message("err_import_helper_failed", error=repr(item))))
        except OSError:
            return


class _ParentGone(Exception):
    """The importing process is gone: nobody will read what we produce."""


def _put(outbox: queue.Queue[Any], item: Any, parent: int) -> None:
    while True:
        try:
            outbox.put(item, timeout=1.0)
            return
        except queue.Full:
            if os.getppid() != parent:
                raise _ParentGone from None


def _next_item(channel: Connection, process: subprocess.Popen[bytes]) -> Any:
    """The helper's next item; an error if it died without saying why."""
    while not channel.poll(1.0):
        if process.poll() is not None:
            break
    try:
        return channel.recv()
    except EOFError:
        process.wait()
        raise ImportHelperError(message("err_import_helper_stopped", code=process.returncode)) from None


def _warm_region_index() -> None:
    from patentatlas.reference.regions import resolve_region

    resolve_region("", None, None, "CN")


_HELPER = "from patentatlas.importers.prefetch import helper_main; helper_main()"
# Arrow's allocator (mimalloc) marks its arenas for transparent huge pages; where the kernel compacts
# memory for pages so marked (THP defrag "madvise", the kernel's default), a fault in one waits for a
# 2 MB page, and each purge gives the page back to fault again: the helper spent 2.3-3.8 s of system
# time on a million rows, 0.7-1.1 s without (the same user time), and the store's load took 2 s less.
# What the caller's environment sets wins.
HELPER_ENVIRONMENT = {"MIMALLOC_ALLOW_THP": "0"}


def _start_helper(path: Path, mapping: dict[str, str] | None,
                  folder: str) -> tuple[subprocess.Popen[bytes], Connection]:
    """The helper process, and the end of the pipe it writes to."""
    reading, writing = os.pipe()
    try:
        # our pid, not the helper's getppid(): a parent killed before the helper starts is noticed too
        arguments = [str(writing), str(path), json.dumps(mapping), str(os.getpid()), folder]
        env = {**HELPER_ENVIRONMENT, **os.environ,
               "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}  # where we found ourselves
        # -P: not the working folder first (a checkout there would be another patentatlas than ours)
        process = subprocess.Popen([sys.executable, "-P", "-c", _HELPER, *arguments],
                                   pass_fds=[writing], env=env, stdin=subprocess.DEVNULL)
    except BaseException:
        os.close(reading)
        raise
    finally:
        os.close(writing)  # the helper's now: the pipe ends (EOFError here) when the helper does
    return process, Connection(reading, writable=False)


def prefetched_chunks(path: Path, mapping: dict[str, str] | None) -> Iterator[Chunk]:
    """The file's chunks, produced in a helper process; its errors are raised here."""
    folder = tempfile.mkdtemp(prefix="patentatlas-chunks-")
    try:
        process, channel = _start_helper(path, mapping, folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    # while the helper reads its first chunk we would only wait: load the region index the store's
    # writer places parties by where the helper's parties do not serve (a chunk that merges rows)
    warming = threading.Thread(target=_warm_region_index, name="region-index", daemon=True)
    warming.start()
    try:
        while True:
            item = _next_item(channel, process)
            warming.join()
            if isinstance(item, _Shipped):
                yield _receive(item)
            elif isinstance(item, BaseException):
                raise item
            else:
                return
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait()
        channel.close()
        shutil.rmtree(folder, ignore_errors=True)


def helper_main() -> None:
    """The helper process's program (:data:`_HELPER`): its arguments are the pipe's descriptor, the
    file, the mapping (JSON), the importing process's pid and the chunks' folder."""
    fd, path, mapping, parent, folder = sys.argv[1:]
    _produce(path, json.loads(mapping), Connection(int(fd), readable=False), int(parent), folder)
