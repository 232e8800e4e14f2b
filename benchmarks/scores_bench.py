"""Scores at scale: value scores for every patent of the benchmark store, and a province's creativity ranking.

    .venv/bin/python benchmarks/scores_bench.py --db BENCH.duckdb [--region 330000]

BENCH.duckdb is the store benchmarks/import_bench.py builds (1,000,000 resampled real records:
``import_bench.py --workdir DIR`` leaves it at DIR/bench.duckdb). The store is copied first, so the
benchmark's writes (the value table) leave it as it was. Prints the seconds of each step.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from patentatlas.domain.creativity import creativity_ranking  # noqa: E402
from patentatlas.domain.value import patent_value, refresh_values  # noqa: E402
from patentatlas.store import open_store  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, required=True, help="the benchmark store (import_bench.py)")
    parser.add_argument("--region", default=None, help="province for the ranking (default: the one with most patents)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="patentatlas-scores-"))
    db = work / "scores.duckdb"
    shutil.copy(args.db, db)
    conn = open_store(db)
    conn.execute("SET enable_progress_bar = false")
    patents = conn.execute("SELECT count(*) FROM patents").fetchall()[0][0]
    print(f"store           {patents:,} patents ({args.db})")
    times = []
    for _ in range(args.runs):
        summary = refresh_values(conn)
        times.append(summary["seconds"])
    print(f"value scores    {summary['scored']:,} patents in {min(times):.2f} s (best of {args.runs}; "
          f"{', '.join(f'{t:.2f}' for t in times)}); target ≤ 60 s")
    number = conn.execute("SELECT application_number FROM patents LIMIT 1").fetchall()[0][0]
    t0 = time.perf_counter()
    patent_value(conn, number)
    print(f"one patent      {time.perf_counter() - t0:.3f} s (its cohort scored live)")
    region = args.region or conn.execute(
        "SELECT first_applicant_province_code FROM patents WHERE first_applicant_province_code IS NOT NULL "
        "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").fetchall()[0][0]
    in_region = conn.execute("SELECT count(*) FROM patents WHERE first_applicant_province_code = ?",
                             [region]).fetchall()[0][0]
    times = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        data = creativity_ranking(conn, region)
        times.append(time.perf_counter() - t0)
    print(f"creativity      {data['region']['name']} ({region}, {in_region:,} patents): "
          f"{data['enterprises_ranked']:,} enterprises ranked, top {len(data['ranking'])} in {min(times):.2f} s "
          f"(best of {args.runs}; {', '.join(f'{t:.2f}' for t in times)}); target ≤ 2 s")
    t0 = time.perf_counter()
    data = creativity_ranking(conn, "100000")
    print(f"creativity      all of China: {data['enterprises_ranked']:,} enterprises in "
          f"{time.perf_counter() - t0:.2f} s")
    conn.close()
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
