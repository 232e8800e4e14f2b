"""Import speed and memory: 1,000,000 resampled real Chinese records into a fresh store.

    .venv/bin/python benchmarks/import_bench.py [--records N] [--layout patentics|incopat]

Prints records/s for the import (the file is written first, not timed) and the peak RSS of
the importing process.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.resample import write_resampled  # noqa: E402
from patentatlas.imports import import_file  # noqa: E402
from patentatlas.store import open_store  # noqa: E402
from patentatlas.store.cluster import cluster_patents  # noqa: E402
from patentatlas.store.reference import ensure_reference  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "cn_patents"
LAYOUTS = {
    "patentics": DATA / "patentics_cn_title_VR_7805.csv",
    "incopat": DATA / "incopat_toyota_autodrive_5048.csv",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--layout", choices=sorted(LAYOUTS), default="patentics")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="patentatlas-bench-"))
    source = workdir / f"resampled_{args.layout}_{args.records}.csv"
    if not source.exists():
        t0 = time.perf_counter()
        write_resampled(LAYOUTS[args.layout], source, args.records)
        print(f"wrote {source} ({source.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s")
    db = workdir / "bench.duckdb"
    db.unlink(missing_ok=True)
    conn = open_store(db)
    ensure_reference(conn)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    report = import_file(conn, source)
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
    # not part of the import: the server does it nightly after imports (store/cluster.py); the
    # dashboard benchmarks read the store as a running server keeps it
    clustered = cluster_patents(conn)
    print(f"clustering      {clustered['seconds']:.1f} s after the import (patents in region order; untimed above)")


if __name__ == "__main__":
    main()
