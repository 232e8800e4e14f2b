"""The web app through the front door (FastAPI's TestClient, in process) on the four real exports:
the JSON API against SQL counts on the store, the pages in Chinese and English, one error shape,
and nothing loaded from the internet."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import duckdb
import pytest
from fastapi.testclient import TestClient

from patentatlas.domain.accounts import create_user
from patentatlas.normalize.appno import with_check_digit
from tests.web_support import client_on_copy, signed_in


@pytest.fixture(scope="module")
def client(loaded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with client_on_copy(loaded_db, tmp_path_factory.mktemp("web")) as test_client:
        yield test_client


def counts(conn: duckdb.DuckDBPyConnection, expr: str, where: str = "TRUE") -> dict[str, int]:
    rows = conn.execute(f"SELECT {expr}, count(*) FROM patents WHERE {where} GROUP BY ALL").fetchall()
    return {str(k) if k is not None else "unknown": n for k, n in rows}


def one(conn: duckdb.DuckDBPyConnection, sql: str) -> Any:
    return conn.execute(sql).fetchall()[0][0]


class _Page(HTMLParser):
    """What a test needs from a page: script and stylesheet addresses, texts by element id."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.links: list[str] = []
        self.by_id: dict[str, str] = {}
        self._open: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script" and a.get("src"):
            self.scripts.append(a["src"] or "")
        if tag == "link" and a.get("href"):
            self.links.append(a["href"] or "")
        if a.get("id"):
            self.by_id[a["id"] or ""] = ""
            self._open.append(a["id"] or "")
        elif tag not in ("input", "br", "meta", "link", "img"):
            self._open.append("")

    def handle_endtag(self, tag: str) -> None:
        if self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for element_id in self._open:
            if element_id:
                self.by_id[element_id] += data


# ---- the JSON API --------------------------------------------------------------------------------

def test_summary_equals_sql_counts(client: TestClient, loaded: duckdb.DuckDBPyConnection) -> None:
    summary = client.get("/api/summary").json()
    assert summary["patents"] == one(loaded, "SELECT count(*) FROM patents")
    assert summary["quarantined_rows"] == one(loaded, "SELECT count(*) FROM quarantine") == 1
    assert summary["by_type"] == counts(loaded, "patent_type")
    assert summary["by_status"] == counts(loaded, "status")
    assert summary["by_country"] == counts(loaded, "country")
    assert summary["by_filing_year"] == counts(loaded, "year(filing_date)")
    assert sum(summary["by_province"].values()) == summary["patents"]
    # the four exports: 4,041 + 2,794 + 7,805 + 509 applications (some appear in two exports)
    assert summary["patents"] == 4041 + 2794 + 7805 + 509


def test_overview_filter_total_equals_sql(client: TestClient, loaded: duckdb.DuckDBPyConnection) -> None:
    body = client.get("/api/overview", params={"type": "utility_model", "status": "in_force"}).json()
    expected = one(loaded, "SELECT count(*) FROM patents WHERE patent_type = 'utility_model' AND status = 'in_force'")
    assert body["results"]["total"] == expected > 0
    assert body["filters"] == {"patent_type": "utility_model", "status": "in_force", "page": 1, "per_page": 50}
    assert {(p["patent_type"], p["status"]) for p in body["results"]["patents"]} == {("utility_model", "in_force")}
    year = client.get("/api/overview", params={"year": 2014, "q": "中科创达"}).json()["results"]
    assert year["total"] == one(loaded, "SELECT count(*) FROM patents WHERE year(filing_date) = 2014 "
                                        "AND array_to_string(applicant_names, ' ') ILIKE '%中科创达%'") > 0


def test_overview_province_filter(client: TestClient, loaded: duckdb.DuckDBPyConnection) -> None:
    body = client.get("/api/overview", params={"province": "610000"}).json()
    expected = one(loaded, "SELECT count(*) FROM patents WHERE first_applicant_province_code = '610000'")
    assert body["results"]["total"] == expected > 0
    assert {"code": "610000", "name": "陕西省", "patents": expected} in body["provinces"]
    # provinces with the same count come in code order, so the page and its JSON never reshuffle
    provinces = body["provinces"]
    assert provinces == sorted(provinces, key=lambda p: (-p["patents"], p["code"]))
    assert len({p["patents"] for p in provinces}) < len(provinces)  # there are ties to order
    summary = body["summary"]["by_province"]
    assert list(summary.items()) == sorted(summary.items(), key=lambda kv: (-kv[1], kv[0]))


