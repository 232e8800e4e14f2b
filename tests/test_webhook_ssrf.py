"""Webhook addresses never reach inside (issue 10 §4): every spelling of an internal address is
refused when a profile is saved and again when a warning is sent, the connection goes to the
address that was checked, and only the setting ``webhook_allowed_hosts`` lets an internal
receiver through. Each attack points at a real receiver on loopback, which must hear nothing."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from patentatlas.delivery.webhook import check_webhook_url, post_webhook
from patentatlas.domain import accounts
from patentatlas.domain import enterprises as ent
from patentatlas.errors import DeliveryError, UsageError
from patentatlas.store import open_store
from patentatlas.web.app import create_app
from tests.servers import Receiver, serve
from tests.web_support import signed_in

SECRET = "杭州-secret"
PAYLOAD = {"id": "evt-1", "title": "年费提醒"}
HINT = "webhooks go to public addresses; an internal receiver must be named in PATENTATLAS_WEBHOOK_ALLOWED_HOSTS"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from serve(Receiver())


@pytest.fixture
def no_allowed_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PATENTATLAS_WEBHOOK_ALLOWED_HOSTS", raising=False)


def _attacks(port: int) -> list[tuple[str, str]]:
    """(URL, why it is refused): each of the probe's forms, and the other internal kinds."""
    return [
        (f"http://127.0.0.1:{port}/hook", f"127.0.0.1 is a loopback address (127.0.0.1): {HINT}"),
        (f"http://localhost:{port}/hook", f"localhost is a loopback address (127.0.0.1): {HINT}"),
        (f"http://0x7f000001:{port}/hook", f"0x7f000001 is a loopback address (127.0.0.1): {HINT}"),
        (f"http://2130706433:{port}/hook", f"2130706433 is a loopback address (127.0.0.1): {HINT}"),
        (f"http://0177.0.0.1:{port}/hook", f"0177.0.0.1 is a loopback address (127.0.0.1): {HINT}"),
        (f"http://127.1:{port}/hook", f"127.1 is a loopback address (127.0.0.1): {HINT}"),
        (f"http://[::1]:{port}/hook", f"::1 is a loopback address (::1): {HINT}"),
        (f"http://[::ffff:127.0.0.1]:{port}/hook", f"::ffff:127.0.0.1 is a loopback address (::ffff:7f00:1): {HINT}"),
        ("http://169.254.169.254/latest/meta-data",
         f"169.254.169.254 is a link-local address (169.254.169.254): {HINT}"),
        ("http://10.0.0.1/hook", f"10.0.0.1 is a private address (10.0.0.1): {HINT}"),
        ("http://192.168.1.10/hook", f"192.168.1.10 is a private address (192.168.1.10): {HINT}"),
        ("https://172.16.0.5/hook", f"172.16.0.5 is a private address (172.16.0.5): {HINT}"),
        ("http://100.64.0.1/hook", f"100.64.0.1 is a not public address (100.64.0.1): {HINT}"),
        ("http://0.0.0.0/hook", f"0.0.0.0 is a unspecified address (0.0.0.0): {HINT}"),
        ("http://224.0.0.1/hook", f"224.0.0.1 is a multicast address (224.0.0.1): {HINT}"),
        ("http://240.0.0.1/hook", f"240.0.0.1 is a private address (240.0.0.1): {HINT}"),
        ("http://[fe80::1]/hook", f"fe80::1 is a link-local address (fe80::1): {HINT}"),
        ("http://[fd00::1]/hook", f"fd00::1 is a private address (fd00::1): {HINT}"),
        ("http://[64:ff9b::a9fe:a9fe]/hook",
         f"64:ff9b::a9fe:a9fe is a link-local address (64:ff9b::a9fe:a9fe): {HINT}"),
    ]


def test_every_internal_form_is_refused_at_send_time(receiver: Receiver, no_allowed_hosts: None) -> None:
    for url, reason in _attacks(receiver.server_address[1]):
        with pytest.raises(DeliveryError) as caught:
            post_webhook(url, SECRET, PAYLOAD, timeout=1.0)
        assert caught.value.message == f"webhook {url} failed: {reason}"
    assert receiver.received == []


def test_every_internal_form_is_refused_at_save_time(tmp_path: Path, no_allowed_hosts: None) -> None:
    conn = open_store(tmp_path / "store.duckdb")
    eid = ent.register_enterprise(conn, "杭州测试科技有限公司", "91330100716105852F")["enterprise_id"]
    for url, reason in _attacks(8080):
        with pytest.raises(UsageError) as caught:
            ent.update_profile(conn, eid, {"webhook_url": url, "webhook_secret": SECRET})
        assert caught.value.message == f"webhook_url: {reason}"
    assert ent.get_enterprise(conn, eid)["webhook_url"] is None
    conn.close()


