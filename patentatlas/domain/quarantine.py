"""The quarantine as an admin reviews it (issue 11 §9): the rows the imports rejected, newest batch
first, filtered by file (its base name) and batch, a page at a time, with the count of each file.

A row's reason is a message said in the reader's language: the store keeps its msgid and arguments
(``reason_said``, :func:`patentatlas.i18n.message_json`); a reason without them (plain text, a row an
older store quarantined) is its stored English text.

>>> page = quarantine_page(conn, file="incopat_toyota_autodrive_5048.csv")  # doctest: +SKIP
>>> page["rows"][0]["reason_code"], translate(page["rows"][0]["reason"], "zh")  # doctest: +SKIP
('err_ipc_not_symbol', "'B60R/' 不是 IPC/CPC 分类号（例如 G06F16/583）")
"""

from __future__ import annotations

import json
from typing import Any

import duckdb

from patentatlas.i18n import Message, known, message, message_from_json
from patentatlas.store import scalar

PER_PAGE = 50
# a file's own name, whichever separator its path was written with (domain.patents.base_name in SQL)
_BASE = r"regexp_extract(replace(q.file, '\', '/'), '[^/]*$')"
_COLUMNS = ("batch_id", "file", "sheet", "row", "field", "reason", "reason_said", "raw")
DOWNLOAD_COLUMNS = ("batch_id", "file", "sheet", "row", "field", "reason", "raw")


def quarantine_page(conn: duckdb.DuckDBPyConnection, *, file: str | None = None, batch: int | None = None,
                    page: int = 1, per_page: int = PER_PAGE) -> dict[str, Any]:
    """One page of the quarantined rows (``file`` and ``batch`` narrow them), the files with their
    counts, and where the page is: ``total``, ``page`` (kept within 1…``pages``), ``pages``."""
    where, params = _where(file, batch)
    total = scalar(conn, f"SELECT count(*) FROM quarantine q{where}", params)
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    return {"filters": {"file": file or "", "batch": batch}, "files": quarantine_files(conn), "total": total,
            "page": page, "pages": pages, "per_page": per_page,
            "rows": _rows(conn, where, params, per_page, (page - 1) * per_page)}


def quarantine_table(conn: duckdb.DuckDBPyConnection, *, file: str | None = None,
                     batch: int | None = None) -> list[dict[str, Any]]:
    """Every quarantined row ``file`` and ``batch`` select, for a download: the raw cells as the JSON
    text the store keeps."""
    where, params = _where(file, batch)
    rows = _rows(conn, where, params, None, 0, raw_text=True)
    return [{k: row[k] for k in DOWNLOAD_COLUMNS} for row in rows]


def quarantine_files(conn: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Each file with quarantined rows (base name), its rows and batches, the latest first."""
    sql = (f"SELECT {_BASE} AS name, count(*), count(DISTINCT batch_id), max(batch_id) FROM quarantine q "
           "GROUP BY name ORDER BY max(batch_id) DESC, name")
    return [{"file": name, "rows": rows, "batches": batches, "latest_batch": latest}
            for name, rows, batches, latest in conn.execute(sql).fetchall()]


def reason_code(reason: Any) -> str | None:
    """The msgid of a reason said as a message, if it is one (a catalogue word, not a list or data)."""
    return reason.msgid if isinstance(reason, Message) and known(reason.msgid) else None


def _where(file: str | None, batch: int | None) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if file:
        clauses.append(f"{_BASE} = ?")
        params.append(file)
    if batch is not None:
        clauses.append("q.batch_id = ?")
        params.append(batch)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def _rows(conn: duckdb.DuckDBPyConnection, where: str, params: list[Any], limit: int | None, offset: int,
          raw_text: bool = False) -> list[dict[str, Any]]:
    sql = (f"SELECT q.batch_id, {_BASE}, q.sheet, q.row_number, q.field, q.reason, q.reason_said, q.raw "
           f"FROM quarantine q{where} ORDER BY q.batch_id DESC, q.file, q.sheet NULLS FIRST, q.row_number"
           + (" LIMIT ? OFFSET ?" if limit is not None else ""))
    found = conn.execute(sql, [*params, *([limit, offset] if limit is not None else [])]).fetchall()
    rows = []
    for values in found:
        row = dict(zip(_COLUMNS, values, strict=True))
        row["reason"] = reason = message_from_json(row.pop("reason_said"), row["reason"])  # else the stored text
        row["reason_code"] = reason_code(reason)
        row["field"] = message("quarantine_whole_row") if row["field"] == "(row)" else row["field"]
        if not raw_text:
            row["raw"] = _cells(row["raw"])
        rows.append(row)
    return rows


def _cells(raw: str | None) -> dict[str, Any]:
    """The raw row's cells by header (a row an older writer kept as other JSON: under one key)."""
    try:
        cells = json.loads(raw) if raw else {}
    except ValueError:
        return {"": raw}
    return cells if isinstance(cells, dict) else {"": cells}
