"""Mail and webhooks against real servers on loopback: aiosmtpd for SMTP, ThreadingHTTPServer for HTTP."""

from __future__ import annotations

import datetime as dt
import json
import re
import socket
import time
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from patentatlas.delivery.mail import MailSettings, send_mail
from patentatlas.delivery.webhook import post_webhook, sign, verify
from patentatlas.errors import DeliveryError, UsageError
from tests.servers import Collector, Receiver, free_port, serve

SUBJECT = "年费提醒：CN202010302257.8 第7年"
BODY = "您好，\n专利 CN202010302257.8 的第7年年费将于2026年10月8日截止，请及时缴纳。\n"
SENDER = "专利地图 <noreply@patentatlas.cn>"


# --- SMTP -----------------------------------------------------------------------------------------------


@pytest.fixture
def smtp_auth() -> Iterator[tuple[Controller, Collector]]:
    collector = Collector()
    controller = Controller(
        collector,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=collector.authenticate,
        auth_require_tls=False,
    )
    controller.start()
    yield controller, collector
    controller.stop()


def settings_for(port: int, **extra: Any) -> MailSettings:
    return MailSettings(host="127.0.0.1", port=port, sender=SENDER, **extra)


def test_send_chinese_mail(smtp: tuple[Controller, Collector]) -> None:
    controller, collector = smtp
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    sent_id = send_mail(
        settings_for(controller.port), "ip@hz.gov.cn", SUBJECT, BODY, message_id="<fee-7@patentatlas.cn>"
    )
    assert sent_id == "<fee-7@patentatlas.cn>"
    assert len(collector.envelopes) == 1
    envelope = collector.envelopes[0]
    assert envelope.mail_from == "noreply@patentatlas.cn"
    assert envelope.rcpt_tos == ["ip@hz.gov.cn"]
    message = collector.message()
    assert message["Subject"] == SUBJECT
    assert message["From"] == SENDER
    assert message["To"] == "ip@hz.gov.cn"
    assert message["Message-ID"] == "<fee-7@patentatlas.cn>"
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    assert message.get_content() == BODY
    sent_at = parsedate_to_datetime(message["Date"])
    assert before <= sent_at <= dt.datetime.now(dt.UTC)
    # 7-bit clean on the wire: the subject RFC 2047-encoded, the body base64
    assert message["Content-Transfer-Encoding"] == "base64"
    assert (envelope.original_content or b"").isascii()


def test_generated_message_id_is_returned(smtp: tuple[Controller, Collector]) -> None:
    controller, collector = smtp
    sent_id = send_mail(settings_for(controller.port), "ip@hz.gov.cn", "测试", "正文")
    assert re.fullmatch(r"<[^@<>\s]+@patentatlas\.cn>", sent_id)
    assert collector.message()["Message-ID"] == sent_id
    assert collector.message().get_content() == "正文\n"


def test_login_when_username_is_set(smtp_auth: tuple[Controller, Collector]) -> None:
    controller, collector = smtp_auth
    settings = settings_for(controller.port, username="ipo", password="s3cret-pw")
    send_mail(settings, "ip@hz.gov.cn", SUBJECT, BODY, message_id="<a@patentatlas.cn>")
    assert collector.logins == [("PLAIN", b"ipo", b"s3cret-pw")]
    assert collector.envelopes[0].rcpt_tos == ["ip@hz.gov.cn"]


def test_wrong_password(smtp_auth: tuple[Controller, Collector]) -> None:
    controller, collector = smtp_auth
    settings = settings_for(controller.port, username="ipo", password="wrong")
    with pytest.raises(DeliveryError) as caught:
        send_mail(settings, "ip@hz.gov.cn", SUBJECT, BODY)
    assert caught.value.message == (
        f"mail to ip@hz.gov.cn via 127.0.0.1:{controller.port} failed: "
        "server answered 535 5.7.8 Authentication credentials invalid"
    )
    assert caught.value.status_code == 502
    # smtplib tries each mechanism the server offers before giving up
    assert collector.logins == [("PLAIN", b"ipo", b"wrong"), ("LOGIN", b"ipo", b"wrong")]
    assert collector.envelopes == []


