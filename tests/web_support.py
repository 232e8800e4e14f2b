"""What the web tests share: the app on a copy of a store, a signed-in client, and a page parser."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from patentatlas.web.app import create_app


@contextmanager
def client_on_copy(db: Path, folder: Path) -> Iterator[TestClient]:
    """The app on a copy of the store ``db`` (the app opens its store for writing), in a TestClient."""
    copy = folder / "store.duckdb"
    shutil.copy(db, copy)
    app = create_app(copy)
    try:
        with TestClient(app) as client:
            yield client
    finally:
        app.state.conn.close()


def signed_in(app: Any, email: str, password: str) -> TestClient:
    """A client signed in through the JSON API, sending the session's CSRF token with every request."""
    client = TestClient(app, follow_redirects=False)
    answer = client.post("/api/session", json={"email": email, "password": password})
    assert answer.status_code == 200, answer.text
    client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
    return client


def get_page(client: TestClient, url: str, status: int = 200, **params: Any) -> HtmlPage:
    response = client.get(url, params=params)
    assert response.status_code == status, response.text[:500]
    return HtmlPage(response.text)


class HtmlPage(HTMLParser):
    """A page as a test reads it: script and stylesheet addresses, every link, each element with
    an id (its text and attributes), and every table row (its attributes and cell texts)."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}

    def __init__(self, html: str) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.links: list[str] = []  # <link href>: stylesheets, icons
        self.hrefs: list[str] = []  # <a href> and <link href>
        self.text: dict[str, str] = {}
        self.attrs: dict[str, dict[str, str | None]] = {}
        self.rows: list[tuple[dict[str, str | None], list[str]]] = []  # (attributes, cell texts)
        self._open: list[tuple[str, str | None]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script" and a.get("src"):
            self.scripts.append(a["src"] or "")
        if tag in ("a", "link") and a.get("href"):
            self.hrefs.append(a["href"] or "")
        if tag == "link" and a.get("href"):
            self.links.append(a["href"] or "")
        if tag == "tr":
            self.rows.append((a, []))
        if tag == "td" and self.rows:
            self.rows[-1][1].append("")
        if a.get("id"):
            self.text[a["id"] or ""] = ""
            self.attrs[a["id"] or ""] = a
        if tag not in self.VOID:
            self._open.append((tag, a.get("id")))

    def handle_data(self, data: str) -> None:
        for _tag, key in self._open:
            if key:
                self.text[key] += data
        if any(tag == "td" for tag, _ in self._open) and self.rows and self.rows[-1][1]:
            self.rows[-1][1][-1] += data

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i][0] == tag:
                del self._open[i:]
                break

    def row(self, **attrs: str) -> list[str]:
        """The cell texts of the one row with these attributes (data_code="1" for data-code)."""
        wanted = {k.replace("_", "-"): v for k, v in attrs.items()}
        found = [cells for a, cells in self.rows if all(a.get(k) == v for k, v in wanted.items())]
        assert len(found) == 1, (wanted, len(found))
        return [c.strip() for c in found[0]]
