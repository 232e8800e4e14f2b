"""Every page and every download, in Chinese and in English (issue 11 §1): a Chinese page shows no
English sentence and an English page no Chinese one, except data (titles, names, addresses, what
a source export says). The pages are the FastAPI app's GET routes, not a hand list: a new page
fails here until its path parameters have a value below.

The rule: a run of three or more English words (a word has a small letter, so codes such as IPC,
CSV or CN1234 are not words) in a Chinese page's visible text or shown attributes; two or more
Chinese characters in an English page's; either way, unless the run is part of a data value
from the store."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import shutil
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import openpyxl
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from patentatlas.commands.accounts import (
    DEMO_ADMIN,
    DEMO_ANALYST,
    DEMO_ENTERPRISE_USER,
    DEMO_PASSWORD,
    seed_demo_accounts,
)
from patentatlas.domain.accounts import invite_user
from patentatlas.domain.industries import define_specialty
from patentatlas.domain.warnings import run_alerts
from patentatlas.store import open_store
from patentatlas.web.app import create_app
from tests.web_support import signed_in

# pages that are not ours to translate, or not pages
NOT_PAGES = {"/docs": "Swagger UI, the API's own English", "/geo/{code}.json": "map boundaries (data)",
             "/valuations/{case_id}/report.pdf": "a PDF of the case page's report template, checked as its page"}
WORD = r"[A-Za-z]*[a-z][A-Za-z'’]*"
ENGLISH_RUN = re.compile(rf"(?<![\w]){WORD}(?:[ ,;:/()&\-]+{WORD}){{2,}}")
CHINESE_RUN = re.compile(r"[\u4e00-\u9fff][\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]*[\u4e00-\u9fff]")
SHOWN_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt", "data-confirm")


class VisibleText(HTMLParser):
    """The texts a reader sees: text outside scripts and styles, and shown attributes."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._hidden = 0
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "code"):
            self._hidden += 1
        a = dict(attrs)
        self.texts += [a[k] or "" for k in SHOWN_ATTRIBUTES if a.get(k)]
        if tag == "input" and a.get("type") in ("submit", "button") and a.get("value"):
            self.texts.append(a["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "code"):
            self._hidden = max(0, self._hidden - 1)

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.texts.append(data.strip())


@pytest.fixture(scope="module")
def site(loaded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("i18n_pages")
    db = folder / "store.duckdb"
    shutil.copy(loaded_db, db)
    conn = open_store(db)
    seed_demo_accounts(conn)
    run_alerts(conn, dt.date.today(), None)
    define_specialty(conn, "vr", "虚拟现实", keywords=["虚拟现实"])
    _, invitation = invite_user(conn, "invited@example.cn", "analyst", by=None, region_code="330100")
    number = conn.execute("SELECT application_number FROM custody WHERE enterprise_id = 1 "
                          "ORDER BY application_number LIMIT 1").fetchone()[0]
    key = conn.execute("SELECT enterprise_key FROM placements WHERE application_number = ?", [number]).fetchone()[0]
    data = _data_values(conn)
    conn.close()
    app = create_app(db)
    clients = {"anonymous": TestClient(app, follow_redirects=False)}
    clients |= {role: signed_in(app, email, DEMO_PASSWORD)
                for role, email in (("enterprise", DEMO_ENTERPRISE_USER), ("analyst", DEMO_ANALYST),
                                    ("admin", DEMO_ADMIN))}
    case = clients["analyst"].post("/api/valuations", json={"title": "评估", "patents": number,
                                                             "annual_income": "800000", "royalty_rate": "0.05",
                                                             "discount_rate": "0.12", "economic_life_years": "4"})
    assert case.status_code == 201, case.text
    calendar = clients["enterprise"].post("/api/enterprises/1/calendar-token").json()["calendar_url"]
    values = {"number": [number], "code": ["330100"], "eid": ["1"], "db_id": ["vr"], "key": [key],
              "figure": ["due_90", "in_grace", "lapsed"], "token": [invitation],
              "case_id": [str(case.json()["case_id"])]}
    yield {"app": app, "clients": clients, "values": values, "data": data,
           "calendar": urlsplit(calendar).path}
    app.state.conn.close()


def _data_values(conn: Any) -> str:
    """What the store holds as data (titles, names, addresses, source texts), one per line."""
    queries = ["SELECT title_zh FROM patents", "SELECT title_en FROM patents", "SELECT abstract_zh FROM patents",
               "SELECT abstract_en FROM patents", "SELECT name FROM parties", "SELECT address FROM parties",
               "SELECT unnest(inventor_names) FROM patents",
               "SELECT description FROM legal_events", "SELECT name FROM regions", "SELECT file FROM import_batches",
               "SELECT raw FROM quarantine", "SELECT name FROM enterprises",
               "SELECT unnest(name_variants) FROM enterprises",
               "SELECT email FROM users", "SELECT display_name FROM users", "SELECT title FROM valuation_cases",
               "SELECT name FROM specialty_databases",
               "SELECT enterprise_name FROM placements", "SELECT name FROM sei_industries"]
    found: set[str] = set()
    for sql in queries:
        found |= {str(v) for (v,) in conn.execute(sql).fetchall() if v}
    return "\n".join(sorted(found))


def _routes(app: Any) -> list[str]:
    """The app's GET pages, included routers and all (the JSON API aside)."""
    def walk(routes: list[Any], prefix: str = "") -> Iterator[APIRoute]:
        for route in routes:
            if hasattr(route, "original_router"):  # FastAPI's included router
                yield from walk(route.original_router.routes, prefix + (route.include_context.prefix or ""))
            elif isinstance(route, APIRoute):
                yield route
    return sorted({r.path for r in walk(app.routes) if "GET" in r.methods and not r.path.startswith("/api/")})


def _urls(path: str, values: dict[str, list[str]], calendar: str) -> list[str]:
    if path == "/calendar/{token}.ics":
        return [calendar]
    urls = [path]
    for name in re.findall(r"\{(\w+)(?::\w+)?\}", path):
        assert name in values, f"{path}: give {name} a value in the fixture"
        urls = [re.sub(r"\{" + name + r"(?::\w+)?\}", v, u) for u in urls for v in values[name]]
    return urls


def _fetch(site: dict[str, Any], url: str, lang: str) -> tuple[str, Any]:
    """The page as the first role it opens for: anonymous, else an enterprise, an analyst, an admin."""
    for role, client in site["clients"].items():
        response = client.get(url, params={"lang": lang})
        if response.status_code in (302, 303, 307) and not response.headers["location"].startswith("/sign-in"):
            response = client.get(response.headers["location"], params={"lang": lang})  # /regions: the country
        if response.status_code == 200:
            return role, response
    raise AssertionError(f"{url}: no role opens it ({response.status_code})")


def _key(url: str) -> str:
    """A page's name in the gaps file: secret tokens left out."""
    return re.sub(r"^/(calendar|invite)/[^/.]+", r"/\1/{token}", url)


def _foreign(texts: list[str], lang: str, data: str) -> list[str]:
    pattern = ENGLISH_RUN if lang == "zh" else CHINESE_RUN
    return sorted({run for text in texts for run in pattern.findall(text) if run not in data})


def _download_texts(response: Any) -> list[str]:
    kind = response.headers.get("content-type", "")
    if "spreadsheetml" in kind:
        book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
        return [book.active.title] + [str(c) for row in book.active.iter_rows(values_only=True) for c in row
                                      if isinstance(c, str)]
    text = response.content.decode("utf-8-sig")
    if "calendar" in kind:  # what a calendar shows: summaries, descriptions, names (not PRODID, UID, URL)
        return [line.split(":", 1)[-1] for line in text.splitlines()
                if line.startswith(("SUMMARY", "DESCRIPTION", "X-WR-CALNAME", "LOCATION", " "))]
    return text.splitlines()


def _links(html: str) -> list[str]:
    hrefs = re.findall(r'href="([^"]+)"', html)
    return [h.replace("&amp;", "&") for h in hrefs
            if "format=csv" in h or "format=xlsx" in h or h.endswith((".ics", ".csv", ".xlsx"))]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_and_download_is_in_its_language(site: dict[str, Any], lang: str) -> None:
    routes = _routes(site["app"])
    assert len(routes) >= 35 and "/warnings/regions/{code}" in routes
    foreign: dict[str, list[str]] = {}
    downloads: dict[str, str] = {}
    for path in routes:
        if path in NOT_PAGES:
            continue
        for url in _urls(path, site["values"], site["calendar"]):
            role, response = _fetch(site, url, lang)
            if "text/html" in response.headers.get("content-type", ""):
                texts = VisibleText(response.text).texts
                for link in _links(response.text):
                    downloads.setdefault(link if link.startswith("/") else url + link, role)
            else:
                texts = _download_texts(response)
            if found := _foreign(texts, lang, site["data"]):
                foreign[_key(url)] = found
    assert len(downloads) > 30
    for link, role in downloads.items():
        parts = urlsplit(link)
        params = dict(parse_qsl(parts.query)) | {"lang": lang}
        response = site["clients"][role].get(parts.path, params=params)
        assert response.status_code == 200, link
        if found := _foreign(_download_texts(response), lang, site["data"]):
            foreign[_key(link)] = found
    assert foreign == {}, json.dumps(foreign, ensure_ascii=False, indent=1)
