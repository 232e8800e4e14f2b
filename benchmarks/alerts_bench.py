"""The daily alerts job on the 1,000,000-record benchmark store.

    .venv/bin/python benchmarks/alerts_bench.py [--source /tmp/bench_b/bench.duckdb] [--as-of 2026-12-01]

Works on a copy of the store built by ``benchmarks/import_bench.py --workdir /tmp/bench_b`` (never on
the store itself). Registers an enterprise for each of the 1,000 applicants with the most patents
(every third declares the 85 % fee reduction; each has a notify address), takes all their patents
into custody, then times ``run_alerts`` twice (the second run must create nothing) and prints the
peak RSS. No SMTP server is configured: every mail is queued and waits, saying why.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import shutil
import sys
import time
from pathlib import Path

import duckdb
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from patentatlas.domain.uscc import check_character  # noqa: E402
from patentatlas.domain.warnings import run_alerts  # noqa: E402
from patentatlas.store import open_store  # noqa: E402

ENTERPRISES = 1000

_TOP_APPLICANTS = """
SELECT pa.name FROM parties pa JOIN patent_parties pp USING (party_id) WHERE pp.role = 'applicant'
GROUP BY pa.party_id, pa.name ORDER BY count(*) DESC, pa.name LIMIT ?
"""

_CUSTODY = """
INSERT INTO custody (enterprise_id, application_number, source, added_at)
SELECT DISTINCT e.enterprise_id, pp.application_number, 'claimed', TIMESTAMP '2020-01-01'
FROM enterprises e JOIN parties pa ON pa.name = e.name
JOIN patent_parties pp ON pp.party_id = pa.party_id AND pp.role = 'applicant'
"""


def uscc(n: int) -> str:
    """A valid unified social credit code for the n-th benchmark enterprise (Hangzhou, enterprise)."""
    body = f"91330100{n:09d}"
    return body + check_character(body)


def prepare(conn: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """Enterprises and custody, set-based; returns their counts."""
    names = [r[0] for r in conn.execute(_TOP_APPLICANTS, [ENTERPRISES]).fetchall()]
    codes = [uscc(i) for i in range(1, len(names) + 1)]
    reductions = ["single" if i % 3 == 0 else None for i in range(len(names))]
    emails = [f"ip{i}@bench.example.cn" for i in range(1, len(names) + 1)]
    conn.execute("INSERT INTO enterprises (name, uscc, fee_reduction, notify_email, region_code) "
                 "SELECT unnest(?), unnest(?), unnest(?), unnest(?), '330100'", [names, codes, reductions, emails])
    conn.execute(_CUSTODY)
    custody = conn.execute("SELECT count(*) FROM custody").fetchall()[0][0]
    return len(names), int(custody)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source", type=Path, default=Path("/tmp/bench_b/bench.duckdb"))
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/bench_alerts"))
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2026, 12, 1))
    args = parser.parse_args()
    if not args.source.exists():
        sys.exit(f"no benchmark store at {args.source}: build it with "
                 f"benchmarks/import_bench.py --workdir {args.source.parent}")
    args.workdir.mkdir(parents=True, exist_ok=True)
    db = args.workdir / "bench.duckdb"
    shutil.copy(args.source, db)
    conn = open_store(db)
    t0 = time.perf_counter()
    enterprises, custody = prepare(conn)
    print(f"setup           {enterprises:,} enterprises, {custody:,} custody patents "
          f"({time.perf_counter() - t0:.1f} s, untimed)")
    rss_before = psutil.Process().memory_info().rss / 2**20
    t0 = time.perf_counter()
    summary = run_alerts(conn, args.as_of, None, now=dt.datetime(2026, 12, 1, 0, 0))
    elapsed = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    again = run_alerts(conn, args.as_of, None, now=dt.datetime(2026, 12, 1, 0, 5))
    second = time.perf_counter() - t0
    print(f"as of           {args.as_of}")
    print(f"fee states      {summary['fee_states']:,}")
    print(f"warnings        {summary['created']:,} {json.dumps(summary['warnings'])}")
    print(f"run_alerts      {elapsed:.2f} s")
    print(f"deliveries      {summary['deliveries']['pending']:,} mails queued (no SMTP configured)")
    print(f"second run      {second:.2f} s, created {again['created']}, sent {again['deliveries']['sent']}")
    print(f"RSS             {rss_before:.0f} MB before the run, peak {peak:.0f} MB")
    conn.close()


if __name__ == "__main__":
    main()
