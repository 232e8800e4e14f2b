"""The government end's follow-up (服务跟踪, issue 11 §7): the list behind each figure of a region's
fee warnings, an enterprise's page for the office, and the log of who called whom.

    due_90     fees due in the next 90 days (the current fee due on the date, and next fees falling
               due within 90 days), not recorded paid — the page's 未来 90 天到期年费
    in_grace   fees past their due date within the grace period, nothing recorded — 宽限期内专利
    lapsed     patents an import saw lapse this quarter — 本季度失效

Each list is the very rows the page's figure counts (the same SQL of :mod:`patentatlas.domain.
region_fees` and :mod:`patentatlas.domain.fee_watch`), with the first applicant's township and
enterprise, summed by township and by enterprise. An enterprise is the placement key
(``uscc:…``, ``dir:…``, else ``name:`` + the normalised name), as the enterprises to call are.

A follow-up is one contact with an enterprise (called / promised / paid / gave up, a note, who,
when), kept for the region where its patents are placed; every analyst whose region holds that
region reads and adds to the same log, an analyst of another region is refused.

>>> figure_list(conn, "330110", "in_grace")["count"]  # doctest: +SKIP
58
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb

from patentatlas.domain.accounts import User, audit, now, require_region
from patentatlas.domain.directory import NO_CONTACT, enterprise_contacts
from patentatlas.domain.fee_watch import NO_COUNTY, NO_TOWN, TOWNSHIP_SQL
from patentatlas.domain.high_value import named_params
from patentatlas.domain.indicators import COUNTING_RULE
from patentatlas.domain.region_fees import (
    DUE_SOON_DAYS,
    data_observed_on,
    fees_sql,
    quarter_of,
    scope_where,
    warning_scope,
)
from patentatlas.errors import NotFoundError, UsageError, about
from patentatlas.i18n import message
from patentatlas.rules import load_rule_set

FIGURES = ("due_90", "in_grace", "lapsed")
OUTCOMES = ("called", "promised", "paid", "gave_up")
OPEN_OUTCOMES = ("called", "promised")  # an enterprise whose latest follow-up is one of these is still open
ENTERPRISE_KEY = "coalesce(pl.enterprise_key, 'name:' || pa.normalized_name)"

_FEE_ROWS = {
    "due_90": """SELECT application_number, patent_year, due_date, full_amount, grace_period_end, 0 AS late_fee
                 FROM f WHERE state = 'upcoming'
                 UNION ALL
                 SELECT application_number, next_patent_year, next_due_date, next_full_amount, NULL, 0
                 FROM f WHERE NOT next_paid AND next_due_date > $as_of AND next_due_date <= $soon_end""",
    "in_grace": """SELECT application_number, patent_year, due_date, full_amount, grace_period_end, late_fee
                   FROM f WHERE state = 'grace'""",
}

_LIST_SQL = """WITH f AS MATERIALIZED ({fees}), r AS ({rows})
SELECT r.application_number, coalesce(p.title_zh, p.title_en) AS title, p.patent_type, r.patent_year, r.due_date,
  r.full_amount, r.grace_period_end, r.late_fee, NULL::DATE AS observed_on, NULL AS reason,
  {key} AS enterprise_key, coalesce(pl.enterprise_name, pa.name, p.applicant_names[1]) AS enterprise_name,
  pa.kind AS applicant_kind, p.first_applicant_county_code AS county_code, {township} AS township_code
FROM r JOIN patents p USING (application_number)
LEFT JOIN patent_parties pp ON pp.application_number = p.application_number AND pp.role = 'applicant' AND pp.seq = 1
LEFT JOIN parties pa ON pa.party_id = pp.party_id
LEFT JOIN placements pl ON pl.application_number = p.application_number
ORDER BY r.due_date, r.application_number, r.patent_year"""

_LAPSED_SQL = """WITH lapsed AS (
  SELECT application_number, min(observed_on) AS observed_on, arg_min(new_status_text, observed_on) AS reason
  FROM status_changes WHERE new_status = 'lapsed' AND observed_on >= $q_start AND observed_on <= $as_of
  GROUP BY 1)
SELECT p.application_number, coalesce(p.title_zh, p.title_en) AS title, p.patent_type, NULL::INTEGER, NULL::DATE,
  NULL::INTEGER, NULL::DATE, NULL::INTEGER, l.observed_on, l.reason,
  {key} AS enterprise_key, coalesce(pl.enterprise_name, pa.name, p.applicant_names[1]) AS enterprise_name,
  pa.kind, p.first_applicant_county_code, {township}
