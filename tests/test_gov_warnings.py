"""The government end of the fee warnings (issue 4 §5) on the real Chinese exports: the vectorised
fee engine against the plain one patent by patent, the region summary against a plain-Python walk,
a recorded payment, a lapse seen by a later import, and the page and API with their access rules."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pytest
from fastapi.encoders import jsonable_encoder
from fastapi.testclient import TestClient

from patentatlas.domain import accounts
from patentatlas.domain import enterprises as ent
from patentatlas.domain.fee_watch import region_warning_summary
from patentatlas.domain.fees import FeeDue, add_years, fee_for_year, no_fee_reason, patent_year_on, term_years
from patentatlas.domain.payments import mark_paid
from patentatlas.domain.region_fees import current_fees, warning_scope
from patentatlas.errors import UsageError
from patentatlas.i18n import translate
from patentatlas.imports import import_file
from patentatlas.store import open_store
from patentatlas.web.app import create_app
from tests.conftest import OBSERVED, THUNDERSOFT, VR, copied_store
from tests.web_support import signed_in

AS_OF = dt.date(2023, 6, 30)  # the last day of 2023Q2
QUARTER_START = dt.date(2023, 4, 1)
PASSWORD = "correct horse battery"
LAPSING = "CN202110392271.6"  # 中科创达软件股份有限公司, 北京市海淀区 东升地区 (110108024): due 2023-04-13
PAID = "CN201810300020.9"  # 网易（杭州）网络有限公司, Hangzhou: patent year 6 due 2023-04-04


# --------------------------------------------------------------------------- the store


@pytest.fixture(scope="module")
def pristine(observed_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The four real exports, observed on 2023-05-15, with an admin and a Zhejiang analyst (never opened again)."""
    path = copied_store(observed_db, tmp_path_factory.mktemp("gov_warnings"), "pristine.duckdb")
    conn = open_store(path)
    accounts.create_user(conn, "zj@gov.cn", "analyst", password=PASSWORD, region_code="330000")
    accounts.create_user(conn, "root@gov.cn", "admin", password=PASSWORD)
    conn.close()
    return path


