"""Accounts, roles, sign-in sessions and the audit log.

Three roles: ``admin`` (everything), ``analyst`` (a government analyst, scoped to one region and
the regions below it) and ``enterprise`` (a user of one enterprise, who sees only its data).
Passwords are hashed with argon2id; a session's cookie token and an invitation's token are
stored only as their SHA-256, so the store file holds nothing that signs anyone in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

import duckdb
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from patentatlas.errors import AuthError, ForbiddenError, NotFoundError, RateLimitedError, UsageError
from patentatlas.store import scalar
from patentatlas.store import utc_now as now

ROLES = ("admin", "analyst", "enterprise")
MIN_PASSWORD_LENGTH = 10
SESSION_HOURS = 12
INVITE_DAYS = 7
# failed sign-ins allowed in the window, per e-mail and per address
MAX_FAILURES_PER_EMAIL = 5
MAX_FAILURES_PER_IP = 20
FAILURE_WINDOW = dt.timedelta(minutes=15)
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

_hasher = PasswordHasher()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class User:
    user_id: int
    email: str
    role: str
    display_name: str | None = None
    region_code: str | None = None
    enterprise_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))


@dataclass(frozen=True)
class Session:
    token: str  # goes into the cookie; the store keeps only its hash
    csrf_token: str
    user: User
    expires_at: dt.datetime


_USER_COLUMNS = "user_id, email, role, display_name, region_code, enterprise_id"


def _user(row: tuple[Any, ...]) -> User:
    return User(*row)


# --------------------------------------------------------------------------- audit


def audit(conn: duckdb.DuckDBPyConnection, user_id: int | None, action: str, target: str | None = None,
          detail: dict[str, Any] | None = None, ip: str | None = None) -> None:
    """One line in the audit log: who did what to which thing."""
    conn.execute("INSERT INTO audit_log (logged_at, user_id, action, target, detail, ip) VALUES (?, ?, ?, ?, ?, ?)",
                 [now(), user_id, action, target, json.dumps(detail or {}, ensure_ascii=False, default=str), ip])


def audit_entries(conn: duckdb.DuckDBPyConnection, limit: int = 200) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT a.logged_at, a.user_id, u.email, a.action, a.target, a.detail, a.ip FROM audit_log a "
        "LEFT JOIN users u USING (user_id) ORDER BY a.logged_at DESC LIMIT ?", [limit]).fetchall()
    keys = ("logged_at", "user_id", "email", "action", "target", "detail", "ip")
    return [dict(zip(keys, r, strict=True)) | {"detail": json.loads(r[5] or "{}")} for r in rows]


# --------------------------------------------------------------------------- users


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UsageError(f"password: at least {MIN_PASSWORD_LENGTH} characters, please")


def _check_scope(conn: duckdb.DuckDBPyConnection, role: str, region_code: str | None,
                 enterprise_id: int | None) -> None:
    if role not in ROLES:
        raise UsageError(f"role: {role!r} is not one of {', '.join(ROLES)}")
    if role == "analyst" and (
            not region_code or scalar(conn, "SELECT count(*) FROM regions WHERE code = ?", [region_code]) == 0):
        raise UsageError(f"region: an analyst needs a known region code, not {region_code!r}")
    if role == "enterprise" and (
            enterprise_id is None
            or scalar(conn, "SELECT count(*) FROM enterprises WHERE enterprise_id = ?", [enterprise_id]) == 0):
        raise UsageError(f"enterprise: an enterprise user needs a registered enterprise, not {enterprise_id!r}")


def create_user(conn: duckdb.DuckDBPyConnection, email: str, role: str, *, password: str | None = None,
                display_name: str | None = None, region_code: str | None = None,
                enterprise_id: int | None = None, by: int | None = None) -> User:
    """A new user; without a password the user can sign in only after accepting an invitation."""
    email = email.strip().lower()
    if not EMAIL.fullmatch(email):
        raise UsageError(f"email: {email!r} is not an e-mail address")
    _check_scope(conn, role, region_code, enterprise_id)
    if password is not None:
        _check_password(password)
    if scalar(conn, "SELECT count(*) FROM users WHERE email = ?", [email]):
        raise UsageError(f"email: a user {email} already exists")
    pw_hash = _hasher.hash(password) if password is not None else None
    user_id = scalar(conn, "INSERT INTO users (email, display_name, role, region_code, enterprise_id, password_hash) "
                     "VALUES (?, ?, ?, ?, ?, ?) RETURNING user_id",
                     [email, display_name, role, region_code if role == "analyst" else None,
                      enterprise_id if role == "enterprise" else None, pw_hash])
    audit(conn, by, "user.create", email, {"role": role, "region_code": region_code, "enterprise_id": enterprise_id})
    return get_user(conn, int(user_id))


def get_user(conn: duckdb.DuckDBPyConnection, user_id: int) -> User:
    rows = conn.execute(f"SELECT {_USER_COLUMNS} FROM users WHERE user_id = ?", [user_id]).fetchall()
    if not rows:
        raise NotFoundError(f"no user {user_id}")
    return _user(rows[0])


def list_users(conn: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    rows = conn.execute(f"SELECT {_USER_COLUMNS}, password_hash IS NOT NULL, active FROM users ORDER BY user_id")
    return [_user(r[:6]).to_dict() | {"activated": r[6], "active": r[7]} for r in rows.fetchall()]


def invite_user(conn: duckdb.DuckDBPyConnection, email: str, role: str, *, by: int | None,
                region_code: str | None = None, enterprise_id: int | None = None,
                display_name: str | None = None) -> tuple[User, str]:
    """A user who sets a password by following the invitation; returns the one-time token."""
    user = create_user(conn, email, role, display_name=display_name, region_code=region_code,
                       enterprise_id=enterprise_id, by=by)
    token = secrets.token_urlsafe(24)
    conn.execute("UPDATE users SET invite_token_hash = ?, invite_expires_at = ? WHERE user_id = ?",
                 [token_hash(token), now() + dt.timedelta(days=INVITE_DAYS), user.user_id])
    audit(conn, by, "user.invite", user.email)
    return user, token


def accept_invite(conn: duckdb.DuckDBPyConnection, token: str, password: str) -> User:
    """Set the invited user's password; the token works once and until it expires."""
    rows = conn.execute("SELECT user_id, invite_expires_at FROM users WHERE invite_token_hash = ?",
                        [token_hash(token)]).fetchall()
    if not rows:
        raise AuthError("this invitation is not valid (it was used already or never existed)")
    user_id, expires = rows[0]
    if expires < now():
        raise AuthError(f"this invitation expired on {expires:%Y-%m-%d %H:%M} UTC: ask for a new one")
    _check_password(password)
    conn.execute("UPDATE users SET password_hash = ?, invite_token_hash = NULL, invite_expires_at = NULL "
                 "WHERE user_id = ?", [_hasher.hash(password), user_id])
    audit(conn, user_id, "user.accept_invite")
    return get_user(conn, user_id)


