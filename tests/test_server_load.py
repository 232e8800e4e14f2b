"""One request cannot freeze the site (issue 10 §2): no route does store work on the event loop,
pages read on while a long write holds its transaction, every request body stops at
``max_request_mb``, and expired sessions are deleted. Against the real server on loopback."""

from __future__ import annotations

import datetime as dt
import inspect
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from patentatlas.store import open_store
from patentatlas.web.app import create_app
from patentatlas.web.scheduler import Scheduler
from tests.web_support import client_on_copy

# async routes that await their store work in the threadpool themselves (run_in_threadpool): the
# sign-in, sign-up and password routes (their hashing) and the payment upload (its file)
AWAITING_THEIR_WORK = {"sign_in_form", "api_sign_in", "sign_up", "accept_invite", "change_password", "pay"}


def test_no_route_does_store_work_on_the_event_loop(tmp_path: Path) -> None:
    app = create_app(tmp_path / "store.duckdb")
    try:
        async_routes = {r.endpoint.__name__ for r in app.routes
                        if isinstance(r, APIRoute) and inspect.iscoroutinefunction(r.endpoint)}
    finally:
        app.state.conn.close()
    assert async_routes <= AWAITING_THEIR_WORK  # every other route is a plain def: FastAPI's threadpool
    for name in async_routes:
        route = next(r for r in app.routes if isinstance(r, APIRoute) and r.endpoint.__name__ == name)
        assert "run_in_threadpool" in inspect.getsource(route.endpoint), name


@contextmanager
def _served(db: Path) -> Iterator[tuple[str, Any]]:
    app = create_app(db)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", app
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
        app.state.conn.close()


def test_pages_read_on_while_a_long_write_holds_its_transaction(loaded_db: Path, tmp_path: Path) -> None:
    copy = tmp_path / "store.duckdb"
    copy.write_bytes(loaded_db.read_bytes())
    with _served(copy) as (base, app):
        before = httpx.get(base + "/api/summary", timeout=10).json()["patents"]
        writing, done = threading.Event(), threading.Event()

        def long_write() -> None:  # as an import does: one transaction, held for seconds
            cursor = app.state.conn.cursor()
            cursor.execute("BEGIN")
            cursor.execute("UPDATE patents SET title_en = upper(title_en) WHERE country = 'CN'")
            writing.set()
            done.wait(3.0)
            cursor.execute("COMMIT")
            cursor.close()

        writer = threading.Thread(target=long_write)
        writer.start()
        assert writing.wait(30)
        took = []
        for path in ("/", "/api/summary", "/regions/330100", "/static/app.css"):
            started = time.monotonic()
            answer = httpx.get(base + path, timeout=10)
            took.append(time.monotonic() - started)
            assert answer.status_code == 200, path
        assert httpx.get(base + "/api/summary", timeout=10).json()["patents"] == before
        done.set()
        writer.join(10)
        assert max(took) < 2.0, took  # answered while the write was open, not after it


@pytest.fixture(scope="module")
def client(loaded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with client_on_copy(loaded_db, tmp_path_factory.mktemp("limits")) as test_client:
        yield test_client


def test_a_body_over_the_limit_is_refused_from_its_length(client: TestClient,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATENTATLAS_MAX_REQUEST_MB", "1")
    answer = client.post("/api/session", content=b"{" + b" " * (2 << 20) + b"}",
                         headers={"content-type": "application/json"})
    assert answer.status_code == 413
    assert answer.json() == {"error": "PayloadTooLargeError", "message": "the request body is 2.0 MB or more, over "
                             "the limit of 1 MB (setting max_request_mb)", "code": "err_body_too_large"}


def test_a_chunked_body_over_the_limit_is_refused_as_it_arrives(client: TestClient,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATENTATLAS_MAX_REQUEST_MB", "1")

    def chunks() -> Iterator[bytes]:
        yield b'{"email": "'
        for _ in range(40):  # 40 × 64 KB: past 1 MB, never all of it in memory
            yield b"a" * 65536
        yield b'"}'

    answer = client.post("/api/session", content=chunks(), headers={"content-type": "application/json"})
    assert answer.status_code == 413
    assert answer.json()["error"] == "PayloadTooLargeError"


def test_expired_sessions_are_deleted(tmp_path: Path) -> None:
    conn = open_store(tmp_path / "store.duckdb")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    for token, expires in (("old", now - dt.timedelta(hours=1)), ("live", now + dt.timedelta(hours=1))):
        conn.execute("INSERT INTO sessions VALUES (?, 1, 'csrf', ?, ?)", [token, now - dt.timedelta(hours=9), expires])
    conn.execute("INSERT INTO job_runs VALUES ('alerts', ?, ?, ?, '{}')", [dt.date.today(), now, now])
    scheduler = Scheduler(conn, 7, clock=dt.datetime.now)
    assert scheduler.tick(conn) == "deliveries"
    assert conn.execute("SELECT token_hash FROM sessions").fetchall() == [("live",)]
    conn.close()
