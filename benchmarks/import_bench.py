"""Import speed and memory: 1,000,000 resampled real Chinese records into a fresh store.

    .venv/bin/python benchmarks/import_bench.py [--records N] [--layout patentics|incopat|citations]

Prints records/s for the import (the file is written first, not timed), the time of each step
of the import service (the store's load, then placement, value scores, search upkeep, summaries),
the peak RSS of the importing process, and beside them the raw baseline of the same run: the same
file read into a plain DuckDB table (``read_csv``, every column text, no validation) in a process
of its own, in memory and into a database file (the store is a file: what it writes to disk, a
table in memory does not).
"""

from __future__ import annotations

import argparse
import functools
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import patentatlas.imports as service  # noqa: E402
from benchmarks.resample import write_resampled  # noqa: E402
from patentatlas.store import open_store  # noqa: E402
from patentatlas.store.cluster import cluster_patents  # noqa: E402
from patentatlas.store.reference import ensure_reference  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "cn_patents"
LAYOUTS = {
    "patentics": DATA / "patentics_cn_title_VR_7805.csv",
    "incopat": DATA / "incopat_toyota_autodrive_5048.csv",
    # the one export that lists cited and citing publications (about 9 a record): the citations table's cost
    "citations": DATA / "patentics_thundersoft_cn_511.csv",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--layout", choices=sorted(LAYOUTS), default="patentics")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--distinct-applicants", action="store_true",
                        help="every row's applicants new names (a real file's many applicants; see resample.py)")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="patentatlas-bench-"))
    distinct = "_distinct" if args.distinct_applicants else ""
    source = workdir / f"resampled_{args.layout}_{args.records}{distinct}.csv"
    if not source.exists():
        t0 = time.perf_counter()
        write_resampled(LAYOUTS[args.layout], source, args.records, distinct_applicants=args.distinct_applicants)
        print(f"wrote {source} ({source.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s")
    db = workdir / "bench.duckdb"
    db.unlink(missing_ok=True)
    conn = open_store(db)
    ensure_reference(conn)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    steps = _timed_steps()
    report = service.import_file(conn, source)
    elapsed = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    main_cpu = cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    helper = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"layout          {args.layout}")
    print(f"records read    {report.read:,} (loaded {report.loaded:,}, quarantined {report.quarantined:,})")
    print(f"import time     {elapsed:.1f} s")
    print(f"records/s       {report.read / elapsed:,.0f}")
    print(f"peak RSS        {peak:,.0f} MB (before import {rss_before:,.0f} MB)")
    print(f"helper peak RSS {helper:,.0f} MB (the process reading the file, when it is large)")
    print(f"CPU seconds     {main_cpu:.1f} importing process, {child.ru_utime + child.ru_stime:.1f} helper")
    print(f"store size      {db.stat().st_size / 1e6:,.0f} MB")
    for step, seconds in steps.items():
        print(f"  {step:<21} {seconds:6.1f} s")
    raw = _raw_read_csv(source)
    print(f"raw read_csv    {report.read / raw:,.0f} records/s ({raw:.1f} s, into memory; the import is "
          f"{raw / elapsed:.0%} of it)")
    kept = _raw_read_csv(source, workdir / "raw.duckdb")
    print(f"  into a file   {report.read / kept:,.0f} records/s ({kept:.1f} s, a DuckDB file as the store is; "
          f"the import is {kept / elapsed:.0%} of it)")
    # not part of the import: the server does it nightly after imports (store/cluster.py); the
    # dashboard benchmarks read the store as a running server keeps it
    clustered = cluster_patents(conn)
    print(f"clustering      {clustered['seconds']:.1f} s after the import (patents in region order; untimed above)")


_STEPS = ("load_file", "recompute_specialty", "place_patents", "record_patent_figures", "refresh_values",
          "after_import", "refresh_summaries")


def _timed_steps() -> dict[str, float]:
    """Seconds spent in each step of the import service (its functions wrapped with a clock)."""
    seconds = dict.fromkeys(_STEPS, 0.0)

    def clocked(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def run(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                seconds[name] += time.perf_counter() - start
        return run

    for name in _STEPS:
        setattr(service, name, clocked(name, getattr(service, name)))
    return seconds


def _raw_read_csv(source: Path, database: Path | None = None) -> float:
    """Seconds a fresh process takes to read the file into a plain DuckDB table, all text: in
    memory, or into ``database`` (a file, written to disk as the store's tables are)."""
    if database is not None:
        database.unlink(missing_ok=True)
    script = ("import duckdb, sys, time; c = duckdb.connect(sys.argv[2]); "
              "c.execute('SET enable_progress_bar = false'); t = time.perf_counter(); "
              "c.execute(\"CREATE TABLE raw AS SELECT * FROM read_csv(?, all_varchar = true)\", [sys.argv[1]]); "
              "sys.argv[2] == ':memory:' or c.execute('CHECKPOINT'); print(time.perf_counter() - t)")
    out = subprocess.run([sys.executable, "-c", script, str(source), str(database or ":memory:")],
                         capture_output=True, text=True, check=True)
    if database is not None:
        database.unlink(missing_ok=True)
    return float(out.stdout.strip())


if __name__ == "__main__":
    main()