def change_password(conn: duckdb.DuckDBPyConnection, user_id: int, current: str, new: str,
                    keep_session: str | None = None) -> None:
    """A new password, given the current one; every other session of the user ends."""
    rows = conn.execute("SELECT password_hash FROM users WHERE user_id = ?", [user_id]).fetchall()
    if not rows or rows[0][0] is None or not _verify(rows[0][0], current):
        raise AuthError("the current password is wrong")
    _check_password(new)
    conn.execute("UPDATE users SET password_hash = ? WHERE user_id = ?", [_hasher.hash(new), user_id])
    conn.execute("DELETE FROM sessions WHERE user_id = ? AND token_hash IS DISTINCT FROM ?",
                 [user_id, token_hash(keep_session) if keep_session else None])
    audit(conn, user_id, "user.password")


def reset_user(conn: duckdb.DuckDBPyConnection, user_id: int, *, by: int | None) -> tuple[User, str]:
    """A forgotten password: the old one and every session end, and a new one-time link is made."""
    user = get_user(conn, user_id)
    token = secrets.token_urlsafe(24)
    conn.execute("UPDATE users SET password_hash = NULL, invite_token_hash = ?, invite_expires_at = ? "
                 "WHERE user_id = ?", [token_hash(token), now() + dt.timedelta(days=INVITE_DAYS), user_id])
    conn.execute("DELETE FROM sessions WHERE user_id = ?", [user_id])
    audit(conn, by, "user.reset", user.email)
    return user, token


# --------------------------------------------------------------------------- sign-in


def _failures(conn: duckdb.DuckDBPyConnection, column: str, value: str | None, since: dt.datetime) -> int:
    return int(scalar(conn, f"SELECT count(*) FROM sign_in_attempts WHERE {column} = ? AND NOT ok "
                      "AND attempted_at > ?", [value, since]))


