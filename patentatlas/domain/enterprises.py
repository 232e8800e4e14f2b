"""Enterprises: registration by unified social credit code, the custody portfolio (托管), the profile.

An enterprise that signs itself up is *pending* until an admin or the analyst of its region
verifies it (:mod:`patentatlas.domain.approvals`); only a verified enterprise holds patents,
records payments and receives warnings. Admins' registrations are verified at once.

The platform proposes the patents whose applicants (by normalised name) match the enterprise's
name or one of its known variants; the enterprise confirms them into custody or declines them.
A patent added by hand goes into custody at once only when one of those names applied for it;
any other becomes a custody request the office decides. Its profile — revenue band, R&D
spending, employees, declared fee-reduction eligibility, where warnings go, what it watches — is
its own to edit; its name variants, which decide what it may claim, only until it is verified.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Sequence
from typing import Any

import duckdb

from patentatlas.delivery.webhook import check_webhook_url
from patentatlas.domain import accounts
from patentatlas.domain.accounts import EMAIL, audit, now, token_hash
from patentatlas.domain.uscc import uscc_region_code, validate_uscc
from patentatlas.errors import FieldError, ForbiddenError, NotFoundError, UsageError, about
from patentatlas.i18n import DEFAULT_LANG, LANGS, joined, message
from patentatlas.normalize.appno import normalize_application_number
from patentatlas.normalize.ipc import canonical_ipc
from patentatlas.normalize.names import normalize_name, split_list
from patentatlas.store import scalar

REVENUE_BANDS = ("<5m", "5m-20m", "20m-100m", "100m-1b", ">1b")  # yuan per year
FEE_REDUCTIONS = ("single", "joint")  # 85 % (one qualifying holder) or 70 % (all joint holders qualify)
PROFILE_FIELDS = ("name_variants", "revenue_band", "rd_spending", "employees", "fee_reduction", "notify_email",
                  "webhook_url", "webhook_secret", "watch_ipc", "watch_keywords", "notify_lang")
_COLUMNS = ("enterprise_id", "name", "uscc", "name_variants", "region_code", *PROFILE_FIELDS[1:],
            "watch_since", "calendar_token_hash", "created_at", "updated_at", "status")
STATUSES = ("pending", "verified", "refused")


def register_enterprise(conn: duckdb.DuckDBPyConnection, name: str, uscc: str, *,
                        name_variants: Sequence[str] = (), by: int | None = None,
                        pending: bool = False) -> dict[str, Any]:
    """A new enterprise; its region is read from the credit code's administrative division.

    Registered by the office it is verified at once; ``pending=True`` (an enterprise signing
    itself up) leaves it waiting for an admin or its region's analyst."""
    name, code = name.strip(), validate_uscc(uscc)
    _check_new(conn, name, code)
    division = uscc_region_code(code)
    region = division if scalar(conn, "SELECT count(*) FROM regions WHERE code = ?", [division]) else None
    status = "pending" if pending else "verified"
    enterprise_id = scalar(conn, "INSERT INTO enterprises (name, uscc, name_variants, region_code, "
                           "status, decided_by, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING enterprise_id",
                           [name, code, split_list(list(name_variants)), region, status,
                            None if pending else by, None if pending else now()])
    audit(conn, by, "enterprise.register", code, {"name": name, "enterprise_id": enterprise_id, "status": status})
    return _placed(conn, get_enterprise(conn, int(enterprise_id)))


def _placed(conn: duckdb.DuckDBPyConnection, enterprise: dict[str, Any], old_variants: Sequence[str] = ()
            ) -> dict[str, Any]:
    """The enterprise, after placing again the patents its names reach (its credit code places them)."""
    from patentatlas.domain.placement import place_enterprise

    place_enterprise(conn, enterprise, old_variants)
    return enterprise


SIGN_UP_RECEIVED = ("registration received: if this e-mail had no account, the enterprise is registered and "
                    "waits for the office to verify it — sign in with this e-mail and password to follow it; "
                    "if the e-mail has an account already, sign in with that account (an admin can reset a "
                    "forgotten password)")


