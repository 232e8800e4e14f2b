"""Signing in and out, enterprise sign-up, invitations, and the admin's users and audit log.

Forms that come before a session (sign-in, sign-up, accepting an invitation) carry a
double-submit CSRF token: a random cookie repeated in a hidden field; the JSON sign-in
(``POST /api/session``) takes JSON only, which no other site's page can send. Password hashing
and checking (argon2, about 50 ms each) run in worker threads, never on the event loop.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from patentatlas.domain import accounts
from patentatlas.domain.accounts import User, require_role
from patentatlas.domain.enterprises import list_enterprises
from patentatlas.domain.enterprises import sign_up as sign_up_enterprise
from patentatlas.domain.outbox import delivery_failures
from patentatlas.errors import MediaTypeError, UsageError, about
from patentatlas.i18n import message
from patentatlas.store import transaction
from patentatlas.web.auth import (
    COOKIE,
    DEVICE_COOKIE,
    CurrentUser,
    SignedIn,
    check_csrf,
    clear_session_cookie,
    client_ip,
    set_device_cookie,
    set_session_cookie,
)
from patentatlas.web.deps import Cursor, Fields
from patentatlas.web.forms import answer, is_json, listed, payload, secret, text, wants_json
from patentatlas.web.render import render

router = APIRouter()
PRE_COOKIE = "pa_csrf_pre"


def home_of(user: User) -> str:
    """Where a user lands after signing in."""
    if user.role == "enterprise":
        return f"/enterprises/{user.enterprise_id}"
    if user.role == "analyst":
        return f"/warnings/regions/{user.region_code}"
    return "/admin/users"


def _safe_next(target: str | None, user: User) -> str:
    # only paths of this site: never an open redirect to another host
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return home_of(user)


# --------------------------------------------------------------------------- pre-session CSRF


def _pre_session_page(request: Request, template: str, page: dict[str, Any]) -> Response:
    token = request.cookies.get(PRE_COOKIE) or secrets.token_urlsafe(24)
    request.state.csrf = token
    response = render(request, template, page)
    response.set_cookie(PRE_COOKIE, token, httponly=True, samesite="strict", secure=request.url.scheme == "https")
    return response


async def _fields(request: Request) -> dict[str, Any]:
    """The fields of a form sent before any session: its token must be the one in its cookie. (A
    cross-site page cannot send a JSON body without the browser asking first, so JSON needs none.)"""
    if not is_json(request):
        await check_csrf(request, request.cookies.get(PRE_COOKIE))
    return await payload(request)


def _signed_in(request: Request, session: accounts.Session, target: str | None) -> Response:
    body = {"user": session.user.to_dict(), "csrf_token": session.csrf_token,
            "expires_at": session.expires_at.isoformat() + "Z", "home": home_of(session.user)}
    response: Response = (JSONResponse(body) if wants_json(request)
                          else RedirectResponse(_safe_next(target, session.user), status_code=303))
    set_session_cookie(request, response, session)
    set_device_cookie(request, response, session)
    return response


async def _sign_in(request: Request, cursor: Any, email: str, password: str) -> accounts.Session:
    """accounts.sign_in in a worker thread (argon2 would hold the event loop for every request)."""
    return await run_in_threadpool(accounts.sign_in, cursor, email, password, client_ip(request),
                                   request.cookies.get(DEVICE_COOKIE))


# --------------------------------------------------------------------------- sign in and out


@router.get("/sign-in", response_class=HTMLResponse, include_in_schema=False)
def sign_in_page(request: Request) -> Response:
    page = {"next": request.query_params.get("next", ""), "signed_up": "signed_up" in request.query_params}
    return _pre_session_page(request, "sign_in.html", page)


@router.post("/sign-in", include_in_schema=False)
async def sign_in_form(request: Request, cursor: Cursor) -> Response:
    fields = await _fields(request)
    session = await _sign_in(request, cursor, text(fields, "email"), secret(fields, "password"))
    return _signed_in(request, session, text(fields, "next", required=False))


@router.post("/api/session", tags=["accounts"], summary="Sign in with e-mail and password (JSON only); sets the "
             "session cookie and returns the CSRF token to send as X-CSRF-Token")
async def api_sign_in(request: Request, cursor: Cursor) -> Response:
    if not is_json(request):  # a form could be sent from another site's page (login CSRF)
        raise MediaTypeError(message("err_sign_in_json"))
    fields = await payload(request)
    session = await _sign_in(request, cursor, text(fields, "email"), secret(fields, "password"))
    return _signed_in(request, session, None)


@router.get("/api/session", tags=["accounts"], summary="The signed-in user and the session's CSRF token")
def api_session(session: SignedIn) -> Any:
    return {"user": session.user.to_dict(), "csrf_token": session.csrf_token,
            "expires_at": session.expires_at.isoformat() + "Z", "home": home_of(session.user)}


@router.post("/sign-out", include_in_schema=False)
@router.delete("/api/session", tags=["accounts"], summary="Sign out")
def sign_out(request: Request, cursor: Cursor, session: SignedIn) -> Response:
    accounts.sign_out(cursor, session.token)
    response = answer(request, {"signed_out": True}, "/sign-in")
    clear_session_cookie(response)
    return response


# --------------------------------------------------------------------------- sign-up and invitations


@router.get("/sign-up", response_class=HTMLResponse, include_in_schema=False)
def sign_up_page(request: Request) -> Response:
    return _pre_session_page(request, "sign_up.html", {})


@router.post("/sign-up", tags=["accounts"], summary="An enterprise registers itself (name, unified social "
             "credit code, name variants) with its first user; it waits for the office to verify it. The "
             "answer is the same whether or not the e-mail has an account already")
async def sign_up(request: Request, cursor: Cursor) -> Response:
    fields = await _fields(request)
    form = {"name": text(fields, "name"), "uscc": text(fields, "uscc"), "email": text(fields, "email"),
            "password": secret(fields, "password"), "name_variants": listed(fields, "name_variants"),
            "display_name": text(fields, "display_name", required=False)}
    result = await run_in_threadpool(_sign_up, cursor, form, client_ip(request))
    return answer(request, result, "/sign-in?signed_up=1")


def _sign_up(cursor: Any, form: dict[str, Any], ip: str | None) -> dict[str, Any]:
    with transaction(cursor):
        return sign_up_enterprise(cursor, form, ip)


@router.get("/invite/{token}", response_class=HTMLResponse, include_in_schema=False)
def invite_page(request: Request, token: str) -> Response:
    return _pre_session_page(request, "invite.html", {"token": token})


@router.post("/invite/{token}", tags=["accounts"], summary="Accept an invitation by choosing a password")
async def accept_invite(request: Request, cursor: Cursor, token: str) -> Response:
    fields = await _fields(request)
    user = await run_in_threadpool(accounts.accept_invite, cursor, token, secret(fields, "password"))
    session = await _sign_in(request, cursor, user.email, secret(fields, "password"))
    return _signed_in(request, session, None)


# --------------------------------------------------------------------------- one's own account


@router.get("/account", response_class=HTMLResponse, include_in_schema=False)
def account_page(request: Request, session: SignedIn) -> Response:
    page = {"user": session.user.to_dict(), "changed": "changed" in request.query_params}
    return render(request, "account.html", page)


@router.post("/account/password", include_in_schema=False)
@router.post("/api/account/password", tags=["accounts"],
             summary="Change one's password (current_password, new_password); other sessions end")
async def change_password(request: Request, cursor: Cursor, session: SignedIn) -> Response:
    fields = await payload(request)
    await run_in_threadpool(accounts.change_password, cursor, session.user.user_id, secret(fields, "current_password"),
                            secret(fields, "new_password"), keep_session=session.token)
    return answer(request, {"changed": True}, "/account?changed=1")


# --------------------------------------------------------------------------- admin


def _users_page(cursor: Any, invited: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"users": accounts.list_users(cursor), "enterprises": list_enterprises(cursor),
            "roles": list(accounts.ROLES), "invited": invited}


@router.get("/admin/users", response_class=HTMLResponse, tags=["admin"], summary="Users (admin)")
def users_page(request: Request, cursor: Cursor, user: CurrentUser) -> Response:
    require_role(user, "admin")
    return render(request, "admin_users.html", _users_page(cursor))


@router.post("/admin/users", tags=["admin"], summary="Invite a user (admin): returns the invitation link")
def invite(request: Request, cursor: Cursor, user: CurrentUser, fields: Fields) -> Response:
    require_role(user, "admin")
    enterprise = text(fields, "enterprise_id", required=False)
    if enterprise and not enterprise.isdigit():
        raise UsageError(about("enterprise_id", message("err_not_enterprise_number", value=repr(enterprise))))
    invited, token = accounts.invite_user(
        cursor, text(fields, "email"), text(fields, "role"), by=user.user_id,
        region_code=text(fields, "region_code", required=False) or None,
        enterprise_id=int(enterprise) if enterprise else None,
        display_name=text(fields, "display_name", required=False) or None)
    link = f"{str(request.base_url).rstrip('/')}/invite/{token}"
    result = {"user": invited.to_dict(), "invite_url": link}
    if wants_json(request):
        return JSONResponse(result)
    return render(request, "admin_users.html", _users_page(cursor, result))


@router.post("/admin/users/{user_id}/reset", include_in_schema=False)
@router.post("/api/admin/users/{user_id}/reset", tags=["admin"],
             summary="A user forgot the password (admin): it and the user's sessions end; returns a new one-time link")
def reset(request: Request, cursor: Cursor, user: CurrentUser, user_id: int) -> Response:
    require_role(user, "admin")
    target, token = accounts.reset_user(cursor, user_id, by=user.user_id)
    result = {"user": target.to_dict(), "invite_url": f"{str(request.base_url).rstrip('/')}/invite/{token}"}
    if wants_json(request):
        return JSONResponse(result)
    return render(request, "admin_users.html", _users_page(cursor, result))


@router.get("/admin/deliveries", response_class=HTMLResponse, tags=["admin"],
            summary="Warnings not delivered: failed for good, or waiting after a failure (admin)")
def deliveries_page(request: Request, cursor: Cursor, user: CurrentUser) -> Response:
    require_role(user, "admin")
    return render(request, "admin_deliveries.html", {"deliveries": delivery_failures(cursor)})


@router.get("/admin/audit", response_class=HTMLResponse, tags=["admin"], summary="The audit log (admin)")
def audit_page(request: Request, cursor: Cursor, user: CurrentUser) -> Response:
    require_role(user, "admin")
    query = request.query_params
    try:
        page = int(query.get("page") or 1)
    except ValueError:
        raise UsageError(about("page", message("err_not_page_number", value=repr(query.get("page"))))) from None
    return render(request, "admin_audit.html", accounts.audit_page(
        cursor, page, action=query.get("action") or None, who=query.get("who") or None,
        text=query.get("text") or None))


__all__ = ["router", "home_of", "COOKIE"]
