"""Mapping one parsed USPTO grant or application document to a :class:`PatentRecord`.

Every FieldError names the XML path of what is wrong.

>>> patent_record(ET.fromstring(xml_text)).application_number  # doctest: +SKIP
'US13648029'
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from patentatlas.errors import FieldError
from patentatlas.i18n import joined, message
from patentatlas.importers.records import Party, PatentRecord
from patentatlas.normalize.dates import date_order_problem, parse_date
from patentatlas.normalize.ipc import canonical_ipc

# root element → its bibliographic block
BIBLIO_BLOCKS = {
    "us-patent-grant": "us-bibliographic-data-grant",
    "us-patent-application": "us-bibliographic-data-application",
}
_EDITION = re.compile(r"^\s*\d+\s*(?=[A-HY])")  # "7G06F 15/16": IPC edition 7 written in front
_COUNTRY = re.compile(r"^[A-Z]{2}$")
# elements whose text is a block of its own: a space keeps their words apart
_BLOCKS = frozenset({"p", "claim-text", "heading", "li", "br", "entry"})
_APPLICANT_PATHS = ("us-parties/us-applicants/us-applicant", "parties/applicants/applicant")
_INVENTOR_PATHS = ("us-parties/inventors/inventor", "parties/inventors/inventor")
_AGENT_PATHS = ("us-parties/agents/agent", "parties/agents/agent")
_SINGLE_RELATIONS = frozenset({"related-publication", "us-provisional-application"})

@dataclass(frozen=True, slots=True)
class _Publication:
    number: str | None
    kind: str | None
    date: dt.date | None


def patent_record(root: ET.Element) -> PatentRecord:
    """The PatentRecord of one parsed document; FieldError names the XML path of what is wrong."""
    biblio = _biblio(root)
    path = f"{root.tag}/{biblio.tag}"
    grant = root.tag == "us-patent-grant"
    application_number, filing = _application(biblio, path)
    publication = _publication(biblio, path)
    filing_date = _checked_filing_date(filing, publication.date, grant, path)
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
        title_en=element_text(biblio.find("invention-title")),
        abstract_en=element_text(root.find("abstract")),
        main_claim=element_text(root.find("claims/claim")),
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
    tag = BIBLIO_BLOCKS.get(str(root.tag))
    if tag is None:
        roots = joined(list(BIBLIO_BLOCKS), "list_or")
        raise FieldError("xml", message("err_uspto_root", tag=str(root.tag), roots=roots))
    biblio = root.find(tag)
    if biblio is None:
        raise FieldError(f"{root.tag}/{tag}", message("err_uspto_no_biblio"))
    return biblio


def _application(biblio: ET.Element, path: str) -> tuple[str, dt.date | None]:
    """``US`` + the application number as written (required), and the filing date."""
    where = f"{path}/application-reference/document-id"
    document = biblio.find("application-reference/document-id")
    number = element_text(document.find("doc-number")) if document is not None else None
    if not number:
        raise FieldError(f"{where}/doc-number", message("err_uspto_no_number"))
    raw_date = element_text(document.find("date")) if document is not None else None
    return "US" + number.replace(" ", ""), parse_date(raw_date, f"{where}/date")


def _checked_filing_date(filing: dt.date | None, published: dt.date | None, grant: bool, path: str) -> dt.date:
    """The filing date once the importers' one date check passes; FieldError naming it if not."""
    # a grant document's date is its grant date: the check names it so
    problem = date_order_problem(filing, None if grant else published, published if grant else None)
    if problem or filing is None:
        raise FieldError(f"{path}/application-reference/document-id/date",
                         problem or message("err_filing_date_missing"))
    return filing


def _publication(biblio: ET.Element, path: str) -> _Publication:
    """Country + doc-number + kind as written (``US08930553B2``), its kind and its date."""
    document = biblio.find("publication-reference/document-id")
    if document is None:
        return _Publication(None, None, None)
    number = element_text(document.find("doc-number"))
    kind = element_text(document.find("kind"))
    country = element_text(document.find("country")) or "US"
    date = parse_date(
        element_text(document.find("date")), f"{path}/publication-reference/document-id/date"
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
            value = parse_date(element_text(claim.find("date")), f"{path}/priority-claims/priority-claim")
        except FieldError as err:
            warnings.append(err.message)
            continue
        if value is not None:
            dates.append(value)
    return min(dates, default=None)


def _claim_count(root: ET.Element, biblio: ET.Element) -> int | None:
    """number-of-claims where given (grants), else the claims counted (applications)."""
    stated = element_text(biblio.find("number-of-claims"))
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
        structured.sort(key=lambda entry: element_text(entry.find("symbol-position")) != "F")
        symbols = [_structured_symbol(entry) for entry in structured]
    else:
        legacy = biblio.find("classification-ipc")
        entries = [] if legacy is None else list(legacy)
        symbols = [
            _EDITION.sub("", element_text(entry) or "")
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
    parts = [element_text(entry.find(tag)) or "" for tag in ("section", "class", "subclass")]
    group = f"{element_text(entry.find('main-group')) or ''}/{element_text(entry.find('subgroup')) or ''}"
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
        element_text(entry.find("addressbook/orgname")) for entry in _first_found(biblio, _AGENT_PATHS)
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
    place = [element_text(address.find(tag)) for tag in ("city", "state")]
    country = element_text(address.find("country"))
    valid_country = country if country and _COUNTRY.match(country) else None
    return Party(name, ", ".join(p for p in place if p) or None, valid_country)


def _name(book: ET.Element | None) -> str | None:
    """An organisation's name, or a person's ``First Last``."""
    if book is None:
        return None
    orgname = element_text(book.find("orgname"))
    if orgname:
        return orgname
    person = [element_text(book.find(tag)) for tag in ("first-name", "last-name")]
    return " ".join(p for p in person if p) or element_text(book.find("name"))


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
        number = "".join((element_text(document.find("doc-number")) or "").split()).replace("/", "")
        country = element_text(document.find("country")) or ""
        cited.append(f"{country}{number}{element_text(document.find('kind')) or ''}")
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
    number = "".join((element_text(document.find("doc-number")) or "").split())
    if not number:
        return None
    if number.startswith("PCT/"):
        return number
    kind = element_text(document.find("kind")) or ""
    country = element_text(document.find("country")) or ""
    return f"{country}{number}{kind if kind[:1].isalpha() else ''}"


def _extra(
    root: ET.Element, biblio: ET.Element, references: ET.Element | None, warnings: list[str]
) -> dict[str, Any]:
    """Source fields with no column: Locarno and US classes, NPL count, appl-type, warnings."""
    reference = biblio.find("application-reference")
    found = {
        "appl_type": reference.get("appl-type") if reference is not None else None,
        "locarno": element_text(biblio.find("classification-locarno/main-classification")),
        "us_class": element_text(biblio.find("classification-national/main-classification")),
    }
    extra: dict[str, Any] = {name: value for name, value in found.items() if value}
    if references is not None or root.tag == "us-patent-grant":
        npl = references.findall(".//nplcit") if references is not None else []
        extra["npl_citation_count"] = len(npl)
    if warnings:
        extra["warnings"] = warnings
    return extra


# --- text ------------------------------------------------------------------------------------


def element_text(element: ET.Element | None) -> str | None:
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
