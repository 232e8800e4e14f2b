"""What the office approves: enterprises that signed themselves up, and custody requests for
patents none of an enterprise's names applied for.

An admin decides everywhere; an analyst decides for the enterprises whose region (from the credit
code's positions 3–8) lies in hers. Every registration is shown with its evidence — the credit
code and its check, the region it gives, the office's enterprise directory where one is loaded,
the contact e-mail, the patents its names would claim — and every decision is audited.
"""

from __future__ import annotations

from typing import Any

import duckdb

from patentatlas.domain.accounts import User, audit, now, region_within
from patentatlas.domain.enterprises import get_enterprise, match_names, proposals, require_verified
from patentatlas.domain.placement import place_enterprise
from patentatlas.domain.uscc import uscc_region_code, validate_uscc
from patentatlas.errors import ForbiddenError, NotFoundError, UsageError, about
from patentatlas.i18n import message, word
from patentatlas.normalize.names import normalize_name, split_list
from patentatlas.store import scalar

DECISIONS = ("approve", "refuse")
DIRECTORY = "enterprise_directory"
_DIRECTORY_COLUMNS = ("name", "former_names", "credit_code", "address", "county_code")


def may_decide(conn: duckdb.DuckDBPyConnection, user: User, region_code: str | None) -> bool:
    """Admins everywhere; an analyst where the enterprise's region lies in hers."""
    if user.role == "admin":
        return True
    return (user.role == "analyst" and bool(region_code) and bool(user.region_code)
            and region_within(conn, str(region_code), str(user.region_code)))


def _require_decider(conn: duckdb.DuckDBPyConnection, user: User, enterprise: dict[str, Any]) -> None:
    if not may_decide(conn, user, enterprise["region_code"]):
        region = enterprise["region_code"] or "unknown"
        raise ForbiddenError(message("err_not_yours_to_decide", enterprise_id=enterprise["enterprise_id"],
                                     region=region))


def _decision(value: str) -> str:
    if value not in DECISIONS:
        raise UsageError(about("decision", message("err_not_one_of", value=repr(value), choices=", ".join(DECISIONS))))
    return value


# --------------------------------------------------------------------------- evidence


def directory_match(conn: duckdb.DuckDBPyConnection, enterprise: dict[str, Any]) -> dict[str, Any] | None:
    """The office's directory entry for the enterprise's credit code (else its exact name), or
    None when no directory is loaded.

    ``found`` says whether there is an entry; ``name_matches`` whether its name or one of its
    former names is the registered name (normalised)."""
    present = [r[0] for r in conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [DIRECTORY]).fetchall()]
    if "credit_code" not in present or "name" not in present:
        return None
    columns = [c for c in _DIRECTORY_COLUMNS if c in present]
    select = f"SELECT {', '.join(columns)} FROM {DIRECTORY}"
    rows = conn.execute(f"{select} WHERE credit_code = ? LIMIT 1", [enterprise["uscc"]]).fetchall()
    by = "credit_code"
    if not rows:
        rows, by = conn.execute(f"{select} WHERE name = ? LIMIT 1", [enterprise["name"]]).fetchall(), "name"
    if not rows:
        return {"found": False}
    entry = dict(zip(columns, rows[0], strict=True))
    former = entry.get("former_names")
    entry["former_names"] = split_list(former if isinstance(former, list) else str(former or ""))
    names = {normalize_name(n) for n in [entry["name"], *entry["former_names"]] if n}
    return entry | {"found": True, "matched_by": by, "name_matches": normalize_name(enterprise["name"]) in names,
                    "credit_code_matches": entry.get("credit_code") == enterprise["uscc"]}


def registration_evidence(conn: duckdb.DuckDBPyConnection, enterprise: dict[str, Any]) -> dict[str, Any]:
    """What the office looks at before verifying a registration."""
    try:
        validate_uscc(enterprise["uscc"])
        check = {"valid": True, "message": "the GB 32100 check character matches"}
    except UsageError as exc:
        check = {"valid": False, "message": exc.message}
    division = uscc_region_code(enterprise["uscc"])
    region = scalar(conn, "SELECT name FROM regions WHERE code = ?", [division])
    contacts = conn.execute("SELECT email, display_name, created_at FROM users WHERE enterprise_id = ? "
                            "ORDER BY user_id", [enterprise["enterprise_id"]]).fetchall()
    claims = proposals(conn, enterprise["enterprise_id"])
    return {"uscc_check": check, "division_code": division, "region_name": region,
            "directory": directory_match(conn, enterprise),
            "contacts": [{"email": e, "display_name": n, "signed_up_at": t} for e, n, t in contacts],
            "match_names": match_names(enterprise), "would_claim": len(claims),
            "would_claim_sample": [p["application_number"] for p in claims[:10]]}


