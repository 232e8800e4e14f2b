"""USPTO full-text XML, grants and applications from 2004 on → one :class:`RowResult` per document.

USPTO's weekly bulk files are many XML documents concatenated, each opening with its own
``<?xml ...?>`` declaration. We split them while reading line by line, feed each document to
expat incrementally (the DTD is never loaded; entities it would define are turned into character
references first) and drop the description and drawings as soon as they are parsed, so memory
stays bounded by the largest bibliography, whatever the file size.

>>> rows = read_uspto_xml(Path("ipg150106.xml"))
>>> next(rows).outcome.publication_number
'US08930553B2'
"""

from __future__ import annotations

import datetime as dt
import html.entities
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from patentatlas.errors import EmptyFileError, FieldError, InputFileError
from patentatlas.importers.records import Party, PatentRecord, Rejection, RowResult
from patentatlas.normalize.dates import parse_date
from patentatlas.normalize.ipc import canonical_ipc

# root element → its bibliographic block
_BIBLIO = {
    "us-patent-grant": "us-bibliographic-data-grant",
    "us-patent-application": "us-bibliographic-data-application",
}
_BOM = b"\xef\xbb\xbf"
_DECLARATION = re.compile(rb"^(?:\xef\xbb\xbf)?\s*<\?xml[\s?]")
# the DOCTYPE's name or, without one, the first element's (comments removed first)
_FIRST_NAME = re.compile(rb"<(?:!DOCTYPE\s+)?([A-Za-z][\w.-]*)")
_COMMENT = re.compile(rb"<!--.*?(?:-->|$)", re.DOTALL)
_ENTITY = re.compile(rb"&([A-Za-z][A-Za-z0-9]*);")
_XML_ENTITIES = frozenset({b"amp", b"lt", b"gt", b"quot", b"apos"})
_POSITION = re.compile(r":\s*line \d+, column \d+$")
_EDITION = re.compile(r"^\s*\d+\s*(?=[A-HY])")  # "7G06F 15/16": IPC edition 7 written in front
_COUNTRY = re.compile(r"^[A-Z]{2}$")
# parts of a document we never map: emptied as soon as they are parsed (they are most of it)
_DROPPED = frozenset({"description", "drawings"})
# elements whose text is a block of its own: a space keeps their words apart
_BLOCKS = frozenset({"p", "claim-text", "heading", "li", "br", "entry"})
_FEED_BYTES = 1 << 16
_APPLICANT_PATHS = ("us-parties/us-applicants/us-applicant", "parties/applicants/applicant")
_INVENTOR_PATHS = ("us-parties/inventors/inventor", "parties/inventors/inventor")
_AGENT_PATHS = ("us-parties/agents/agent", "parties/agents/agent")
_SINGLE_RELATIONS = frozenset({"related-publication", "us-provisional-application"})


def looks_like_uspto(head: bytes) -> bool:
    """True when ``head`` (a file's first bytes) opens a USPTO grant or application XML file.

    >>> looks_like_uspto(b'<?xml version="1.0"?>\\n<!DOCTYPE us-patent-grant SYSTEM "x.dtd" [ ]>')
    True
    """
    if not _DECLARATION.match(head):
        return False
    first = _FIRST_NAME.search(_COMMENT.sub(b"", head))
    return first is not None and first.group(1).decode("ascii") in _BIBLIO


def read_uspto_xml(path: Path) -> Iterator[RowResult]:
    """Every document of a USPTO XML file (one document or a weekly bulk file), in order.

    >>> [r.outcome.application_number for r in read_uspto_xml(Path("US08930553.xml"))]
    ['US13648029']
    """
    try:
        handle = path.open("rb")
    except OSError as err:
        reason = f"cannot open it ({err.strerror}); check the path and its permissions"
        raise InputFileError(str(path), reason) from err
    row = 0
    with handle:
        for row, parsed in enumerate(_documents(handle), start=1):
            yield _row_result(row, parsed)
    if row == 0:
        raise EmptyFileError(str(path), "the file is empty: it holds no XML document")


# --- splitting and parsing -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Parsed:
    """One document as parsed: its tree (partial when the parse failed) or the parser's error."""

    start_line: int
    root: ET.Element | None
    error: str | None


