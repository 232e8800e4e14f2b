"""Enterprise tiers (issue 13 §4 of the brief, §7 of REFERENCE): an office's profile CSV, the decisions at
the rule boundaries, each explained, counts per region, service packages, and rule sets refused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner, Result

from patentatlas.cli import main
from patentatlas.domain.accounts import create_user
from patentatlas.rules import packaged_rule_set
from tests.conftest import FIXTURES
from tests.web_support import client_on_copy, signed_in

PROFILES = FIXTURES / "tier_profiles.csv"
PASSWORD = "correct horse battery staple"


def run(db: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--db", str(db), *args], env={"COLUMNS": "200"})


@pytest.fixture
def profiled(loaded_db: Path, tmp_path: Path) -> Path:
    db = tmp_path / "store.duckdb"
    shutil.copy(loaded_db, db)
    result = run(db, "tiers", "import", str(PROFILES))
    assert result.exit_code == 0, result.output
    return db


def tiers(db: Path, region: str = "100000") -> dict:
    result = run(db, "tiers", "show", "--region", region, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_decisions_at_the_boundaries(profiled: Path) -> None:
    data = tiers(profiled)
    by_name = {e["name"]: e for e in data["enterprises"]}
    # revenue exactly 1,000,000,000 opens the head band; 中科创达 holds 116 valid inventions (≥ 20), R&D 30,000,000
    # (≥ 30,000,000) and 2 IP-management points (certified, 3 IP staff)
    head = by_name["中科创达软件股份有限公司"]
    assert (head["tier"], head["valid_inventions"], head["ip_management"]) == ("head", 116, 2)
    assert head["decided_by"]["rule_set"] == "tiers v1" and head["decided_by"]["revenue_min"] == 1_000_000_000
    # 999,999,999 is one yuan short of head: the pre-IPO band, preparing to list, 27 valid inventions
    assert by_name["网易(杭州)网络有限公司"]["tier"] == "pre_ipo"
    # exactly 200,000,000 opens the pre-IPO band, but 4 valid inventions < 5 and not preparing to list: growth
    fanju = by_name["浙江凡聚科技有限公司"]
    assert fanju["tier"] == "growth"
    assert fanju["reasons"] == ["revenue 200,000,000 is in the band of Pre-IPO (from 200,000,000)",
                                "not Pre-IPO: valid_inventions 4 < 5 required; listing stage none not in preparing, "
                                "listed"]
    # 19,999,999 is start-up; 20,000,000 is the growth band but without a valid invention it falls to start-up
    assert by_name["杭州初创科技有限公司"]["tier"] == "start_up"
    grown = by_name["杭州成长科技有限公司"]
    assert grown["tier"] == "start_up" and grown["reasons"][-1] == "not Growth: valid_inventions 0 < 1 required"
    assert by_name["杭州未填科技有限公司"]["reasons"] == ["no revenue figure: the tier cannot be decided"]
    assert data["counts"] == {"head": 1, "pre_ipo": 1, "growth": 1, "start_up": 2, "undecided": 1}
    assert tiers(profiled, "330000")["counts"] == {"head": 0, "pre_ipo": 1, "growth": 1, "start_up": 2,
                                                   "undecided": 1}
    assert tiers(profiled, "330110")["counts"]["start_up"] == 1


@pytest.mark.parametrize(("change", "message"), [
    (lambda t: t[2].update(revenue_max=150_000_000),
     "a gap between tier growth (up to 150000000) and tier pre_ipo (from 200000000)"),
    (lambda t: t[1].update(revenue_max=1_200_000_000),
     "tier pre_ipo (revenue 200000000–1200000000) overlaps tier head (from 1000000000)"),
    (lambda t: t[3].update(revenue_min=1), "a gap below tier start_up"),
])
def test_rules_with_gaps_or_overlaps_are_refused(profiled: Path, change, message: str) -> None:
    body = json.loads(json.dumps(packaged_rule_set("tiers")))
    change(body["tiers"])
    conn = duckdb.connect(str(profiled))
    conn.execute("INSERT INTO rule_sets (name, version, source, body) VALUES ('tiers', 2, 'test', ?)",
                 [json.dumps(body)])
    conn.close()
    result = run(profiled, "tiers", "show")
    assert result.exit_code == 1
    assert f"rule set tiers v2: {message}" in result.output


def test_government_end_page_api_and_packages(profiled: Path, tmp_path: Path) -> None:
    conn = duckdb.connect(str(profiled))
    create_user(conn, "zj@gov.cn", "analyst", password=PASSWORD, region_code="330000")
    conn.close()
    (tmp_path / "web").mkdir()
    with client_on_copy(profiled, tmp_path / "web") as anonymous:
        assert anonymous.get("/api/tiers").status_code == 401
        client = signed_in(anonymous.app, "zj@gov.cn", PASSWORD)
        data = client.get("/api/tiers", params={"region": "330000"}).json()
        assert data["counts"]["pre_ipo"] == 1
        saved = client.post("/api/tiers/packages/growth", json={"text": "专利导航、贯标辅导、质押融资对接"})
        assert saved.status_code == 200, saved.text
        assert client.post("/api/tiers/packages/giant", json={"text": "x"}).status_code == 400
        page = client.get("/tiers", params={"region": "330000"})
        assert page.status_code == 200
        assert "专利导航、贯标辅导、质押融资对接" in page.text and "浙江凡聚科技有限公司" in page.text
        download = client.get("/api/tiers", params={"region": "330000", "format": "csv"})
        assert download.status_code == 200 and "浙江凡聚科技有限公司" in download.content.decode("utf-8-sig")
