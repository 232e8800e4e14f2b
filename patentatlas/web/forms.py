"""Changes through the web: one reader for a form or a JSON body, one answer for each.

A browser's form gets a 303 redirect back to a page; a script's JSON gets JSON.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from patentatlas.errors import UsageError
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
            raise UsageError(f"the request body is not JSON: {exc.msg} at character {exc.pos}") from None
        if not isinstance(body, dict):
            raise UsageError("the request body must be a JSON object")
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
    raise UsageError(f"{name}: expected text, a number or a list of them, got a JSON "
                     f"{'object' if isinstance(value, dict) else 'list of lists or objects'}")


def secret(fields: dict[str, Any], name: str) -> str:
    """A password exactly as typed: never stripped (a space is part of it)."""
    value = fields.get(name)
    if value is None or value == "":
        raise UsageError(f"{name}: required")
    if not isinstance(value, str):
        raise UsageError(f"{name}: expected text")
    return value


def text(fields: dict[str, Any], name: str, *, required: bool = True) -> str:
    value = fields.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise UsageError(f"{name}: required")
        return ""
    if not isinstance(value, str):
        raise UsageError(f"{name}: expected text")
    return value.strip()


def listed(fields: dict[str, Any], name: str) -> list[str]:
    """A field's items: a list, or text separated by commas, semicolons or lines (one per line)."""
    value = fields.get(name) or []
    return [item for part in (value if isinstance(value, list) else [value]) for item in split_list(str(part))]


def numbers(fields: dict[str, Any]) -> list[str]:
    """Application numbers from a list field, or one text field separated by commas or lines."""
    out = listed(fields, "numbers")
    if not out:
        raise UsageError("numbers: choose at least one patent")
    return out


def answer(request: Request, result: Any, back: str) -> Response:
    """JSON for scripts; for a browser, back to the page with what was done."""
    if wants_json(request):
        return JSONResponse(result)
    return RedirectResponse(back, status_code=303)
