"""Values past every range (issue 10, Low): huge page numbers and offsets, dates at the end of
time, 20-digit integers and JSON of the wrong types answer 400 with a message, never 500."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from patentatlas.domain import accounts
from patentatlas.domain import enterprises as ent
from patentatlas.store import open_store
from patentatlas.web.app import create_app
from tests.web_support import signed_in

HUGE, PAST_INT64 = "9" * 20, str(2**63)
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def app(loaded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    path = tmp_path_factory.mktemp("bad_values") / "store.duckdb"
    path.write_bytes(loaded_db.read_bytes())
    conn = open_store(path)
    eid = ent.register_enterprise(conn, "中科创达软件股份有限公司", "91110108551385082Q")["enterprise_id"]
    accounts.create_user(conn, "a@a.cn", "enterprise", password=PASSWORD, enterprise_id=eid)
    conn.close()
    application = create_app(path)
    application.state.eid = eid
    yield application
    application.state.conn.close()


@pytest.mark.parametrize(("path", "message"), [
    (f"/api/overview?page={HUGE}", "invalid request: page: Input should be less than or equal to 10000000"),
    (f"/patents?format=json&page={PAST_INT64}",
     "invalid request: page: Input should be less than or equal to 10000000"),
    (f"/regions/330100/patents?format=json&page={HUGE}",
     "invalid request: page: Input should be less than or equal to 10000000"),
    (f"/api/regions/330100/enterprises?offset={PAST_INT64}",
     "invalid request: offset: Input should be less than or equal to 1000000000"),
    (f"/api/overview?year={HUGE}", "invalid request: year: Input should be less than or equal to 2100"),
    (f"/api/quarantine?limit={HUGE}", None),  # admins only: 401 first, never 500
])
def test_huge_numbers_in_queries(app: Any, path: str, message: str | None) -> None:
    answer = TestClient(app).get(path)
    if message is None:
        assert answer.status_code == 401
        return
    assert (answer.status_code, answer.json()) == (400, {"error": "UsageError", "message": message,
                                                         "code": "err_invalid_request"})


@pytest.mark.parametrize("path", ["/api/regions/330100/indicators", "/api/map?parent=330000&", "/api/industries",
                                  "/api/regions/330100/enterprises"])
def test_a_date_at_the_end_of_time(app: Any, path: str) -> None:
    answer = TestClient(app).get(path + ("&" if "?" in path else "?") + "as_of=9999-12-31")
    assert answer.status_code == 400
    assert answer.json()["message"].startswith("as_of=9999-12-31 is in the future")


def test_the_fee_calendar_at_the_end_of_time(app: Any) -> None:
    answer = signed_in(app, "a@a.cn", PASSWORD).get(f"/api/enterprises/{app.state.eid}/fees?as_of=9999-12-31")
    assert (answer.status_code, answer.json()) == (400, {"error": "UsageError",
                                                         "message": "a value is out of range: date value out of range",
                                                         "code": "err_out_of_range"})


def test_a_20_digit_employee_count(app: Any) -> None:
    answer = signed_in(app, "a@a.cn", PASSWORD).post(f"/api/enterprises/{app.state.eid}/profile",
                                                     json={"employees": HUGE})
    assert answer.status_code == 400
    assert answer.json()["message"].startswith("a value is out of range: ")
    assert answer.json()["message"].endswith("out of range for the destination type INT32")


@pytest.mark.parametrize(("path", "body", "message"), [
    ("profile", {"name_variants": {"a": 1}}, "name_variants: expected text, a number or a list of them, got a JSON "
                                             "object"),
    ("watches", {"watch_ipc": [["G06F"]]}, "watch_ipc: expected text, a number or a list of them, got a JSON list "
                                           "of lists or objects"),
    ("custody", {"action": {"x": 1}, "numbers": ["CN202210836006.7"]},
     "action: expected text, a number or a list of them, got a JSON object"),
    ("inbox/read", {"warning_key": [{"k": 1}]}, "warning_key: expected text, a number or a list of them, got a JSON "
                                                "list of lists or objects"),
])
def test_wrong_json_types(app: Any, path: str, body: dict[str, Any], message: str) -> None:
    answer = signed_in(app, "a@a.cn", PASSWORD).post(f"/api/enterprises/{app.state.eid}/{path}", json=body)
    code = "err_json_field_object" if message.endswith("JSON object") else "err_json_field_nested"
    assert (answer.status_code, answer.json()) == (400, {"error": "UsageError", "message": message, "code": code})


def test_numbers_in_json_are_read_as_their_text(app: Any) -> None:
    answer = signed_in(app, "a@a.cn", PASSWORD).post(f"/api/enterprises/{app.state.eid}/profile",
                                                     json={"employees": 300, "rd_spending": 12})
    assert answer.status_code == 200, answer.text
    assert (answer.json()["employees"], answer.json()["rd_spending"]) == (300, 12)
