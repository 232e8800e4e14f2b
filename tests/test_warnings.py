"""Early warnings through the front door: the real Thundersoft export (中科创达, 511 records, observed
2026-06-30), enterprises registered and patents taken into custody as a user would, the job run at
chosen dates; mail to a loopback aiosmtpd server, webhooks to a loopback HTTP server."""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from fastapi.testclient import TestClient

from patentatlas.cli import main
from patentatlas.delivery.mail import MailSettings
from patentatlas.delivery.webhook import verify
from patentatlas.domain.accounts import create_user
from patentatlas.domain.accounts import now as utc_now
from patentatlas.domain.approvals import decide_custody_request
from patentatlas.domain.enterprises import (
    add_to_custody,
    confirm_proposals,
    proposals,
    register_enterprise,
    update_profile,
)
from patentatlas.domain.outbox import NO_SMTP, deliver_pending, delivery_failures
from patentatlas.domain.payments import enterprise_fee_states, mark_paid
from patentatlas.domain.warnings import inbox, mark_read, run_alerts, unread_count
from patentatlas.errors import NotFoundError
from patentatlas.i18n import translate
from patentatlas.imports import import_file
from patentatlas.store import open_store
from patentatlas.web.app import create_app
from patentatlas.web.scheduler import Scheduler
from tests.conftest import CHATBOT, THUNDERSOFT, copied_store
from tests.servers import Collector, Receiver, free_port, serve

OBSERVED = dt.date(2026, 6, 30)  # when the Thundersoft export's data was taken
AS_OF = dt.date(2026, 8, 4)
AT = dt.datetime(2026, 8, 4, 1, 0)  # the job's clock (UTC)
THUNDERSOFT_NAME = "中科创达软件股份有限公司"
THUNDERSOFT_USCC = "91330100716105852F"
OTHER_NAME = "深圳市腾讯计算机系统有限公司"
OTHER_USCC = "914403001922038216"
THIRD_USCC = "91110108551385082Q"
SECRET = "中科创达-webhook-秘钥"
RULES = {"name": "annual_fees", "version": 1, "source": (
    "CNIPA fee schedule as republished by local market-regulation bureaus; Patent Law Implementing "
    "Regulations on fees and deadlines; CNIPA fee-reduction notices of 2016, 2018, 2019 (REFERENCE §3)")}

# Four custody patents, as of 2026-08-04, the holder declared the single-applicant reduction (85 %):
# DDOS — invention filed 2019-08-22, granted 2022-05-17 (patent year 3: the reduction covers years
#   3–12). Year 8 starts on the anniversary 2026-08-22, a Saturday → due Monday 2026-08-24, 20 days
#   away → the 30-day stage. Fee for invention year 8: 2,000; reduced 85 % → 300. Grace: 6 months
#   → 2027-02-24, a year the holiday calendar lacks → provisional.
DDOS = "CN201910777840.1"
# ANGLE — invention filed 2019-04-04, granted 2020-12-18 (patent year 2: years 2–11 reduced).
#   Year 8 starts 2026-04-04, Qingming holiday (4–6 April) → due 2026-04-07. On 2026-08-04 it is
#   in the 4th month late (07-07 < 08-04 ≤ 08-07): late fee 15 % of the full 2,000 = 300, plus the
#   reduced 300 = 600. Grace end 2026-10-07 falls in the National Day holiday → 2026-10-08.
ANGLE = "CN201910272908.0"
# VIDEO — invention filed 2019-01-10, granted 2021-07-23. Year 8 starts 2026-01-10, a Saturday →
#   due 2026-01-12; grace to 2026-07-12, a Sunday → 2026-07-13. The export (observed 2026-06-30)
#   predates that, nothing is paid: lapsed, the patent terminates as of 2026-01-12.
VIDEO = "CN201910023045.3"
# HEATSINK — utility model filed 2016-10-28: its 10-year term ends 2026-10-28, in 85 days.
HEATSINK = "CN201621195159.4"


@pytest.fixture
def db(thundersoft_june_db: Path, tmp_path: Path) -> Path:
    """A copy of the Thundersoft export observed on OBSERVED (conftest's session store)."""
    return copied_store(thundersoft_june_db, tmp_path)


