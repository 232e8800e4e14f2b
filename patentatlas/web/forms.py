"""Changes through the web: one reader for a form or a JSON body, one answer for each.

A browser's form gets a 303 redirect back to a page; a script's JSON gets JSON.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from patentatlas.errors import PatentAtlasError, UsageError, about
from patentatlas.i18n import LANGS, message, translate
from patentatlas.normalize.names import split_list

LIST_FIELDS = {"numbers"}  # form fields that may repeat


def is_json(request: Request) -> bool:
    return request.headers.get("content-type", "").startswith("application/json")


def wants_json(request: Request) -> bool:
    return (request.url.path.startswith("/api/") or is_json(request) or request.query_params.get("format") == "json"
            or "application/json" in request.headers.get("accept", ""))


async def payload(request: Request) -> dict[str, Any]:
    """The request's fields, from a JSON object or a form (repeated fields as lists; files kept)."""
    if is_json(request):
        try:
            body = json.loads(await request.body() or b"{}")
        except json.JSONDecodeError as exc:
            raise UsageError(message("err_body_not_json", reason=exc.msg, pos=exc.pos)) from None
        if not isinstance(body, dict):
            raise UsageError(message("err_body_not_object"))
        return {str(k): _json_field(str(k), v) for k, v in body.items()}
    form = await request.form()
    out: dict[str, Any] = {}
    for key in form:
        values = form.getlist(key)
        out[key] = values if key in LIST_FIELDS else values[-1]
    out.pop("csrf_token", None)
    return {k: v for k, v in out.items() if isinstance(v, list | str | UploadFile)}


def _json_field(name: str, value: Any) -> Any:
    """A JSON field as a form would send it: text, or a list of texts (numbers as their text);
    an object or a nested list is refused here, so no route meets a type it does not expect.

    >>> _json_field("employees", 300), _json_field("numbers", ["CN1", 2]), _json_field("note", None)
    ('300', ['CN1', '2'], None)
    """
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list) and all(v is None or isinstance(v, str | int | float) for v in value):
        return [str(v) for v in value if v is not None]
    said = message("err_json_field_object") if isinstance(value, dict) else message("err_json_field_nested")
    raise UsageError(about(name, said))


def secret(fields: dict[str, Any], name: str) -> str:
    """A password exactly as typed: never stripped (a space is part of it)."""
    value = fields.get(name)
    if value is None or value == "":
        raise UsageError(about(name, message("err_is_required")))
    if not isinstance(value, str):
        raise UsageError(about(name, message("err_expected_text")))
    return value


def text(fields: dict[str, Any], name: str, *, required: bool = True) -> str:
    value = fields.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise UsageError(about(name, message("err_is_required")))
        return ""
    if not isinstance(value, str):
        raise UsageError(about(name, message("err_expected_text")))
    return value.strip()


def listed(fields: dict[str, Any], name: str) -> list[str]:
    """A field's items: a list, or text separated by commas, semicolons or lines (one per line)."""
    value = fields.get(name) or []
    return [item for part in (value if isinstance(value, list) else [value]) for item in split_list(str(part))]


def numbers(fields: dict[str, Any]) -> list[str]:
    """Application numbers from a list field, or one text field separated by commas or lines."""
    out = listed(fields, "numbers")
    if not out:
        raise UsageError(message("err_choose_a_patent"), field="numbers")
    return out


def answer(request: Request, result: Any, back: str) -> Response:
    """JSON for scripts; for a browser, back to the page with a message saying what was done."""
    if wants_json(request):
        return JSONResponse(result)
    response = RedirectResponse(back, status_code=303)
    if not any(mark in back for mark in OWN_NOTICE):
        set_flash(response, "success", key=success_key(request.url.path, result))
    return response


# --------------------------------------------------------------------------- messages after an action

