"""Enterprises: credit-code registration, custody proposals and claims, the profile, payments and fee states."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from patentatlas.domain import enterprises as ent
from patentatlas.domain import payments
from patentatlas.errors import NotFoundError, UsageError
from patentatlas.store import open_store
from patentatlas.store.loader import import_file
from patentatlas.store.reference import ensure_reference
from tests.conftest import THUNDERSOFT

THUNDERSOFT_NAME = "中科创达软件股份有限公司"
USCC = "91110108551385082Q"  # a real, valid code (Xiaomi's): any valid code will do for the test
OLD_INVENTION = "CN201410720504.0"  # filed 2014-12-01, granted 2017-09-29 (patent year 3)


@pytest.fixture(scope="module")
def base_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ent") / "base.duckdb"
    conn = open_store(path)
    ensure_reference(conn)
    import_file(conn, THUNDERSOFT, observed_on=dt.date(2026, 11, 1))
    conn.close()
    return path


@pytest.fixture
def db(base_db: Path, tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    shutil.copy(base_db, tmp_path / "store.duckdb")
    conn = open_store(tmp_path / "store.duckdb")
    yield conn
    conn.close()


def _thundersoft(db: duckdb.DuckDBPyConnection) -> int:
    return int(ent.register_enterprise(db, THUNDERSOFT_NAME, USCC)["enterprise_id"])


def test_registration_checks_the_credit_code(db: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(UsageError, match="check character is A, expected Q"):
        ent.register_enterprise(db, THUNDERSOFT_NAME, USCC[:-1] + "A")
    enterprise = ent.register_enterprise(db, THUNDERSOFT_NAME, USCC.lower())
    assert (enterprise["uscc"], enterprise["region_code"]) == (USCC, "110108")  # 海淀区, from positions 3–8
    with pytest.raises(UsageError, match=f"credit code {USCC} is already registered"):
        ent.register_enterprise(db, "另一家", USCC)


def test_proposals_are_the_patents_of_its_applicant_names(db: duckdb.DuckDBPyConnection) -> None:
    with THUNDERSOFT.open(encoding="utf-8-sig") as f:
        expected = {r["申请号"] for r in csv.DictReader(f)
                    if THUNDERSOFT_NAME in [n.strip() for n in r["申请人"].split(";")]}
    eid = _thundersoft(db)
    proposed = ent.proposals(db, eid)
    assert len(proposed) == len(expected) == 309
    assert {p["matched_applicant"] for p in proposed} == {THUNDERSOFT_NAME}


def test_claim_remove_and_decline(db: duckdb.DuckDBPyConnection) -> None:
    eid = _thundersoft(db)
    numbers = [p["application_number"] for p in ent.proposals(db, eid)]
    assert ent.confirm_proposals(db, eid, numbers[:10]) == 10
    assert len(ent.custody_patents(db, eid)) == 10
    assert len(ent.proposals(db, eid)) == 299
    ent.remove_from_custody(db, eid, numbers[0])
    assert len(ent.custody_patents(db, eid)) == 9
    assert len(ent.proposals(db, eid)) == 299  # removed means "not ours": not proposed again
    ent.decline_proposals(db, eid, numbers[10:12])
    assert len(ent.proposals(db, eid)) == 297
    assert ent.add_to_custody(db, eid, "201410720504.0") == OLD_INVENTION  # written without CN and spaces
    assert len(ent.custody_patents(db, eid)) == 10


def test_claiming_what_was_not_proposed_changes_nothing(db: duckdb.DuckDBPyConnection) -> None:
    eid = _thundersoft(db)
    other = db.execute("SELECT application_number FROM patents WHERE NOT list_contains(applicant_names, ?) "
                       "LIMIT 1", [THUNDERSOFT_NAME]).fetchall()[0][0]
    first = ent.proposals(db, eid)[0]["application_number"]
    with pytest.raises(UsageError, match=f"{other} was not proposed"):
        ent.confirm_proposals(db, eid, [first, other])
    assert ent.custody_patents(db, eid) == []
    with pytest.raises(NotFoundError, match="CN209910000001.8 is not in the store"):
        ent.add_to_custody(db, eid, "CN209910000001.8")


def test_profile_is_checked_before_anything_is_written(db: duckdb.DuckDBPyConnection) -> None:
    eid = _thundersoft(db)
    with pytest.raises(UsageError, match="fee_reduction: 'half' is not one of single, joint"):
        ent.update_profile(db, eid, {"employees": "300", "fee_reduction": "half"})
    assert ent.get_enterprise(db, eid)["employees"] is None
    with pytest.raises(UsageError, match="webhook_secret: a webhook needs a secret"):
        ent.update_profile(db, eid, {"webhook_url": "https://hooks.example.cn/pa"})
    with pytest.raises(UsageError, match="watch_ipc"):
        ent.update_profile(db, eid, {"watch_ipc": "G06F, not-an-ipc"})
    changed = ent.update_profile(db, eid, {"employees": "1,200", "fee_reduction": "single",
                                           "watch_ipc": "G06F17/30，H04W", "revenue_band": ">1b"})
    assert (changed["employees"], changed["fee_reduction"], changed["watch_ipc"]) == (1200, "single",
                                                                                       ["G06F17/30", "H04W"])
    assert changed["watch_since"] is not None
    assert "webhook_secret" not in ent.public_profile(changed)


# --------------------------------------------------------------------------- fee states and payments


def _old_invention_states(db: duckdb.DuckDBPyConnection, as_of: dt.date) -> list[payments.FeeState]:
    eid = int(db.execute("SELECT enterprise_id FROM enterprises").fetchall()[0][0])
    states, _ = payments.enterprise_fee_states(db, eid, as_of, "single")
    return [s for s in states if s.application_number == OLD_INVENTION]


@pytest.fixture
def holding(db: duckdb.DuckDBPyConnection) -> int:
    eid = _thundersoft(db)
    ent.add_to_custody(db, eid, OLD_INVENTION)
    return eid


def test_fee_states_of_an_old_invention(db: duckdb.DuckDBPyConnection, holding: int) -> None:
    # Seen in force on 2026-11-01, so year 12 (due 2025-12-01, grace to 2026-06-01) is settled.
    # Year 13 runs from 2026-12-01 (a Tuesday): 6,000 yuan, not reduced — the reduction covers the
    # 10 years from the grant year (year 3), i.e. years 3–12. The grace period ends 2027-06-01,
    # a year the holiday calendar does not cover: provisional.
    states = _old_invention_states(db, dt.date(2026, 11, 22))
    assert [s.fee.patent_year for s in states] == list(range(13, 21))
    first = states[0]
    assert (first.state, first.days_left, first.fee.due_date, first.fee.amount, first.fee.reduced) == (
        "upcoming", 9, dt.date(2026, 12, 1), 6000, False)
    assert (first.fee.grace_period_end, first.fee.provisional) == (dt.date(2027, 6, 1), True)


def test_grace_late_fee_then_paid(db: duckdb.DuckDBPyConnection, holding: int) -> None:
    # 2027-01-15 is in the 2nd month after the due date 2026-12-01: 5 % of 6,000 = 300
    (first, *_) = _old_invention_states(db, dt.date(2027, 1, 15))
    assert (first.state, first.fee.late_fee) == ("grace", 300)
    payments.mark_paid(db, holding, OLD_INVENTION, 13, "2026-11-20", "6000", "RC-2026-0001")
    (first, *_) = _old_invention_states(db, dt.date(2027, 1, 15))
    assert (first.state, first.payment) == ("paid", {"paid_on": "2026-11-20", "amount": 6000,
                                                     "receipt_number": "RC-2026-0001", "source": "manual"})


def test_unpaid_after_grace_is_lapsed_until_an_import_shows_it_in_force(db: duckdb.DuckDBPyConnection,
                                                                         holding: int) -> None:
    states = _old_invention_states(db, dt.date(2027, 6, 10))
    assert [(s.fee.patent_year, s.state, s.fee.lapses_on) for s in states] == [(13, "lapsed", dt.date(2026, 12, 1))]
    import_file(db, THUNDERSOFT, observed_on=dt.date(2027, 6, 15))  # still in force after the grace period
    (first, *_) = _old_invention_states(db, dt.date(2027, 6, 20))
    assert (first.fee.patent_year, first.state) == (14, "upcoming")


def test_payment_list_records_rows_and_quarantines_the_rest(db: duckdb.DuckDBPyConnection, holding: int) -> None:
    data = ("申请号,年度,缴费日,金额,收据号\n"
            f"{OLD_INVENTION},13,2026-11-20,6000,R1\n"
            "CN202210513767.9,3,2026-11-20,900,R2\n"  # a ThunderSoft patent, but not in custody
            f"{OLD_INVENTION},31,2026-11-20,6000,R3\n"
            f"{OLD_INVENTION},14,2026-13-01,6000,R4\n").encode("gb18030")
    report = payments.import_payments(db, holding, data, "缴费清单.csv")
    assert (report["read"], report["recorded"], report["quarantined"]) == (4, 1, 3)
    assert [(r["row"], r["field"]) for r in report["rejections"]] == [
        (3, "application_number"), (4, "patent_year"), (5, "paid_on")]
    quarantined = db.execute("SELECT row_number, field, reason FROM quarantine WHERE file = '缴费清单.csv' "
                             "ORDER BY row_number").fetchall()
    assert quarantined[0] == (3, "application_number", "application CN202210513767.9 is not in this "
                                                       "enterprise's custody")
    assert quarantined[1][2] == "31 is outside 1–20 for this invention"
    (first, *_) = _old_invention_states(db, dt.date(2026, 11, 22))
    assert (first.state, first.payment["receipt_number"]) == ("paid", "R1")


def test_cli_registers_and_claims(base_db: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from patentatlas.cli import main

    shutil.copy(base_db, tmp_path / "cli.duckdb")
    db = str(tmp_path / "cli.duckdb")
    bad = CliRunner().invoke(main, ["--db", db, "enterprises", "register", THUNDERSOFT_NAME, USCC[:-1] + "A"])
    assert bad.exit_code != 0 and "check character is A, expected Q" in bad.output
    made = CliRunner().invoke(main, ["--db", db, "enterprises", "register", THUNDERSOFT_NAME, USCC, "--claim"])
    assert made.exit_code == 0, made.output
    assert made.output.strip() == (f"enterprise 1: {THUNDERSOFT_NAME} ({USCC}, region 110108); "
                                   "309 patents taken into custody")
