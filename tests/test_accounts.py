"""Accounts: argon2 passwords, sign-in with a rate limit, sessions that expire, invitations, audit, scopes."""

from __future__ import annotations

import duckdb
import pytest

from patentatlas.domain import accounts
from patentatlas.errors import AuthError, ForbiddenError, RateLimitedError, UsageError
from patentatlas.store import utc_now as now
from patentatlas.store.reference import ensure_reference

PASSWORD = "correct horse battery"


@pytest.fixture
def db(store: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    ensure_reference(store)
    return store


def test_password_is_stored_as_argon2id_only(db: duckdb.DuckDBPyConnection) -> None:
    accounts.create_user(db, "Admin@Example.cn", "admin", password=PASSWORD)
    (stored,) = db.execute("SELECT password_hash FROM users WHERE email = 'admin@example.cn'").fetchall()[0]
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_sign_in_gives_a_session_whose_token_is_stored_hashed(db: duckdb.DuckDBPyConnection) -> None:
    accounts.create_user(db, "a@example.cn", "admin", password=PASSWORD)
    session = accounts.sign_in(db, " A@example.cn ", PASSWORD, "10.0.0.1")
    assert accounts.session_for(db, session.token).user.email == "a@example.cn"
    stored = db.execute("SELECT token_hash FROM sessions").fetchall()
    assert stored == [(accounts.token_hash(session.token),)]
    assert session.token not in stored[0][0]


def test_wrong_password_and_unknown_user_say_the_same(db: duckdb.DuckDBPyConnection) -> None:
    accounts.create_user(db, "a@example.cn", "admin", password=PASSWORD)
    with pytest.raises(AuthError, match="^wrong e-mail or password$"):
        accounts.sign_in(db, "a@example.cn", "not the password")
    with pytest.raises(AuthError, match="^wrong e-mail or password$"):
        accounts.sign_in(db, "nobody@example.cn", PASSWORD)


def test_five_failures_slow_down_that_address_not_the_owner(db: duckdb.DuckDBPyConnection) -> None:
    accounts.create_user(db, "a@example.cn", "admin", password=PASSWORD)
    trusted = accounts.sign_in(db, "a@example.cn", PASSWORD, "10.0.0.1").device
    for _ in range(5):  # five failures, each answered as a failure (not yet slowed down) …
        with pytest.raises(AuthError, match="^wrong e-mail or password$"):
            accounts.sign_in(db, "a@example.cn", "guess", "10.0.0.9")
    # … the sixth attempt, even with the right password, is slowed down
    with pytest.raises(RateLimitedError, match="too many failed sign-ins from here: try again in 15 minutes"):
        accounts.sign_in(db, "a@example.cn", PASSWORD, "10.0.0.9")
    assert accounts.sign_in(db, "a@example.cn", PASSWORD, "10.0.0.2").user.email == "a@example.cn"
    again = accounts.sign_in(db, "a@example.cn", PASSWORD, "10.0.0.9", device=trusted)  # the owner's browser
    assert again.device == trusted
    for _ in range(5):  # an unknown e-mail is counted the same way
        with pytest.raises(AuthError, match="^wrong e-mail or password$"):
            accounts.sign_in(db, "nobody@example.cn", PASSWORD, "10.0.0.8")
    with pytest.raises(RateLimitedError):
        accounts.sign_in(db, "nobody@example.cn", PASSWORD, "10.0.0.8")
    # the failures are outside the window once 15 minutes have passed
    db.execute("UPDATE sign_in_attempts SET attempted_at = attempted_at - INTERVAL 16 MINUTE")
    assert accounts.sign_in(db, "a@example.cn", PASSWORD, "10.0.0.9").user.email == "a@example.cn"


def _failed_attempts(db: duckdb.DuckDBPyConnection, count: int, email_sql: str, ip_sql: str) -> None:
    """``count`` failed sign-ins just now, the i-th for ``email_sql`` from ``ip_sql`` (SQL over i)."""
    db.execute(f"INSERT INTO sign_in_attempts (email, ip, attempted_at, ok) SELECT {email_sql}, {ip_sql}, ?, false "
               "FROM range(?) t(i)", [now(), count])


def test_an_address_is_slowed_down_at_20_failures_an_e_mail_at_100(db: duckdb.DuckDBPyConnection) -> None:
    accounts.create_user(db, "a@example.cn", "admin", password=PASSWORD)
    # 19 failures from one address, each for another e-mail: a@ still signs in from there; the 20th
    # slows that address down for everyone
    _failed_attempts(db, 19, "'guess' || i || '@example.cn'", "'10.0.0.7'")
    assert accounts.sign_in(db, "a@example.cn", PASSWORD, "10.0.0.7").user.email == "a@example.cn"
    _failed_attempts(db, 1, "'guess20@example.cn'", "'10.0.0.7'")
    with pytest.raises(RateLimitedError):
        accounts.sign_in(db, "a@example.cn", PASSWORD, "10.0.0.7")
    # 99 failures for a@ spread over 99 addresses: a new browser still gets in; the 100th slows
    # down every new browser for a@ (never one that signed in as a@ before)
    _failed_attempts(db, 99, "'a@example.cn'", "'192.0.2.' || i")
    assert accounts.sign_in(db, "a@example.cn", PASSWORD, "10.0.1.1").user.email == "a@example.cn"
    _failed_attempts(db, 1, "'a@example.cn'", "'192.0.2.200'")
    with pytest.raises(RateLimitedError):
        accounts.sign_in(db, "a@example.cn", PASSWORD, "10.0.1.2")


def test_a_device_token_is_kept_as_its_hash_only(db: duckdb.DuckDBPyConnection) -> None:
    accounts.create_user(db, "a@example.cn", "admin", password=PASSWORD)
    device = accounts.sign_in(db, "a@example.cn", PASSWORD).device
    assert device and db.execute("SELECT token_hash FROM trusted_devices").fetchall() == [
        (accounts.token_hash(device),)]
    other = accounts.create_user(db, "b@example.cn", "admin", password=PASSWORD)
    fresh = accounts.sign_in(db, "b@example.cn", PASSWORD, device=device)  # trusted for a@, not for b@
    assert fresh.device != device and fresh.user.user_id == other.user_id


def test_expired_session_is_refused(db: duckdb.DuckDBPyConnection) -> None:
    accounts.create_user(db, "a@example.cn", "admin", password=PASSWORD)
    session = accounts.sign_in(db, "a@example.cn", PASSWORD)
    db.execute("UPDATE sessions SET expires_at = TIMESTAMP '2026-01-01 08:00:00'")
    with pytest.raises(AuthError, match="your session expired at 2026-01-01 08:00 UTC"):
        accounts.session_for(db, session.token)
    accounts.sign_out(db, session.token)
    with pytest.raises(AuthError, match="not valid"):
        accounts.session_for(db, session.token)


def test_invitation_sets_the_password_once(db: duckdb.DuckDBPyConnection) -> None:
    admin = accounts.create_user(db, "root@example.cn", "admin", password=PASSWORD)
    user, token = accounts.invite_user(db, "zj@example.cn", "analyst", by=admin.user_id, region_code="330000")
    with pytest.raises(AuthError):  # no password yet: cannot sign in
        accounts.sign_in(db, "zj@example.cn", "")
    with pytest.raises(UsageError, match="at least 10 characters"):
        accounts.accept_invite(db, token, "short")
    assert accounts.accept_invite(db, token, PASSWORD).user_id == user.user_id
    assert accounts.sign_in(db, "zj@example.cn", PASSWORD).user.region_code == "330000"
    with pytest.raises(AuthError, match="not valid"):
        accounts.accept_invite(db, token, PASSWORD)


def test_expired_invitation(db: duckdb.DuckDBPyConnection) -> None:
    _, token = accounts.invite_user(db, "late@example.cn", "admin", by=1)
    db.execute("UPDATE users SET invite_expires_at = TIMESTAMP '2026-03-01 00:00:00'")
    with pytest.raises(AuthError, match="expired on 2026-03-01"):
        accounts.accept_invite(db, token, PASSWORD)


def test_bad_user_definitions(db: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(UsageError, match="not an e-mail address"):
        accounts.create_user(db, "no-at-sign", "admin", password=PASSWORD)
    with pytest.raises(UsageError, match="known region code, not '339999'"):
        accounts.create_user(db, "x@example.cn", "analyst", password=PASSWORD, region_code="339999")
    with pytest.raises(UsageError, match="registered enterprise, not 7"):
        accounts.create_user(db, "x@example.cn", "enterprise", password=PASSWORD, enterprise_id=7)
    with pytest.raises(UsageError, match="role: 'root'"):
        accounts.create_user(db, "x@example.cn", "root", password=PASSWORD)
    accounts.create_user(db, "x@example.cn", "admin", password=PASSWORD)
    with pytest.raises(UsageError, match="already exists"):
        accounts.create_user(db, "X@example.cn", "admin", password=PASSWORD)
    assert db.execute("SELECT count(*) FROM users").fetchall() == [(1,)]


def test_audit_log_records_sign_ins_and_changes(db: duckdb.DuckDBPyConnection) -> None:
    accounts.create_user(db, "a@example.cn", "admin", password=PASSWORD)
    with pytest.raises(AuthError):
        accounts.sign_in(db, "a@example.cn", "wrong", "192.0.2.7")
    accounts.sign_in(db, "a@example.cn", PASSWORD, "192.0.2.7")
    actions = [(e["action"], e["target"], e["ip"]) for e in reversed(accounts.audit_entries(db))]
    assert actions == [("user.create", "a@example.cn", None), ("sign_in.failed", "a@example.cn", "192.0.2.7"),
                       ("sign_in", "a@example.cn", "192.0.2.7")]


def test_an_analyst_sees_her_region_and_below_only(db: duckdb.DuckDBPyConnection) -> None:
    analyst = accounts.create_user(db, "zj@example.cn", "analyst", password=PASSWORD, region_code="330000")
    accounts.require_region(db, analyst, "330000")
    accounts.require_region(db, analyst, "330106")  # 西湖区, Hangzhou
    with pytest.raises(ForbiddenError, match="region 320000 is outside your region"):
        accounts.require_region(db, analyst, "320000")
    with pytest.raises(ForbiddenError):
        accounts.require_region(db, analyst, "100000")  # not the whole country either
    with pytest.raises(ForbiddenError, match="enterprise 1 is not yours"):
        accounts.require_enterprise(analyst, 1)
