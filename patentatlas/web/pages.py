"""One dict per page: the web pages render these as HTML, the API returns them as JSON."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb

from patentatlas.domain.accounts import User
from patentatlas.domain.fees import fee_rules, fee_schedule
from patentatlas.domain.high_value import explain, parse_date
from patentatlas.domain.patents import PatentFilter, get_patent, list_patents, store_summary
from patentatlas.normalize.kinds import GRANT_KINDS

PUBLIC = 0  # fee_payments.enterprise_id of a public fact (seen in force after the grace period)


def overview_page(conn: duckdb.DuckDBPyConnection, flt: PatentFilter, admin: bool = False) -> dict[str, Any]:
    """Totals, filings by year and a filtered page of patents; the quarantine count for admins only."""
    provinces = conn.execute(
        "SELECT r.code, r.name, count(*) AS n FROM patents p JOIN regions r "
        "ON r.code = p.first_applicant_province_code GROUP BY ALL ORDER BY n DESC, r.code"
    ).fetchall()
    summary = store_summary(conn)
    if not admin:
        summary.pop("quarantined_rows")  # the office's import housekeeping, not a public figure
    return {
        "summary": summary,
        "filters": {k: v for k, v in vars(flt).items() if v not in (None, "")},
        "provinces": [{"code": c, "name": name, "patents": n} for c, name, n in provinces],
        "results": list_patents(conn, flt),
    }


def patent_page(conn: duckdb.DuckDBPyConnection, number: str, user: User | None = None,
                as_of: str | None = None) -> dict[str, Any]:
    """One patent with everything the store knows of it: industries, the high-value criteria, legal
    events and status changes, family, citations and the annual fees (the payments only for the
    enterprise that holds it in custody).

    >>> patent_page(conn, "CN202010302257.8")["industries"]["codes"][0]["name"]  # doctest: +SKIP
    '智能制造装备产业'
    """
    patent = get_patent(conn, number)
    key = patent["application_number"]
    day = parse_date(as_of) if as_of else dt.date.today()
    return {
        "patent": patent,
        "industries": patent_industries(conn, patent),
        "high_value": explain(conn, key),
        "legal_events": _rows(conn, "SELECT event_date, code, description FROM legal_events "
                                    "WHERE application_number = ? ORDER BY event_date, code", key),
        "status_changes": _rows(conn, "SELECT observed_on, old_status, new_status, old_status_text, new_status_text "
                                      "FROM status_changes WHERE application_number = ? ORDER BY observed_on", key),
        "family": {"size": patent["family_size"], "members": patent["family_members"] or [],
                   "has_overseas_family": patent["has_overseas_family"]},
        "citations": {"backward_count": patent["backward_citation_count"],
                      "forward_count": patent["forward_citation_count"],
                      "cited": patent["cited_publications"] or [], "citing": patent["citing_publications"] or []},
        "fees": patent_fees(conn, patent, day, user),
        "publications": publication_dates(patent),
    }


def publication_dates(patent: dict[str, Any]) -> list[dict[str, Any]]:
    """The patent's publications, each date named for what it is: a grant publication (kind B, C,
    U, Y, S or D) dated on the grant date is the grant's announcement (Lens exports give a grant's
    date only as its publication's), any other a publication.

    >>> publication_dates({"grant_date": "2020-03-06", "publications": [
    ...     {"publication_number": "CN1A", "kind": "A", "publication_date": "2018-01-02"},
    ...     {"publication_number": "CN1B", "kind": "B", "publication_date": "2020-03-06"}]})[1]["date_label"]
    'grant_date'
    """
    grant = patent.get("grant_date")
    return [pub | {"date_label": "grant_date" if grant is not None and pub.get("publication_date") == grant
                   and (pub.get("kind") or "")[:1] in GRANT_KINDS else "publication_date"}
            for pub in patent.get("publications") or []]


def _rows(conn: duckdb.DuckDBPyConnection, sql: str, *params: Any) -> list[dict[str, Any]]:
    cursor = conn.execute(sql, list(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def patent_industries(conn: duckdb.DuckDBPyConnection, patent: dict[str, Any]) -> dict[str, Any]:
    """The patent's strategic emerging industries with their names, and what they were judged from."""
    codes = list(patent.get("sei_codes") or [])
    names = dict(conn.execute("SELECT code, name FROM sei_industries WHERE code IN (SELECT unnest(?))",
                              [codes]).fetchall()) if codes else {}
    return {"basis": patent.get("sei_basis"), "codes": [{"code": c, "name": names.get(c)} for c in codes],
            "nic_codes": patent.get("nic_codes") or []}


def patent_fees(conn: duckdb.DuckDBPyConnection, patent: dict[str, Any], as_of: dt.date,
                user: User | None) -> dict[str, Any]:
    """The annual fees still to pay as of ``as_of`` (public dates and full amounts); for the enterprise
    holding the patent in custody, its reduction applied and its payment records."""
    rules = fee_rules(conn)
    out: dict[str, Any] = {"as_of": as_of, "rule_set": {k: rules.get(k) for k in ("name", "version", "source")},
                           "custodian": False, "schedule": [], "reason": None}
    custodian = _custodian(conn, patent["application_number"], user)
    if patent["status"] != "in_force" or not patent["filing_date"] or patent["patent_type"] not in rules["term_years"]:
        out["reason"] = "not_in_force" if patent["status"] != "in_force" else "no_rule"
    else:
        reduction = custodian["fee_reduction"] if custodian else None
        schedule = fee_schedule(dt.date.fromisoformat(patent["filing_date"]), patent["patent_type"],
                                dt.date.fromisoformat(patent["grant_date"]) if patent["grant_date"] else None,
                                as_of, reduction, rules)
        keep = ("patent_year", "due_date", "full_amount", "amount", "reduced", "grace_period_end", "late_fee",
                "provisional", "unknowns")
        out["schedule"] = [{k: v for k, v in fee.to_dict().items() if k in keep} for fee in schedule]
    if custodian:
        out["custodian"] = True
        out["payments"] = _rows(conn, "SELECT patent_year, paid_on, amount, late_fee, receipt_number, source "
                                      "FROM fee_payments WHERE application_number = ? AND enterprise_id IN (?, ?) "
                                      "ORDER BY patent_year", patent["application_number"], PUBLIC,
                                custodian["enterprise_id"])
    return out


def _custodian(conn: duckdb.DuckDBPyConnection, number: str, user: User | None) -> dict[str, Any] | None:
    """The signed-in enterprise user's enterprise, when it holds this patent in custody."""
    if user is None or user.role != "enterprise" or user.enterprise_id is None:
        return None
    row = conn.execute("SELECT e.enterprise_id, e.fee_reduction FROM custody c JOIN enterprises e USING "
                       "(enterprise_id) WHERE c.enterprise_id = ? AND c.application_number = ?",
                       [user.enterprise_id, number]).fetchone()
    return {"enterprise_id": row[0], "fee_reduction": row[1]} if row else None
