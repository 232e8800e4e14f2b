"""Importing real exports into a store: counts add up, rows merge, re-imports change nothing,
newer exports update and record status changes, a crash leaves the store as it was."""

from __future__ import annotations

import csv
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import psutil
import pytest

from benchmarks.resample import write_resampled
from patentatlas.imports import import_file
from tests.conftest import THUNDERSOFT, TOYOTA, VR


def _adds_up(report) -> bool:  # type: ignore[no-untyped-def]
    return report.read == report.loaded + report.updated + report.unchanged + report.quarantined


def test_toyota_rows_of_one_application_merge(store: duckdb.DuckDBPyConnection) -> None:
    report = import_file(store, TOYOTA)
    # 5,048 rows; 4,041 applications; 1,006 of them have an A and a B row (one also a B8);
    # one TW row carries the malformed IPC code "B60R/" and goes to quarantine
    assert (report.read, report.loaded, report.updated, report.unchanged, report.quarantined) == (
        5048, 4041, 1006, 0, 1)
    assert store.execute("SELECT row_number, field, reason FROM quarantine").fetchall() == [
        (4788, "IPC", "'B60R/' is not an IPC/CPC symbol (e.g. G06F16/583)")]
    (patents,) = store.execute("SELECT count(*) FROM patents").fetchall()[0]
    assert patents == 4041
    pubs = store.execute(
        "SELECT publication_number, kind FROM publications WHERE application_number = 'CN201610031807.0' "
        "ORDER BY publication_number").fetchall()
    assert pubs == [("CN105807763A", "A"), ("CN105807763B", "B"), ("CN105807763B8", "B")]
    row = store.execute(
        "SELECT publication_number, grant_date, status, status_text FROM patents "
        "WHERE application_number = 'CN202010302257.8'").fetchall()[0]
    assert row == ("CN111856303B", dt.date(2023, 3, 17), "in_force", "授权")


def test_reimport_changes_nothing(store: duckdb.DuckDBPyConnection) -> None:
    import_file(store, TOYOTA)
    everything_but_last_seen = "SELECT * EXCLUDE (last_batch_id) FROM patents ORDER BY application_number"
    before = store.execute(everything_but_last_seen).fetchall()
    second = import_file(store, TOYOTA)
    assert (second.read, second.loaded, second.updated, second.unchanged, second.quarantined) == (
        5048, 0, 0, 5047, 1)
    after = store.execute(everything_but_last_seen).fetchall()
    # the loader keeps the application number unique (the table has no key index: see schema.py)
    assert store.execute("SELECT count(*), count(DISTINCT application_number) FROM patents").fetchall() == [
        (4041, 4041)]
    assert after == before
    # the second import still saw every patent: last_batch_id is the last batch that saw it
    assert store.execute("SELECT DISTINCT last_batch_id FROM patents").fetchall() == [(second.batch_ids[-1],)]
    (changes,) = store.execute("SELECT count(*) FROM status_changes").fetchall()[0]
    assert changes == 0
    batches = store.execute("SELECT batch_id, rows_read, loaded, unchanged FROM import_batches ORDER BY 1").fetchall()
    assert batches == [(1, 5048, 4041, 0), (2, 5048, 0, 5047)]


def _newer_export(tmp_path: Path) -> Path:
    """The ThunderSoft export as a later download would show it: two pending applications
    granted, one rejected."""
    with THUNDERSOFT.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    app, status = header.index("申请号"), header.index("法律状态")
    changes = {"CN202210836006.7": "有效", "CN202210344028.1": "有效", "CN202210854000.2": "驳回"}
    for row in rows[1:]:
        row[status] = changes.get(row[app], row[status])
    target = tmp_path / "thundersoft_newer.csv"
    with target.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return target


