"""Patents as users ask for them: one by number, a filtered page, the store's totals.

>>> get_patent(conn, "2020103022578")["application_number"]  # doctest: +SKIP
'CN202010302257.8'
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import duckdb

from patentatlas.domain.placement import placement_of
from patentatlas.domain.quarantine import reason_code
from patentatlas.errors import FieldError, NotFoundError, UsageError
from patentatlas.i18n import message, message_from_json
from patentatlas.normalize.appno import normalize_application_number
from patentatlas.reference.sei import nic_for_sei
from patentatlas.store import scalar

_PARTY_SQL = """
SELECT pp.role, pp.seq, p.name, p.normalized_name, p.kind, p.region_code, p.country,
       p.region_method, p.region_confidence
FROM patent_parties pp JOIN parties p USING (party_id)
WHERE pp.application_number = ? ORDER BY pp.role, pp.seq
"""


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def get_patent(conn: duckdb.DuckDBPyConnection, number: str) -> dict[str, Any]:
    """The patent with this application number (any written form), as plain JSON-ready data."""
    try:
        key = normalize_application_number(number).number
    except FieldError as exc:
        raise UsageError(exc.reason) from None
    cursor = conn.execute("SELECT * FROM patents WHERE application_number = ?", [key])
    rows = cursor.fetchall()
    if not rows:
        raise NotFoundError(message("err_patent_not_in_store", number=key))
    names = [d[0] for d in cursor.description]
    patent = {n: _iso(v) for n, v in zip(names, rows[0], strict=True)}
    for item in patent["publications"] + patent["legal_events"]:
        for k, v in item.items():
            item[k] = _iso(v)
    patent["extra"] = json.loads(patent["extra"]) if patent["extra"] else {}
    patent["nic_codes"] = list(nic_for_sei(tuple(patent.get("sei_codes") or ())))  # GB/T 4754, from the SEI codes
    parties = [dict(zip(("role", "seq", "name", "normalized_name", "kind", "region_code", "country",
                         "region_method", "region_confidence"), r, strict=True))
               for r in conn.execute(_PARTY_SQL, [key]).fetchall()]
    patent["applicants"] = [
        {k: p[k] for k in ("name", "normalized_name", "kind", "region_code", "country",
                           "region_method", "region_confidence")}
        for p in parties if p["role"] == "applicant"
    ]
    patent["inventors"] = list(patent["inventor_names"] or [])  # the record's order (no parties: a name is no person)
    patent["agencies"] = [p["name"] for p in parties if p["role"] in ("agency", "agent")]
    for field in ("first_batch_id", "last_batch_id", "biblio_rank"):
        patent.pop(field)
    patent.update(placement_of(conn, key, patent["first_applicant_region_code"]))
    return patent


def store_summary(conn: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Totals by patent type, status family, filing year and first applicant's province."""
    def counts(expr: str, order: str = "n DESC, k") -> dict[str, int]:  # ties in a stable order
        sql = f"SELECT {expr} AS k, count(*) AS n FROM patents GROUP BY k ORDER BY {order}"
        return {str(k) if k is not None else "unknown": n for k, n in conn.execute(sql).fetchall()}

    provinces = conn.execute(
        "SELECT coalesce(r.name, p.first_applicant_country, 'unknown') AS k, count(*) AS n "
        "FROM patents p LEFT JOIN regions r ON r.code = p.first_applicant_province_code "
        "GROUP BY k ORDER BY n DESC, k"
    ).fetchall()
    total = scalar(conn, "SELECT count(*) FROM patents")
    # the office's imports only: an enterprise's payment list and its rejects are its own
    quarantined = scalar(conn, "SELECT count(*) FROM quarantine WHERE batch_id NOT IN "
                         "(SELECT batch_id FROM import_batches WHERE format = 'payments')")
    return {
        "patents": total,
        "quarantined_rows": quarantined,
        "by_type": counts("patent_type"),
        "by_status": counts("status"),
        "by_country": counts("country"),
        "by_filing_year": counts("year(filing_date)", "k"),
        "by_province": {k: n for k, n in provinces},
    }


