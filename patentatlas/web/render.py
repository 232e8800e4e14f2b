"""One dict per page, rendered as HTML (Chinese or English) or as JSON: the one place every router uses.

JSON when the client asks for it (``/api/…``, ``?format=json``, ``Accept: application/json``),
else the template, with the interface words, the signed-in user and the session's CSRF token.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from fastapi.templating import Jinja2Templates

from patentatlas.beijing_time import beijing
from patentatlas.config import setting
from patentatlas.domain.accounts import User, session_for
from patentatlas.errors import AuthError
from patentatlas.i18n import language, translate_all
from patentatlas.web.auth import COOKIE
from patentatlas.web.forms import FLASH_COOKIE, flash_text, read_flash, wants_json
from patentatlas.web.i18n import LANGS, install, translator

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.filters["bj"] = beijing  # {{ w.created_at | bj }}: Beijing time, as every page shows times
install(templates.env)  # {{ _('fee_calendar') }}: the words of the catalogues, in the language being rendered


def lang_of(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get("lang") or setting("lang")
    return lang if lang in LANGS else "zh"


def jsonable(value: Any) -> Any:
    """Dates and times as ISO text, all the way down."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    return value.isoformat() if hasattr(value, "isoformat") else value


def page_user(request: Request) -> User | None:
    """Who is signed in, for the page header (pages open to all look the session up themselves)."""
    if getattr(request.state, "user", None) is None and request.cookies.get(COOKIE):
        cursor = request.app.state.conn.cursor()
        try:
            session = session_for(cursor, request.cookies.get(COOKIE))
            request.state.user, request.state.csrf = session.user, session.csrf_token
        except AuthError:
            return None
        finally:
            cursor.close()
    return getattr(request.state, "user", None)


def render_template(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> Response:
    """A template with the words of the request's language, the user and the CSRF token."""
    lang = lang_of(request)
    flash = read_flash(request)  # what the last action said: shown once, on this page
    if flash is not None and flash.get("kind") == "error":
        flash["text"] = flash_text(flash, lang)
    full = {"t": translator(lang), "lang": lang, "query": dict(request.query_params), "user": page_user(request),
            "csrf": getattr(request.state, "csrf", None), "flash": flash, **translate_all(context, lang)}
    with language(lang):  # the template's _() reads it; the response is rendered here, at once
        response = templates.TemplateResponse(request, template, full, status_code=status_code)
    if flash is not None or FLASH_COOKIE in request.cookies:
        response.delete_cookie(FLASH_COOKIE, path="/")
    if request.query_params.get("lang") in LANGS:
        response.set_cookie("lang", lang, httponly=True, samesite="lax")
    return response


def render(request: Request, template: str, page: dict[str, Any], status_code: int = 200) -> Response:
    """The page as JSON when asked for, else as HTML."""
    if wants_json(request):
        return JSONResponse(jsonable(page), status_code=status_code)
    return render_template(request, template, {"page": page}, status_code)
