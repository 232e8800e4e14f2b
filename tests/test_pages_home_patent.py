"""The public home and the patent page (issue 11 §8): ``/`` is the overview of the office's region
(setting home_region) with its map and headline figures, the patent list moves to /patents, the
quarantine count is for admins; a patent's page shows its industries, the high-value criteria,
legal events and status changes, family, citations and the annual fees — payments only for the
enterprise that holds it in custody. Values checked for real patents through the page's JSON."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from patentatlas.commands.accounts import (
    DEMO_ADMIN,
    DEMO_ANALYST,
    DEMO_ENTERPRISE_USER,
    DEMO_PASSWORD,
    seed_demo_accounts,
)
from patentatlas.store import open_store
from patentatlas.web.app import create_app
from tests.web_support import get_page, signed_in

HELD = "CN201910085883.3"  # in the demo enterprise's custody, in force


@pytest.fixture(scope="module")
def app(loaded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    path = tmp_path_factory.mktemp("pages_home_patent") / "store.duckdb"
    shutil.copy(loaded_db, path)
    conn = open_store(path)
    seed_demo_accounts(conn)
    # a later import saw the patent's status change (as an import records it)
    conn.execute("INSERT INTO status_changes VALUES ('CN202010302257.8', 1, DATE '2023-03-20', 'pending', "
                 "'in_force', '实质审查', '授权')")
    conn.close()
    application = create_app(path)
    yield application
    application.state.conn.close()


@pytest.fixture(scope="module")
def public(app: Any) -> TestClient:
    return TestClient(app)


def _json(client: TestClient, url: str, **params: Any) -> Any:
    answer = client.get(url, params={**params, "format": "json"})
    assert answer.status_code == 200, answer.text
    return answer.json()


# ---- the home page ----------------------------------------------------------------------------------

def test_home_is_the_overview_of_the_home_region(public: TestClient) -> None:
    home = _json(public, "/")
    assert home == _json(public, "/regions/330000")
    assert home["region"] == {"code": "330000", "name": "浙江省", "level": "province"}
    page = get_page(public, "/")
    assert page.text["region-map"] is not None  # the map of its cities
    html = public.get("/").text
    assert "浙江省" in html and "隔离行数" not in html and "专利总数" not in html  # not the raw list
    assert "/patents" in page.hrefs  # the raw list stays one click away


def test_the_home_takes_the_region_pages_filters(public: TestClient) -> None:
    chosen = _json(public, "/", indicator="applications", industry="1")
    assert chosen == _json(public, "/regions/330000", indicator="applications", industry="1")
    assert (chosen["indicator"], chosen["filters"]["industry"]) == ("applications", "1")


def test_the_patent_list_hides_the_quarantine_count_but_from_admins(app: Any, public: TestClient) -> None:
    listed = _json(public, "/patents")
    assert "quarantined_rows" not in listed["summary"] and listed["summary"]["patents"] == 15149
    assert "隔离行数" not in public.get("/patents").text
    analyst = signed_in(app, DEMO_ANALYST, DEMO_PASSWORD)
    assert "quarantined_rows" not in _json(analyst, "/patents")["summary"]
    admin = signed_in(app, DEMO_ADMIN, DEMO_PASSWORD)
    assert _json(admin, "/patents")["summary"]["quarantined_rows"] == 1
    assert _json(admin, "/api/overview")["summary"]["quarantined_rows"] == 1
    assert get_page(admin, "/patents").text["quarantined-rows"] == "1"


# ---- the patent page --------------------------------------------------------------------------------

def test_industries_and_high_value_criteria(public: TestClient) -> None:
    page = _json(public, "/patents/CN202010302257.8")
    assert page["industries"]["codes"] == [{"code": "6.5", "name": "智能电网产业"}]
    assert page["industries"]["basis"] == "ipc"
    hv = page["high_value"]
    assert hv == public.get("/api/patents/CN202010302257.8/high-value").json()
    assert hv["high_value"] is True
    assert [(c["key"], c["result"]) for c in hv["criteria"]] == [
        ("strategic_emerging_industry", "met"), ("overseas_family", "not_judged"),
        ("maintained_over_10_years", "not_met"), ("high_pledge_amount", "not_judged"), ("award", "not_judged")]
    html = get_page(public, "/patents/CN202010302257.8")
    assert html.text["sei-basis"].strip() == ("判断依据：产业据全部 IPC · "
                                              "国民经济行业：C3821、C3823、C3824、C3831、D4420")
    assert html.row(data_key="maintained_over_10_years") == [  # in the page's language
        "维持年限超过 10 年", "不满足", "申请日 2020-04-16，至 2023-05-11 已 3.1 年（须超过 10 年）"]
    assert html.text["high-value-verdict"].startswith("属于高价值发明专利")


def test_overseas_family_meets_its_criterion(public: TestClient) -> None:
    page = _json(public, "/patents/CN201610491139.X")
    assert page["family"] == {"size": 3, "members": ["US10303463B2", "CN105959302B", "US20170371647A1"],
                              "has_overseas_family": True}
    (overseas,) = [c for c in page["high_value"]["criteria"] if c["key"] == "overseas_family"]
    assert overseas["result"] == "met"
    html = get_page(public, "/patents/CN201610491139.X")
    assert html.text["family-size"] == "3" and "US10303463B2" in html.text["family-members"]


def test_legal_events_and_status_changes(public: TestClient) -> None:
    page = _json(public, "/patents/CN201910272908.0")
    events = [(e["event_date"], e["code"]) for e in page["legal_events"]]
    assert events == [("2019-06-14", "公开"), ("2019-08-06", "发明专利公报更正"), ("2019-08-06", "发明专利申请更正"),
                      ("2019-08-16", "实质审查的生效"), ("2020-12-18", "授权"), ("2021-04-30", "专利权的转移")]
    html = get_page(public, "/patents/CN201910272908.0")
    assert [cells[:2] for _, cells in html.rows if len(cells) == 3 and cells[0].startswith("20")][-1] == [
        "2021-04-30", "专利权的转移"]
    changed = _json(public, "/patents/CN202010302257.8")["status_changes"]
    assert changed == [{"observed_on": "2023-03-20", "old_status": "pending", "new_status": "in_force",
                        "old_status_text": "实质审查", "new_status_text": "授权"}]
    (row,) = [cells for _, cells in get_page(public, "/patents/CN202010302257.8").rows if cells[:1] == ["2023-03-20"]]
    assert [c.strip() for c in row] == ["2023-03-20", "审中 (实质审查)", "有效 (授权)"]


def test_citations(public: TestClient) -> None:
    cit = _json(public, "/patents/CN201710069085.2")["citations"]
    assert (cit["backward_count"], cit["forward_count"], len(cit["cited"])) == (22, 4, 22)
    assert cit["cited"][:2] == ["CN106203096A", "CN106203115A"] and cit["cited"][-1] == "US4625287"
    assert cit["citing"] == ["CN110378084B", "CN109308241B", "CN110378084A", "CN109308241A"]
    html = get_page(public, "/patents/CN201710069085.2")
    assert (html.text["cited-count"], html.text["citing-count"]) == ("22", "4")


def test_public_fee_schedule(public: TestClient) -> None:
    fees = _json(public, "/patents/CN202010302257.8", as_of="2026-12-03")["fees"]
    assert fees["custodian"] is False and "payments" not in fees
    rows = [(f["patent_year"], f["due_date"], f["amount"], f["grace_period_end"]) for f in fees["schedule"]]
    # granted 2023-03-17 in year 3; years 4–7 are past their grace periods on 2026-12-03
    assert rows[:3] == [(8, "2027-04-16", 2000, "2027-10-18"), (9, "2028-04-17", 2000, "2028-10-17"),
                        (10, "2029-04-16", 4000, "2029-10-16")]
    assert [r[0] for r in rows] == list(range(8, 21)) and rows[-1][2] == 8000
    html = get_page(public, "/patents/CN202010302257.8", as_of="2026-12-03")
    assert html.row(data_year="10") == ["10", "2029-04-16 *", "4,000", "2029-10-16"]


def test_payments_only_for_the_custodian(app: Any, public: TestClient) -> None:
    owner = signed_in(app, DEMO_ENTERPRISE_USER, DEMO_PASSWORD)
    fee = next(f for f in owner.get("/api/enterprises/1/fees").json()["fees"]
               if f["application_number"] == HELD and f["state"] in ("upcoming", "grace"))
    recorded = owner.post("/api/enterprises/1/payments", json={
        "application_number": HELD, "patent_year": str(fee["patent_year"]), "paid_on": dt.date.today().isoformat(),
        "amount": str(fee["amount"]), "late_fee": str(fee.get("late_fee") or 0), "receipt_number": "浙财缴-0042"})
    assert recorded.status_code in (200, 201), recorded.text
    mine = _json(owner, f"/patents/{HELD}")["fees"]
    assert mine["custodian"] is True
    (paid,) = [p for p in mine["payments"] if p["patent_year"] == fee["patent_year"]]
    assert (paid["amount"], paid["receipt_number"]) == (fee["amount"], "浙财缴-0042")
    assert f'data-year="{fee["patent_year"]}"' in owner.get(f"/patents/{HELD}").text
    for other in (public, signed_in(app, DEMO_ANALYST, DEMO_PASSWORD), signed_in(app, DEMO_ADMIN, DEMO_PASSWORD)):
        theirs = _json(other, f"/patents/{HELD}")["fees"]
        assert theirs["custodian"] is False and "payments" not in theirs
        assert "浙财缴-0042" not in other.get(f"/patents/{HELD}").text


def test_a_lapsed_patent_has_no_fees_to_pay(public: TestClient, loaded: Any) -> None:
    (number,) = loaded.execute("SELECT min(application_number) FROM patents WHERE status = 'lapsed' "
                               "AND application_number LIKE 'CN%'").fetchone()
    fees = _json(public, f"/patents/{number}")["fees"]
    assert (fees["schedule"], fees["reason"]) == ([], "not_in_force")
    assert get_page(public, f"/patents/{number}").text["no-fees"] == "专利不处于有效状态，无年费可缴"
