"""Early warnings (预警) for every enterprise with custody, as of a date, and the job that sends them.

Six rules, each a set-based query over all enterprises at once:

    fee_due        an unpaid fee due within 90 days; one warning per stage (90, 30, 7 days left)
    fee_grace      a fee in its grace period; one warning per month of it (the late fee rises monthly)
    fee_lapsed     grace period over, nothing paid or seen: presumed terminated as of the due date
    status_change  a custody patent's legal status changed in an import observed since custody began
    term_end       a custody patent in force whose term ends within 90 days
    watch          a patent imported after the watch was set matching a watched IPC prefix or keyword,
                   or (facts.rule saved_search) a saved search of one of the enterprise's users

A warning's key says what it is about (``fee_due:{enterprise}:{application}:{year}:{stage}``…), so
running the job again never makes the same warning twice. Every warning explains itself: ``facts``
(JSON) with the rule, the rule set's version and source, the dates, amounts and what the platform
did not know; its title and body are said from them in the reader's language
(:mod:`patentatlas.domain.warning_text`, the catalogues' words), never stored as prose.

The fee rules follow :mod:`patentatlas.domain.payments` exactly (the states of
:func:`patentatlas.domain.fees.fee_state`, written in SQL by :mod:`patentatlas.domain.fee_sql`,
stopping after a lapsed year) but compute only the years that can warn, and compute each
distinct (type, filing date, grant date, reduction, last seen) once: a million-patent store has a
few thousand of those.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from typing import Any

import duckdb
import pyarrow as pa

from patentatlas.delivery.mail import MailSettings
from patentatlas.domain.accounts import now as utc_now
from patentatlas.domain.fee_sql import fee_bearing_sql, fee_state_sql, term_end_sql, term_years_sql
from patentatlas.domain.fees import (
    fee_for_year,
    fee_rules,
    first_annual_fee_year,
    grace_month,
    patent_year_on,
    term_years,
    unknown_notes,
)
from patentatlas.domain.outbox import deliver_pending, enqueue_deliveries
from patentatlas.domain.warning_text import PATENT_TITLE, with_text
from patentatlas.errors import NotFoundError
from patentatlas.i18n import message
from patentatlas.search.saved import SAVED_SEARCH_WARNINGS
from patentatlas.store import transaction

RULES = ("fee_due", "fee_grace", "fee_lapsed", "status_change", "term_end", "watch")
FEE_DUE_STAGES = (7, 30, 90)  # days before the due date: the smallest stage not below the days left
TERM_END_DAYS = 90
NEVER = dt.date(1, 1, 1)  # stands for "never seen in force" in join keys (NULL never equals NULL)
JOB = "alerts"

# --------------------------------------------------------------------------- fee rows, computed in Python

_FEE_SCHEMA = pa.schema([
    ("patent_type", pa.string()), ("filing_date", pa.date32()), ("grant_date", pa.date32()),
    ("reduction", pa.string()), ("seen_on", pa.date32()), ("patent_year", pa.int32()),
    ("period_start", pa.date32()), ("due_date", pa.date32()), ("full_amount", pa.int32()),
    ("amount", pa.int32()), ("reduced", pa.bool_()), ("grace_period_end", pa.date32()),
    ("late_fee", pa.int32()), ("grace_month", pa.int32()), ("late_fee_percent", pa.int32()),
    ("provisional", pa.bool_()), ("unknowns", pa.string()),
])


def _window(patent_type: str, filing: dt.date, grant: dt.date | None, seen_on: dt.date | None, as_of: dt.date,
            rules: dict[str, Any]) -> range:
    """The patent years that can warn: not settled by the last sighting in force (a year ending a
    year before it had its grace period end before it; one year of margin covers holiday shifts),
    and starting no later than the last fee_due stage after ``as_of``."""
    first = first_annual_fee_year(filing, grant)  # the grant year's fee is paid with the registration
    low = max(first, patent_year_on(filing, seen_on) - 1) if seen_on else first
    high = min(term_years(patent_type, filing, rules),
               patent_year_on(filing, as_of + dt.timedelta(days=max(FEE_DUE_STAGES))))
    return range(low, high + 1)


def _fee_rows(profiles: list[tuple[Any, ...]], as_of: dt.date, rules: dict[str, Any]) -> pa.Table:
    columns: dict[str, list[Any]] = {name: [] for name in _FEE_SCHEMA.names}
    percents = rules["late_fee_percent_by_month"]
    for patent_type, filing, grant, reduction, seen_on in profiles:
        seen = None if seen_on == NEVER else seen_on
        for year in _window(patent_type, filing, grant, seen, as_of, rules):
            fee = fee_for_year(filing, patent_type, grant, year, as_of, reduction or None, rules)
            month = grace_month(fee.due_date, as_of, rules)
            notes = unknown_notes(fee.unknowns)
            row = {"patent_type": patent_type, "filing_date": filing, "grant_date": grant, "reduction": reduction,
                   "seen_on": seen_on, "patent_year": year, "period_start": fee.period_start,
                   "due_date": fee.due_date, "full_amount": fee.full_amount, "amount": fee.amount,
                   "reduced": fee.reduced, "grace_period_end": fee.grace_period_end, "late_fee": fee.late_fee,
                   "grace_month": month, "late_fee_percent": int(percents[month - 1]) if month else None,
                   "provisional": fee.provisional, "unknowns": json.dumps(notes, ensure_ascii=False)}
            for name, value in row.items():
                columns[name].append(value)
    return pa.table({f.name: pa.array(columns[f.name], type=f.type) for f in _FEE_SCHEMA}, schema=_FEE_SCHEMA)


# --------------------------------------------------------------------------- fee states, set-based

_FEEABLE = """
CREATE OR REPLACE TEMP TABLE alert_feeable AS
SELECT c.enterprise_id, e.fee_reduction AS reduction, p.application_number, p.patent_type, p.filing_date,
       p.grant_date, b.observed_on AS seen_on
