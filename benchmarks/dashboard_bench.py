"""Dashboard speed: a region overview's indicators and the map's JSON on the 1,000,000-record store.

    .venv/bin/python benchmarks/import_bench.py --workdir /tmp/bench_b   # builds /tmp/bench_b/bench.duckdb once
    .venv/bin/python benchmarks/dashboard_bench.py [--db /tmp/bench_b/bench.duckdb] [--runs 20]

Times ``region_indicators`` for a province and a city and ``map_data`` for China (100000) and a
province, ``--runs`` times each after one warm-up run, and prints the median and p95 in ms
against the targets (issue 15: province indicators and the China map ≤ 30 ms median, read from
the summary tables), and the median CPU time of the process (every DuckDB thread): on a shared
machine the wall clock moves with the load, the CPU time much less, so compare two versions by it.
Beside them, in the same run: the same figures computed from the patents (``summaries=False``,
3 runs) and the raw baseline, one plain DuckDB group-by over the province's patents.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from patentatlas.analytics.summaries import refresh_summaries, serves_summaries, store_basis  # noqa: E402
from patentatlas.domain.indicators import map_data, region_indicators  # noqa: E402
from patentatlas.store import open_store  # noqa: E402
from patentatlas.store.cluster import needs_clustering  # noqa: E402

TARGETS_MS = {"overview": 30.0, "map": 30.0, "patents": float("inf"), "raw": float("inf")}


def _largest(conn: Any, column: str, where: str = "TRUE") -> str:
    """The region code with the most patents (a realistic, heavy case)."""
    rows = conn.execute(f"SELECT {column} FROM patents WHERE {column} IS NOT NULL AND {where} "
                        "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").fetchall()
    if not rows:
        sys.exit("the store has no patents with regions: build it with benchmarks/import_bench.py first")
    return str(rows[0][0])


def _time(call: Callable[[], Any], runs: int) -> tuple[float, float, float]:
    """(median, p95) wall-clock ms and the median CPU ms of ``runs`` calls after one warm-up."""
    call()  # warm-up: DuckDB's caches, the rule files
    times, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        call()
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, round(0.95 * (len(times) - 1)))], statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, default=Path("/tmp/bench_b/bench.duckdb"))
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--province", help="province adcode (default: the one with most patents, and Zhejiang)")
    parser.add_argument("--city", help="city adcode (default: the one with most patents, and Hangzhou)")
    args = parser.parse_args()
    if not args.db.exists():
        sys.exit(f"no store at {args.db}: run benchmarks/import_bench.py --workdir {args.db.parent} first")
    if not serves_summaries(conn := open_store(args.db, read_only=True), store_basis(conn)):
        conn.close()  # the server refreshes them after each import and nightly; a store built before: now
        with open_store(args.db) as writable:
            print(f"summary tables refreshed first: {refresh_summaries(writable)}")
        conn = open_store(args.db, read_only=True)
    if needs_clustering(conn):
        print("note: the store is not clustered by region (as a running server keeps it): "
              f"run `patentatlas --db {args.db} optimize` first for the figures a server gives")
    patents = conn.execute("SELECT count(*) FROM patents").fetchall()[0][0]
    province = args.province or _largest(conn, "first_applicant_province_code")
    city = args.city or _largest(conn, "first_applicant_city_code")
    cases = [
        ("overview", f"region_indicators province {province}", lambda: region_indicators(conn, province)),
        ("overview", f"region_indicators city {city}", lambda: region_indicators(conn, city)),
        ("map", "map_data parent 100000 (provinces)", lambda: map_data(conn, "100000")),
        ("map", f"map_data parent {province} (cities)", lambda: map_data(conn, province)),
    ]
    if not args.province:  # the product's home region too (Zhejiang, Hangzhou), a mid-sized case
        cases += [
            ("overview", "region_indicators province 330000", lambda: region_indicators(conn, "330000")),
            ("overview", "region_indicators city 330100", lambda: region_indicators(conn, "330100")),
            ("map", "map_data parent 330000 (cities)", lambda: map_data(conn, "330000")),
        ]
    cases += [  # the same, from the patents; and the raw baseline
        ("patents", f"  from patents: province {province}", lambda: region_indicators(conn, province, summaries=False)),
        ("patents", "  from patents: map 100000", lambda: map_data(conn, "100000", summaries=False)),
        ("raw", f"  raw group-by, province {province}", lambda: conn.execute(
            "SELECT patent_type, year(filing_date), count(*) FROM patents WHERE first_applicant_province_code = ? "
            "GROUP BY ALL", [province]).fetchall()),
    ]
    in_scope = {code: conn.execute("SELECT count(*) FROM patents WHERE ? IN (first_applicant_province_code, "
                                   "first_applicant_city_code)", [code]).fetchall()[0][0]
                for code in (province, city)}
    print(f"store {args.db}: {patents:,} patents ({province}: {in_scope[province]:,}, {city}: {in_scope[city]:,}); "
          f"{args.runs} runs each, after one warm-up; load average {os.getloadavg()[0]:.2f}")
    print(f"{'case':<44}{'median ms':>10}{'p95 ms':>10}{'target':>9}  ok {'cpu ms':>8}")
    for kind, name, call in cases:
        median, p95, cpu = _time(call, 3 if kind == "patents" else args.runs)
        target = TARGETS_MS[kind]
        print(f"{name:<44}{median:>10.1f}{p95:>10.1f}{target:>9.0f}  {'yes' if median <= target else 'NO '}{cpu:>8.1f}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
