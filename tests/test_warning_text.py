"""Warnings said from their facts (issue 11 §2): migration 13 drops the stored Chinese prose, and a
warning made before it reads in either language, 宽限期 where its old text said 滞纳期."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from patentatlas.domain.warnings import inbox
from patentatlas.i18n import translate
from patentatlas.store.schema import MIGRATIONS, migrate

FACTS = {"rule": "fee_lapsed", "application_number": "CN201910023045.3", "patent_year": 8,
         "due_date": "2026-01-12", "grace_period_end": "2026-07-13", "amount": 2000, "full_amount": 2000,
         "reduced": False, "reduction": None, "provisional": False, "grant_date_known": True,
         "last_seen_in_force": "2026-06-30", "restoration_fee": 1000, "unknowns": []}


def test_a_warning_stored_before_migration_13_reads_in_both_languages(tmp_path: Path) -> None:
    conn = duckdb.connect(str(tmp_path / "old.duckdb"))
    conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR, "
                 "applied_at TIMESTAMP DEFAULT now())")
    for version, name, sql in MIGRATIONS:
        if version < 13:  # a store as it was: the warning's Chinese title and body stored
            conn.execute(sql)
            conn.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, name])
    conn.execute("INSERT INTO warnings (warning_key, enterprise_id, application_number, rule, severity, title, body, "
                 "facts, as_of) VALUES ('fee_lapsed:1:CN201910023045.3:8', 1, 'CN201910023045.3', 'fee_lapsed', "
                 "'critical', '旧标题', '……滞纳期已于 2026-07-13 届满……', ?, '2026-08-04')", [json.dumps(FACTS)])
    assert migrate(conn)[0] == 13  # and those after it
    (warning,) = inbox(conn, 1)
    assert translate(warning["title"], "zh") == "年费未缴，专利权推定终止：CN201910023045.3 第8年"
    assert translate(warning["body"], "zh") == (
        "专利 CN201910023045.3（）第8年年费应于 2026-01-12 缴纳，宽限期已于 2026-07-13 届满。平台没有缴费记录，"
        "此后也没有导入数据显示该专利仍然有效（最近一次见到有效：2026-06-30），因此推定专利权自 2026-01-12 起终止。"
        "可以请求恢复权利，恢复费 1,000 元。如已缴费，请登记缴费记录。")
    assert str(warning["body"]).startswith(
        "The year-8 annual fee of patent CN201910023045.3 () was due on 2026-01-12, and its grace period ended on "
        "2026-07-13.")
    conn.close()
