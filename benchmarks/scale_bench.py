"""Scale: the province indicators and the China map on 1M, 5M and 20M resampled records, on DuckDB
(the store: its summary tables, and the patents scanned) and on Spark local (the Parquet export),
each with its time and peak memory, and Spark's summaries compared with DuckDB's (parity).

    .venv/bin/python benchmarks/import_bench.py --workdir /tmp/bench_b        # the 1M store, once
    .venv/bin/python benchmarks/scale_bench.py --base /tmp/bench_b/bench.duckdb --sizes 1,5,20

A store of N million records is the 1M benchmark store (real records resampled with fresh
application numbers, benchmarks/resample.py) copied N times with fresh numbers again: every copy a
new patent with a real record's fields. The copies leave out the free text no indicator reads
(titles, abstracts, claims) to keep the build short; the originals keep it. Each engine runs in a
process of its own, so that its peak memory (the process and its children: Spark's JVM) is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import duckdb  # noqa: E402
import psutil  # noqa: E402

PROVINCE = "440000"  # Guangdong: the province with most patents in the benchmark store
_FREE_TEXT = ("title_zh", "title_en", "abstract_zh", "abstract_en", "main_claim")


class PeakMemory:
    """The highest resident memory of this process and its children, sampled every 50 ms."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            try:
                rss = me.memory_info().rss + sum(c.memory_info().rss for c in me.children(recursive=True))
            except psutil.Error:
                rss = 0
            self.peak = max(self.peak, rss)
            self._stop.wait(0.05)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def mb(self) -> int:
        return round(self.peak / 2**20)


def build_store(base: Path, target: Path, millions: int) -> float:
    """``target``: the base store and ``millions`` − 1 copies of its patents with fresh numbers."""
    from patentatlas.analytics.summaries import refresh_summaries
    from patentatlas.store import open_store
    from patentatlas.store.cluster import cluster_patents

    started = time.perf_counter()
    target.unlink(missing_ok=True)
    subprocess.run(["cp", str(base), str(target)], check=True)
    conn = open_store(target)
    blank = ", ".join(f"NULL AS {c}" for c in _FREE_TEXT)
    for copy in range(1, millions):
        suffix = f"'-{copy}'"
        conn.execute(f"INSERT INTO patents SELECT * REPLACE (application_number || {suffix} AS application_number, "
                     f"{blank}) FROM patents WHERE NOT contains(application_number, '-')")
        conn.execute(f"INSERT INTO placements SELECT * REPLACE (application_number || {suffix} AS application_number) "
                     "FROM placements WHERE NOT contains(application_number, '-')")
    cluster_patents(conn)
    refresh_summaries(conn)
    conn.close()
    return round(time.perf_counter() - started, 1)


def _median_ms(call: Any, runs: int) -> float:
    call()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 1)


def duckdb_phase(db: Path, runs: int) -> dict[str, Any]:
    """Summary refresh, the dashboards from summaries and from the patents, and the raw baseline."""
    from patentatlas.analytics.summaries import refresh_summaries
    from patentatlas.domain.indicators import map_data, region_indicators
    from patentatlas.store import open_store

    conn = open_store(db)
    with PeakMemory() as peak:
        started = time.perf_counter()
        built = refresh_summaries(conn)
        refresh_s = time.perf_counter() - started
        out = {
            "patents": conn.execute("SELECT count(*) FROM patents").fetchall()[0][0],
            "summary_rows": sum(v for k, v in built.items() if k.startswith("summary_")),
            "refresh_s": round(refresh_s, 1),
            "province_ms": _median_ms(lambda: region_indicators(conn, PROVINCE), runs),
            "map_ms": _median_ms(lambda: map_data(conn, "100000"), runs),
            "raw_groupby_ms": _median_ms(lambda: conn.execute(
                "SELECT patent_type, year(filing_date), count(*) FROM patents "
                "WHERE first_applicant_province_code = ? GROUP BY ALL", [PROVINCE]).fetchall(), runs),
            "province_scan_ms": _median_ms(lambda: region_indicators(conn, PROVINCE, summaries=False), 2),
            "map_scan_ms": _median_ms(lambda: map_data(conn, "100000", summaries=False), 2),
        }
    conn.close()
    return {**out, "peak_mb": peak.mb}