class _DocumentReader:
    """Feeds one document's lines to an incremental parser, emptying the parts we never map."""

    def __init__(self, start_line: int) -> None:
        self.start_line = start_line
        self._last_line = start_line
        # start events only: the first is the root, and the tree holds everything else
        self._parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("start",))
        self._pending: list[bytes] = []
        self._pending_size = 0
        self._root: ET.Element | None = None
        self._dropping: ET.Element | None = None  # the latest description or drawings
        self._error: str | None = None

    def feed(self, text: bytes, line: int) -> None:
        """Queue text read on file line ``line``; the parser gets it in chunks (faster)."""
        if self._error is not None:
            return  # the rest of a broken document is skipped up to the next declaration
        if b"&" in text:
            text = _ENTITY.sub(_entity_as_reference, text)
        self._last_line = line
        self._pending.append(text)
        self._pending_size += len(text)
        if self._pending_size >= _FEED_BYTES:
            self._flush()

    def finish(self) -> _Parsed:
        """End of the document: parse what is queued and say what came of it."""
        self._flush()
        if self._error is None:
            try:
                self._parser.close()
            except ET.ParseError as err:
                self._fail(err)
            self._collect()
        return _Parsed(self.start_line, self._root, self._error)

    def _flush(self) -> None:
        if self._error is None and self._pending:
            self._parser.feed(b"".join(self._pending))
            self._collect()
        self._pending.clear()
        self._pending_size = 0

    def _collect(self) -> None:
        try:
            for item in self._parser.read_events():
                element = item[-1]
                if not isinstance(element, ET.Element):
                    continue  # only start events were asked for: never happens
                if self._root is None:
                    self._root = element
                elif element.tag in _DROPPED:
                    self._drop()
                    self._dropping = element
        except ET.ParseError as err:  # XMLPullParser hands feed errors out here
            self._fail(err)
        self._drop()

    def _drop(self) -> None:
        """Empty the description (or drawings) as it grows: it can run to megabytes.

        The tree builder keeps its own hold on the element it is still building, so removing
        children from the tree loses nothing it needs.
        """
        if self._dropping is not None:
            del self._dropping[:]
            self._dropping.text = None

    def _fail(self, err: ET.ParseError) -> None:
        line, column = err.position
        # expat counts from the document's first line; past the end means "it stops early"
        file_line = min(self.start_line + line - 1, self._last_line)
        message = _POSITION.sub("", str(err))
        self._error = (
            f"line {file_line}, column {column}: XML parse error: {message} "
            f"(document starting at line {self.start_line})"
        )


def _documents(lines: Iterable[bytes]) -> Iterator[_Parsed]:
    """Split a stream of lines into documents at each XML declaration and parse each one."""
    reader: _DocumentReader | None = None
    for number, line in enumerate(lines, start=1):
        if reader is not None and b"<?xml" not in line:
            reader.feed(line, number)  # most lines: inside a document
            continue
        for piece in _split_at_declarations(line):
            if reader is not None and _DECLARATION.match(piece):
                yield reader.finish()
                reader = None
            if reader is None:
                if not piece.strip():
                    continue  # blank lines between documents
                reader = _DocumentReader(number)
                piece = piece.lstrip()  # the declaration must open the document
            reader.feed(piece, number)
    if reader is not None:
        yield reader.finish()


def _split_at_declarations(line: bytes) -> list[bytes]:
    """The line, cut before each XML declaration (and its BOM) after its start: documents glued
    together by a tool that did not end them with a newline."""
    pieces, start = [], 0
    at = line.find(b"<?xml", 1)
    while at >= 0:
        cut = at - len(_BOM) if line[max(at - len(_BOM), 0) : at] == _BOM else at
        if cut > start:
            pieces.append(line[start:cut])
            start = cut
        at = line.find(b"<?xml", at + 1)
    pieces.append(line[start:])
    return pieces


def _entity_as_reference(match: re.Match[bytes]) -> bytes:
    """An entity the DTD would define (``&lsquo;``), as character references expat reads alone."""
    name = match.group(1)
    return match.group(0) if name in _XML_ENTITIES else _reference_for(name)


@lru_cache(maxsize=1024)
def _reference_for(name: bytes) -> bytes:
    text = html.entities.html5.get(name.decode("ascii") + ";")
    if text is None:
        # unknown to HTML too (an ISO set's rare glyph): keep it as visible text, not an error
        return b"&amp;" + name + b";"
    return "".join(f"&#x{ord(char):x};" for char in text).encode("ascii")


