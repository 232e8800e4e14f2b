"""Mail over SMTP: one UTF-8 message to one recipient, with optional STARTTLS and login.

The server comes from ``PATENTATLAS_SMTP_*`` environment variables (``MailSettings.from_env``);
without ``PATENTATLAS_SMTP_HOST`` mail is switched off. Failures raise ``DeliveryError``.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from patentatlas.config import setting
from patentatlas.delivery import failure_reason
from patentatlas.errors import DeliveryError, UsageError

ENV_PREFIX = "PATENTATLAS_SMTP_"
DEFAULT_PORT = 25
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


@dataclass(frozen=True)
class MailSettings:
    """Where and as whom mail is sent."""

    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 10.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> MailSettings | None:
        """Settings from ``PATENTATLAS_SMTP_{HOST,PORT,SENDER,USER,PASSWORD,STARTTLS}``; None without a host.

        >>> MailSettings.from_env({"PATENTATLAS_SMTP_HOST": "smtp.b.cn", "PATENTATLAS_SMTP_SENDER": "a@b.cn"}).port
        25
        >>> MailSettings.from_env({}) is None
        True
        """
        host = setting("smtp_host", env).strip()
        if not host:
            return None
        sender = setting("smtp_sender", env).strip()
        if not sender:
            raise UsageError(f"{ENV_PREFIX}SENDER must be set when {ENV_PREFIX}HOST is")
        return cls(
            host=host,
            port=_env_port(setting("smtp_port", env)),
            sender=sender,
            username=setting("smtp_user", env) or None,
            password=setting("smtp_password", env) or None,
            starttls=_env_flag(setting("smtp_starttls", env)),
        )


def _env_port(text: str) -> int:
    text = text.strip()
    if not text:
        return DEFAULT_PORT
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise UsageError(f"{ENV_PREFIX}PORT must be a port number (1–65535), got {text!r}")
    return int(text)


def _env_flag(text: str) -> bool:
    flag = text.strip().lower()
    if flag not in _TRUE | _FALSE:
        raise UsageError(f"{ENV_PREFIX}STARTTLS must be one of 1/0, true/false, yes/no, on/off, got {text!r}")
    return flag in _TRUE


def build_message(
    settings: MailSettings, to: str, subject: str, body: str, *, message_id: str | None = None
) -> EmailMessage:
    """The message: From, To, Subject, Date, Message-ID and a UTF-8 plain-text body."""
    if "@" not in parseaddr(to)[1]:
        raise UsageError(f"mail recipient {to!r} is not an address")
    message = EmailMessage()
    try:
        message["From"] = settings.sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=True)
        message["Message-ID"] = message_id or make_msgid(domain=_sender_domain(settings.sender))
    except ValueError as exc:  # a header with a line break
        raise UsageError(f"mail to {to!r}: {exc}") from exc
    message.set_content(body, charset="utf-8", cte="base64")
    return message


def _sender_domain(sender: str) -> str:
    return parseaddr(sender)[1].rpartition("@")[2] or "patentatlas.localhost"


def send_mail(settings: MailSettings, to: str, subject: str, body: str, *, message_id: str | None = None) -> str:
    """Send one message and return its Message-ID; ``DeliveryError`` if the server cannot take it."""
    message = build_message(settings, to, subject, body, message_id=message_id)
    where = f"mail to {to} via {settings.host}:{settings.port}"
    if not f"{settings.username or ''}{settings.password or ''}".isascii():
        # smtplib sends AUTH PLAIN/LOGIN as ASCII only
        raise DeliveryError(f"{where} failed: SMTP login needs an ASCII user name and password")
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.username:
                smtp.login(settings.username, settings.password or "")
            smtp.send_message(message)
    except OSError as exc:  # smtplib.SMTPException is an OSError
        raise DeliveryError(f"{where} failed: {failure_reason(exc, settings.timeout)}") from exc
    return str(message["Message-ID"])
