"""A Lens export gives a grant's date only as its grant publication's date: the patent page names
that date the grant date, and an application's publication date a publication date (issue 10)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from patentatlas.imports import import_file
from patentatlas.store import open_store
from tests.conftest import LENS
from tests.web_support import client_on_copy


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("lens_label")
    conn = open_store(folder / "lens.duckdb")
    import_file(conn, LENS)
    conn.close()
    with client_on_copy(folder / "lens.duckdb", folder) as test_client:
        yield test_client


@pytest.mark.parametrize(("lang", "number", "shown"), [
    ("zh", "EP00961002A", "EP1213305B1 (B) 授权日 2005-03-30"),
    ("en", "EP00961002A", "EP1213305B1 (B) Grant date 2005-03-30"),
    ("zh", "US10486608A", "US2012/0234163A1 (A) 公开日 2012-09-20"),
    ("en", "US10486608A", "US2012/0234163A1 (A) Publication date 2012-09-20"),
])
def test_the_grant_publication_is_labelled_the_grant_date(client: TestClient, lang: str, number: str,
                                                           shown: str) -> None:
    page = client.get(f"/patents/{number}", params={"lang": lang})
    assert page.status_code == 200
    items = page.text.split('<ul id="publications">', 1)[1].split("</ul>", 1)[0]
    assert items == f"<li>{shown}</li>"
    labels = client.get(f"/patents/{number}", params={"format": "json"}).json()["publications"]
    assert [p["date_label"] for p in labels] == ["grant_date" if "B1" in shown else "publication_date"]
