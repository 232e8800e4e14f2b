"""Delivering warnings by mail and webhook, with retries; nothing is silently dropped.

Each new warning gets one ``deliveries`` row per channel its enterprise configured:

    email    to the profile's ``notify_email``; without one, one mail to all the enterprise's active
             users, their addresses joined with ", " (no row when there is neither)
    webhook  to the profile's ``webhook_url``, signed with its ``webhook_secret``

A row is ``pending`` until sent. A failed attempt counts, records why and waits 5 min × 2^(attempts − 1)
(5, 10, 20, 40, 80 min); the sixth failure makes it ``failed``, and ``delivery_failures`` lists it.
Without SMTP settings mail rows wait, uncounted, saying so. A target that fails once in a pass is
not tried again in that pass: its other rows share the failure (a dead server costs one timeout).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from email.utils import parseaddr
from typing import Any

import duckdb

from patentatlas.delivery.mail import MailSettings, send_mail
from patentatlas.delivery.webhook import post_webhook, shown_url
from patentatlas.domain.warning_text import PATENT_TITLE, warning_text, with_text
from patentatlas.errors import DeliveryError, PatentAtlasError
from patentatlas.i18n import DEFAULT_LANG, gettext, message, translate

MAX_ATTEMPTS = 6
PAGE = 500  # rows read at a time: a backlog of mail never sits in memory whole
FIRST_RETRY = dt.timedelta(minutes=5)
NO_SMTP = message("delivery_no_smtp")  # stored as its English text; pages say it in their language

_ENQUEUE = """
INSERT INTO deliveries (warning_key, channel, target, status, attempts, next_attempt_at)
SELECT w.warning_key, d.channel, d.target, 'pending', 0, $at
FROM warnings w JOIN (
    SELECT e.enterprise_id, 'email' AS channel, coalesce(e.notify_email, u.emails) AS target
    FROM enterprises e LEFT JOIN (SELECT enterprise_id, string_agg(email, ', ' ORDER BY email) AS emails
                                  FROM users WHERE role = 'enterprise' AND active GROUP BY enterprise_id) u
         USING (enterprise_id)
    UNION ALL
    SELECT enterprise_id, 'webhook', webhook_url FROM enterprises
) d USING (enterprise_id)
WHERE w.created_at = $at AND d.target IS NOT NULL
ON CONFLICT DO NOTHING
"""


def enqueue_deliveries(conn: duckdb.DuckDBPyConnection, created_at: dt.datetime) -> None:
    """The deliveries of the warnings created at ``created_at`` (one job run), due at once."""
    conn.execute(_ENQUEUE, {"at": created_at})


# --------------------------------------------------------------------------- what is sent


def webhook_payload(row: dict[str, Any]) -> dict[str, Any]:
    """The JSON a webhook receives for one warning, its title and body in the enterprise's language."""
    lang = row.get("notify_lang") or DEFAULT_LANG
    return {"id": row["warning_key"], "rule": row["rule"], "severity": row["severity"], "lang": lang,
            "title": translate(row["title"], lang), "body": translate(row["body"], lang),
            "application_number": row["application_number"], "facts": row["facts"],
            "enterprise": {"id": row["enterprise_id"], "name": row["name"], "uscc": row["uscc"]},
            "created_at": row["created_at"].isoformat()}


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(_shown(v) for v in value) or "—"
    return value if isinstance(value, str) else json.dumps(value)


def _fact_lines(facts: dict[str, Any], prefix: str = "") -> list[str]:
    lines = []
    for key, value in facts.items():
        if isinstance(value, dict):
            lines += _fact_lines(value, f"{prefix}{key}.")
        else:
            lines.append(f"{prefix}{key}: {_shown(value)}")
    return lines