def _row_result(row: int, parsed: _Parsed) -> RowResult:
    """The RowResult of one parsed document: its record, or why it cannot be loaded."""
    root = parsed.root
    publication = root.find("*/publication-reference/document-id") if root is not None else None
    raw: dict[str, Any] = {
        "line": parsed.start_line,
        "doc_number": _text(publication.find("doc-number")) if publication is not None else None,
        "kind": _text(publication.find("kind")) if publication is not None else None,
    }
    if parsed.error is not None or parsed.root is None:
        return RowResult(row, raw, Rejection("xml", parsed.error or "no XML element in it"))
    try:
        outcome: PatentRecord | Rejection = _record(parsed.root)
    except FieldError as err:
        outcome = Rejection(err.field, err.reason)
    return RowResult(row, raw, outcome)


# --- mapping a document to a PatentRecord ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Publication:
    number: str | None
    kind: str | None
    date: dt.date | None


def _record(root: ET.Element) -> PatentRecord:
    """The PatentRecord of one parsed document; FieldError names the XML path of what is wrong."""
    biblio = _biblio(root)
    path = f"{root.tag}/{biblio.tag}"
    grant = root.tag == "us-patent-grant"
    application_number, filing_date = _application(biblio, path)
    publication = _publication(biblio, path)
    warnings: list[str] = []
    ipc_codes = _ipc_codes(biblio, warnings)
    references = _references(biblio)
    cited = _cited_publications(references)
    return PatentRecord(
        application_number=application_number,
        country="US",
        patent_type=_patent_type(biblio, publication.kind),
        filing_date=filing_date,
        publication_number=publication.number,
        publication_kind=publication.kind[0] if publication.kind else None,
        publication_date=publication.date,
        grant_date=publication.date if grant else None,
        priority_date=_priority_date(biblio, path, warnings),
        title_en=_text(biblio.find("invention-title")),
        abstract_en=_text(root.find("abstract")),
        main_claim=_text(root.find("claims/claim")),
        claim_count=_claim_count(root, biblio),
        ipc_main=ipc_codes[0] if ipc_codes else None,
        ipc_codes=ipc_codes,
        cpc_codes=_cpc_codes(biblio, warnings),
        family_members=_family_members(biblio, {application_number, publication.number or ""}),
        backward_citation_count=len(cited) if references is not None or grant else None,
        cited_publications=tuple(dict.fromkeys(cited)),
        applicants=_applicants(biblio),
        inventors=_inventors(biblio),
        agencies=_agencies(biblio),
        extra=_extra(root, biblio, references, warnings),
    )


def _biblio(root: ET.Element) -> ET.Element:
    tag = _BIBLIO.get(str(root.tag))
    if tag is None:
        roots = " or ".join(_BIBLIO)
        raise FieldError("xml", f"root element <{root.tag}> is not a USPTO {roots} document")
    biblio = root.find(tag)
    if biblio is None:
        raise FieldError(f"{root.tag}/{tag}", "no bibliographic data: the document is incomplete")
    return biblio


def _application(biblio: ET.Element, path: str) -> tuple[str, dt.date]:
    """``US`` + the application number as written, and the filing date; both are required."""
    where = f"{path}/application-reference/document-id"
    document = biblio.find("application-reference/document-id")
    number = _text(document.find("doc-number")) if document is not None else None
    if not number:
        raise FieldError(f"{where}/doc-number", "no application number: cannot identify it")
    raw_date = _text(document.find("date")) if document is not None else None
    filing_date = parse_date(raw_date, f"{where}/date")
    if filing_date is None:
        raise FieldError(f"{where}/date", "no filing date")
    return "US" + number.replace(" ", ""), filing_date


def _publication(biblio: ET.Element, path: str) -> _Publication:
    """Country + doc-number + kind as written (``US08930553B2``), its kind and its date."""
    document = biblio.find("publication-reference/document-id")
    if document is None:
        return _Publication(None, None, None)
    number = _text(document.find("doc-number"))
    kind = _text(document.find("kind"))
    country = _text(document.find("country")) or "US"
    date = parse_date(
        _text(document.find("date")), f"{path}/publication-reference/document-id/date"
    )
    return _Publication(f"{country}{number}{kind or ''}" if number else None, kind, date)


def _patent_type(biblio: ET.Element, kind: str | None) -> str:
    """design for design applications (kind S); utility, plant and reissue are inventions."""
    reference = biblio.find("application-reference")
    appl_type = reference.get("appl-type") if reference is not None else None
    if appl_type == "design" or (appl_type is None and (kind or "").startswith("S")):
        return "design"
    return "invention"


