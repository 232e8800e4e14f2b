"""Application numbers (申请号): validation and the canonical ``CN202010302257.8`` form.

REFERENCE §1. Since 2003: 4-digit year, type digit, 7-digit serial, check digit; before: 2-digit
year, type digit, 5-digit serial, check digit. Foreign numbers are kept as written (spaces
removed) with their country code.

>>> normalize_application_number("ZL2020103022578")
ApplicationNumber(number='CN202010302257.8', country='CN', type_digit='1')
"""

from __future__ import annotations

import re
import unicodedata
from operator import mul
from typing import NamedTuple

from patentatlas.errors import FieldError

_WEIGHTS_12 = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
_WEIGHTS_8 = (2, 3, 4, 5, 6, 7, 8, 9)
_CN = re.compile(r"^(?:CN|ZL)?(\d{12}|\d{8})\.?([0-9X])?$")
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
        raise FieldError(field, "application number is missing")
    match = _CN.match(text)
    if match:
        digits, given = match.groups()
        if given is None:
            raise FieldError(field, f"{text!r} has no check digit")
        expected = check_digit(digits)
        if given != expected:
            raise FieldError(
                field, f"check digit of {text!r} is {given}, the number's digits give {expected}"
            )
        type_digit = digits[4] if len(digits) == 12 else digits[2]
        if type_digit not in TYPE_BY_DIGIT:
            raise FieldError(field, f"{text!r} has type digit {type_digit}, not 1/2/3/8/9")
        return ApplicationNumber(f"CN{digits}.{given}", "CN", type_digit)
    if text.startswith("CN"):
        raise FieldError(field, f"{text!r} is not a Chinese application number (YYYYTNNNNNNN.C)")
    if _PCT.match(text):
        return ApplicationNumber(text, "WO", None)
    foreign = _FOREIGN.match(text)
    if foreign:
        return ApplicationNumber(text, foreign.group(1), None)
    raise FieldError(field, f"{text!r} is not an application number")


def normalize_application_number(raw: object, field: str = "application_number") -> ApplicationNumber:
    """Validate and normalise one application number; raise FieldError naming ``field``."""
    if isinstance(raw, str) and len(raw) == 16 and raw[14] == "." and raw[:2] == "CN":
        digits = raw[2:14]  # the canonical form, as most exports write it: check it and go
        type_digit = digits[4]
        if digits.isdigit() and type_digit in TYPE_BY_DIGIT and check_digit(digits) == raw[15]:
            return ApplicationNumber(raw, "CN", type_digit)
    return _normalize_text(_compact(raw), field)


def with_check_digit(digits: str) -> str:
    """The canonical number for 12 or 8 digits without their check digit (used by fixtures)."""
    return f"CN{digits}.{check_digit(digits)}"