FROM custody c JOIN enterprises e USING (enterprise_id) JOIN patents p USING (application_number)
LEFT JOIN import_batches b ON b.batch_id = p.last_batch_id
WHERE """ + fee_bearing_sql() + """
  AND p.patent_type IN (SELECT unnest($types))
"""

_PROFILES = """
SELECT DISTINCT patent_type, filing_date, grant_date, coalesce(reduction, ''), coalesce(seen_on, $never)
FROM alert_feeable
"""

# the states of fees.fee_state; a year paid by hand is 'paid' even when it was also seen
_FEE_STATES = f"""
CREATE OR REPLACE TEMP TABLE alert_fees AS
SELECT a.enterprise_id, a.application_number, a.patent_type, a.reduction, a.seen_on,
       f.patent_year, f.period_start, f.due_date, f.full_amount, f.amount, f.reduced, f.grace_period_end,
       f.late_fee, f.grace_month, f.late_fee_percent, f.provisional, f.unknowns,
       f.due_date - $as_of AS days_left,
       a.grant_date IS NOT NULL AS grant_date_known,
       CASE a.reduction WHEN 'single' THEN $single_percent WHEN 'joint' THEN $joint_percent END AS reduction_percent,
       {fee_state_sql("f.due_date", "f.grace_period_end", "$as_of", "pay.application_number IS NOT NULL",
                      "a.seen_on")} AS state
FROM alert_feeable a
JOIN alert_fee_rows f ON f.patent_type = a.patent_type AND f.filing_date = a.filing_date
     AND f.grant_date IS NOT DISTINCT FROM a.grant_date AND f.reduction = coalesce(a.reduction, '')
     AND f.seen_on = coalesce(a.seen_on, $never)
LEFT JOIN enterprise_paid_fees pay ON pay.enterprise_id = a.enterprise_id
     AND pay.application_number = a.application_number AND pay.patent_year = f.patent_year
"""

# payments.patent_fee_states stops after a lapsed year: nothing after it is due
_OPEN_FEES = """
CREATE OR REPLACE TEMP TABLE alert_open_fees AS
SELECT * FROM alert_fees WHERE state IN ('upcoming', 'grace', 'lapsed')
QUALIFY patent_year <= coalesce(min(CASE WHEN state = 'lapsed' THEN patent_year END)
                                OVER (PARTITION BY enterprise_id, application_number), patent_year)