@dataclass
class PatentFilter:
    """What the patent list can be filtered by."""

    q: str | None = None
    patent_type: str | None = None
    status: str | None = None
    country: str | None = None
    province_code: str | None = None
    year: int | None = None
    page: int = 1
    per_page: int = 50

    def where(self) -> tuple[str, list[Any]]:
        clauses: list[str] = ["TRUE"]
        params: list[Any] = []
        if self.q:
            clauses.append(
                "(title_zh ILIKE ? OR title_en ILIKE ? OR application_number ILIKE ? "
                "OR array_to_string(applicant_names, ' ') ILIKE ?)"
            )
            params += [f"%{self.q}%"] * 4
        for column, value in (("patent_type", self.patent_type), ("status", self.status),
                              ("country", self.country),
                              ("first_applicant_province_code", self.province_code)):
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        if self.year:
            clauses.append("year(filing_date) = ?")
            params.append(self.year)
        return " AND ".join(clauses), params


def list_patents(conn: duckdb.DuckDBPyConnection, flt: PatentFilter) -> dict[str, Any]:
    """One page of patents matching the filter, newest filing first, with the total."""
    if flt.page < 1 or not 1 <= flt.per_page <= 500:
        raise UsageError(message("err_page_range"))
    where, params = flt.where()
    total = scalar(conn, f"SELECT count(*) FROM patents WHERE {where}", params)
    cursor = conn.execute(
        "SELECT application_number, coalesce(title_zh, title_en) AS title, patent_type, status, "
        "status_text, filing_date, grant_date, ipc_main, applicant_names[1] AS first_applicant, "
        f"first_applicant_region_code FROM patents WHERE {where} "
        "ORDER BY filing_date DESC, application_number LIMIT ? OFFSET ?",
        [*params, flt.per_page, (flt.page - 1) * flt.per_page],
    )
    names = [d[0] for d in cursor.description]
    rows = [{n: _iso(v) for n, v in zip(names, r, strict=True)} for r in cursor.fetchall()]
    return {"total": total, "page": flt.page, "per_page": flt.per_page, "patents": rows}


def quarantine_rows(conn: duckdb.DuckDBPyConnection, file: str | None = None, limit: int = 100, *,
                    enterprise_id: int | None = None, full_paths: bool = False,
                    codes: bool = False) -> list[dict[str, Any]]:
    """Rejected rows with file, sheet, row, field and reason (English), newest batch first; with
    ``codes``, each reason's msgid as ``reason_code`` (None for plain text).

    Every row (the office's imports and every payment list) unless ``enterprise_id`` asks for one
    enterprise's own uploads. A file is named by its base name — no server path leaves the
    server — unless ``full_paths`` (the CLI, run on the server itself).
    """
    where: list[str] = []
    params: list[Any] = []
    if file:
        where.append("q.file LIKE ?")
        params.append(f"%{file}%")
    if enterprise_id is not None:
        where.append("b.enterprise_id = ?")
        params.append(enterprise_id)
    sql = ("SELECT q.batch_id, q.file, q.sheet, q.row_number, q.field, q.reason, q.raw, q.reason_said "
           "FROM quarantine q "
           "LEFT JOIN import_batches b USING (batch_id) " + ("WHERE " + " AND ".join(where) + " " if where else "")
           + "ORDER BY q.batch_id DESC, q.file, q.row_number LIMIT ?")
    names = ("batch_id", "file", "sheet", "row", "field", "reason", "raw", "reason_said")
    rows = [dict(zip(names, r, strict=True)) for r in conn.execute(sql, [*params, limit]).fetchall()]
    for row in rows:
        said = row.pop("reason_said")
        if codes:
            row["reason_code"] = reason_code(message_from_json(said, row["reason"]))
    if not full_paths:
        for row in rows:
            row["file"] = base_name(row["file"])
    return rows


def base_name(path: str) -> str:
    """The file's own name, whichever separator its path was written with.

    >>> base_name("/srv/imports/2026/专利.xlsx"), base_name("C:\\上传\\缴费清单.csv"), base_name("a.csv")
    ('专利.xlsx', '缴费清单.csv', 'a.csv')
    """
    return path.replace("\\", "/").rsplit("/", 1)[-1]
