"""The parsed query (:mod:`.query`) as a tantivy query over the index's fields.

Chinese words are cut by jieba the way the index was (every precise-mode word of the query is a
search-mode token of a document holding it); a quoted Chinese phrase is a phrase query whose slop
allows exactly the shorter words search mode puts before each word. English words are stemmed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from dataclasses import dataclass, field

import tantivy

from patentatlas.errors import FieldError, UsageError
from patentatlas.normalize.appno import normalize_application_number
from patentatlas.search.documents import ipc_terms
from patentatlas.search.query import And, Node, Not, Or, Range, Word
from patentatlas.search.text import en_terms, han_bigrams, has_han, zh_tokens, zh_words

Occur = tantivy.Occur
# where an unfielded word is looked for, and how much a match there counts
DEFAULT_ZH = {"title": 3.0, "abstract": 1.0, "claims": 0.7, "applicant": 1.0}
DEFAULT_EN = {"title_en": 3.0, "abstract_en": 1.0}
TEXT_FIELDS = {
    "title": ({"title": 1.0}, {"title_en": 1.0}),
    "abstract": ({"abstract": 1.0}, {"abstract_en": 1.0}),
    "claims": ({"claims": 1.0}, {}),
    "applicant": ({"applicant": 1.0}, {}),
    "inventor": ({"inventor": 1.0}, {}),
    None: (DEFAULT_ZH, DEFAULT_EN),
}
TYPES = {"发明": "invention", "实用新型": "utility_model", "外观设计": "design", "外观": "design"}
STATUSES = {"有效": "in_force", "审中": "pending", "失效": "lapsed", "在审": "pending"}


@dataclass
class Compiled:
    query: tantivy.Query
    terms: dict[str, set[str]] = field(default_factory=dict)  # field → tokens the query looks for (highlighting)


class Compiler:
    def __init__(self, schema: tantivy.Schema) -> None:
        self.schema = schema
        self.terms: dict[str, set[str]] = {}

    def compile(self, node: Node) -> Compiled:
        return Compiled(self.node(node), self.terms)

    def node(self, node: Node) -> tantivy.Query:
        if isinstance(node, And):
            clauses = [(Occur.MustNot if isinstance(p, Not) else Occur.Must,
                        self.node(p.part if isinstance(p, Not) else p)) for p in node.parts]
            if all(o == Occur.MustNot for o, _ in clauses):
                clauses.append((Occur.Must, tantivy.Query.all_query()))
            return tantivy.Query.boolean_query(clauses)
        if isinstance(node, Or):
            return tantivy.Query.boolean_query([(Occur.Should, self.node(p)) for p in node.parts])
        if isinstance(node, Not):
            return tantivy.Query.boolean_query([(Occur.Must, tantivy.Query.all_query()),
                                                (Occur.MustNot, self.node(node.part))])
        if isinstance(node, Range):
            return self.date_range(node)
        return self.word(node)

    def word(self, word: Word) -> tantivy.Query:
        fld, text = word.field, word.text
        if fld in TEXT_FIELDS:
            return self.text(text, word.phrase, *TEXT_FIELDS[fld])
        if fld == "ipc":
            return self.ipc(text)
        if fld in ("pn", "an"):
            return self.number(text)
        if fld == "type":
            return self.term("type", TYPES.get(text, text.lower()))
        if fld == "status":
            return self.term("status", STATUSES.get(text, text.lower()))
        if fld == "region":
            return self.term("region", text)
        if fld == "sei":
            return self.term("sei", text)
        raise UsageError(f"{fld}: is not a field")  # the parser only makes known fields

    def term(self, name: str, value: str) -> tantivy.Query:
        return tantivy.Query.term_query(self.schema, name, value)

    def text(self, text: str, phrase: bool, zh: dict[str, float], en: dict[str, float]) -> tantivy.Query:
        """The text in any of the fields (each with its weight): all of its words in the same field."""
        shoulds = []
        zh_parts = zh_words(text)
        if zh_parts:
            for name, boost in zh.items():
                self.terms.setdefault(name, set()).update(zh_parts)
                shoulds.append(self._boosted(self._zh(name, zh_parts, phrase), boost))
        bigrams = han_bigrams(text)
        if bigrams and "title" in zh:  # the title's characters as LIKE sees them, where jieba cut a word apart
            shoulds.append(self._boosted(_phrase(self.schema, "title_bg", bigrams)
                                         if len(bigrams) > 1 else self.term("title_bg", bigrams[0]), zh["title"] / 3))
        en_parts = en_terms(text) if not has_han(text) else []
        if en_parts:
            for name, boost in en.items():
                self.terms.setdefault(name, set()).update(en_parts)
                shoulds.append(self._boosted(self._en(name, en_parts, phrase), boost))
        if not shoulds:
            return tantivy.Query.empty_query()  # punctuation alone matches nothing
        return tantivy.Query.boolean_query([(Occur.Should, q) for q in shoulds])

    def _zh(self, name: str, words: list[str], phrase: bool) -> tantivy.Query:
        if len(words) == 1:
            return self.term(name, words[0])
        if phrase:
            # search mode puts a word's shorter words before it: that many positions may lie between
            slop = sum(len(zh_tokens(w)) - 1 for w in words[1:])
            return _phrase(self.schema, name, words, slop)
        return tantivy.Query.boolean_query([(Occur.Must, self.term(name, w)) for w in dict.fromkeys(words)])

    def _en(self, name: str, words: list[str], phrase: bool) -> tantivy.Query:
        if len(words) == 1:
            return self.term(name, words[0])
        if phrase:
            return _phrase(self.schema, name, words)
        return tantivy.Query.boolean_query([(Occur.Must, self.term(name, w)) for w in dict.fromkeys(words)])

    @staticmethod
    def _boosted(query: tantivy.Query, boost: float) -> tantivy.Query:
        return query if boost == 1.0 else tantivy.Query.boost_query(query, boost)

    def ipc(self, text: str) -> tantivy.Query:
        """A prefix: section, class, subclass and main group are terms; anything longer a prefix match."""
        code = re.sub(r"\s+", "", text).upper()
        if re.fullmatch(r"[A-H](\d\d([A-Z](\d{1,4}(/\d{1,6})?)?)?)?", code):
            if "/" in code:
                terms = ipc_terms(code)
                return self.term("ipc", terms[-1]) if len(terms) == 5 else self.term("ipc", code)
            if re.fullmatch(r"[A-H]\d\d[A-Z]\d+", code):
                return self.term("ipc", f"{code[:4]}{int(code[4:])}/")  # a main group: G06F3 → G06F3/
            return self.term("ipc", code)
        if re.fullmatch(r"[A-H]\d\d[A-Z]\d{1,4}/\d*", code):
            return tantivy.Query.regex_query(self.schema, "ipc", re.escape(code) + ".*")
        raise UsageError(f"ipc:{text}: not an IPC code or prefix (G, G06, G06F, G06F3, G06F3/01)")

    def number(self, text: str) -> tantivy.Query:
        """An application or publication number in any written form."""
        raw = re.sub(r"\s+", "", text).upper().removeprefix("ZL")
        candidates = {raw, re.sub(r"[A-Z]\d?$", "", raw)}
        if raw.isdigit() and len(raw) < 12:
            candidates.add("CN" + raw)
        with contextlib.suppress(FieldError):
            candidates.add(normalize_application_number(raw).number)
        return tantivy.Query.term_set_query(self.schema, "num", sorted(c for c in candidates if c))

    def date_range(self, node: Range) -> tantivy.Query:
        low = _date(node.low, node, end=False) if node.low else None
        high = _date(node.high, node, end=True) if node.high else None
        return tantivy.Query.range_query(self.schema, node.field, tantivy.FieldType.Date, low, high)


def _phrase(schema: tantivy.Schema, name: str, words: list[str], slop: int = 0) -> tantivy.Query:
    return tantivy.Query.phrase_query(schema, name, list[str | tuple[int, str]](words), slop=slop)


def _date(text: str, node: Range, *, end: bool) -> dt.datetime:
    """``2019``, ``2019-06``, ``2019-06-30``, ``20190630``: a range's end, the period's first or last day."""
    digits = re.sub(r"[-./年月日]", "", text)
    try:
        if re.fullmatch(r"\d{4}", digits):
            day = dt.date(int(digits), 12, 31) if end else dt.date(int(digits), 1, 1)
        elif re.fullmatch(r"\d{6}", digits):
            year, month = int(digits[:4]), int(digits[4:])
            first = dt.date(year, month, 1)
            day = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)) if end else first
        elif re.fullmatch(r"\d{8}", digits):
            day = dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
        else:
            raise ValueError
    except ValueError:
        raise UsageError(f"{node.field}:{text}: not a date (write 2019, 2019-06 or 2019-06-30)") from None
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
