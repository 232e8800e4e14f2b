"""What the browser tests share: Debian's chromium, the rule for when it is missing, and the app
served on a loopback port."""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pytest
import uvicorn

from patentatlas.commands.accounts import seed_demo_accounts
from patentatlas.store import open_store
from patentatlas.web.app import create_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def missing_browser(chromium: Path = CHROMIUM) -> str | None:
    """What keeps the browser tests from running here, or None."""
    if not chromium.exists():
        return f"{chromium} is not installed (apt-get install chromium fonts-noto-cjk)"
    if importlib.util.find_spec("playwright") is None:
        return "the playwright Python client is not installed (pip install -e '.[dev]')"
    return None


def on_ci() -> bool:
    """Whether the environment variable ``CI`` is set (to anything but empty, 0 or false)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false")


def require_browser(chromium: Path = CHROMIUM) -> None:
    """The one rule for every browser test, called at the top of its module (or in its fixture):
    without Chromium or Playwright's client it is skipped on a developer's machine, and FAILS when
    ``CI`` is set: on CI a missing browser is a broken setup, never a suite that passes by skipping."""
    missing = missing_browser(chromium)
    if missing is None:
        return
    if on_ci():
        pytest.fail(f"CI is set and {missing}: the browser tests cannot run", pytrace=False)
    pytest.skip(missing, allow_module_level=True)


@contextmanager
def served_copy(db: Path, folder: Path) -> Iterator[str]:
    """A copy of the store ``db`` (the app opens it read-write) served by uvicorn in a thread on
    a free loopback port; yields the base address."""
    copy = folder / "store.duckdb"
    shutil.copy(db, copy)
    app = create_app(copy)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))  # the port is ours from here on: no race with other processes
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        app.state.conn.close()


@contextmanager
def served_demo(loaded_db: Path, folder: Path,
                then: Callable[[duckdb.DuckDBPyConnection], Any] | None = None) -> Iterator[str]:
    """The four exports (``loaded_db``) with the demo accounts, and what ``then`` adds, served as
    :func:`served_copy` serves a store."""
    seeded = folder / "seeded.duckdb"
    shutil.copy(loaded_db, seeded)
    conn = open_store(seeded)
    seed_demo_accounts(conn)
    if then is not None:
        then(conn)
    conn.close()
    with served_copy(seeded, folder) as address:
        yield address


def only_local(page: Any, server: str) -> tuple[list[str], list[str]]:
    """Let ``page`` ask only our ``server`` for anything (a page must load nothing from the
    internet); returns the addresses it asked elsewhere (refused) and its script errors, both
    filled as it runs, for the test to check."""
    outside: list[str] = []

    def route(request_route: Any) -> None:
        if request_route.request.url.startswith(server + "/"):
            request_route.continue_()
        else:
            outside.append(request_route.request.url)
            request_route.abort()

    page.route("**/*", route)
    return outside, script_errors(page)


def script_errors(page: Any) -> list[str]:
    """The script errors ``page`` throws from now on, filled as it runs: each message with the
    address it was thrown on and its stack, so that one seen once in CI can be traced."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"{exc} (on {page.url})\n{exc.stack}"))
    return errors


def wait_until(page: Any, expression: str, timeout: float = 10.0) -> None:
    """Wait until ``expression`` (JavaScript) is true on ``page``, asking it from here every 50 ms.
    Not Playwright's ``wait_for_function``: from its second try it evaluates the text in the page,
    which our Content-Security-Policy (no 'unsafe-eval') refuses, so it failed whenever the
    condition was not true at once (CI, on a busy machine)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"not true after {timeout} s: {expression}")
        page.wait_for_timeout(50)


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven through Playwright's client (never a browser Playwright downloads)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
