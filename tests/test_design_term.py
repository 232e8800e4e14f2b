"""The design term's cut date (REFERENCE §2): a design filed on or after 2021-06-01 is protected
15 years, one filed the day before 10 — in the fee engine and in the term-end warning, on two
synthetic designs (tests/fixtures/design_term.csv) a day apart."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from patentatlas.domain.enterprises import add_to_custody, register_enterprise
from patentatlas.domain.fees import fee_schedule, term_years
from patentatlas.domain.region_fees import current_fees, warning_scope
from patentatlas.domain.warnings import inbox, run_alerts
from patentatlas.i18n import translate
from patentatlas.imports import import_file
from patentatlas.store import open_store
from patentatlas.store.reference import ensure_reference
from tests.conftest import FIXTURES

D = dt.date
BEFORE, ON = "CN202130300001.9", "CN202130300002.3"  # filed 2021-05-31 and 2021-06-01


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    store = open_store(tmp_path / "store.duckdb")
    ensure_reference(store)
    report = import_file(store, FIXTURES / "design_term.csv")
    assert (report.read, report.loaded) == (2, 2)
    yield store
    store.close()


def _term_end_titles(conn: duckdb.DuckDBPyConnection, as_of: dt.date) -> list[str]:
    enterprise = int(register_enterprise(conn, "中科创达软件股份有限公司", "91330100716105852F")["enterprise_id"])
    for number in (BEFORE, ON):
        assert add_to_custody(conn, enterprise, number)["status"] == "added"  # its own name applied
    run_alerts(conn, as_of, None, now=dt.datetime.combine(as_of, dt.time(1)))
    return sorted(translate(w["title"], "zh") for w in inbox(conn, enterprise, limit=1000)
                  if w["warning_key"].startswith("term_end:"))  # as a Chinese page says it


def test_the_term_end_warning_a_day_either_side_of_the_cut(conn: duckdb.DuckDBPyConnection) -> None:
    # on 2031-05-01 only the design filed 2021-05-31 ends within 90 days (its 10 years, on 2031-05-31)
    assert _term_end_titles(conn, D(2031, 5, 1)) == [f"专利权期限 2031-05-31 届满：{BEFORE}"]


def test_the_fifteen_year_design_ends_in_2036(conn: duckdb.DuckDBPyConnection) -> None:
    assert _term_end_titles(conn, D(2036, 5, 1)) == [f"专利权期限 2036-06-01 届满：{ON}"]


def test_the_fee_engine_a_day_either_side_of_the_cut() -> None:
    assert (term_years("design", D(2021, 5, 31)), term_years("design", D(2021, 6, 1))) == (10, 15)
    before = fee_schedule(D(2021, 5, 31), "design", D(2021, 10, 8), D(2021, 11, 1))
    on = fee_schedule(D(2021, 6, 1), "design", D(2021, 10, 8), D(2021, 11, 1))
    assert [f.patent_year for f in before] == list(range(2, 11))
    assert [f.patent_year for f in on] == list(range(2, 16))
    assert [(f.patent_year, f.full_amount) for f in on[-5:]] == [(11, 3000), (12, 3000), (13, 3000), (14, 3000),
                                                                (15, 3000)]


def test_the_government_end_a_day_either_side_of_the_cut(conn: duckdb.DuckDBPyConnection) -> None:
    # 海淀区 (both designs' address) on 2031-06-15: the design filed 2021-05-31 ended its 10 years on
    # 2031-05-31; the one filed 2021-06-01 owes year 11 (3,000 yuan), due on the anniversary, a Sunday
    # (→ Monday 2031-06-02, weekends only that far ahead: provisional), in its grace period
    fees = current_fees(conn, warning_scope(conn, "110108"), D(2031, 6, 15)).to_pylist()
    assert [(f["application_number"], f["term_years"], f["patent_year"], f["due_date"], f["full_amount"],
             f["state"], f["provisional"]) for f in fees] == [(ON, 15, 11, D(2031, 6, 2), 3000, "grace", True)]
