"""Saved searches: a user keeps a query; the next import's new patents that match it are recorded
and become watch warnings of the user's enterprise, each saying which search matched."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from patentatlas.domain.accounts import create_user
from patentatlas.domain.enterprises import register_enterprise
from patentatlas.domain.warnings import inbox, run_alerts
from patentatlas.errors import UsageError
from patentatlas.i18n import translate
from patentatlas.imports import import_file
from patentatlas.search import search
from patentatlas.search.saved import delete_saved_search, save_search, saved_searches
from patentatlas.store import open_store
from patentatlas.web.app import create_app
from tests.conftest import THUNDERSOFT, VR
from tests.search_support import ENDOSCOPES
from tests.web_support import signed_in

AT = dt.datetime(2026, 3, 2, 9, 0)


def test_new_matches_after_an_import_become_warnings(tmp_path: Path) -> None:
    conn = open_store(tmp_path / "store.duckdb")
    import_file(conn, THUNDERSOFT)
    eid = int(register_enterprise(conn, "中科创达软件股份有限公司", "91330100716105852F")["enterprise_id"])
    user = create_user(conn, "ip@thundersoft.cn", "enterprise", password="a long password 1", enterprise_id=eid)
    analyst = create_user(conn, "office@gov.cn", "admin", password="a long password 2")
    sid = save_search(conn, user.user_id, "内窥镜监控", "title:内窥镜", {})
    save_search(conn, analyst.user_id, "手术", "title:手术", {"type": "utility_model"})
    with pytest.raises(UsageError, match="needs words"):
        save_search(conn, user.user_id, "nothing", "  ", {})

    import_file(conn, VR)  # brings the two 内窥镜 patents, and utility-model 手术 ones
    assert saved_searches(conn, user.user_id)[0]["new_matches"] == 2
    matched = {r[0] for r in conn.execute("SELECT application_number FROM saved_search_matches "
                                          "WHERE saved_search_id = ?", [sid]).fetchall()}
    assert matched == ENDOSCOPES
    surgery = {h["application_number"] for h in search(conn, "title:手术 type:utility_model")["hits"]}
    assert saved_searches(conn, analyst.user_id)[0]["new_matches"] == len(surgery) > 0

    summary = run_alerts(conn, dt.date(2026, 3, 2), None, now=AT)
    assert summary["warnings"]["watch"] == 2  # the enterprise user's search; the admin has no enterprise
    rows = sorted(inbox(conn, eid), key=lambda w: w["warning_key"])
    assert [w["warning_key"] for w in rows] == [f"saved_search:{eid}:{sid}:{n}" for n in sorted(ENDOSCOPES)]
    facts = rows[0]["facts"]
    assert (rows[0]["rule"], facts["rule"], facts["saved_search"], facts["query"]) == (
        "watch", "saved_search", "内窥镜监控", "title:内窥镜")
    assert translate(rows[0]["title"], "zh") == f"检索式命中新专利：{sorted(ENDOSCOPES)[0]}"
    assert str(rows[0]["title"]) == f"New patent matching a saved search: {sorted(ENDOSCOPES)[0]}"
    assert run_alerts(conn, dt.date(2026, 3, 3), None, now=AT)["warnings"]["watch"] == 0  # never twice

    import_file(conn, VR)  # the same file again: nothing new, nothing more matched
    assert saved_searches(conn, user.user_id)[0]["new_matches"] == 2
    delete_saved_search(conn, user.user_id, sid)
    assert saved_searches(conn, user.user_id) == []
    conn.close()


@pytest.fixture
def app(tmp_path: Path) -> Iterator[FastAPI]:
    """ThunderSoft's export, 中科创达 with its user, and an admin: the app on that store."""
    path = tmp_path / "store.duckdb"
    conn = open_store(path)
    import_file(conn, THUNDERSOFT)
    eid = int(register_enterprise(conn, "中科创达软件股份有限公司", "91330100716105852F")["enterprise_id"])
    create_user(conn, "ip@thundersoft.cn", "enterprise", password="a long password 1", enterprise_id=eid)
    create_user(conn, "other@gov.cn", "admin", password="a long password 2")
    conn.close()
    application = create_app(path)
    yield application
    application.state.conn.close()


def test_saved_searches_api_is_the_users_own(app: FastAPI) -> None:
    assert TestClient(app).get("/api/saved-searches").status_code == 401
    mine = signed_in(app, "ip@thundersoft.cn", "a long password 1")
    made = mine.post("/api/saved-searches", json={"name": "VR", "q": "虚拟现实", "type": "invention"})
    assert made.status_code == 200, made.text
    sid = made.json()["id"]
    listed = mine.get("/api/saved-searches").json()
    assert [(s["id"], s["name"], s["query"], s["filters"]) for s in listed] == [
        (sid, "VR", "虚拟现实", {"type": "invention"})]
    other = signed_in(app, "other@gov.cn", "a long password 2")
    assert other.get("/api/saved-searches").json() == []
    assert other.delete(f"/api/saved-searches/{sid}").status_code == 404
    assert mine.post("/api/saved-searches", json={"q": "(", "year_from": "x"}).status_code == 400
    assert mine.delete(f"/api/saved-searches/{sid}").json() == {"deleted": sid}


def test_the_search_page_saves_a_search_for_an_enterprise_user(app: FastAPI) -> None:
    other = signed_in(app, "other@gov.cn", "a long password 2")
    assert 'id="save-search-form"' not in other.get("/search", params={"q": "图像"}).text  # not an enterprise
    mine = signed_in(app, "ip@thundersoft.cn", "a long password 1")
    page = mine.get("/search", params={"q": "图像", "type": "invention"}).text
    assert 'id="save-search-form"' in page and '<input type="hidden" name="type" value="invention">' in page
    saved = mine.post("/search/save", data={"q": "图像", "type": "invention", "name": "图像发明"})
    assert saved.status_code == 303
    assert saved.headers["location"] == "/search?q=%E5%9B%BE%E5%83%8F&type=invention"
    back = mine.get(saved.headers["location"]).text
    assert "检索式已保存" in back
    data = mine.get(saved.headers["location"], params={"format": "json"}).json()
    assert [(s["name"], s["query"], s["filters"], s["href"]) for s in data["saved"]] == [
        ("图像发明", "图像", {"type": "invention"}, "/search?q=%E5%9B%BE%E5%83%8F&type=invention")]
    refused = mine.post("/search/save", data={"q": "", "name": "nothing"})  # no words, no filter
    assert refused.status_code == 303 and len(mine.get("/api/saved-searches").json()) == 1
    shown = mine.get(refused.headers["location"]).text
    assert 'id="flash-message" role="alert"' in shown and "a saved search needs words" in shown
