"""Shared fixtures: the real sample data, fresh stores, and one loaded store for read-only tests."""

from __future__ import annotations

import datetime as dt
import os
import shutil
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


def built_store(path: Path, sources: tuple[Path, ...], observed_on: dt.date | None = None,
                reference: bool = True) -> Path:
    """A store at ``path`` holding ``sources`` (with the reference tables unless ``reference`` is false),
    their data observed on ``observed_on`` (default: the day of the import); closed."""
    conn = open_store(path)
    if reference:
        ensure_reference(conn)
    for source in sources:
        import_file(conn, source, observed_on=observed_on)
    conn.close()
    return path


def parquet_export(db: Path, folder: Path) -> Path:
    """The store ``db`` exported as Parquet (``patentatlas export --format parquet``) into ``folder``/parquet."""
    from click.testing import CliRunner

    from patentatlas.cli import main

    out = folder / "parquet"
    result = CliRunner().invoke(main, ["--db", str(db), "export", "--format", "parquet", "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def copied_store(source: Path, folder: Path, name: str = "store.duckdb") -> Path:
    """A writable copy of a session's store, for a test that changes it."""
    path = folder / name
    shutil.copy(source, path)
    return path


@pytest.fixture(scope="session")
def loaded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding the four real Chinese exports, built once per session (read only)."""
    return built_store(tmp_path_factory.mktemp("loaded") / "store.duckdb", (TOYOTA, CHATBOT, VR, THUNDERSOFT))


# the day the four exports' data was taken (their latest date is 2023-05-11)
OBSERVED = dt.date(2023, 5, 15)


@pytest.fixture(scope="session")
def observed_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The four real Chinese exports with the reference tables, their data observed on 2023-05-15:
    built once per session; open it read only, or copy it to change it."""
    return built_store(tmp_path_factory.mktemp("observed") / "store.duckdb", (TOYOTA, CHATBOT, VR, THUNDERSOFT),
                       OBSERVED)


@pytest.fixture(scope="session")
def thundersoft_june_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Thundersoft export (中科创达, 511 records) observed 2026-06-30, no reference tables: the
    warnings' and fee rules' tests; built once per session, copy it to change it."""
    return built_store(tmp_path_factory.mktemp("thundersoft_june") / "store.duckdb", (THUNDERSOFT,),
                       dt.date(2026, 6, 30), reference=False)


@pytest.fixture(scope="session")
def thundersoft_november_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Thundersoft export with the reference tables, observed 2026-11-01: the enterprise end's
    tests; built once per session, copy it to change it."""
    return built_store(tmp_path_factory.mktemp("thundersoft_november") / "store.duckdb", (THUNDERSOFT,),
                       dt.date(2026, 11, 1))


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
