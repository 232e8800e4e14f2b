"""Valid and high-value invention patents (REFERENCE §2 and §4), as SQL the indicators share,
and one patent's explanation.

*Valid* (有效发明专利) on a statistics date D: an invention, granted on or before D (grant
date; else the first import that saw it in force; an in-force patent with neither counts only
when D is on or after the store's data date), D before the end of its 20-year term, and not
lapsed by D (currently in force; or lapsed with a dated lapse after D: a lapse event in its
legal events, the first import that saw it lapsed, or the end of term for 期限届满). A lapsed
patent with no dated lapse counts as lapsed before D; an unknown status never counts.

*High-value* (高价值发明专利): a valid invention meeting at least one of the five criteria of
``rules/high_value.json``; a criterion the data cannot decide is "not judged", never "not met".

>>> explain(conn, "CN201410725372.0", "2020-12-31")["valid"]  # doctest: +SKIP
True
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import duckdb

from patentatlas.errors import FieldError, NotFoundError, UsageError
from patentatlas.normalize.appno import normalize_application_number
from patentatlas.rules import load_rule_set

CRITERIA = ("c_sei", "c_overseas", "c_maintained", "c_pledge", "c_award")

# first import that saw a patent in force / lapsed: dated evidence where the export has no date
EVIDENCE_SQL = """(SELECT application_number,
        min(observed_on) FILTER (WHERE new_status = 'in_force') AS in_force_seen,
        min(observed_on) FILTER (WHERE new_status = 'lapsed') AS lapsed_seen
    FROM status_changes GROUP BY application_number)"""
# a store with no status changes needs no join (it halves the cost of the facts on a big store)
NO_EVIDENCE_SQL = "(SELECT NULL::DATE AS in_force_seen, NULL::DATE AS lapsed_seen)"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _contains_any(column: str, words: list[str]) -> str:
    """SQL: ``column`` contains one of ``words`` (plain substring tests: far cheaper than a regex)."""
    return " OR ".join(f"contains({column}, {_literal(w)})" for w in words)


def _events_min_date(pattern: str) -> str:
    """The earliest legal event whose code matches ``pattern`` (SQL over ``p.legal_events``)."""
    return (f"CASE WHEN len(p.legal_events) > 0 THEN list_min(list_transform(list_filter(p.legal_events, "
            f"lambda e: regexp_matches(e.code, {_literal(pattern)})), lambda e: e.event_date)) END")


def _stage_one(rules: dict[str, Any], evidence: bool) -> dict[str, str]:
    """Per-patent dates and flags, each derived once per row (internal names start with ``_``).

    The costly lapse and refusal dates sit in CASE branches: DuckDB evaluates a branch only for
    the rows that take it, while AND and OR evaluate both sides for every row.
    """
    seen_in_force, seen_lapsed = ("ev.in_force_seen", "ev.lapsed_seen") if evidence else ("NULL::DATE", "NULL::DATE")
    term, grant_seen = int(rules["invention_term_years"]), f"coalesce(p.grant_date, {seen_in_force})"
    expired = _contains_any("p.status_text", rules["term_expired_status_words"])
    refused_text = _contains_any("p.status_text", rules["refusal_status_words"])
    lapsed_invention = "p.status = 'lapsed' AND p.patent_type = 'invention'"
    return {
        "_inv": "p.patent_type = 'invention'",
        "_status": "p.status",
        "_filing": "p.filing_date",
        "_grant_seen": grant_seen,
        "_lapse_on": (f"CASE WHEN {lapsed_invention} AND {grant_seen} IS NOT NULL THEN CAST(coalesce(least("
                      f"{_events_min_date(rules['lapse_event_pattern'])}, {seen_lapsed}), CASE WHEN {expired} "
                      f"THEN p.filing_date + to_years({term}) END) AS DATE) END"),
        "_refused_on": (f"CASE WHEN {lapsed_invention} AND {grant_seen} IS NULL THEN CASE WHEN {refused_text} "
                        f"THEN coalesce(least({_events_min_date(rules['refusal_event_pattern'])}, {seen_lapsed}), "
                        "$data_date) END END"),
        "_sei_codes": "p.sei_codes",
        "_sei_judged": "p.sei_judged",
        "_overseas": "p.has_overseas_family",
    }


# an undated grant of a patent in force is dated at the data date: it counts for a statistics
# date on or after the data date and not before (likewise an undated refusal, in _refused_on)
_GRANTED = ("coalesce(coalesce(_grant_seen, CASE WHEN _status = 'in_force' THEN $data_date END) <= $as_of, "
            "FALSE)")


def _stage_two() -> dict[str, str]:
    """The facts, from the columns of :func:`_stage_one`: comparisons, the costly ones behind CASE."""
    return {
        "lapse_date": "_lapse_on",
        "invention": "_inv",
        "granted": f"CASE WHEN _inv THEN {_GRANTED} ELSE FALSE END",
        "valid": ("CASE WHEN _inv AND _filing > $term_cutoff THEN CASE _status "
                  "WHEN 'in_force' THEN coalesce(coalesce(_grant_seen, $data_date) <= $as_of, FALSE) "
                  "WHEN 'lapsed' THEN coalesce(_grant_seen <= $as_of AND _lapse_on > $as_of, FALSE) "
                  "ELSE FALSE END ELSE FALSE END"),
        "refused": "coalesce(_refused_on <= $as_of, FALSE)",
        "c_sei": "CASE WHEN len(_sei_codes) > 0 THEN TRUE WHEN _sei_judged THEN FALSE END",
        "c_overseas": "_overseas",
        "c_maintained": "_filing < $maintained_cutoff",
        "c_pledge": "NULL::BOOLEAN",  # no pledge records in the store yet
        "c_award": "NULL::BOOLEAN",  # no award records in the store yet
        "undated_grant": "_inv AND _status = 'in_force' AND _grant_seen IS NULL",
        "undated_lapse": ("CASE WHEN _inv AND _status = 'lapsed' THEN coalesce(_grant_seen <= $as_of, FALSE) "
                          "AND _lapse_on IS NULL ELSE FALSE END"),
        "unknown_status": ("CASE WHEN _inv AND _status IS NULL THEN coalesce(_grant_seen <= $as_of, FALSE) "
                           "ELSE FALSE END"),
    }


# a valid invention meeting any criterion the data can judge; over the columns of both stages,
# the criteria written out so that they are evaluated for the valid inventions only
HIGH_VALUE_SQL = ("CASE WHEN valid THEN coalesce(len(_sei_codes) > 0, FALSE) OR coalesce(_overseas, FALSE) "
                  "OR _filing < $maintained_cutoff ELSE FALSE END")


def date_params(as_of: dt.date, data_date: dt.date, rules: dict[str, Any], hv: dict[str, Any]) -> dict[str, Any]:
    """The dates the facts compare with: the statistics date, the data date, and the filing-date
    cutoffs of the term (filed after it: still within term) and of "maintained > N years" (filed before it)."""
    return {"as_of": as_of, "data_date": data_date,
            "term_cutoff": _add_years(as_of, -int(rules["invention_term_years"])),
            "maintained_cutoff": _add_years(as_of, -int(hv["maintained_years_more_than"]))}


def facts_from(rules: dict[str, Any], hv_rules: dict[str, Any], where: str, columns: str = "p.*",
               evidence: bool = True, names: tuple[str, ...] | None = None) -> str:
    """A subquery of patents matching ``where``: ``columns``, their facts and ``high_value``.

    Facts (parameters from :func:`date_params`): ``invention``, ``valid``, ``granted`` (an
    invention granted by the statistics date), ``refused``,
    ``lapse_date``, ``undated_grant``, ``undated_lapse``, ``unknown_status`` and the five criteria
    (TRUE met, FALSE not met, NULL not judged); ``names`` keeps only some. ``evidence=False``
    leaves out the status changes (for a store that has none). Three stages: the row's columns,
    the facts, high-value.

    >>> facts_from(rules, hv_rules, "p.first_applicant_city_code = $region")  # doctest: +SKIP
    """
    keep = None if names is None else {*names, "valid", *CRITERIA}
    join = (f"LEFT JOIN {EVIDENCE_SQL} ev USING (application_number)" if evidence
            else f"CROSS JOIN {NO_EVIDENCE_SQL} ev")
    one = _stage_one(rules, evidence)
    two = ", ".join(f"{sql} AS {name}" for name, sql in _stage_two().items() if keep is None or name in keep)
    internal = ", ".join(one)
    return (f"(SELECT * EXCLUDE ({internal}), {HIGH_VALUE_SQL} AS high_value FROM (SELECT *, {two} FROM "
            f"(SELECT {columns}, {', '.join(f'{sql} AS {n}' for n, sql in one.items())} "
            f"FROM patents p {join} WHERE {where})))")


def has_status_changes(conn: duckdb.DuckDBPyConnection) -> bool:
    """Whether any import has recorded a change of status (dated evidence for the facts)."""
    return bool(conn.execute("SELECT EXISTS (SELECT 1 FROM status_changes)").fetchall()[0][0])


def named_params(sql: str, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters a query uses (DuckDB rejects extra named parameters)."""
    used = set(re.findall(r"\$(\w+)", sql))
    return {k: v for k, v in params.items() if k in used}


