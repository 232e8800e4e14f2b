"""Full-text search (检索分析): a tantivy index beside the store over jieba-segmented Chinese and
stemmed English, our own query syntax, similar patents, result-set analysis and saved searches.

>>> from patentatlas.search import search
>>> search(conn, "title:内窥镜 AND filed:2019..2021")["total"]  # doctest: +SKIP
12
"""

from __future__ import annotations

from patentatlas.search.engine import SearchOptions, search
from patentatlas.search.index import index_batches, open_index, rebuild_index

__all__ = ["SearchOptions", "index_batches", "open_index", "rebuild_index", "search"]
