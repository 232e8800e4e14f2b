"""Sign-in at the web edge: the session cookie, the signed-in user, and CSRF on every change.

The cookie holds a random token (HttpOnly, SameSite=Lax, Secure over HTTPS); the store keeps
its hash. Every POST carries the session's CSRF token, as the form field ``csrf_token`` or the
header ``X-CSRF-Token``; a request without the right one changes nothing (403).
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request, Response

from patentatlas.domain.accounts import SESSION_HOURS, Session, User, session_for
from patentatlas.errors import AuthError, ForbiddenError
from patentatlas.web.deps import Cursor

COOKIE = "pa_session"
CSRF_HEADER = "X-CSRF-Token"


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def set_session_cookie(request: Request, response: Response, session: Session) -> None:
    response.set_cookie(COOKIE, session.token, max_age=SESSION_HOURS * 3600, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/")


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/")


async def _session(request: Request, cursor: Cursor) -> Session:
    session = session_for(cursor, request.cookies.get(COOKIE))
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
        raise ForbiddenError("the form's security token (CSRF) is missing or wrong: reload the page and try again")


async def _user(session: Annotated[Session, Depends(_session)]) -> User:
    return session.user


async def _optional_session(request: Request, cursor: Cursor) -> Session | None:
    try:
        session = session_for(cursor, request.cookies.get(COOKIE))
    except AuthError:  # a page that works signed out shows the sign-in link instead
        return None
    request.state.user = session.user
    request.state.csrf = session.csrf_token
    return session


SignedIn = Annotated[Session, Depends(_session)]
"""The session of the signed-in user (401 without one; 403 on a POST without the CSRF token)."""
CurrentUser = Annotated[User, Depends(_user)]
MaybeSignedIn = Annotated[Session | None, Depends(_optional_session)]
