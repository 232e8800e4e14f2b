"""Search relevance on the demo data: nDCG@10 and recall@100 of the search engine against a plain
substring search (``LIKE '%word%'``), for Chinese and English queries whose relevant patents are
decided from the data itself.

    .venv/bin/python benchmarks/search_relevance.py [--db STORE] [--show]

The evaluation: for each main IPC group (``G06F3/``) with enough patents, its most distinctive
title word (frequent in the group's titles, rare elsewhere); the query is that word alone, and the
relevant patents are those of the group whose title holds the word. Neither system is told the
group. The baseline finds every patent whose title or abstract holds the word, in filing-date order
(newest first: a substring search has no ranking of its own), as a list page would show them.
"""

from __future__ import annotations

import argparse
import math
import re
import statistics
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import duckdb  # noqa: E402
import jieba  # noqa: E402

from patentatlas.imports import import_file  # noqa: E402
from patentatlas.search import SearchOptions, open_index, search  # noqa: E402
from patentatlas.store import open_store  # noqa: E402
from patentatlas.store.reference import ensure_reference  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "cn_patents"
FILES = ("incopat_toyota_autodrive_5048.csv", "incopat_chatbot_2798.csv", "patentics_cn_title_VR_7805.csv",
         "patentics_thundersoft_cn_511.csv")
ZH_STOP = {"一种", "方法", "系统", "装置", "设备", "及其", "以及", "用于", "基于", "和", "的", "及", "与", "程序",
           "介质", "存储", "计算机", "存储介质", "控制", "车辆", "虚拟现实", "实现", "进行", "具有", "包括"}
EN_STOP = {"method", "system", "apparatus", "device", "methods", "systems", "and", "for", "the", "with", "using",
           "based", "vehicle", "program", "medium", "storage", "control", "controlling", "thereof", "same",
           "computer", "readable", "non", "transitory", "virtual", "reality", "from", "into", "that"}
MIN_GROUP, MIN_WORD = 8, 4


def build_demo(folder: Path) -> duckdb.DuckDBPyConnection:
    conn = open_store(folder / "demo.duckdb")
    ensure_reference(conn)
    for name in FILES:
        import_file(conn, DATA / name)
    return conn


def _group(ipc: str | None) -> str | None:
    m = re.match(r"^([A-H]\d\d[A-Z]\d+)/", ipc or "")
    return m.group(1) + "/" if m else None


def zh_queries(conn: duckdb.DuckDBPyConnection, count: int) -> list[tuple[str, set[str]]]:
    rows = conn.execute("SELECT application_number, ipc_main, title_zh FROM patents WHERE title_zh IS NOT NULL"
                        " AND regexp_matches(title_zh, '[一-龥]')").fetchall()
    return _queries(rows, count, lambda t: {w for w in jieba.cut(t) if len(w) >= 2 and w not in ZH_STOP
                                            and re.fullmatch(r"[\u4e00-\u9fff]+", w)},
                    lambda word, title: word in title)


def en_queries(conn: duckdb.DuckDBPyConnection, count: int) -> list[tuple[str, set[str]]]:
    rows = conn.execute("SELECT application_number, ipc_main, lower(title_en) FROM patents "
                        "WHERE title_en IS NOT NULL").fetchall()
    return _queries(rows, count, lambda t: {w for w in re.findall(r"[a-z]{4,}", t) if w not in EN_STOP},
                    lambda word, title: re.search(rf"\b{word}\b", title) is not None)


def _queries(rows: list, count: int, words_of, holds) -> list[tuple[str, set[str]]]:
    by_group: dict[str, list[tuple[str, str]]] = defaultdict(list)
    overall: Counter[str] = Counter()
    for an, ipc, title in rows:
        words = words_of(title)
        overall.update(words)
        if _group(ipc):
            by_group[_group(ipc)].append((an, title))  # type: ignore[index]
    out: list[tuple[str, set[str]]] = []
    used: set[str] = set()
    for _group_code, members in sorted(by_group.items(), key=lambda kv: -len(kv[1])):
        if len(members) < MIN_GROUP:
            break
        inside: Counter[str] = Counter(w for _, t in members for w in words_of(t))
        ranked = sorted((w for w, n in inside.items() if n >= MIN_WORD and w not in used),
                        key=lambda w: (-inside[w] / overall[w] * math.log(inside[w]), w))
        if not ranked:
            continue
        word = ranked[0]
        used.add(word)
        out.append((word, {an for an, t in members if holds(word, t)}))
        if len(out) == count:
            break
    return out


def ndcg(ranked: list[str], relevant: set[str], k: int = 10) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, an in enumerate(ranked[:k]) if an in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return dcg / ideal if ideal else 0.0


def recall(ranked: list[str], relevant: set[str], k: int = 100) -> float:
    return len(set(ranked[:k]) & relevant) / len(relevant) if relevant else 0.0


def like_ranked(conn: duckdb.DuckDBPyConnection, word: str, english: bool) -> list[str]:
    columns = "lower(title_en), lower(abstract_en)" if english else "title_zh, abstract_zh"
    sql = (f"SELECT application_number FROM patents WHERE concat_ws(' ', {columns}) LIKE ? "
           "ORDER BY filing_date DESC NULLS LAST, application_number LIMIT 100")
    return [r[0] for r in conn.execute(sql, [f"%{word.lower()}%"]).fetchall()]


def engine_ranked(conn: duckdb.DuckDBPyConnection, word: str) -> list[str]:
    result = search(conn, word, SearchOptions(limit=100, facets=False))
    return [h["application_number"] for h in result["hits"]]


def evaluate(conn: duckdb.DuckDBPyConnection, queries: list[tuple[str, set[str]]], english: bool,
             show: bool) -> dict[str, float]:
    scores: dict[str, list[float]] = defaultdict(list)
    for word, relevant in queries:
        ours, base = engine_ranked(conn, word), like_ranked(conn, word, english)
        row = {"ndcg_engine": ndcg(ours, relevant), "ndcg_like": ndcg(base, relevant),
               "recall_engine": recall(ours, relevant), "recall_like": recall(base, relevant)}
        for k, v in row.items():
            scores[k].append(v)
        if show:
            print(f"  {word:<16} relevant {len(relevant):>4}  nDCG@10 {row['ndcg_engine']:.3f} / {row['ndcg_like']:.3f}"
                  f"  recall@100 {row['recall_engine']:.3f} / {row['recall_like']:.3f}")
    return {k: statistics.mean(v) for k, v in scores.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, help="a store holding the four demo files (default: built in a temp dir)")
    parser.add_argument("--show", action="store_true", help="print each query's figures")
    args = parser.parse_args()
    conn = open_store(args.db, read_only=True) if args.db else build_demo(Path(tempfile.mkdtemp()))
    open_index(conn)
    for label, queries, english in (("Chinese", zh_queries(conn, 40), False), ("English", en_queries(conn, 15), True)):
        print(f"{label}: {len(queries)} queries, {sum(len(r) for _, r in queries)} relevant patents in all")
        figures = evaluate(conn, queries, english, args.show)
        print(f"  nDCG@10     engine {figures['ndcg_engine']:.3f}   LIKE {figures['ndcg_like']:.3f}")
        print(f"  recall@100  engine {figures['recall_engine']:.3f}   LIKE {figures['recall_like']:.3f}")


if __name__ == "__main__":
    main()