def _priority_date(biblio: ET.Element, path: str, warnings: list[str]) -> dt.date | None:
    """The earliest date among the priority claims; an unreadable one is noted, not fatal."""
    dates: list[dt.date] = []
    for claim in biblio.findall("priority-claims/priority-claim"):
        try:
            value = parse_date(_text(claim.find("date")), f"{path}/priority-claims/priority-claim")
        except FieldError as err:
            warnings.append(err.message)
            continue
        if value is not None:
            dates.append(value)
    return min(dates, default=None)


def _claim_count(root: ET.Element, biblio: ET.Element) -> int | None:
    """number-of-claims where given (grants), else the claims counted (applications)."""
    stated = _text(biblio.find("number-of-claims"))
    if stated and stated.isdigit():
        return int(stated)
    return len(root.findall("claims/claim")) or None


# --- classifications -------------------------------------------------------------------------


def _ipc_codes(biblio: ET.Element, warnings: list[str]) -> tuple[str, ...]:
    """IPC symbols, canonical, the main (first-position) one first.

    IPC-R blocks (2006 on) give the symbol in parts; the 2004 format writes ``G06F015/16``
    (sometimes ``7G06F 15/16``, with the edition in front) in main/further classifications.
    """
    structured = biblio.findall("classifications-ipcr/classification-ipcr")
    if structured:
        structured.sort(key=lambda entry: _text(entry.find("symbol-position")) != "F")
        symbols = [_structured_symbol(entry) for entry in structured]
    else:
        legacy = biblio.find("classification-ipc")
        entries = [] if legacy is None else list(legacy)
        symbols = [
            _EDITION.sub("", _text(entry) or "")
            for entry in entries
            if entry.tag in ("main-classification", "further-classification")
        ]
    return _canonical_codes(symbols, "IPC", warnings)


def _cpc_codes(biblio: ET.Element, warnings: list[str]) -> tuple[str, ...]:
    """CPC symbols (grants from 2013 on), the main one first."""
    block = "classifications-cpc/{}/classification-cpc"
    entries = biblio.findall(block.format("main-cpc")) + biblio.findall(block.format("further-cpc"))
    return _canonical_codes([_structured_symbol(entry) for entry in entries], "CPC", warnings)


def _structured_symbol(entry: ET.Element) -> str:
    """``G06F15/16`` from section, class, subclass, main-group and subgroup elements."""
    parts = [_text(entry.find(tag)) or "" for tag in ("section", "class", "subclass")]
    group = f"{_text(entry.find('main-group')) or ''}/{_text(entry.find('subgroup')) or ''}"
    return "".join(parts) + group


def _canonical_codes(symbols: list[str], field: str, warnings: list[str]) -> tuple[str, ...]:
    codes: dict[str, None] = {}
    for symbol in symbols:
        try:
            codes[canonical_ipc(symbol, field)] = None
        except FieldError as err:
            warnings.append(err.message)  # one odd symbol does not lose the patent
    return tuple(codes)


# --- parties ---------------------------------------------------------------------------------


def _applicants(biblio: ET.Element) -> tuple[Party, ...]:
    """The assignees (the patent's holders) if any, else the applicants."""
    for entries in (biblio.findall("assignees/assignee"), _first_found(biblio, _APPLICANT_PATHS)):
        parties = tuple(party for entry in entries if (party := _party(entry)) is not None)
        if parties:
            return parties
    return ()


def _inventors(biblio: ET.Element) -> tuple[str, ...]:
    """Inventors' names, ``First Last``; the 2004 format lists them as applicant-inventors."""
    entries = _first_found(biblio, _INVENTOR_PATHS)
    if not entries:
        applicants = _first_found(biblio, _APPLICANT_PATHS)
        entries = [entry for entry in applicants if entry.get("app-type") == "applicant-inventor"]
    names = (_name(entry.find("addressbook")) for entry in entries)
    return tuple(name for name in names if name)


def _agencies(biblio: ET.Element) -> tuple[str, ...]:
    """The agents' firms (orgname); agents who are named persons only are not agencies."""
    names = (
        _text(entry.find("addressbook/orgname")) for entry in _first_found(biblio, _AGENT_PATHS)
    )
    return tuple(dict.fromkeys(name for name in names if name))


