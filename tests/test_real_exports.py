"""Exports as offices really have them (issue 8): the shared samples reshaped the way other
templates, sources and county platforms differ, imported through the CLI, checked value by value.

Each fixture is built here from a real file: a column dropped (incoPat's default template has
only the main IPC), the grant rows left out (granted inventions listed by their A publication
only), numbers written as Lens and DOCDB write them, status words as a county platform writes
them, placeholders for empty values.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pytest
from click.testing import CliRunner

from patentatlas.cli import main
from patentatlas.normalize.status import status_reading
from patentatlas.store import open_store
from tests.conftest import CHATBOT, LENS, THUNDERSOFT, TOYOTA, VR


def _rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def _write(path: Path, headers: list[str], rows: list[dict[str, Any]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, headers, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def _import(db: Path, *files: Path) -> list[dict[str, Any]]:
    result = CliRunner().invoke(main, ["--db", str(db), "import", "--json", *map(str, files)])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]


def _show(db: Path, number: str) -> dict[str, Any]:
    result = CliRunner().invoke(main, ["--db", str(db), "show", number, "--json"])
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.output))


def _fees(db: Path, number: str, as_of: str, *extra: str) -> dict[str, Any]:
    result = CliRunner().invoke(main, ["--db", str(db), "fees", number, "--as-of", as_of, "--json", *extra])
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.output))


# --------------------------------------------------------------------------- 1. only the main IPC


@pytest.fixture(scope="module")
def main_ipc_only(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The Toyota export as incoPat's default template has it: IPC主分类, no IPC list, no CPC."""
    tmp = tmp_path_factory.mktemp("main_ipc")
    headers, rows = _rows(TOYOTA)
    kept = [h for h in headers if h not in ("IPC", "CPC")]
    source = _write(tmp / "incopat_default_template.csv", kept, rows)
    db = tmp / "store.duckdb"
    (report,) = _import(db, source)
    return db, report


def test_main_ipc_alone_gives_the_industries_of_that_code(main_ipc_only: tuple[Path, dict[str, Any]]) -> None:
    db, _ = main_ipc_only
    conn = duckdb.connect(str(db), read_only=True)
    try:
        row = conn.execute("SELECT ipc_main, ipc_codes, sei_codes, sei_judged, sei_basis FROM patents "
                           "WHERE application_number = 'CN202010302257.8'").fetchone()
        # G01R31/389 (battery resistance measurement) is 6.5 智能电网产业 in the 2021 concordance
        assert row == ("G01R31/389", [], ["6.5"], True, "main_ipc")
        bases = dict(conn.execute("SELECT sei_basis, count(*) FROM patents GROUP BY 1").fetchall())
    finally:
        conn.close()
    # 4,041 patents (the row the full export quarantines for its IPC list loads here, merging into
    # its application): 4,036 from their main IPC, 1 with no IPC from incoPat's own label, 4 with neither
    assert bases == {"main_ipc": 4036, "source_label": 1, None: 4}


def test_the_import_report_says_industries_came_from_the_main_ipc(
        main_ipc_only: tuple[Path, dict[str, Any]]) -> None:
    _, report = main_ipc_only
    basis = report["coverage"]["industries_basis"]
    assert (basis["main_ipc"]["rows"], basis["source_label"]["rows"], basis["ipc"]["rows"], basis["none"]["rows"]) == (
        5043, 1, 0, 4)
    assert report["coverage"]["carried"]["ipc"]["rows"] == 0
    warning = next(w for w in report["warnings"] if w["code"] == "industries_from_main_ipc")
    assert warning["rows"] == 5043
    assert warning["message_zh"].startswith("5043 行（99.9%）只有 IPC 主分类")
    # incoPat's own 新兴产业分类 is compared with ours, row by row
    agreement = report["coverage"]["source_sei_agreement"]
    assert agreement["labelled"] == 4172
    # from the main IPC alone, 76.7 % share a code with incoPat's label (95.6 % with the full IPC list)
    assert (agreement["overlap"], agreement["overlap_share"]) == (3198, 0.7665)