FROM lapsed l JOIN patents p USING (application_number)
LEFT JOIN patent_parties pp ON pp.application_number = p.application_number AND pp.role = 'applicant' AND pp.seq = 1
LEFT JOIN parties pa ON pa.party_id = pp.party_id
LEFT JOIN placements pl ON pl.application_number = p.application_number
WHERE {where}
ORDER BY l.observed_on, p.application_number"""

_COLUMNS = ("application_number", "title", "patent_type", "patent_year", "due_date", "full_amount",
            "grace_period_end", "late_fee", "observed_on", "reason", "enterprise_key", "enterprise_name",
            "applicant_kind", "county_code", "township_code")


def _names(conn: duckdb.DuckDBPyConnection, codes: set[str]) -> dict[str, str]:
    rows = conn.execute("SELECT code, name FROM regions WHERE code IN (SELECT unnest(?))",
                        [sorted(c for c in codes if c)]).fetchall()
    return dict(rows)


def _rows(conn: duckdb.DuckDBPyConnection, figure: str, region_code: str, industry: str | None,
          as_of: str | dt.date | None) -> tuple[Any, list[dict[str, Any]]]:
    if figure not in FIGURES:
        raise UsageError(about("figure", message("err_not_one_of", value=repr(figure), choices=", ".join(FIGURES))))
    scope = warning_scope(conn, region_code, industry, as_of)
    fees, params = fees_sql(scope, scope.as_of, load_rule_set(conn, "annual_fees"))
    extra = {"q_start": quarter_of(scope.as_of)["start"],
             "soon_end": scope.as_of + dt.timedelta(days=DUE_SOON_DAYS)}
    if figure == "lapsed":
        sql = _LAPSED_SQL.format(key=ENTERPRISE_KEY, township=TOWNSHIP_SQL, where=scope_where(scope))
    else:
        sql = _LIST_SQL.format(fees=fees, rows=_FEE_ROWS[figure], key=ENTERPRISE_KEY, township=TOWNSHIP_SQL)
    found = conn.execute(sql, named_params(sql, {**params, **extra})).fetchall()
    return scope, [dict(zip(_COLUMNS, r, strict=True)) for r in found]


def figure_list(conn: duckdb.DuckDBPyConnection, region_code: str, figure: str, industry: str | None = None,
                as_of: str | dt.date | None = None) -> dict[str, Any]:
    """The patents behind one figure of a region's fee warnings, and the same rows by township and by
    enterprise (most first), with each enterprise's directory contact."""
    scope, rows = _rows(conn, figure, region_code, industry, as_of)
    names = _names(conn, {r["county_code"] for r in rows} | {r["township_code"] for r in rows})
    for row in rows:
        row["county_name"] = names.get(row["county_code"], NO_COUNTY) if row["county_code"] else NO_COUNTY
        row["township_name"] = names.get(row["township_code"], NO_TOWN) if row["township_code"] else NO_TOWN
    return {
        "region": {k: scope.region[k] for k in ("code", "name", "level")},
        "industry": scope.industry, "figure": figure, "as_of": scope.as_of,
        "quarter": quarter_of(scope.as_of), "data_observed_on": data_observed_on(conn),
        "counting_rule": COUNTING_RULE,
        "count": len(rows), "fees": sum(r["full_amount"] or 0 for r in rows),
        "late_fees": sum(r["late_fee"] or 0 for r in rows),
        "patents": rows,
        "by_township": _by_township(rows),
        "by_enterprise": _by_enterprise(conn, rows),
    }


