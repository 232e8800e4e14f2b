"""The enterprise end: dashboard, custody portfolio, profile and watches, fee calendar (and its
iCalendar feed), payments, and the warning inbox.

Every route takes the enterprise's number in its path and answers only its own users and
admins (:func:`patentatlas.domain.accounts.require_enterprise`); each page is also JSON under
``/api/enterprises/…`` (or with ``?format=json``). A payment list is refused before it is read
when it is over ``payment_list_max_mb``; it is parsed to a temporary file and recorded in a
worker thread, so the event loop keeps serving everyone else.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from patentatlas.beijing_time import beijing_today
from patentatlas.config import setting
from patentatlas.domain import enterprises as ent
from patentatlas.domain import payments, warnings
from patentatlas.domain.accounts import require_enterprise, require_role
from patentatlas.domain.fees import fee_rules
from patentatlas.domain.high_value import parse_date
from patentatlas.domain.ical import CalendarEvent, fee_calendar
from patentatlas.errors import PayloadTooLargeError, UsageError, about
from patentatlas.i18n import gettext, message
from patentatlas.rules import rule_source
from patentatlas.store import transaction
from patentatlas.store.version import data_version_of
from patentatlas.web.approval_pages import router as approval_router
from patentatlas.web.auth import CurrentUser
from patentatlas.web.deps import Cursor, Fields
from patentatlas.web.forms import answer, is_json, listed, numbers, payload, text, wants_json
from patentatlas.web.i18n import translator
from patentatlas.web.regions_api import table_response
from patentatlas.web.render import lang_of, render

router = APIRouter(tags=["enterprise end"])
router.include_router(approval_router)
STATE_ORDER = ("grace", "lapsed", "upcoming", "paid")
CHART_DAYS = 365  # the fee calendar's chart: the grace periods running and the next twelve months
FEE_COLUMNS = ("due_date", "application_number", "title", "patent_type", "patent_year", "amount", "full_amount",
               "reduced", "state", "days_left", "late_fee", "grace_period_end", "lapses_on", "provisional",
               "paid_on", "receipt_number")
PAYABLE = ("upcoming", "grace", "lapsed")  # the rows that get a one-click 已缴


def _as_of(value: str | None) -> dt.date:
    return parse_date(value) if value else dt.date.today()


AsOf = Annotated[str | None, Query(description="statistics date, YYYY-MM-DD (default today)")]


# --------------------------------------------------------------------------- page dicts


def fee_page(cursor: Any, enterprise: dict[str, Any], as_of: dt.date) -> dict[str, Any]:
    fees, without = _fee_rows(cursor, enterprise["enterprise_id"], as_of, enterprise["fee_reduction"])
    by_month: dict[str, dict[str, Any]] = defaultdict(lambda: {"count": 0, "amount": 0})
    horizon = (as_of + dt.timedelta(days=CHART_DAYS)).isoformat()
    for fee in fees:  # what is in grace now, and what falls due in the coming twelve months
        if fee["state"] == "grace" or (fee["state"] == "upcoming" and fee["due_date"] <= horizon):
            month = by_month[fee["due_date"][:7]]
            month["count"] += 1
            month["amount"] += fee["amount"] + fee["late_fee"]
    counts = {state: sum(1 for f in fees if f["state"] == state) for state in STATE_ORDER}
    rules = fee_rules(cursor)
    return {
        "enterprise": ent.public_profile(enterprise), "as_of": as_of.isoformat(), "fees": fees,
        "counts": counts, "by_month": dict(sorted(by_month.items())), "without_fees": without,
        "reduction": enterprise["fee_reduction"],
        "rules": {"name": rules["name"], "version": rules["version"], "source": rule_source(rules)},
        "notes": _fee_notes(enterprise, any(f["provisional"] for f in fees)),
    }


_FEE_ROWS: dict[tuple[Any, ...], tuple[list[dict[str, Any]], Any]] = {}


def _fee_rows(cursor: Any, eid: int, as_of: dt.date, reduction: Any) -> tuple[list[dict[str, Any]], Any]:
    """The fee rows of an enterprise's calendar, computed once per data version for the dashboard,
    the calendar and its downloads together (they are read, never changed, by the pages)."""
    version = data_version_of(cursor)  # one per store the process serves: part of the key, with its value
    key = (version, version.value if version is not None else None, eid, as_of, reduction)
    if version is None or key not in _FEE_ROWS:
        states, without = payments.enterprise_fee_states(cursor, eid, as_of, reduction)
        if version is None:
            return [s.to_dict() for s in states], without
        if len(_FEE_ROWS) >= 64:
            _FEE_ROWS.clear()
        _FEE_ROWS[key] = ([s.to_dict() for s in states], without)
    return _FEE_ROWS[key]


def _fee_notes(enterprise: dict[str, Any], provisional: bool) -> list[str]:
    notes = ["unpaid_rule"]
    if not enterprise["fee_reduction"]:
        notes.append("no_reduction_declared")
    if provisional:
        notes.append("provisional_dates")
    return notes


def dashboard_page(cursor: Any, enterprise: dict[str, Any]) -> dict[str, Any]:
    eid = enterprise["enterprise_id"]
    custody = ent.custody_patents(cursor, eid)
    fees = fee_page(cursor, enterprise, dt.date.today())
    soon = [f for f in fees["fees"] if f["state"] == "grace" or (f["state"] == "upcoming" and f["days_left"] <= 90)]
    return {
        "enterprise": ent.public_profile(enterprise),
        "custody": {"total": len(custody), "by_status": _count(custody, "status"),
                    "by_type": _count(custody, "patent_type")},
        "proposals": len(ent.proposals(cursor, eid)),
        "fees_soon": soon[:20], "fee_counts": fees["counts"],
        "warnings": warnings.inbox(cursor, eid, limit=5),
        "unread": warnings.unread_count(cursor, eid),
    }


def _count(rows: list[dict[str, Any]], key: str) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for row in rows:
        out[row[key] or "unknown"] += 1
    return dict(out)


def _enterprise(cursor: Any, user: Any, eid: int) -> dict[str, Any]:
    require_enterprise(user, eid)  # before anything is read: no hint of what B has
    return ent.get_enterprise(cursor, eid)


# --------------------------------------------------------------------------- routes


@router.get("/enterprises", include_in_schema=False)
def enterprises_home(request: Request, cursor: Cursor, user: CurrentUser) -> Response:
    if user.role == "enterprise":
        return RedirectResponse(f"/enterprises/{user.enterprise_id}", status_code=303)
    require_role(user, "admin")
    return render(request, "enterprises.html", {"enterprises": ent.list_enterprises(cursor)})


@router.post("/enterprises", include_in_schema=False)
@router.post("/api/enterprises", summary="Register an enterprise (admin): name, uscc, name_variants")
def register(request: Request, cursor: Cursor, user: CurrentUser, fields: Fields) -> Response:
    require_role(user, "admin")
    with transaction(cursor):
        enterprise = ent.register_enterprise(cursor, text(fields, "name"), text(fields, "uscc"),
                                             name_variants=listed(fields, "name_variants"), by=user.user_id)
    return answer(request, ent.public_profile(enterprise), "/enterprises")


@router.get("/enterprises/{eid}", response_class=HTMLResponse, summary="An enterprise's dashboard")
@router.get("/api/enterprises/{eid}", summary="An enterprise's dashboard (JSON)")
def dashboard(request: Request, cursor: Cursor, user: CurrentUser, eid: int) -> Response:
    return render(request, "enterprise.html", dashboard_page(cursor, _enterprise(cursor, user, eid)))


@router.get("/enterprises/{eid}/custody", response_class=HTMLResponse, summary="Custody portfolio and proposals")
@router.get("/api/enterprises/{eid}/custody", summary="Custody portfolio and proposals (JSON)")
def custody(request: Request, cursor: Cursor, user: CurrentUser, eid: int) -> Response:
    enterprise = _enterprise(cursor, user, eid)
    page = {"enterprise": ent.public_profile(enterprise), "custody": ent.custody_patents(cursor, eid),
            "proposals": ent.proposals(cursor, eid), "match_names": ent.match_names(enterprise),
            "requests": ent.custody_requests(cursor, eid)}
    return render(request, "custody.html", page)


@router.post("/enterprises/{eid}/custody", include_in_schema=False)
@router.post("/api/enterprises/{eid}/custody",
             summary="Change custody: action confirm|decline (proposals), add|remove (by hand); numbers")
def change_custody(request: Request, cursor: Cursor, user: CurrentUser, eid: int, fields: Fields) -> Response:
    _enterprise(cursor, user, eid)
    action, chosen = text(fields, "action"), numbers(fields)
    with transaction(cursor):
        if action == "confirm":
            done: Any = ent.confirm_proposals(cursor, eid, chosen, user.user_id)
        elif action == "decline":
            done = ent.decline_proposals(cursor, eid, chosen, user.user_id)
        elif action == "add":
            done = [ent.add_to_custody(cursor, eid, n, user.user_id) for n in chosen]
        elif action == "remove":
            done = [ent.remove_from_custody(cursor, eid, n, user.user_id) for n in chosen]
        else:
            raise UsageError(about("action", message("err_not_one_of", value=repr(action),
                                                         choices="confirm, decline, add, remove")))
    return answer(request, {"action": action, "done": done}, f"/enterprises/{eid}/custody")


@router.get("/enterprises/{eid}/profile", response_class=HTMLResponse, summary="The enterprise's profile")
@router.get("/api/enterprises/{eid}/profile", summary="The enterprise's profile (JSON)")
def profile(request: Request, cursor: Cursor, user: CurrentUser, eid: int) -> Response:
    enterprise = _enterprise(cursor, user, eid)
    return render(request, "profile.html", {"enterprise": ent.public_profile(enterprise),
                                           "revenue_bands": list(ent.REVENUE_BANDS),
                                           "fee_reductions": list(ent.FEE_REDUCTIONS)})


@router.post("/enterprises/{eid}/profile", include_in_schema=False)
@router.post("/api/enterprises/{eid}/profile", summary="Change profile fields (only those sent)")
def change_profile(request: Request, cursor: Cursor, user: CurrentUser, eid: int, fields: Fields) -> Response:
    _enterprise(cursor, user, eid)
    if fields.get("webhook_secret") == "":
        fields.pop("webhook_secret")  # an empty secret field keeps the stored one
    changed = ent.update_profile(cursor, eid, fields, user.user_id, by_office=user.role != "enterprise")
    return answer(request, ent.public_profile(changed), f"/enterprises/{eid}/profile")


@router.get("/enterprises/{eid}/watches", response_class=HTMLResponse, summary="Watched IPC codes and keywords")
@router.get("/api/enterprises/{eid}/watches", summary="Watched IPC codes and keywords (JSON)")
def watches(request: Request, cursor: Cursor, user: CurrentUser, eid: int) -> Response:
    enterprise = _enterprise(cursor, user, eid)
    page = {"enterprise": ent.public_profile(enterprise), "watch_ipc": enterprise["watch_ipc"],
            "watch_keywords": enterprise["watch_keywords"], "watch_since": enterprise["watch_since"]}
    return render(request, "watches.html", page)


@router.post("/enterprises/{eid}/watches", include_in_schema=False)
@router.post("/api/enterprises/{eid}/watches", summary="Set watched IPC codes and keywords")
def change_watches(request: Request, cursor: Cursor, user: CurrentUser, eid: int, fields: Fields) -> Response:
    _enterprise(cursor, user, eid)
    chosen = {k: fields.get(k, "") for k in ("watch_ipc", "watch_keywords")}
    changed = ent.update_profile(cursor, eid, chosen, user.user_id)
    return answer(request, {"watch_ipc": changed["watch_ipc"], "watch_keywords": changed["watch_keywords"]},
                  f"/enterprises/{eid}/watches")


@router.get("/enterprises/{eid}/fees", response_class=HTMLResponse, summary="Fee calendar (CSV/XLSX with ?format=)")
@router.get("/api/enterprises/{eid}/fees", summary="Fee calendar (JSON; CSV/XLSX with ?format=)")
def fees(request: Request, cursor: Cursor, user: CurrentUser, eid: int, as_of: AsOf = None,
         format: str | None = None) -> Response:
    page = fee_page(cursor, _enterprise(cursor, user, eid), _as_of(as_of))
    if format in ("csv", "xlsx"):
        rows = [{k: f.get(k, (f["payment"] or {}).get(k)) for k in FEE_COLUMNS} for f in page["fees"]]
        t = translator(lang_of(request))
        return table_response(rows, format, f"fees_{eid}_{page['as_of']}", columns=FEE_COLUMNS, lang=lang_of(request),
                              title=f"{page['enterprise']['name']} · {t['fee_calendar']}",
                              meta={"as_of": page["as_of"], "source": f"{t['fee_calendar']} · {page['rules']['name']} "
                                                                     f"v{page['rules']['version']}"})
    return render(request, "fees.html", _fee_page_html(page))


def _fee_page_html(page: dict[str, Any], calendar_url: str | None = None) -> dict[str, Any]:
    """The calendar page's extras: its calendar address only right after it was made (the store
    keeps its hash, so it cannot be shown again), today, and which rows can be marked paid."""
    return page | {"calendar_url": calendar_url, "today": beijing_today().isoformat(), "payable": list(PAYABLE)}


@router.get("/enterprises/{eid}/fees.ics", summary="Fee calendar as an iCalendar feed (signed in)")
def fees_ics(request: Request, cursor: Cursor, user: CurrentUser, eid: int) -> Response:
    return _ics(request, cursor, _enterprise(cursor, user, eid))


@router.get("/calendar/{token}.ics", summary="Fee calendar at its secret address, for calendar apps to subscribe to")
def subscribed_ics(request: Request, cursor: Cursor, token: str) -> Response:
    return _ics(request, cursor, ent.enterprise_by_calendar_token(cursor, token))


@router.post("/enterprises/{eid}/calendar-token", include_in_schema=False)
@router.post("/api/enterprises/{eid}/calendar-token", summary="A new secret calendar address (the old one stops)")
def rotate_calendar_token(request: Request, cursor: Cursor, user: CurrentUser, eid: int) -> Response:
    _enterprise(cursor, user, eid)
    url = _calendar_url(request, ent.new_calendar_token(cursor, eid, user.user_id))
    if wants_json(request):
        return JSONResponse({"calendar_url": url})
    # a browser: the calendar page with its new address, this once (never kept, never in a cookie)
    page = fee_page(cursor, ent.get_enterprise(cursor, eid), _as_of(None))
    return render(request, "fees.html", _fee_page_html(page, url))


def _calendar_url(request: Request, token: str) -> str:
    return f"{str(request.base_url).rstrip('/')}/calendar/{token}.ics"


def _ics(request: Request, cursor: Any, enterprise: dict[str, Any]) -> Response:
    """The fee calendar in ``?lang=``, else in the enterprise's notification language (a calendar
    app sends no cookie and no language of its own)."""
    eid = enterprise["enterprise_id"]
    lang = request.query_params.get("lang") or enterprise.get("notify_lang") or "zh"
    t = translator(lang)
    page = fee_page(cursor, enterprise, dt.date.today())
    base = str(request.base_url).rstrip("/")
    events = [CalendarEvent(
        uid=f"fee-{f['application_number']}-{f['patent_year']}@patentatlas",
        day=dt.date.fromisoformat(f["due_date"]),
        summary=gettext("ics_summary", t.lang, number=f["application_number"], year=f["patent_year"],
                        amount=f["amount"]),
        description=_ics_description(f, t.lang), url=f"{base}/patents/{f['application_number']}")
        for f in page["fees"] if f["state"] in ("upcoming", "grace")]
    body = fee_calendar(f"{enterprise['name']} {t['fee_calendar']}", events)
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="fees_{eid}.ics"'})


def _ics_description(fee: dict[str, Any], lang: str) -> str:
    lines = [f"{fee['title'] or ''}", gettext("ics_patent_year", lang, year=fee["patent_year"]),
             gettext("ics_amount", lang, amount=fee["amount"])
             + (gettext("ics_reduced", lang) if fee["reduced"] else ""),
             gettext("ics_due_date", lang, date=fee["due_date"]),
             gettext("ics_grace_end", lang, date=fee["grace_period_end"]), gettext("ics_lapse", lang)]
    if fee["provisional"]:
        lines.append(gettext("ics_provisional", lang))
    return "\n".join(lines)


async def payment_list_size(request: Request) -> None:
    """An upload over ``payment_list_max_mb`` is refused before any of it is read (413)."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return
    limit_mb = int(setting("payment_list_max_mb"))
    length = request.headers.get("content-length", "")
    if not length.isdigit():
        raise UsageError(message("err_upload_length"), field="file")
    if int(length) > limit_mb * 1024 * 1024:
        raise PayloadTooLargeError(message("err_payment_list_too_large", size=f"{int(length) / 1024 / 1024:.1f}",
                                           limit=limit_mb), field="file")


