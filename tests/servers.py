"""Real servers on loopback for the delivery tests: aiosmtpd for SMTP, ThreadingHTTPServer for webhooks."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session


def free_port() -> int:
    """A loopback port nobody listens on (the socket that found it is closed again)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Collector:
    """An aiosmtpd handler keeping every envelope; refuses recipients at nobody.example.cn."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        self.logins: list[tuple[str, bytes, bytes]] = []

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self, server: SMTPServer, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.endswith("@nobody.example.cn"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:  # noqa: N802
        self.envelopes.append(envelope)
        return "250 OK"

    def authenticate(
        self, server: SMTPServer, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        self.logins.append((mechanism, auth_data.login, auth_data.password))
        # handled=False: aiosmtpd then answers 535 itself
        return AuthResult(success=(auth_data.login, auth_data.password) == (b"ipo", b"s3cret-pw"), handled=False)

    def message(self, index: int = 0) -> EmailMessage:
        parsed = message_from_bytes(self.envelopes[index].original_content or b"", policy=default_policy)
        assert isinstance(parsed, EmailMessage)
        return parsed


class Receiver(ThreadingHTTPServer):
    """Records each POST; answers ``status`` (with ``location`` if set) after waiting up to ``delay`` seconds.
    ``port`` 0 takes a free one."""

    def __init__(self, status: int = 202, delay: float = 0.0, location: str | None = None, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), ReceiverHandler)
        self.status = status
        self.delay = delay
        self.location = location
        self.release = threading.Event()
        self.received: list[tuple[str, dict[str, str], bytes]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


class ReceiverHandler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:  # noqa: N802 (http.server's method name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        headers = {name.lower(): value for name, value in self.headers.items()}
        self.server.received.append((self.path, headers, body))
        if self.server.delay:
            self.server.release.wait(self.server.delay)
        with contextlib.suppress(ConnectionError):  # a client that timed out has gone
            self.send_response(self.server.status)
            if self.server.location:
                self.send_header("Location", self.server.location)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
        pass


def serve(receiver: Receiver) -> Iterator[Receiver]:
    thread = threading.Thread(target=receiver.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield receiver
    receiver.release.set()
    receiver.shutdown()
    receiver.server_close()
    thread.join(5)
