"""IPC and CPC notation → one canonical compact form: ``G06F16/583``.

Accepts ``G06F 16/583``, ``G06F  9/451``, ``G01R31/389``, WIPO's zero-padded ``G06F0016583000``,
and a bare subclass ``G06F`` or class ``G16``. Codes are kept without spaces because the 2021
SEI concordance and the IPC tables write them so.

>>> canonical_ipc("G06F  9/451", "IPC")
'G06F9/451'
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from patentatlas.errors import FieldError
from patentatlas.i18n import message
from patentatlas.normalize.missing import is_placeholder

_SPLIT = re.compile(r"\s*(?:;;|[;|,，；、\n])\s*")
# a trailing I / N is the inventive / non-inventive indicator some offices append
_GROUP = re.compile(r"^([A-HY]\d\d[A-Z])\s*0*(\d{1,4})\s*/\s*(\d{1,6})\s*[IN]?$")
_PADDED = re.compile(r"^([A-HY]\d\d[A-Z])(\d{4})(\d{6})$")
_SUBCLASS = re.compile(r"^[A-HY]\d\d[A-Z]?$")
_MAIN_ONLY = re.compile(r"^([A-HY]\d\d[A-Z])\s*0*(\d{1,4})$")


@lru_cache(maxsize=65536)
def canonical_ipc(raw: str, field: str = "IPC") -> str:
    """One IPC/CPC symbol in canonical form; FieldError when it is not one."""
    text = raw.strip().upper().replace("\u3000", " ")
    text = re.sub(r"\(\d{4}\.\d{2}\)$", "", text).strip()  # trailing version "(2006.01)"
    match = _GROUP.match(text)
    if match:
        subclass, main, sub = match.groups()
        return f"{subclass}{int(main)}/{sub}"
    match = _PADDED.match(text)
    if match:
        subclass, main, sub = match.groups()
        sub = sub.rstrip("0").ljust(2, "0")
        return f"{subclass}{int(main)}/{sub}"
    match = _MAIN_ONLY.match(text)
    if match:
        return f"{match.group(1)}{int(match.group(2))}/00"
    if _SUBCLASS.match(text):
        return text
    raise FieldError(field, message("err_ipc_not_symbol", code=repr(raw)))


@lru_cache(maxsize=65536)
def split_codes(cell: str | None, field: str = "IPC") -> tuple[str, ...]:
    """All codes of one cell, canonical, in order, without repeats."""
    if not cell or is_placeholder(cell):
        return ()
    seen: dict[str, None] = {}
    for part in _SPLIT.split(str(cell)):
        if part.strip():
            seen[canonical_ipc(part, field)] = None
    return tuple(seen)


@lru_cache(maxsize=65536)
def main_code(main_cell: str | None, codes: tuple[str, ...], field: str = "IPC主分类") -> str | None:
    """The main classification: the cell if it is a full symbol; a bare subclass (Patentics's
    国际主分类 ``G06F``) is completed with the first listed code of that subclass."""
    if main_cell and not is_placeholder(main_cell):
        main = ipc_codes(str(main_cell), field)[0]
        if "/" in main:
            return main
        return next((c for c in codes if c.startswith(main)), main)
    return codes[0] if codes else None


@lru_cache(maxsize=1)
def ipc_classes() -> frozenset[str]:
    """Every class (``G06``) of the packaged IPC scheme (kept between processes: reading the
    scheme's 80,000 codes for its 130 classes takes a tenth of a second)."""
    from patentatlas.reference import ipc
    from patentatlas.reference.cache import DATA, cached

    def build() -> frozenset[str]:
        return frozenset(code for code, level, _, _ in ipc.iter_ipc() if level == "class")

    return cached("ipc-classes", build, DATA / "ipc.csv.gz", Path(ipc.__file__), Path(__file__))


@lru_cache(maxsize=65536)
def ipc_codes(cell: str | None, field: str = "IPC") -> tuple[str, ...]:
    """:func:`split_codes` for an IPC column, each code's class checked against the IPC scheme
    (``G00F1/00`` is refused though it has the shape of a code).

    Only the class: real exports carry subclasses of earlier IPC editions (F24J, gone in 2018) and
    CPC's Y tags in their IPC columns (Patentics writes Y02P there); both are kept, as written.

    >>> ipc_codes("G06F 16/583; F24J2/00; Y02P90/02")
    ('G06F16/583', 'F24J2/00', 'Y02P90/02')
    """
    codes = split_codes(cell, field)
    known = ipc_classes()
    for code in codes:
        if not code.startswith("Y") and code[:3] not in known:
            raise FieldError(field, message("err_ipc_no_class", code=repr(code), ipc_class=code[:3]))
    return codes


def subclass(code: str) -> str:
    """The 4-character subclass of a canonical code: ``G06F16/583`` → ``G06F``."""
    return code[:4]