@router.post("/enterprises/{eid}/payments", include_in_schema=False, dependencies=[Depends(payment_list_size)])
@router.post("/api/enterprises/{eid}/payments", dependencies=[Depends(payment_list_size)],
             summary="Mark a fee paid (application_number, patent_year, paid_on, amount, receipt_number), "
                     "or upload a payment list as the file field `file` (CSV)")
async def pay(request: Request, cursor: Cursor, user: CurrentUser, eid: int) -> Response:
    _enterprise(cursor, user, eid)
    fields = await payload(request)  # an upload is spooled to a temporary file as it arrives
    upload = fields.get("file")
    if isinstance(upload, UploadFile):
        result = await run_in_threadpool(payments.import_payments, cursor, eid, upload.file,
                                         upload.filename or "payments.csv", user.user_id)
    else:
        result = await run_in_threadpool(_mark_paid, cursor, eid, fields, user.user_id)
        return answer(request, result, _paid_back(eid, [result], text(fields, "as_of", required=False)))
    return answer(request, result, f"/enterprises/{eid}/fees")


def _paid_back(eid: int, done: list[dict[str, Any]], as_of: str = "") -> str:
    """Back to the fee calendar, saying what was recorded (the page shows it as a message)."""
    query = {"done": "paid", "n": len(done), "resolved": sum(d["warnings_resolved"] for d in done),
             "cancelled": sum(d["deliveries_cancelled"] for d in done)}
    if as_of:
        query["as_of"] = as_of
    return f"/enterprises/{eid}/fees?{urlencode(query)}#fee-table"