@pytest.fixture
def conn(db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = open_store(db)
    yield connection
    connection.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from serve(Receiver())


def thundersoft(conn: duckdb.DuckDBPyConnection, custody: list[str], **profile: Any) -> int:
    """中科创达 registered with the 85 % reduction declared, ``custody`` added by hand (the office
    approves those its name did not apply for: ANGLE's and HEATSINK's applicants are group companies)."""
    enterprise_id = int(register_enterprise(conn, THUNDERSOFT_NAME, THUNDERSOFT_USCC)["enterprise_id"])
    update_profile(conn, enterprise_id, {"fee_reduction": "single", **profile})
    office = create_user(conn, "office@gov.cn", "admin", password="office password") if custody else None
    for number in custody:
        added = add_to_custody(conn, enterprise_id, number)
        if office and added["status"] == "requested":
            decide_custody_request(conn, office, added["request_id"], "approve")
    return enterprise_id


def warnings_of(conn: duckdb.DuckDBPyConnection, enterprise_id: int, lang: str = "zh") -> dict[str, dict[str, Any]]:
    """The inbox, titles and bodies in ``lang`` as its page shows them."""
    return {w["warning_key"]: w | {"title": translate(w["title"], lang), "body": translate(w["body"], lang),
                                   "resolved_reason": translate(w["resolved_reason"], lang)}
            for w in inbox(conn, enterprise_id, limit=10_000)}


def deliveries(conn: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    return conn.execute("SELECT warning_key, channel, target, status, attempts, last_error, next_attempt_at, "
                        "sent_at FROM deliveries ORDER BY warning_key, channel").fetchall()


def mail_settings(controller: Controller) -> MailSettings:
    return MailSettings(host="127.0.0.1", port=controller.port, sender="专利监测 <alerts@patentatlas.cn>")


# --------------------------------------------------------------------------- the rules


def test_the_rules_as_of_a_day(conn: duckdb.DuckDBPyConnection) -> None:
    eid = thundersoft(conn, [DDOS, ANGLE, VIDEO, HEATSINK])
    summary = run_alerts(conn, AS_OF, None, now=AT)
    assert summary["warnings"] == {"fee_due": 1, "fee_grace": 1, "fee_lapsed": 1, "status_change": 0,
                                   "term_end": 1, "watch": 0}
    assert summary["created"] == 4
    assert summary["enterprises"] == 1
    found = warnings_of(conn, eid)
    assert {k: (w["severity"], w["title"]) for k, w in found.items()} == {
        f"fee_due:{eid}:{DDOS}:8:30": ("warning", f"年费 2026-08-24 到期：{DDOS} 第8年"),
        f"fee_grace:{eid}:{ANGLE}:8:m4": ("critical", f"年费逾期（宽限期第4个月）：{ANGLE} 第8年，今日补缴共 600 元"),
        f"fee_lapsed:{eid}:{VIDEO}:8": ("critical", f"年费未缴，专利权推定终止：{VIDEO} 第8年"),
        f"term_end:{eid}:{HEATSINK}": ("warning", f"专利权期限 2026-10-28 届满：{HEATSINK}"),
    }
    assert all(w["as_of"] == AS_OF and w["created_at"] == AT and w["read_at"] is None for w in found.values())


def test_fee_due_explains_itself_and_equals_the_fee_engine(conn: duckdb.DuckDBPyConnection) -> None:
    eid = thundersoft(conn, [DDOS])
    run_alerts(conn, AS_OF, None, now=AT)
    warning = warnings_of(conn, eid)[f"fee_due:{eid}:{DDOS}:8:30"]
    assert warning["body"] == (
        f"专利 {DDOS}（一种DDoS攻击检测方法、装置、电子设备和存储介质）第8年年费的缴费期限是 2026-08-24，还有 20 天。"
        "应缴 300 元（已按费减 85% 计算，全额 2,000 元）。逾期未缴的，可在 2027-02-24 前补缴并加收滞纳金。"
        "注：节假日日历尚未覆盖其中的年份，这些日期只按周末顺延，为暂定日期。")
    assert warning["facts"] == {
        "rule": "fee_due", "rules": RULES, "as_of": "2026-08-04", "application_number": DDOS,
        "patent_type": "invention", "patent_year": 8, "period_start": "2026-08-22", "due_date": "2026-08-24",
        "days_left": 20, "stage_days": 30, "amount": 300, "full_amount": 2000, "reduced": True,
        "reduction": "single", "reduction_percent": 85, "grace_period_end": "2027-02-24", "late_fee": 0,
        "provisional": True, "payment_recorded": False, "last_seen_in_force": "2026-06-30",
        "grant_date_known": True, "unknowns": [], "reduction_years": 10,
    }
    state = enterprise_fee_states(conn, eid, AS_OF, "single")[0][0]  # the next of years 8 … 20
    assert (state.state, state.days_left, state.fee.patent_year) == ("upcoming", 20, 8)
    assert (state.fee.due_date.isoformat(), state.fee.amount, state.fee.grace_period_end.isoformat()) == (
        warning["facts"]["due_date"], warning["facts"]["amount"], warning["facts"]["grace_period_end"])


def test_without_a_declared_reduction_the_full_fee_and_what_was_missing(conn: duckdb.DuckDBPyConnection) -> None:
    eid = thundersoft(conn, [DDOS], fee_reduction=None)
    run_alerts(conn, AS_OF, None, now=AT)
    warning = warnings_of(conn, eid)[f"fee_due:{eid}:{DDOS}:8:30"]
    facts = warning["facts"]
    assert (facts["amount"], facts["reduced"], facts["reduction"], facts["reduction_percent"]) == (
        2000, False, None, None)
    assert "应缴 2,000 元（未声明费减资格，按全额计算）" in warning["body"]


def test_a_fee_without_a_grant_date_names_what_is_unknown_by_code(tmp_path: Path) -> None:
    """中国银联's CN202011509056.1 (the chatbot export, observed 2023-05-15): in force, its grant date not
    in the data. Filed 2020-12-18: year 3 began 2022-12-18, a Sunday → due 2022-12-19; on 2023-05-20 it
    is in the grace period's 6th month (25 % of the full 900 = 225). The year may have been the grant
    year (its fee paid with the registration) and the declared reduction's window cannot be judged:
    the facts carry fees' codes, the body their words."""
    conn = open_store(tmp_path / "store.duckdb")
    try:
        import_file(conn, CHATBOT, observed_on=dt.date(2023, 5, 15))
        eid = int(register_enterprise(conn, "中国银联股份有限公司", "91310000736239890T")["enterprise_id"])
        update_profile(conn, eid, {"fee_reduction": "single"})
        assert add_to_custody(conn, eid, "CN202011509056.1")["status"] == "added"
        run_alerts(conn, dt.date(2023, 5, 20), None, now=dt.datetime(2023, 5, 20, 1))
        warning = warnings_of(conn, eid)[f"fee_grace:{eid}:CN202011509056.1:3:m6"]
    finally:
        conn.close()
    facts = warning["facts"]
    assert (facts["due_date"], facts["amount"], facts["reduced"], facts["late_fee"], facts["grant_date_known"]) == (
        "2022-12-19", 900, False, 225, False)
    assert [u["code"] for u in facts["unknowns"]] == ["paid_at_grant", "reduction_window"]
    assert facts["unknowns"][0]["zh"] == "授权日未知：本年度可能是授权登记的年度，其年费随授权登记缴纳"
    assert "今日补缴需缴年费 900 元（已声明费减，按全额计算，见注），另加滞纳金 225 元" in warning["body"]
    assert warning["body"].endswith(
        "注：数据中没有授权日（已知已授权且有效），年费按申请日推算；授权日未知：本年度可能是授权登记的年度，"
        "其年费随授权登记缴纳；授权日未知：无法判断费减（授权当年起十年）是否仍适用，按全额计算。")


def test_fee_due_stages_and_second_runs(conn: duckdb.DuckDBPyConnection) -> None:
    eid = thundersoft(conn, [DDOS])
    # 84 days before 2026-08-24 → the 90-day stage; the same day again → nothing
    assert run_alerts(conn, dt.date(2026, 6, 1), None, now=AT)["warnings"]["fee_due"] == 1
    again = run_alerts(conn, dt.date(2026, 6, 1), None, now=AT + dt.timedelta(hours=1))
    assert (again["created"], again["deliveries"]["sent"]) == (0, 0)
    assert run_alerts(conn, dt.date(2026, 7, 1), None, now=AT)["created"] == 0  # 54 days: still the 90-day stage
    assert run_alerts(conn, dt.date(2026, 8, 4), None, now=AT)["created"] == 1  # 20 days: 30
    assert run_alerts(conn, dt.date(2026, 8, 20), None, now=AT)["created"] == 1  # 4 days: 7
    assert {k: w["severity"] for k, w in warnings_of(conn, eid).items()} == {
        f"fee_due:{eid}:{DDOS}:8:90": "info", f"fee_due:{eid}:{DDOS}:8:30": "warning",
        f"fee_due:{eid}:{DDOS}:8:7": "critical"}
    assert conn.execute("SELECT count(*) FROM job_runs WHERE job = 'alerts'").fetchall() == [(5,)]


def test_grace_warning_each_month_with_the_late_fee_of_the_day(conn: duckdb.DuckDBPyConnection) -> None:
    eid = thundersoft(conn, [ANGLE])
    run_alerts(conn, AS_OF, None, now=AT)
    warning = warnings_of(conn, eid)[f"fee_grace:{eid}:{ANGLE}:8:m4"]
    assert warning["body"] == (
        f"专利 {ANGLE}（调整拍摄角度的提示方法、装置及电子设备）第8年年费已于 2026-04-07 到期，平台没有缴费记录。"
        "现处于宽限期第 4 个月：今日补缴需缴年费 300 元（已按费减 85% 计算，全额 2,000 元），"
        "另加滞纳金 300 元（全额年费 2,000 元的 15%），共 600 元。"
        "宽限期至 2026-10-08 届满，届时仍未缴纳的，专利权自 2026-04-07 起终止。如已缴费，请登记缴费记录。")
    assert {k: warning["facts"][k] for k in ("due_date", "grace_month", "late_fee", "late_fee_percent",
                                             "total_due_today", "grace_period_end", "provisional")} == {
        "due_date": "2026-04-07", "grace_month": 4, "late_fee": 300, "late_fee_percent": 15,
        "total_due_today": 600, "grace_period_end": "2026-10-08", "provisional": False}
    assert run_alerts(conn, dt.date(2026, 8, 7), None, now=AT)["created"] == 0  # still the 4th month
    # 5th month (08-07 < 09-01 ≤ 09-07): 20 % of 2,000 = 400, total 700
    assert run_alerts(conn, dt.date(2026, 9, 1), None, now=AT)["warnings"]["fee_grace"] == 1
    facts = warnings_of(conn, eid)[f"fee_grace:{eid}:{ANGLE}:8:m5"]["facts"]
    assert (facts["late_fee"], facts["total_due_today"]) == (400, 700)
    # 2026-10-08: past the 6th month (10-07) but the grace period's end moved to it: 25 % = 500
    assert run_alerts(conn, dt.date(2026, 10, 8), None, now=AT)["warnings"]["fee_grace"] == 1
    facts = warnings_of(conn, eid)[f"fee_grace:{eid}:{ANGLE}:8:m6"]["facts"]
    assert (facts["late_fee"], facts["late_fee_percent"], facts["total_due_today"]) == (500, 25, 800)
    # the day after, nothing paid: lapsed as of the due date
    run_alerts(conn, dt.date(2026, 10, 9), None, now=AT)
    assert warnings_of(conn, eid)[f"fee_lapsed:{eid}:{ANGLE}:8"]["facts"]["terminated_as_of"] == "2026-04-07"


def test_lapsed_fee_says_restoration_costs_1000(conn: duckdb.DuckDBPyConnection) -> None:
    eid = thundersoft(conn, [VIDEO], fee_reduction=None)
    run_alerts(conn, AS_OF, None, now=AT)
    warning = warnings_of(conn, eid)[f"fee_lapsed:{eid}:{VIDEO}:8"]
    assert warning["body"] == (
        f"专利 {VIDEO}（一种控制视频播放的方法及装置）第8年年费应于 2026-01-12 缴纳，宽限期已于 2026-07-13 届满。"
        "平台没有缴费记录，此后也没有导入数据显示该专利仍然有效（最近一次见到有效：2026-06-30），"
        "因此推定专利权自 2026-01-12 起终止。可以请求恢复权利，恢复费 1,000 元。如已缴费，请登记缴费记录。")
    assert {k: warning["facts"][k] for k in ("presumed", "terminated_as_of", "restoration_fee", "amount",
                                             "reduction", "payment_recorded", "last_seen_in_force")} == {
        "presumed": True, "terminated_as_of": "2026-01-12", "restoration_fee": 1000, "amount": 2000,
        "reduction": None, "payment_recorded": False, "last_seen_in_force": "2026-06-30"}


def test_a_recorded_payment_silences_the_fee(conn: duckdb.DuckDBPyConnection) -> None:
    eid = thundersoft(conn, [VIDEO, ANGLE])
    mark_paid(conn, eid, VIDEO, 8, "2026-01-05", 300, "RCPT-2026-0105")
    summary = run_alerts(conn, AS_OF, None, now=AT)
    assert list(warnings_of(conn, eid)) == [f"fee_grace:{eid}:{ANGLE}:8:m4"]  # year 9 of VIDEO is 2027-01-11
    assert summary["created"] == 1


def test_the_whole_portfolio_agrees_with_the_fee_engine(conn: duckdb.DuckDBPyConnection) -> None:
    eid = thundersoft(conn, [])
    assert confirm_proposals(conn, eid, [p["application_number"] for p in proposals(conn, eid)]) == 309
    summary = run_alerts(conn, AS_OF, None, now=AT)
    assert summary["warnings"] == {"fee_due": 9, "fee_grace": 53, "fee_lapsed": 26, "status_change": 0,
                                   "term_end": 0, "watch": 0}
    states, _ = enterprise_fee_states(conn, eid, AS_OF, "single")
    expected = {(s.application_number, s.fee.patent_year, s.state, s.fee.due_date.isoformat(), s.fee.amount,
                 s.fee.late_fee) for s in states
                if s.state in ("grace", "lapsed") or (s.state == "upcoming" and s.days_left <= 90)}
    state_of = {"fee_due": "upcoming", "fee_grace": "grace", "fee_lapsed": "lapsed"}
    found = {(w["application_number"], w["facts"]["patent_year"], state_of[w["rule"]], w["facts"]["due_date"],
              w["facts"]["amount"], w["facts"]["late_fee"]) for w in warnings_of(conn, eid).values()}
    assert len(found) == 88
    assert found == expected


def test_status_change_seen_after_custody_began(conn: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    eid = thundersoft(conn, [DDOS])
    lapsed = tmp_path / "thundersoft_later.csv"  # the same export, DDOS now shown as 失效
    with THUNDERSOFT.open(encoding="utf-8", newline="") as source:
        rows = list(csv.reader(source))
    status, number = rows[0].index("法律状态"), rows[0].index("申请号")
    for row in rows[1:]:
        if row[number] == DDOS:
            row[status] = "失效"
    with lapsed.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows(rows)
    today = utc_now().date()  # custody began today: only changes observed from today on warn
    import_file(conn, lapsed, observed_on=today)
    summary = run_alerts(conn, today, None, now=AT)
    assert summary["warnings"]["status_change"] == 1
    (warning,) = [w for w in warnings_of(conn, eid).values() if w["rule"] == "status_change"]
    assert warning["warning_key"] == f"status:{eid}:{DDOS}:2"
    assert (warning["severity"], warning["title"]) == ("critical", f"法律状态变化：{DDOS} 有效→失效")
    assert warning["body"] == (
        f"专利 {DDOS}（一种DDoS攻击检测方法、装置、电子设备和存储介质）的法律状态由“有效（有效）”变为“失效（失效）”，"
        f"见于 {today} 的数据（导入批次 2，文件 {lapsed}）。")
    assert {k: warning["facts"][k] for k in ("old_status", "new_status", "observed_on", "batch_id")} == {
        "old_status": "in_force", "new_status": "lapsed", "observed_on": today.isoformat(), "batch_id": 2}
    # a lapsed patent has no fees to warn about any more, and a second run repeats nothing
    assert run_alerts(conn, today, None, now=AT)["created"] == 0


def test_watch_fires_for_patents_imported_after_it_was_set(conn: duckdb.DuckDBPyConnection) -> None:
    by_ipc = int(register_enterprise(conn, OTHER_NAME, OTHER_USCC)["enterprise_id"])
    update_profile(conn, by_ipc, {"watch_ipc": "G06F3"})  # canonical G06F3/00: main group 3 and its subgroups
    by_word = int(register_enterprise(conn, "北京百度网讯科技有限公司", THIRD_USCC)["enterprise_id"])
    update_profile(conn, by_word, {"watch_keywords": "聊天机器人"})
    import_file(conn, CHATBOT, observed_on=dt.date(2026, 7, 1))  # batch 2, after both watches were set
    summary = run_alerts(conn, AS_OF, None, now=AT)
    fresh = conn.execute("SELECT application_number, ipc_codes, concat_ws(' ', title_zh, title_en, abstract_zh, "
                         "abstract_en) FROM patents WHERE first_batch_id = 2").fetchall()
    # 238 chatbot patents carry a G06F3/… code, 1,358 mention 聊天机器人; all were new in batch 2
    with_ipc = {n for n, codes, _ in fresh if any(c.startswith("G06F3/") for c in codes or [])}
    with_word = {n for n, _, text in fresh if "聊天机器人" in text}
    assert (len(with_ipc), len(with_word)) == (238, 1358)
    assert summary["warnings"]["watch"] == 238 + 1358
    assert {w["application_number"] for w in inbox(conn, by_ipc, limit=5000)} == with_ipc
    assert {w["application_number"] for w in inbox(conn, by_word, limit=5000)} == with_word
    # CN201210466350.8 (Thundersoft, G06F3/0488) was imported before the watch was set
    assert "CN201210466350.8" not in {w["application_number"] for w in inbox(conn, by_ipc, limit=5000)}
    warning = warnings_of(conn, by_ipc)[f"watch:{by_ipc}:CN202011360370.8"]
    assert (warning["severity"], warning["title"]) == ("info", "监控命中新专利：CN202011360370.8")
    assert warning["body"] == (
        "新导入的专利 CN202011360370.8（朋友圈动态信息分享方法、装置、设备及计算机存储介质），"
        "申请人 中国移动通信集团上海有限公司、中国移动通信集团有限公司，申请日 2020-11-27，"
        "命中您的监控条件：IPC G06F3/00。")
    assert {k: warning["facts"][k] for k in ("matched_ipc", "matched_keywords", "ipc_codes", "batch_id")} == {
        "matched_ipc": ["G06F3/00"], "matched_keywords": [], "batch_id": 2,
        "ipc_codes": ["G06F3/0482", "G06F3/0484", "H04L51/046", "H04L51/52", "H04L65/611"]}
    assert warnings_of(conn, by_word)[f"watch:{by_word}:CN202011360370.8"]["facts"]["matched_keywords"] == [
        "聊天机器人"]
    assert run_alerts(conn, AS_OF, None, now=AT)["created"] == 0


# --------------------------------------------------------------------------- delivery


def test_mail_arrives_with_the_chinese_subject(conn: duckdb.DuckDBPyConnection, smtp: tuple[Controller, Collector],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    controller, collector = smtp
    monkeypatch.setattr("patentatlas.domain.outbox.PAGE", 1)  # one row a page: the pass reads page after page
    eid = thundersoft(conn, [DDOS, ANGLE], notify_email="ip@thundersoft.example.cn")
    summary = run_alerts(conn, AS_OF, mail_settings(controller), now=AT)
    assert summary["deliveries"] == {"sent": 2, "failed": 0, "retrying": 0, "pending": 0}
    assert len(collector.envelopes) == 2
    messages = {collector.message(i)["Subject"]: collector.message(i) for i in range(2)}
    message = messages[f"年费 2026-08-24 到期：{DDOS} 第8年"]
    assert message["To"] == "ip@thundersoft.example.cn"
    text = message.get_content()
    assert text.startswith(warnings_of(conn, eid)[f"fee_due:{eid}:{DDOS}:8:30"]["body"] + "\n\n依据：\n")
    for line in ("due_date: 2026-08-24", "amount: 300", "reduction: single", "rules.version: 1", "provisional: true"):
        assert line in text.splitlines()
    assert [r[1:5] for r in deliveries(conn)] == [("email", "ip@thundersoft.example.cn", "sent", 1)] * 2
    again = run_alerts(conn, AS_OF, mail_settings(controller), now=AT + dt.timedelta(hours=1))
    assert (again["created"], again["deliveries"]["sent"], len(collector.envelopes)) == (0, 0, 2)


def test_a_warning_in_english_says_the_same_facts(conn: duckdb.DuckDBPyConnection) -> None:
    eid = thundersoft(conn, [ANGLE])
    run_alerts(conn, AS_OF, None, now=AT)
    warning = warnings_of(conn, eid, "en")[f"fee_grace:{eid}:{ANGLE}:8:m4"]
    assert warning["title"] == f"Annual fee overdue (grace period, month 4): {ANGLE} year 8, 600 yuan if paid today"
    assert warning["body"] == (
        f"The year-8 annual fee of patent {ANGLE} (调整拍摄角度的提示方法、装置及电子设备) was due on 2026-04-07, "
        "and the platform has no record of its payment. It is in month 4 of the grace period: paid today, the fee "
        "is 300 yuan (after the 85% fee reduction; full fee 2,000 yuan) plus a late fee of 300 yuan (15% of the "
        "full fee of 2,000 yuan), 600 yuan in all. The grace period ends on 2026-10-08; if the fee is still "
        "unpaid then, the patent terminates as of 2026-04-07. If it has been paid, please record the payment.")


def test_mail_and_webhook_in_the_enterprises_language(conn: duckdb.DuckDBPyConnection,
                                                     smtp: tuple[Controller, Collector], receiver: Receiver) -> None:
    controller, collector = smtp
    eid = thundersoft(conn, [DDOS], notify_email="ip@thundersoft.example.cn", notify_lang="en",
                      webhook_url=receiver.url, webhook_secret=SECRET)
    run_alerts(conn, AS_OF, mail_settings(controller), now=AT)
    mail = collector.message(0)
    assert mail["Subject"] == f"Annual fee due 2026-08-24: {DDOS} year 8"
    lines = mail.get_content().splitlines()
    assert lines[0] == warnings_of(conn, eid, "en")[f"fee_due:{eid}:{DDOS}:8:30"]["body"]
    assert lines[0].endswith("Note: the holiday calendar does not cover these years yet, so the dates are moved "
                             "past weekends only and are provisional.")
    assert lines[2] == "Facts:"
    assert lines[-1] == f"Warning fee_due:{eid}:{DDOS}:8:30, sent by Patent Monitoring Platform."
    ((_, _, body),) = receiver.received
    hook = json.loads(body)
    assert (hook["lang"], hook["title"]) == ("en", f"Annual fee due 2026-08-24: {DDOS} year 8")


def test_mail_goes_to_the_enterprise_users_without_a_notify_address(conn: duckdb.DuckDBPyConnection,
                                                                   smtp: tuple[Controller, Collector]) -> None:
    controller, collector = smtp
    eid = thundersoft(conn, [DDOS])
    for email in ("zhang@thundersoft.example.cn", "li@thundersoft.example.cn"):
        create_user(conn, email, "enterprise", enterprise_id=eid)
    run_alerts(conn, AS_OF, mail_settings(controller), now=AT)
    assert deliveries(conn)[0][2] == "li@thundersoft.example.cn, zhang@thundersoft.example.cn"
    assert collector.envelopes[0].rcpt_tos == ["li@thundersoft.example.cn", "zhang@thundersoft.example.cn"]


def test_webhook_is_signed_with_the_enterprise_secret(conn: duckdb.DuckDBPyConnection, receiver: Receiver) -> None:
    eid = thundersoft(conn, [DDOS], webhook_url=receiver.url, webhook_secret=SECRET)
    summary = run_alerts(conn, AS_OF, None, now=AT)
    assert summary["deliveries"] == {"sent": 1, "failed": 0, "retrying": 0, "pending": 0}
    ((path, headers, body),) = receiver.received
    assert verify(SECRET, body, headers["x-patentatlas-timestamp"], headers["x-patentatlas-signature"],
                  now=int(time.time()))
    assert not verify("another secret", body, headers["x-patentatlas-timestamp"],
                      headers["x-patentatlas-signature"], now=int(time.time()))
    key = f"fee_due:{eid}:{DDOS}:8:30"
    warning = warnings_of(conn, eid)[key]
    assert headers["x-patentatlas-delivery"] == key
    assert json.loads(body) == {
        "id": key, "rule": "fee_due", "severity": "warning", "lang": "zh", "title": warning["title"],
        "body": warning["body"],
        "enterprise": {"id": eid, "name": THUNDERSOFT_NAME, "uscc": THUNDERSOFT_USCC},
        "application_number": DDOS, "facts": warning["facts"], "created_at": "2026-08-04T01:00:00"}


def test_webhook_down_then_back_is_sent_exactly_once(conn: duckdb.DuckDBPyConnection) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    thundersoft(conn, [DDOS], webhook_url=url, webhook_secret=SECRET)
    summary = run_alerts(conn, AS_OF, None, now=AT)
    assert summary["deliveries"] == {"sent": 0, "failed": 0, "retrying": 1, "pending": 1}
    ((_, channel, target, status, attempts, error, next_at, sent_at),) = deliveries(conn)
    assert (channel, target, status, attempts, sent_at) == ("webhook", url, "pending", 1, None)
    assert error == f"webhook {url} failed: connection refused"
    assert next_at == AT + dt.timedelta(minutes=5)
    for receiver in serve(Receiver(port=port)):  # the receiver comes back on the same port
        early = deliver_pending(conn, None, AT + dt.timedelta(minutes=4))
        assert (early["sent"], receiver.received) == (0, [])
        assert deliver_pending(conn, None, AT + dt.timedelta(minutes=6))["sent"] == 1
        assert deliver_pending(conn, None, AT + dt.timedelta(hours=6))["sent"] == 0
        assert len(receiver.received) == 1
    assert [r[3:5] + r[7:] for r in deliveries(conn)] == [("sent", 2, AT + dt.timedelta(minutes=6))]


def test_six_failed_attempts_fail_for_good_and_are_listed(conn: duckdb.DuckDBPyConnection) -> None:
    url = f"http://127.0.0.1:{free_port()}/hook"
    eid = thundersoft(conn, [DDOS], webhook_url=url, webhook_secret=SECRET)
    run_alerts(conn, AS_OF, None, now=AT)
    when, waits = AT, []
    for _ in range(5):
        when = deliveries(conn)[0][6]
        waits.append(int((when - AT).total_seconds() // 60))
        deliver_pending(conn, None, when)
    assert waits == [5, 15, 35, 75, 155]  # 5, 10, 20, 40, 80 minutes apart
    ((_, _, _, status, attempts, error, next_at, _),) = deliveries(conn)
    assert (status, attempts, next_at) == ("failed", 6, None)
    assert deliver_pending(conn, None, when + dt.timedelta(days=1)) == {"sent": 0, "failed": 0, "retrying": 0,
                                                                        "pending": 0}
    failures = [f | {"title": translate(f["title"], "zh")} for f in delivery_failures(conn)]
    assert failures == [{
        "warning_key": f"fee_due:{eid}:{DDOS}:8:30", "channel": "webhook", "target": url, "status": "failed",
        "attempts": 6, "last_error": f"webhook {url} failed: connection refused", "next_attempt_at": None,
        "enterprise_id": eid, "enterprise": THUNDERSOFT_NAME, "title": f"年费 2026-08-24 到期：{DDOS} 第8年",
        "created_at": AT}]


def test_without_smtp_settings_mail_waits_and_says_why(conn: duckdb.DuckDBPyConnection,
                                                     smtp: tuple[Controller, Collector]) -> None:
    controller, collector = smtp
    thundersoft(conn, [DDOS], notify_email="ip@thundersoft.example.cn")
    summary = run_alerts(conn, AS_OF, None, now=AT)
    assert summary["deliveries"] == {"sent": 0, "failed": 0, "retrying": 0, "pending": 1}
    assert [r[3:7] for r in deliveries(conn)] == [("pending", 0, NO_SMTP, AT)]
    assert [(f["status"], f["last_error"]) for f in delivery_failures(conn)] == [("pending", NO_SMTP)]
    # once mail is configured, the waiting mail goes out
    assert deliver_pending(conn, mail_settings(controller), AT + dt.timedelta(days=1))["sent"] == 1
    assert len(collector.envelopes) == 1
    assert delivery_failures(conn) == []


# --------------------------------------------------------------------------- inbox, CLI, scheduler


def test_inbox_mark_read_and_isolation(conn: duckdb.DuckDBPyConnection) -> None:
    eid = thundersoft(conn, [DDOS, ANGLE, VIDEO])
    other = int(register_enterprise(conn, OTHER_NAME, OTHER_USCC)["enterprise_id"])
    run_alerts(conn, AS_OF, None, now=AT)
    assert [w["severity"] for w in inbox(conn, eid)] == ["critical", "critical", "warning"]
    assert inbox(conn, other) == []
    key = f"fee_lapsed:{eid}:{VIDEO}:8"
    with pytest.raises(NotFoundError) as caught:
        mark_read(conn, other, key)
    assert caught.value.message == f"no warning '{key}' in this enterprise's inbox"
    assert warnings_of(conn, eid)[key]["read_at"] is None
    assert (unread_count(conn, eid), unread_count(conn, other)) == (3, 0)
    mark_read(conn, eid, key)
    assert unread_count(conn, eid) == 2
    assert warnings_of(conn, eid)[key]["read_at"] is not None
    assert [w["warning_key"] for w in inbox(conn, eid, unread_only=True)] == [
        f"fee_grace:{eid}:{ANGLE}:8:m4", f"fee_due:{eid}:{DDOS}:8:30"]


def test_cli_alerts_run_json(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PATENTATLAS_SMTP_HOST", raising=False)
    conn = open_store(db)
    thundersoft(conn, [DDOS, ANGLE, VIDEO, HEATSINK], notify_email="ip@thundersoft.example.cn")
    conn.close()
    result = CliRunner().invoke(main, ["--db", str(db), "alerts", "run", "--as-of", "2026-08-04", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["as_of"] == "2026-08-04"
    assert summary["warnings"] == {"fee_due": 1, "fee_grace": 1, "fee_lapsed": 1, "status_change": 0,
                                   "term_end": 1, "watch": 0}
    assert summary["deliveries"] == {"sent": 0, "failed": 0, "retrying": 0, "pending": 4}
    table = CliRunner().invoke(main, ["--db", str(db), "alerts", "run", "--as-of", "2026-08-04"],
                               env={"COLUMNS": "120"})
    assert table.exit_code == 0, table.output
    assert "new fee_due" in table.output and "e-mail deliveries wait" in table.output
    bad = CliRunner().invoke(main, ["--db", str(db), "alerts", "run"], env={"PATENTATLAS_SMTP_HOST": "localhost"})
    assert bad.exit_code == 1
    assert "PATENTATLAS_SMTP_SENDER must be set when PATENTATLAS_SMTP_HOST is" in bad.output


class Clock:
    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now


def test_scheduler_runs_at_startup_then_daily_at_the_hour(conn: duckdb.DuckDBPyConnection,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PATENTATLAS_SMTP_HOST", raising=False)
    clock = Clock(dt.datetime(2026, 8, 4, 3, 0))
    scheduler = Scheduler(conn, 7, clock=clock)
    ticks = []
    for minutes in (0, 5, 10, 240, 600, 1440 + 180, 1440 + 240):  # 03:00 … 13:00, next day 06:00, 07:00
        clock.now = dt.datetime(2026, 8, 4, 3, 0) + dt.timedelta(minutes=minutes)
        ticks.append(scheduler.tick(conn))
    # today's run is missing at startup (03:00): run now; 07:00 does not run it again
    assert ticks == ["alerts", None, "deliveries", "deliveries", "deliveries", "deliveries", "alerts"]
    assert conn.execute("SELECT as_of FROM job_runs WHERE job = 'alerts' ORDER BY started_at").fetchall() == [
        (dt.date(2026, 8, 4),), (dt.date(2026, 8, 5),)]


def test_scheduler_logs_errors_and_goes_on(conn: duckdb.DuckDBPyConnection,
                                         monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("PATENTATLAS_SMTP_HOST", "localhost")  # and no sender: MailSettings.from_env refuses
    clock = Clock(dt.datetime(2026, 8, 4, 8, 0))
    scheduler = Scheduler(conn, 7, clock=clock)
    with caplog.at_level(logging.ERROR, logger="patentatlas.web.scheduler"):
        assert scheduler.tick(conn) is None
    assert "alerts scheduler: the work due at 2026-08-04T08:00:00 failed" in caplog.text
    assert "PATENTATLAS_SMTP_SENDER must be set" in caplog.text
    monkeypatch.setenv("PATENTATLAS_SMTP_SENDER", "alerts@patentatlas.cn")
    clock.now += dt.timedelta(minutes=5)
    assert scheduler.tick(conn) == "deliveries"  # a failed run waits 10 minutes; deliveries go on
    clock.now += dt.timedelta(minutes=5)
    monkeypatch.delenv("PATENTATLAS_SMTP_HOST")
    assert scheduler.tick(conn) == "alerts"


def test_the_app_runs_the_job_at_startup(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PATENTATLAS_SMTP_HOST", raising=False)
    monkeypatch.setenv("PATENTATLAS_SCHEDULER", "off")
    app = create_app(db)
    with TestClient(app):
        time.sleep(0.3)
        assert app.state.conn.execute("SELECT count(*) FROM job_runs").fetchall() == [(0,)]
    app.state.conn.close()
    monkeypatch.delenv("PATENTATLAS_SCHEDULER")
    app = create_app(db)
    with TestClient(app):
        deadline = time.monotonic() + 20
        while app.state.conn.execute("SELECT count(*) FROM job_runs").fetchall()[0][0] < 2:
            assert time.monotonic() < deadline, "the scheduler did not run the job"
            time.sleep(0.05)
    # the warning job, then (the store was imported and never clustered) the patents put in region order
    assert app.state.conn.execute("SELECT job, as_of FROM job_runs ORDER BY started_at").fetchall() == [
        ("alerts", dt.date.today()), ("cluster", dt.date.today())]
    app.state.conn.close()
