"""The audit log for admins (issue 10, low): paged and filtered, details in plain Chinese (no escapes)."""

from __future__ import annotations

from pathlib import Path

from patentatlas.domain import accounts
from patentatlas.store import open_store
from tests.web_support import client_on_copy, signed_in

PASSWORD = "correct horse battery"


def test_the_audit_log_pages_filters_and_shows_chinese(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    conn = open_store(db)
    accounts.create_user(conn, "root@gov.cn", "admin", password=PASSWORD)
    for i in range(230):
        action = "enterprise.note" if i % 2 else "user.note"
        accounts.audit(conn, 1, action, f"t{i}", {"名称": "网易(杭州)网络有限公司"})
    conn.close()
    (tmp_path / "web").mkdir()
    with client_on_copy(db, tmp_path / "web") as client:
        admin = signed_in(client.app, "root@gov.cn", PASSWORD)
        first = admin.get("/admin/audit", params={"format": "json"}).json()
        # 230 notes, the creation of root and its sign-in: 232 entries, 100 a page
        assert (first["total"], first["pages"], len(first["entries"])) == (232, 3, 100)
        last = admin.get("/admin/audit", params={"format": "json", "page": 3}).json()
        assert len(last["entries"]) == 32
        ent = admin.get("/admin/audit", params={"format": "json", "action": "enterprise."}).json()
        assert (ent["total"], {e["action"] for e in ent["entries"]}) == (115, {"enterprise.note"})
        one = admin.get("/admin/audit", params={"format": "json", "text": "t229"}).json()
        assert [e["target"] for e in one["entries"]] == ["t229"]
        html = admin.get("/admin/audit").text
        assert "名称: 网易(杭州)网络有限公司" in html and "\\u7f51" not in html
        assert admin.get("/admin/audit", params={"page": "x"}).status_code == 400