def _mark_paid(cursor: Any, eid: int, fields: dict[str, Any], by: int) -> dict[str, Any]:
    with transaction(cursor):
        return payments.mark_paid(cursor, eid, text(fields, "application_number"), text(fields, "patent_year"),
                                  text(fields, "paid_on"), text(fields, "amount"),
                                  text(fields, "receipt_number", required=False) or None, by,
                                  late_fee=text(fields, "late_fee", required=False) or None)


@router.post("/enterprises/{eid}/payments/bulk", include_in_schema=False)
@router.post("/api/enterprises/{eid}/payments/bulk",
             summary="Mark several fees paid at once: fees (each application_number, patent_year, amount, late_fee; "
                     "a form sends them as 'number|year|amount|late_fee'), paid_on, receipt_number; all or none")
async def pay_many(request: Request, cursor: Cursor, user: CurrentUser, eid: int) -> Response:
    _enterprise(cursor, user, eid)
    fees, common = await _bulk_fields(request)
    done = await run_in_threadpool(_mark_many, cursor, eid, fees, common, user.user_id)
    return answer(request, {"recorded": done, "count": len(done)}, _paid_back(eid, done, common.get("as_of", "")))


async def _bulk_fields(request: Request) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The fees chosen and the fields they share, from a JSON body or a form (repeated ``fee``)."""
    if is_json(request):
        try:
            body = json.loads(await request.body() or b"{}")
        except json.JSONDecodeError as exc:
            raise UsageError(message("err_body_not_json_short", reason=exc.msg)) from None
        chosen = body.get("fees") if isinstance(body, dict) else None
        if not isinstance(chosen, list) or not all(isinstance(f, dict) for f in chosen):
            raise UsageError(message("err_fees_list"), field="fees")
        common = {k: str(body.get(k) or "") for k in ("paid_on", "receipt_number")}
        return chosen, common
    form = await request.form()
    chosen = []
    for value in form.getlist("fee"):
        parts = str(value).split("|")
        if len(parts) != 4:
            raise UsageError(about("fee", message("err_fee_value", value=repr(str(value)))))
        chosen.append(dict(zip(("application_number", "patent_year", "amount", "late_fee"), parts, strict=True)))
    common = {k: str(form.get(k) or "") for k in ("paid_on", "receipt_number", "as_of")}
    return chosen, common


def _mark_many(cursor: Any, eid: int, fees: list[dict[str, Any]], common: dict[str, str],
               by: int) -> list[dict[str, Any]]:
    if not fees:
        raise UsageError(message("err_choose_a_fee"), field="fees")
    with transaction(cursor):  # one bad row records none
        return [payments.mark_paid(cursor, eid, str(f.get("application_number") or ""), f.get("patent_year"),
                                   f.get("paid_on") or common.get("paid_on"), f.get("amount"),
                                   f.get("receipt_number") or common.get("receipt_number") or None, by,
                                   late_fee=f.get("late_fee")) for f in fees]


@router.get("/enterprises/{eid}/inbox", response_class=HTMLResponse, summary="Warnings inbox")
@router.get("/api/enterprises/{eid}/inbox", summary="Warnings inbox (JSON)")
def inbox(request: Request, cursor: Cursor, user: CurrentUser, eid: int, unread: bool = False) -> Response:
    enterprise = _enterprise(cursor, user, eid)
    shown = warnings.inbox(cursor, eid, unread_only=unread)
    page = {"enterprise": ent.public_profile(enterprise),
            "warnings": [w for w in shown if not w["resolved_at"]],
            "resolved": [w for w in shown if w["resolved_at"]], "unread_only": unread}
    return render(request, "inbox.html", page)


@router.post("/enterprises/{eid}/inbox/read", include_in_schema=False)
@router.post("/api/enterprises/{eid}/inbox/read", summary="Mark a warning read (warning_key)")
def read_warning(request: Request, cursor: Cursor, user: CurrentUser, eid: int, fields: Fields) -> Response:
    _enterprise(cursor, user, eid)
    key = text(fields, "warning_key")
    warnings.mark_read(cursor, eid, key)
    return answer(request, {"warning_key": key, "read": True}, f"/enterprises/{eid}/inbox")
