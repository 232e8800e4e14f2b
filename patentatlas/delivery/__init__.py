"""Delivering notifications out of the platform: mail over SMTP, signed webhooks over HTTP.

Every failure becomes a ``DeliveryError`` naming the target and, in a few words, the reason.

>>> failure_reason(ConnectionRefusedError(111, "Connection refused"))
'connection refused'
"""

from __future__ import annotations

import smtplib
import socket


def failure_reason(exc: BaseException, timeout: float | None = None) -> str:
    """A short reason for a network or SMTP failure, for an error message.

    >>> failure_reason(TimeoutError("timed out"), 0.5)
    'timeout after 0.5 s'
    """
    if isinstance(exc, smtplib.SMTPServerDisconnected) and isinstance(exc.__context__, OSError):
        return failure_reason(exc.__context__, timeout)  # smtplib hides a read timeout in its context
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError):
        return "timeout" if timeout is None else f"timeout after {timeout:g} s"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve host ({exc.strerror})"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "recipient refused: " + "; ".join(_smtp_reply(*reply) for reply in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"server answered {_smtp_reply(exc.smtp_code, exc.smtp_error)}"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc).rstrip(".") or type(exc).__name__


def _smtp_reply(code: int, text: bytes | str) -> str:
    message = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {message}"
