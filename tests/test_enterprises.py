"""Enterprises: credit-code registration, custody proposals and claims, the profile, payments and fee states."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from patentatlas.domain import accounts, approvals, payments
from patentatlas.domain import enterprises as ent
from patentatlas.errors import ForbiddenError, NotFoundError, UsageError
from patentatlas.imports import import_file
from patentatlas.store import open_store
from tests.conftest import THUNDERSOFT, VR

THUNDERSOFT_NAME = "中科创达软件股份有限公司"
USCC = "91110108551385082Q"  # a real, valid code (Xiaomi's): any valid code will do for the test
OLD_INVENTION = "CN201410720504.0"  # filed 2014-12-01, granted 2017-09-29 (patent year 3)


@pytest.fixture
def db(thundersoft_november_db: Path, tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A copy of the Thundersoft export with the reference tables, observed 2026-11-01 (conftest)."""
    shutil.copy(thundersoft_november_db, tmp_path / "store.duckdb")
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
    added = ent.add_to_custody(db, eid, "201410720504.0")  # written without CN and spaces
    assert added == {"application_number": OLD_INVENTION, "status": "added"}
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
                                                     "receipt_number": "RC-2026-0001", "source": "manual",
                                                     "late_fee": None})


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
    assert quarantined[1][2] == "31 is outside 1–20 (patent type: Invention)"
    (first, *_) = _old_invention_states(db, dt.date(2026, 11, 22))
    assert (first.state, first.payment["receipt_number"]) == ("paid", "R1")


