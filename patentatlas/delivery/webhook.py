"""Signed webhooks: a JSON POST whose body and timestamp are signed with HMAC-SHA256.

The signature is ``sha256=`` + hex HMAC-SHA256(secret, ``"{timestamp}."`` + body), sent in
``X-PatentAtlas-Signature`` next to ``X-PatentAtlas-Timestamp``; a receiver recomputes it with
``verify``, which also refuses timestamps more than five minutes off. Redirects are not followed:
a 3xx answer is a failure like any other non-2xx one.

A webhook goes to the internet, never inside the server's network: the host is resolved and
every address it has must be public — not loopback, link-local (``169.254.169.254``, the cloud's
metadata service), private, shared, reserved, multicast or unspecified, in any spelling
(``0x7f000001``, ``2130706433``, ``[::1]``, ``::ffff:127.0.0.1``, ``localhost``). The check runs
when a profile is saved and again before each send (DNS can change), and the connection goes to
the very address that was checked, so a second lookup cannot swap it. An office whose receiver
is internal names it in the setting ``webhook_allowed_hosts`` (a host name as written in the URL,
or a network such as ``10.20.0.0/16``).

>>> sign("秘密", b'{"id":"1"}', 1767225600)
'625c72b6fb95a5b6adac6e3c17275f68e5c9535f5bc0d9af88f64787fb02b1c8'
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import re
import socket
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, urlsplit

from patentatlas import __version__
from patentatlas.config import setting
from patentatlas.delivery import failure_reason
from patentatlas.errors import DeliveryError, UsageError, about
from patentatlas.i18n import message

SIGNATURE_SCHEME = "sha256"
TOLERANCE_S = 300
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # IPv4 addresses dressed as IPv6


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
    try:
        target = webhook_target(url)
    except _Refused as exc:
        raise _failure(url, exc.reason) from None
    connection = target.connection(timeout)
    try:
        connection.request("POST", target.path, body, headers)
        response = connection.getresponse()
        response.read()
        status, reason = response.status, response.reason
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise _failure(url, failure_reason(exc, timeout)) from exc
    finally:
        connection.close()
    if not 200 <= status < 300:
        raise _failure(url, f"HTTP {status} {reason}".rstrip())
    return status


def _check_url(url: str) -> SplitResult:
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
    return parts


# --------------------------------------------------------------------------- where a webhook may go


class _Refused(Exception):
    """A webhook address that may not be called; ``reason`` says why (turned into our errors at the edges)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class WebhookTarget:
    """A checked webhook address: where to connect (``address``, pinned) and what to ask for."""

    scheme: str
    host: str
    port: int
    path: str
    address: str

    def connection(self, timeout: float) -> http.client.HTTPConnection:
        """A connection to the checked address (TLS checks the certificate against ``host``)."""
        if self.scheme == "https":
            return _PinnedHTTPS(self.host, self.port, self.address, timeout)
        return _PinnedHTTP(self.host, self.port, self.address, timeout)


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def internal_kind(address: IPAddress) -> str | None:
    """What makes ``address`` internal (loopback, private…), or None for a public address.

    >>> [internal_kind(ipaddress.ip_address(a)) for a in ("8.8.8.8", "169.254.169.254", "::ffff:10.0.0.1")]
    [None, 'link-local', 'private']
    """
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return internal_kind(address.ipv4_mapped)
        if address in _NAT64:
            return internal_kind(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    for kind in ("unspecified", "loopback", "link_local", "multicast", "private", "reserved"):
        if getattr(address, f"is_{kind}"):
            return kind.replace("_", "-")
    return None if address.is_global else "not public"


def _allowed_hosts() -> tuple[set[str], list[ipaddress.IPv4Network | ipaddress.IPv6Network]]:
    names: set[str] = set()
    networks = []
    for entry in (e.strip().lower().strip("[]") for e in setting("webhook_allowed_hosts").split(",")):
        if "/" in entry:
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                raise UsageError(f"PATENTATLAS_WEBHOOK_ALLOWED_HOSTS: {entry!r} is not a network "
                                 "such as 10.20.0.0/16") from None
        elif entry:
            names.add(entry.rstrip("."))
    return names, networks


def _addresses(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (a literal in any spelling the resolver takes is itself)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).partition("%")[0]) for info in infos))


def webhook_target(url: str, *, unresolved_ok: bool = False) -> WebhookTarget:
    """The checked target of ``url``: every address of its host public, or its host allowed.

    Raises ``_Refused``; ``unresolved_ok`` lets a host that does not resolve now pass (a profile
    saved while the receiver's name is not yet in DNS: the send-time check refuses it then).
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        addresses = _addresses(host, port)
    except (socket.gaierror, UnicodeError) as exc:
        if unresolved_ok:
            return WebhookTarget(parts.scheme.lower(), host, port, path, "")
        raise _Refused(failure_reason(exc) if isinstance(exc, OSError) else f"invalid host ({exc})") from None
    names, networks = _allowed_hosts()
    if host not in names:
        for address in addresses:
            kind = internal_kind(address)
            if kind and not any(address in n for n in networks if n.version == address.version):
                raise _Refused(f"{host} is a {kind} address ({address}): webhooks go to public addresses; "
                               "an internal receiver must be named in PATENTATLAS_WEBHOOK_ALLOWED_HOSTS")
    return WebhookTarget(parts.scheme.lower(), host, port, path, str(addresses[0]))


def check_webhook_url(url: str) -> str:
    """``url`` if a profile may hold it as its webhook: http(s), with a public (or allowed) host.

    >>> check_webhook_url("http://169.254.169.254/latest/meta-data")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    patentatlas.errors.UsageError: webhook_url: 169.254.169.254 is a link-local address (169.254.169.254): ...
    """
    try:
        _check_url(url)
        webhook_target(url, unresolved_ok=True)
    except DeliveryError as exc:
        reason = exc.message.partition(" failed: ")[2]
        raise UsageError(about("webhook_url", message("err_webhook_refused", reason=reason))) from None
    except _Refused as exc:
        raise UsageError(about("webhook_url", message("err_webhook_refused", reason=exc.reason))) from None
    return url


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
