"""The USPTO XML importer on real grant, application and design files, and on bulk files built
from them: exact values a user would check against the published documents."""

from __future__ import annotations

import datetime as dt
import tracemalloc
from pathlib import Path

import pytest

from patentatlas.errors import EmptyFileError, InputFileError
from patentatlas.importers.records import Party, PatentRecord, Rejection
from patentatlas.importers.uspto import looks_like_uspto, read_uspto_xml

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SAMPLES = DATA / "uspto_xml_samples"
DESIGNS = DATA / "us_design_patents_impact_sample" / "sample"
GRANT_2014 = SAMPLES / "xml2014" / "US08930553.xml"
GRANT_2004 = SAMPLES / "xml2004" / "US06859910.xml"
APPLICATION_2004 = SAMPLES / "xmlApp2004" / "US20050004437A1.xml"
DESIGN = DESIGNS / "USD0907292-20210105" / "USD0907292-20210105.XML"
SMALL_DESIGN = DESIGNS / "USD0910059-20210209" / "USD0910059-20210209.XML"  # 9.5 kB
SUPPORTED = sorted(
    [*SAMPLES.glob("xml2004/*.xml"), *SAMPLES.glob("xml2006/*.xml")]
    + [*SAMPLES.glob("xml2014/*.xml"), *SAMPLES.glob("xmlApp2004/*.xml")]
)
DESIGN_FILES = sorted(DESIGNS.glob("*/*.XML"))


def only_record(path: Path) -> PatentRecord:
    (row,) = list(read_uspto_xml(path))
    assert isinstance(row.outcome, PatentRecord), row.outcome
    return row.outcome


def outcomes(path: Path) -> list[PatentRecord | Rejection]:
    return [row.outcome for row in read_uspto_xml(path)]


# --- detection -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [GRANT_2014, GRANT_2004, APPLICATION_2004, DESIGN])
def test_supported_files_are_recognised(path: Path) -> None:
    assert looks_like_uspto(path.read_bytes()[:4096])


@pytest.mark.parametrize(
    "path",
    [
        *sorted(SAMPLES.glob("pap/*.xml")),
        *sorted(SAMPLES.glob("sgml/*.xml")),
        *sorted(SAMPLES.glob("greenbook/*")),
        SAMPLES / "css_brs" / "css_brs_sample.txt",
        SAMPLES / "cpcMaster" / "cpcMaster.xml",
        SAMPLES / "cpcScheme" / "cpc-scheme-A01L.xml",
        SAMPLES / "xml4ip" / "sample_XML4IP.ZIP",
    ],
    ids=lambda path: path.name,
)
def test_older_formats_and_other_files_are_not_claimed(path: Path) -> None:
    assert not looks_like_uspto(path.read_bytes()[:4096])


def test_detection_needs_the_declaration_and_ignores_commented_doctypes() -> None:
    assert not looks_like_uspto(b"")
    assert not looks_like_uspto(b'<us-patent-grant lang="EN">')
    commented = b'<?xml version="1.0"?>\n<!-- <!DOCTYPE us-patent-grant> -->\n<PATDOC>'
    assert not looks_like_uspto(commented)


# --- exact values from the real documents ----------------------------------------------------


def test_2014_grant() -> None:
    record = only_record(GRANT_2014)
    assert record.application_number == "US13648029"
    assert record.country == "US"
    assert record.patent_type == "invention"
    assert record.filing_date == dt.date(2012, 10, 9)
    assert record.publication_number == "US08930553B2"
    assert record.publication_kind == "B"
    assert record.publication_date == record.grant_date == dt.date(2015, 1, 6)
    assert record.priority_date is None
    assert record.title_en == "Managing mid-dialog session initiation protocol (SIP) messages"
    assert record.abstract_en is not None
    assert record.abstract_en.startswith("Processing mid-dialog SIP messages by receiving")
    assert record.main_claim is not None
    assert record.main_claim.startswith(
        "1. A system for processing mid-dialog SIP messages, the system comprising: "
        "an incoming message hardware processor configured to receive"
    )
    assert record.ipc_main == "G06F15/16"
    assert record.ipc_codes == ("G06F15/16",)
    assert record.claim_count == 8
    # 21 us-citations: 16 patent documents and 5 non-patent
    assert record.backward_citation_count == 16
    assert record.extra["npl_citation_count"] == 5
    assert record.cited_publications[:4] == (
        "US7844851B2",
        "US7995466B2",
        "US8078737B2",
        "US20070140112A1",  # written "2007/0140112"
    )
    assert record.applicants == (
        Party("International Business Machines Corporation", "Armonk, NY", "US"),
    )
    assert record.inventors == ("Nitzan Nissim", "Brian Pulito", "Asaf Zinger")
    assert record.agencies == ("Cuenot, Forsythe & Kim, LLC",)
    assert record.family_members == ("US20140101323A1",)
    assert record.extra["us_class"] == "709228"
    assert record.status is None and record.status_text is None


