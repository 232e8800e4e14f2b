"""USPTO full-text XML, grants and applications from 2004 on → one :class:`RowResult` per document.

USPTO's weekly bulk files are many XML documents concatenated, each opening with its own
``<?xml ...?>`` declaration. We split them while reading line by line, feed each document to
expat incrementally (the DTD is never loaded; entities it would define are turned into character
references first) and drop the description and drawings as soon as they are parsed, so memory
stays bounded by the largest bibliography, whatever the file size.

>>> rows = read_uspto_xml(Path("ipg150106.xml"))  # doctest: +SKIP
>>> next(rows).outcome.publication_number  # doctest: +SKIP
'US08930553B2'
"""

from __future__ import annotations

import html.entities
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from patentatlas.errors import EmptyFileError, FieldError, InputFileError
from patentatlas.i18n import Message, message
from patentatlas.importers.records import PatentRecord, Rejection, RowResult
from patentatlas.importers.uspto_fields import BIBLIO_BLOCKS, element_text, patent_record

_BOM = b"\xef\xbb\xbf"
_DECLARATION = re.compile(rb"^(?:\xef\xbb\xbf)?\s*<\?xml[\s?]")
# the DOCTYPE's name or, without one, the first element's (comments removed first)
_FIRST_NAME = re.compile(rb"<(?:!DOCTYPE\s+)?([A-Za-z][\w.-]*)")
_COMMENT = re.compile(rb"<!--.*?(?:-->|$)", re.DOTALL)
_ENTITY = re.compile(rb"&([A-Za-z][A-Za-z0-9]*);")
_XML_ENTITIES = frozenset({b"amp", b"lt", b"gt", b"quot", b"apos"})
_POSITION = re.compile(r":\s*line \d+, column \d+$")
# parts of a document we never map: emptied as soon as they are parsed (they are most of it)
_DROPPED = frozenset({"description", "drawings"})
_FEED_BYTES = 1 << 16


def looks_like_uspto(head: bytes) -> bool:
    """True when ``head`` (a file's first bytes) opens a USPTO grant or application XML file.

    >>> looks_like_uspto(b'<?xml version="1.0"?>\\n<!DOCTYPE us-patent-grant SYSTEM "x.dtd" [ ]>')
    True
    """
    if not _DECLARATION.match(head):
        return False
    first = _FIRST_NAME.search(_COMMENT.sub(b"", head))
    return first is not None and first.group(1).decode("ascii") in BIBLIO_BLOCKS


def read_uspto_xml(path: Path) -> Iterator[RowResult]:
    """Every document of a USPTO XML file (one document or a weekly bulk file), in order.

    >>> [r.outcome.application_number for r in read_uspto_xml(DATA / "uspto_xml_samples/xml2014/US08930553.xml")]
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
    error: Message | None


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
        self._error: Message | None = None

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
        # expat's own words (``mismatched tag``) stay as it says them
        self._error = message("err_xml_parse", line=file_line, column=column, error=_POSITION.sub("", str(err)),
                              start=self.start_line)


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
        "doc_number": element_text(publication.find("doc-number")) if publication is not None else None,
        "kind": element_text(publication.find("kind")) if publication is not None else None,
    }
    if parsed.error is not None or parsed.root is None:
        return RowResult(row, raw, Rejection("xml", parsed.error or message("err_xml_empty")))
    try:
        outcome: PatentRecord | Rejection = patent_record(parsed.root)
    except FieldError as err:
        outcome = Rejection(err.field, err.reason)
    return RowResult(row, raw, outcome)
