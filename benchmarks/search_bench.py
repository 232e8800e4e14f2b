"""Search speed over a large store: index build rate and size, median and p99 query time.

    .venv/bin/python benchmarks/search_bench.py [--records 1000000] [--layout incopat] [--workdir DIR]

Writes resampled real records (benchmarks/resample.py; the incoPat layout carries Chinese and
English titles and abstracts), imports them (not timed here: import_bench.py does that), builds
the index from the store (timed), then runs a mix of queries — single Chinese and English words,
two-word AND, OR, NOT, phrases, fields, IPC prefixes, numbers, date ranges, filters, sorting by
date — three times each, with the facets the search page shows and without.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.import_bench import LAYOUTS  # noqa: E402
from benchmarks.resample import write_resampled  # noqa: E402
from patentatlas.imports import import_file  # noqa: E402
from patentatlas.search import SearchOptions, open_index, rebuild_index, search  # noqa: E402
from patentatlas.store import open_store  # noqa: E402
from patentatlas.store.reference import ensure_reference  # noqa: E402

WORDS_ZH = ["车辆", "自动驾驶", "控制装置", "电池", "传感器", "驾驶员", "摄像头", "图像处理", "燃料电池", "充电",
            "发动机", "变速器", "雷达", "行人", "导航", "停车", "语音", "显示", "通信", "制动"]
WORDS_EN = ["vehicle", "battery", "sensor", "driver", "camera", "engine", "charging", "parking", "brake", "display"]


def queries(conn, rng: random.Random) -> list[tuple[str, SearchOptions]]:
    """A fixed mix of query shapes over words the data holds."""
    numbers = [r[0] for r in conn.execute("SELECT application_number FROM patents USING SAMPLE 20 ROWS").fetchall()]
    out: list[tuple[str, SearchOptions]] = []
    for _ in range(20):
        a, b = rng.sample(WORDS_ZH, 2)
        e, f = rng.sample(WORDS_EN, 2)
        year = rng.randint(2012, 2020)
        out += [
            (a, SearchOptions()),
            (e, SearchOptions()),
            (f"{a} {b}", SearchOptions()),
            (f"{a} OR {b}", SearchOptions()),
            (f"{a} NOT {b}", SearchOptions()),
            (f'"{a}{b}"', SearchOptions()),
            (f"title:{a} abstract:{b}", SearchOptions()),
            (f"{e} {f}", SearchOptions()),
            (f"ipc:B60W {a}", SearchOptions()),
            (f"{a} filed:{year}..{year + 2}", SearchOptions()),
            (a, SearchOptions(patent_type="invention", status="in_force")),
            (a, SearchOptions(sort="date")),
        ]
    out += [(f"an:{n}", SearchOptions()) for n in numbers]
    return out


def timed(conn, items: list[tuple[str, SearchOptions]], facets: bool, rounds: int = 3) -> list[float]:
    times = []
    for _ in range(rounds):
        for q, opts in items:
            opts.facets, opts.limit = facets, 20
            t0 = time.perf_counter()
            search(conn, q, opts)
            times.append((time.perf_counter() - t0) * 1000)
    return times


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--layout", choices=sorted(LAYOUTS), default="incopat")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--workers", type=int, default=None, help="segmenting processes (default: up to 4)")
    parser.add_argument("--reuse", action="store_true", help="use the store and index already in --workdir")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="patentatlas-search-"))
    db = workdir / f"search_{args.layout}_{args.records}.duckdb"
    if not (args.reuse and db.exists()):
        source = workdir / f"resampled_{args.layout}_{args.records}.csv"
        if not source.exists():
            write_resampled(LAYOUTS[args.layout], source, args.records)
        db.unlink(missing_ok=True)
        conn = open_store(db)
        ensure_reference(conn)
        t0 = time.perf_counter()
        import_file(conn, source)
        print(f"imported {args.records:,} records in {time.perf_counter() - t0:.0f} s (not the figure here)")
        conn.close()
    conn = open_store(db, read_only=True)
    patents = conn.execute("SELECT count(*) FROM patents").fetchall()[0][0]
    if args.reuse and Path(str(db) + ".search").exists():
        open_index(conn)
    else:
        figures = rebuild_index(conn, workers=args.workers)
        print(f"index build     {figures['patents']:,} patents in {figures['seconds']:.0f} s = "
              f"{figures['per_second']:,.0f} patents/s")
        print(f"index size      {figures['bytes'] / 1e6:,.0f} MB ({figures['bytes'] / figures['patents']:,.0f} bytes "
              f"per patent; store file {db.stat().st_size / 1e6:,.0f} MB)")
    items = queries(conn, random.Random(14))
    timed(conn, items[:20], facets=False, rounds=1)  # warm the caches once
    for facets in (False, True):
        times = timed(conn, items, facets)
        print(f"queries{' + facets' if facets else '         '}  {len(times)} runs over {patents:,} patents: "
              f"median {statistics.median(times):.1f} ms, p99 {percentile(times, 99):.1f} ms, "
              f"max {max(times):.1f} ms")


if __name__ == "__main__":
    main()
