"""Application numbers (申请号): validation and the canonical ``CN202010302257.8`` form.

REFERENCE §1. Since 2003: 4-digit year, type digit, 7-digit serial, check digit; before: 2-digit
year, type digit, 5-digit serial, check digit. Foreign numbers are kept as written (spaces
removed) with their country code.

Lens, DOCDB-style and several commercial exports write a Chinese number without its check digit
and with a kind code (``CN 200710063161 A``, ``CN200920245218U``, ``CN 89103458 A``): the check
digit is computed (``derived='check_digit_computed'``). A check digit that is given and wrong is
an error, never fixed. ``CN 2014071250 W`` is an international (PCT) application,
``PCT/CN2014/071250``, stored as a WO application.

>>> normalize_application_number("ZL2020103022578")
ApplicationNumber(number='CN202010302257.8', country='CN', type_digit='1', derived=None)
>>> normalize_application_number("CN 200710063161 A").number
'CN200710063161.5'
>>> normalize_application_number("CN 2014071250 W")
ApplicationNumber(number='PCT/CN2014/071250', country='WO', type_digit=None, derived='pct')
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from operator import mul
from typing import NamedTuple

import pyarrow as pa
import pyarrow.compute as pc

from patentatlas.errors import FieldError
from patentatlas.i18n import message

_WEIGHTS_12 = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
_WEIGHTS_8 = (2, 3, 4, 5, 6, 7, 8, 9)
# digits, then the check digit (after a dot or not), then a kind code (A, B, U, S; C, Y, D before 2010)
_CN = re.compile(r"^(?:CN|ZL)?(\d{12}|\d{8})(?:\.?([0-9X]))?([ABCDSUY]\d?)?$")
# an international application as Lens / DOCDB write it: country, year, serial, kind W
_PCT_W = re.compile(r"^([A-Z]{2})(\d{4})/?0?(\d{6})W$")
_PCT_W_OLD = re.compile(r"^([A-Z]{2})(\d{2})/?(\d{5})W$")
_FOREIGN = re.compile(r"^([A-Z]{2})([A-Z0-9/.\-]*\d[A-Z0-9/.\-]*)$")
_CANONICAL = re.compile(r"^CN\d{12}\.[0-9X]$")
_PCT = re.compile(r"^PCT/[A-Z]{2}(?:\d{4}/\d{6}|\d{2}/\d{5})$")

# the type digit of a Chinese application number → our patent type
TYPE_BY_DIGIT = {
    "1": "invention",
    "8": "invention",
    "2": "utility_model",
    "9": "utility_model",
    "3": "design",
}


class ApplicationNumber(NamedTuple):
    number: str
    country: str
    type_digit: str | None
    derived: str | None = None  # check_digit_computed | pct: how the canonical form was reached


def check_digit(digits: str) -> str:
    """The CNIPA check character for 12 (since 2003) or 8 (before) digits.

    >>> check_digit("202010302257")
    '8'
    """
    weights = _WEIGHTS_12 if len(digits) == 12 else _WEIGHTS_8
    if len(digits) != len(weights):
        raise ValueError(f"{digits!r}: 12 or 8 digits expected")
    # the digits' ASCII codes are the digits plus 48: subtract 48 × the weights' sum once
    total = (sum(map(mul, digits.encode("ascii"), weights)) - 48 * sum(weights)) % 11
    return "X" if total == 10 else str(total)


def _compact(raw: object) -> str:
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = str(raw)
    if _CANONICAL.match(text):
        return text  # the common case: already written CN202010302257.8
    text = unicodedata.normalize("NFKC", text).strip().upper()
    return re.sub(r"\s+", "", text)


def _normalize_text(text: str, field: str) -> ApplicationNumber:
    if not text:
        raise FieldError(field, message("err_appno_missing"))
    pct = pct_number(text)
    if pct:
        return ApplicationNumber(pct, "WO", None, "pct")
    match = _CN.match(text)
    if match:
        digits, given, _kind = match.groups()
        expected = check_digit(digits)
        if given is not None and given != expected:
            raise FieldError(field, message("err_appno_check", number=text, given=given, expected=expected))
        type_digit = digits[4] if len(digits) == 12 else digits[2]
        if type_digit not in TYPE_BY_DIGIT:
            raise FieldError(field, message("err_appno_type", number=text, digit=type_digit))
        return ApplicationNumber(f"CN{digits}.{expected}", "CN", type_digit,
                                 None if given else "check_digit_computed")
    if text.startswith("CN"):
        raise FieldError(field, message("err_appno_not_cn", number=text))
    if _PCT.match(text):
        return ApplicationNumber(text, "WO", None)
    foreign = _FOREIGN.match(text)
    if foreign:
        return ApplicationNumber(text, foreign.group(1), None)
    raise FieldError(field, message("err_appno_not_number", number=text))


def pct_number(text: str) -> str | None:
    """``PCT/CN2014/071250`` for an international application written as Lens and DOCDB do
    (``CN2014071250W``, ``US2014/0069213W``, before 2004 ``US9912345W``), else None.

    >>> pct_number("US2014/0069213W")
    'PCT/US2014/069213'
    """
    match = _PCT_W.match(text)
    if match:
        return f"PCT/{match.group(1)}{match.group(2)}/{match.group(3)}"
    match = _PCT_W_OLD.match(text)
    return f"PCT/{match.group(1)}{match.group(2)}/{match.group(3)}" if match else None


def normalize_application_number(raw: object, field: str = "application_number") -> ApplicationNumber:
    """Validate and normalise one application number; raise FieldError naming ``field``."""
    if isinstance(raw, str) and len(raw) == 16 and raw[14] == "." and raw[:2] == "CN":
        digits = raw[2:14]  # the canonical form, as most exports write it: check it and go
        type_digit = digits[4]
        if digits.isdigit() and type_digit in TYPE_BY_DIGIT and check_digit(digits) == raw[15]:
            return ApplicationNumber(raw, "CN", type_digit)
    return _normalize_text(_compact(raw), field)


def canonical_numbers(cells: Sequence[object]) -> list[bool]:
    """Which cells are already canonical Chinese numbers (``CN`` + 12 digits with a known type digit
    + ``.`` + the right check digit), checked at C speed: an importer calls
    :func:`normalize_application_number` only for the others.

    >>> canonical_numbers(["CN202010302257.8", "CN202010302257.9", "202010302257.8", None])
    [True, False, False, False]
    """
    try:
        text = pa.array(cells, pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # a workbook's numbers: not canonical text
        return [False] * len(cells)
    return canonical_mask(text).to_pylist()


def canonical_mask(text: pa.Array) -> pa.BooleanArray:
    """:func:`canonical_numbers` of an Arrow column of text, as an Arrow column (nulls: False)."""
    shaped = pc.fill_null(pc.match_substring_regex(text, r"^CN\d{4}[12389]\d{7}\.[0-9X]$"), False)
    text = pc.if_else(shaped, text, "CN000010000000.0")
    digits = pc.cast(pc.utf8_slice_codeunits(text, 2, 14), pa.int64())  # the 12 digits as one number
    total = pa.scalar(0, pa.int64())
    for k, weight in enumerate(_WEIGHTS_12):  # digit k of 12, by arithmetic (no text per digit)
        digit = pc.subtract(pc.divide(digits, 10 ** (11 - k)), pc.multiply(pc.divide(digits, 10 ** (12 - k)), 10))
        total = pc.add(total, pc.multiply(digit, weight))
    rest = pc.subtract(total, pc.multiply(pc.divide(total, 11), 11))
    expected = pc.if_else(pc.equal(rest, 10), "X", pc.cast(rest, pa.string()))
    right = pc.equal(expected, pc.utf8_slice_codeunits(text, 15, 16))
    return pc.and_(shaped, right)


def with_check_digit(digits: str) -> str:
    """The canonical number for 12 or 8 digits without their check digit (used by fixtures)."""
    return f"CN{digits}.{check_digit(digits)}"
