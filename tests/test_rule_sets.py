"""One loader for every rule set (issue 12 §1): an office's annual-fee rules, inserted into the
store as a new version, reach every path — the CLI, the enterprise's calendar, the warnings and
the government end — not only some of them."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from patentatlas.analytics.summaries import refresh_summaries, serves_summaries, store_basis, summary_state
from patentatlas.cli import main
from patentatlas.domain.enterprises import add_to_custody, register_enterprise
from patentatlas.domain.high_value import explain
from patentatlas.domain.indicators import region_indicators, scope_for
from patentatlas.domain.payments import enterprise_fee_states
from patentatlas.domain.region_fees import current_fees, warning_scope
from patentatlas.domain.warnings import inbox, run_alerts
from patentatlas.i18n import translate
from patentatlas.rules import load_counting_rules, packaged_rule_set
from patentatlas.store import open_store
from tests.conftest import copied_store

AS_OF = dt.date(2026, 8, 4)
# 中科创达's DDoS patent: invention filed 2019-08-22; year 8 (2,000 yuan in the packaged rules)
# falls due on Monday 2026-08-24; year 7 (2,000 too) fell due 2025-08-22
DDOS = "CN201910777840.1"


@pytest.fixture(scope="module")
def doubled_db(thundersoft_june_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Thundersoft export (observed 2026-06-30), and version 2 of the annual-fee rules with every fee doubled."""
    path = copied_store(thundersoft_june_db, tmp_path_factory.mktemp("rules"))
    conn = open_store(path)
    body = json.loads(json.dumps(packaged_rule_set("annual_fees")))
    body["fees"] = {kind: [[first, last, 2 * amount] for first, last, amount in rows]
                    for kind, rows in body["fees"].items()}
    conn.execute("INSERT INTO rule_sets (name, version, source, body) VALUES ('annual_fees', 2, "
                 "'office test: every fee doubled', ?)", [json.dumps(body)])
    conn.close()
    return path


@pytest.fixture
def conn(doubled_db: Path, tmp_path: Path) -> duckdb.DuckDBPyConnection:
    copy = tmp_path / "store.duckdb"
    shutil.copy(doubled_db, copy)
    return open_store(copy)


def test_the_cli_reads_the_offices_fee_rules(doubled_db: Path) -> None:
    result = CliRunner().invoke(main, ["--db", str(doubled_db), "fees", DDOS, "--as-of", "2026-08-04", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["rules"]["version"] == 2
    assert (report["next_due"]["patent_year"], report["next_due"]["full_amount"]) == (8, 4000)


def test_the_enterprise_calendar_and_the_warnings_read_them(conn: duckdb.DuckDBPyConnection) -> None:
    eid = int(register_enterprise(conn, "中科创达软件股份有限公司", "91330100716105852F")["enterprise_id"])
    add_to_custody(conn, eid, DDOS)
    fee = enterprise_fee_states(conn, eid, AS_OF)[0][0].fee
    assert (fee.patent_year, fee.due_date, fee.full_amount, fee.amount) == (8, dt.date(2026, 8, 24), 4000, 4000)
    run_alerts(conn, AS_OF, None, now=dt.datetime(2026, 8, 4, 1, 0))
    (warning,) = [w for w in inbox(conn, eid, limit=100) if w["rule"] == "fee_due"]
    assert (warning["facts"]["full_amount"], warning["facts"]["rules"]["version"]) == (4000, 2)
    assert "应缴 4,000 元" in translate(warning["body"], "zh")  # the body as a Chinese reader gets it


def test_the_government_end_reads_them(conn: duckdb.DuckDBPyConnection) -> None:
    rows = current_fees(conn, warning_scope(conn, "100000", as_of=AS_OF)).to_pylist()
    row = next(r for r in rows if r["application_number"] == DDOS)
    assert (row["patent_year"], row["full_amount"], row["next_patent_year"], row["next_full_amount"]) == (
        7, 4000, 8, 4000)


# --------------------------------------------------------------------------- the invention term, in one place

# the oldest of Shanghai's 54 valid inventions in the four exports (data date 2023-05-11): filed 2007-04-17
# (the next was filed in 2009)
SHANGHAI_INVENTION = "CN200710039558.0"


def test_the_invention_term_is_the_fee_rules_and_the_counts_follow_it(observed_db: Path, tmp_path: Path) -> None:
    """The term lives in the annual-fee rules only: an office's version with a 16-year invention term
    ends the Shanghai invention's term on 2023-04-17, before the statistics date (2023-05-11) — the explanation,
    the region's count and the summaries (built again, as they no longer describe the rules) agree."""
    conn = open_store(copied_store(observed_db, tmp_path))
    refresh_summaries(conn)
    assert region_indicators(conn, "310000")["valid_invention_count"] == 54
    assert explain(conn, SHANGHAI_INVENTION)["valid"] is True
    body = {**packaged_rule_set("annual_fees")}
    body["term_years"] = {**body["term_years"], "invention": 16}
    conn.execute("INSERT INTO rule_sets (name, version, source, body) VALUES ('annual_fees', 2, "
                 "'office test: a 16-year invention term', ?)", [json.dumps(body)])
    assert load_counting_rules(conn)["invention_term_years"] == 16
    assert not serves_summaries(conn, store_basis(conn))  # built on version 1 of the fee rules
    explained = explain(conn, SHANGHAI_INVENTION)
    assert explained["valid"] is False
    assert translate(explained["valid_reason"], "zh") == "自申请日 2007-04-17 起 16 年的保护期已于 2023-05-11 前届满"
    assert region_indicators(conn, "310000")["valid_invention_count"] == 53
    refresh_summaries(conn)
    assert summary_state(conn)["annual_fees_version"] == 2  # type: ignore[index]
    assert scope_for(conn, "310000").reads_summaries()
    assert region_indicators(conn, "310000")["valid_invention_count"] == 53
    conn.close()
