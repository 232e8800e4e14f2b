"""Passwords (issue 10, low): common ones and the e-mail refused, a length cap, spaces kept as typed."""

from __future__ import annotations

from pathlib import Path

import pytest

from patentatlas.domain import accounts
from patentatlas.errors import UsageError
from patentatlas.store import open_store
from tests.web_support import client_on_copy, signed_in


@pytest.mark.parametrize(("password", "reason"), [
    ("1234567890", "password: this is one of the most common passwords; choose another"),
    ("Password123", "password: this is one of the most common passwords; choose another"),
    ("aaaaaaaaaaaa", "password: this is one of the most common passwords; choose another"),
    ("wang.xiaoming", "password: it must not be your e-mail address"),
    ("Wang.Xiaoming@example.cn", "password: it must not be your e-mail address"),
    ("x" * 9, "password: at least 10 characters, please"),
    ("long enough " * 22, "password: at most 256 characters, please"),
])
def test_weak_passwords_are_refused_saying_why(tmp_path: Path, password: str, reason: str) -> None:
    conn = open_store(tmp_path / "s.duckdb")
    with pytest.raises(UsageError) as exc:
        accounts.create_user(conn, "wang.xiaoming@example.cn", "admin", password=password)
    assert exc.value.message == reason
    conn.close()


def test_spaces_are_part_of_the_password(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    open_store(db).close()
    (tmp_path / "web").mkdir()
    with client_on_copy(db, tmp_path / "web") as client:
        conn = client.app.state.conn  # type: ignore[attr-defined]
        accounts.create_user(conn, "root@gov.cn", "admin", password="  two spaces first")
        assert client.post("/api/session", json={"email": "root@gov.cn", "password": "two spaces first"}
                           ).status_code == 401
        signed_in(client.app, "root@gov.cn", "  two spaces first")