def export_phase(db: Path, parquet: Path) -> dict[str, Any]:
    from patentatlas.store import open_store
    from patentatlas.store.export import export_store

    conn = open_store(db, read_only=True)
    with PeakMemory() as peak:
        started = time.perf_counter()
        export_store(conn, "parquet", parquet)
        seconds = time.perf_counter() - started
    return {"export_s": round(seconds, 1), "export_peak_mb": peak.mb}


def spark_phase(db: Path, parquet: Path, master: str) -> dict[str, Any]:
    """The indicators and map jobs on Spark local, and their summaries compared with the store's."""
    from patentatlas.analytics.dataset import open_dataset
    from patentatlas.analytics.spark import map_table, run_job, spark_session
    from patentatlas.analytics.summaries import TABLES

    with PeakMemory() as peak:
        started = time.perf_counter()
        spark = spark_session(master)
        start_s = time.perf_counter() - started
        started = time.perf_counter()
        _basis, tables = run_job(spark, open_dataset(parquet), "indicators")
        figures = {name: frame.collect() for name, frame in tables.items()}
        figures["map_counts"] = map_table(spark).collect()
        job_s = time.perf_counter() - started
        province = next(r for r in figures["region_head"] if r[:3] == ("province", PROVINCE, ""))
    store = duckdb.connect(str(db), read_only=True)
    equal = {}
    for table in TABLES:
        columns = [d[0] for d in store.execute(f"SELECT * FROM {table} LIMIT 0").description]
        mine = Counter(store.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall())
        equal[table] = mine == Counter(tuple(r) for r in tables[table].select(*columns).collect())
    store.close()
    spark.stop()
    return {"spark_start_s": round(start_s, 1), "spark_job_s": round(job_s, 1), "spark_peak_mb": peak.mb,
            "spark_province_valid": province[3], "parity": all(equal.values()), "parity_tables": equal}


def _child(phase: str, **kwargs: Any) -> dict[str, Any]:
    """Run one phase in a fresh process (its own peak memory); its JSON result."""
    args = [sys.executable, __file__, "--phase", phase, *(f"--{k}={v}" for k, v in kwargs.items())]
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"phase {phase} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", type=Path, default=Path("/tmp/bench_b/bench.duckdb"))
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/scale_bench"))
    parser.add_argument("--sizes", default="1,5,20", help="millions of records, comma-separated")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--master", default="local[*]")
    parser.add_argument("--no-spark", action="store_true")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--parquet", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:  # inside a child process
        result = {"duckdb": lambda: duckdb_phase(args.db, args.runs),
                  "export": lambda: export_phase(args.db, args.parquet),
                  "spark": lambda: spark_phase(args.db, args.parquet, args.master)}[args.phase]()
        print(json.dumps(result, default=str))
        return
    if not args.base.exists():
        sys.exit(f"no 1M store at {args.base}: run benchmarks/import_bench.py --workdir {args.base.parent} first")
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB; "
          f"load average {os.getloadavg()[0]:.2f} at start")
    for millions in (int(s) for s in args.sizes.split(",")):
        db = args.workdir / f"scale_{millions}m.duckdb"
        if not db.exists():
            print(f"{millions}M: building the store … {build_store(args.base, db, millions)} s", flush=True)
        row = {"records": f"{millions}M", **_child("duckdb", db=db, runs=args.runs)}
        if not args.no_spark:
            parquet = args.workdir / f"parquet_{millions}m"
            row.update(_child("export", db=db, parquet=parquet))
            row.update(_child("spark", db=db, parquet=parquet, master=args.master))
        print(json.dumps(row, default=str), flush=True)
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
