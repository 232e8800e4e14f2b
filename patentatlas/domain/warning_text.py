"""A warning's title and body, said from its rule and facts in any language (the catalogues'
``warn_…`` messages): the store keeps what a warning is about (its facts), never its prose, so the
inbox, the mail and the webhook say it in their reader's language, and a fixed wording reaches old
warnings too.

>>> facts = {"rule": "term_end", "application_number": "CN201621195159.4", "filing_date": "2016-10-28",
...          "term_years": 10, "term_ends_on": "2026-10-28", "days_left": 85}
>>> title, body = warning_text(facts, "散热器")
>>> translate(title, "zh"), str(title)
('专利权期限 2026-10-28 届满：CN201621195159.4', 'Patent term ends 2026-10-28: CN201621195159.4')
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from patentatlas.domain.fees import fee_rules
from patentatlas.i18n import Message, joined, message, message_from_json, translate

__all__ = ["PATENT_TITLE", "translate", "warning_text", "with_text"]

# the title a warning's body names, for a query over ``warnings w``
PATENT_TITLE = ("(SELECT coalesce(p.title_zh, p.title_en) FROM patents p "
                "WHERE p.application_number = w.application_number)")


def _yuan(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def _reduction(facts: dict[str, Any]) -> Message:
    """How the amount was reckoned: reduced, not declared, declared but outside its window."""
    if not facts.get("grant_date_known", True) and facts.get("reduction"):
        return message("warn_reduction_unknown_grant")
    if facts.get("reduced"):
        return message("warn_reduction_applied", percent=facts["reduction_percent"], full=_yuan(facts["full_amount"]))
    if not facts.get("reduction"):
        return message("warn_reduction_none")
    years = facts.get("reduction_years") or fee_rules()["reduction"]["years_from_grant_year"]  # older warnings
    return message("warn_reduction_outside", years=years)


def _notes(facts: dict[str, Any]) -> Message | str:
    """Provisional dates; a grant date the data lacks, and what that leaves unknown."""
    notes: list[Any] = []
    if facts.get("provisional"):
        notes.append(message("warn_note_provisional"))
    if not facts.get("grant_date_known", True):
        unknowns = [message(f"fee_unknown_{u['code']}") for u in facts.get("unknowns") or []]
        notes.append(message("warn_note_no_grant_date",
                             unknowns=joined(["", *unknowns], "warn_semicolon") if unknowns else ""))
    return joined(notes, "") if notes else ""  # each note starts as its language needs


def _fee(facts: dict[str, Any], title: str) -> dict[str, Any]:
    return {"number": facts["application_number"], "title": title, "year": facts["patent_year"],
            "due_date": facts["due_date"], "amount": _yuan(facts["amount"]), "grace_end": facts["grace_period_end"],
            "reduction": _reduction(facts), "notes": _notes(facts)}


def _fee_due(facts: dict[str, Any], title: str) -> tuple[Message, Message]:
    args = _fee(facts, title)
    return (message("warn_fee_due_title", number=args["number"], year=args["year"], due_date=args["due_date"]),
            message("warn_fee_due_body", days=facts["days_left"], **args))


def _fee_grace(facts: dict[str, Any], title: str) -> tuple[Message, Message]:
    args = _fee(facts, title) | {"month": facts["grace_month"], "total": _yuan(facts["total_due_today"])}
    return (message("warn_fee_grace_title", number=args["number"], year=args["year"], month=args["month"],
                    total=args["total"]),
            message("warn_fee_grace_body", late_fee=_yuan(facts["late_fee"]), full=_yuan(facts["full_amount"]),
                    percent=facts["late_fee_percent"], **args))


def _fee_lapsed(facts: dict[str, Any], title: str) -> tuple[Message, Message]:
    args = _fee(facts, title)
    del args["amount"], args["reduction"]
    return (message("warn_fee_lapsed_title", number=args["number"], year=args["year"]),
            message("warn_fee_lapsed_body", seen=facts.get("last_seen_in_force") or message("none"),
                    fee=_yuan(facts["restoration_fee"]), **args))


def _status(code: Any) -> Message | str:
    return message(code) if code in ("pending", "in_force", "lapsed") else code or message("unknown")


def _status_change(facts: dict[str, Any], title: str) -> tuple[Message, Message]:
    number, old, new = facts["application_number"], _status(facts["old_status"]), _status(facts["new_status"])
    return (message("warn_status_title", number=number, old=old, new=new),
            message("warn_status_body", number=number, title=title, old=old, new=new,
                    old_text=facts.get("old_status_text") or message("none"),
                    new_text=facts.get("new_status_text") or message("none"),
                    observed_on=facts["observed_on"], batch=facts["batch_id"], file=facts["file"]))


def _term_end(facts: dict[str, Any], title: str) -> tuple[Message, Message]:
    number = facts["application_number"]
    return (message("warn_term_end_title", number=number, ends_on=facts["term_ends_on"]),
            message("warn_term_end_body", number=number, title=title, filing_date=facts["filing_date"],
                    term=facts["term_years"], ends_on=facts["term_ends_on"], days=facts["days_left"]))


def _new_patent(facts: dict[str, Any], title: str) -> dict[str, Any]:
    return {"number": facts["application_number"], "title": title,
            "applicants": joined(facts["applicants"]) if facts.get("applicants") else message("unknown"),
            "filing_date": facts.get("filing_date") or message("unknown")}


def _watch(facts: dict[str, Any], title: str) -> tuple[Message, Message]:
    matched = ([message("warn_watch_ipc", codes=joined(facts["matched_ipc"]))] if facts.get("matched_ipc") else []) + (
        [message("warn_watch_keywords", words=joined(facts["matched_keywords"]))]
        if facts.get("matched_keywords") else [])
    args = _new_patent(facts, title)
    return (message("warn_watch_title", number=args["number"]),
            message("warn_watch_body", matched=joined(matched, "warn_semicolon"), **args))


def _saved_search(facts: dict[str, Any], title: str) -> tuple[Message, Message]:
    args = _new_patent(facts, title)
    return (message("warn_saved_search_title", number=args["number"]),
            message("warn_saved_search_body", name=facts["saved_search"], query=facts["query"], **args))


_TEXTS: dict[str, Callable[[dict[str, Any], str], tuple[Message, Message]]] = {
    "fee_due": _fee_due, "fee_grace": _fee_grace, "fee_lapsed": _fee_lapsed, "status_change": _status_change,
    "term_end": _term_end, "watch": _watch, "saved_search": _saved_search}


def warning_text(facts: dict[str, Any], patent_title: str | None) -> tuple[Message, Message]:
    """(title, body) of the warning whose facts these are (``facts["rule"]``: one of the rules, or
    ``saved_search``), the patent's title named in the body; each a message in English as a
    string, :func:`translate` says it in another language."""
    return _TEXTS[facts["rule"]](facts, patent_title or "")


def with_text(row: dict[str, Any]) -> dict[str, Any]:
    """A warning's row (its ``facts`` parsed, its ``patent_title``) with its ``title`` and ``body``:
    messages, English as strings (the JSON API's), a page says them in its language; a resolved
    warning's ``resolved_reason`` too."""
    title, body = warning_text(row["facts"], row.pop("patent_title", None))
    stored = row.get("resolved_reason")  # a message's msgid and facts (prose in an older store: as it is)
    reason = {"resolved_reason": message_from_json(stored, stored)} if stored else {}
    return row | {"title": title, "body": body} | reason

