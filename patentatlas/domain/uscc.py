"""Unified social credit codes (统一社会信用代码, GB 32100-2015) of the applicants we monitor.

Eighteen characters from a 31-character set (digits and capitals without I, O, Z, S, V):

    position 1       registration authority (登记管理部门)
    position 2       organisation type (机构类别)
    positions 3–8    administrative division code (登记管理机关行政区划码), digits
    positions 9–17   organisation code (组织机构代码, GB 11714, with its own check digit at 17)
    position 18      check character over positions 1–17

Only the GB 32100 check character (position 18) is verified; the organisation code's own
GB 11714 check digit is left alone.

>>> validate_uscc(" ９１３３０１００７１６１０５８５２ｆ ")
'91330100716105852F'
>>> uscc_region_code("91330100716105852F")
'330100'
"""

from __future__ import annotations

import unicodedata

from patentatlas.errors import UsageError
from patentatlas.i18n import message

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
LENGTH = 18
# weight of position i (1-based) is 3^(i-1) mod 31
WEIGHTS = tuple(pow(3, i, 31) for i in range(LENGTH - 1))
_VALUE = {char: value for value, char in enumerate(CHARSET)}
_REGION = slice(2, 8)


def normalize_uscc(text: str) -> str:
    """The code stripped, upper-cased and with full-width characters made half-width.

    >>> normalize_uscc(" ９１１１０１０８５５１３８５０８２ｑ\\n")
    '91110108551385082Q'
    """
    return unicodedata.normalize("NFKC", text).strip().upper()


def check_character(body: str) -> str:
    """The GB 32100 check character for the first 17 characters of a code.

    >>> check_character("91330100716105852")
    'F'
    """
    if len(body) != LENGTH - 1 or any(char not in _VALUE for char in body):
        raise ValueError(f"{body!r}: 17 characters from {CHARSET} expected")
    total = sum(_VALUE[char] * weight for char, weight in zip(body, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def validate_uscc(text: str) -> str:
    """The normalised code, or ``UsageError`` saying what is wrong with it.

    >>> validate_uscc("91330100716105852A")
    Traceback (most recent call last):
    ...
    patentatlas.errors.UsageError: unified social credit code '91330100716105852A': check character is A, expected F
    """
    code = normalize_uscc(text)
    if len(code) != LENGTH:
        raise UsageError(message("err_uscc_length", code=code, n=LENGTH, got=len(code)), field="uscc")
    for position, char in enumerate(code, start=1):
        if char not in _VALUE:
            raise UsageError(message("err_uscc_character", code=code, char=char, position=position), field="uscc")
    for position in range(_REGION.start + 1, _REGION.stop + 1):
        if not code[position - 1].isdigit():
            raise UsageError(message("err_uscc_division", code=code, char=code[position - 1], position=position),
                             field="uscc")
    expected = check_character(code[:-1])
    if code[-1] != expected:
        raise UsageError(message("err_uscc_check", code=code, given=code[-1], expected=expected), field="uscc")
    return code


def uscc_region_code(code: str) -> str:
    """The administrative division code (positions 3–8) of a valid code.

    >>> uscc_region_code("914403001922038216")
    '440300'
    """
    return validate_uscc(code)[_REGION]