def test_non_ascii_password_refused_before_connecting() -> None:
    port = free_port()
    with pytest.raises(DeliveryError) as caught:
        send_mail(settings_for(port, username="ipo", password="密码"), "ip@hz.gov.cn", SUBJECT, BODY)
    assert caught.value.message == (
        f"mail to ip@hz.gov.cn via 127.0.0.1:{port} failed: SMTP login needs an ASCII user name and password"
    )


def test_starttls_not_offered(smtp: tuple[Controller, Collector]) -> None:
    controller, collector = smtp
    with pytest.raises(DeliveryError) as caught:
        send_mail(settings_for(controller.port, starttls=True), "ip@hz.gov.cn", SUBJECT, BODY)
    assert caught.value.message == (
        f"mail to ip@hz.gov.cn via 127.0.0.1:{controller.port} failed: STARTTLS extension not supported by server"
    )
    assert collector.envelopes == []


def test_recipient_refused(smtp: tuple[Controller, Collector]) -> None:
    controller, collector = smtp
    with pytest.raises(DeliveryError) as caught:
        send_mail(settings_for(controller.port), "x@nobody.example.cn", SUBJECT, BODY)
    assert caught.value.message == (
        f"mail to x@nobody.example.cn via 127.0.0.1:{controller.port} failed: "
        "recipient refused: 550 5.1.1 no such user"
    )
    assert collector.envelopes == []


def test_mail_to_closed_port() -> None:
    port = free_port()
    with pytest.raises(DeliveryError) as caught:
        send_mail(settings_for(port), "a@b.cn", SUBJECT, BODY)
    assert caught.value.message == f"mail to a@b.cn via 127.0.0.1:{port} failed: connection refused"


def test_mail_server_that_never_greets() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(DeliveryError) as caught:
            send_mail(settings_for(port, timeout=0.5), "a@b.cn", SUBJECT, BODY)
        assert time.monotonic() - started < 3
    assert caught.value.message == f"mail to a@b.cn via 127.0.0.1:{port} failed: timeout after 0.5 s"


def test_header_injection_refused() -> None:
    with pytest.raises(UsageError) as caught:
        send_mail(settings_for(free_port()), "a@b.cn", "年费\r\nBcc: x@evil.cn", BODY)
    assert caught.value.message.startswith("mail to 'a@b.cn': Header values may not contain linefeed")
    with pytest.raises(UsageError) as caught:
        send_mail(settings_for(free_port()), "not an address", SUBJECT, BODY)
    assert caught.value.message == "mail recipient 'not an address' is not an address"


def test_mail_settings_from_env() -> None:
    env = {
        "PATENTATLAS_SMTP_HOST": " smtp.hz.gov.cn ",
        "PATENTATLAS_SMTP_PORT": "587",
        "PATENTATLAS_SMTP_SENDER": SENDER,
        "PATENTATLAS_SMTP_USER": "ipo",
        "PATENTATLAS_SMTP_PASSWORD": "密码",
        "PATENTATLAS_SMTP_STARTTLS": "yes",
    }
    assert MailSettings.from_env(env) == MailSettings(
        host="smtp.hz.gov.cn", port=587, sender=SENDER, username="ipo", password="密码", starttls=True, timeout=10.0
    )
    minimal = {"PATENTATLAS_SMTP_HOST": "localhost", "PATENTATLAS_SMTP_SENDER": "a@b.cn"}
    assert MailSettings.from_env(minimal) == MailSettings(host="localhost", port=25, sender="a@b.cn")
    assert MailSettings.from_env({"PATENTATLAS_SMTP_SENDER": "a@b.cn"}) is None
    assert MailSettings.from_env({"PATENTATLAS_SMTP_HOST": ""}) is None