def _check_rate(conn: duckdb.DuckDBPyConnection, email: str, ip: str | None, at: dt.datetime) -> None:
    since = at - FAILURE_WINDOW
    if (_failures(conn, "email", email, since) >= MAX_FAILURES_PER_EMAIL
            or (ip and _failures(conn, "ip", ip, since) >= MAX_FAILURES_PER_IP)):
        minutes = int(FAILURE_WINDOW.total_seconds() // 60)
        raise RateLimitedError(f"too many failed sign-ins: try again in {minutes} minutes")


def sign_in(conn: duckdb.DuckDBPyConnection, email: str, password: str, ip: str | None = None) -> Session:
    """A new session for the right e-mail and password; a wrong one never says which part was wrong."""
    email, at = email.strip().lower(), now()
    _check_rate(conn, email, ip, at)
    rows = conn.execute(f"SELECT {_USER_COLUMNS}, password_hash, active FROM users WHERE email = ?",
                        [email]).fetchall()
    ok = bool(rows) and rows[0][7] and rows[0][6] is not None and _verify(rows[0][6], password)
    conn.execute("INSERT INTO sign_in_attempts VALUES (?, ?, ?, ?)", [email, ip, at, ok])
    if not ok:
        audit(conn, rows[0][0] if rows else None, "sign_in.failed", email, ip=ip)
        raise AuthError("wrong e-mail or password")
    user = _user(rows[0][:6])
    session = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(32), user,
                      at + dt.timedelta(hours=SESSION_HOURS))
    conn.execute("INSERT INTO sessions VALUES (?, ?, ?, ?, ?)",
                 [token_hash(session.token), user.user_id, session.csrf_token, at, session.expires_at])
    audit(conn, user.user_id, "sign_in", email, ip=ip)
    return session


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def session_for(conn: duckdb.DuckDBPyConnection, token: str | None) -> Session:
    """The live session of a cookie token; AuthError when there is none or it expired."""
    if not token:
        raise AuthError("please sign in")
    rows = conn.execute(
        f"SELECT s.csrf_token, s.expires_at, {', '.join('u.' + c for c in _USER_COLUMNS.split(', '))} "
        "FROM sessions s JOIN users u USING (user_id) WHERE s.token_hash = ? AND u.active",
        [token_hash(token)]).fetchall()
    if not rows:
        raise AuthError("your session is not valid: please sign in")
    csrf, expires, *user = rows[0]
    if expires < now():
        raise AuthError(f"your session expired at {expires:%Y-%m-%d %H:%M} UTC: please sign in again")
    return Session(token, csrf, _user(tuple(user)), expires)


def sign_out(conn: duckdb.DuckDBPyConnection, token: str) -> None:
    rows = conn.execute("DELETE FROM sessions WHERE token_hash = ? RETURNING user_id", [token_hash(token)]).fetchall()
    if rows:
        audit(conn, rows[0][0], "sign_out")


# --------------------------------------------------------------------------- scope


def region_within(conn: duckdb.DuckDBPyConnection, code: str, scope: str) -> bool:
    """Whether region ``code`` is ``scope`` or lies below it (by the region table's parents)."""
    rows = conn.execute(
        "WITH RECURSIVE up(code, parent_code) AS ("
        " SELECT code, parent_code FROM regions WHERE code = ?"
        " UNION ALL SELECT r.code, r.parent_code FROM regions r JOIN up ON r.code = up.parent_code)"
        " SELECT count(*) FROM up WHERE code = ?", [code, scope]).fetchall()
    return bool(rows[0][0])


def require_role(user: User, *roles: str) -> None:
    if user.role not in roles:
        raise ForbiddenError(f"this needs the role {' or '.join(roles)}; you are signed in as {user.role}")


def require_enterprise(user: User, enterprise_id: int) -> None:
    """An enterprise's private data: its own users and admins only."""
    if user.role == "admin" or (user.role == "enterprise" and user.enterprise_id == enterprise_id):
        return
    raise ForbiddenError(f"enterprise {enterprise_id} is not yours to see")


def may_see_region(conn: duckdb.DuckDBPyConnection, user: User, region_code: str) -> bool:
    """A region's warnings are for admins, and analysts of that region or one above it."""
    if user.role == "admin":
        return True
    return user.role == "analyst" and bool(user.region_code) and region_within(conn, region_code,
                                                                               str(user.region_code))


def require_region(conn: duckdb.DuckDBPyConnection, user: User, region_code: str) -> None:
    """:func:`may_see_region`, or ForbiddenError."""
    if not may_see_region(conn, user, region_code):
        raise ForbiddenError(f"region {region_code} is outside your region")