def sign_up(conn: duckdb.DuckDBPyConnection, fields: dict[str, Any], ip: str | None = None) -> dict[str, Any]:
    """An enterprise registers itself with its first user (``name``, ``uscc``, ``name_variants``,
    ``email``, ``password``, ``display_name``): pending until the office verifies it.

    The answer and the work are the same whether or not the e-mail has an account already, so the
    form does not tell a stranger who is registered; with a taken e-mail nothing is created."""
    email = accounts.normal_email(str(fields["email"]))
    accounts.check_password(str(fields["password"]), email)
    code = validate_uscc(str(fields["uscc"]))
    _check_new(conn, str(fields["name"]), code)  # before the e-mail is looked at: the same errors for all
    if accounts.email_taken(conn, email):
        accounts.hash_password(str(fields["password"]))  # the work of a real sign-up
        audit(conn, None, "sign_up.email_taken", email, {"uscc": code}, ip=ip)
    else:
        enterprise = register_enterprise(conn, str(fields["name"]), code, name_variants=fields["name_variants"],
                                         pending=True)
        accounts.create_user(conn, email, "enterprise", password=str(fields["password"]),
                             display_name=fields.get("display_name") or None,
                             enterprise_id=enterprise["enterprise_id"])
    return {"received": True, "email": email, "message": SIGN_UP_RECEIVED}


def _check_new(conn: duckdb.DuckDBPyConnection, name: str, code: str) -> None:
    if not name.strip():
        raise UsageError(message("err_enterprise_name_required"), field="name")
    if scalar(conn, "SELECT count(*) FROM enterprises WHERE uscc = ?", [code]):
        raise UsageError(message("err_uscc_registered", uscc=code), field="uscc")


def get_enterprise(conn: duckdb.DuckDBPyConnection, enterprise_id: int) -> dict[str, Any]:
    rows = conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM enterprises WHERE enterprise_id = ?",
                        [enterprise_id]).fetchall()
    if not rows:
        raise NotFoundError(message("err_no_enterprise", enterprise_id=enterprise_id))
    return dict(zip(_COLUMNS, rows[0], strict=True))


def list_enterprises(conn: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT e.enterprise_id, e.name, e.uscc, e.region_code, e.status, count(c.application_number) "
        "FROM enterprises e LEFT JOIN custody c USING (enterprise_id) GROUP BY ALL ORDER BY e.enterprise_id").fetchall()
    keys = ("enterprise_id", "name", "uscc", "region_code", "status", "custody")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def require_verified(enterprise: dict[str, Any]) -> None:
    """Holding patents, recording payments, receiving warnings: for verified enterprises only."""
    if enterprise["status"] == "verified":
        return
    if enterprise["status"] == "refused":
        raise ForbiddenError(message("err_enterprise_refused", enterprise_id=enterprise["enterprise_id"]))
    raise ForbiddenError(message("err_enterprise_pending", enterprise_id=enterprise["enterprise_id"]))


def match_names(enterprise: dict[str, Any]) -> list[str]:
    """The normalised names its patents' applicants carry: the registered name and its variants."""
    return sorted({normalize_name(n) for n in [enterprise["name"], *enterprise["name_variants"]] if n.strip()})


def owned_numbers(conn: duckdb.DuckDBPyConnection, enterprise: dict[str, Any], keys: Sequence[str]) -> set[str]:
    """Which of these patents one of the enterprise's names applied for (or holds): the matching
    that proposals use."""
    rows = conn.execute(
        "SELECT DISTINCT pp.application_number FROM patent_parties pp JOIN parties pa USING (party_id) "
        "WHERE pp.role = 'applicant' AND pa.normalized_name IN (SELECT unnest(?)) "
        "AND pp.application_number IN (SELECT unnest(?))", [match_names(enterprise), list(keys)]).fetchall()
    return {r[0] for r in rows}


# --------------------------------------------------------------------------- custody


