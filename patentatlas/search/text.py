"""Text as the index sees it: Chinese segmented by jieba (search mode), English stemmed.

The segmenting is jieba-rs (``rjieba``): jieba's algorithm and dictionary in Rust, about 20 times
faster than the Python package, whose output it matches on Chinese text (they differ only on a few
ASCII runs such as ``Vs_lim``); documents and queries are cut by the same one. The Python package
stays for key terms (TF-IDF weights). Both dictionaries ship inside their packages: nothing is
downloaded.

>>> zh_tokens("内窥镜图像处理")
['窥镜', '内窥镜', '图像', '处理', '图像处理']
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

import jieba
import rjieba
import tantivy

jieba.setLogLevel(logging.WARNING)  # its "Building prefix dict…" lines are not our output

_WORDLIKE = re.compile(r"\w")  # punctuation and spaces are no tokens
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def has_han(text: str) -> bool:
    """Whether the text holds a Chinese character."""
    return bool(_HAN.search(text))


def zh_tokens(text: str | None) -> list[str]:
    """Search-mode tokens (each word, and the shorter words inside it), lowercased."""
    if not text:
        return []
    return [t.lower() for t in rjieba.cut_for_search(text, True) if _WORDLIKE.search(t)]


_NOT_WORDS = re.compile(r"(?<!\S)[^\w\s]+(?!\S)")  # a token of punctuation alone, between spaces


def zh_segmented(text: str | None) -> str:
    """The text as the index's whitespace tokenizer takes it: ``zh_tokens`` joined by spaces (made in
    one pass over the joined text, not token by token: this is the index build's inner loop)."""
    if not text:
        return ""
    return _NOT_WORDS.sub("", " ".join(rjieba.cut_for_search(text, True))).lower()


@lru_cache(maxsize=200_000)
def zh_name(name: str) -> str:
    """A name (applicant, inventor) segmented once per process: names repeat across patents."""
    return zh_segmented(name)


def zh_names(names: list[str]) -> str:
    """Names segmented one by one (a word never spans two names), each from the cache."""
    return " ".join(zh_name(n) for n in names if n)


_HAN_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]{2,}")


def han_bigrams(text: str | None) -> list[str]:
    """Each pair of neighbouring Chinese characters: a phrase of them matches as ``LIKE`` does, where
    jieba cut a word apart (牙科学 → 牙 / 科学 hides 牙科)."""
    return [run[i:i + 2] for run in _HAN_RUN.findall(text or "") for i in range(len(run) - 1)]


def zh_words(text: str) -> list[str]:
    """Precise-mode words of a query word (every one of them is in a document's search-mode tokens)."""
    return [t.lower() for t in rjieba.cut(text, True) if _WORDLIKE.search(t)]


@lru_cache(maxsize=1)
def en_analyzer() -> tantivy.TextAnalyzer:
    """The English fields' analyzer: words, lowercased, stemmed (the same at indexing and query)."""
    return (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).filter(tantivy.Filter.remove_long(40))
            .filter(tantivy.Filter.lowercase()).filter(tantivy.Filter.stemmer("english")).build())


@lru_cache(maxsize=1)
def zh_analyzer() -> tantivy.TextAnalyzer:
    """The Chinese fields' analyzer: the text arrives segmented, so whitespace and lowercase."""
    return tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).filter(tantivy.Filter.lowercase()).build()


def en_terms(text: str) -> list[str]:
    return list(en_analyzer().analyze(text))


def keywords(text: str, top: int = 20) -> list[tuple[str, float]]:
    """The text's key terms by TF-IDF (jieba's own IDF table, shipped in its package)."""
    import jieba.analyse

    return [(w.lower(), float(s)) for w, s in jieba.analyse.extract_tags(text, topK=top, withWeight=True)
            if _WORDLIKE.search(w)]