def mail_text(row: dict[str, Any], lang: str = DEFAULT_LANG) -> str:
    """The mail's body in ``lang``: the warning's text, then its facts one per line.

    >>> row = {"body": "正文。", "warning_key": "k", "facts": {"a": 1, "b": None, "r": {"v": "x"}}}
    >>> print(mail_text(row))
    正文。
    <BLANKLINE>
    依据：
    a: 1
    b: —
    r.v: x
    <BLANKLINE>
    预警编号 k，由专利监测服务平台发送。
    >>> print(mail_text(row, "en").splitlines()[-1])
    Warning k, sent by Patent Monitoring Platform.
    """
    return "\n".join([translate(row["body"], lang), "", gettext("mail_facts", lang), *_fact_lines(row["facts"]), "",
                      gettext("mail_footer", lang, key=row["warning_key"], app=gettext("app_name", lang))])


def _message_id(settings: MailSettings, warning_key: str) -> str:
    """The same Message-ID on every attempt, so a mail server that took it once can drop a repeat."""
    domain = parseaddr(settings.sender)[1].rpartition("@")[2] or "patentatlas.localhost"
    return f"<warning.{hashlib.sha256(warning_key.encode()).hexdigest()[:32]}@{domain}>"


def _send(row: dict[str, Any], mail: MailSettings | None) -> None:
    if row["channel"] == "email":
        assert mail is not None  # rows are fetched for email only with settings
        lang = row.get("notify_lang") or DEFAULT_LANG
        send_mail(mail, row["target"], translate(row["title"], lang), mail_text(row, lang),
                  message_id=_message_id(mail, row["warning_key"]))
        return
    if not row["webhook_secret"]:
        raise PatentAtlasError(f"webhook {shown_url(row['target'])}: the enterprise has no webhook secret to sign with")
    post_webhook(row["target"], row["webhook_secret"], webhook_payload(row))


# --------------------------------------------------------------------------- the pass

_DUE = f"""
SELECT d.warning_key, d.channel, d.target, d.attempts, w.rule, w.severity, w.facts, w.application_number,
       w.created_at, e.enterprise_id, e.name, e.uscc, e.webhook_secret, e.notify_lang, {PATENT_TITLE}
FROM deliveries d JOIN warnings w USING (warning_key) JOIN enterprises e USING (enterprise_id)
WHERE d.status = 'pending' AND d.next_attempt_at <= $now AND (d.channel <> 'email' OR $mail)
ORDER BY d.next_attempt_at, w.created_at, d.warning_key, d.channel
LIMIT $page
"""
_DUE_COLUMNS = ("warning_key", "channel", "target", "attempts", "rule", "severity", "facts", "application_number",
                "created_at", "enterprise_id", "name", "uscc", "webhook_secret", "notify_lang", "patent_title")


def _due(conn: duckdb.DuckDBPyConnection, now: dt.datetime, mail: bool) -> list[dict[str, Any]]:
    """The next page of rows due; each row handled leaves the set (sent, failed, or due later)."""
    rows = conn.execute(_DUE, {"now": now, "mail": mail, "page": PAGE}).fetchall()
    return [with_text(dict(zip(_DUE_COLUMNS, r, strict=True)) | {"facts": json.loads(r[6])}) for r in rows]


def retry_at(now: dt.datetime, attempts: int) -> dt.datetime:
    """When to try again after ``attempts`` failed attempts.

    >>> [str(retry_at(dt.datetime(2026, 1, 1), n).time()) for n in (1, 2, 5)]
    ['00:05:00', '00:10:00', '01:20:00']
    """
    return now + FIRST_RETRY * 2 ** (attempts - 1)


def _record(conn: duckdb.DuckDBPyConnection, row: dict[str, Any], now: dt.datetime, error: str | None,
            final: bool = False) -> str:
    """Write one attempt's outcome; return the row's new status."""
    attempts = row["attempts"] + 1
    if error is None:
        status, next_at, sent_at = "sent", None, now
    elif final or attempts >= MAX_ATTEMPTS:
        status, next_at, sent_at = "failed", None, None
    else:
        status, next_at, sent_at = "pending", retry_at(now, attempts), None
    conn.execute("UPDATE deliveries SET status = ?, attempts = ?, last_error = coalesce(?, last_error), "
                 "next_attempt_at = ?, sent_at = ? WHERE warning_key = ? AND channel = ?",
                 [status, attempts, error, next_at, sent_at, row["warning_key"], row["channel"]])
    return status


