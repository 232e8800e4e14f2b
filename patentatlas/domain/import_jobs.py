"""Imports the running server does itself: an admin uploads an export and the server imports it
in the background (DuckDB lets one process write a store, so while the server holds it a
``patentatlas import`` from the command line cannot open it).

One import at a time. The file is read by the importer's helper process whatever its size, so the
parsing does not hold the server's interpreter while pages are answered; the store's part runs
in a thread with a cursor of its own, each batch one transaction, the pages seeing one change
when it ends (:func:`patentatlas.imports.import_file`). A job says how far it got (rows read),
then its counts or what went wrong, and the audit log records who imported what.

>>> jobs = ImportJobs()
>>> jobs.current() is None
True
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import duckdb

from patentatlas.domain.accounts import audit, now
from patentatlas.errors import PatentAtlasError, UsageError
from patentatlas.i18n import message

_SAFE = re.compile(r"[^\w.\-\u4e00-\u9fff]+")
KEPT_JOBS = 20  # finished jobs listed on the page
_COUNTS = ("read", "loaded", "updated", "unchanged", "quarantined")


class ImportRunningError(UsageError):
    """An import is already running: one at a time."""

    status_code = 409


@dataclass
class ImportJob:
    """One upload being imported: how far it got, then what it did."""

    job_id: int
    file: str
    by: int | None
    started_at: dt.datetime
    status: str = "running"  # running | done | failed
    read: int = 0
    finished_at: dt.datetime | None = None
    counts: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"job_id": self.job_id, "file": self.file, "status": self.status, "read": self.read,
                "started_at": self.started_at, "finished_at": self.finished_at, "counts": self.counts,
                "error": self.error}


class ImportJobs:
    """The server's import jobs: the one running (if any) and the latest finished."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)  # a job's number, never given twice (the list keeps the latest)
        self._jobs: list[ImportJob] = []
        self._threads: list[threading.Thread] = []

    def current(self) -> ImportJob | None:
        with self._lock:
            return next((j for j in self._jobs if j.status == "running"), None)

    def listed(self) -> list[dict[str, Any]]:
        """Newest first, as the page and the API show them."""
        with self._lock:
            return [j.to_dict() for j in reversed(self._jobs)]

    def start(self, conn: duckdb.DuckDBPyConnection, path: Path, by: int | None) -> ImportJob:
        """Import ``path`` (already saved where the server keeps uploads) in the background."""
        with self._lock:
            if any(j.status == "running" for j in self._jobs):
                raise ImportRunningError(message("err_import_running"))
            job = ImportJob(next(self._ids), path.name, by, now())
            self._jobs = [*self._jobs[-KEPT_JOBS:], job]
            thread = threading.Thread(target=self._run, args=(conn, path, job), name=f"import-{job.job_id}",
                                      daemon=True)
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()
        return job

    def wait(self, timeout: float | None = None) -> None:
        """Until the jobs started so far are over (the tests and a server stopping)."""
        for thread in list(self._threads):
            thread.join(timeout)

    def _run(self, conn: duckdb.DuckDBPyConnection, path: Path, job: ImportJob) -> None:
        from patentatlas.imports import import_file

        def progress(rows: int) -> None:
            job.read += rows

        cursor = conn.cursor()  # a cursor per thread: DuckDB's rule
        try:
            report = import_file(cursor, path, progress=progress, apart=True)
            job.counts = {k: v for k, v in report.counts().items() if k in _COUNTS}
            job.read, job.status = report.read, "done"
            audit(cursor, job.by, "import.upload", job.file, job.counts)
        except PatentAtlasError as exc:
            job.status, job.error = "failed", exc.message
        except Exception as exc:  # noqa: BLE001 — a job reports what stopped it; the store rolled the batch back
            job.status, job.error = "failed", f"{type(exc).__name__}: {exc}"
        finally:
            job.finished_at = now()
            cursor.close()


def upload_path(folder: Path, name: str, at: dt.datetime) -> Path:
    """Where an upload named ``name`` is kept: the store's uploads folder, the time first and the
    name reduced to letters, digits, Chinese, dots and dashes (no path from the client survives).

    >>> upload_path(Path("/srv/uploads"), "../../etc/杭州 export.csv", dt.datetime(2026, 12, 3, 14, 5, 9)).name
    '20261203-140509_杭州_export.csv'
    """
    base = _SAFE.sub("_", Path(name.replace("\\", "/")).name).strip("._") or "upload.csv"
    return folder / f"{at:%Y%m%d-%H%M%S}_{base[-120:]}"


def keep_upload(folder: Path, name: str, at: dt.datetime, data: BinaryIO) -> Path:
    """Copy an upload to its :func:`upload_path`, a new file each time: a second upload of the
    same name in the same second gets ``-2`` after the time (never another upload's file)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = upload_path(folder, name, at)
    stamp, rest = path.name.split("_", 1)
    number = 1
    while True:
        try:
            with path.open("xb") as out:
                shutil.copyfileobj(data, out, 1 << 20)
            return path
        except FileExistsError:
            number += 1
            path = folder / f"{stamp}-{number}_{rest}"