"""


def _fee_states(conn: duckdb.DuckDBPyConnection, as_of: dt.date, rules: dict[str, Any]) -> int:
    """Fill ``alert_open_fees`` with the fees that can warn; return how many fee states were computed."""
    conn.execute(_FEEABLE, {"types": sorted(rules["term_years"])})
    profiles = conn.execute(_PROFILES, {"never": NEVER}).fetchall()
    conn.register("alert_fee_rows", _fee_rows(profiles, as_of, rules))
    try:
        cut = rules["reduction"]
        conn.execute(_FEE_STATES, {"as_of": as_of, "never": NEVER, "single_percent": cut["single_applicant_percent"],
                                   "joint_percent": cut["joint_applicants_percent"]})
    finally:
        conn.unregister("alert_fee_rows")
    conn.execute(_OPEN_FEES)
    return int(conn.execute("SELECT count(*) FROM alert_fees").fetchall()[0][0])


# --------------------------------------------------------------------------- the rules' warnings

_CANDIDATES = """
CREATE OR REPLACE TEMP TABLE alert_candidates (
    warning_key VARCHAR, enterprise_id INTEGER, application_number VARCHAR, rule VARCHAR, severity VARCHAR,
    facts JSON)
"""

_FEE_FACTS = """
json_object('rule', $rule, 'rules', $rules::JSON, 'as_of', $as_of, 'application_number', application_number,
            'patent_type', patent_type, 'patent_year', patent_year, 'period_start', period_start,
            'due_date', due_date, 'days_left', days_left, 'amount', amount, 'full_amount', full_amount,
            'reduced', reduced, 'reduction', reduction, 'reduction_percent', reduction_percent,
            'grace_period_end', grace_period_end, 'late_fee', late_fee, 'provisional', provisional,
            'payment_recorded', false, 'last_seen_in_force', seen_on, 'grant_date_known', grant_date_known,
            'unknowns', unknowns::JSON, 'reduction_years', $reduction_years)
"""

_FEE_DUE = f"""
INSERT INTO alert_candidates
SELECT format('fee_due:{{}}:{{}}:{{}}:{{}}', enterprise_id, application_number, patent_year, stage),
       enterprise_id, application_number, $rule,
       CASE WHEN stage <= 7 THEN 'critical' WHEN stage <= 30 THEN 'warning' ELSE 'info' END,
       json_merge_patch({_FEE_FACTS}, json_object('stage_days', stage))
FROM (SELECT *, list_filter($stages, lambda s: s >= days_left)[1] AS stage FROM alert_open_fees
      WHERE state = 'upcoming' AND days_left <= list_max($stages))
"""

_FEE_GRACE = f"""
INSERT INTO alert_candidates
SELECT format('fee_grace:{{}}:{{}}:{{}}:m{{}}', enterprise_id, application_number, patent_year, grace_month),
       enterprise_id, application_number, $rule, 'critical',
       json_merge_patch({_FEE_FACTS}, json_object('grace_month', grace_month, 'late_fee_percent', late_fee_percent,
                                                  'total_due_today', amount + late_fee))
FROM alert_open_fees WHERE state = 'grace'
"""

_FEE_LAPSED = f"""
INSERT INTO alert_candidates
SELECT format('fee_lapsed:{{}}:{{}}:{{}}', enterprise_id, application_number, patent_year),
       enterprise_id, application_number, $rule, 'critical',
       json_merge_patch({_FEE_FACTS}, json_object('presumed', true, 'terminated_as_of', due_date,
                                                  'restoration_fee', $restoration_fee))
