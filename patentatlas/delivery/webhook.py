"""Signed webhooks: a JSON POST whose body and timestamp are signed with HMAC-SHA256.

The signature is ``sha256=`` + hex HMAC-SHA256(secret, ``"{timestamp}."`` + body), sent in
``X-PatentAtlas-Signature`` next to ``X-PatentAtlas-Timestamp``; a receiver recomputes it with
``verify``, which also refuses timestamps more than five minutes off. Redirects are not followed:
a 3xx answer is a failure like any other non-2xx one.

>>> sign("秘密", b'{"id":"1"}', 1767225600)
'625c72b6fb95a5b6adac6e3c17275f68e5c9535f5bc0d9af88f64787fb02b1c8'
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import re
import time
import urllib.error
import urllib.request
import uuid
from email.message import Message
from typing import IO, Any
from urllib.parse import urlsplit

from patentatlas import __version__
from patentatlas.delivery import failure_reason
from patentatlas.errors import DeliveryError, UsageError

SIGNATURE_SCHEME = "sha256"
TOLERANCE_S = 300
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Refuse redirects: urllib would re-send a POST as a GET without the body."""

    def redirect_request(
        self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str, headers: Message, newurl: str
    ) -> urllib.request.Request | None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """Hex HMAC-SHA256 of ``"{timestamp}."`` followed by the body, keyed with the UTF-8 secret."""
    return hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def verify(
    secret: str, body: bytes, timestamp: int | str, signature_header: str, *, now: int, tolerance: int = TOLERANCE_S
) -> bool:
    """Whether ``signature_header`` (``sha256=<hex>``) signs ``body`` at a timestamp within ``tolerance`` of ``now``.

    >>> body = b'{"a":1}'
    >>> verify("s", body, "100", "sha256=" + sign("s", body, 100), now=250)
    True
    >>> verify("s", body, "100", "sha256=" + sign("s", body, 100), now=401)
    False
    """
    text = str(timestamp)
    if not _TIMESTAMP.fullmatch(text) or abs(now - int(text)) > tolerance:
        return False
    scheme, _, digest = signature_header.strip().partition("=")
    if scheme != SIGNATURE_SCHEME:
        return False
    return hmac.compare_digest(digest.encode("utf-8"), sign(secret, body, int(text)).encode("ascii"))


def encode_payload(payload: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON with sorted keys and Chinese kept as is.

    >>> encode_payload({"标题": "年费", "id": 7})
    b'{"id":7,"\\xe6\\xa0\\x87\\xe9\\xa2\\x98":"\\xe5\\xb9\\xb4\\xe8\\xb4\\xb9"}'
    """
    try:
        return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise UsageError(f"webhook payload is not JSON: {exc}") from exc


def webhook_headers(secret: str, body: bytes, timestamp: int, delivery_id: str) -> dict[str, str]:
    """The request headers, signature included."""
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": f"PatentAtlas-Webhook/{__version__}",
        "X-PatentAtlas-Timestamp": str(timestamp),
        "X-PatentAtlas-Signature": f"{SIGNATURE_SCHEME}={sign(secret, body, timestamp)}",
        "X-PatentAtlas-Delivery": delivery_id,
    }


def post_webhook(
    url: str, secret: str, payload: dict[str, Any], *, timeout: float = 5.0, now: int | None = None
) -> int:
    """POST the signed payload and return the 2xx status; anything else raises ``DeliveryError``."""
    _check_url(url)
    body = encode_payload(payload)
    timestamp = int(time.time()) if now is None else now
    headers = webhook_headers(secret, body, timestamp, _delivery_id(payload))
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            response.read()
            status: int = response.status
    except urllib.error.HTTPError as exc:
        exc.close()
        raise _failure(url, f"HTTP {exc.code} {exc.reason}") from exc
    except urllib.error.URLError as exc:
        reason = exc.reason
        raise _failure(url, failure_reason(reason, timeout) if isinstance(reason, BaseException) else reason) from exc
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise _failure(url, failure_reason(exc, timeout)) from exc
    if not 200 <= status < 300:
        raise _failure(url, f"HTTP {status}")
    return status


def _check_url(url: str) -> None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise _failure(url, f"invalid URL ({exc})") from exc
    if parts.scheme.lower() not in ("http", "https"):
        raise _failure(url, "only http and https URLs are allowed")
    if not parts.hostname:
        raise _failure(url, "the URL has no host")
    if any(char.isspace() or not char.isprintable() for char in url) or port == 0:
        raise _failure(url, "invalid URL")


def _delivery_id(payload: dict[str, Any]) -> str:
    raw = payload.get("id")
    if raw is None:
        return uuid.uuid4().hex
    text = str(raw)
    if not text or not text.isascii() or not text.isprintable():
        raise UsageError(f"webhook payload id {text!r} must be printable ASCII to go in a header")
    return text


def shown_url(url: str) -> str:
    """The URL for messages: without credentials, and with the query (often a token) hidden.

    >>> shown_url("https://user:pw@oapi.dingtalk.com/robot/send?access_token=abc")
    'https://oapi.dingtalk.com/robot/send?…'
    """
    try:
        parts = urlsplit(url)
        netloc = parts.netloc.rpartition("@")[2]
    except ValueError:
        return url
    return parts._replace(netloc=netloc, query="…" if parts.query else "", fragment="").geturl()


def _failure(url: str, reason: str) -> DeliveryError:
    return DeliveryError(f"webhook {shown_url(url)} failed: {reason}")
