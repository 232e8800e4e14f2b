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

from patentatlas.analytics.dialect import DUCKDB, Dialect
from patentatlas.errors import FieldError, NotFoundError, UsageError
from patentatlas.i18n import Message, joined, message, word
from patentatlas.normalize.appno import normalize_application_number
from patentatlas.rules import load_counting_rules, load_rule_set, rule_source, rule_text

CRITERIA = ("c_sei", "c_overseas", "c_maintained", "c_pledge", "c_award")

# first import that saw a patent in force / lapsed: dated evidence where the export has no date
EVIDENCE_SQL = """(SELECT application_number,
        min(observed_on) FILTER (WHERE new_status = 'in_force') AS in_force_seen,
        min(observed_on) FILTER (WHERE new_status = 'lapsed') AS lapsed_seen
    FROM status_changes GROUP BY application_number)"""
# a store with no status changes needs no join (it halves the cost of the facts on a big store)
NO_EVIDENCE_SQL = "(SELECT CAST(NULL AS DATE) AS in_force_seen, CAST(NULL AS DATE) AS lapsed_seen)"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _contains_any(column: str, words: list[str]) -> str:
    """SQL: ``column`` contains one of ``words`` (plain substring tests: far cheaper than a regex)."""
    return " OR ".join(f"contains({column}, {_literal(w)})" for w in words)


def _events_min_date(pattern: str, d: Dialect) -> str:
    """The earliest legal event whose code matches ``pattern`` (SQL over ``p.legal_events``)."""
    earliest = d.min_of("p.legal_events", "e", d.matches("e.code", _literal(pattern)), "e.event_date")
    return f"CASE WHEN {d.length('p.legal_events')} > 0 THEN {earliest} END"


def _stage_one(rules: dict[str, Any], evidence: bool, d: Dialect = DUCKDB) -> dict[str, str]:
    """Per-patent dates and flags, each derived once per row (internal names start with ``_``).

    The costly lapse and refusal dates sit in CASE branches: DuckDB evaluates a branch only for
    the rows that take it, while AND and OR evaluate both sides for every row.
    """
    seen_in_force, seen_lapsed = (("ev.in_force_seen", "ev.lapsed_seen") if evidence
                                  else ("CAST(NULL AS DATE)", "CAST(NULL AS DATE)"))
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
                      f"{_events_min_date(rules['lapse_event_pattern'], d)}, {seen_lapsed}), CASE WHEN {expired} "
                      f"THEN {d.add_years('p.filing_date', str(term))} END) AS DATE) END"),
        "_refused_on": (f"CASE WHEN {lapsed_invention} AND {grant_seen} IS NULL THEN CASE WHEN {refused_text} "
                        f"THEN coalesce(least({_events_min_date(rules['refusal_event_pattern'], d)}, {seen_lapsed}), "
                        "$data_date) END END"),
        "_sei_codes": "p.sei_codes",
        "_sei_judged": "p.sei_judged",
        "_overseas": "p.has_overseas_family",
    }


# an undated grant of a patent in force is dated at the data date: it counts for a statistics
# date on or after the data date and not before (likewise an undated refusal, in _refused_on)
_GRANTED = ("coalesce(coalesce(_grant_seen, CASE WHEN _status = 'in_force' THEN $data_date END) <= $as_of, "
            "FALSE)")


def _stage_two(d: Dialect = DUCKDB) -> dict[str, str]:
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
        "c_sei": f"CASE WHEN {d.length('_sei_codes')} > 0 THEN TRUE WHEN _sei_judged THEN FALSE END",
        "c_overseas": "_overseas",
        "c_maintained": "_filing < $maintained_cutoff",
        "c_pledge": "CAST(NULL AS BOOLEAN)",  # no pledge records in the store yet
        "c_award": "CAST(NULL AS BOOLEAN)",  # no award records in the store yet
        "undated_grant": "_inv AND _status = 'in_force' AND _grant_seen IS NULL",
        "undated_lapse": ("CASE WHEN _inv AND _status = 'lapsed' THEN coalesce(_grant_seen <= $as_of, FALSE) "
                          "AND _lapse_on IS NULL ELSE FALSE END"),
        "unknown_status": ("CASE WHEN _inv AND _status IS NULL THEN coalesce(_grant_seen <= $as_of, FALSE) "
                           "ELSE FALSE END"),
    }


