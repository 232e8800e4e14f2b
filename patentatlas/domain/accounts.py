"""Accounts, roles, sign-in sessions and the audit log.

Three roles: ``admin`` (everything), ``analyst`` (a government analyst, scoped to one region and
the regions below it) and ``enterprise`` (a user of one enterprise, who sees only its data).
Passwords are hashed with argon2id; a session's cookie token and an invitation's token are
stored only as their SHA-256, so the store file holds nothing that signs anyone in.

Failed sign-ins are counted per (e-mail, client address), per address and, from browsers the
user never signed in with, per e-mail: a stranger who knows an e-mail cannot lock its owner out,
because a browser that signed in before carries a device cookie and is counted on its own. An
unknown e-mail gets the same answer after the same work (a check against a dummy hash).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import duckdb
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from patentatlas.errors import AuthError, ForbiddenError, NotFoundError, RateLimitedError, UsageError, about
from patentatlas.i18n import joined, message
from patentatlas.store import scalar
from patentatlas.store import utc_now as now

ROLES = ("admin", "analyst", "enterprise")
MIN_PASSWORD_LENGTH = 10
SESSION_HOURS = 12
INVITE_DAYS = 7
# failed sign-ins allowed in the window: per (e-mail, address), per address (any e-mail), per e-mail
# from browsers it never signed in with (an attack spread over many addresses), and per (e-mail,
# trusted browser) — the owner's own browser is never locked by anyone else's failures
MAX_FAILURES_PER_ADDRESS = 5
MAX_FAILURES_PER_IP = 20
MAX_FAILURES_PER_EMAIL = 100
MAX_FAILURES_PER_DEVICE = 5
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
    device: str | None = None  # the browser's device token: set as its cookie after a sign-in


_USER_COLUMNS = "user_id, email, role, display_name, region_code, enterprise_id"


def _user(row: tuple[Any, ...]) -> User:
    return User(*row)


# --------------------------------------------------------------------------- audit


def audit(conn: duckdb.DuckDBPyConnection, user_id: int | None, action: str, target: str | None = None,
          detail: dict[str, Any] | None = None, ip: str | None = None) -> None:
    """One line in the audit log: who did what to which thing."""
    conn.execute("INSERT INTO audit_log (logged_at, user_id, action, target, detail, ip) VALUES (?, ?, ?, ?, ?, ?)",
                 [now(), user_id, action, target, json.dumps(detail or {}, ensure_ascii=False, default=str), ip])


AUDIT_PAGE = 100


def audit_entries(conn: duckdb.DuckDBPyConnection, limit: int = 200, offset: int = 0, *, action: str | None = None,
                  who: str | None = None, text: str | None = None) -> list[dict[str, Any]]:
    """The audit log, newest first: ``action`` a prefix (``enterprise.``), ``who`` part of the
    user's e-mail, ``text`` part of the target or the detail."""
    where, params = _audit_where(action, who, text)
    rows = conn.execute(
        "SELECT a.logged_at, a.user_id, u.email, a.action, a.target, a.detail, a.ip FROM audit_log a "
        f"LEFT JOIN users u USING (user_id) WHERE {where} ORDER BY a.logged_at DESC, a.rowid DESC LIMIT ? OFFSET ?",
        [*params, limit, offset]).fetchall()
    keys = ("logged_at", "user_id", "email", "action", "target", "detail", "ip")
    return [dict(zip(keys, r, strict=True)) | {"detail": json.loads(r[5] or "{}")} for r in rows]


