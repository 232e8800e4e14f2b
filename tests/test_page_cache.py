"""Pages kept until the data changes (issue 10, load): a kept page is never served after a write
(an import, a payment marked paid, a sign-out), nor to another session or enterprise. Through the
front door, on a real store of a real export."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from patentatlas.domain import accounts
from patentatlas.domain import enterprises as ent
from patentatlas.imports import import_file
from patentatlas.store import open_store
from patentatlas.store.reference import ensure_reference
from patentatlas.store.version import changes_held
from patentatlas.web.app import create_app
from patentatlas.web.page_cache import PageCache
from tests.conftest import THUNDERSOFT, VR
from tests.web_support import signed_in

PASSWORD = "correct horse battery"
A_NAME, A_USCC = "中科创达软件股份有限公司", "91110108551385082Q"
B_NAME, B_USCC = "成都中科创达软件有限公司", "91330100716105852F"


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("page_cache") / "store.duckdb"
    conn = open_store(path)
    ensure_reference(conn)
    import_file(conn, THUNDERSOFT, observed_on=dt.date(2026, 11, 1))
    for name, code, email in ((A_NAME, A_USCC, "a@a.cn"), (B_NAME, B_USCC, "b@b.cn")):
        eid = ent.register_enterprise(conn, name, code)["enterprise_id"]
        ent.confirm_proposals(conn, eid, [p["application_number"] for p in ent.proposals(conn, eid)])
        accounts.create_user(conn, email, "enterprise", password=PASSWORD, enterprise_id=eid)
    conn.close()
    return path


@pytest.fixture()
def app(db_path: Path, tmp_path: Path) -> Iterator[Any]:
    copy = tmp_path / "store.duckdb"
    copy.write_bytes(db_path.read_bytes())
    application = create_app(copy)
    yield application
    application.state.conn.close()


def _cache(app: Any) -> PageCache:
    layer = app.middleware_stack
    while not isinstance(layer, PageCache):
        layer = layer.app
    return layer


def _fee(page: dict[str, Any], number: str, year: int) -> dict[str, Any]:
    return next(f for f in page["fees"] if f["application_number"] == number and f["patent_year"] == year)


def test_a_page_is_computed_once_while_the_data_stays(app: Any) -> None:
    client = TestClient(app)
    first = client.get("/regions/330000", headers={"Accept-Encoding": "identity"})
    second = client.get("/regions/330000", headers={"Accept-Encoding": "gzip"})
    assert first.status_code == second.status_code == 200 and second.text == first.text
    assert "content-encoding" not in first.headers
    assert second.headers["content-encoding"] == "gzip" and second.headers["vary"] == "Accept-Encoding, Cookie"
    assert (_cache(app).store.hits, _cache(app).store.misses) == (1, 1)


def test_an_import_shows_at_once(app: Any) -> None:
    client = TestClient(app)
    assert client.get("/api/summary").json()["patents"] == 511
    assert client.get("/api/summary").json()["patents"] == 511  # kept
    cursor = app.state.conn.cursor()  # the server's connection, as its jobs use it
    with changes_held(cursor):
        report = import_file(cursor, VR, observed_on=dt.date(2026, 11, 2))
    cursor.close()
    assert report.loaded == 7803  # new patents of the file
    assert client.get("/api/summary").json()["patents"] == 8314  # 511 + 7803, at once


def test_a_payment_marked_paid_shows_on_the_calendar_at_once(app: Any) -> None:
    as_a = signed_in(app, "a@a.cn", PASSWORD)
    before = as_a.get("/api/enterprises/1/fees", params={"as_of": "2026-11-01"}).json()
    due = next(f for f in before["fees"] if f["state"] == "upcoming")
    assert as_a.get("/api/enterprises/1/fees", params={"as_of": "2026-11-01"}).json() == before  # kept
    paid = as_a.post("/api/enterprises/1/payments", json={
        "application_number": due["application_number"], "patent_year": due["patent_year"],
        "paid_on": "2026-10-30", "amount": due["amount"], "receipt_number": "R-2026-0001"})
    assert paid.status_code == 200, paid.text
    after = as_a.get("/api/enterprises/1/fees", params={"as_of": "2026-11-01"}).json()
    row = _fee(after, due["application_number"], due["patent_year"])
    assert (row["state"], row["payment"]["receipt_number"]) == ("paid", "R-2026-0001")
    assert after["counts"]["paid"] == before["counts"]["paid"] + 1
    dashboard = as_a.get("/api/enterprises/1").json()  # computed from the same fee rows
    assert dashboard["fee_counts"]["paid"] >= 1


def test_a_private_page_is_never_served_to_another_session(app: Any) -> None:
    as_a, as_b = signed_in(app, "a@a.cn", PASSWORD), signed_in(app, "b@b.cn", PASSWORD)
    again = signed_in(app, "a@a.cn", PASSWORD)  # A's second session
    paths = ("/enterprises/1/fees", "/enterprises/1", "/enterprises/1/custody", "/api/enterprises/1/fees")
    for path in paths:  # kept for A's session; no write follows (a sign-in would start the pages afresh)
        assert as_a.get(path).status_code == 200 and as_a.get(path).status_code == 200
    for path in paths:
        refused = as_b.get(path)
        assert refused.status_code == 403 and A_NAME not in refused.text, path
        assert TestClient(app, follow_redirects=False).get(path).status_code in (303, 401), path  # sign in first
    mine = again.get("/enterprises/1/fees")  # its own page, with its own CSRF token
    tokens = set(re.findall(r'name="csrf_token" value="([^"]+)"', mine.text))
    assert tokens == {again.headers["X-CSRF-Token"]} != {as_a.headers["X-CSRF-Token"]}


def test_a_signed_out_session_gets_no_kept_page(app: Any) -> None:
    as_a = signed_in(app, "a@a.cn", PASSWORD)
    assert as_a.get("/enterprises/1").status_code == 200
    assert as_a.get("/enterprises/1").status_code == 200  # kept
    cookie = as_a.cookies.get("pa_session")
    assert as_a.delete("/api/session").status_code == 200
    stale = TestClient(app, follow_redirects=False, cookies={"pa_session": cookie or ""})
    answer = stale.get("/enterprises/1")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/sign-in")