FROM alert_open_fees WHERE state = 'lapsed'
"""

_STATUS_CHANGE = """
INSERT INTO alert_candidates
SELECT format('status:{}:{}:{}', c.enterprise_id, s.application_number, s.batch_id),
       c.enterprise_id, s.application_number, $rule,
       CASE s.new_status WHEN 'lapsed' THEN 'critical' WHEN 'in_force' THEN 'info' ELSE 'warning' END,
       json_object('rule', $rule, 'as_of', $as_of, 'application_number', s.application_number,
                   'old_status', s.old_status, 'new_status', s.new_status, 'old_status_text', s.old_status_text,
                   'new_status_text', s.new_status_text, 'observed_on', s.observed_on, 'batch_id', s.batch_id,
                   'file', b.file, 'in_custody_since', CAST(c.added_at AS DATE))
FROM status_changes s JOIN custody c USING (application_number) JOIN patents p USING (application_number)
JOIN import_batches b ON b.batch_id = s.batch_id
WHERE s.observed_on >= CAST(c.added_at AS DATE) AND s.observed_on <= $as_of
QUALIFY row_number() OVER (PARTITION BY c.enterprise_id, s.application_number, s.batch_id
                           ORDER BY s.new_status, s.new_status_text) = 1  -- one warning per patent and batch
"""


def _term_end_sql(rules: dict[str, Any]) -> str:
    """The term_end rule's query, the term written by :mod:`patentatlas.domain.fee_sql` from the rule set."""
    return f"""
INSERT INTO alert_candidates
SELECT format('term_end:{{}}:{{}}', enterprise_id, application_number), enterprise_id, application_number, $rule,
       'warning',
       json_object('rule', $rule, 'rules', $rules::JSON, 'as_of', $as_of, 'application_number', application_number,
                   'patent_type', patent_type, 'filing_date', filing_date, 'term_years', term,
                   'term_ends_on', ends_on, 'days_left', ends_on - $as_of)
FROM (SELECT c.enterprise_id, p.application_number, p.patent_type, p.filing_date, {term_years_sql(rules)} AS term,
             {term_end_sql(rules)} AS ends_on
      FROM custody c JOIN patents p USING (application_number)
      WHERE {fee_bearing_sql()})
WHERE ends_on BETWEEN $as_of AND $as_of + $days
"""


# an IPC watch is a prefix; a main group's "/00" covers all its subgroups ("G06F3/00" → "G06F3/")
_WATCH = """
INSERT INTO alert_candidates
WITH watchers AS (SELECT enterprise_id, watch_since, watch_ipc, watch_keywords FROM enterprises
                  WHERE watch_since IS NOT NULL AND len(watch_ipc) + len(watch_keywords) > 0),
fresh AS (SELECT p.application_number, p.ipc_codes, p.title_zh, p.title_en, p.filing_date, p.applicant_names,
                 b.batch_id, b.started_at,
                 lower(concat_ws(' ', p.title_zh, p.title_en, p.abstract_zh, p.abstract_en)) AS text
          FROM patents p JOIN import_batches b ON b.batch_id = p.first_batch_id
          WHERE b.started_at > (SELECT min(watch_since) FROM watchers)),
ipc_hits AS (SELECT w.enterprise_id, f.application_number, w.watched
             FROM (SELECT enterprise_id, watch_since, unnest(watch_ipc) AS watched FROM watchers) w
             JOIN (SELECT application_number, started_at, unnest(ipc_codes) AS code FROM fresh) f
               ON left(f.code, 3) = left(w.watched, 3)  -- the class: a hash join, then the prefix
              AND starts_with(f.code, regexp_replace(w.watched, '/00$', '/')) AND f.started_at > w.watch_since),
keyword_hits AS (SELECT w.enterprise_id, f.application_number, w.watched
                 FROM (SELECT enterprise_id, watch_since, unnest(watch_keywords) AS watched FROM watchers) w
                 JOIN fresh f ON contains(f.text, lower(w.watched)) AND f.started_at > w.watch_since),
hits AS (SELECT enterprise_id, application_number,
                coalesce(list_sort(list_distinct(list(watched) FILTER (WHERE kind = 'ipc'))), []) AS ipc,
                coalesce(list_sort(list_distinct(list(watched) FILTER (WHERE kind = 'keyword'))), []) AS keywords
         FROM (SELECT *, 'ipc' AS kind FROM ipc_hits UNION ALL SELECT *, 'keyword' FROM keyword_hits)
         GROUP BY ALL)
SELECT format('watch:{}:{}', h.enterprise_id, h.application_number), h.enterprise_id, h.application_number, $rule,
       'info',
       json_object('rule', $rule, 'as_of', $as_of, 'application_number', h.application_number,
                   'matched_ipc', h.ipc, 'matched_keywords', h.keywords, 'ipc_codes', f.ipc_codes,
                   'applicants', f.applicant_names, 'filing_date', f.filing_date, 'batch_id', f.batch_id,
                   'first_imported_at', f.started_at, 'watch_since', e.watch_since)
FROM hits h JOIN fresh f USING (application_number) JOIN enterprises e USING (enterprise_id)
WHERE NOT EXISTS (SELECT 1 FROM custody c
                  WHERE c.enterprise_id = h.enterprise_id AND c.application_number = h.application_number)
"""


