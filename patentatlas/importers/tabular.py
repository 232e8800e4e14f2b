"""Reading CSV and XLSX tables as streams of rows, whatever their encoding.

Chinese exports come as UTF-8, UTF-8 with a BOM, GBK/GB18030 or UTF-16, and sometimes a GBK
line inside a UTF-8 file; workbooks may have several sheets. Rows are numbered as a person
finds them in a spreadsheet: the header is row 1 (after any blank rows above it).

Files cannot attack the importer: a workbook (a zip) whose parts unpack past ``xlsx_max_mb`` or
compress more than ``xlsx_max_ratio`` times is refused before it is read (a zip bomb); a cell
larger than ``max_cell_kb`` puts its row in quarantine (the cell cut short), and a CSV line past
64 such cells refuses the file — each with a message naming the file.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import re
import sys
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from patentatlas.config import setting
from patentatlas.errors import EmptyFileError, InputFileError
from patentatlas.i18n import Message, message
from patentatlas.normalize.names import clean_text

# the csv module's own limit is process-wide: kept out of the way; each table checks its cells
# against max_cell_kb itself, and its lines against 64 such cells (_Budget)
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
_HEAD_BYTES = 256 * 1024
_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+")  # a line as the csv module ends it
_LONE_CR = re.compile(r"\r(?!\n)")
_KEPT_OF_BIG_CELL = 200  # characters of an oversized cell kept for the quarantine's record
_BIG_PART = 1 << 20  # parts this small may compress any amount (XML boilerplate)
_LINE_CELLS = 64  # a CSV line may be as long as this many of the largest cells


def max_cell_chars() -> int:
    """The largest cell an import reads whole, in characters (setting ``max_cell_kb``)."""
    return _positive_setting("max_cell_kb") * 1024


def _positive_setting(name: str) -> int:
    text = setting(name).strip()
    if not text.isdigit() or int(text) == 0:
        raise InputFileError(f"PATENTATLAS_{name.upper()}", f"must be a positive whole number, got {text!r}")
    return int(text)


@dataclass
class TableRow:
    """One data row: its spreadsheet row number, its cells, and a problem if it has one."""

    row: int
    cells: list[Any]
    problem: Message | None = None  # why the row goes to quarantine as a whole


@dataclass
class ColumnRows:
    """Data rows read column by column (the plain-CSV path): their row numbers and the cells as
    read (kept for a rejected row's record). A column is handed out trimmed of the whitespace
    around its cells (Arrow text), and said to hold a spreadsheet artefact (``_x000D_``: to be
    cleaned cell by cell) or not; both only for the columns asked for (an export's columns no
    field reads cost nothing)."""

    numbers: range
    source: pa.Table

    def __post_init__(self) -> None:
        self._trimmed: dict[int, pa.Array] = {}

    def __len__(self) -> int:
        return len(self.numbers)

    def column(self, index: int) -> pa.Array:
        """The ``index``-th column's cells, trimmed."""
        trimmed = self._trimmed.get(index)
        if trimmed is None:
            trimmed = self._trimmed[index] = pc.utf8_trim_whitespace(self.source.column(index).combine_chunks())
        return trimmed

    def has_artefact(self, index: int) -> bool:
        """Whether a cell of the ``index``-th column may hold a spreadsheet artefact."""
        return _holds(self.column(index), _ARTEFACT)

    def cells(self, index: int) -> list[str]:
        """The cells of the ``index``-th row of these, as read."""
        return [column[index].as_py() for column in self.source.columns]


@dataclass
class Table:
    """A header and its rows (one per sheet in a workbook).

    ``column_rows``, where the table has it (a CSV), gives the same rows in batches of columns,
    read at C speed while the file is plain, and row by row (as ``rows``) from where it is not.
    """

    path: Path
    sheet: str | None
    header_row: int
    headers: list[str]
    rows: Iterator[TableRow]
    text_only: bool = True  # every cell a str (CSV); a workbook also gives dates and numbers
    column_rows: Callable[[int], Iterator[ColumnRows | TableRow]] | None = None


def iter_tables(path: Path) -> Iterator[Table]:
    """Every table in a file: one for a CSV, one per non-empty sheet of a workbook."""
    if path.suffix.lower() in EXCEL_SUFFIXES:
        yield from _excel_tables(path)
    else:
        yield _csv_table(path)


def unique_headers(headers: list[str]) -> list[str]:
    """Repeated header names get ``.1``, ``.2`` … (as Patentics's 申请日 columns), so no cell is lost.

    >>> unique_headers(["申请日", "申请日", "标题"])
    ['申请日', '申请日.1', '标题']
    """
    seen: dict[str, int] = {}
    out = []
    for header in headers:
        count = seen.get(header, 0)
        seen[header] = count + 1
        out.append(f"{header}.{count}" if count else header)
    return out


# what an undecodable line says beyond its number (the English of the message err_row_undecodable):
# which encodings are read, and what to do
UNDECODABLE_HINT = (": not valid in the file's encoding (UTF-8, GB18030, UTF-16 and UTF-32 are read; a file saved as "
                    "Windows-1252 or Latin-1 must be saved again as UTF-8)")


def detect_encoding(head: bytes) -> str:
    """The encoding of a file from its first bytes: BOMs first, then UTF-8, else GB18030 (unless
    most lines that hold non-ASCII bytes are UTF-8: a UTF-8 file with a few GBK lines).

    >>> detect_encoding("申请号".encode("gbk"))
    'gb18030'
    """
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):  # before UTF-16: FF FE 00 00 starts both
        return "utf-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    without_bom = _utf32_without_bom(head) or _utf16_without_bom(head)
    if without_bom:
        return without_bom
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=False)
    except UnicodeDecodeError:
        return "utf-8" if _mostly_utf8(head) else "gb18030"
    return "utf-8"