def proposals(conn: duckdb.DuckDBPyConnection, enterprise_id: int) -> list[dict[str, Any]]:
    """Patents whose applicant matches the enterprise, not yet in custody nor declined."""
    names = match_names(get_enterprise(conn, enterprise_id))
    rows = conn.execute(
        "SELECT DISTINCT p.application_number, p.title_zh, p.patent_type, p.status, p.filing_date, pa.name "
        "FROM parties pa JOIN patent_parties pp USING (party_id) JOIN patents p USING (application_number) "
        "WHERE pp.role = 'applicant' AND pa.normalized_name IN (SELECT unnest(?)) "
        "AND p.application_number NOT IN (SELECT application_number FROM custody WHERE enterprise_id = ?) "
        "AND p.application_number NOT IN (SELECT application_number FROM custody_declined WHERE enterprise_id = ?) "
        "ORDER BY p.filing_date DESC, p.application_number", [names, enterprise_id, enterprise_id]).fetchall()
    keys = ("application_number", "title", "patent_type", "status", "filing_date", "matched_applicant")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def _known_number(conn: duckdb.DuckDBPyConnection, number: str) -> str:
    try:
        key = normalize_application_number(number).number
    except FieldError as exc:
        raise UsageError(exc.reason, field="numbers") from None
    if not scalar(conn, "SELECT count(*) FROM patents WHERE application_number = ?", [key]):
        raise NotFoundError(message("err_not_in_store", number=key), field="numbers")
    return key


def confirm_proposals(conn: duckdb.DuckDBPyConnection, enterprise_id: int, numbers: Sequence[str],
                      by: int | None = None) -> int:
    """Take proposed patents into custody; a number that was not proposed is refused, nothing half-done."""
    require_verified(get_enterprise(conn, enterprise_id))
    proposed = {p["application_number"] for p in proposals(conn, enterprise_id)}
    keys = [_known_number(conn, n) for n in numbers]
    stray = [k for k in keys if k not in proposed]
    if stray:
        raise UsageError(about("application_number", message("err_not_proposed", numbers=joined(stray))))
    _insert_custody(conn, enterprise_id, keys, "claimed", by)
    return len(keys)


def _insert_custody(conn: duckdb.DuckDBPyConnection, enterprise_id: int, keys: list[str], source: str,
                    by: int | None) -> None:
    for key in keys:
        conn.execute("INSERT INTO custody (enterprise_id, application_number, source, added_by, added_at) "
                     "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", [enterprise_id, key, source, by, now()])
        conn.execute("DELETE FROM custody_declined WHERE enterprise_id = ? AND application_number = ?",
                     [enterprise_id, key])
    audit(conn, by, f"custody.{source}", str(enterprise_id), {"application_numbers": keys})


def add_to_custody(conn: duckdb.DuckDBPyConnection, enterprise_id: int, number: str,
                   by: int | None = None) -> dict[str, Any]:
    """A patent added by hand: into custody when one of the enterprise's names applied for it
    (``status`` added), else a custody request for the office to decide (``status`` requested)."""
    enterprise = get_enterprise(conn, enterprise_id)
    require_verified(enterprise)
    key = _known_number(conn, number)
    held = scalar(conn, "SELECT count(*) FROM custody WHERE enterprise_id = ? AND application_number = ?",
                  [enterprise_id, key])
    if held or owned_numbers(conn, enterprise, [key]):
        if not held:
            _insert_custody(conn, enterprise_id, [key], "manual", by)
        return {"application_number": key, "status": "added"}
    open_request = scalar(conn, "SELECT request_id FROM custody_requests WHERE enterprise_id = ? "
                          "AND application_number = ? AND status = 'pending'", [enterprise_id, key])
    if open_request is None:
        open_request = scalar(conn, "INSERT INTO custody_requests (enterprise_id, application_number, requested_by, "
                              "requested_at) VALUES (?, ?, ?, ?) RETURNING request_id", [enterprise_id, key, by, now()])
        audit(conn, by, "custody.request", str(enterprise_id), {"application_number": key,
                                                                 "request_id": open_request})
    return {"application_number": key, "status": "requested", "request_id": int(open_request),
            "reason": "none of the enterprise's names applied for this patent: the office decides"}