# --------------------------------------------------------------------------- registrations


def pending_registrations(conn: duckdb.DuckDBPyConnection, user: User) -> list[dict[str, Any]]:
    """The enterprises waiting for this user's decision, oldest first, each with its evidence."""
    ids = [r[0] for r in conn.execute("SELECT enterprise_id FROM enterprises WHERE status = 'pending' "
                                      "ORDER BY created_at, enterprise_id").fetchall()]
    out = []
    for eid in ids:
        enterprise = get_enterprise(conn, eid)
        if may_decide(conn, user, enterprise["region_code"]):
            keep = ("enterprise_id", "name", "uscc", "name_variants", "region_code", "created_at", "status")
            out.append({k: enterprise[k] for k in keep} | {"evidence": registration_evidence(conn, enterprise)})
    return out


def decide_registration(conn: duckdb.DuckDBPyConnection, user: User, enterprise_id: int, decision: str,
                        note: str | None = None) -> dict[str, Any]:
    """Verify (``approve``) or refuse a pending registration; audited with the note."""
    enterprise = get_enterprise(conn, enterprise_id)
    _require_decider(conn, user, enterprise)
    decision = _decision(decision)
    if enterprise["status"] != "pending":
        raise UsageError(message("err_already_decided", enterprise_id=enterprise_id,
                                 status=word(enterprise["status"], "status_")))
    status = "verified" if decision == "approve" else "refused"
    conn.execute("UPDATE enterprises SET status = ?, decided_by = ?, decided_at = ?, decision_note = ?, "
                 "updated_at = ? WHERE enterprise_id = ?", [status, user.user_id, now(), note, now(), enterprise_id])
    audit(conn, user.user_id, f"enterprise.{'verify' if status == 'verified' else 'refuse'}", enterprise["uscc"],
          {"enterprise_id": enterprise_id, "name": enterprise["name"], "note": note})
    place_enterprise(conn, enterprise)  # a verified enterprise's credit code places its patents
    return get_enterprise(conn, enterprise_id)


# --------------------------------------------------------------------------- custody requests


_REQUEST_COLUMNS = ("request_id", "enterprise_id", "enterprise_name", "region_code", "application_number", "title",
                    "applicants", "requested_at", "requested_by_email")


def pending_custody_requests(conn: duckdb.DuckDBPyConnection, user: User) -> list[dict[str, Any]]:
    """Custody requests waiting for this user's decision, with the patent's applicants to compare."""
    rows = conn.execute(
        "SELECT r.request_id, r.enterprise_id, e.name, e.region_code, r.application_number, p.title_zh, "
        "p.applicant_names, r.requested_at, u.email FROM custody_requests r JOIN enterprises e USING (enterprise_id) "
        "LEFT JOIN patents p USING (application_number) LEFT JOIN users u ON u.user_id = r.requested_by "
        "WHERE r.status = 'pending' ORDER BY r.request_id").fetchall()
    found = [dict(zip(_REQUEST_COLUMNS, r, strict=True)) for r in rows]
    return [r for r in found if may_decide(conn, user, r["region_code"])]


def decide_custody_request(conn: duckdb.DuckDBPyConnection, user: User, request_id: int, decision: str,
                           note: str | None = None) -> dict[str, Any]:
    """Approve (the patent goes into custody) or refuse a custody request; audited."""
    rows = conn.execute("SELECT enterprise_id, application_number, status FROM custody_requests "
                        "WHERE request_id = ?", [request_id]).fetchall()
    if not rows:
        raise NotFoundError(message("err_no_custody_request", request_id=request_id))
    enterprise_id, key, status = rows[0]
    enterprise = get_enterprise(conn, enterprise_id)
    _require_decider(conn, user, enterprise)
    decision = _decision(decision)
    if status != "pending":
        raise UsageError(message("err_request_decided", request_id=request_id, status=word(status, "status_")))
    if decision == "approve":
        require_verified(enterprise)
        conn.execute("INSERT INTO custody (enterprise_id, application_number, source, added_by, added_at) "
                     "VALUES (?, ?, 'approved', ?, ?) ON CONFLICT DO NOTHING",
                     [enterprise_id, key, user.user_id, now()])
    new_status = "approved" if decision == "approve" else "refused"
    conn.execute("UPDATE custody_requests SET status = ?, decided_by = ?, decided_at = ?, decision_note = ? "
                 "WHERE request_id = ?", [new_status, user.user_id, now(), note, request_id])
    audit(conn, user.user_id, f"custody.{'approve' if decision == 'approve' else 'refuse'}", str(enterprise_id),
          {"request_id": request_id, "application_number": key, "note": note})
    return {"request_id": request_id, "enterprise_id": enterprise_id, "application_number": key, "status": new_status}
