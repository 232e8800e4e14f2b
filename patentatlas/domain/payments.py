"""Fee payments and the state of every annual fee of a portfolio (REFERENCE §3, issue 4).

A fee is unpaid from its due date until it is marked paid (by hand or from a payment list).
A patent that an import still shows in force after a fee's grace period ended settles that fee
as paid: its office must have received it. Each year of a granted patent in force is therefore
(:func:`patentatlas.domain.fees.fee_state`, the one vocabulary of the enterprise and government ends)

    paid      a payment is recorded
    settled   an import observed after the grace period ended still showed the patent in force
    upcoming  due today or later
    grace     due date passed, grace period running: paying today adds the late fee shown
    lapsed    grace period over, nothing paid or seen: the patent terminates as of the due date

A payment belongs to the enterprise that recorded it (by hand or from its payment list), for a
patent in its custody: it counts for that enterprise's fees only, and no other enterprise reads,
replaces or removes it. Rows of enterprise 0 are public facts (an office's own list) and count
for every enterprise.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import IO, Any

import duckdb

from patentatlas.beijing_time import beijing_today
from patentatlas.domain.accounts import audit, now
from patentatlas.domain.enterprises import get_enterprise, require_verified
from patentatlas.domain.fees import (
    LAPSED,
    SETTLED,
    FeeDue,
    fee_for_year,
    fee_rules,
    fee_state,
    first_annual_fee_year,
    no_fee_reason,
    term_years,
)
from patentatlas.errors import About, FieldError, InputFileError, NotFoundError, UsageError, about
from patentatlas.i18n import Message, message, message_json, word
from patentatlas.normalize.appno import normalize_application_number
from patentatlas.normalize.dates import parse_date
from patentatlas.store import scalar, transaction


@dataclass(frozen=True)
class FeeState:
    """One patent year's fee with where it stands as of a date."""

    application_number: str
    title: str | None
    patent_type: str
    fee: FeeDue
    state: str
    days_left: int  # until the due date (negative once passed)
    payment: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        """The row as shown; a paid row shows what was paid (amount, late fee, date, receipt), never
        the fee as computed today: a later reduction declaration or late fee does not rewrite it."""
        # shallow: asdict() would deep-copy the fee only to drop it (a calendar has thousands of rows)
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "fee"} | self.fee.to_dict()
        out["payment"] = dict(self.payment) if self.payment is not None else None
        if self.state == "paid" and self.payment and self.payment.get("amount") is not None:
            paid = self.payment
            out |= {"amount": paid["amount"], "late_fee": paid.get("late_fee") or 0,
                    "reduced": paid["amount"] < self.fee.full_amount}
        return out


# --------------------------------------------------------------------------- when a patent was seen


def seen_in_force(conn: duckdb.DuckDBPyConnection, numbers: list[str]) -> dict[str, dt.date]:
    """The date each patent was last observed in force: when the data of its last import was taken."""
    rows = conn.execute(
        "SELECT p.application_number, b.observed_on FROM patents p "
        "JOIN import_batches b ON b.batch_id = p.last_batch_id "
        "WHERE p.status = 'in_force' AND p.application_number IN (SELECT unnest(?))", [numbers]).fetchall()
    return {k: d for k, d in rows if d is not None}


PUBLIC = 0  # fee_payments.enterprise_id of a public fact, which counts for every enterprise


def _payments(conn: duckdb.DuckDBPyConnection, enterprise_id: int,
              numbers: list[str]) -> dict[tuple[str, int], dict[str, Any]]:
    """The enterprise's own payment records and the public facts (its own win where both exist)."""
    rows = conn.execute("SELECT application_number, patent_year, paid_on, amount, receipt_number, source, late_fee "
                        "FROM fee_payments WHERE enterprise_id IN (?, ?) AND application_number IN (SELECT unnest(?)) "
                        "ORDER BY enterprise_id = ?", [PUBLIC, enterprise_id, numbers, enterprise_id]).fetchall()
    return {(r[0], r[1]): {"paid_on": r[2].isoformat() if r[2] else None, "amount": r[3], "receipt_number": r[4],
                           "source": r[5], "late_fee": r[6]} for r in rows}


# --------------------------------------------------------------------------- fee states


