"""Load: N concurrent clients on the real server (uvicorn, one worker), loopback only, bounded in time.

    .venv/bin/python benchmarks/load_bench.py [--workdir /tmp/load_bench] [--seconds 10] [--clients 20 50]

Builds once (in ``--workdir``) a store of the four Chinese sample exports from
``../shared/data/cn_patents`` with one enterprise (中科创达, its proposals confirmed) and its user;
then, for each run, serves a fresh copy of it with uvicorn in a subprocess on a free loopback port
(the daily job off) and drives ``--clients`` concurrent clients (httpx, asyncio) for
``--seconds`` each through three scenarios:

    public       the overview, a region page, the industries page, the summary API, a static file
    enterprise   a signed-in enterprise's dashboard, fee calendar and custody page
    + import     both mixes while the server imports an export in a thread of its own (the way
                 the server runs its jobs): readers must not wait behind the writer

and prints, per scenario and client count, the requests, errors, requests per second and the
p50 / p95 / p99 latency in ms, against the issue's target (0 errors, p95 ≤ 500 ms). Nothing
leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CN = ROOT.parent / "shared" / "data" / "cn_patents"
SOURCES = ("incopat_toyota_autodrive_5048.csv", "incopat_chatbot_2798.csv", "patentics_cn_title_VR_7805.csv",
           "patentics_thundersoft_cn_511.csv")
NAME, USCC = "中科创达软件股份有限公司", "91110108551385082Q"
EMAIL, PASSWORD = "ip@thundersoft.example.cn", "load bench pw 2026"
PUBLIC = ("/", "/regions/330100", "/industries", "/api/summary", "/static/app.css")
ENTERPRISE = ("/enterprises/{eid}", "/enterprises/{eid}/fees", "/enterprises/{eid}/custody")
TARGET_P95_MS = 500.0


# --------------------------------------------------------------------------- the store


def build_store(workdir: Path) -> tuple[Path, int]:
    """The benchmark's store (built once) and the enterprise's number."""
    from patentatlas.domain import accounts
    from patentatlas.domain import enterprises as ent
    from patentatlas.imports import import_file
    from patentatlas.store import open_store
    from patentatlas.store.reference import ensure_reference

    db = workdir / "base.duckdb"
    if not db.exists():
        workdir.mkdir(parents=True, exist_ok=True)
        part = workdir / "base.part.duckdb"
        part.unlink(missing_ok=True)
        conn = open_store(part)
        ensure_reference(conn)
        for source in SOURCES:
            print(f"importing {source} …", flush=True)
            import_file(conn, CN / source, observed_on=dt.date(2026, 11, 1))
        eid = ent.register_enterprise(conn, NAME, USCC)["enterprise_id"]
        ent.confirm_proposals(conn, eid, [p["application_number"] for p in ent.proposals(conn, eid)])
        accounts.create_user(conn, EMAIL, "enterprise", password=PASSWORD, enterprise_id=eid)
        conn.close()
        part.rename(db)
    from patentatlas.store import open_store as reopen

    conn = reopen(db)
    eid = int(conn.execute("SELECT enterprise_id FROM enterprises WHERE uscc = ?", [USCC]).fetchall()[0][0])
    conn.close()
    return db, eid


# --------------------------------------------------------------------------- the server (a subprocess)


def serve(db: Path, port: int, import_file_path: Path | None) -> None:
    """Run in the subprocess: the app on ``db``; with ``import_file_path``, an import in a thread
    of the server's own, again and again until the process ends (as the server runs its jobs)."""
    import uvicorn

    from patentatlas.imports import import_file
    from patentatlas.web.app import create_app

    app = create_app(db)
    if import_file_path is not None:
        def importing() -> None:
            cursor = app.state.conn.cursor()
            day = dt.date(2026, 11, 2)
            while True:
                started = time.monotonic()
                # as the server's own imports do (domain.import_jobs): the file read in a helper process,
                # the pages computed again once, after the whole import
                report = import_file(cursor, import_file_path, observed_on=day, apart=True)
                print(f"[server] imported {report.read} rows in {time.monotonic() - started:.1f} s", flush=True)
                day += dt.timedelta(days=1)

        threading.Thread(target=importing, daemon=True).start()
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """The server subprocess on a fresh copy of the store."""

    def __init__(self, base_db: Path, workdir: Path, import_file_path: Path | None = None) -> None:
        self.db = workdir / "run.duckdb"
        Path(f"{self.db}.wal").unlink(missing_ok=True)  # a killed run's log belongs to the old copy
        shutil.copy(base_db, self.db)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [sys.executable, __file__, "--serve", str(self.db), str(self.port)]
        if import_file_path is not None:
            args += ["--import-file", str(import_file_path)]
        env = {**os.environ, "PATENTATLAS_SCHEDULER": "off"}
        self.process = subprocess.Popen(args, env=env)
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(self.url + "/static/app.css", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                sys.exit("the server did not start")
            time.sleep(0.2)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


# --------------------------------------------------------------------------- the clients


async def _client(base: str, paths: list[str], cookies: dict[str, str], until: float,
                  latencies: list[float], errors: list[str]) -> None:
    async with httpx.AsyncClient(base_url=base, cookies=cookies, timeout=30) as client:
        i = 0
        while time.monotonic() < until:
            path = paths[i % len(paths)]
            i += 1
            started = time.perf_counter()
            try:
                async with client.stream("GET", path) as answer:
                    async for _ in answer.aiter_raw():  # every byte the server sends, left compressed: the
                        pass                            # client's gunzip is not the server's time
                if answer.status_code != 200:
                    errors.append(f"{path}: HTTP {answer.status_code}")
            except httpx.HTTPError as exc:
                errors.append(f"{path}: {type(exc).__name__}")
            latencies.append((time.perf_counter() - started) * 1000)


async def drive(base: str, paths: list[str], cookies: dict[str, str], clients: int, seconds: float) -> dict[str, Any]:
    """``clients`` clients, each cycling through ``paths`` (from a different start) for ``seconds``."""
    latencies: list[float] = []
    errors: list[str] = []
    until = time.monotonic() + seconds
    started = time.monotonic()
    await asyncio.gather(*(_client(base, paths[n % len(paths):] + paths[:n % len(paths)], cookies, until,
                                   latencies, errors) for n in range(clients)))
    elapsed = time.monotonic() - started
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, round(p * (len(latencies) - 1)))] if latencies else float("nan")

    return {"requests": len(latencies), "errors": len(errors), "first_errors": errors[:3],
            "rps": len(latencies) / elapsed, "p50": pct(0.50), "p95": pct(0.95), "p99": pct(0.99)}


