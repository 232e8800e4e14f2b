"""Boundaries the real samples never reach, on a small synthetic export (tests/fixtures/
boundaries.csv, seven granted inventions in force, IPC A47G19/00: judged, in no strategic
emerging industry): maintained exactly 10 years and one day more (REFERENCE §4, criterion 3),
the end of the 20-year term (§2), family members abroad, all in China or not said, and a
foreign company with a Chinese city in its name."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import duckdb
import pytest

from patentatlas.domain.fees import fee_schedule
from patentatlas.domain.high_value import explain
from patentatlas.domain.indicators import region_indicators
from patentatlas.imports import import_file
from patentatlas.store import open_store
from patentatlas.store.reference import ensure_reference
from tests.conftest import FIXTURES

D = dt.date
BOUNDARIES = FIXTURES / "boundaries.csv"
OVER_TEN = "CN201510369001.8"  # filed 2015-06-29
EXACTLY_TEN = "CN201510369002.2"  # filed 2015-06-30
TERM_ENDS = "CN200510082001.6"  # filed 2005-06-30: its 20-year term ends 2025-06-30
FAMILY_ABROAD, FAMILY_IN_CHINA, FAMILY_UNKNOWN = "CN202010144001.9", "CN202010144002.3", "CN202010144003.8"
SONY = "CN202110555001.2"  # applicant 上海索尼株式会社, no address
XIHU = "330106"  # 杭州市西湖区, where the other six are placed by their address


@pytest.fixture(scope="module")
def conn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    path = tmp_path_factory.mktemp("boundaries") / "store.duckdb"
    store = open_store(path)
    ensure_reference(store)
    report = import_file(store, BOUNDARIES)
    assert (report.read, report.loaded, report.quarantined) == (7, 7, 0)
    store.close()
    read_only = duckdb.connect(str(path), read_only=True)
    yield read_only
    read_only.close()


def _criterion(conn: duckdb.DuckDBPyConnection, number: str, as_of: str, key: str) -> tuple[str, str]:
    (found,) = [c for c in explain(conn, number, as_of)["criteria"] if c["key"] == key]
    return found["result"], found["reason"]


def test_maintained_more_than_ten_years_is_a_day_past_ten(conn: duckdb.DuckDBPyConnection) -> None:
    key = "maintained_over_10_years"
    assert _criterion(conn, OVER_TEN, "2025-06-30", key) == (
        "met", "filed 2015-06-29, 10.0 years before 2025-06-30 (needs more than 10)")
    assert explain(conn, OVER_TEN, "2025-06-30")["high_value"] is True
    # exactly ten years on the statistics date: not more than ten
    assert _criterion(conn, EXACTLY_TEN, "2025-06-30", key) == (
        "not_met", "filed 2015-06-30, 10.0 years before 2025-06-30 (needs more than 10)")
    assert explain(conn, EXACTLY_TEN, "2025-06-30")["high_value"] is False
    assert _criterion(conn, EXACTLY_TEN, "2025-07-01", key)[0] == "met"
    assert explain(conn, EXACTLY_TEN, "2025-07-01")["high_value"] is True


def test_the_twenty_year_term_ends_on_the_filing_anniversary(conn: duckdb.DuckDBPyConnection) -> None:
    last_day = explain(conn, TERM_ENDS, "2025-06-29")
    assert (last_day["valid"], last_day["valid_reason"], last_day["high_value"]) == (
        True, "granted 2008-03-03, in force on 2025-06-29, within the 20-year term from 2005-06-30", True)
    ended = explain(conn, TERM_ENDS, "2025-06-30")
    assert (ended["valid"], ended["valid_reason"], ended["high_value"]) == (
        False, "the 20-year term from 2005-06-30 ended before 2025-06-30", False)
    assert _criterion(conn, TERM_ENDS, "2025-06-30", "maintained_over_10_years") == (
        "not_met", "filed 2005-06-30, 20.0 years before 2025-06-30 (needs more than 10); "
        "but not valid on the statistics date")
    # its last annual fee is patent year 20's: due 2024-06-30, a Sunday, so Monday 2024-07-01
    schedule = fee_schedule(D(2005, 6, 30), "invention", D(2008, 3, 3), D(2024, 1, 1))
    assert [(f.patent_year, f.due_date, f.full_amount) for f in schedule] == [
        (19, D(2023, 6, 30), 8000), (20, D(2024, 7, 1), 8000)]


def test_a_family_member_abroad(conn: duckdb.DuckDBPyConnection) -> None:
    key = "overseas_family"
    assert _criterion(conn, FAMILY_ABROAD, "2025-06-30", key) == ("met", "has a family member filed abroad")
    assert explain(conn, FAMILY_ABROAD, "2025-06-30")["high_value"] is True
    assert _criterion(conn, FAMILY_IN_CHINA, "2025-06-30", key) == (
        "not_met", "the source lists no family member abroad")
    assert _criterion(conn, FAMILY_UNKNOWN, "2025-06-30", key) == (
        "not_judged", "the source export does not say whether it has family abroad")
    assert explain(conn, FAMILY_UNKNOWN, "2025-06-30")["high_value"] is False


def test_the_region_counts_each_boundary_once(conn: duckdb.DuckDBPyConnection) -> None:
    section = region_indicators(conn, XIHU, as_of="2025-06-30")["high_value"]
    counts = {c["key"]: (c["met"], c["not_met"], c["not_judged"]) for c in section["criteria"]}
    # valid on 2025-06-30: all six but the one whose term ended; high value: over ten years, abroad
    assert (section["valid_inventions"], section["union"]) == (5, 2)
    assert counts == {"strategic_emerging_industry": (0, 5, 0), "overseas_family": (1, 1, 3),
                      "maintained_over_10_years": (1, 4, 0), "high_pledge_amount": (0, 0, 5),
                      "award": (0, 0, 5)}


def test_a_foreign_company_with_a_chinese_city_in_its_name(conn: duckdb.DuckDBPyConnection) -> None:
    # 上海索尼株式会社: 株式会社 says Japanese; 上海 in the name does not make it Shanghai's
    assert conn.execute("SELECT first_applicant_country, first_applicant_province_code, first_applicant_city_code "
                        "FROM patents WHERE application_number = ?", [SONY]).fetchall() == [("JP", None, None)]
    assert conn.execute("SELECT country, region_code FROM parties WHERE name = '上海索尼株式会社'").fetchall() == [
        ("JP", None)]
    shanghai = region_indicators(conn, "310000", as_of="2025-06-30")
    assert (shanghai["valid_invention_count"], sum(shanghai["applications_by_year"].values())) == (0, 0)


def test_the_fixture_is_what_the_tests_say(conn: duckdb.DuckDBPyConnection) -> None:
    rows = conn.execute("SELECT application_number, filing_date, first_applicant_county_code, has_overseas_family "
                        "FROM patents ORDER BY application_number").fetchall()
    assert rows == [
        (TERM_ENDS, D(2005, 6, 30), XIHU, None),
        (OVER_TEN, D(2015, 6, 29), XIHU, None),
        (EXACTLY_TEN, D(2015, 6, 30), XIHU, None),
        (FAMILY_ABROAD, D(2020, 3, 2), XIHU, True),
        (FAMILY_IN_CHINA, D(2020, 3, 2), XIHU, False),
        (FAMILY_UNKNOWN, D(2020, 3, 2), XIHU, None),
        (SONY, D(2021, 6, 1), None, None),
    ]