def test_newer_export_updates_and_records_status_changes(store: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    first = import_file(store, THUNDERSOFT, observed_on=dt.date(2026, 10, 1))
    assert (first.read, first.loaded, first.quarantined) == (511, 511, 0)
    newer = import_file(store, _newer_export(tmp_path), observed_on=dt.date(2026, 11, 20))
    assert (newer.read, newer.loaded, newer.updated, newer.unchanged) == (511, 0, 3, 508)
    changes = store.execute(
        "SELECT application_number, observed_on, old_status, new_status, old_status_text, new_status_text "
        "FROM status_changes ORDER BY application_number").fetchall()
    assert changes == [
        ("CN202210344028.1", dt.date(2026, 11, 20), "pending", "in_force", "公开", "有效"),
        ("CN202210836006.7", dt.date(2026, 11, 20), "pending", "in_force", "公开", "有效"),
        ("CN202210854000.2", dt.date(2026, 11, 20), "pending", "lapsed", "公开", "驳回"),
    ]


def test_every_real_file_adds_up(store: duckdb.DuckDBPyConnection) -> None:
    for path in (TOYOTA, VR, THUNDERSOFT):
        assert _adds_up(import_file(store, path))
    (batches,) = store.execute(
        "SELECT count(*) FROM import_batches WHERE rows_read = loaded + updated + unchanged + quarantined"
    ).fetchall()[0]
    assert batches == 3


# the import a user runs, in its own process, telling a file how many rows it has written so far
# (its progress callback, the one the CLI's progress bar reads) so the test can kill it mid-import
_IMPORT_TELLING_PROGRESS = """
import sys
from pathlib import Path
from patentatlas.store import open_store
from patentatlas.imports import import_file

db, source, marker = sys.argv[1:]
written = 0
def progress(rows):
    global written
    written += rows
    Path(marker + ".tmp").write_text(str(written))
    Path(marker + ".tmp").replace(marker)
import_file(open_store(Path(db)), Path(source), batch_rows=20_000, progress=progress)
"""


def _wait_for(condition, what: str, seconds: float):  # type: ignore[no-untyped-def]
    """Poll ``condition`` until it gives a true value, for at most ``seconds``."""
    deadline = time.monotonic() + seconds
    while not (value := condition()):
        assert time.monotonic() < deadline, f"{what}: not within {seconds:.0f} s"
        time.sleep(0.05)
    return value


def _rows_written(marker: Path) -> int:
    return int(marker.read_text()) if marker.exists() else 0


def test_crash_mid_import_leaves_store_as_before(tmp_path: Path) -> None:
    """SIGKILL in the middle of a big import: every batch is all there or not there at all, and
    the helper process reading the file exits by itself."""
    db, marker = tmp_path / "crash.duckdb", tmp_path / "written"
    temp = tmp_path / "temp"  # where the helper hands its chunks over
    temp.mkdir()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]), "TMPDIR": str(temp)}
    cli = [sys.executable, "-m", "patentatlas.cli", "--db", str(db)]
    subprocess.run([*cli, "import", str(THUNDERSOFT)], check=True, env=env, capture_output=True)
    big = write_resampled(VR, tmp_path / "big.csv", 150_000)  # 47 MB: read by a helper process
    proc = subprocess.Popen([sys.executable, "-c", _IMPORT_TELLING_PROGRESS, str(db), str(big), str(marker)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # chunks of 5,000, 20,000 and 80,000 rows written (the first batches committed), the rest to come
        _wait_for(lambda: _rows_written(marker) >= 40_000 or proc.poll() is not None, "40,000 rows written", 180)
        assert proc.poll() is None, "the import finished before it could be interrupted"
        helpers = psutil.Process(proc.pid).children()
        assert helpers, "a file this big is read by a helper process"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    # the helper notices its parent is gone and exits by itself (no orphan left parsing the file),
    # within its watchdog's period: the bound only stops a broken helper from hanging the suite
    _, alive = psutil.wait_procs(helpers, timeout=15)
    assert alive == []
    assert list(temp.iterdir()) == []  # and the chunks it had handed over went with it
    conn = duckdb.connect(str(db))
    batches = conn.execute("SELECT rows_read, loaded + updated + unchanged + quarantined, finished_at IS NOT NULL "
                           "FROM import_batches ORDER BY batch_id").fetchall()
    assert batches[0] == (511, 511, True)
    # each batch of the killed import is all there (every row read accounted for, finished) or absent
    killed = batches[1:]
    assert killed and all(read == accounted and finished for read, accounted, finished in killed), killed
    assert killed[0][0] == 5_000  # the file's first chunk, a quarter of 20,000, is its first batch
    assert sum(read for read, _, _ in killed) <= _rows_written(marker) < 150_000
    (loaded,) = conn.execute("SELECT sum(loaded) FROM import_batches").fetchall()[0]
    assert conn.execute("SELECT count(*) FROM patents").fetchall()[0] == (loaded,)


def test_batches_imported_before_observed_on_existed_are_dated_by_when_they_finished(
        tmp_path: Path) -> None:
    from patentatlas.store import schema

    conn = duckdb.connect(str(tmp_path / "old.duckdb"))
    shipped = list(schema.MIGRATIONS)
    schema.MIGRATIONS[:] = shipped[:2]  # a store of last release: no import_batches.observed_on yet
    try:
        schema.migrate(conn)
    finally:
        schema.MIGRATIONS[:] = shipped
    conn.execute("INSERT INTO import_batches (batch_id, file, started_at, finished_at) VALUES "
                 "(1, 'a.csv', TIMESTAMP '2025-03-01 23:59:00', TIMESTAMP '2025-03-02 00:01:00')")
    assert 3 in schema.migrate(conn)
    assert conn.execute("SELECT observed_on FROM import_batches").fetchall() == [(dt.date(2025, 3, 2),)]
    conn.close()


def _stored(conn: duckdb.DuckDBPyConnection) -> list[list[tuple[object, ...]]]:
    """The patents, their parties and the links between them, in order."""
    return [conn.execute(sql).fetchall() for sql in (
        "SELECT application_number, patent_type, status, filing_date, applicant_names, ipc_codes, "
        "first_applicant_region_code FROM patents ORDER BY application_number",
        "SELECT * FROM parties ORDER BY party_id",
        "SELECT * FROM patent_parties ORDER BY ALL",
        "SELECT * FROM placements ORDER BY application_number")]


@pytest.mark.parametrize(("source", "counts", "sizes"), [
    (TOYOTA, (5048, 4041, 1006, 0, 1), [4041, 171, 4468, 4041]),  # its first chunk merges rows: parties worked out here
    (VR, (7805, 7805, 0, 0, 0), [7805, 3348, 8527, 7805]),  # nothing merges: the helper's parties are written
], ids=["toyota", "vr"])
def test_a_file_read_by_the_helper_loads_as_one_read_here(tmp_path: Path, source: Path,
                                                          counts: tuple[int, ...], sizes: list[int]) -> None:
    """The helper process (``apart``) hands over the same chunks, parties and first applicants'
    regions: the rows load, merge and quarantine, the parties and their links are written, and
    the patents are placed, exactly as when this process reads the file."""
    from patentatlas.store import open_store
    from patentatlas.store.reference import ensure_reference

    here, apart = open_store(tmp_path / "here.duckdb"), open_store(tmp_path / "apart.duckdb")
    for conn in (here, apart):
        ensure_reference(conn)
    reports = [import_file(here, source), import_file(apart, source, apart=True)]
    assert [(r.read, r.loaded, r.updated, r.unchanged, r.quarantined) for r in reports] == [counts] * 2
    assert _stored(apart) == _stored(here)
    assert [len(rows) for rows in _stored(here)] == sizes


def test_with_a_directory_a_file_read_by_the_helper_is_placed_as_one_read_here(tmp_path: Path) -> None:
    """Placement places in SQL the first applicants the helper resolved that no enterprise evidence
    names, and in Python the others (the directory's 网易, 大华, 新昌丽晶 and the SZSE companies):
    together, every placement is the one placing in Python alone gives."""
    from patentatlas.domain.directory import import_directory
    from patentatlas.store import open_store
    from patentatlas.store.reference import ensure_reference
    from tests.conftest import DATA, FIXTURES

    here, apart = open_store(tmp_path / "here.duckdb"), open_store(tmp_path / "apart.duckdb")
    for conn in (here, apart):
        ensure_reference(conn)
        import_directory(conn, DATA / "enterprise_directory" / "szse_a_share_list_2025-10-22.csv")
        import_directory(conn, FIXTURES / "directory" / "office_v1.csv")
    for source in (VR, THUNDERSOFT):
        import_file(here, source)
        import_file(apart, source, apart=True)
    assert _stored(apart) == _stored(here)
    methods = dict(here.execute("SELECT method, count(*) FROM placements GROUP BY method").fetchall())
    assert methods == {"directory": 573, "address": 202, "name": 6814, "none": 725}


def test_the_helper_runs_our_code_whatever_the_working_folder(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The helper imports the patentatlas this process runs, not a checkout in the working folder
    (an import started from another checkout's folder once ran that one's helper)."""
    from patentatlas.store import open_store
    from patentatlas.store.loader import load_file

    other = tmp_path / "checkout" / "patentatlas"
    other.mkdir(parents=True)
    (other / "__init__.py").write_text("raise ImportError('another checkout')\n", encoding="utf-8")
    monkeypatch.chdir(other.parent)
    report = load_file(open_store(tmp_path / "store.duckdb"), VR, apart=True)
    assert (report.read, report.loaded) == (7805, 7805)


def test_the_helper_asks_for_no_huge_pages(tmp_path: Path) -> None:
    """The helper runs with Arrow's allocator told not to mark its memory for transparent huge
    pages (each fault of one waited for the kernel to compact memory: seconds per million rows)."""
    from patentatlas.importers.prefetch import _start_helper

    process, channel = _start_helper(VR, None, str(tmp_path))
    try:
        # the process is started once its exec began, its new environment set up a moment later
        deadline = time.monotonic() + 10
        while not (environment := Path(f"/proc/{process.pid}/environ").read_bytes().split(b"\0"))[0] \
                and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        process.terminate()
        process.wait()
        channel.close()
    assert b"MIMALLOC_ALLOW_THP=0" in environment


def test_an_error_in_the_helper_is_raised_here(tmp_path: Path) -> None:
    """A file the helper cannot read is the same error, with the same message, as read here."""
    from patentatlas.errors import UnknownFormatError
    from patentatlas.store import open_store
    from patentatlas.store.loader import load_file

    odd = tmp_path / "odd.csv"
    odd.write_text("编号,名称\n1,一件专利\n", encoding="utf-8")
    said = []
    for apart in (False, True):
        with pytest.raises(UnknownFormatError) as raised:
            load_file(open_store(tmp_path / f"{apart}.duckdb"), odd, apart=apart)
        said.append(str(raised.value))
    assert said[0] == said[1] and "no column holds the application number" in said[0]


def test_a_helper_that_dies_is_an_import_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The helper killed while it reads (here: waiting on a pipe that never fills): the import
    fails with the helper's exit code instead of waiting for ever, and its chunks' folder goes."""
    import threading

    from patentatlas.importers.prefetch import ImportHelperError, prefetched_chunks

    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    fifo = tmp_path / "never.csv"
    os.mkfifo(fifo)
    failed: list[BaseException] = []
    reading = threading.Thread(target=lambda: failed.extend(_raised(lambda: next(prefetched_chunks(fifo, None)))))
    reading.start()
    helper = _wait_for(lambda: [p for p in psutil.Process().children() if "helper_main" in " ".join(p.cmdline())],
                       "the helper started", 30)[0]
    helper.kill()
    reading.join(timeout=30)
    assert [type(e) for e in failed] == [ImportHelperError]
    assert str(failed[0]) == "the process reading the file stopped unexpectedly (exit code -9)"
    assert failed[0].said("zh") == "读取文件的进程意外退出（退出码 -9）"  # type: ignore[attr-defined]
    assert [p.name for p in tmp_path.iterdir()] == ["never.csv"]


def _raised(call) -> list[BaseException]:  # type: ignore[no-untyped-def]
    try:
        call()
    except BaseException as exc:  # noqa: BLE001 - handed to the test
        return [exc]
    return []


def test_an_error_the_helper_cannot_pickle_still_reaches_the_import() -> None:
    """An error the helper cannot hand over as it is goes as its text: the import fails, it does
    not wait for ever (through a real pipe, as the helper sends)."""
    import queue
    import threading
    from multiprocessing import Pipe

    from patentatlas.importers import prefetch

    reading, writing = Pipe(duplex=False)
    outbox: queue.Queue[object] = queue.Queue()
    outbox.put(ValueError("a cell", lambda: None))  # a lambda does not pickle
    threading.Thread(target=prefetch._send, args=(outbox, writing), daemon=True).start()
    assert reading.poll(10)
    got = reading.recv()
    assert isinstance(got, prefetch.ImportHelperError)
    assert str(got).startswith("the process reading the file failed: ValueError('a cell', <function ")
    assert got.said("zh").startswith("读取文件的进程出错：ValueError('a cell', <function ")