def high_value_sql(d: Dialect = DUCKDB) -> str:
    """A valid invention meeting any criterion the data can judge; over the columns of both stages,
    the criteria written out so that they are evaluated for the valid inventions only."""
    return (f"CASE WHEN valid THEN coalesce({d.length('_sei_codes')} > 0, FALSE) OR coalesce(_overseas, FALSE) "
            "OR _filing < $maintained_cutoff ELSE FALSE END")


def date_params(as_of: dt.date, data_date: dt.date, rules: dict[str, Any], hv: dict[str, Any]) -> dict[str, Any]:
    """The dates the facts compare with: the statistics date, the data date, and the filing-date
    cutoffs of the term (filed after it: still within term) and of "maintained > N years" (filed before it)."""
    return {"as_of": as_of, "data_date": data_date,
            "term_cutoff": _add_years(as_of, -int(rules["invention_term_years"])),
            "maintained_cutoff": _add_years(as_of, -int(hv["maintained_years_more_than"]))}


def facts_from(rules: dict[str, Any], hv_rules: dict[str, Any], where: str, columns: str = "p.*",
               evidence: bool = True, names: tuple[str, ...] | None = None, *, joins: str = "",
               dialect: Dialect = DUCKDB) -> str:
    """A subquery of patents matching ``where``: ``columns``, their facts and ``high_value``.

    Facts (parameters from :func:`date_params`): ``invention``, ``valid``, ``granted`` (an
    invention granted by the statistics date), ``refused``,
    ``lapse_date``, ``undated_grant``, ``undated_lapse``, ``unknown_status`` and the five criteria
    (TRUE met, FALSE not met, NULL not judged); ``names`` keeps only some. ``evidence=False``
    leaves out the status changes (for a store that has none); ``joins`` adds tables for
    ``columns`` to read; ``dialect`` spells it for another engine (Spark SQL). Three stages: the
    row's columns, the facts, high-value.

    >>> facts_from(rules, hv_rules, "p.first_applicant_city_code = $region")  # doctest: +SKIP
    """
    keep = None if names is None else {*names, "valid", *CRITERIA}
    join = (f"LEFT JOIN {EVIDENCE_SQL} ev USING (application_number)" if evidence
            else f"CROSS JOIN {NO_EVIDENCE_SQL} ev")
    one = _stage_one(rules, evidence, dialect)
    two = ", ".join(f"{sql} AS {name}" for name, sql in _stage_two(dialect).items() if keep is None or name in keep)
    internal = ", ".join(one)
    return (f"(SELECT {dialect.all_but(internal)}, {high_value_sql(dialect)} AS high_value FROM (SELECT *, {two} "
            f"FROM (SELECT {columns}, {', '.join(f'{sql} AS {n}' for n, sql in one.items())} "
            f"FROM patents p {join}{' ' + joins if joins else ''} WHERE {where})))")


def has_status_changes(conn: duckdb.DuckDBPyConnection) -> bool:
    """Whether any import has recorded a change of status (dated evidence for the facts)."""
    return bool(conn.execute("SELECT EXISTS (SELECT 1 FROM status_changes)").fetchall()[0][0])


