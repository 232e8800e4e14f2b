"""Sign-in at the web edge: the session cookie, the signed-in user, and CSRF on every change.

The cookie holds a random token (HttpOnly, SameSite=Lax, Secure over HTTPS); the store keeps
its hash. Every POST carries the session's CSRF token, as the form field ``csrf_token`` or the
header ``X-CSRF-Token``; a request without the right one changes nothing (403).

The client's address is the connection's; ``X-Forwarded-For`` is believed only when the
connection comes from a proxy named in the ``trusted_proxies`` setting.
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import Annotated

from fastapi import Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from patentatlas.config import setting
from patentatlas.domain.accounts import SESSION_HOURS, Session, User, session_for
from patentatlas.errors import ForbiddenError, UsageError
from patentatlas.i18n import message
from patentatlas.web.deps import Cursor

COOKIE = "pa_session"
DEVICE_COOKIE = "pa_device"  # a browser that signed in before: its own count of failed sign-ins
DEVICE_DAYS = 365
CSRF_HEADER = "X-CSRF-Token"


def _networks(value: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    try:
        return [ipaddress.ip_network(part.strip(), strict=False) for part in value.split(",") if part.strip()]
    except ValueError as exc:
        raise UsageError(f"PATENTATLAS_TRUSTED_PROXIES: {exc} (addresses or networks, comma-separated)") from None


def _is_proxy(address: str, proxies: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def client_ip(request: Request) -> str | None:
    """The client's address: the connection's, or — only when the connection comes from a trusted
    proxy — the nearest address in ``X-Forwarded-For`` that is not itself a trusted proxy."""
    peer = request.client.host if request.client else None
    proxies = _networks(setting("trusted_proxies"))
    if peer is None or not proxies or not _is_proxy(peer, proxies):
        return peer
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not _is_proxy(hop, proxies):
            return hop
    return peer


def set_device_cookie(request: Request, response: Response, session: Session) -> None:
    if session.device:
        response.set_cookie(DEVICE_COOKIE, session.device, max_age=DEVICE_DAYS * 86400, httponly=True,
                            samesite="strict", secure=request.url.scheme == "https", path="/")


def set_session_cookie(request: Request, response: Response, session: Session) -> None:
    response.set_cookie(COOKIE, session.token, max_age=SESSION_HOURS * 3600, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/")


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/")


async def _session(request: Request, cursor: Cursor) -> Session:
    session = await run_in_threadpool(session_for, cursor, request.cookies.get(COOKIE))
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        await check_csrf(request, session.csrf_token)
    request.state.user = session.user
    request.state.csrf = session.csrf_token
    return session


async def check_csrf(request: Request, expected: str | None) -> None:
    """The token the request sent (header, or the form's ``csrf_token``) must be ``expected``."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get("csrf_token")
        sent = value if isinstance(value, str) else None
    if not sent or not expected or not hmac.compare_digest(sent, expected):
        raise ForbiddenError(message("err_csrf_token"))


async def _user(session: Annotated[Session, Depends(_session)]) -> User:
    return session.user


SignedIn = Annotated[Session, Depends(_session)]
"""The session of the signed-in user (401 without one; 403 on a POST without the CSRF token)."""
CurrentUser = Annotated[User, Depends(_user)]