@pytest.fixture
def copy(pristine: Path, tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A writable copy of the store for a test that changes it."""
    path = tmp_path / "store.duckdb"
    shutil.copy(pristine, path)
    conn = open_store(path)
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def conn(pristine: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    path = tmp_path_factory.mktemp("gov_warnings_ro") / "store.duckdb"
    shutil.copy(pristine, path)
    connection = duckdb.connect(str(path), read_only=True)
    yield connection
    connection.close()


# --------------------------------------------------------------------------- the plain walk


def _patents(conn: duckdb.DuckDBPyConnection, where: str, params: list[Any]) -> list[tuple[Any, ...]]:
    rows = conn.execute(
        "SELECT application_number, patent_type, filing_date, grant_date, applicant_names[1], status, country "
        f"FROM patents WHERE {where}", params).fetchall()
    return [row[:5] for row in rows if no_fee_reason(row[5], row[6], row[2]) is None]


def _walk(filing: dt.date, kind: str, grant: dt.date | None, as_of: dt.date) -> tuple[FeeDue | None, FeeDue | None]:
    """(the fee due most recently on or before ``as_of``, the next one), one year at a time with the
    plain engine; None where there is none."""
    current = None
    # the year after the grant year; from year 2 where the grant date is unknown
    for year in range(patent_year_on(filing, grant) + 1 if grant else 2, term_years(kind, filing) + 1):
        fee = fee_for_year(filing, kind, grant, year, filing)  # dates and amounts only
        if fee.due_date > as_of:
            return current, fee
        current = fee
    return current, None


def _late(filing: dt.date, kind: str, grant: dt.date | None, fee: FeeDue, as_of: dt.date) -> int:
    try:
        return fee_for_year(filing, kind, grant, fee.patent_year, as_of).late_fee
    except UsageError:  # after the sixth month, before a grace end moved to a working day: the last rate
        return fee.full_amount * 25 // 100


def _in_force(filing: dt.date, kind: str, grant: dt.date | None, as_of: dt.date) -> bool:
    return filing <= as_of and (grant is None or grant <= as_of) and as_of < add_years(filing, term_years(kind, filing))


def _entering_grace(conn: duckdb.DuckDBPyConnection, where: str, params: list[Any], as_of: dt.date = AS_OF,
                    kinds: tuple[str, ...] = ("invention",)) -> dict[str, tuple[int, int]]:
    """Number → (full fee, late fee today) of the patents whose current fee fell due this quarter before ``as_of``."""
    out = {}
    for number, kind, filing, grant, _ in _patents(conn, where, params):
        if kind in kinds and _in_force(filing, kind, grant, as_of):
            fee = _walk(filing, kind, grant, as_of)[0]
            if fee is not None and QUARTER_START <= fee.due_date < as_of:
                out[number] = (fee.full_amount, _late(filing, kind, grant, fee, as_of))
    return out


# --------------------------------------------------------------------------- the fee engine


@pytest.mark.parametrize(("region", "as_of"), [("110000", AS_OF), ("100000", dt.date(2022, 10, 8))])
def test_current_fees_equal_the_plain_engine_patent_by_patent(conn: duckdb.DuckDBPyConnection, region: str,
                                                              as_of: dt.date) -> None:
    """2022-10-08 is the first working day after the National Day holiday: due dates moved to it."""
    fees = current_fees(conn, warning_scope(conn, region, None, as_of))
    rows = {r["application_number"]: r for r in fees.to_pylist()}
    column = "first_applicant_country = 'CN'" if region == "100000" else "first_applicant_province_code = ?"
    expected = {}
    for number, kind, filing, grant, _ in _patents(conn, column, [] if region == "100000" else [region]):
        if not _in_force(filing, kind, grant, as_of):
            continue
        current, upcoming = _walk(filing, kind, grant, as_of)
        state = None
        if current is not None:  # no payments recorded; the import of 2023-05-15 settles grace periods ended before
            state = ("settled" if current.grace_period_end < OBSERVED else "upcoming" if current.due_date == as_of
                     else "grace" if as_of <= current.grace_period_end else "lapsed")
        late = _late(filing, kind, grant, current, as_of) if current and state == "grace" else 0
        expected[number] = {
            "patent_year": current and current.patent_year, "due_date": current and current.due_date,
            "full_amount": current and current.full_amount, "grace_period_end": current and current.grace_period_end,
            "state": state, "late_fee": late,
            "next_patent_year": upcoming and upcoming.patent_year, "next_due_date": upcoming and upcoming.due_date,
            "next_full_amount": upcoming and upcoming.full_amount,
        }
    assert set(rows) == set(expected)
    # granted patents whose grant date the data lacks are monitored too (issue 8); a TW, US or KR
    # application of a Chinese applicant owes CNIPA no annual fee (28 of them in force in the data)
    assert len(rows) == {"110000": 490, "100000": 3032}[region]
    assert {n: {k: rows[n][k] for k in e} for n, e in expected.items()} == expected
    moved = [r for r in rows.values() if r["due_date"] == dt.date(2022, 10, 8)]
    assert region != "100000" or sorted({(r["filing_date"].month, r["filing_date"].day) for r in moved}) == [
        (10, 4), (10, 5), (10, 7), (10, 8)]  # anniversaries in the holiday moved to its first working day


# --------------------------------------------------------------------------- the summary


def test_valid_inventions_entering_grace_in_hangzhou(conn: duckdb.DuckDBPyConnection) -> None:
    expected = _entering_grace(conn, "first_applicant_city_code = ?", ["330100"])
    data = region_warning_summary(conn, "330100", as_of=AS_OF)
    eg = data["entering_grace"]
    assert (eg["count"], eg["fees_at_risk"], eg["late_fees_today"]) == (14, 21300, 1480)
    assert eg["count"] == len(expected)
    assert eg["fees_at_risk"] == sum(f for f, _ in expected.values())
    assert eg["late_fees_today"] == sum(late for _, late in expected.values())
    assert {p["application_number"]: (p["full_amount"], p["late_fee"]) for p in eg["patents"]} == expected
    assert data["quarter"] == {"label": "2023Q2", "start": QUARTER_START, "end": AS_OF}
    assert data["data_observed_on"] == OBSERVED
    # the source places Hangzhou's applicants in the city only: no district to put them in
    assert [(r["name"], r["count"]) for r in eg["by_child_region"] if r["count"]] == [("Region not identified", 14)]
    assert translate(eg["by_child_region"][-1]["name"], "zh") == "未识别地区"  # as the page says it
    industries = {r["code"]: (r["count"], r["fees_at_risk"]) for r in eg["by_industry"] if r["count"]}
    assert industries == {"1": (5, 6500), "8": (9, 13700), None: (1, 2000)}
    assert eg["all_types"]["utility_model"] == {
        "count": len(_entering_grace(conn, "first_applicant_city_code = ?", ["330100"], kinds=("utility_model",))),
        "fees_at_risk": 12000}


def test_entering_grace_by_county_in_beijing(conn: duckdb.DuckDBPyConnection) -> None:
    province = region_warning_summary(conn, "110000", as_of=AS_OF)["entering_grace"]
    assert province["count"] == len(_entering_grace(conn, "first_applicant_province_code = ?", ["110000"])) == 73
    assert [(r["code"], r["count"]) for r in province["by_child_region"] if r["count"]] == [("110100", 73)]
    by_child = {r["code"]: r for r in region_warning_summary(conn, "110100", as_of=AS_OF)
                ["entering_grace"]["by_child_region"]}
    haidian = _entering_grace(conn, "first_applicant_county_code = ?", ["110108"])
    assert (len(haidian), sum(f for f, _ in haidian.values())) == (25, 72200)
    assert by_child["110108"] == {"code": "110108", "name": "海淀区", "count": 25, "fees_at_risk": 72200}
    assert sum(r["count"] for r in by_child.values()) == 73
    # below the county: townships, from the first applicant's address
    towns = region_warning_summary(conn, "110108", as_of=AS_OF)["entering_grace"]["by_child_region"]
    assert [(r["code"], r["name"], r["count"], r["fees_at_risk"]) for r in towns if r["count"]] == [
        ("110108024", "东升地区", 2, 1800), (None, "Region not identified", 23, 70400)]


def test_in_grace_and_due_soon_and_enterprises_to_call(conn: duckdb.DuckDBPyConnection) -> None:
    data = region_warning_summary(conn, "330100", as_of=AS_OF)
    grace: list[tuple[str, str, int, int, dt.date]] = []
    soon: Counter[str] = Counter()
    soon_fees = 0
    for number, kind, filing, grant, _ in _patents(conn, "first_applicant_city_code = ?", ["330100"]):
        if not _in_force(filing, kind, grant, AS_OF):
            continue
        current, upcoming = _walk(filing, kind, grant, AS_OF)
        if current and current.due_date < AS_OF <= current.grace_period_end:
            grace.append((number, kind, current.full_amount, _late(filing, kind, grant, current, AS_OF),
                          current.grace_period_end))
        for fee in (current, upcoming):
            if fee and AS_OF <= fee.due_date <= AS_OF + dt.timedelta(days=90):
                soon[kind] += 1
                soon_fees += fee.full_amount
    assert data["in_grace"]["count"] == len(grace) == 37
    assert data["in_grace"]["fees_at_risk"] == sum(g[2] for g in grace) == 50000
    assert data["in_grace"]["late_fees_today"] == sum(g[3] for g in grace) == 5710
    assert data["due_next_90_days"]["count"] == sum(soon.values()) == 11
    assert data["due_next_90_days"]["fees"] == soon_fees == 19300
    assert {k: v["count"] for k, v in data["due_next_90_days"]["by_type"].items()} == {
        "invention": soon["invention"], "utility_model": soon["utility_model"], "design": 0}
    # enterprises: the first applicant's party, when it is an enterprise (杭州电子科技大学 is not)
    kinds = dict(conn.execute(
        "SELECT pp.application_number, pa.kind FROM patent_parties pp JOIN parties pa USING (party_id) "
        "WHERE pp.role = 'applicant' AND pp.seq = 1 AND pp.application_number IN (SELECT unnest(?))",
        [[g[0] for g in grace]]).fetchall())
    calls = data["enterprises_to_call"]
    assert calls["total"] == 16
    assert sum(e["patents_in_grace"] for e in calls["enterprises"]) == sum(
        1 for g in grace if kinds[g[0]] == "enterprise") == 36
    netease = calls["enterprises"][0]
    assert (netease["rank"], netease["name"], netease["patents_in_grace"], netease["inventions_in_grace"],
            netease["fell_due_this_quarter"], netease["fees_at_risk"], netease["late_fees_today"],
            netease["earliest_grace_end"]) == (1, "网易(杭州)网络有限公司", 16, 16, 8, 23200, 3140,
                                               dt.date(2023, 7, 31))
    mine = [g for g in grace if g[0] in set(netease["application_numbers"])]
    assert (sum(g[2] for g in mine), sum(g[3] for g in mine), min(g[4] for g in mine)) == (23200, 3140,
                                                                                           dt.date(2023, 7, 31))
    ranks = [(-e["patents_in_grace"], -e["fees_at_risk"]) for e in calls["enterprises"]]
    assert ranks == sorted(ranks)


def test_a_recorded_payment_takes_the_patent_out_of_the_grace_period(copy: duckdb.DuckDBPyConnection) -> None:
    before = region_warning_summary(copy, "330100", as_of=AS_OF)
    assert PAID in {p["application_number"] for p in before["entering_grace"]["patents"]}
    enterprise = ent.register_enterprise(copy, "网易（杭州）网络有限公司", "91330100716105852F")["enterprise_id"]
    ent.add_to_custody(copy, enterprise, PAID)
    mark_paid(copy, enterprise, PAID, 6, "2023-06-10", 1200)
    after = region_warning_summary(copy, "330100", as_of=AS_OF)
    eg = after["entering_grace"]
    assert (eg["count"], eg["fees_at_risk"], eg["late_fees_today"]) == (13, 21300 - 1200, 1480 - 120)
    assert PAID not in {p["application_number"] for p in eg["patents"]}
    assert after["enterprises_to_call"]["enterprises"][0]["patents_in_grace"] == 15
    fees = {r["application_number"]: r for r in current_fees(copy, warning_scope(copy, "330100", None, AS_OF))
            .to_pylist()}
    assert (fees[PAID]["paid"], fees[PAID]["state"], fees[PAID]["late_fee"]) == (True, "paid", 0)
    # a payment for another year changes nothing
    mark_paid(copy, enterprise, PAID, 5, "2022-04-01", 1200)
    assert region_warning_summary(copy, "330100", as_of=AS_OF)["entering_grace"]["count"] == 13


def _lapsed_copy(tmp_path: Path, number: str, status: str) -> Path:
    """The ThunderSoft export with one patent's 法律状态 changed."""
    with THUNDERSOFT.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    column = rows[0].index("法律状态")
    changed = 0
    for row in rows[1:]:
        if row[1] == number:
            row[column], changed = status, changed + 1
    assert changed == 1
    path = tmp_path / "thundersoft_later.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_a_lapse_shows_under_its_township_and_county(copy: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    seen = dt.date(2023, 6, 20)
    report = import_file(copy, _lapsed_copy(tmp_path, LAPSING, "未缴年费"), observed_on=seen)
    assert report.updated == 1
    assert copy.execute("SELECT new_status, new_status_text, observed_on FROM status_changes").fetchall() == [
        ("lapsed", "未缴年费", seen)]
    data = region_warning_summary(copy, "110108", as_of=AS_OF)
    lapses = data["lapses_by_town"]
    assert lapses["count"] == 1
    assert lapses["towns"] == [{"township_code": "110108024", "township_name": "东升地区", "county_code": "110108",
                                "county_name": "海淀区", "lapsed": 1, "lapsed_inventions": 1,
                                "application_numbers": [LAPSING]}]
    assert lapses["counties"] == [{"county_code": "110108", "county_name": "海淀区", "lapsed": 1,
                                   "lapsed_inventions": 1}]
    assert lapses["by_reason"] == [{"reason": "未缴年费", "lapsed": 1}]
    # no longer in force: out of the grace-period figures (it was due 2023-04-13, 900 yuan)
    assert (data["entering_grace"]["count"], data["entering_grace"]["fees_at_risk"]) == (24, 72200 - 900)
    province = region_warning_summary(copy, "110000", as_of=AS_OF)["lapses_by_town"]
    assert [(c["county_code"], c["lapsed"]) for c in province["counties"]] == [("110108", 1)]
    assert region_warning_summary(copy, "330000", as_of=AS_OF)["lapses_by_town"]["count"] == 0
    # seen after the date asked for, or in another quarter: not a lapse of that quarter
    assert region_warning_summary(copy, "110108", as_of="2023-06-19")["lapses_by_town"]["count"] == 0
    # without a date: the day the latest import was observed
    default = region_warning_summary(copy, "110108")
    assert (default["as_of"], default["data_observed_on"], default["lapses_by_town"]["count"]) == (seen, seen, 1)


def test_a_lapse_without_a_known_township(copy: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    with VR.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    column, target = rows[0].index("法律状态"), PAID  # the source places Hangzhou's applicants in the city only
    for row in rows[1:]:
        if row[1] == target:
            row[column] = "未缴年费"
    path = tmp_path / "vr_later.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    import_file(copy, path, observed_on=dt.date(2023, 6, 1))
    lapses = region_warning_summary(copy, "330100", as_of=AS_OF)["lapses_by_town"]
    assert lapses["towns"] == [{"township_code": None, "township_name": "Township not identified", "county_code": None,
                                "county_name": "County not identified", "lapsed": 1, "lapsed_inventions": 1,
                                "application_numbers": [target]}]


def test_bad_questions_are_refused_clearly(conn: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(UsageError, match="not a date"):
        region_warning_summary(conn, "330100", as_of="30/06/2023")
    with pytest.raises(UsageError, match="limit"):
        region_warning_summary(conn, "330100", as_of=AS_OF, limit=0)
    industry = region_warning_summary(conn, "330100", industry="8", as_of=AS_OF)["entering_grace"]
    assert (industry["count"], industry["fees_at_risk"]) == (9, 13700)


# --------------------------------------------------------------------------- the web


@pytest.fixture(scope="module")
def app(pristine: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    path = tmp_path_factory.mktemp("gov_warnings_web") / "store.duckdb"
    shutil.copy(pristine, path)
    application = create_app(path)
    yield application
    application.state.conn.close()


def _client(app: Any, email: str) -> TestClient:
    return signed_in(app, email, PASSWORD)


@pytest.fixture(scope="module")
def analyst(app: Any) -> TestClient:
    return _client(app, "zj@gov.cn")


@pytest.fixture(scope="module")
def admin(app: Any) -> TestClient:
    return _client(app, "root@gov.cn")


def _domain(app: Any, code: str, **kwargs: Any) -> dict[str, Any]:
    cursor = app.state.conn.cursor()
    try:
        return dict(jsonable_encoder(region_warning_summary(cursor, code, **kwargs)))
    finally:
        cursor.close()


API = "/api/warnings/regions/{}?as_of=2023-06-30"


def test_signed_out_is_refused(app: Any) -> None:
    client = TestClient(app, follow_redirects=False)
    answer = client.get(API.format("330100"))
    assert answer.status_code == 401
    assert answer.json()["error"] == "AuthError"
    assert client.get(API.format("330100") + "&format=csv").status_code == 401
    page = client.get("/warnings/regions/330100")
    assert (page.status_code, page.headers["location"]) == (303, "/sign-in?next=%2Fwarnings%2Fregions%2F330100")
    assert client.get("/warnings/regions/330100?format=json").json()["error"] == "AuthError"


def test_the_analyst_reads_her_region(analyst: TestClient, app: Any) -> None:
    answer = analyst.get(API.format("330100"))
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "private, no-store"
    data = answer.json()
    assert data == _domain(app, "330100", as_of=AS_OF)
    assert (data["entering_grace"]["count"], data["entering_grace"]["fees_at_risk"]) == (14, 21300)
    assert analyst.get(API.format("330000")).status_code == 200  # her own region
    page = analyst.get("/warnings/regions/330100?as_of=2023-06-30&format=json")
    assert page.status_code == 200
    assert page.json()["entering_grace"]["count"] == 14
    assert [(a["code"], a["allowed"]) for a in page.json()["ancestors"]] == [("100000", False), ("330000", True)]


@pytest.mark.parametrize("code", ["320000", "100000", "320100"])
def test_the_analyst_cannot_read_another_region(analyst: TestClient, code: str) -> None:
    answer = analyst.get(API.format(code))
    assert answer.status_code == 403
    assert answer.json()["error"] == "ForbiddenError"
    assert analyst.get(API.format(code) + "&format=csv").status_code == 403
    assert analyst.get(f"/warnings/regions/{code}").status_code == 403


def test_the_admin_reads_china(admin: TestClient, app: Any) -> None:
    answer = admin.get(API.format("100000"))
    assert answer.status_code == 200
    assert answer.json() == _domain(app, "100000", as_of=AS_OF)
    assert admin.get(API.format("999999")).status_code == 404


def _csv(answer: Any) -> list[dict[str, str]]:
    assert answer.status_code == 200, answer.text
    assert answer.content.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))


def test_csv_downloads_have_the_same_numbers(analyst: TestClient, app: Any) -> None:
    data = analyst.get(API.format("330100")).json()
    rows = _csv(analyst.get(API.format("330100") + "&format=csv&table=entering_grace"))
    assert len(rows) == data["entering_grace"]["count"] == 14
    # headers in Chinese, as the page says them
    assert sum(int(r["全额年费（元）"]) for r in rows) == data["entering_grace"]["fees_at_risk"] == 21300
    assert sum(int(r["滞纳金（元）"]) for r in rows) == data["entering_grace"]["late_fees_today"] == 1480
    assert {r["申请号"] for r in rows} == {p["application_number"]
                                                        for p in data["entering_grace"]["patents"]}
    callees = _csv(analyst.get(API.format("330100") + "&format=csv&table=enterprises_to_call"))
    assert [(r["名称"], int(r["宽限期内专利"]), int(r["涉及年费（元）"])) for r in callees] == [
        (e["name"], e["patents_in_grace"], e["fees_at_risk"]) for e in data["enterprises_to_call"]["enterprises"]]
    industries = _csv(analyst.get(API.format("330100") + "&format=csv&table=entering_grace_by_industry"))
    assert [int(r["数量"]) for r in industries] == [r["count"] for r in data["entering_grace"]["by_industry"]]
    towns = _csv(analyst.get(API.format("330100") + "&format=csv&table=lapses_by_town"))
    assert towns == []
    cursor = app.state.conn.cursor()
    try:
        logged = cursor.execute("SELECT action, target, detail->>'table' FROM audit_log "
                                "WHERE action = 'warnings.export' ORDER BY logged_at").fetchall()
    finally:
        cursor.close()
    assert logged[:2] == [("warnings.export", "330100", "entering_grace"),
                          ("warnings.export", "330100", "enterprises_to_call")]


def test_xlsx_opens(analyst: TestClient) -> None:
    answer = analyst.get(API.format("330100") + "&format=xlsx&table=entering_grace")
    assert answer.status_code == 200
    assert answer.headers["content-disposition"] == (
        'attachment; filename="warnings-330100-entering_grace-2023-06-30.xlsx"')
    book = openpyxl.load_workbook(io.BytesIO(answer.content), read_only=True)
    assert book.sheetnames == ["杭州市 · 进入宽限期的专利清单"]  # named after the table
    lines = list(book.worksheets[0].iter_rows(values_only=True))
    assert lines[0][0] == "杭州市 · 进入宽限期的专利清单" and lines[1][0] == "地区：杭州市（330100）"
    assert lines[2][0] == "统计日期：2023-06-30"
    start = lines.index((None,) * len(lines[0])) + 1 if (None,) * len(lines[0]) in lines else 7
    header, rows = list(lines[start]), lines[start + 1:]
    assert len(rows) == 14
    assert sum(row[header.index("全额年费（元）")] for row in rows) == 21300


def test_an_unknown_table_is_a_clear_error(analyst: TestClient) -> None:
    answer = analyst.get(API.format("330100") + "&format=csv&table=everything")
    assert answer.status_code == 400
    assert answer.json()["error"] == "UsageError"
    assert "table" in answer.json()["message"]


def test_the_page(analyst: TestClient) -> None:
    answer = analyst.get("/warnings/regions/330100?as_of=2023-06-30")
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "private, no-store"
    html = answer.text
    assert 'id="card-entering-grace" data-value="14"' in html
    assert 'id="card-fees-at-risk" data-value="21300"' in html
    assert 'href="/regions/330100?as_of=2023-06-30" id="region-link"' in html
    for table in ("entering_grace", "entering_grace_by_region", "entering_grace_by_industry", "lapses_by_town",
                  "lapses_by_county", "enterprises_to_call"):
        assert f"/api/warnings/regions/330100?as_of=2023-06-30&amp;format=csv&amp;table={table}" in html
    assert "/static/warnings.js" in html and "/static/echarts.min.js" in html
    assert "网易(杭州)网络有限公司" in html
    english = analyst.get("/warnings/regions/330100?as_of=2023-06-30&lang=en")
    assert "Valid inventions entering the grace period this quarter" in english.text