def named_params(sql: str, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters a query uses (DuckDB rejects extra named parameters)."""
    used = set(re.findall(r"\$(\w+)", sql))
    return {k: v for k, v in params.items() if k in used}


# --------------------------------------------------------------------------- statistics dates


# (earliest filing date, data date); SQL both DuckDB and Spark run (legal_events: the store's view)
DATA_DATES_SQL = ("SELECT min(filing_date), greatest(max(filing_date), max(publication_date), max(grant_date), "
                  "(SELECT max(event_date) FROM legal_events), (SELECT max(observed_on) FROM status_changes)) "
                  "FROM patents")


def data_dates(conn: duckdb.DuckDBPyConnection) -> tuple[dt.date | None, dt.date | None]:
    """(earliest filing date, the data date: the latest dated fact) of the store.

    The data date is the latest filing, publication, grant, legal-event or status-change date:
    the current statuses describe the patents as of (about) then.
    """
    row = conn.execute(DATA_DATES_SQL).fetchone()
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
        raise UsageError(message("err_param_not_date", name=what, value=repr(value)), field=what) from None


def statistics_dates(conn: duckdb.DuckDBPyConnection, as_of: str | dt.date | None,
                     today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """(statistics date, data date): ``as_of`` checked against the store, default the data date."""
    return checked_dates(*data_dates(conn), as_of, today)


def checked_dates(first: dt.date | None, data_date: dt.date | None, as_of: str | dt.date | None,
                  today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """(statistics date, data date) of data whose earliest filing is ``first``: ``as_of`` checked."""
    if first is None or data_date is None:
        raise UsageError(message("err_no_dated_patents"))
    if as_of is None or as_of == "":
        return data_date, data_date
    date = parse_date(as_of)
    if date > (today or dt.date.today()):
        raise UsageError(message("err_as_of_future", date=date, data_date=data_date), field="as_of")
    if date < first:
        raise UsageError(message("err_as_of_before_data", date=date, first=first), field="as_of")
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
        raise UsageError(message("err_bad_appno", number=repr(application_number), reason=exc.reason)) from None
    date, data_date = statistics_dates(conn, as_of)
    rules, hv = load_counting_rules(conn), load_rule_set(conn, "high_value")
    sql = f"SELECT * FROM {facts_from(rules, hv, 'p.application_number = $number')} f"
    cursor = conn.execute(sql, named_params(sql, {"number": key, **date_params(date, data_date, rules, hv)}))
    rows = cursor.fetchall()
    if not rows:
        raise NotFoundError(message("err_patent_not_in_store", number=key))
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
        "rule_set": {"name": hv["name"], "version": hv["version"], "source": rule_source(hv)},
    }


def _valid_reason(fact: dict[str, Any], as_of: dt.date, term: int) -> Message:
    filing, status = fact["filing_date"], fact["status_text"] or fact["status"]
    if fact["patent_type"] != "invention":
        return message("hv_not_invention", kind=word(fact["patent_type"]))
    if fact["valid"]:
        if fact["grant_date"]:
            return message("hv_valid_granted", grant=fact["grant_date"], as_of=as_of, term=term, filing=filing)
        return message("hv_valid_undated", as_of=as_of, term=term, filing=filing)
    if fact["status"] is None:
        return message("hv_status_unknown")
    if filing and as_of >= _add_years(filing, term):
        return message("hv_term_ended", term=term, filing=filing, as_of=as_of)
    if fact["grant_date"] is None and fact["status"] != "in_force":
        return message("hv_not_granted", status=status)
    if fact["grant_date"] is not None and fact["grant_date"] > as_of:
        return message("hv_granted_after", grant=fact["grant_date"], as_of=as_of)
    if fact["status"] == "in_force":
        return message("hv_undated_before_data", as_of=as_of)
    if fact["lapse_date"] is not None:
        return message("hv_lapsed_on", lapse=fact["lapse_date"], status=fact["status_text"], as_of=as_of)
    return message("hv_lapsed_undated", status=fact["status_text"], as_of=as_of)


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _criteria(fact: dict[str, Any], hv: dict[str, Any], as_of: dt.date) -> list[dict[str, Any]]:
    reasons = {
        "strategic_emerging_industry": _sei_reason(fact),
        "overseas_family": message({True: "hv_family_abroad", False: "hv_no_family_abroad",
                                    None: "hv_family_abroad_unknown"}[fact["c_overseas"]]),
        "maintained_over_10_years": _maintained_reason(fact, hv, as_of),
        "high_pledge_amount": message("hv_no_pledges", threshold=f"{hv['pledge_amount_threshold_yuan']:,}",
                                      version=hv["version"]),
        "award": message("hv_no_awards", awards=joined([rule_text(a) for a in hv["awards"]])),
    }
    results = []
    for spec, column in zip(hv["criteria"], CRITERIA, strict=True):
        value, reason = fact[column], reasons[spec["key"]]
        if column == "c_maintained" and value and not fact["valid"]:  # maintained = still valid
            value, reason = False, message("hv_maintained_but_not_valid", reason=reason)
        result = "not_judged" if value is None else "met" if value else "not_met"
        results.append({**spec, "result": result, "reason": reason})
    return results


def _sei_reason(fact: dict[str, Any]) -> Message:
    if fact["c_sei"]:
        return message("hv_sei", codes=", ".join(fact["sei_codes"]))
    if fact["c_sei"] is False:
        return message("hv_no_sei")
    if fact.get("sei_judged") is False:
        return message("hv_sei_not_judged")
    return message("hv_sei_not_assigned")


def _maintained_reason(fact: dict[str, Any], hv: dict[str, Any], as_of: dt.date) -> Message:
    years = (as_of - fact["filing_date"]).days / 365.25 if fact["filing_date"] else None
    if years is None:
        return message("hv_no_filing_date")
    limit = hv["maintained_years_more_than"]
    return message("hv_maintained", filing=fact["filing_date"], years=f"{years:.1f}", as_of=as_of, limit=limit)