# --------------------------------------------------------------------------- statistics dates


def data_dates(conn: duckdb.DuckDBPyConnection) -> tuple[dt.date | None, dt.date | None]:
    """(earliest filing date, the data date: the latest dated fact) of the store.

    The data date is the latest filing, publication, grant, legal-event or status-change date:
    the current statuses describe the patents as of (about) then.
    """
    row = conn.execute(
        "SELECT min(filing_date), greatest(max(filing_date), max(publication_date), max(grant_date), "
        "(SELECT max(event_date) FROM legal_events), (SELECT max(observed_on) FROM status_changes)) FROM patents"
    ).fetchone()
    return (row[0], row[1]) if row else (None, None)


def parse_date(value: str | dt.date, what: str = "as_of") -> dt.date:
    """A date from ``YYYY-MM-DD`` (or a date), else a :class:`UsageError` naming ``what``."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise UsageError(f"{what}={value!r} is not a date: write it as YYYY-MM-DD, e.g. 2022-12-31") from None


def statistics_dates(conn: duckdb.DuckDBPyConnection, as_of: str | dt.date | None,
                     today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """(statistics date, data date): ``as_of`` checked against the store, default the data date."""
    first, data_date = data_dates(conn)
    if first is None or data_date is None:
        raise UsageError("the store holds no dated patents: import files first (patentatlas import FILE...)")
    if as_of is None or as_of == "":
        return data_date, data_date
    date = parse_date(as_of)
    if date > (today or dt.date.today()):
        raise UsageError(f"as_of={date} is in the future: choose a statistics date up to today "
                         f"(the store's data reaches {data_date})")
    if date < first:
        raise UsageError(f"as_of={date} is before any data: the earliest filing in the store is {first}")
    return date, data_date


# --------------------------------------------------------------------------- one patent


def explain(conn: duckdb.DuckDBPyConnection, application_number: str,
            as_of: str | dt.date | None = None) -> dict[str, Any]:
    """Whether a patent is a valid, high-value invention on ``as_of``, criterion by criterion.

    >>> [c["result"] for c in explain(conn, "CN201410725372.0")["criteria"]]  # doctest: +SKIP
    ['not_judged', 'not_judged', 'not_met', 'not_judged', 'not_judged']
    """
    try:
        key = normalize_application_number(application_number).number
    except FieldError as exc:
        raise UsageError(f"{application_number!r} is not an application number (e.g. CN202010302257.8): "
                         f"{exc.reason}") from None
    date, data_date = statistics_dates(conn, as_of)
    rules, hv = load_rule_set(conn, "indicators"), load_rule_set(conn, "high_value")
    sql = f"SELECT * FROM {facts_from(rules, hv, 'p.application_number = $number')} f"
    cursor = conn.execute(sql, named_params(sql, {"number": key, **date_params(date, data_date, rules, hv)}))
    rows = cursor.fetchall()
    if not rows:
        raise NotFoundError(f"application {key} is not in the store")
    fact = dict(zip([d[0] for d in cursor.description], rows[0], strict=True))
    return {
        "application_number": key,
        "as_of": date.isoformat(),
        "data_date": data_date.isoformat(),
        "patent_type": fact["patent_type"],
        "status": fact["status"],
        "status_text": fact["status_text"],
        "valid": bool(fact["valid"]),
        "valid_reason": _valid_reason(fact, date, int(rules["invention_term_years"])),
        "high_value": bool(fact["high_value"]),
        "criteria": _criteria(fact, hv, date),
        "rule_set": {"name": hv["name"], "version": hv["version"], "source": hv["source"]},
    }


def _valid_reason(fact: dict[str, Any], as_of: dt.date, term: int) -> str:
    if fact["patent_type"] != "invention":
        return f"not an invention ({fact['patent_type']}): only invention patents count"
    if fact["valid"]:
        granted = (f"granted {fact['grant_date']}" if fact["grant_date"]
                   else "granted (no grant date in the source; in force at the data date)")
        return f"{granted}, in force on {as_of}, within the {term}-year term from {fact['filing_date']}"
    if fact["status"] is None:
        return "legal status unknown: not counted as valid"
    if fact["filing_date"] and as_of >= _add_years(fact["filing_date"], term):
        return f"the {term}-year term from {fact['filing_date']} ended before {as_of}"
    if fact["grant_date"] is None and fact["status"] != "in_force":
        return f"not granted (status {fact['status_text'] or fact['status']})"
    if fact["grant_date"] is not None and fact["grant_date"] > as_of:
        return f"granted {fact['grant_date']}, after {as_of}"
    if fact["status"] == "in_force":
        return f"in force, but its grant is undated and {as_of} is before the store's data date"
    if fact["lapse_date"] is not None:
        return f"lapsed on {fact['lapse_date']} ({fact['status_text']}), on or before {as_of}"
    return f"lapsed ({fact['status_text']}) with no dated evidence of when: counted as lapsed before {as_of}"


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _criteria(fact: dict[str, Any], hv: dict[str, Any], as_of: dt.date) -> list[dict[str, Any]]:
    reasons = {
        "strategic_emerging_industry": _sei_reason(fact),
        "overseas_family": {True: "has a family member filed abroad",
                            False: "the source lists no family member abroad",
                            None: "the source export does not say whether it has family abroad"}[fact["c_overseas"]],
        "maintained_over_10_years": _maintained_reason(fact, hv, as_of),
        "high_pledge_amount": f"no pledge records in the store (threshold ≥ "
                              f"{hv['pledge_amount_threshold_yuan']:,} yuan, rule set v{hv['version']})",
        "award": "no award records in the store (" + ", ".join(hv["awards"]) + ")",
    }
    results = []
    for spec, column in zip(hv["criteria"], CRITERIA, strict=True):
        value, reason = fact[column], reasons[spec["key"]]
        if column == "c_maintained" and value and not fact["valid"]:  # maintained = still valid
            value, reason = False, reason + "; but not valid on the statistics date"
        result = "not_judged" if value is None else "met" if value else "not_met"
        results.append({**spec, "result": result, "reason": reason})
    return results


def _sei_reason(fact: dict[str, Any]) -> str:
    if fact["c_sei"]:
        return "strategic emerging industries " + ", ".join(fact["sei_codes"]) + " (2021 IPC concordance)"
    if fact["c_sei"] is False:
        return "its IPC codes match no strategic emerging industry in the 2021 concordance"
    if fact.get("sei_judged") is False:
        return "the 2021 concordance cannot judge it (no IPC code, or only H01L/H10, which it lacks)"
    return "industries not assigned to this patent yet (no sei_codes in the store)"


def _maintained_reason(fact: dict[str, Any], hv: dict[str, Any], as_of: dt.date) -> str:
    years = (as_of - fact["filing_date"]).days / 365.25 if fact["filing_date"] else None
    if years is None:
        return "no filing date"
    limit = hv["maintained_years_more_than"]
    return f"filed {fact['filing_date']}, {years:.1f} years before {as_of} (needs more than {limit})"