def test_industry_tree_counts_patents_classified_from_the_main_ipc(
        main_ipc_only: tuple[Path, dict[str, Any]]) -> None:
    db, _ = main_ipc_only
    result = CliRunner().invoke(main, ["--db", str(db), "industries", "--json"])
    assert result.exit_code == 0, result.output
    tree = json.loads(result.output)
    assert (tree["patents"], tree["classified_from_main_ipc"], tree["classified_from_source_label"]) == (4041, 4036, 1)


def test_with_no_ipc_at_all_the_source_label_is_the_basis(tmp_path: Path) -> None:
    headers, rows = _rows(TOYOTA)
    kept = [h for h in headers if h not in ("IPC", "CPC", "IPC主分类")]
    (report,) = _import(tmp_path / "s.duckdb", _write(tmp_path / "no_ipc.csv", kept, rows))
    conn = duckdb.connect(str(tmp_path / "s.duckdb"), read_only=True)
    try:
        row = conn.execute("SELECT sei_codes, sei_basis FROM patents "
                           "WHERE application_number = 'CN202010302257.8'").fetchone()
    finally:
        conn.close()
    assert row == (["6.5"], "source_label")
    assert report["coverage"]["industries_basis"]["source_label"]["rows"] == 4173


# --------------------------------------------------------------------------- 2. granted, no grant date