def test_2014_grant_with_cpc_and_foreign_priority() -> None:
    record = only_record(SAMPLES / "xml2014" / "US08927118.xml")
    assert record.application_number == "US13349377"
    assert record.priority_date == dt.date(2008, 6, 5)
    assert record.ipc_main == "H05B33/14"
    assert record.cpc_codes[:3] == ("C07D493/04", "C07D487/04", "C07D519/00")
    assert record.applicants[0] == Party("Idemitsu Kosan Co., Ltd.", "Tokyo", "JP")
    assert record.backward_citation_count == 76
    assert record.extra["npl_citation_count"] == 28


def test_2004_grant() -> None:
    record = only_record(GRANT_2004)
    assert record.application_number == "US09832323"
    assert record.filing_date == dt.date(2001, 4, 10)
    assert record.publication_number == "US06859910B2"
    assert record.grant_date == dt.date(2005, 2, 22)
    assert record.title_en == "Methods and systems for transactional tunneling"
    # classification-ipc, edition 7: G06F015/00 main, three further
    assert record.ipc_main == "G06F15/00"
    assert record.ipc_codes == ("G06F15/00", "G06F17/00", "G06F17/21", "G06F17/24")
    assert record.claim_count == 2
    assert record.backward_citation_count == 8
    assert record.cited_publications[0] == "US5793966A"
    # a v4.0 assignee without an address book: its name, nothing else
    assert record.applicants == (Party("Bluestreak.com"),)
    # v4.0 has no inventors block: inventors are the applicant-inventors
    assert record.inventors == ("John Charles Croy",)
    assert record.agencies == ("Foley Hoag LLP",)
    assert record.family_members == ("US60195933", "US20010037361A1")


def test_2004_application() -> None:
    record = only_record(APPLICATION_2004)
    assert record.application_number == "US10830857"
    assert record.patent_type == "invention"
    assert record.filing_date == dt.date(2004, 4, 23)
    assert record.publication_number == "US20050004437A1"
    assert record.publication_kind == "A"
    assert record.publication_date == dt.date(2005, 1, 6)
    assert record.grant_date is None
    assert record.priority_date == dt.date(2001, 10, 26)  # Swiss application 1974/01
    assert record.title_en == (
        "Simulation device for playful evaluation and display of blood sugar levels"
    )
    assert record.ipc_main == "A61B5/00"
    assert record.claim_count == 10  # no number-of-claims in applications: claims counted
    assert record.backward_citation_count is None  # applications list no citations
    assert "npl_citation_count" not in record.extra
    assert record.applicants == (
        Party("Heiner Kaufmann", "Bern", "CH"),
        Party("Thomas Vering", "Bremgarten b. Bern", "CH"),
    )
    assert record.inventors == ("Heiner Kaufmann", "Thomas Vering")


def test_design_grant() -> None:
    record = only_record(DESIGN)
    assert record.application_number == "US29680800"
    assert record.patent_type == "design"
    assert record.filing_date == dt.date(2019, 2, 20)
    assert record.publication_number == "USD0907292S1"
    assert record.publication_kind == "S"
    assert record.grant_date == dt.date(2021, 1, 5)
    assert record.priority_date == dt.date(2013, 9, 25)  # EP 13185994
    assert record.title_en == "Shaving blade cartridge"
    assert record.abstract_en is None
    assert record.main_claim == (
        "The ornamental design for a shaving blade cartridge, as shown and described."
    )
    assert record.claim_count == 1
    assert record.ipc_codes == ()
    assert record.extra["locarno"] == "2803"
    assert record.extra["us_class"] == "D28 47"
    assert record.extra["appl_type"] == "design"
    assert record.applicants == (Party("BIC-VIOLEX SA", "Anixa", "GR"),)
    assert record.inventors == ("Dimitrios Efthimiadis", "Georgios Georgakis")
    assert record.backward_citation_count == 63
    assert record.cited_publications[:2] == ("US4621424A", "US5063667A")
    assert "USD845543" in record.family_members  # the parent's grant