def test_mail_settings_from_process_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATENTATLAS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PATENTATLAS_SMTP_PORT", "2525")
    monkeypatch.setenv("PATENTATLAS_SMTP_SENDER", "a@b.cn")
    monkeypatch.delenv("PATENTATLAS_SMTP_USER", raising=False)
    monkeypatch.delenv("PATENTATLAS_SMTP_PASSWORD", raising=False)
    monkeypatch.delenv("PATENTATLAS_SMTP_STARTTLS", raising=False)
    assert MailSettings.from_env() == MailSettings(host="127.0.0.1", port=2525, sender="a@b.cn")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PORT", "smtp", "PATENTATLAS_SMTP_PORT must be a port number (1–65535), got 'smtp'"),
        ("PORT", "70000", "PATENTATLAS_SMTP_PORT must be a port number (1–65535), got '70000'"),
        ("STARTTLS", "maybe", "PATENTATLAS_SMTP_STARTTLS must be one of 1/0, true/false, yes/no, on/off, got 'maybe'"),
        ("SENDER", "", "PATENTATLAS_SMTP_SENDER must be set when PATENTATLAS_SMTP_HOST is"),
    ],
)
def test_mail_settings_from_env_errors(name: str, value: str, message: str) -> None:
    env = {"PATENTATLAS_SMTP_HOST": "localhost", "PATENTATLAS_SMTP_SENDER": "a@b.cn", f"PATENTATLAS_SMTP_{name}": value}
    with pytest.raises(UsageError) as caught:
        MailSettings.from_env(env)
    assert caught.value.message == message


# --- webhooks -------------------------------------------------------------------------------------------


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from serve(Receiver())


@pytest.fixture
def failing_receiver() -> Iterator[Receiver]:
    yield from serve(Receiver(status=500))


@pytest.fixture
def redirecting_receiver() -> Iterator[Receiver]:
    yield from serve(Receiver(status=302, location="/elsewhere"))


@pytest.fixture
def slow_receiver() -> Iterator[Receiver]:
    yield from serve(Receiver(delay=10.0))


PAYLOAD = {"id": "evt-20261008-7", "type": "fee.due", "title": "年费提醒：第7年", "patent": "CN202010302257.8"}
SECRET = "杭州-知识产权-secret"


def test_signed_webhook_verified_by_receiver(receiver: Receiver) -> None:
    now = int(time.time())
    assert post_webhook(receiver.url, SECRET, PAYLOAD, now=now) == 202
    assert len(receiver.received) == 1
    path, headers, body = receiver.received[0]
    assert path == "/hook"
    assert body == (
        '{"id":"evt-20261008-7","patent":"CN202010302257.8","title":"年费提醒：第7年","type":"fee.due"}'
    ).encode()
    assert json.loads(body.decode("utf-8")) == PAYLOAD
    assert headers["content-type"] == "application/json; charset=utf-8"
    assert headers["content-length"] == str(len(body))
    assert headers["x-patentatlas-timestamp"] == str(now)
    assert headers["x-patentatlas-delivery"] == "evt-20261008-7"
    assert headers["x-patentatlas-signature"] == "sha256=" + sign(SECRET, body, now)
    assert headers["user-agent"] == "PatentAtlas-Webhook/0.1.0"
    # what a receiver does: recompute from its own copy of the secret and the raw body
    assert verify(SECRET, body, headers["x-patentatlas-timestamp"], headers["x-patentatlas-signature"], now=now + 5)
    assert not verify("another secret", body, str(now), headers["x-patentatlas-signature"], now=now)


def test_delivery_id_generated_without_payload_id(receiver: Receiver) -> None:
    assert post_webhook(receiver.url, SECRET, {"title": "无编号"}, now=1767225600) == 202
    _, headers, body = receiver.received[0]
    assert re.fullmatch(r"[0-9a-f]{32}", headers["x-patentatlas-delivery"])
    assert body == '{"title":"无编号"}'.encode()
    assert headers["x-patentatlas-timestamp"] == "1767225600"