def _by_township(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[tuple[Any, Any], dict[str, Any]] = {}
    for r in rows:
        g = groups.setdefault((r["township_code"], r["county_code"]), {
            "township_code": r["township_code"], "township_name": r["township_name"],
            "county_code": r["county_code"], "county_name": r["county_name"], "patents": 0, "fees": 0,
            "enterprises": set()})
        g["patents"] += 1
        g["fees"] += r["full_amount"] or 0
        g["enterprises"].add(r["enterprise_key"])
    out = [{**g, "enterprises": len(g["enterprises"])} for g in groups.values()]
    return sorted(out, key=lambda g: (g["township_code"] is None, -g["patents"], -g["fees"], g["township_code"] or ""))


def _by_enterprise(conn: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}
    for r in rows:
        key = r["enterprise_key"] or f"patent:{r['application_number']}"
        g = groups.setdefault(key, {"enterprise_key": key, "enterprise_name": r["enterprise_name"],
                                    "applicant_kind": r["applicant_kind"], "county_name": r["county_name"],
                                    "township_name": r["township_name"], "patents": 0, "fees": 0, "late_fees": 0,
                                    "application_numbers": []})
        g["patents"] += 1
        g["fees"] += r["full_amount"] or 0
        g["late_fees"] += r["late_fee"] or 0
        g["application_numbers"].append(r["application_number"])
    contacts = enterprise_contacts(conn, list(groups))
    last = latest_followups(conn, list(groups))
    out = [{**g, **{k: contacts.get(key, NO_CONTACT)[k] for k in ("contact_person", "contact_phone")},
            "in_directory": contacts.get(key, NO_CONTACT)["in_directory"],
            "last_followup": last.get(key)} for key, g in groups.items()]
    return sorted(out, key=lambda g: (-g["patents"], -g["fees"], g["enterprise_name"] or "", g["enterprise_key"]))


# --------------------------------------------------------------------------- one enterprise

_ENTERPRISE_PATENTS = f"""
SELECT p.application_number, coalesce(p.title_zh, p.title_en) AS title, p.patent_type, p.status, p.filing_date,
  p.grant_date, p.first_applicant_county_code AS county_code, p.first_applicant_city_code AS city_code,
  p.first_applicant_province_code AS province_code, coalesce(pl.enterprise_name, pa.name) AS name,
  pa.kind AS applicant_kind
FROM patents p
JOIN patent_parties pp ON pp.application_number = p.application_number AND pp.role = 'applicant' AND pp.seq = 1
JOIN parties pa ON pa.party_id = pp.party_id
LEFT JOIN placements pl ON pl.application_number = p.application_number
WHERE {ENTERPRISE_KEY} = ?
ORDER BY p.filing_date DESC NULLS LAST, p.application_number
"""
_PATENT_COLUMNS = ("application_number", "title", "patent_type", "status", "filing_date", "grant_date",
                   "county_code", "city_code", "province_code", "name", "applicant_kind")


def enterprise_region(patents: list[dict[str, Any]]) -> str:
    """Where an enterprise is followed up: the county most of its patents are placed in (else the
    city, the province, China)."""
    for level in ("county_code", "city_code", "province_code"):
        codes = [p[level] for p in patents if p[level]]
        if codes:
            return max(sorted(set(codes)), key=codes.count)
    return "100000"


def enterprise_patents(conn: duckdb.DuckDBPyConnection, key: str) -> list[dict[str, Any]]:
    """The patents whose first applicant is the enterprise ``key`` (NotFoundError when none)."""
    rows = [dict(zip(_PATENT_COLUMNS, r, strict=True)) for r in conn.execute(_ENTERPRISE_PATENTS, [key]).fetchall()]
    if not rows:
        raise NotFoundError(message("err_no_enterprise_patents", key=key))
    return rows


def _registered(conn: duckdb.DuckDBPyConnection, key: str) -> dict[str, Any] | None:
    """The platform's own registration of the enterprise (by credit code), with where its warnings go."""
    if not key.startswith("uscc:"):
        return None
    rows = conn.execute(
        "SELECT e.enterprise_id, e.name, e.status, e.notify_email, "
        "(SELECT string_agg(u.email, ', ' ORDER BY u.email) FROM users u WHERE u.enterprise_id = e.enterprise_id "
        " AND u.role = 'enterprise' AND u.active), "
        "(SELECT count(*) FROM warnings w WHERE w.enterprise_id = e.enterprise_id AND w.resolved_at IS NULL "
        " AND w.read_at IS NULL) FROM enterprises e WHERE e.uscc = ?", [key.removeprefix("uscc:")]).fetchall()
    if not rows:
        return None
    keys = ("enterprise_id", "name", "status", "notify_email", "user_emails", "unread_warnings")
    return dict(zip(keys, rows[0], strict=True))


def enterprise_followup_page(conn: duckdb.DuckDBPyConnection, user: User, key: str,
                             as_of: str | dt.date | None = None) -> dict[str, Any]:
    """An enterprise as the office sees it: contact (directory, else its own registration), its
    patents, its fees at risk and warnings (the three lists, its rows), and the follow-up log.
    Analysts of the region where its patents are placed (and above) and admins only."""
    patents = enterprise_patents(conn, key)
    region_code = enterprise_region(patents)
    require_region(conn, user, region_code)
    names = _names(conn, {region_code} | {p["county_code"] for p in patents if p["county_code"]})
    for p in patents:
        p["county_name"] = names.get(p["county_code"]) if p["county_code"] else None
    lists = {figure: [r for r in _rows(conn, figure, region_code, None, as_of)[1] if r["enterprise_key"] == key]
             for figure in FIGURES}
    registered = _registered(conn, key)
    contact = enterprise_contacts(conn, [key]).get(key, NO_CONTACT)
    return {
        "enterprise_key": key, "name": patents[0]["name"], "region": {"code": region_code,
                                                                      "name": names.get(region_code)},
        "contact": {**contact, "registered": registered,
                    "source": "directory" if contact["in_directory"] else ("registration" if registered else None)},
        "patents": patents, "patent_count": len(patents),
        "in_force": sum(1 for p in patents if p["status"] == "in_force"),
        "fees_at_risk": {"rows": lists["in_grace"] + lists["due_90"],
                         "in_grace": len(lists["in_grace"]), "due_90": len(lists["due_90"]),
                         "amount": sum(r["full_amount"] or 0 for r in lists["in_grace"] + lists["due_90"]),
                         "late_fees": sum(r["late_fee"] or 0 for r in lists["in_grace"])},
        "lapsed_this_quarter": lists["lapsed"],
        "followups": followups(conn, key),
        "outcomes": list(OUTCOMES),
    }


# --------------------------------------------------------------------------- the follow-up log

_LOG_COLUMNS = ("followup_id", "enterprise_key", "enterprise_name", "region_code", "outcome", "note", "logged_by",
                "logged_by_name", "logged_at")
_LOG_SELECT = ("SELECT f.followup_id, f.enterprise_key, f.enterprise_name, f.region_code, f.outcome, f.note, "
               "f.logged_by, coalesce(u.display_name, u.email), f.logged_at FROM followups f "
               "LEFT JOIN users u ON u.user_id = f.logged_by")


def log_followup(conn: duckdb.DuckDBPyConnection, user: User, key: str, outcome: str, note: str | None = None,
                 ip: str | None = None) -> dict[str, Any]:
    """Record one contact with an enterprise (called / promised / paid / gave_up), for the analysts of
    its region; audited.

    >>> log_followup(conn, analyst, "uscc:91330100716105852F", "promised", "周五前缴清")  # doctest: +SKIP
    {'followup_id': 1, 'outcome': 'promised', …}
    """
    if outcome not in OUTCOMES:
        raise UsageError(about("outcome", message("err_not_one_of", value=repr(outcome), choices=", ".join(OUTCOMES))))
    note = (note or "").strip() or None
    if note and len(note) > 2000:
        raise UsageError(about("note", message("err_at_most_characters", n="2,000")))
    patents = enterprise_patents(conn, key)
    region_code = enterprise_region(patents)
    require_region(conn, user, region_code)
    (followup_id,) = conn.execute(
        "INSERT INTO followups (enterprise_key, enterprise_name, region_code, outcome, note, logged_by, logged_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING followup_id",
        [key, patents[0]["name"], region_code, outcome, note, user.user_id, now()]).fetchone() or (None,)
    audit(conn, user.user_id, "followup.log", key, {"outcome": outcome, "note": note, "region_code": region_code,
                                                     "followup_id": followup_id}, ip=ip)
    return followups(conn, key)[0]


def followups(conn: duckdb.DuckDBPyConnection, key: str) -> list[dict[str, Any]]:
    """An enterprise's follow-ups, newest first."""
    rows = conn.execute(f"{_LOG_SELECT} WHERE f.enterprise_key = ? ORDER BY f.logged_at DESC, f.followup_id DESC",
                        [key]).fetchall()
    return [dict(zip(_LOG_COLUMNS, r, strict=True)) for r in rows]


def latest_followups(conn: duckdb.DuckDBPyConnection, keys: list[str]) -> dict[str, dict[str, Any]]:
    """Each enterprise's latest follow-up."""
    if not keys:
        return {}
    rows = conn.execute(f"{_LOG_SELECT} WHERE f.enterprise_key IN (SELECT unnest(?)) "
                        "QUALIFY row_number() OVER (PARTITION BY f.enterprise_key "
                        "ORDER BY f.logged_at DESC, f.followup_id DESC) = 1", [keys]).fetchall()
    return {r[1]: dict(zip(_LOG_COLUMNS, r, strict=True)) for r in rows}


def open_followups(conn: duckdb.DuckDBPyConnection, region_code: str) -> list[dict[str, Any]]:
    """The enterprises of a region (and below) whose latest follow-up is still open (called or
    promised), the longest waiting first."""
    rows = conn.execute(
        "WITH RECURSIVE down(code) AS (SELECT code FROM regions WHERE code = ? "
        " UNION ALL SELECT r.code FROM regions r JOIN down ON r.parent_code = down.code) "
        f"SELECT * FROM ({_LOG_SELECT} WHERE ? = '100000' OR f.region_code IN (SELECT code FROM down) "
        " QUALIFY row_number() OVER (PARTITION BY f.enterprise_key ORDER BY f.logged_at DESC, f.followup_id DESC) = 1)"
        " WHERE outcome IN (SELECT unnest(?)) ORDER BY logged_at, followup_id",
        [region_code, region_code, list(OPEN_OUTCOMES)]).fetchall()
    return [dict(zip(_LOG_COLUMNS, r, strict=True)) for r in rows]