FLASH_COOKIE = "pa_flash"
_FLASH_KEY = secrets.token_bytes(32)  # per process: a message lives for one redirect, no longer
FLASH_BYTES = 3000  # a cookie holds about 4 KB: longer kept input is dropped, the message stays
KEPT_NEVER = ("password", "secret", "token", "csrf")  # never written into a cookie
OWN_NOTICE = ("done=", "signed_up=1", "changed=1")  # pages that say what was done themselves
SUCCESS_KEYS = (("/sign-out", "flash_signed_out"), ("/profile", "flash_profile_saved"),
                ("/watches", "flash_watches_saved"), ("/calendar-token", "flash_calendar_token"),
                ("/inbox/read", "flash_marked_read"), ("/payments", "flash_payment_recorded"),
                ("/payments/bulk", "flash_payment_recorded"), ("/enterprises", "flash_enterprise_saved"))


def set_flash(response: Response, kind: str, *, key: str | None = None, message: str | None = None,
              field: str | None = None, values: dict[str, Any] | None = None, form: str | None = None) -> None:
    """A message for the next page the browser shows, once, in a signed cookie: ``kind`` success or
    error; ``key`` a word of the interface (translated on display) or ``message`` (a
    :class:`~patentatlas.i18n.Message`, kept in every language, or text); for a form's error the
    ``field`` it concerns, the ``values`` typed (secrets left out) and the ``form``'s action."""
    texts = {lang: str(translate(message, lang))[:600] for lang in LANGS} if message else {}
    data = {"kind": kind, "key": key, "message": str(message or "")[:600], "texts": texts, "field": field,
            "form": form,
            "values": {k: v for k, v in (values or {}).items() if not any(s in k.lower() for s in KEPT_NEVER)}}
    raw = json.dumps(data, ensure_ascii=False).encode()
    if len(raw) > FLASH_BYTES:
        raw = json.dumps({**data, "values": {}}, ensure_ascii=False).encode()
    body = base64.urlsafe_b64encode(raw).decode()
    response.set_cookie(FLASH_COOKIE, f"{body}.{_signature(body)}", max_age=600, httponly=True, samesite="lax",
                        path="/")


def flash_text(flash: dict[str, Any], lang: str) -> str:
    """A flash's message in the page's language (as it was written, for a message in no catalogue)."""
    texts = flash.get("texts")
    return str((texts.get(lang) if isinstance(texts, dict) else None) or flash.get("message") or "")


def read_flash(request: Request) -> dict[str, Any] | None:
    """The message :func:`set_flash` left for this page, if its signature holds."""
    body, _, signature = (request.cookies.get(FLASH_COOKIE) or "").partition(".")
    if not body or not hmac.compare_digest(signature, _signature(body)):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(body.encode()))
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _signature(body: str) -> str:
    return hmac.new(_FLASH_KEY, body.encode(), hashlib.sha256).hexdigest()[:32]


def success_key(path: str, result: Any) -> str:
    """The word that says what a form did: by the action's path (custody: by its action)."""
    if path.endswith("/custody") and isinstance(result, dict):
        done = result.get("done")
        if isinstance(done, list) and any(isinstance(d, dict) and d.get("status") == "requested" for d in done):
            return "flash_custody_requested"  # not the enterprise's by its names: the office decides
        return f"flash_custody_{result.get('action')}"
    if path.startswith("/approvals/"):
        return "flash_decided"
    return next((key for suffix, key in SUCCESS_KEYS if path.endswith(suffix)), "flash_done")


def form_back(request: Request) -> str | None:
    """The page a browser's form was sent from (its Referer on this site), where its error is shown."""
    if request.method != "POST" or wants_json(request):
        return None
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc != request.headers.get("host") or not referer.path.startswith("/") \
            or referer.path.startswith("//"):
        return None
    return referer.path + (f"?{referer.query}" if referer.query else "")


async def form_error(request: Request, back: str, error: PatentAtlasError) -> Response:
    """Back to the form's page with the error beside its field and the input kept (one helper for
    every form: static/forms.js puts the message and the values into the form)."""
    values: dict[str, Any] = {}
    try:
        form = await request.form()
        values = {k: (form.getlist(k) if len(form.getlist(k)) > 1 else form.get(k)) for k in form}
        values = {k: v for k, v in values.items() if isinstance(v, str) or
                  (isinstance(v, list) and all(isinstance(i, str) for i in v))}
    except Exception:  # noqa: BLE001 - a body that cannot be read again keeps no input, the message stays
        values = {}
    response = RedirectResponse(back, status_code=303)
    set_flash(response, "error", message=error.message, field=error.field, values=values, form=request.url.path)
    return response