def _rule_values(rules: dict[str, Any], as_of: dt.date) -> dict[str, Any]:
    """Every value a rule's query may name (``$as_of``…); each query binds those it names."""
    return {
        "as_of": as_of, "stages": list(FEE_DUE_STAGES), "days": TERM_END_DAYS,
        "rules": json.dumps({k: rules[k] for k in ("name", "version", "source")}, ensure_ascii=False),
        "reduction_years": rules["reduction"]["years_from_grant_year"],
        "restoration_fee": rules["restoration_fee"],
    }


def _bound(sql: str, values: dict[str, Any]) -> dict[str, Any]:
    """The values ``sql`` names (DuckDB refuses unused named parameters)."""
    return {name: values[name] for name in set(re.findall(r"\$(\w+)", sql))}


def _rule_sql(rules: dict[str, Any]) -> dict[str, str]:
    """Each rule's query; ``saved_search`` is counted as watch warnings (its rows say rule 'watch')."""
    return {"fee_due": _FEE_DUE, "fee_grace": _FEE_GRACE, "fee_lapsed": _FEE_LAPSED,
            "status_change": _STATUS_CHANGE, "term_end": _term_end_sql(rules), "watch": _WATCH,
            "saved_search": SAVED_SEARCH_WARNINGS}

# keys are unique within a run (each rule's query makes one row per key); the anti-join keeps the
# stored ones out: ON CONFLICT DO NOTHING would do the same at twice the cost (5.7 s instead of
# 2.6 s for 200,000 new warnings), and a key that slipped past would fail the run, never duplicate
_NEW = ("CREATE OR REPLACE TEMP TABLE alert_new AS SELECT * FROM alert_candidates ANTI JOIN warnings "
        "USING (warning_key) WHERE enterprise_id IN (SELECT enterprise_id FROM enterprises WHERE status = 'verified')")

_INSERT = """
INSERT INTO warnings (warning_key, enterprise_id, application_number, rule, severity, facts, as_of, created_at)
SELECT warning_key, enterprise_id, application_number, rule, severity, facts, $as_of, $at
FROM alert_new
"""


def create_warnings(conn: duckdb.DuckDBPyConnection, as_of: dt.date, at: dt.datetime) -> dict[str, Any]:
    """Run every rule for every enterprise as of ``as_of``; store the warnings not stored yet (created
    at ``at``) with their deliveries, in one transaction. Returns the new warnings by rule and the
    number of fee states computed."""
    try:
        with transaction(conn):
            rules = fee_rules(conn)
            fee_states = _fee_states(conn, as_of, rules)
            conn.execute(_CANDIDATES)
            values = _rule_values(rules, as_of)
            for rule, sql in _rule_sql(rules).items():
                conn.execute(sql, _bound(sql, values | {"rule": rule}))
            conn.execute(_NEW)
            conn.execute(_INSERT, {"as_of": as_of, "at": at})
            counts = dict(conn.execute("SELECT rule, count(*) FROM alert_new GROUP BY rule").fetchall())
            enqueue_deliveries(conn, at)
    finally:
        _drop_temp(conn)
    return {"created": {rule: int(counts.get(rule, 0)) for rule in RULES}, "fee_states": fee_states}