def audit_page(conn: duckdb.DuckDBPyConnection, page: int = 1, *, action: str | None = None, who: str | None = None,
               text: str | None = None) -> dict[str, Any]:
    """One page of the audit log with its filters and how many entries match."""
    where, params = _audit_where(action, who, text)
    total = int(scalar(conn, f"SELECT count(*) FROM audit_log a LEFT JOIN users u USING (user_id) WHERE {where}",
                       params) or 0)
    pages = max(1, -(-total // AUDIT_PAGE))
    page = min(max(page, 1), pages)
    return {"entries": audit_entries(conn, AUDIT_PAGE, (page - 1) * AUDIT_PAGE, action=action, who=who, text=text),
            "total": total, "page": page, "pages": pages,
            "filters": {"action": action or "", "who": who or "", "text": text or ""}}


def _audit_where(action: str | None, who: str | None, text: str | None) -> tuple[str, list[Any]]:
    clauses, params = ["TRUE"], []
    if action:
        clauses.append("starts_with(a.action, ?)")
        params.append(action)
    if who:
        clauses.append("contains(lower(coalesce(u.email, '')), lower(?))")
        params.append(who)
    if text:
        clauses.append("(contains(coalesce(a.target, ''), ?) OR contains(CAST(a.detail AS VARCHAR), ?))")
        params += [text, text]
    return " AND ".join(clauses), params


# --------------------------------------------------------------------------- users


MAX_PASSWORD_LENGTH = 256  # hashing costs the same, but a megabyte "password" is an attack, not a secret


@cache
def common_passwords() -> frozenset[str]:
    """The common passwords refused (``reference/data/common_passwords.txt``, with its source)."""
    text = (resources.files("patentatlas.reference") / "data" / "common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def check_password(password: str, email: str | None = None) -> None:
    """A password good enough to set (UsageError saying why not): 10–256 characters as typed
    (spaces count: nothing is stripped), not a common one, not the e-mail address or its name part.

    >>> check_password("1234567890")
    Traceback (most recent call last):
    ...
    patentatlas.errors.UsageError: password: this is one of the most common passwords; choose another
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UsageError(message("err_password_too_short", n=MIN_PASSWORD_LENGTH), field="password")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise UsageError(message("err_password_too_long", n=MAX_PASSWORD_LENGTH), field="password")
    lowered = password.lower()
    if lowered in common_passwords() or len(set(lowered)) == 1:
        raise UsageError(message("err_password_common"), field="password")
    if email and lowered.strip() in {email.strip().lower(), email.strip().lower().partition("@")[0]}:
        raise UsageError(message("err_password_is_email"), field="password")



def normal_email(email: str) -> str:
    """The e-mail address as accounts keep it (lower case), or UsageError."""
    email = email.strip().lower()
    if not EMAIL.fullmatch(email):
        raise UsageError(about("email", message("err_not_email", value=repr(email))))
    return email


def email_taken(conn: duckdb.DuckDBPyConnection, email: str) -> bool:
    return bool(scalar(conn, "SELECT count(*) FROM users WHERE email = ?", [normal_email(email)]))


def hash_password(password: str) -> str:
    """The argon2id hash (also the work done for a sign-up that creates nothing)."""
    return _hasher.hash(password)


def _check_scope(conn: duckdb.DuckDBPyConnection, role: str, region_code: str | None,
                 enterprise_id: int | None) -> None:
    if role not in ROLES:
        raise UsageError(about("role", message("err_not_one_of", value=repr(role), choices=", ".join(ROLES))))
    if role == "analyst" and (
            not region_code or scalar(conn, "SELECT count(*) FROM regions WHERE code = ?", [region_code]) == 0):
        raise UsageError(message("err_analyst_region", value=repr(region_code)), field="region_code")
    if role == "enterprise" and (
            enterprise_id is None
            or scalar(conn, "SELECT count(*) FROM enterprises WHERE enterprise_id = ?", [enterprise_id]) == 0):
        raise UsageError(message("err_user_enterprise", value=repr(enterprise_id)), field="enterprise_id")


def create_user(conn: duckdb.DuckDBPyConnection, email: str, role: str, *, password: str | None = None,
                display_name: str | None = None, region_code: str | None = None,
                enterprise_id: int | None = None, by: int | None = None) -> User:
    """A new user; without a password the user can sign in only after accepting an invitation."""
    email = normal_email(email)
    _check_scope(conn, role, region_code, enterprise_id)
    if password is not None:
        check_password(password, email)
    if scalar(conn, "SELECT count(*) FROM users WHERE email = ?", [email]):
        raise UsageError(message("err_user_exists", email=email), field="email")
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
        raise NotFoundError(message("err_no_user", user_id=user_id))
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
        raise AuthError(message("err_invitation_invalid"))
    user_id, expires = rows[0]
    if expires < now():
        raise AuthError(message("err_invitation_expired", at=f"{expires:%Y-%m-%d %H:%M}"))
    check_password(password, get_user(conn, user_id).email)
    conn.execute("UPDATE users SET password_hash = ?, invite_token_hash = NULL, invite_expires_at = NULL "
                 "WHERE user_id = ?", [_hasher.hash(password), user_id])
    audit(conn, user_id, "user.accept_invite")
    return get_user(conn, user_id)


def change_password(conn: duckdb.DuckDBPyConnection, user_id: int, current: str, new: str,
                    keep_session: str | None = None) -> None:
    """A new password, given the current one; every other session of the user ends."""
    rows = conn.execute("SELECT password_hash FROM users WHERE user_id = ?", [user_id]).fetchall()
    if not rows or rows[0][0] is None or not _verify(rows[0][0], current):
        raise AuthError(message("err_wrong_current_password"), field="current_password")
    check_password(new, get_user(conn, user_id).email)
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


@cache
def _dummy_hash() -> str:
    """A hash no password matches: an unknown e-mail is checked against it, so it costs the same."""
    return _hasher.hash(secrets.token_urlsafe(32))


def _failures(conn: duckdb.DuckDBPyConnection, where: str, params: list[Any], since: dt.datetime) -> int:
    return int(scalar(conn, f"SELECT count(*) FROM sign_in_attempts WHERE {where} AND NOT ok AND attempted_at > ?",
                      [*params, since]))


def _trusted_device(conn: duckdb.DuckDBPyConnection, email: str, device: str | None) -> str | None:
    """The hash of the browser's device token when that browser signed in as this e-mail before."""
    if not device:
        return None
    digest = token_hash(device)
    known = scalar(conn, "SELECT count(*) FROM trusted_devices d JOIN users u USING (user_id) "
                   "WHERE d.token_hash = ? AND u.email = ?", [digest, email])
    return digest if known else None


def _check_rate(conn: duckdb.DuckDBPyConnection, email: str, ip: str | None, device: str | None,
                at: dt.datetime) -> None:
    since = at - FAILURE_WINDOW
    if device is not None:  # the owner's browser: only its own failures count
        limited = _failures(conn, "email = ? AND device = ?", [email, device], since) >= MAX_FAILURES_PER_DEVICE
    else:
        limited = (_failures(conn, "email = ? AND ip IS NOT DISTINCT FROM ? AND device IS NULL", [email, ip], since)
                   >= MAX_FAILURES_PER_ADDRESS
                   or bool(ip) and _failures(conn, "ip = ?", [ip], since) >= MAX_FAILURES_PER_IP
                   or _failures(conn, "email = ? AND device IS NULL", [email], since) >= MAX_FAILURES_PER_EMAIL)
    if limited:
        minutes = int(FAILURE_WINDOW.total_seconds() // 60)
        raise RateLimitedError(message("err_sign_ins_limited", minutes=minutes))


def sign_in(conn: duckdb.DuckDBPyConnection, email: str, password: str, ip: str | None = None,
            device: str | None = None) -> Session:
    """A new session for the right e-mail and password; a wrong one never says which part was wrong.

    ``device`` is the browser's device cookie, if any; the session carries the token to set next."""
    email, at = email.strip().lower(), now()
    trusted = _trusted_device(conn, email, device)
    _check_rate(conn, email, ip, trusted, at)
    rows = conn.execute(f"SELECT {_USER_COLUMNS}, password_hash, active FROM users WHERE email = ?",
                        [email]).fetchall()
    stored = rows[0][6] if rows and rows[0][7] and rows[0][6] is not None else None
    ok = _verify(stored or _dummy_hash(), password) and stored is not None  # the same work either way
    conn.execute("INSERT INTO sign_in_attempts (email, ip, attempted_at, ok, device) VALUES (?, ?, ?, ?, ?)",
                 [email, ip, at, ok, trusted])
    if not ok:
        audit(conn, rows[0][0] if rows else None, "sign_in.failed", email, ip=ip)
        raise AuthError(message("err_wrong_credentials"))
    user = _user(rows[0][:6])
    token = device if trusted and device else secrets.token_urlsafe(32)
    conn.execute("INSERT INTO trusted_devices VALUES (?, ?, ?, ?) "
                 "ON CONFLICT DO UPDATE SET last_seen = excluded.last_seen", [token_hash(token), user.user_id, at, at])
    session = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(32), user,
                      at + dt.timedelta(hours=SESSION_HOURS), token)
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
        raise AuthError(message("err_please_sign_in"))
    rows = conn.execute(
        f"SELECT s.csrf_token, s.expires_at, {', '.join('u.' + c for c in _USER_COLUMNS.split(', '))} "
        "FROM sessions s JOIN users u USING (user_id) WHERE s.token_hash = ? AND u.active",
        [token_hash(token)]).fetchall()
    if not rows:
        raise AuthError(message("err_session_invalid"))
    csrf, expires, *user = rows[0]
    if expires < now():
        raise AuthError(message("err_session_expired", at=f"{expires:%Y-%m-%d %H:%M}"))
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
        raise ForbiddenError(message("err_needs_role", roles=joined([message("role_" + r) for r in roles], "or_sep"),
                                     role=message("role_" + user.role)))


def require_enterprise(user: User, enterprise_id: int) -> None:
    """An enterprise's private data: its own users and admins only."""
    if user.role == "admin" or (user.role == "enterprise" and user.enterprise_id == enterprise_id):
        return
    raise ForbiddenError(message("err_not_your_enterprise", enterprise_id=enterprise_id))


def may_see_region(conn: duckdb.DuckDBPyConnection, user: User, region_code: str) -> bool:
    """A region's warnings are for admins, and analysts of that region or one above it."""
    if user.role == "admin":
        return True
    return user.role == "analyst" and bool(user.region_code) and region_within(conn, region_code,
                                                                               str(user.region_code))


def require_region(conn: duckdb.DuckDBPyConnection, user: User, region_code: str) -> None:
    """:func:`may_see_region`, or ForbiddenError."""
    if not may_see_region(conn, user, region_code):
        raise ForbiddenError(message("err_outside_region", code=region_code), field="region")