def test_every_sample_grant_and_application_imports_without_rejection() -> None:
    assert len(SUPPORTED) == 8
    for path in SUPPORTED:
        record = only_record(path)
        assert record.application_number.startswith("US"), path
        assert record.ipc_main is not None, path
        assert "warnings" not in record.extra, (path, record.extra)


def test_all_50_design_patents_import_as_designs() -> None:
    assert len(DESIGN_FILES) == 50
    for path in DESIGN_FILES:
        record = only_record(path)
        assert record.patent_type == "design", path
        assert record.publication_kind == "S", path
        assert record.extra["locarno"].isdigit(), path
        assert record.applicants and record.inventors, path
        assert "warnings" not in record.extra, (path, record.extra)


# --- bulk files: many documents, some broken -------------------------------------------------


def test_concatenated_documents_each_become_a_row(tmp_path: Path) -> None:
    first = GRANT_2014.read_bytes()
    bulk = tmp_path / "ipg.xml"
    bulk.write_bytes(first + DESIGN.read_bytes())
    rows = list(read_uspto_xml(bulk))
    assert [row.row for row in rows] == [1, 2]
    second_line = first.count(b"\n") + 1
    assert [row.raw for row in rows] == [
        {"line": 1, "doc_number": "08930553", "kind": "B2"},
        {"line": second_line, "doc_number": "D0907292", "kind": "S1"},
    ]
    numbers = [getattr(row.outcome, "application_number", None) for row in rows]
    assert numbers == ["US13648029", "US29680800"]


def test_documents_glued_on_one_line_are_still_split(tmp_path: Path) -> None:
    document = GRANT_2014.read_bytes()
    bulk = tmp_path / "glued.xml"
    bulk.write_bytes(document.rstrip() + document)
    assert [type(o) for o in outcomes(bulk)] == [PatentRecord, PatentRecord]


def test_documents_each_opening_with_a_byte_order_mark(tmp_path: Path) -> None:
    bom = b"\xef\xbb\xbf"
    document = DESIGN.read_bytes()
    bulk = tmp_path / "boms.xml"
    bulk.write_bytes(bom + document + bom + document.rstrip() + bom + document)
    assert [type(o) for o in outcomes(bulk)] == [PatentRecord] * 3
    assert looks_like_uspto(bulk.read_bytes()[:4096])