def _drop_temp(conn: duckdb.DuckDBPyConnection) -> None:
    for table in ("alert_feeable", "alert_fees", "alert_open_fees", "alert_candidates", "alert_new"):
        conn.execute(f"DROP TABLE IF EXISTS temp.{table}")


# --------------------------------------------------------------------------- the job


def run_alerts(conn: duckdb.DuckDBPyConnection, as_of: dt.date, mail: MailSettings | None,
               now: dt.datetime | None = None) -> dict[str, Any]:
    """The daily job: every rule for every enterprise, then every delivery due; recorded in ``job_runs``.
    ``now`` (UTC, naive) is when the job acts: its warnings' creation time and the delivery clock."""
    at = now or utc_now()
    started = time.perf_counter()
    made = create_warnings(conn, as_of, at)
    deliveries = deliver_pending(conn, mail, at)
    summary = {"job": JOB, "as_of": as_of.isoformat(), "warnings": made["created"],
               "created": sum(made["created"].values()), "fee_states": made["fee_states"],
               "enterprises": int(conn.execute("SELECT count(DISTINCT enterprise_id) FROM custody").fetchall()[0][0]),
               "deliveries": deliveries, "seconds": round(time.perf_counter() - started, 3)}
    conn.execute("INSERT INTO job_runs (job, as_of, started_at, finished_at, summary) VALUES (?, ?, ?, ?, ?)",
                 [JOB, as_of, at, at + dt.timedelta(seconds=summary["seconds"]), json.dumps(summary)])
    return summary


def ran_on(conn: duckdb.DuckDBPyConnection, as_of: dt.date) -> bool:
    """Whether the job has run for ``as_of``."""
    rows = conn.execute("SELECT count(*) FROM job_runs WHERE job = ? AND as_of = ?", [JOB, as_of]).fetchall()
    return bool(rows[0][0])


# --------------------------------------------------------------------------- the inbox

_INBOX_COLUMNS = ("warning_key", "rule", "severity", "facts", "application_number", "as_of", "created_at", "read_at",
                  "resolved_at", "resolved_reason", "patent_title")


def inbox(conn: duckdb.DuckDBPyConnection, enterprise_id: int, unread_only: bool = False,
          limit: int = 200) -> list[dict[str, Any]]:
    """An enterprise's warnings, newest first (the most severe first within a run), each with its
    title and body (:func:`with_text`); a resolved one (its fee paid) carries when and why in
    ``resolved_at`` and ``resolved_reason``."""
    rows = conn.execute(
        f"SELECT {', '.join(_INBOX_COLUMNS[:-1])}, {PATENT_TITLE} FROM warnings w "
        "WHERE enterprise_id = ? AND (NOT ? OR read_at IS NULL) "
        "ORDER BY created_at DESC, CASE severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, "
        "warning_key LIMIT ?", [enterprise_id, unread_only, limit]).fetchall()
    return [with_text(dict(zip(_INBOX_COLUMNS, r, strict=True)) | {"facts": json.loads(r[3])}) for r in rows]


def unread_count(conn: duckdb.DuckDBPyConnection, enterprise_id: int) -> int:
    """How many of the enterprise's warnings are unread (all of them, not one page of the inbox)."""
    rows = conn.execute("SELECT count(*) FROM warnings WHERE enterprise_id = ? AND read_at IS NULL "
                        "AND resolved_at IS NULL",
                        [enterprise_id]).fetchall()
    return int(rows[0][0])


def mark_read(conn: duckdb.DuckDBPyConnection, enterprise_id: int, warning_key: str) -> None:
    """Mark one of the enterprise's warnings read; another enterprise's key is not found."""
    found = conn.execute("UPDATE warnings SET read_at = coalesce(read_at, ?) WHERE enterprise_id = ? "
                         "AND warning_key = ? RETURNING warning_key",
                         [utc_now(), enterprise_id, warning_key]).fetchall()
    if not found:
        raise NotFoundError(message("err_no_warning", key=repr(warning_key)))