def _attempt(row: dict[str, Any], mail: MailSettings | None,
             dead: dict[tuple[str, str], str]) -> tuple[str | None, bool]:
    """(why it failed or None, whether the failure is final)."""
    target = (row["channel"], row["target"])
    if target in dead:
        return f"{dead[target]} (not retried in this pass: the same target had just failed)", False
    try:
        _send(row, mail)
    except DeliveryError as exc:
        dead[target] = exc.message
        return exc.message, False
    except PatentAtlasError as exc:  # a bad address or a missing secret: trying again will not help
        return exc.message, True
    return None, False


def deliver_pending(conn: duckdb.DuckDBPyConnection, mail: MailSettings | None,
                    now: dt.datetime) -> dict[str, int]:
    """Send every pending delivery due by ``now`` (UTC, naive). Returns how many were sent, failed
    for good, will be retried, and are waiting in all (SMTP settings missing, or not due yet)."""
    counts = {"sent": 0, "failed": 0, "retrying": 0}
    if mail is None:
        conn.execute("UPDATE deliveries SET last_error = ? WHERE channel = 'email' AND status = 'pending' "
                     "AND next_attempt_at <= ? AND last_error IS DISTINCT FROM ?", [str(NO_SMTP), now, str(NO_SMTP)])
    dead: dict[tuple[str, str], str] = {}
    while page := _due(conn, now, mail is not None):
        for row in page:
            error, final = _attempt(row, mail, dead)
            status = _record(conn, row, now, error, final)
            counts["sent" if status == "sent" else "failed" if status == "failed" else "retrying"] += 1
    pending = conn.execute("SELECT count(*) FROM deliveries WHERE status = 'pending'").fetchall()[0][0]
    return counts | {"pending": int(pending)}


# --------------------------------------------------------------------------- for admins

_FAILURE_COLUMNS = ("warning_key", "channel", "target", "status", "attempts", "last_error", "next_attempt_at",
                    "enterprise_id", "enterprise", "facts", "patent_title", "created_at")


def delivery_failures(conn: duckdb.DuckDBPyConnection, limit: int = 500) -> list[dict[str, Any]]:
    """Deliveries that failed for good, then those still waiting after a failure (or for SMTP settings),
    newest first, each with its warning's title (a message); a webhook's address is shown without
    its credentials or query."""
    rows = conn.execute(
        "SELECT d.warning_key, d.channel, d.target, d.status, d.attempts, d.last_error, d.next_attempt_at, "
        f"e.enterprise_id, e.name, w.facts, {PATENT_TITLE}, w.created_at "
        "FROM deliveries d JOIN warnings w USING (warning_key) JOIN enterprises e USING (enterprise_id) "
        "WHERE d.status = 'failed' OR (d.status = 'pending' AND d.last_error IS NOT NULL) "
        "ORDER BY d.status = 'pending', w.created_at DESC, d.warning_key, d.channel LIMIT ?", [limit]).fetchall()
    out = []
    for r in rows:
        row = dict(zip(_FAILURE_COLUMNS, r, strict=True))
        title, _ = warning_text(json.loads(row.pop("facts")), row.pop("patent_title"))
        out.append({k: row[k] for k in _FAILURE_COLUMNS[:9]} | {"title": title, "created_at": row["created_at"]})
        if row["last_error"] == NO_SMTP:
            out[-1]["last_error"] = NO_SMTP
    for row in out:
        if row["channel"] == "webhook":
            row["target"] = shown_url(row["target"])
    return out