def sign_in(base: str) -> dict[str, str]:
    answer = httpx.post(base + "/api/session", json={"email": EMAIL, "password": PASSWORD}, timeout=30)
    answer.raise_for_status()
    return dict(answer.cookies)


def _line(scenario: str, clients: int, r: dict[str, Any]) -> str:
    ok = r["errors"] == 0 and r["p95"] <= TARGET_P95_MS
    return (f"{scenario:<24} {clients:>7} {r['requests']:>8} {r['errors']:>6} {r['rps']:>7.1f} "
            f"{r['p50']:>8.0f} {r['p95']:>8.0f} {r['p99']:>8.0f}  {'ok' if ok else 'MISSED'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/load_bench"))
    parser.add_argument("--seconds", type=float, default=10.0, help="per scenario and client count")
    parser.add_argument("--clients", type=int, nargs="+", default=[20, 50])
    parser.add_argument("--no-import", action="store_true", help="skip the scenarios during an import")
    parser.add_argument("--serve", nargs=2, metavar=("DB", "PORT"), help=argparse.SUPPRESS)
    parser.add_argument("--import-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(Path(args.serve[0]), int(args.serve[1]), args.import_file)
        return
    base_db, eid = build_store(args.workdir)
    mixes = {"public": list(PUBLIC), "enterprise": [p.format(eid=eid) for p in ENTERPRISE]}
    print(f"{os.cpu_count()} CPUs; {args.seconds:g} s per line; target: 0 errors, p95 ≤ {TARGET_P95_MS:.0f} ms")
    print(f"{'scenario':<24} {'clients':>7} {'requests':>8} {'errors':>6} {'req/s':>7} "
          f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    runs = [(None, "")] + ([] if args.no_import else [(CN / SOURCES[2], " + import")])
    for import_path, suffix in runs:
        server = Server(base_db, args.workdir, import_path)
        try:
            cookies = sign_in(server.url)
            for name, paths in mixes.items():  # warm-up: templates, and each page computed once (steady state)
                asyncio.run(drive(server.url, paths, cookies if name == "enterprise" else {}, 5, 2.0))
            for name, paths in mixes.items():
                for clients in args.clients:
                    result = asyncio.run(drive(server.url, paths, cookies if name == "enterprise" else {},
                                               clients, args.seconds))
                    print(_line(name + suffix, clients, result), flush=True)
                    if result["first_errors"]:
                        print(f"    first errors: {result['first_errors']}")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