def test_pagination(client: TestClient) -> None:
    def page(n: int, per_page: int = 7) -> dict[str, Any]:
        results: dict[str, Any] = client.get("/api/overview", params={"page": n, "per_page": per_page}).json()[
            "results"]
        return results

    first, second, both = page(1), page(2), page(1, 14)
    assert (first["page"], first["per_page"], len(first["patents"])) == (1, 7, 7)
    assert first["patents"] + second["patents"] == both["patents"]
    dates = [p["filing_date"] for p in both["patents"]]
    assert dates == sorted(dates, reverse=True)
    last = -(-first["total"] // 7)
    assert 1 <= len(page(last)["patents"]) <= 7
    beyond = page(last + 1)
    assert (beyond["patents"], beyond["total"]) == ([], first["total"])


def test_patent_by_number(client: TestClient) -> None:
    patent = client.get("/api/patents/ZL2020103022578").json()
    assert {k: patent[k] for k in ("application_number", "filing_date", "grant_date", "patent_type", "status",
                                   "status_text", "ipc_main", "publication_number", "title_zh", "title_en")} == {
        "application_number": "CN202010302257.8", "filing_date": "2020-04-16", "grant_date": "2023-03-17",
        "patent_type": "invention", "status": "in_force", "status_text": "授权", "ipc_main": "G01R31/389",
        "publication_number": "CN111856303B", "title_zh": "电池电阻测量装置",
        "title_en": "Battery resistance measuring device"}
    assert [a["name"] for a in patent["applicants"]] == ["丰田自动车株式会社"]
    assert patent["applicants"][0]["country"] == "JP"


@pytest.mark.parametrize(("path", "status", "error", "message"), [
    ("/api/patents/CN000000000000.0", 400, "UsageError",
     "'CN000000000000.0' has type digit 0, not 1/2/3/8/9"),
    ("/api/patents/CN202010302257.9", 400, "UsageError",
     "check digit of 'CN202010302257.9' is 9, the number's digits give 8"),
    (f"/api/patents/{with_check_digit('202099999999')}", 404, "NotFoundError",
     f"application {with_check_digit('202099999999')} is not in the store"),
    ("/api/overview?page=0", 400, "UsageError", "invalid request: page: Input should be greater than or equal to 1"),
    ("/api/overview?year=abc", 400, "UsageError",
     "invalid request: year: Input should be a valid integer, unable to parse string as an integer"),
    ("/api/no-such-thing", 404, "NotFoundError", "/api/no-such-thing is not a page of this site"),
])
def test_errors_have_one_json_shape(client: TestClient, path: str, status: int, error: str, message: str) -> None:
    response = client.get(path)
    assert response.status_code == status
    body = response.json()
    assert {k: body[k] for k in ("error", "message")} == {"error": error, "message": message}
    assert set(body) == {"error", "message", "code"} and body["code"].startswith("err_")  # the message's msgid


def test_openapi_lists_the_api(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/overview", "/api/summary", "/api/patents/{number}", "/api/quarantine"} <= set(paths)
    assert "year" in {p["name"] for p in paths["/api/overview"]["get"]["parameters"]}


def test_quarantine_api(client: TestClient) -> None:
    assert client.get("/api/quarantine").status_code == 401  # admins only (issue 10 §5)
    cursor = client.app.state.conn.cursor()  # type: ignore[attr-defined]
    create_user(cursor, "root@gov.cn", "admin", password="correct horse battery")
    cursor.close()
    (row,) = signed_in(client.app, "root@gov.cn", "correct horse battery").get("/api/quarantine").json()
    assert (row["file"], row["row"], row["field"], row["reason"]) == (
        "incopat_toyota_autodrive_5048.csv", 4788, "IPC", "'B60R/' is not an IPC/CPC symbol (e.g. G06F16/583)")


# ---- the pages -----------------------------------------------------------------------------------

def test_overview_page_in_chinese_by_default(client: TestClient) -> None:
    client.cookies.clear()
    response = client.get("/patents")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = _Page(response.text)
    total = client.get("/api/summary").json()["patents"]
    assert "专利总数" in response.text and '<html lang="zh-CN">' in response.text
    assert page.by_id["total-patents"] == str(total)
    assert page.by_id["result-total"] == str(total)
    assert page.by_id["lang-switch"] == "English"
    assert "set-cookie" not in response.headers


def test_overview_page_in_english_sets_the_cookie(client: TestClient) -> None:
    client.cookies.clear()
    response = client.get("/patents", params={"lang": "en"})
    assert "Patents in store" in response.text and "专利总数" not in response.text
    assert response.cookies.get("lang") == "en"
    later = client.get("/patents")  # the cookie keeps the language
    assert "Patents in store" in later.text
    back = client.get("/patents", params={"lang": "zh"})
    assert "专利总数" in back.text
    client.cookies.clear()


def test_overview_json_is_the_api_dict(client: TestClient) -> None:
    params = {"type": "invention", "status": "lapsed", "page": "2"}
    as_json = client.get("/patents", params={**params, "format": "json"})
    assert as_json.headers["content-type"] == "application/json"
    assert as_json.json() == client.get("/api/overview", params=params).json()
    assert client.get("/patents", headers={"accept": "application/json"}).json() == client.get("/api/overview").json()


def test_filter_form_with_blank_fields(client: TestClient, loaded: duckdb.DuckDBPyConnection) -> None:
    # what a browser sends for the filter form when only the type is chosen: every field, most empty
    response = client.get("/patents?lang=zh&q=&type=utility_model&status=&province=&year=")
    assert response.status_code == 200
    expected = one(loaded, "SELECT count(*) FROM patents WHERE patent_type = 'utility_model'")
    assert _Page(response.text).by_id["result-total"] == str(expected)
    assert '<option value="utility_model" selected>' in response.text


def test_patent_page(client: TestClient) -> None:
    response = client.get("/patents/CN202010302257.8")
    assert response.status_code == 200
    page = _Page(response.text)
    assert page.by_id["patent-number"] == "CN202010302257.8"
    assert "电池电阻测量装置" in response.text and "Battery resistance measuring device" in response.text
    assert "丰田自动车株式会社" in response.text


def test_patent_page_errors_are_pages(client: TestClient) -> None:
    unknown = with_check_digit("202099999999")
    response = client.get(f"/patents/{unknown}")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert _Page(response.text).by_id["error-message"] == f"专利库中没有申请号为 {unknown} 的专利"
    as_json = client.get(f"/patents/{unknown}", params={"format": "json"})
    assert as_json.json() == {"error": "NotFoundError", "message": f"application {unknown} is not in the store",
                              "code": "err_patent_not_in_store"}


def test_page_loads_nothing_from_the_internet(client: TestClient) -> None:
    for path in ("/", "/patents", "/patents/CN202010302257.8", "/patents?lang=en"):
        page = _Page(client.get(path).text)
        addresses = page.scripts + page.links
        assert addresses, path
        for address in addresses:
            assert address.startswith("/") and not address.startswith("//"), (path, address)
    assert "/static/echarts.min.js" in _Page(client.get("/patents").text).scripts
    for address, kind, size in (("/static/echarts.min.js", "javascript", 500_000),
                                ("/static/overview.js", "javascript", 100), ("/static/app.css", "css", 100)):
        response = client.get(address)
        assert response.status_code == 200, address
        assert kind in response.headers["content-type"]
        assert len(response.content) > size
    assert b"echarts" in client.get("/static/echarts.min.js").content[:2000].lower()


@pytest.mark.parametrize("path", ["/", "/api/summary", "/regions/330000", "/docs", "/no-such-page"])
def test_every_answer_tells_the_browser_to_load_only_from_us(client: TestClient, path: str) -> None:
    headers = client.get(path).headers
    assert "default-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert (headers["x-content-type-options"], headers["x-frame-options"]) == ("nosniff", "DENY")