def patent_fee_states(patent: dict[str, Any], as_of: dt.date, reduction: str | None,
                      payments: dict[tuple[str, int], dict[str, Any]], seen_on: dt.date | None,
                      rules: dict[str, Any] | None = None) -> list[FeeState]:
    """Every open year of one granted patent: from the first year not settled to the end of its term,
    stopping after a lapsed year (nothing after it is due)."""
    rules = rules or fee_rules()
    key, filing, grant = patent["application_number"], patent["filing_date"], patent["grant_date"]
    first = first_annual_fee_year(filing, grant)  # the grant year's fee is paid with the registration
    states: list[FeeState] = []
    for year in range(first, term_years(patent["patent_type"], filing, rules) + 1):
        fee = fee_for_year(filing, patent["patent_type"], grant, year, as_of, reduction, rules)
        state = fee_state(fee.due_date, fee.grace_period_end, as_of, (key, year) in payments, seen_on)
        if state == SETTLED:
            continue
        states.append(FeeState(key, patent.get("title"), patent["patent_type"], fee, state,
                               (fee.due_date - as_of).days, payments.get((key, year))))
        if state == LAPSED:
            break
    return states


def _fee_patents(conn: duckdb.DuckDBPyConnection, enterprise_id: int) -> tuple[list[dict[str, Any]], list[dict]]:
    rows = conn.execute(
        "SELECT p.application_number, p.title_zh, p.patent_type, p.filing_date, p.grant_date, p.status, p.country "
        "FROM custody c JOIN patents p USING (application_number) WHERE c.enterprise_id = ? "
        "ORDER BY p.application_number", [enterprise_id]).fetchall()
    keys = ("application_number", "title", "patent_type", "filing_date", "grant_date", "status", "country")
    patents = [dict(zip(keys, r, strict=True)) for r in rows]
    terms = fee_rules(conn)["term_years"]  # once: a query per patent cost a loaded page 180 ms
    feeable = [p for p in patents if not no_fee_reason(p["status"], p["country"], p["filing_date"])
               and p["patent_type"] in terms]
    left = [{"application_number": p["application_number"], "title": p["title"], "reason": _why_no_fees(p)}
            for p in patents if p not in feeable]
    return feeable, left


def _why_no_fees(patent: dict[str, Any]) -> Message:
    reason = no_fee_reason(patent["status"], patent["country"], patent["filing_date"])
    if reason:
        return reason
    kind = patent["patent_type"]
    return message("fee_none_no_rule", patent_type=word(kind))


def enterprise_fee_states(conn: duckdb.DuckDBPyConnection, enterprise_id: int, as_of: dt.date,
                          reduction: str | None = None) -> tuple[list[FeeState], list[dict[str, Any]]]:
    """The open fees of an enterprise's custody portfolio by due date, and the patents that have none."""
    patents, without = _fee_patents(conn, enterprise_id)
    numbers = [p["application_number"] for p in patents]
    payments, seen = _payments(conn, enterprise_id, numbers), seen_in_force(conn, numbers)
    rules = fee_rules(conn)
    states = [s for p in patents
              for s in patent_fee_states(p, as_of, reduction, payments, seen.get(p["application_number"]), rules)]
    states.sort(key=lambda s: (s.fee.due_date, s.application_number))
    return states, without


# --------------------------------------------------------------------------- recording payments


def _custody_key(conn: duckdb.DuckDBPyConnection, enterprise_id: int, number: str, field: str) -> str:
    try:
        key = normalize_application_number(number, field).number
    except FieldError as exc:
        raise UsageError(exc.message) from None
    if not scalar(conn, "SELECT count(*) FROM custody WHERE enterprise_id = ? AND application_number = ?",
                  [enterprise_id, key]):
        raise NotFoundError(about(field, message("err_not_in_custody", number=key)))
    return key


def _yuan(value: Any, field: str, least: int) -> int:
    try:
        amount = int(round(float(str(value).replace(",", "").replace("¥", "").strip())))
    except ValueError:
        raise UsageError(about(field, message("err_not_yuan", value=repr(value)))) from None
    if amount < least:
        raise UsageError(about(field, message("err_yuan_positive" if least else "err_yuan_not_negative")))
    return amount


def _checked_payment(conn: duckdb.DuckDBPyConnection, key: str, patent_year: Any, paid_on: Any,
                     amount: Any) -> tuple[int, dt.date, int]:
    patent_type, filing = conn.execute("SELECT patent_type, filing_date FROM patents WHERE application_number = ?",
                                       [key]).fetchall()[0]
    try:
        year = int(str(patent_year).strip())
    except ValueError:
        raise UsageError(about("patent_year", message("err_whole_number", value=repr(patent_year)))) from None
    rules = fee_rules(conn)
    last = term_years(patent_type, filing, rules) if patent_type in rules["term_years"] else 20
    if not 1 <= year <= last:
        raise UsageError(about("patent_year", message("err_patent_year_range", year=year, last=last,
                                                       patent_type=word(patent_type))))
    try:
        day = parse_date(paid_on, "paid_on")
    except FieldError as exc:
        raise UsageError(exc.message) from None
    if day is None or day > beijing_today():  # a payment made today in Beijing, whatever the server's zone
        raise UsageError(about("paid_on", message("err_not_past_date", value=repr(paid_on))))
    return year, day, _yuan(amount, "amount", 1)