def _utf32_without_bom(head: bytes) -> str | None:
    """UTF-32 written without a BOM: three zero bytes beside every character of the BMP's first
    plane (ASCII, and CJK's 00 00 xx xx in big-endian).

    >>> _utf32_without_bom("申请号,1".encode("utf-32-be")), _utf32_without_bom("a,b".encode("utf-16-le"))
    ('utf-32-be', None)
    """
    if len(head) < 8:
        return None
    usable = head[: len(head) - len(head) % 4]
    if all(b == 0 for b in usable[0::4]) and all(b == 0 for b in usable[1::4]):
        return "utf-32-be"
    if all(b == 0 for b in usable[3::4]) and all(b == 0 for b in usable[2::4]):
        return "utf-32-le"
    return None


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 written without a BOM: every ASCII character (commas, digits, line ends) has a zero
    byte beside it, on the odd bytes in little-endian and the even ones in big-endian.

    >>> _utf16_without_bom("申请号,申请日,1".encode("utf-16-le")), _utf16_without_bom("a,b".encode("utf-8"))
    ('utf-16-le', None)
    """
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if even + odd < max(2, len(head) // 10):
        return None
    if odd >= 9 * even:
        return "utf-16-le"
    return "utf-16-be" if even >= 9 * odd else None


def _mostly_utf8(head: bytes) -> bool:
    """Whether most complete lines with non-ASCII bytes decode as UTF-8. GB18030 decodes many UTF-8
    lines without error, into nonsense, so a mostly-UTF-8 file must not be read as GB18030."""
    utf8 = other = 0
    for line in head.splitlines()[:-1]:  # the last line may be cut off
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8 += 1
        except UnicodeDecodeError:
            other += 1
    return utf8 > other


def _decoded_lines(path: Path, encoding: str, bad_lines: set[int]) -> Iterator[str]:
    """Lines as text; a line that fails the file's encoding is tried in the other one, and one
    that fails both is decoded with replacement characters and remembered in ``bad_lines``.

    Reads 1 MiB blocks and decodes a block at once when it can (the common case); only a block
    that does not decode is taken line by line.
    """
    if encoding.startswith(("utf-16", "utf-32")):
        # undecodable code units become U+FFFD: their line is marked bad (so is a line that held
        # U+FFFD already, the mark of an earlier conversion that lost data)
        with path.open(encoding=encoding, errors="replace", newline="") as fh:
            longest = _LINE_CELLS * max_cell_chars()
            for number, line in enumerate(iter(lambda: fh.readline(longest + 1), ""), start=1):
                if len(line) > longest:
                    raise _long_line(path, longest)
                if "\ufffd" in line:
                    bad_lines.add(number)
                yield line.replace("\x00", "")
        return
    primary = "utf-8" if encoding.startswith("utf-8") else "gb18030"
    number = 0  # lines yielded so far
    for block in _line_blocks(path):
        try:
            text = block.decode(primary)
        except UnicodeDecodeError:
            for raw in block.splitlines(keepends=True):
                number += 1
                yield _decode_line(raw, primary, number, bad_lines)
            continue
        if "\x00" in text:
            text = text.replace("\x00", "")
        lines = _split_lines(text)
        number += len(lines)
        yield from lines


def _split_lines(text: str) -> list[str]:
    """Lines with their ends, split where the csv module ends a line: ``\\n``, ``\\r\\n`` or a
    lone ``\\r`` (old Mac files, a stray carriage return) alike."""
    if "\r" in text and _LONE_CR.search(text):
        return _LINE.findall(text)
    lines = text.split("\n")
    last = lines.pop()
    lines = [line + "\n" for line in lines]
    if last:
        lines.append(last)
    return lines


def _line_blocks(path: Path) -> Iterator[bytes]:
    """The file in blocks of about 1 MiB that end at a line end (BOM removed); a line longer than
    the line limit refuses the file (no line end in gigabytes must not fill the memory)."""
    longest = _LINE_CELLS * max_cell_chars()  # characters: up to 4 bytes each
    with path.open("rb") as fh:
        rest = fh.read(len(codecs.BOM_UTF8))
        if rest == codecs.BOM_UTF8:
            rest = b""
        while True:
            block = fh.read(1 << 20)
            if not block:
                if rest:
                    yield rest
                return
            block = rest + block
            # after the last line end: a \n, or a lone \r (never the block's last byte, which may
            # be the first half of \r\n)
            cut = block.rfind(b"\n") + 1 or block.rfind(b"\r", 0, len(block) - 1) + 1
            if cut == 0:
                if len(block) > 4 * longest:
                    raise _long_line(path, longest)
                rest = block
                continue
            rest = block[cut:]
            yield block[:cut]


def _long_line(path: Path, longest: int) -> InputFileError:
    return InputFileError(str(path), f"a row is longer than {longest:,} characters (64 cells of the setting "
                                     "max_cell_kb), which no table export writes: refused")


def _decode_line(raw: bytes, primary: str, number: int, bad_lines: set[int]) -> str:
    other = "gb18030" if primary == "utf-8" else "utf-8"
    try:
        line = raw.decode(primary)
    except UnicodeDecodeError:
        try:
            line = raw.decode(other)
        except UnicodeDecodeError:
            bad_lines.add(number)
            line = raw.decode(primary, errors="replace")
    return line.replace("\x00", "")


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_table(path: Path) -> Table:
    try:
        with path.open("rb") as fh:
            head = fh.read(_HEAD_BYTES)
    except OSError as exc:
        raise InputFileError(str(path), f"cannot be read ({exc.strerror})") from None
    if not head.strip(b"\r\n\t ,;\xef\xbb\xbf"):
        raise EmptyFileError(str(path), "the file is empty: no header row and no data")
    encoding = detect_encoding(head)
    bad_lines: set[int] = set()
    lines = _decoded_lines(path, encoding, bad_lines)
    first, blank_above = "", 0
    for first in lines:
        if first.strip():
            break
        blank_above += 1
    delimiter = _sniff_delimiter(first)
    budget = _Budget(path, _LINE_CELLS * max_cell_chars())
    reader = csv.reader(budget.lines(_prepend(first, lines)), delimiter=delimiter)
    try:
        header = next(reader, [])
    except csv.Error as exc:
        raise InputFileError(str(path), f"the header row is not readable CSV ({exc})") from None
    if any(len(h) > max_cell_chars() for h in header):
        raise InputFileError(str(path), f"a header cell is longer than {max_cell_chars() // 1024} KB "
                                        "(setting max_cell_kb): not a header row")
    headers = unique_headers([clean_text(h) for h in header])
    plain = encoding.startswith("utf-8") and blank_above == 0 and reader.line_num == 1
    return Table(path, None, 1, headers, _csv_rows(reader, len(headers), bad_lines, blank_above, budget),
                 column_rows=(lambda size: _column_rows(path, delimiter, len(headers), size)) if plain else None)


class _NotPlain(Exception):
    """The rest of the file needs the careful row-by-row reader."""


def _column_rows(path: Path, delimiter: str, width: int, size: int) -> Iterator[ColumnRows | TableRow]:
    """The data rows in batches of ``size``, parsed by Arrow's CSV reader while the file is plain
    UTF-8 of ``width`` cells a row with no cell over the limit; from the first batch that is not,
    the rows are read again by :func:`_csv_rows` (numbered the same way: blank rows skipped),
    so a file gets the same rows and messages either way."""
    handed = 0
    try:
        for batch in _plain_batches(path, delimiter, width, size):
            yield batch
            handed += len(batch)
    except (_NotPlain, pa.ArrowException):
        for row in _csv_table(path).rows:
            if row.row > handed + 1:  # the header is row 1
                yield row


# A plain CSV's first chunk is a quarter of the size asked (the store starts writing sooner: 5,000
# rows came 0.4 s before 20,000), each next one four times the last, up to this many times the
# size asked or this many bytes of cells: each chunk costs the store fixed work (a look-up of its
# keys among the stored ones), and the columns' distinct cells are parsed once per chunk. (Growing
# fourfold, the store waits less for the early chunks, whose cells are mostly new: 0.26 s less of
# 7 s over four runs than jumping from the first to the largest.)
CHUNK_GROWTH = 4
LATER_CHUNKS = 5
COLUMN_CHUNK_BYTES = 48 << 20


def _plain_batches(path: Path, delimiter: str, width: int, size: int) -> Iterator[ColumnRows]:
    """The rows in chunks of columns while the file is plain; a row of another width (or bytes
    that are not UTF-8) is Arrow's error, which hands the rest to the careful reader."""
    names = [f"c{i}" for i in range(width)]
    reader = pa_csv.open_csv(
        path,
        read_options=pa_csv.ReadOptions(skip_rows=1, column_names=names, block_size=4 << 20),
        parse_options=pa_csv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
        convert_options=pa_csv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()),
                                              strings_can_be_null=False, quoted_strings_can_be_null=False),
    )
    limit, number = max_cell_chars(), 2
    pending: list[pa.RecordBatch] = []
    count = held = 0
    target = max(1, size // CHUNK_GROWTH)
    for batch in reader:
        batch = _plain(batch, limit)
        pending.append(batch)
        count, held = count + batch.num_rows, held + batch.nbytes
        while count >= target or (count and held >= COLUMN_CHUNK_BYTES):
            table = pa.Table.from_batches(pending)  # no copy: a column is made whole only if a field reads it
            taken = min(count, target)
            yield _to_column_rows(table.slice(0, taken), number)
            number += taken
            pending, count = table.slice(taken).to_batches(), count - taken
            held = held * count // (count + taken)
            target = min(target * CHUNK_GROWTH, size * LATER_CHUNKS)
    if count:
        yield _to_column_rows(pa.Table.from_batches(pending), number)


def _plain(batch: pa.RecordBatch, limit: int) -> pa.RecordBatch:
    """The batch without its blank rows (only spaces and delimiters: no row, as in the csv path);
    a NUL or a cell over ``limit`` characters is for the careful reader."""
    for column in batch.columns:
        # bytes first (no decoding): a cell of at most ``limit`` bytes has at most as many characters
        if (pc.max(pc.binary_length(column)).as_py() or 0) > limit and \
                (pc.max(pc.utf8_length(column)).as_py() or 0) > limit:
            raise _NotPlain
        if _holds(column, _NUL):
            raise _NotPlain
    if not batch.num_columns:
        return batch
    # a blank row's first cell is blank: only if some first cell is, are the others looked at
    maybe = pc.equal(pc.utf8_trim_whitespace(batch.column(0)), "")
    if not pc.any(maybe).as_py():
        return batch
    filled = pc.invert(maybe)
    for column in batch.columns[1:]:
        filled = pc.or_(filled, pc.not_equal(pc.utf8_trim_whitespace(column), ""))
    return batch.filter(filled)


_NUL, _ARTEFACT = re.compile(b"\x00"), re.compile(b"_x")


def _holds(column: pa.Array, needle: re.Pattern[bytes]) -> bool:
    """Whether any cell of a text column may hold ``needle``: a search of the column's bytes where
    they lie (a sliced column's buffer may hold more than its cells: a "yes" may be wrong, a "no"
    never is)."""
    data = column.buffers()[2]
    return data is not None and needle.search(memoryview(data)) is not None


def _to_column_rows(table: pa.Table, first: int) -> ColumnRows:
    return ColumnRows(range(first, first + table.num_rows), table)


class _Budget:
    """The characters one CSV row may take (a quoted cell can span any number of lines): past
    ``limit`` since the last row ended, the file is refused before memory fills."""

    def __init__(self, path: Path, limit: int) -> None:
        self.path, self.limit, self.spent = path, limit, 0

    def lines(self, lines: Iterator[str]) -> Iterator[str]:
        for line in lines:
            self.spent += len(line)
            if self.spent > self.limit:
                raise _long_line(self.path, self.limit)
            yield line


def _prepend(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def _csv_rows(reader: Any, width: int, bad_lines: set[int], blank_above: int,
              budget: _Budget) -> Iterator[TableRow]:
    """The data rows; ``blank_above`` blank lines before the header are not in ``reader.line_num``
    but are in the file's line numbers (those of ``bad_lines`` and of messages)."""
    number, limit = 1, max_cell_chars()
    last_line = reader.line_num + blank_above
    while True:
        budget.spent = 0
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            number += 1
            last_line = reader.line_num + blank_above
            yield TableRow(number, [], message("err_csv_syntax", line=last_line, error=str(exc)))
            continue
        first_line, last_line = last_line + 1, reader.line_num + blank_above
        if not any(cells) or (not cells[0].strip() and not any(map(str.strip, cells))):
            continue  # blank lines (and lines of only spaces and delimiters) are not rows
        number += 1
        problem = None
        if len(cells) != width or bad_lines:
            problem = _row_problem(cells, width, range(first_line, last_line + 1), bad_lines)
        yield TableRow(number, cells, _big_cells(cells, limit) or problem)


def _row_problem(cells: list[str], width: int, span: range, bad_lines: set[int]) -> Message | None:
    if bad_lines and any(line in bad_lines for line in span):
        return message("err_row_undecodable", line=min(line for line in span if line in bad_lines))
    if len(cells) > width and any(c.strip() for c in cells[width:]):
        return message("err_row_cells", cells=len(cells), width=width)
    if len(cells) < width:
        return message("err_row_cells", cells=len(cells), width=width)
    return None


def _excel_tables(path: Path) -> Iterator[Table]:
    from openpyxl import load_workbook  # imported here: only workbooks need it

    check_workbook(path)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken zip or XML
        raise InputFileError(str(path), f"is not a readable XLSX workbook ({exc})") from None
    try:
        found = False
        for sheet in book.worksheets:
            rows = _sheet_rows(path, sheet)
            for number, values in rows:
                if sum(1 for v in values if v not in (None, "")) >= 2:
                    headers = unique_headers([clean_text(str(v)) if v is not None else "" for v in values])
                    found = True
                    yield Table(path, sheet.title, number, headers, _excel_rows(rows, len(headers)), False)
                    break
        if not found:
            raise EmptyFileError(str(path), "no sheet of the workbook has a header row")
    finally:
        book.close()


def check_workbook(path: Path) -> None:
    """Refuse a zip bomb before anything is unpacked: the parts' declared sizes (the zip reader
    never gives more than those) must stay under ``xlsx_max_mb`` in all, and no large part may
    compress more than ``xlsx_max_ratio`` times."""
    limit_mb, ratio = _positive_setting("xlsx_max_mb"), _positive_setting("xlsx_max_ratio")
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputFileError(str(path), f"is not a readable XLSX workbook ({exc})") from None
    total = sum(p.file_size for p in parts)
    if total > limit_mb << 20:
        raise InputFileError(str(path), f"unpacks to {total / (1 << 20):,.0f} MB, over the limit of {limit_mb} MB "
                                        "(setting xlsx_max_mb): refused before reading it")
    for part in parts:
        if part.file_size > _BIG_PART and part.file_size > ratio * max(part.compress_size, 1):
            factor = part.file_size / max(part.compress_size, 1)
            raise InputFileError(str(path), f"its part {part.filename} unpacks {factor:,.0f} times larger, over the "
                                            f"limit of {ratio} (setting xlsx_max_ratio; a zip bomb?): refused "
                                            "before reading it")


def _sheet_rows(path: Path, sheet: Any) -> Iterator[tuple[int, list[Any]]]:
    """(row number, values) of every row the sheet's XML holds, in file order. openpyxl's own
    reader drops a row whose number repeats and stops at the sheet's declared dimension; this
    reads what is there. A damaged sheet is one error naming the file, the sheet and the row."""
    from openpyxl.worksheet._reader import WorkSheetParser  # openpyxl's parser, without its row filter

    book, number = sheet.parent, 0
    try:
        with sheet._get_source() as source:
            parser = WorkSheetParser(source, sheet._shared_strings, data_only=True, epoch=book.epoch,
                                     date_formats=book._date_formats, timedelta_formats=book._timedelta_formats)
            for number, cells in parser.parse():
                values: list[Any] = [None] * max((c["column"] for c in cells), default=0)
                for cell in cells:
                    values[cell["column"] - 1] = cell["value"]
                yield number, values
    except InputFileError:
        raise
    except Exception as exc:  # a cut-off or broken XML part: lxml and the zip reader raise many kinds
        raise InputFileError(str(path), f"sheet {sheet.title!r} is damaged after row {number} "
                                        f"({type(exc).__name__}: {exc})") from None


def _big_cells(cells: list[Any], limit: int) -> Message | None:
    """The problem of a row with a cell over ``limit`` characters; such cells are cut short in
    place (the quarantine keeps the start of one, not all of it)."""
    try:
        if max(map(len, cells), default=0) <= limit:  # the common case, at C speed
            return None
    except TypeError:  # a workbook row holds numbers and dates too: look cell by cell
        pass
    big = [i for i, c in enumerate(cells) if isinstance(c, str) and len(c) > limit]
    if not big:
        return None
    problem = message("err_cell_too_long", column=big[0] + 1, chars=f"{len(cells[big[0]]):,}", kb=limit // 1024)
    for i in big:
        cells[i] = cells[i][:_KEPT_OF_BIG_CELL] + "…"
    return problem


def _excel_rows(rows: Iterator[tuple[int, list[Any]]], width: int) -> Iterator[TableRow]:
    limit = max_cell_chars()
    for number, values in rows:
        cells = [_excel_cell(v) for v in values]
        if any(not isinstance(c, str) or c.strip() for c in cells):  # a row of only spaces is no row, as in CSV
            cells.extend([""] * (width - len(cells)))  # a workbook row may stop at its last value
            problem = None
            if any(not isinstance(c, str) or c.strip() for c in cells[width:]):
                problem = message("err_row_values", cells=len(cells), width=width)
            yield TableRow(number, cells, _big_cells(cells, limit) or problem)


def _excel_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
