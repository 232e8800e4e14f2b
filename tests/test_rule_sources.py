"""A rule set's source and names in the page's language (issue 11 §1): the packaged rule sets say
where they come from in Chinese and English; an office's own rule set with only ``source`` shows
that in both languages, and a copied packaged body's Chinese source never stands in for the
office's."""

from __future__ import annotations

import json
import re

import duckdb
import pytest

from patentatlas.domain.tiers import tier_name, tier_of
from patentatlas.i18n import translate
from patentatlas.rules import load_rule_set, packaged_rule_set, rule_source, rule_text

CJK_RUN = "[\u4e00-\u9fff]{2,}"


@pytest.fixture
def store() -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    conn.execute("CREATE TABLE rule_sets (name VARCHAR, version INTEGER, source VARCHAR, body JSON)")
    return conn


@pytest.mark.parametrize("name", ["annual_fees", "high_value", "creativity", "tiers", "patent_value"])
def test_packaged_sources_in_both_languages(name: str) -> None:
    source = rule_source(packaged_rule_set(name))
    assert str(source) == packaged_rule_set(name)["source"]
    assert translate(source, "en") == str(source) and not re.search(CJK_RUN, str(source))
    assert translate(source, "zh") == packaged_rule_set(name)["source_zh"]


def test_the_high_value_source_word_for_word() -> None:
    source = rule_source(packaged_rule_set("high_value"))
    assert translate(source, "zh") == ("国家知识产权局高价值发明专利统计口径，五类情形，摘要见 REFERENCE.md §4；"
                                       "质押融资金额门槛无官方数值，为 PatentAtlas 默认值，应由各地知识产权局替换")
    assert translate(source, "en").startswith("CNIPA statistical definition of high-value invention patents, five")


def test_an_offices_rule_set_with_only_a_source_shows_it_in_both_languages(store: duckdb.DuckDBPyConnection) -> None:
    body = {k: v for k, v in packaged_rule_set("high_value").items() if k not in ("source", "source_zh")}
    office = "杭州市知识产权局 2025 年口径"
    store.execute("INSERT INTO rule_sets VALUES ('high_value', 2, ?, ?)", [office, json.dumps(body)])
    source = rule_source(load_rule_set(store, "high_value"))
    assert (translate(source, "zh"), translate(source, "en")) == (office, office)


def test_a_copied_body_does_not_lend_its_chinese_source(store: duckdb.DuckDBPyConnection) -> None:
    copied = packaged_rule_set("high_value")  # source and source_zh of the packaged rules
    store.execute("INSERT INTO rule_sets VALUES ('high_value', 2, 'office test', ?)", [json.dumps(copied)])
    source = rule_source(load_rule_set(store, "high_value"))
    assert (translate(source, "zh"), translate(source, "en")) == ("office test", "office test")
    own = {**copied, "source": "Hangzhou office rules 2025", "source_zh": "杭州市局 2025 年规则"}
    store.execute("INSERT INTO rule_sets VALUES ('high_value', 3, 'Hangzhou office rules 2025', ?)", [json.dumps(own)])
    source = rule_source(load_rule_set(store, "high_value"))
    assert (translate(source, "zh"), translate(source, "en")) == ("杭州市局 2025 年规则", "Hangzhou office rules 2025")


def test_names_in_rule_sets() -> None:
    awards = [rule_text(a) for a in packaged_rule_set("high_value")["awards"]]
    assert [translate(a, "zh") for a in awards] == ["中国专利奖", "国家科学技术奖"]
    assert [translate(a, "en") for a in awards] == ["China Patent Award", "National Science and Technology Award"]
    assert translate(rule_text("省级专利奖"), "en") == "省级专利奖"  # an office's name in one language
    tiers = packaged_rule_set("tiers")["tiers"]
    assert [(translate(tier_name(t), "zh"), translate(tier_name(t), "en")) for t in tiers] == [
        ("头部型", "Head"), ("拟IPO型", "Pre-IPO"), ("成长型", "Growth"), ("初创型", "Start-up")]
    assert translate(tier_name({"tier": "giant", "zh": "领军型"}), "en") == "giant"  # no English name: its code


def test_tier_reasons_in_both_languages() -> None:
    profile = {"revenue": 200_000_000, "valid_inventions": 4, "rd_spending": None, "ip_staff": 0,
               "ip_certified": False, "listing_stage": None}
    reasons = tier_of(profile, packaged_rule_set("tiers"))["reasons"]
    assert [translate(r, "zh") for r in reasons] == [
        "营业收入 200,000,000 元，属于拟IPO型区间（200,000,000 元起）",
        "未达拟IPO型要求：有效发明专利 4 件，少于要求的 5 件；研发投入未填（要求不低于 5000000 元）；"
        "知识产权管理 0 分，低于要求的 1 分；上市阶段未填（要求为拟上市、已上市）"]
    assert [translate(r, "en") for r in reasons] == [
        "revenue 200,000,000 is in the band of Pre-IPO (from 200,000,000)",
        "not Pre-IPO: valid_inventions 4 < 5 required; rd_spending unknown < 5000000 required; ip_management 0 < 1 "
        "required; listing stage unknown not in preparing, listed"]
    assert reasons == [translate(r, "en") for r in reasons]  # the JSON API and the CLI say them in English
    undecided = tier_of({"revenue": None}, packaged_rule_set("tiers"))["reasons"]
    assert [translate(r, "zh") for r in undecided] == ["无营业收入数据，无法确定层级"]