def custody_requests(conn: duckdb.DuckDBPyConnection, enterprise_id: int) -> list[dict[str, Any]]:
    """The enterprise's requests for patents it did not apply for: waiting, or decided."""
    rows = conn.execute(
        "SELECT r.request_id, r.application_number, p.title_zh, r.status, r.requested_at, r.decided_at, "
        "r.decision_note FROM custody_requests r LEFT JOIN patents p USING (application_number) "
        "WHERE r.enterprise_id = ? ORDER BY r.request_id DESC", [enterprise_id]).fetchall()
    keys = ("request_id", "application_number", "title", "status", "requested_at", "decided_at", "decision_note")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def remove_from_custody(conn: duckdb.DuckDBPyConnection, enterprise_id: int, number: str,
                        by: int | None = None) -> str:
    key = _known_number(conn, number)
    gone = conn.execute("DELETE FROM custody WHERE enterprise_id = ? AND application_number = ? "
                        "RETURNING application_number", [enterprise_id, key]).fetchall()
    if not gone:
        raise NotFoundError(message("err_not_in_custody", number=key), field="numbers")
    conn.execute("INSERT INTO custody_declined VALUES (?, ?) ON CONFLICT DO NOTHING", [enterprise_id, key])
    audit(conn, by, "custody.remove", str(enterprise_id), {"application_number": key})
    return key


def decline_proposals(conn: duckdb.DuckDBPyConnection, enterprise_id: int, numbers: Sequence[str],
                      by: int | None = None) -> int:
    keys = [_known_number(conn, n) for n in numbers]
    for key in keys:
        conn.execute("INSERT INTO custody_declined VALUES (?, ?) ON CONFLICT DO NOTHING", [enterprise_id, key])
    audit(conn, by, "custody.decline", str(enterprise_id), {"application_numbers": keys})
    return len(keys)


def custody_patents(conn: duckdb.DuckDBPyConnection, enterprise_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT p.application_number, p.title_zh, p.patent_type, p.status, p.status_text, p.filing_date, "
        "p.grant_date, c.source, c.added_at FROM custody c JOIN patents p USING (application_number) "
        "WHERE c.enterprise_id = ? ORDER BY p.filing_date, p.application_number", [enterprise_id]).fetchall()
    keys = ("application_number", "title", "patent_type", "status", "status_text", "filing_date", "grant_date",
            "source", "added_at")
    return [dict(zip(keys, r, strict=True)) for r in rows]


# --------------------------------------------------------------------------- profile


