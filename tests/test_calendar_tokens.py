"""Calendar addresses kept as hashes (issue 10, low): the store holds no token a calendar feed could
be read with; the address is shown once, when it is made; a new one ends the old; migration 12
turns a store's plain tokens into hashes, their addresses still working."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from fastapi.testclient import TestClient

from patentatlas.domain import accounts
from patentatlas.domain import enterprises as ent
from patentatlas.store import open_store
from patentatlas.store.schema import MIGRATIONS, migrate
from patentatlas.web.app import create_app
from tests.web_support import HtmlPage, signed_in

PASSWORD = "correct horse battery"
NAME, USCC = "中科创达软件股份有限公司", "91110108551385082Q"


@pytest.fixture()
def app(tmp_path: Path) -> Iterator[Any]:
    conn = open_store(tmp_path / "store.duckdb")
    eid = ent.register_enterprise(conn, NAME, USCC)["enterprise_id"]
    accounts.create_user(conn, "a@a.cn", "enterprise", password=PASSWORD, enterprise_id=eid)
    conn.close()
    application = create_app(tmp_path / "store.duckdb")
    yield application
    application.state.conn.close()


def _token(url: str) -> str:
    return url.rsplit("/calendar/", 1)[1].removesuffix(".ics")


def _stored_text(conn: Any) -> str:
    """Every value of every table of the store, as text."""
    tables = [t for (t,) in conn.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
    return "\n".join(repr(conn.execute(f'SELECT * FROM "{t}"').fetchall()) for t in tables)


def test_the_store_holds_only_the_hash_and_a_new_address_ends_the_old(app: Any) -> None:
    as_a = signed_in(app, "a@a.cn", PASSWORD)
    feed = TestClient(app)  # a calendar app: no session, only the address
    first = as_a.post("/api/enterprises/1/calendar-token").json()["calendar_url"]
    token = _token(first)
    assert len(token) == 43  # 32 random bytes, URL-safe base64
    assert feed.get(f"/calendar/{token}.ics").status_code == 200
    stored = _stored_text(app.state.conn)
    assert token not in stored and hashlib.sha256(token.encode()).hexdigest() in stored
    second = as_a.post("/api/enterprises/1/calendar-token").json()["calendar_url"]
    assert feed.get(f"/calendar/{token}.ics").status_code == 404  # the old address stops working
    assert feed.get(f"/calendar/{_token(second)}.ics").text.startswith("BEGIN:VCALENDAR")
    assert feed.get(f"/calendar/{hashlib.sha256(_token(second).encode()).hexdigest()}.ics").status_code == 404


def test_the_address_is_shown_once_when_it_is_made(app: Any) -> None:
    as_a = signed_in(app, "a@a.cn", PASSWORD)
    page = HtmlPage(as_a.get("/enterprises/1/fees").text)
    assert "calendar-url" not in page.text and page.text["calendar-url-none"] == "尚未生成。"
    made = as_a.post("/enterprises/1/calendar-token")  # the browser's form
    assert made.status_code == 200
    shown = HtmlPage(made.text)
    url = shown.text["calendar-url"]
    assert url.startswith("http://testserver/calendar/") and url.endswith(".ics")
    assert shown.text["calendar-url-once"].startswith("此地址只显示这一次")
    again = HtmlPage(as_a.get("/enterprises/1/fees").text)
    assert "calendar-url" not in again.text and _token(url) not in as_a.get("/enterprises/1/fees").text
    assert again.text["calendar-url-hidden"].startswith("已生成")
    assert "calendar_token_hash" not in as_a.get("/api/enterprises/1").text
    assert as_a.get("/api/enterprises/1").json()["enterprise"]["calendar_address_set"] is True


def test_migration_12_turns_plain_tokens_into_hashes(tmp_path: Path) -> None:
    conn = duckdb.connect(str(tmp_path / "old.duckdb"))
    conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR, "
                 "applied_at TIMESTAMP DEFAULT now())")
    for version, name, sql in MIGRATIONS:
        if version < 12:  # a store as it was before: its address kept in plain text
            conn.execute(sql)
            conn.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, name])
    conn.execute("INSERT INTO enterprises (name, uscc, calendar_token) VALUES (?, ?, 'plain-old-token')",
                 [NAME, USCC])
    assert migrate(conn)[0] == 12  # and those after it
    assert "plain-old-token" not in _stored_text(conn)
    assert conn.execute("SELECT calendar_token_hash FROM enterprises").fetchall() == [
        (hashlib.sha256(b"plain-old-token").hexdigest(),)]
    assert ent.enterprise_by_calendar_token(conn, "plain-old-token")["name"] == NAME  # subscriptions go on
    conn.close()
