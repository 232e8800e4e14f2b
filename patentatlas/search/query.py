"""The search syntax, parsed into a small tree (compiled to tantivy queries by :mod:`.compile`).

    内窥镜 图像                     both words (AND is implied), anywhere in the text
    内窥镜 OR 腹腔镜                either; NOT 兽用 / -兽用 excludes; parentheses group
    "图像处理方法"                  a phrase
    title:内窥镜  abstract:  claims:  applicant:  inventor:   one field (also 标题: 摘要: 权利要求: 申请人: 发明人:)
    ipc:G06F  ipc:G06F3  ipc:G06F3/01                          IPC prefix (section, class, subclass, group)
    pn:CN110750616B  an:202010302257                           publication / application number, any written form
    filed:2019..2021  published:2020-01..2020-06  granted:2021   date ranges (either end may be left open)
    type:invention  status:in_force  region:330100  industry:1.1

Bad input is read sensibly and said so in ``notices`` (an unclosed quote or parenthesis is closed
at the end, an unknown field's words are searched as text, a swapped range is turned round, a
pasted paragraph is searched by its key terms); what cannot be read raises ``UsageError``.

>>> parse("title:内窥镜 AND filed:2019..2021").node
And(parts=[Word(field='title', text='内窥镜', phrase=False), Range(field='filed', low='2019', high='2021')])
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from patentatlas.errors import UsageError

MAX_CHARS = 1_000  # longer: a pasted paragraph, searched by its key terms
MAX_CLAUSES = 64
MAX_DEPTH = 16

FIELDS = {
    "title": "title", "ti": "title", "标题": "title", "名称": "title",
    "abstract": "abstract", "ab": "abstract", "摘要": "abstract",
    "claims": "claims", "claim": "claims", "权利要求": "claims", "主权项": "claims",
    "applicant": "applicant", "pa": "applicant", "申请人": "applicant",
    "inventor": "inventor", "in": "inventor", "发明人": "inventor",
    "ipc": "ipc", "分类号": "ipc",
    "pn": "pn", "公开号": "pn", "公告号": "pn",
    "an": "an", "申请号": "an", "number": "pn",
    "filed": "filed", "申请日": "filed", "year": "filed",
    "published": "published", "公开日": "published",
    "granted": "granted", "授权日": "granted",
    "type": "type", "类型": "type",
    "status": "status", "状态": "status",
    "region": "region", "地区": "region",
    "industry": "sei", "sei": "sei", "产业": "sei",
}
DATE_FIELDS = ("filed", "published", "granted")


@dataclass
class Word:
    field: str | None
    text: str
    phrase: bool = False


@dataclass
class Range:
    field: str
    low: str | None
    high: str | None


@dataclass
class Not:
    part: Node


@dataclass
class And:
    parts: list[Node]


@dataclass
class Or:
    parts: list[Node]


Node = Word | Range | Not | And | Or


@dataclass
class Parsed:
    node: Node | None
    notices: list[str] = field(default_factory=list)
    paragraph: str | None = None  # set when the query was a pasted paragraph


_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "「": '"', "」": '"', "『": '"', "』": '"', "、": " "})
_TOKEN = re.compile(r'\s+|(?P<lp>\()|(?P<rp>\))|"(?P<phrase>[^"]*)(?P<closed>"?)|(?P<word>[^\s()"]+)')


def clean(query: str) -> str:
    """Full-width forms folded (：（） and full-width spaces), Chinese quotes made ASCII."""
    return unicodedata.normalize("NFKC", query).translate(_QUOTES).strip()


def parse(query: str | None) -> Parsed:
    """The query as a tree; ``node`` is None for an empty query."""
    text = clean(query or "")
    if not text:
        return Parsed(None)
    if len(text) > MAX_CHARS:
        return Parsed(None, [f"the query is {len(text):,} characters long: searched as a paragraph, by its key terms"],
                      paragraph=text)
    return _Parser(text).parse()


class _Parser:
    def __init__(self, text: str) -> None:
        self.notices: list[str] = []
        self.tokens = self._lex(text)
        self.pos = 0
        self.clauses = 0

    def _lex(self, text: str) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for m in _TOKEN.finditer(text):
            if m.group("lp"):
                out.append(("(", "("))
            elif m.group("rp"):
                out.append((")", ")"))
            elif m.group("phrase") is not None:
                if not m.group("closed"):
                    self.notices.append("a quote was not closed: read as a phrase to the end of the query")
                out.append(("phrase", m.group("phrase")))
            elif m.group("word"):
                out.extend(self._word_tokens(m.group("word")))
        return out

    def _word_tokens(self, word: str) -> list[tuple[str, str]]:
        if word in ("AND", "&&"):
            return [("and", word)]
        if word in ("OR", "||"):
            return [("or", word)]
        if word in ("NOT", "!"):
            return [("not", word)]
        if word.startswith("-") and len(word) > 1:
            return [("not", "-"), *self._word_tokens(word[1:])]
        name, colon, value = word.partition(":")
        if colon and name:
            known = FIELDS.get(name.lower())
            if known:
                return [("field", known), *([("word", value)] if value else [])]
            self.notices.append(f"unknown field {name!r}: {value or name} searched in all text "
                                f"(fields: {', '.join(sorted(set(FIELDS.values())))})")
            return [("word", value or name)]
        return [("word", word)]

    def parse(self) -> Parsed:
        node = self._or(0)
        while self.pos < len(self.tokens):  # a ")" without its "(": skipped
            self.notices.append("a closing parenthesis had no opening one: ignored")
            self.pos += 1
            more = self._or(0)
            node = _join(And, [n for n in (node, more) if n is not None])
        return Parsed(node, list(dict.fromkeys(self.notices)))

    def _peek(self) -> str | None:
        return self.tokens[self.pos][0] if self.pos < len(self.tokens) else None

    def _or(self, depth: int) -> Node | None:
        parts = [self._and(depth)]
        while self._peek() == "or":
            self.pos += 1
            parts.append(self._and(depth))
        return _join(Or, [p for p in parts if p is not None])

    def _and(self, depth: int) -> Node | None:
        parts: list[Node] = []
        while (kind := self._peek()) not in (None, ")", "or"):
            if kind == "and":
                self.pos += 1
                continue
            node = self._unary(depth, None)
            if node is not None:
                parts.append(node)
        return _join(And, parts)

    def _unary(self, depth: int, fld: str | None) -> Node | None:
        kind = self._peek()
        if kind == "not":
            self.pos += 1
            part = self._unary(depth, fld)
            return Not(part) if part is not None else None
        return self._primary(depth, fld)

    def _primary(self, depth: int, fld: str | None) -> Node | None:
        if self.pos >= len(self.tokens):  # NOT or a field at the very end
            return None
        kind, value = self.tokens[self.pos]
        self.pos += 1
        if kind == "(":
            if depth >= MAX_DEPTH:
                raise UsageError(f"parentheses nested more than {MAX_DEPTH} deep: simplify the query")
            node = self._group(depth + 1, fld)
            if self._peek() == ")":
                self.pos += 1
            else:
                self.notices.append("a parenthesis was not closed: closed at the end of the query")
            return node
        if kind == "field":
            if self._peek() in (None, ")", "or", "and"):
                self.notices.append(f"{value}: has no value: ignored")
                return None
            return self._unary(depth, value)
        if kind in ("and", "or", ")"):
            return None
        return self._leaf(fld, value, kind == "phrase")

    def _group(self, depth: int, fld: str | None) -> Node | None:
        if fld is None:
            return self._or(depth)
        parts = [self._field_and(depth, fld)]  # field:(a OR b): the field applies inside
        while self._peek() == "or":
            self.pos += 1
            parts.append(self._field_and(depth, fld))
        return _join(Or, [p for p in parts if p is not None])

    def _field_and(self, depth: int, fld: str) -> Node | None:
        parts: list[Node] = []
        while (kind := self._peek()) not in (None, ")", "or"):
            if kind == "and":
                self.pos += 1
                continue
            node = self._unary(depth, fld)
            if node is not None:
                parts.append(node)
        return _join(And, parts)

    def _leaf(self, fld: str | None, text: str, phrase: bool) -> Node | None:
        self.clauses += 1
        if self.clauses > MAX_CLAUSES:
            if self.clauses == MAX_CLAUSES + 1:
                self.notices.append(f"only the first {MAX_CLAUSES} terms were used")
            return None
        if not text.strip():
            return None
        if fld in DATE_FIELDS:
            return _range(fld, text, self.notices)
        return Word(fld, text.strip(), phrase)


def _range(fld: str, text: str, notices: list[str]) -> Range:
    low, sep, high = text.partition("..")
    if not sep:
        low = high = text  # filed:2019 = the whole year
    low_s, high_s = low.strip() or None, high.strip() or None
    if low_s is None and high_s is None:
        raise UsageError(f"{fld}:{text}: a date range needs at least one end, like {fld}:2019..2021")
    if low_s and high_s and _sortable(low_s) > _sortable(high_s):
        notices.append(f"{fld}:{text}: the range's ends were swapped: read as {fld}:{high_s}..{low_s}")
        low_s, high_s = high_s, low_s
    return Range(fld, low_s, high_s)


def _sortable(text: str) -> str:
    return re.sub(r"\D", "", text).ljust(8, "0")


def _join(kind: type[And] | type[Or], parts: list[Node]) -> Node | None:
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else kind(parts)