def test_the_profile_page_refuses_an_internal_webhook(tmp_path: Path, no_allowed_hosts: None) -> None:
    conn = open_store(tmp_path / "store.duckdb")
    eid = ent.register_enterprise(conn, "杭州测试科技有限公司", "91330100716105852F")["enterprise_id"]
    accounts.create_user(conn, "ip@test.cn", "enterprise", password="correct horse battery", enterprise_id=eid)
    conn.close()
    app = create_app(tmp_path / "store.duckdb")
    try:
        client: TestClient = signed_in(app, "ip@test.cn", "correct horse battery")
        answer = client.post(f"/api/enterprises/{eid}/profile",
                             json={"webhook_url": "http://169.254.169.254/latest/meta-data", "webhook_secret": "s"})
        assert answer.status_code == 400
        assert answer.json() == {"error": "UsageError", "message": "webhook_url: 169.254.169.254 is a link-local "
                                 f"address (169.254.169.254): {HINT}", "code": "err_webhook_refused"}
    finally:
        app.state.conn.close()


def test_a_public_name_that_does_not_resolve_yet_may_be_saved_but_not_sent(no_allowed_hosts: None) -> None:
    assert check_webhook_url("https://hooks.invalid/pa") == "https://hooks.invalid/pa"
    with pytest.raises(DeliveryError) as caught:
        post_webhook("https://hooks.invalid/pa", SECRET, PAYLOAD)
    assert caught.value.message.startswith("webhook https://hooks.invalid/pa failed: cannot resolve host (")


def test_an_allowed_internal_host_by_name(receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    port = receiver.server_address[1]
    monkeypatch.setenv("PATENTATLAS_WEBHOOK_ALLOWED_HOSTS", "hooks.office.local, 127.0.0.1")
    assert post_webhook(f"http://127.0.0.1:{port}/hook", SECRET, PAYLOAD) == 202
    with pytest.raises(DeliveryError, match="0x7f000001 is a loopback address"):  # the name, as written
        post_webhook(f"http://0x7f000001:{port}/hook", SECRET, PAYLOAD)
    assert len(receiver.received) == 1


def test_an_allowed_internal_network(receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    port = receiver.server_address[1]
    monkeypatch.setenv("PATENTATLAS_WEBHOOK_ALLOWED_HOSTS", "127.0.0.0/8")
    assert post_webhook(f"http://localhost:{port}/hook", SECRET, PAYLOAD) == 202
    with pytest.raises(DeliveryError, match="10.0.0.1 is a private address"):
        post_webhook("http://10.0.0.1/hook", SECRET, PAYLOAD)
    monkeypatch.setenv("PATENTATLAS_WEBHOOK_ALLOWED_HOSTS", "10.0.0.0/33")
    with pytest.raises(UsageError, match="'10.0.0.0/33' is not a network"):
        post_webhook("http://10.0.0.1/hook", SECRET, PAYLOAD)


class _Resolver:
    """DNS for one name, answering from a script (DNS is outside the platform: a small fake);
    every other name and every literal address goes to the real resolver."""

    def __init__(self, name: str, answers: list[str]) -> None:
        self.name, self.answers, self.asked = name, answers, 0
        self.real = socket.getaddrinfo

    def __call__(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != self.name:
            return self.real(host, port, *args, **kwargs)
        address = self.answers[min(self.asked, len(self.answers) - 1)]
        self.asked += 1
        return self.real(address, port, *args, **kwargs)


def test_dns_that_changes_after_saving_is_checked_again(receiver: Receiver, monkeypatch: pytest.MonkeyPatch,
                                                        no_allowed_hosts: None) -> None:
    port = receiver.server_address[1]
    monkeypatch.setattr(socket, "getaddrinfo", _Resolver("hooks.example.cn", ["93.184.216.34", "127.0.0.1"]))
    url = f"http://hooks.example.cn:{port}/hook"
    assert check_webhook_url(url) == url  # public when saved
    with pytest.raises(DeliveryError) as caught:  # loopback when sent
        post_webhook(url, SECRET, PAYLOAD)
    assert caught.value.message == f"webhook {url} failed: hooks.example.cn is a loopback address (127.0.0.1): {HINT}"
    assert receiver.received == []


def test_the_connection_goes_to_the_address_that_was_checked(receiver: Receiver,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    port = receiver.server_address[1]
    monkeypatch.setenv("PATENTATLAS_WEBHOOK_ALLOWED_HOSTS", "127.0.0.1/32")
    # checked: 127.0.0.1 (allowed); any later lookup would give 10.0.0.1, which must never be asked
    resolver = _Resolver("hooks.example.cn", ["127.0.0.1", "10.0.0.1"])
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    assert post_webhook(f"http://hooks.example.cn:{port}/hook", SECRET, PAYLOAD) == 202
    assert resolver.asked == 1
    ((path, headers, _),) = receiver.received
    assert (path, headers["host"]) == ("/hook", f"hooks.example.cn:{port}")