def _int_or_none(field: str, value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(str(value).replace(",", "").strip())
    except ValueError:
        raise UsageError(about(field, message("err_whole_number", value=repr(value)))) from None
    if number < 0:
        raise UsageError(about(field, message("err_cannot_be_negative")))
    return number


def _choice(field: str, value: Any, choices: Sequence[str]) -> str | None:
    if value in (None, "", "none"):
        return None
    if value not in choices:
        raise UsageError(about(field, message("err_not_one_of", value=repr(value), choices=", ".join(choices))))
    return str(value)


def _webhook_url(value: Any) -> str | None:
    if value in (None, ""):
        return None
    if not re.match(r"https?://[^\s/]+", str(value)):
        raise UsageError(about("webhook_url", message("err_not_url", value=repr(value))))
    return check_webhook_url(str(value).strip())  # no internal address (issue 10 §4)


def _email(value: Any) -> str | None:
    if value in (None, ""):
        return None
    if not EMAIL.fullmatch(str(value).strip()):
        raise UsageError(about("notify_email", message("err_not_email", value=repr(value))))
    return str(value).strip()


def _ipc_list(values: Any) -> list[str]:
    codes = []
    for raw in split_list(values):
        try:
            codes.append(canonical_ipc(raw, "watch_ipc"))
        except FieldError as exc:
            raise UsageError(about("watch_ipc", exc.reason)) from None
    return codes


_CHECKS = {
    "name_variants": split_list,
    "revenue_band": lambda v: _choice("revenue_band", v, REVENUE_BANDS),
    "rd_spending": lambda v: _int_or_none("rd_spending", v),
    "employees": lambda v: _int_or_none("employees", v),
    "fee_reduction": lambda v: _choice("fee_reduction", v, FEE_REDUCTIONS),
    "notify_email": _email,
    "webhook_url": _webhook_url,
    "webhook_secret": lambda v: (str(v).strip() or None) if v is not None else None,
    "watch_ipc": _ipc_list,
    "watch_keywords": split_list,
    "notify_lang": lambda v: _choice("notify_lang", v, LANGS) or DEFAULT_LANG,  # mails, webhooks, calendar
}


def update_profile(conn: duckdb.DuckDBPyConnection, enterprise_id: int, changes: dict[str, Any],
                   by: int | None = None, *, by_office: bool = True) -> dict[str, Any]:
    """Change profile fields; every field is checked before anything is written.

    The name variants decide which patents the enterprise may claim: once it is verified, only
    the office (``by_office``) changes them."""
    enterprise = get_enterprise(conn, enterprise_id)
    unknown = sorted(set(changes) - set(PROFILE_FIELDS))
    if unknown:
        raise UsageError(about(unknown[0], message("err_not_profile_field", fields=", ".join(PROFILE_FIELDS))))
    values: dict[str, Any] = {field: _CHECKS[field](value) for field, value in changes.items()}
    if ("name_variants" in values and values["name_variants"] != list(enterprise["name_variants"])
            and not by_office and enterprise["status"] == "verified"):
        raise ForbiddenError(message("err_names_by_office"), field="name_variants")
    if values.get("webhook_url") and not (values.get("webhook_secret") or _stored_secret(conn, enterprise_id)):
        raise UsageError(message("err_webhook_needs_secret"), field="webhook_secret")
    if values:
        if {"watch_ipc", "watch_keywords"} & set(values):
            values["watch_since"] = now()
        sets = ", ".join(f"{field} = ?" for field in values)
        conn.execute(f"UPDATE enterprises SET {sets}, updated_at = ? WHERE enterprise_id = ?",
                     [*values.values(), now(), enterprise_id])
        logged = {k: ("***" if k == "webhook_secret" else v) for k, v in values.items()}
        audit(conn, by, "enterprise.profile", str(enterprise_id), logged)
        if "name_variants" in values:
            return _placed(conn, get_enterprise(conn, enterprise_id), enterprise["name_variants"])
    return get_enterprise(conn, enterprise_id)


def _stored_secret(conn: duckdb.DuckDBPyConnection, enterprise_id: int) -> str | None:
    return scalar(conn, "SELECT webhook_secret FROM enterprises WHERE enterprise_id = ?", [enterprise_id])


def new_calendar_token(conn: duckdb.DuckDBPyConnection, enterprise_id: int, by: int | None = None) -> str:
    """A new secret address for the enterprise's calendar feed (a random 32-byte token, of which
    the store keeps only the sha256): returned to be shown once; the old address stops working."""
    token = secrets.token_urlsafe(32)
    conn.execute("UPDATE enterprises SET calendar_token_hash = ? WHERE enterprise_id = ?",
                 [token_hash(token), enterprise_id])
    audit(conn, by, "enterprise.calendar_token", str(enterprise_id))
    return token


def enterprise_by_calendar_token(conn: duckdb.DuckDBPyConnection, token: str) -> dict[str, Any]:
    """The enterprise whose calendar feed this secret address is (found by the token's hash);
    NotFoundError for any other."""
    rows = conn.execute("SELECT enterprise_id FROM enterprises WHERE calendar_token_hash = ?",
                        [token_hash(token)]).fetchall() if token else []
    if not rows:
        raise NotFoundError(message("err_no_calendar"))
    return get_enterprise(conn, int(rows[0][0]))


PRIVATE_FIELDS = ("webhook_secret", "calendar_token_hash")


def public_profile(enterprise: dict[str, Any]) -> dict[str, Any]:
    """The profile as pages show it: the webhook secret and the calendar address's hash are never
    sent back, only whether they are set."""
    return {k: v.isoformat() if isinstance(v, dt.datetime) else v
            for k, v in enterprise.items() if k not in PRIVATE_FIELDS} | {
        "webhook_secret_set": bool(enterprise.get("webhook_secret")),
        "calendar_address_set": bool(enterprise.get("calendar_token_hash"))}
