"""Enterprise creativity index (issue 13 §3) on the four real exports: the command line, the ranking
page with its downloads, one enterprise for two spellings, enterprises only, weights refused."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import duckdb
from click.testing import CliRunner, Result

from patentatlas.cli import main
from patentatlas.rules import packaged_rule_set
from tests.web_support import client_on_copy, get_page

KEYS = ["rank", "enterprise", "valid_invention_stock", "high_value_invention_count", "invention_grants_3y", "index"]


def run(db: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--db", str(db), *args], env={"COLUMNS": "200"})


def ranking(db: Path, *args: str) -> list[dict]:
    result = run(db, "creativity", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_zhejiang_top_three_by_hand(loaded_db: Path) -> None:
    rows = ranking(loaded_db, "--region", "330000", "--top", "3")
    assert [list(r) for r in rows] == [KEYS] * 3
    # 网易 writes its name with half- and full-width brackets (7 + 51 patents): one enterprise, shown by its
    # normalised name. On the data date 2023-05-11: 27 valid inventions, all high-value (criteria as the
    # indicators judge them), 18 granted since 2020-05-11. The index is checked in the next test.
    assert rows[0] == {"rank": 1, "enterprise": "网易(杭州)网络有限公司", "valid_invention_stock": 27,
                       "high_value_invention_count": 27, "invention_grants_3y": 18, "index": rows[0]["index"]}
    assert [r["enterprise"] for r in rows[1:]] == ["浙江凡聚科技有限公司", "宁波元鼎电子科技有限公司"]
    assert [(r["valid_invention_stock"], r["high_value_invention_count"], r["invention_grants_3y"]) for r in rows[1:]] \
        == [(4, 4, 3), (4, 4, 0)]


def test_index_is_the_weighted_sum_of_sub_indices_against_the_baseline(loaded_db: Path, tmp_path: Path) -> None:
    with client_on_copy(loaded_db, tmp_path) as client:
        data = client.get("/api/regions/330000/creativity", params={"top": 3}).json()
    means = data["baseline"]["means"]
    assert data["baseline"]["year"] == 2022 and data["as_of"] == "2023-05-11"
    # baseline means over the enterprises with any input on 2022-12-31: 60 / 24 = 2.5 valid inventions,
    # 58 / 24 high-value, 36 / 24 = 1.5 grants in the three years to then
    assert (means["valid_invention_stock"], means["invention_grants_3y"]) == (2.5, 1.5)
    assert round(means["high_value_invention_count"] * 24) == 58
    netease = data["ranking"][0]
    # 100 × 27 / 2.5 = 1080; 100 × 27 / (58/24) = 1117.24; 100 × 18 / 1.5 = 1200;
    # equal weights: (1080 + 1117.24 + 1200) / 3 = 1132.41
    assert netease["sub_indices"] == {"valid_invention_stock": 1080.0, "high_value_invention_count": 1117.24,
                                      "invention_grants_3y": 1200.0}
    assert netease["index"] == 1132.41
    # 浙江凡聚: 100 × 4 / 2.5 = 160; 100 × 4 / (58/24) = 165.52; 100 × 3 / 1.5 = 200 → 175.17
    assert data["ranking"][1]["index"] == 175.17
    assert data["rule_set"]["name"] == "creativity" and data["rule_set"]["version"] == 1


def test_enterprises_only(loaded_db: Path) -> None:
    # 浙江大学 holds 9 valid inventions in Zhejiang: it would rank second; universities are not ranked
    rows = ranking(loaded_db, "--region", "330000")
    names = [r["enterprise"] for r in rows]
    assert not [n for n in names if "大学" in n or "学院" in n]
    assert len(names) == len(set(names))


def test_other_weights_and_baseline_year(loaded_db: Path) -> None:
    rows = ranking(loaded_db, "--region", "330000", "--top", "1", "--weights", "1,0,0")
    assert rows[0]["index"] == 1080.0  # the stock sub-index alone
    rows = ranking(loaded_db, "--region", "330000", "--top", "1", "--weights",
                   "valid_invention_stock=0,high_value_invention_count=0,invention_grants_3y=1")
    assert rows[0]["index"] == 1200.0


def test_weights_that_do_not_sum_to_one_are_refused(loaded_db: Path, tmp_path: Path) -> None:
    result = run(loaded_db, "creativity", "--region", "330000", "--weights", "0.5,0.5,0.5")
    assert result.exit_code == 1
    assert "creativity weights (the request) must be non-negative and sum to 1; they sum to 1.5" in result.output
    db = tmp_path / "store.duckdb"
    shutil.copy(loaded_db, db)
    body = json.loads(json.dumps(packaged_rule_set("creativity")))
    body["weights"]["invention_grants_3y"] = 0.5
    conn = duckdb.connect(str(db))
    conn.execute("INSERT INTO rule_sets (name, version, source, body) VALUES ('creativity', 2, 'test', ?)",
                 [json.dumps(body)])
    conn.close()
    result = run(db, "creativity", "--region", "330000")
    assert result.exit_code == 1
    assert "creativity weights (rule set creativity v2) must be non-negative and sum to 1" in result.output


def test_ranking_page_and_downloads(loaded_db: Path, tmp_path: Path) -> None:
    with client_on_copy(loaded_db, tmp_path) as client:
        page = get_page(client, "/regions/330000/creativity", top=3)
        assert page.text["region-name"] == "浙江省"
        first = page.rows[1][1]
        assert [c.strip() for c in first[:5]] == ["1", "网易(杭州)网络有限公司", "27", "27", "18"]
        assert first[-1].strip() == "1132.41"
        assert "creativity v1" in page.text["rule-line"]
        as_json = client.get("/regions/330000/creativity", params={"top": 3, "format": "json"}).json()
        assert as_json["ranking"][0]["index"] == 1132.41
        download = client.get("/api/regions/330000/creativity", params={"top": 3, "format": "csv"})
        assert download.status_code == 200
        assert 'filename="creativity-330000-2023-05-11.csv"' in download.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig"))))
        assert list(rows[0]) == ["排名", "企业（第一申请人）", "有效发明专利存量", "高价值发明专利", "近三年发明授权量",
                                 "创造力指数"] and rows[0]["创造力指数"] == "1132.41"  # headers in Chinese
        xlsx = client.get("/regions/330000/creativity", params={"top": 3, "format": "xlsx"})
        assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
        bad = client.get("/api/regions/330000/creativity", params={"weights": "0.9,0.9,0.9"})
        assert bad.status_code == 400 and "sum to 1" in bad.json()["message"]
