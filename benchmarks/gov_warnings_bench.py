"""Government fee warnings speed: ``region_warning_summary`` (and the fee engine under it,
``current_fees``) for China and the largest province on the 1,000,000-record store.

    .venv/bin/python benchmarks/import_bench.py --workdir /tmp/bench_b   # builds /tmp/bench_b/bench.duckdb once
    .venv/bin/python benchmarks/gov_warnings_bench.py [--db /tmp/bench_b/bench.duckdb] [--runs 10] [--as-of DATE]

The store is opened read-only. Each case runs ``--runs`` times after one warm-up run; the median
and p95 are printed in ms. The date defaults to the day the store's import was observed: the
benchmark store records no payments, so every fee due in the last six months counts as in the grace
period, the heaviest case. Target: current_fees for the whole country well under 10 s.
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

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from patentatlas.domain.fee_watch import region_warning_summary  # noqa: E402
from patentatlas.domain.region_fees import current_fees, warning_scope  # noqa: E402
from patentatlas.store import open_store  # noqa: E402

TARGET_MS = {"current_fees": 10_000.0}


def _time(call: Callable[[], Any], runs: int) -> tuple[float, float]:
    call()  # warm-up: DuckDB's caches, the holiday calendar
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, default=Path("/tmp/bench_b/bench.duckdb"))
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--as-of", default=None, help="the date (default: the day the import was observed)")
    args = parser.parse_args()
    if not args.db.exists():
        sys.exit(f"no store at {args.db}: run benchmarks/import_bench.py --workdir {args.db.parent} first")
    conn = open_store(args.db, read_only=True)
    try:
        conn.execute("SELECT count(*) FROM fee_payments").fetchall()
    except duckdb.CatalogException:
        sys.exit(f"{args.db} was built before the fee-payments migration: rebuild it with benchmarks/import_bench.py")
    patents = conn.execute("SELECT count(*) FROM patents").fetchall()[0][0]
    province = conn.execute("SELECT first_applicant_province_code FROM patents WHERE first_applicant_province_code "
                            "IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").fetchall()[0][0]
    china, largest = warning_scope(conn, "100000", None, args.as_of), warning_scope(conn, province, None, args.as_of)
    rows = {code: current_fees(conn, scope).num_rows for code, scope in (("100000", china), (province, largest))}
    summary = region_warning_summary(conn, "100000", None, args.as_of)
    print(f"store {args.db}: {patents:,} patents; as of {china.as_of} (quarter {summary['quarter']['label']}); "
          f"granted patents in force with fees: China {rows['100000']:,}, {province} {rows[province]:,}; "
          f"China: {summary['entering_grace']['count']:,} valid inventions entering grace, "
          f"{summary['in_grace']['count']:,} patents in grace, "
          f"{summary['enterprises_to_call']['total']:,} enterprises to call")
    print(f"{args.runs} runs each, after one warm-up; load average {os.getloadavg()[0]:.2f}")
    cases = [
        ("current_fees", "current_fees 100000 (China)", lambda: current_fees(conn, china)),
        ("current_fees", f"current_fees {province}", lambda: current_fees(conn, largest)),
        ("summary", "region_warning_summary 100000 (China)",
         lambda: region_warning_summary(conn, "100000", None, args.as_of)),
        ("summary", f"region_warning_summary {province}",
         lambda: region_warning_summary(conn, province, None, args.as_of)),
    ]
    print(f"{'case':<44}{'median ms':>10}{'p95 ms':>10}{'target':>9}")
    for kind, name, call in cases:
        median, p95 = _time(call, args.runs)
        target = TARGET_MS.get(kind)
        print(f"{name:<44}{median:>10.1f}{p95:>10.1f}{'' if target is None else f'{target:.0f}':>9}")


if __name__ == "__main__":
    main()