def mark_paid(conn: duckdb.DuckDBPyConnection, enterprise_id: int, number: str, patent_year: Any, paid_on: Any,
              amount: Any, receipt_number: str | None = None, by: int | None = None,
              source: str = "manual", late_fee: Any = None) -> dict[str, Any]:
    """Record one fee as paid by this enterprise, for a patent in its custody (its later record for
    the same year replaces its earlier one; another enterprise's record is never touched). The
    fee's warnings are resolved and their pending deliveries cancelled (:func:`resolve_fee_warnings`).

    >>> mark_paid(conn, 1, "CN201410720504.0", 13, "2026-11-20", 6000, "RC-1", late_fee=300)  # doctest: +SKIP
    {'application_number': 'CN201410720504.0', 'patent_year': 13, …, 'warnings_resolved': 2, …}
    """
    require_verified(get_enterprise(conn, enterprise_id))
    key = _custody_key(conn, enterprise_id, number, "application_number")
    year, day, value = _checked_payment(conn, key, patent_year, paid_on, amount)
    late = _yuan(late_fee, "late_fee", 0) if late_fee not in (None, "") else None
    receipt = (receipt_number or "").strip() or None
    at = now()
    conn.execute("INSERT OR REPLACE INTO fee_payments (enterprise_id, application_number, patent_year, paid_on, "
                 "amount, receipt_number, source, recorded_by, recorded_at, late_fee) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 [enterprise_id, key, year, day, value, receipt, source, by, at, late])
    resolved = resolve_fee_warnings(conn, enterprise_id, key, year, paid_reason(day, value, late, receipt), at)
    audit(conn, by, "fee.paid", key, {"patent_year": year, "paid_on": day.isoformat(), "amount": value,
                                       "late_fee": late, "receipt_number": receipt, "enterprise_id": enterprise_id,
                                       "warnings_resolved": resolved["warnings"],
                                       "deliveries_cancelled": resolved["deliveries"]})
    return {"application_number": key, "patent_year": year, "paid_on": day.isoformat(), "amount": value,
            "late_fee": late, "receipt_number": receipt, "warnings_resolved": resolved["warnings"],
            "deliveries_cancelled": resolved["deliveries"]}


FEE_RULES = ("fee_due", "fee_grace", "fee_lapsed")  # the warnings a payment settles


def paid_reason(day: dt.date, amount: int, late_fee: int | None, receipt: str | None) -> Message:
    """Why a fee warning was resolved: the payment, said in its reader's language.

    >>> from patentatlas.i18n import translate
    >>> reason = paid_reason(dt.date(2026, 8, 4), 2000, 300, None)
    >>> translate(reason, "zh")
    '已缴费：2026-08-04 缴纳年费 2,000 元、滞纳金 300 元'
    >>> str(reason)
    'Paid on 2026-08-04: annual fee 2,000 yuan, late fee 300 yuan'
    """
    msgid = "resolved_paid" + ("_late" if late_fee else "") + ("_receipt" if receipt else "")
    return message(msgid, paid_on=day.isoformat(), amount=f"{amount:,}", late_fee=f"{late_fee or 0:,}",
                   receipt=receipt or "")


def resolve_fee_warnings(conn: duckdb.DuckDBPyConnection, enterprise_id: int, number: str, patent_year: int,
                         reason: Message, at: dt.datetime) -> dict[str, int]:
    """Resolve the enterprise's open fee warnings of one patent year (read, with when and why: the
    reason's msgid and arguments, :func:`i18n.message_json`, said per reader) and cancel their
    deliveries not sent yet; return how many of each. Keys are
    ``{rule}:{enterprise}:{application}:{year}[:{stage}]``, so the year is the key's fourth part."""
    keys = [k for (k,) in conn.execute(
        "UPDATE warnings SET resolved_at = ?, resolved_reason = ?, read_at = coalesce(read_at, ?) "
        "WHERE enterprise_id = ? AND application_number = ? AND rule IN (SELECT unnest(?)) "
        "AND split_part(warning_key, ':', 4) = ? AND resolved_at IS NULL RETURNING warning_key",
        [at, message_json(reason), at, enterprise_id, number, list(FEE_RULES), str(patent_year)]).fetchall()]
    cancelled = conn.execute(
        "UPDATE deliveries SET status = 'cancelled', cancelled_at = ?, next_attempt_at = NULL, "
        "last_error = 'cancelled: ' || ? WHERE status = 'pending' AND warning_key IN (SELECT unnest(?)) "
        "RETURNING warning_key", [at, str(reason), keys]).fetchall() if keys else []
    return {"warnings": len(keys), "deliveries": len(cancelled)}


PAYMENT_HEADERS = {
    "application_number": ("application_number", "申请号"),
    "patent_year": ("patent_year", "年度", "专利年度"),
    "paid_on": ("paid_on", "缴费日", "缴费日期"),
    "amount": ("amount", "金额", "缴费金额"),
    "receipt_number": ("receipt_number", "收据号", "票据号"),
    "late_fee": ("late_fee", "滞纳金"),
}
OPTIONAL_HEADERS = ("receipt_number", "late_fee")


def _encoding(file: IO[bytes], name: str) -> str:
    """UTF-8 (with or without BOM) or GB18030, checked over the whole file in chunks."""
    for encoding in ("utf-8-sig", "gb18030"):
        file.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            while chunk := file.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        file.seek(0)
        return encoding
    raise InputFileError(name, message("err_file_encoding"))


def _csv_rows(file: IO[bytes], name: str) -> Iterator[list[str]]:
    text = io.TextIOWrapper(file, encoding=_encoding(file, name), newline="")
    try:
        yield from csv.reader(text)
    finally:
        text.detach()  # the caller's file stays open


def _columns(header: list[str], name: str) -> dict[str, int]:
    found = {}
    for field, names in PAYMENT_HEADERS.items():
        for i, title in enumerate(header):
            if title.strip() in names:
                found[field] = i
    missing = [f for f in PAYMENT_HEADERS if f not in found and f not in OPTIONAL_HEADERS]
    if missing:
        raise InputFileError(name, message("err_file_columns", missing=", ".join(missing), headers=", ".join(header)))
    return found


def import_payments(conn: duckdb.DuckDBPyConnection, enterprise_id: int, data: bytes | IO[bytes], name: str,
                    by: int | None = None) -> dict[str, Any]:
    """A payment list (CSV: 申请号, 年度, 缴费日, 金额, 收据号), read row by row from a file (or bytes):
    every row recorded for this enterprise or quarantined with its row number, field and reason;
    one import batch, one transaction."""
    require_verified(get_enterprise(conn, enterprise_id))
    file = io.BytesIO(data) if isinstance(data, bytes) else data
    rows = _csv_rows(file, name)
    header = next(rows, None)
    if header is None:
        raise InputFileError(name, message("err_file_empty"))
    columns = _columns(header, name)
    report: dict[str, Any] = {"file": name, "read": 0, "recorded": 0, "quarantined": 0, "rejections": []}
    with transaction(conn):
        batch_id = scalar(conn, "INSERT INTO import_batches (batch_id, file, format, started_at, observed_on, "
                          "enterprise_id) SELECT coalesce(max(batch_id), 0) + 1, ?, 'payments', ?, ?, ? "
                          "FROM import_batches RETURNING batch_id", [name, now(), dt.date.today(), enterprise_id])
        for number, row in enumerate(rows, start=2):
            if not any(cell.strip() for cell in row):
                continue
            report["read"] += 1
            _import_row(conn, enterprise_id, row, columns, by, report, (batch_id, name, number))
        conn.execute("UPDATE import_batches SET finished_at = ?, rows_read = ?, loaded = ?, quarantined = ? "
                     "WHERE batch_id = ?", [now(), report["read"], report["recorded"], report["quarantined"],
                                            batch_id])
    return report


def _import_row(conn: duckdb.DuckDBPyConnection, enterprise_id: int, row: list[str], columns: dict[str, int],
                by: int | None, report: dict[str, Any], where: tuple[int, str, int]) -> None:
    values = {f: (row[i] if i < len(row) else "") for f, i in columns.items()}
    try:
        mark_paid(conn, enterprise_id, values["application_number"], values["patent_year"], values["paid_on"],
                  values["amount"], values.get("receipt_number"), by, source="import",
                  late_fee=values.get("late_fee"))
        report["recorded"] += 1
    except (UsageError, NotFoundError) as exc:
        header = exc.field if exc.field in PAYMENT_HEADERS else "application_number"
        batch_id, name, number = where
        said = exc.message.reason if isinstance(exc.message, About) else exc.message  # without its field's name
        conn.execute("INSERT INTO quarantine (batch_id, file, sheet, row_number, field, reason, reason_said, raw) "
                     "VALUES (?, ?, NULL, ?, ?, ?, ?, ?)",
                     [batch_id, name, number, header, str(said), message_json(said),
                      json.dumps(values, ensure_ascii=False)])
        report["quarantined"] += 1
        report["rejections"].append({"row": number, "field": header, "reason": str(said)})