def test_truncated_last_document_is_rejected_with_its_line(tmp_path: Path) -> None:
    first, second = GRANT_2014.read_bytes(), DESIGN.read_bytes()
    half = second[: len(second) // 2]
    bulk = tmp_path / "truncated.xml"
    bulk.write_bytes(first + half)
    rows = list(read_uspto_xml(bulk))
    assert isinstance(rows[0].outcome, PatentRecord)
    rejection = rows[1].outcome
    assert isinstance(rejection, Rejection)
    assert rejection.field == "xml"
    last_line = (first + half).count(b"\n") + 1
    start = first.count(b"\n") + 1
    assert rejection.reason.startswith(f"line {last_line}, column ")
    assert "XML parse error" in rejection.reason
    assert f"document starting at line {start}" in rejection.reason
    assert rows[1].raw["doc_number"] == "D0907292"  # read before the cut


def test_malformed_document_does_not_stop_the_file(tmp_path: Path) -> None:
    good = DESIGN.read_bytes()
    broken = GRANT_2014.read_bytes().replace(b"</invention-title>", b"</invention-titl>", 1)
    bulk = tmp_path / "broken.xml"
    bulk.write_bytes(good + broken + b"\n\n" + good)
    results = outcomes(bulk)
    assert [type(o) for o in results] == [PatentRecord, Rejection, PatentRecord]
    rejection = results[1]
    assert isinstance(rejection, Rejection)
    bad_line = (good + broken).split(b"</invention-titl>")[0].count(b"\n") + 1
    assert rejection.reason.startswith(f"line {bad_line}, column ")
    assert "mismatched tag" in rejection.reason


def test_missing_application_number_and_filing_date_name_the_xml_path(tmp_path: Path) -> None:
    document = GRANT_2014.read_bytes()
    no_number = document.replace(b"<doc-number>13648029</doc-number>", b"")
    no_date = document.replace(b"<date>20121009</date>", b"")
    bulk = tmp_path / "incomplete.xml"
    bulk.write_bytes(no_number + no_date)
    first, second = outcomes(bulk)
    path = "us-patent-grant/us-bibliographic-data-grant/application-reference/document-id"
    assert first == Rejection(f"{path}/doc-number", "no application number: cannot identify it")
    assert second == Rejection(f"{path}/date", "filing date is missing")


def test_entities_from_the_dtd_do_not_break_the_parse(tmp_path: Path) -> None:
    document = GRANT_2014.read_bytes().replace(
        b">Managing mid-dialog", b">&lsquo;Managing&rsquo; &mdash; &madeup; &amp; mid-dialog"
    )
    path = tmp_path / "entities.xml"
    path.write_bytes(document)
    record = only_record(path)
    assert record.title_en == (
        "\u2018Managing\u2019 \u2014 &madeup; & mid-dialog session initiation protocol (SIP) "
        "messages"
    )


def test_ipc_edition_written_in_front_is_stripped(tmp_path: Path) -> None:
    document = GRANT_2004.read_bytes().replace(
        b"<main-classification>G06F015/00</main-classification>",
        b"<main-classification>7G06F 15/00</main-classification>",
    )
    path = tmp_path / "edition.xml"
    path.write_bytes(document)
    assert only_record(path).ipc_main == "G06F15/00"


def test_unreadable_or_empty_file_raises(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="cannot open it"):
        list(read_uspto_xml(tmp_path / "missing.xml"))
    empty = tmp_path / "empty.xml"
    empty.write_bytes(b"\n\n")
    with pytest.raises(EmptyFileError, match="empty"):
        list(read_uspto_xml(empty))


def test_a_file_in_another_format_is_one_rejection_not_a_crash() -> None:
    greenbook = SAMPLES / "greenbook" / "US03937375.greenbook"
    (result,) = outcomes(greenbook)
    assert isinstance(result, Rejection) and result.field == "xml"


# --- memory: streaming, whatever the file size -----------------------------------------------


def write_bulk_file(path: Path, copies: int) -> int:
    """``copies`` copies of one real design grant, each with its own numbers; returns the size."""
    document = SMALL_DESIGN.read_bytes()
    application = b"<doc-number>29665658</doc-number>"
    publication = b"<doc-number>D0910059</doc-number>"
    assert application in document and publication in document
    with path.open("wb") as out:
        for index in range(copies):
            numbered = document.replace(application, b"<doc-number>%08d</doc-number>" % index)
            out.write(numbered.replace(publication, b"<doc-number>D%07d</doc-number>" % index))
    return path.stat().st_size


def peak_traced_bytes(path: Path) -> tuple[list[str], int]:
    """The documents' numbers (rows are not kept) and the peak memory traced reading them."""
    tracemalloc.start()
    try:
        seen = [row.raw["doc_number"] for row in read_uspto_xml(path)]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return seen, peak


def test_bulk_file_streams_in_constant_memory(tmp_path: Path) -> None:
    bulk = tmp_path / "ipg_bulk.xml"
    size = write_bulk_file(bulk, 2000)
    seen, peak = peak_traced_bytes(bulk)
    assert len(seen) == 2000
    assert seen[:2] == ["D0000000", "D0000001"] and seen[-1] == "D0001999"
    assert size > 18_000_000
    assert peak < size / 20, f"peak {peak:,} bytes for a {size:,}-byte file"


def test_a_huge_description_is_not_kept(tmp_path: Path) -> None:
    head, tail = GRANT_2014.read_bytes().split(b'<description id="description">', 1)
    paragraph = b'<p id="p-0001" num="0001">' + b"Lorem ipsum dolor sit amet. " * 10 + b"</p>\n"
    path = tmp_path / "long.xml"
    path.write_bytes(head + b'<description id="description">\n' + paragraph * 40_000 + tail)
    seen, peak = peak_traced_bytes(path)
    assert seen == ["08930553"]
    assert path.stat().st_size > 12_000_000
    assert peak < 2_000_000, f"peak {peak:,} bytes"