@pytest.fixture(scope="module")
def without_grant_rows(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The Toyota export without its grant publications (发明授权 rows): granted inventions are
    known only by their A publication, 当前法律状态 授权, 专利有效性 有效."""
    tmp = tmp_path_factory.mktemp("no_grant")
    headers, rows = _rows(TOYOTA)
    kept = [r for r in rows if r["公开类型"] != "发明授权"]
    db = tmp / "store.duckdb"
    (report,) = _import(db, _write(tmp / "a_publications_only.csv", headers, kept))
    return db, report


def test_in_force_grant_without_grant_date_has_a_fee_schedule(
        without_grant_rows: tuple[Path, dict[str, Any]]) -> None:
    db, _ = without_grant_rows
    assert _show(db, "CN202010302257.8")["grant_date"] is None
    report = _fees(db, "CN202010302257.8", "2026-06-20")
    assert report["grant_date_known"] is False
    fee = report["next_due"]
    # filed 2020-04-16: patent year 7 began 2026-04-16 (a Thursday), its 2,000 yuan due that day;
    # on 2026-06-20 the grace period is in its third month: 10 % of 2,000 late
    assert (fee["patent_year"], fee["due_date"], fee["amount"], fee["grace_period_end"], fee["late_fee"]) == (
        7, "2026-04-16", 2000, "2026-10-16", 200)
    assert [u["code"] for u in fee["unknowns"]] == ["paid_at_grant"]
    assert [f["patent_year"] for f in report["schedule"]] == list(range(7, 21))
    assert report["schedule"][1]["unknowns"] == []  # year 8 begins after the date: an annual fee for sure
    assert report["schedule"][-1]["amount"] == 8000


def test_a_declared_reduction_is_not_guessed_without_the_grant_year(
        without_grant_rows: tuple[Path, dict[str, Any]]) -> None:
    db, _ = without_grant_rows
    fee = _fees(db, "CN202010302257.8", "2026-06-20", "--reduced")["schedule"][1]
    assert (fee["patent_year"], fee["amount"], fee["reduced"]) == (8, 2000, False)
    assert [u["code"] for u in fee["unknowns"]] == ["reduction_window"]


def test_the_import_report_counts_granted_patents_without_a_grant_date(
        without_grant_rows: tuple[Path, dict[str, Any]]) -> None:
    _, report = without_grant_rows
    # 939 applications are 授权/有效 without a 发明授权 row; one of them (CN201610031807.0) keeps a
    # corrected grant publication (B8) that dates its grant
    assert report["coverage"]["patents"]["granted_grant_date_unknown"] == 938
    warning = next(w for w in report["warnings"] if w["code"] == "grant_date_unknown")
    assert warning["patents"] == 938


def test_the_government_end_counts_grants_without_a_grant_date(tmp_path: Path) -> None:
    """A Patentics export with no grant-date column at all (授权公告日 dropped)."""
    from patentatlas.domain.region_fees import current_fees, warning_scope

    headers, rows = _rows(VR)
    _import(tmp_path / "s.duckdb", _write(tmp_path / "no_grant_column.csv", [h for h in headers if h != "授权公告日"],
                                          rows))
    conn = open_store(tmp_path / "s.duckdb")
    try:
        fees = current_fees(conn, warning_scope(conn, "330100", as_of="2026-06-20")).to_pylist()
    finally:
        conn.close()
    row = next(f for f in fees if f["application_number"] == "CN202110635253.6")
    # 杭州快盈信息科技有限公司, filed 2021-06-08: year 6 (1,200 yuan) fell due on Monday 2026-06-08,
    # its grace period runs to 2026-12-08; on 2026-06-20 it is in its first month (no late fee)
    assert (row["grant_date_known"], row["first_year"], row["patent_year"], row["due_date"], row["full_amount"],
            row["grace_period_end"], row["state"], row["late_fee"]) == (
        False, 2, 6, dt.date(2026, 6, 8), 1200, dt.date(2026, 12, 8), "grace", 0)
    # utility models (U) and grant publications (B) still date their grants from the publication
    assert {f["grant_date_known"] for f in fees} == {True, False}


# --------------------------------------------------------------------------- 3. numbers without check digit


def test_lens_numbers_without_check_digit_and_pct_numbers(tmp_path: Path) -> None:
    """A Lens export straight from the site: CN numbers without check digit, with a kind code."""
    headers, rows = _rows(LENS)
    picked = rows[:4]
    for row, number, kind in zip(picked, ("CN 200710063161 A", "CN200920245218U", "CN 89103458 A",
                                          "CN 2014071250 W"), ("A", "U", "A", "A1"), strict=True):
        row.update({"jurisdiction": "WO" if number.endswith("W") else "CN", "application_number": number,
                    "kind": kind})
    (report,) = _import(tmp_path / "s.duckdb", _write(tmp_path / "lens_cn.csv", headers, picked))
    assert (report["read"], report["loaded"], report["quarantined"]) == (4, 4, 0)
    assert report["coverage"]["derived"]["check_digit_computed"] == 3
    assert report["coverage"]["derived"]["pct"] == 1
    conn = duckdb.connect(str(tmp_path / "s.duckdb"), read_only=True)
    try:
        stored = conn.execute("SELECT application_number, country, patent_type FROM patents ORDER BY 1").fetchall()
    finally:
        conn.close()
    # check digits by REFERENCE §1: 12 digits weights 2..9,2..5 (137 mod 11 = 5; 173 mod 11 = 8),
    # 8 digits weights 2..9 (205 mod 11 = 7)
    assert stored == [("CN200710063161.5", "CN", "invention"), ("CN200920245218.8", "CN", "utility_model"),
                      ("CN89103458.7", "CN", "invention"), ("PCT/CN2014/071250", "WO", "invention")]


def test_a_wrong_check_digit_is_still_quarantined(tmp_path: Path) -> None:
    headers, rows = _rows(THUNDERSOFT)
    rows = rows[:2]
    rows[1]["申请号"] = rows[1]["申请号"][:-1] + ("0" if rows[1]["申请号"][-1] != "0" else "1")
    (report,) = _import(tmp_path / "s.duckdb", _write(tmp_path / "bad.csv", headers, rows))
    assert (report["loaded"], report["quarantined"]) == (1, 1)


# --------------------------------------------------------------------------- 4. status vocabularies

SAMPLE_STATUS_WORDS = {
    # every 当前法律状态 / 法律状态 / 专利有效性 value in ../shared/data/cn_patents, and its family
    "有效": "in_force", "授权": "in_force", "审中": "pending", "实质审查": "pending", "公开": "pending",
    "失效": "lapsed", "驳回": "lapsed", "撤回": "lapsed", "无效": "lapsed", "未缴年费": "lapsed",
    "期限届满": "lapsed", "放弃": "lapsed", "权利终止": "lapsed", "申请终止": "lapsed", "全部撤销": "lapsed",
    "进入国家阶段-PCT有效期满": "lapsed", "未进入国家阶段-PCT有效期满": "lapsed",
    "进入国家阶段-PCT有效期内": "pending", "未进入国家阶段-PCT有效期内": "pending",
}


def test_every_status_word_of_the_shared_samples_is_mapped() -> None:
    found: set[str] = set()
    for path in (TOYOTA, CHATBOT, VR, THUNDERSOFT):
        _, rows = _rows(path)
        for row in rows:
            found |= {row[k] for k in ("当前法律状态", "法律状态", "专利有效性") if row.get(k)}
    assert found == set(SAMPLE_STATUS_WORDS)
    assert {w: status_reading(w).family for w in sorted(found)} == dict(sorted(SAMPLE_STATUS_WORDS.items()))


@pytest.mark.parametrize(("words", "family"), [
    ("有权-审定授权", "in_force"), ("有权-专利权维持", "in_force"), ("无权-未缴年费终止", "lapsed"),
    ("无权-视为撤回", "lapsed"), ("无权-驳回", "lapsed"), ("审中-实质审查", "pending"), ("审中-公开", "pending"),
    ("ACTIVE", "in_force"), ("Expired", "lapsed"), ("PENDING", "pending"), ("其他", None),
])
def test_family_subtype_pairs_and_other_tools_words(words: str, family: str | None) -> None:
    assert status_reading(words) == (family, True)


def _county_dump(tmp_path: Path) -> Path:
    """A county platform's own XLSX dump: its own headers, 有权-/无权-/审中- status pairs, 0 for
    no grant date, only a main IPC (from 40 rows of the Patentics VR export)."""
    _, rows = _rows(VR)
    pairs = {"有效": "有权-审定授权", "公开": "审中-实质审查", "驳回": "无权-驳回", "无效": "无权-未缴年费终止",
             "撤回": "无权-视为撤回"}
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "专利清单"
    sheet.append(["序号", "专利名称", "申请号", "申请日", "授权公告日", "申请人", "法律状态", "主分类号"])
    for i, row in enumerate(rows[:40], start=1):
        status = pairs[row["法律状态"]] if i != 40 else "待定状态X"
        sheet.append([i, row["标题"], row["申请号"], row["申请日"], row["授权公告日"] or "0", row["申请人"], status,
                      row["国际主分类"]])
    path = tmp_path / "county_dump.xlsx"
    book.save(path)
    return path


def test_a_county_dump_loads_with_statuses_and_reports_the_unmapped(tmp_path: Path) -> None:
    (report,) = _import(tmp_path / "s.duckdb", _county_dump(tmp_path))
    assert (report["read"], report["loaded"], report["quarantined"]) == (40, 40, 0)
    assert report["coverage"]["status_unmapped"] == {"rows": 1, "values": {"待定状态X": 1}}
    assert any(w["code"] == "status_unmapped" and "待定状态X" in w["message_zh"] for w in report["warnings"])
    conn = duckdb.connect(str(tmp_path / "s.duckdb"), read_only=True)
    try:
        counts = dict(conn.execute("SELECT coalesce(status, 'none'), count(*) FROM patents GROUP BY 1").fetchall())
        undated = conn.execute("SELECT count(*) FROM patents WHERE grant_date IS NULL").fetchone()
    finally:
        conn.close()
    assert sum(counts.values()) == 40 and counts["none"] == 1
    assert undated is not None and undated[0] > 0  # "0" in 授权公告日: not granted, not a bad date


# --------------------------------------------------------------------------- 5. placeholders


PLACEHOLDERS = ("0", "-", "--", "/", "无", "N/A", "0000-00-00", "1900-01-01", "－")


def test_placeholders_are_missing_values_and_impossible_dates_are_not(tmp_path: Path) -> None:
    headers, rows = _rows(THUNDERSOFT)
    rows = rows[:len(PLACEHOLDERS) + 1]
    for row, placeholder in zip(rows, PLACEHOLDERS, strict=False):
        date_like = "-" in placeholder[1:]  # 0000-00-00, 1900-01-01: placeholders in date columns only
        row.update({"授权日": placeholder, "优先权日": placeholder, "地市": "N/A" if date_like else placeholder,
                    "被引用数": "N/A" if date_like else placeholder})
    rows[-1]["授权日"] = "2023-02-30"
    (report,) = _import(tmp_path / "s.duckdb", _write(tmp_path / "placeholders.csv", headers, rows))
    assert (report["read"], report["loaded"], report["quarantined"]) == (10, 9, 1)
    conn = duckdb.connect(str(tmp_path / "s.duckdb"), read_only=True)
    try:
        reasons = conn.execute("SELECT field, reason FROM quarantine").fetchall()
        nulls = conn.execute("SELECT count_if(priority_date IS NULL), count_if(forward_citation_count IS NULL), "
                             "count_if(first_applicant_address IS NULL) FROM patents").fetchone()
    finally:
        conn.close()
    assert reasons == [("授权日", "'2023-02-30' is not a real date")]
    # in a count column 0 is a count: 8 of the 9 are missing, one is 0
    assert nulls == (9, 8, 9)


# --------------------------------------------------------------------------- 6. every shared file


@pytest.mark.parametrize(("path", "quarantined"), [(TOYOTA, 1), (CHATBOT, 0), (VR, 0), (THUNDERSOFT, 0)])
def test_only_the_truly_broken_is_quarantined(tmp_path: Path, path: Path, quarantined: int) -> None:
    (report,) = _import(tmp_path / "s.duckdb", path)
    assert report["quarantined"] == quarantined
    assert report["read"] == report["loaded"] + report["updated"] + report["unchanged"] + report["quarantined"]
    assert report["coverage"]["rows"] == report["read"] - quarantined


# --------------------------------------------------------------------------- the admin's view


def test_admins_see_each_import_with_its_coverage_and_warnings(
        main_ipc_only: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    from patentatlas.domain import accounts
    from tests.web_support import client_on_copy, signed_in

    db, _ = main_ipc_only
    with client_on_copy(db, tmp_path) as client:
        conn = client.app.state.conn  # type: ignore[attr-defined]
        accounts.create_user(conn, "root@gov.cn", "admin", password="correct horse battery")
        accounts.create_user(conn, "zj@gov.cn", "analyst", password="correct horse battery", region_code="330000")
        assert client.get("/admin/imports", params={"format": "json"}).status_code in (401, 403)
        analyst = signed_in(client.app, "zj@gov.cn", "correct horse battery")
        assert analyst.get("/admin/imports", params={"format": "json"}).status_code == 403
        admin = signed_in(client.app, "root@gov.cn", "correct horse battery")
        (entry,) = admin.get("/admin/imports", params={"format": "json"}).json()["imports"]
        assert (entry["file"], entry["read"], entry["loaded"], entry["quarantined"]) == (
            "incopat_default_template.csv", 5048, 4041, 0)
        assert entry["coverage"]["industries_basis"]["main_ipc"]["rows"] == 5043
        assert "industries_from_main_ipc" in [w["code"] for w in entry["warnings"]]
        html = admin.get("/admin/imports").text
        assert "5043 行（99.9%）只有 IPC 主分类：其产业仅据主分类判断" in html


def test_region_indicators_say_how_many_valid_inventions_were_classified_from_the_main_ipc(tmp_path: Path) -> None:
    headers, rows = _rows(VR)
    _import(tmp_path / "s.duckdb", _write(tmp_path / "vr_main_only.csv", [h for h in headers if h != "国际分类"], rows))
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "s.duckdb"), "indicators", "--region", "330100",
                                       "--as-of", "2022-12-31", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    # Hangzhou's 44 valid inventions of the VR export on 2022-12-31, all classified from 国际主分类 alone
    VALID = 44  # noqa: N806
    assert (figures["valid_invention_count"], figures["valid_inventions_industries_from_main_ipc"]) == (VALID, VALID)
    assert f"criterion 1: the industries of {VALID} valid inventions come from their main IPC alone" in " ".join(
        figures["data_notes"])


def test_the_import_report_says_how_far_and_how_patents_were_placed(tmp_path: Path) -> None:
    (report,) = _import(tmp_path / "s.duckdb", THUNDERSOFT)
    # Patentics 地市 carries every applicant's address: all 511 placed from it, 406 to a district
    # (80 of them to a township); 105 addresses name a city and a street but no district
    assert report["coverage"]["placement"] == {"cn_applicant_patents": 511, "county": 406, "township": 80,
                                               "by_method": {"address": 511}}
    warning = next(w for w in report["warnings"] if w["code"] == "region_not_county")
    assert (warning["patents"], warning["message_zh"]) == (
        105, "105 件中国申请人专利（20.5%）未能定位到区县：可导入企业名录补全")


def test_terminal_escapes_from_a_file_never_reach_a_message(tmp_path: Path) -> None:
    headers, rows = _rows(THUNDERSOFT)
    rows = rows[:2]
    rows[1]["申请号"] = "\x1b[2J\x1b[31m" + "9" * 2000
    (report,) = _import(tmp_path / "s.duckdb", _write(tmp_path / "escapes.csv", headers, rows))
    assert report["quarantined"] == 1
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "s.duckdb"), "quarantine", "--json"])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output
    conn = duckdb.connect(str(tmp_path / "s.duckdb"), read_only=True)
    try:
        (reason,) = conn.execute("SELECT reason FROM quarantine").fetchone() or ("",)
    finally:
        conn.close()
    # the number is read upper-cased; 2,000 digits are cut short
    assert reason.startswith("'\\x1b[2J\\x1b[31M999") and reason.endswith("more characters)")
    assert len(reason) < 700


def test_an_ipc_code_of_no_ipc_class_is_quarantined_and_older_editions_load(tmp_path: Path) -> None:
    headers, rows = _rows(THUNDERSOFT)
    rows = rows[:3]
    rows[1]["国际分类"] = "G00F 1/00"  # no class G00 in the IPC
    rows[2]["国际分类"] = "F24J 2/00|Y02E 10/40"  # F24J until IPC 2018; a CPC Y tag in the IPC column
    (report,) = _import(tmp_path / "s.duckdb", _write(tmp_path / "ipc.csv", headers, rows))
    assert (report["loaded"], report["quarantined"]) == (2, 1)
    conn = duckdb.connect(str(tmp_path / "s.duckdb"), read_only=True)
    try:
        reason = conn.execute("SELECT field, reason FROM quarantine").fetchone()
        kept = conn.execute("SELECT ipc_codes FROM patents WHERE application_number = ?",
                            [rows[2]["申请号"]]).fetchone()
    finally:
        conn.close()
    assert reason == ("国际分类", "'G00F1/00' has the shape of an IPC code, but G00 is no class of the IPC scheme")
    assert kept == (["F24J2/00", "Y02E10/40"],)


@pytest.mark.parametrize(("encoding", "prefix"), [
    ("utf-32-be", b""), ("utf-32", b""), ("utf-8", b"\xef\xbb\xbf\xef\xbb\xbf"), ("utf-16-le", b"")])
def test_other_encodings_load(tmp_path: Path, encoding: str, prefix: bytes) -> None:
    """UTF-32 with and without a BOM, a doubled UTF-8 BOM, UTF-16 without a BOM."""
    headers, rows = _rows(THUNDERSOFT)
    text = _write(tmp_path / "utf8.csv", headers, rows[:5]).read_text(encoding="utf-8")
    path = tmp_path / f"{encoding}.csv"
    path.write_bytes(prefix + text.encode(encoding))
    (report,) = _import(tmp_path / "s.duckdb", path)
    assert (report["read"], report["loaded"], report["quarantined"]) == (5, 5, 0)


def test_a_windows_1252_file_is_named_as_the_encoding_problem(tmp_path: Path) -> None:
    path = tmp_path / "cp1252.csv"
    path.write_bytes("Application Number,Title,Filing Date\nUS17715764,Caf\xe9 na\xefve,2022-04-07\n".encode("cp1252"))
    (report,) = _import(tmp_path / "s.duckdb", path)
    assert report["quarantined"] == 1
    conn = duckdb.connect(str(tmp_path / "s.duckdb"), read_only=True)
    try:
        (reason,) = conn.execute("SELECT reason FROM quarantine").fetchone() or ("",)
    finally:
        conn.close()
    assert reason == ("undecodable bytes in line 2: not valid in the file's encoding (UTF-8, GB18030, UTF-16 and "
                      "UTF-32 are read; a file saved as Windows-1252 or Latin-1 must be saved again as UTF-8)")