def test_sign_known_vector() -> None:
    # printf '1767225600.{"id":"1"}' | openssl dgst -sha256 -hmac '秘密'
    assert sign("秘密", b'{"id":"1"}', 1767225600) == "625c72b6fb95a5b6adac6e3c17275f68e5c9535f5bc0d9af88f64787fb02b1c8"


def test_verify_rejections() -> None:
    body = b'{"id":"1"}'
    good = "sha256=625c72b6fb95a5b6adac6e3c17275f68e5c9535f5bc0d9af88f64787fb02b1c8"
    assert verify("秘密", body, 1767225600, good, now=1767225600 + 300) is True
    assert verify("秘密", body, "1767225600", good, now=1767225600 - 300) is True
    assert verify("秘密", body, 1767225600, good, now=1767225600 + 301) is False  # stale
    assert verify("秘密", body, 1767225600, good, now=1767225600 - 301) is False  # from the future
    assert verify("秘密", body, 1767225600, good, now=1767225700, tolerance=50) is False
    assert verify("秘密", b'{"id":"2"}', 1767225600, good, now=1767225600) is False  # tampered body
    assert verify("秘密", body, 1767225601, good, now=1767225600) is False  # tampered timestamp
    assert verify("秘密", body, 1767225600, good.replace("sha256", "sha1"), now=1767225600) is False
    assert verify("秘密", body, 1767225600, good[:-1], now=1767225600) is False
    assert verify("秘密", body, "1767225600abc", good, now=1767225600) is False
    assert verify("秘密", body, 1767225600, "sha256=签名", now=1767225600) is False


def test_server_error_raises(failing_receiver: Receiver) -> None:
    with pytest.raises(DeliveryError) as caught:
        post_webhook(failing_receiver.url, SECRET, PAYLOAD)
    assert caught.value.message == f"webhook {failing_receiver.url} failed: HTTP 500 Internal Server Error"
    assert caught.value.status_code == 502
    assert len(failing_receiver.received) == 1


def test_redirect_is_not_followed(redirecting_receiver: Receiver) -> None:
    with pytest.raises(DeliveryError) as caught:
        post_webhook(redirecting_receiver.url, SECRET, PAYLOAD)
    assert caught.value.message == f"webhook {redirecting_receiver.url} failed: HTTP 302 Found"
    assert [path for path, _, _ in redirecting_receiver.received] == ["/hook"]


def test_nobody_listening() -> None:
    url = f"http://127.0.0.1:{free_port()}/hook?access_token=s3cr3t"
    with pytest.raises(DeliveryError) as caught:
        post_webhook(url, SECRET, PAYLOAD)
    assert caught.value.message == f"webhook {url.split('?')[0]}?… failed: connection refused"


def test_slow_receiver_times_out(slow_receiver: Receiver) -> None:
    started = time.monotonic()
    with pytest.raises(DeliveryError) as caught:
        post_webhook(slow_receiver.url, SECRET, PAYLOAD, timeout=0.5)
    assert time.monotonic() - started < 3
    assert caught.value.message == f"webhook {slow_receiver.url} failed: timeout after 0.5 s"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://127.0.0.1/hook", "only http and https URLs are allowed"),
        ("file:///etc/passwd", "only http and https URLs are allowed"),
        ("127.0.0.1:8080/hook", "only http and https URLs are allowed"),
        ("http:///hook", "the URL has no host"),
        ("http://127.0.0.1:99999/hook", "invalid URL (Port out of range 0-65535)"),
        ("http://127.0.0.1/a b", "invalid URL"),
    ],
)
def test_invalid_urls(url: str, reason: str) -> None:
    with pytest.raises(DeliveryError) as caught:
        post_webhook(url, SECRET, PAYLOAD)
    assert caught.value.message == f"webhook {url} failed: {reason}"


def test_payload_that_is_not_json() -> None:
    with pytest.raises(UsageError) as caught:
        post_webhook("http://127.0.0.1/hook", SECRET, {"when": dt.date(2026, 10, 8)})
    assert caught.value.message == "webhook payload is not JSON: Object of type date is not JSON serializable"