def _party(entry: ET.Element) -> Party | None:
    """Party(name, "city, state", country) of one assignee or applicant."""
    book = entry.find("addressbook")
    if book is None:
        book = entry  # 2004-format assignees carry orgname directly
    name = _name(book)
    if name is None:
        return None
    address = book.find("address")
    if address is None:
        return Party(name)
    place = [_text(address.find(tag)) for tag in ("city", "state")]
    country = _text(address.find("country"))
    valid_country = country if country and _COUNTRY.match(country) else None
    return Party(name, ", ".join(p for p in place if p) or None, valid_country)


def _name(book: ET.Element | None) -> str | None:
    """An organisation's name, or a person's ``First Last``."""
    if book is None:
        return None
    orgname = _text(book.find("orgname"))
    if orgname:
        return orgname
    person = [_text(book.find(tag)) for tag in ("first-name", "last-name")]
    return " ".join(p for p in person if p) or _text(book.find("name"))


def _first_found(biblio: ET.Element, paths: tuple[str, ...]) -> list[ET.Element]:
    return next((found for path in paths if (found := biblio.findall(path))), [])


# --- citations, related documents, extra -----------------------------------------------------


def _references(biblio: ET.Element) -> ET.Element | None:
    found = biblio.find("us-references-cited")
    return found if found is not None else biblio.find("references-cited")


def _cited_publications(references: ET.Element | None) -> list[str]:
    """Each cited patent document as country + number + kind (``US4621424A``), in order."""
    if references is None:
        return []
    cited = []
    for document in references.iterfind(".//patcit/document-id"):
        # "2007/0140112" is written with a slash; the publication number has none
        number = "".join((_text(document.find("doc-number")) or "").split()).replace("/", "")
        country = _text(document.find("country")) or ""
        cited.append(f"{country}{number}{_text(document.find('kind')) or ''}")
    return cited


def _family_members(biblio: ET.Element, own: set[str]) -> tuple[str, ...]:
    """Documents the related-documents block names: earlier publications, parents, provisionals."""
    related = biblio.find("us-related-documents")
    if related is None:
        return ()
    members: dict[str, None] = {}
    for relation in related:
        if relation.tag in _SINGLE_RELATIONS:
            documents = relation.findall("document-id")
        else:  # continuation, division, reissue ...: every document but the child (this one)
            child = set(relation.findall("relation/child-doc/document-id"))
            documents = [d for d in relation.iter("document-id") if d not in child]
        for document in documents:
            member = _document_key(document)
            if member and member not in own:
                members[member] = None
    return tuple(members)


def _document_key(document: ET.Element) -> str | None:
    """``US20140101323A1`` for a publication, ``US13173486`` for an application (kind 00)."""
    number = "".join((_text(document.find("doc-number")) or "").split())
    if not number:
        return None
    if number.startswith("PCT/"):
        return number
    kind = _text(document.find("kind")) or ""
    country = _text(document.find("country")) or ""
    return f"{country}{number}{kind if kind[:1].isalpha() else ''}"


def _extra(
    root: ET.Element, biblio: ET.Element, references: ET.Element | None, warnings: list[str]
) -> dict[str, Any]:
    """Source fields with no column: Locarno and US classes, NPL count, appl-type, warnings."""
    reference = biblio.find("application-reference")
    found = {
        "appl_type": reference.get("appl-type") if reference is not None else None,
        "locarno": _text(biblio.find("classification-locarno/main-classification")),
        "us_class": _text(biblio.find("classification-national/main-classification")),
    }
    extra: dict[str, Any] = {name: value for name, value in found.items() if value}
    if references is not None or root.tag == "us-patent-grant":
        npl = references.findall(".//nplcit") if references is not None else []
        extra["npl_citation_count"] = len(npl)
    if warnings:
        extra["warnings"] = warnings
    return extra


# --- text ------------------------------------------------------------------------------------


def _text(element: ET.Element | None) -> str | None:
    """An element's text with its children's, whitespace collapsed; None when empty."""
    if element is None:
        return None
    text = " ".join("".join(_text_parts(element)).split())
    return text or None


def _text_parts(element: ET.Element) -> Iterator[str]:
    spaced = element.tag in _BLOCKS
    if spaced:
        yield " "
    if element.text:
        yield element.text
    for child in element:
        yield from _text_parts(child)
        if child.tail:
            yield child.tail
    if spaced:
        yield " "
