"""Shared fixtures: the real sample data, fresh stores, and one loaded store for read-only tests."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from aiosmtpd.controller import Controller

from patentatlas.domain.workdays import calendar_through, use_official_calendar
from patentatlas.imports import import_file
from patentatlas.store import open_store
from patentatlas.store.reference import ensure_reference
from tests.servers import Collector, free_port

# the apps under test never start the daily warning job by themselves (tests run it when they mean to)
os.environ["PATENTATLAS_SCHEDULER"] = "off"
# the delivery tests' webhook receivers listen on loopback, which only this setting lets webhooks reach
os.environ["PATENTATLAS_WEBHOOK_ALLOWED_HOSTS"] = "127.0.0.1"

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
CN = DATA / "cn_patents"
TOYOTA = CN / "incopat_toyota_autodrive_5048.csv"
CHATBOT = CN / "incopat_chatbot_2798.csv"
VR = CN / "patentics_cn_title_VR_7805.csv"
THUNDERSOFT = CN / "patentics_thundersoft_cn_511.csv"
LENS = DATA / "lens_drones" / "lens_drones.csv"
FIXTURES = Path(__file__).parent / "fixtures"

# The tests' holiday calendar ends with 2026 whatever chinese-calendar release is installed: the
# expected dates of 2027 and later (weekends only, provisional) hold when a release adds 2027.
CALENDAR_LAST_YEAR = 2026


@pytest.fixture(autouse=True, scope="session")
def official_calendar_through_2026() -> Iterator[None]:
    """The official calendar as the chinese-calendar package knows it, cut after 2026."""
    previous = use_official_calendar(calendar_through(CALENDAR_LAST_YEAR))
    yield
    use_official_calendar(previous)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A fresh store in a temporary file."""
    conn = open_store(tmp_path / "store.duckdb")
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def loaded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding the four real Chinese exports, built once per session (read only)."""
    path = tmp_path_factory.mktemp("loaded") / "store.duckdb"
    conn = open_store(path)
    ensure_reference(conn)
    for source in (TOYOTA, CHATBOT, VR, THUNDERSOFT):
        import_file(conn, source)
    conn.close()
    return path


# the day the four exports' data was taken (their latest date is 2023-05-11)
OBSERVED = dt.date(2023, 5, 15)


@pytest.fixture(scope="session")
def observed_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The four real Chinese exports with the reference tables, their data observed on 2023-05-15:
    built once per session; open it read only, or copy it to change it."""
    path = tmp_path_factory.mktemp("observed") / "store.duckdb"
    conn = open_store(path)
    ensure_reference(conn)
    for source in (TOYOTA, CHATBOT, VR, THUNDERSOFT):
        import_file(conn, source, observed_on=OBSERVED)
    conn.close()
    return path


@pytest.fixture
def loaded(loaded_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    conn = duckdb.connect(str(loaded_db), read_only=True)
    yield conn
    conn.close()


@pytest.fixture
def smtp() -> Iterator[tuple[Controller, Collector]]:
    """A real SMTP server on loopback (aiosmtpd), keeping every message it receives."""
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, collector
    controller.stop()