def test_cli_registers_and_claims(thundersoft_november_db: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from patentatlas.cli import main

    shutil.copy(thundersoft_november_db, tmp_path / "cli.duckdb")
    db = str(tmp_path / "cli.duckdb")
    bad = CliRunner().invoke(main, ["--db", db, "enterprises", "register", THUNDERSOFT_NAME, USCC[:-1] + "A"])
    assert bad.exit_code != 0 and "check character is A, expected Q" in bad.output
    made = CliRunner().invoke(main, ["--db", db, "enterprises", "register", THUNDERSOFT_NAME, USCC, "--claim"])
    assert made.exit_code == 0, made.output
    assert made.output.strip() == (f"enterprise 1: {THUNDERSOFT_NAME} ({USCC}, region 110108); "
                                   "309 patents taken into custody")


# --------------------------------------------------------------------------- verified enterprises, owners (issue 10)

OTHER_NAME, OTHER_USCC = "成都中科创达软件有限公司", "91330100716105852F"  # a valid code of region 330100


def _user(db: duckdb.DuckDBPyConnection, email: str, role: str, **scope: Any) -> accounts.User:
    return accounts.create_user(db, email, role, password="correct horse battery", **scope)


def test_a_signed_up_enterprise_waits_and_can_do_nothing_until_verified(db: duckdb.DuckDBPyConnection) -> None:
    answer = ent.sign_up(db, {"name": THUNDERSOFT_NAME, "uscc": USCC, "name_variants": [], "email": "ip@ts.cn",
                              "password": "correct horse battery"})
    assert answer == {"received": True, "email": "ip@ts.cn", "message": ent.SIGN_UP_RECEIVED}
    eid = int(db.execute("SELECT enterprise_id FROM enterprises").fetchall()[0][0])
    assert ent.get_enterprise(db, eid)["status"] == "pending"
    first = ent.proposals(db, eid)[0]["application_number"]
    waiting = f"enterprise {eid} is waiting for the office"
    with pytest.raises(ForbiddenError, match=waiting):
        ent.confirm_proposals(db, eid, [first])
    with pytest.raises(ForbiddenError, match=waiting):
        ent.add_to_custody(db, eid, OLD_INVENTION)
    with pytest.raises(ForbiddenError, match=waiting):
        payments.mark_paid(db, eid, OLD_INVENTION, 13, "2026-11-20", 6000)
    with pytest.raises(ForbiddenError, match=waiting):
        payments.import_payments(db, eid, f"申请号,年度,缴费日,金额\n{OLD_INVENTION},13,2026-11-20,6000\n".encode(),
                                 "list.csv")
    assert db.execute("SELECT count(*) FROM custody").fetchall() + db.execute(
        "SELECT count(*) FROM fee_payments").fetchall() == [(0,), (0,)]
    # an analyst of another region may not decide; the region's analyst (Beijing, above 海淀区) may
    zhejiang = _user(db, "zj@gov.cn", "analyst", region_code="330000")
    beijing = _user(db, "bj@gov.cn", "analyst", region_code="110000")
    assert approvals.pending_registrations(db, zhejiang) == []
    with pytest.raises(ForbiddenError, match=f"enterprise {eid} \\(region 110108\\) is not yours to decide"):
        approvals.decide_registration(db, zhejiang, eid, "approve")
    (pending,) = approvals.pending_registrations(db, beijing)
    evidence = pending["evidence"]
    assert (evidence["uscc_check"], evidence["division_code"], evidence["region_name"], evidence["directory"],
            [c["email"] for c in evidence["contacts"]], evidence["would_claim"]) == (
        {"valid": True, "message": "the GB 32100 check character matches"}, "110108", "海淀区", None,
        ["ip@ts.cn"], 309)
    with pytest.raises(UsageError, match="decision: 'maybe' is not one of approve, refuse"):
        approvals.decide_registration(db, beijing, eid, "maybe")
    assert approvals.decide_registration(db, beijing, eid, "approve", "营业执照已核对")["status"] == "verified"
    assert ent.confirm_proposals(db, eid, [first]) == 1
    with pytest.raises(UsageError, match=fr"enterprise {eid} was decided already \(Verified\)"):
        approvals.decide_registration(db, beijing, eid, "refuse")
    actions = [(e["action"], e["user_id"]) for e in accounts.audit_entries(db) if e["action"].startswith("enterprise")]
    assert actions == [("enterprise.verify", beijing.user_id), ("enterprise.register", None)]


def test_a_refused_registration_stays_refused(db: duckdb.DuckDBPyConnection) -> None:
    eid = int(ent.register_enterprise(db, THUNDERSOFT_NAME, USCC, pending=True)["enterprise_id"])
    admin = _user(db, "root@gov.cn", "admin")
    assert approvals.decide_registration(db, admin, eid, "refuse", "信用代码与名称不符")["status"] == "refused"
    with pytest.raises(ForbiddenError, match="the office refused its registration"):
        ent.add_to_custody(db, eid, OLD_INVENTION)
    assert approvals.pending_registrations(db, admin) == []


def test_the_directory_match_is_evidence_when_a_directory_exists(db: duckdb.DuckDBPyConnection) -> None:
    enterprise = ent.register_enterprise(db, THUNDERSOFT_NAME, USCC, pending=True)
    assert approvals.directory_match(db, enterprise) is None  # no directory loaded
    db.execute("CREATE TABLE enterprise_directory (name VARCHAR, former_names VARCHAR[], credit_code VARCHAR, "
               "address VARCHAR, county_code VARCHAR)")
    assert approvals.directory_match(db, enterprise) == {"found": False}
    db.execute("INSERT INTO enterprise_directory VALUES ('北京中科创达软件股份有限公司', "
               "['中科创达软件股份有限公司'], ?, '北京市海淀区清华东路9号', '110108')", [USCC])
    match = approvals.directory_match(db, enterprise)
    assert match == {"name": "北京中科创达软件股份有限公司", "former_names": ["中科创达软件股份有限公司"],
                     "credit_code": USCC, "address": "北京市海淀区清华东路9号", "county_code": "110108",
                     "found": True, "matched_by": "credit_code", "name_matches": True, "credit_code_matches": True}


def test_another_enterprises_patent_becomes_a_request_the_office_decides(db: duckdb.DuckDBPyConnection) -> None:
    owner = _thundersoft(db)
    other = int(ent.register_enterprise(db, OTHER_NAME, OTHER_USCC)["enterprise_id"])
    asked = ent.add_to_custody(db, other, OLD_INVENTION)
    assert asked == {"application_number": OLD_INVENTION, "status": "requested", "request_id": 1,
                     "reason": "none of the enterprise's names applied for this patent: the office decides"}
    assert ent.add_to_custody(db, other, OLD_INVENTION)["request_id"] == 1  # asking twice: the same request
    assert ent.custody_patents(db, other) == []
    with pytest.raises(NotFoundError, match="not in this enterprise's custody"):
        payments.mark_paid(db, other, OLD_INVENTION, 13, "2026-11-20", 1)
    beijing = _user(db, "bj@gov.cn", "analyst", region_code="110000")
    with pytest.raises(ForbiddenError, match=f"enterprise {other} \\(region 330100\\) is not yours to decide"):
        approvals.decide_custody_request(db, beijing, 1, "approve")
    hangzhou = _user(db, "hz@gov.cn", "analyst", region_code="330100")
    (request,) = approvals.pending_custody_requests(db, hangzhou)
    assert (request["enterprise_name"], request["application_number"], request["applicants"]) == (
        OTHER_NAME, OLD_INVENTION, [THUNDERSOFT_NAME])
    assert approvals.decide_custody_request(db, hangzhou, 1, "refuse", "非专利权人")["status"] == "refused"
    assert ent.custody_patents(db, other) == [] and ent.custody_requests(db, other)[0]["status"] == "refused"
    # its own patents (by its name) go in at once; the owner's are untouched
    own = db.execute("SELECT application_number FROM patents WHERE list_contains(applicant_names, ?) ORDER BY 1 "
                     "LIMIT 1", [OTHER_NAME]).fetchall()[0][0]
    assert ent.add_to_custody(db, other, own) == {"application_number": own, "status": "added"}
    assert ent.add_to_custody(db, owner, OLD_INVENTION)["status"] == "added"


def test_a_verified_enterprise_cannot_widen_its_names_itself(db: duckdb.DuckDBPyConnection) -> None:
    other = int(ent.register_enterprise(db, OTHER_NAME, OTHER_USCC)["enterprise_id"])
    with pytest.raises(ForbiddenError, match="name_variants: the names decide which patents are yours"):
        ent.update_profile(db, other, {"name_variants": THUNDERSOFT_NAME}, by_office=False)
    assert ent.proposals(db, other)[0]["matched_applicant"] == OTHER_NAME
    unchanged = ent.update_profile(db, other, {"name_variants": "", "employees": "12"}, by_office=False)
    assert unchanged["employees"] == 12  # the form sends the names back unchanged: that is fine
    pending = int(ent.register_enterprise(db, "某公司", USCC, pending=True)["enterprise_id"])
    assert ent.update_profile(db, pending, {"name_variants": "某某公司"}, by_office=False)["name_variants"] == [
        "某某公司"]  # before verification the office reviews them with the registration


def test_payments_belong_to_the_enterprise_that_recorded_them(db: duckdb.DuckDBPyConnection) -> None:
    owner = _thundersoft(db)
    ent.add_to_custody(db, owner, OLD_INVENTION)
    other = int(ent.register_enterprise(db, OTHER_NAME, OTHER_USCC)["enterprise_id"])
    ent.add_to_custody(db, other, OLD_INVENTION)
    approvals.decide_custody_request(db, _user(db, "root@gov.cn", "admin"), 1, "approve")  # e.g. a licensee
    payments.mark_paid(db, owner, OLD_INVENTION, 13, "2026-11-20", 6000, "RC-OWNER")
    payments.mark_paid(db, other, OLD_INVENTION, 13, "2026-11-21", 1, "RC-OTHER")  # does not replace the owner's
    payments.import_payments(db, other, f"申请号,年度,缴费日,金额\n{OLD_INVENTION},14,2026-11-21,1\n".encode(), "l.csv")
    day = dt.date(2027, 1, 15)

    def first_two(eid: int) -> list[tuple[int, str, Any]]:
        states, _ = payments.enterprise_fee_states(db, eid, day)
        return [(s.fee.patent_year, s.state, (s.payment or {}).get("receipt_number"))
                for s in states if s.application_number == OLD_INVENTION][:2]

    assert first_two(owner) == [(13, "paid", "RC-OWNER"), (14, "upcoming", None)]
    assert first_two(other) == [(13, "paid", "RC-OTHER"), (14, "paid", None)]
    assert db.execute("SELECT enterprise_id, patent_year, amount, receipt_number FROM fee_payments ORDER BY 1, 2"
                      ).fetchall() == [(owner, 13, 6000, "RC-OWNER"), (other, 13, 1, "RC-OTHER"), (other, 14, 1, None)]
    # a public fact (an office's own list, enterprise 0) counts for both; the government counts any holder's record
    db.execute("INSERT INTO fee_payments (enterprise_id, application_number, patent_year, paid_on, amount, source) "
               "VALUES (0, ?, 15, DATE '2026-11-01', 6000, 'import')", [OLD_INVENTION])
    states, _ = payments.enterprise_fee_states(db, owner, dt.date(2028, 1, 15))
    assert [(s.fee.patent_year, s.state) for s in states if s.application_number == OLD_INVENTION][:3] == [
        (13, "paid"), (14, "grace"), (15, "paid")]
    assert db.execute("SELECT patent_year FROM paid_fees ORDER BY 1").fetchall() == [(13,), (14,), (15,)]


def test_the_warning_job_ignores_pending_enterprises(db: duckdb.DuckDBPyConnection) -> None:
    from patentatlas.domain.warnings import inbox, run_alerts

    verified = _thundersoft(db)
    pending = int(ent.register_enterprise(db, OTHER_NAME, OTHER_USCC, pending=True)["enterprise_id"])
    for eid in (verified, pending):
        ent.update_profile(db, eid, {"watch_keywords": "虚拟现实"})
    import_file(db, VR, observed_on=dt.date(2026, 11, 1))
    summary = run_alerts(db, dt.date(2026, 11, 22), None)
    assert summary["created"] == len(inbox(db, verified, limit=10_000)) > 0
    assert inbox(db, pending, limit=10_000) == []


def test_migration_6_verifies_holders_and_gives_payments_their_enterprise(tmp_path: Path) -> None:
    from patentatlas.store.schema import MIGRATIONS, migrate

    conn = duckdb.connect(str(tmp_path / "old.duckdb"))
    conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP "
                 "DEFAULT now())")
    for version, name, sql in MIGRATIONS:
        if version <= 3:
            conn.execute(sql)
            conn.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, name])
    for eid, name, code in ((1, "甲", "91110108551385082Q"), (2, "乙", OTHER_USCC), (3, "丙", "914403001922038216")):
        conn.execute("INSERT INTO enterprises (enterprise_id, name, uscc) VALUES (?, ?, ?)", [eid, name, code])
    conn.execute("INSERT INTO audit_log (user_id, action, target, detail) VALUES (9, 'enterprise.register', "
                 "'914403001922038216', '{\"enterprise_id\": 3}')")  # registered by an admin
    conn.execute("INSERT INTO users (user_id, email, role, enterprise_id) VALUES (5, 'b@b.cn', 'enterprise', 2)")
    conn.execute("INSERT INTO custody (enterprise_id, application_number, source) VALUES (1, 'CN1', 'claimed')")
    conn.execute("INSERT INTO fee_payments VALUES ('CN1', 3, DATE '2026-01-01', 900, 'R1', 'manual', 9, now()), "
                 "('CN1', 4, DATE '2026-01-01', 1, 'R2', 'manual', 5, now()), "
                 "('CN9', 4, DATE '2026-01-01', 1, NULL, 'import', NULL, now())")
    assert migrate(conn) == [v for v, _, _ in MIGRATIONS if v > 3]
    assert conn.execute("SELECT enterprise_id, status FROM enterprises ORDER BY 1").fetchall() == [
        (1, "verified"), (2, "pending"), (3, "verified")]
    assert conn.execute("SELECT enterprise_id, application_number, patent_year, receipt_number FROM fee_payments "
                        "ORDER BY 2, 3").fetchall() == [(1, "CN1", 3, "R1"), (2, "CN1", 4, "R2"), (0, "CN9", 4, None)]
    conn.close()
