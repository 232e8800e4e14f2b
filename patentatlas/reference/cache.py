"""Structures built from the packaged reference tables, kept between processes.

The region index, the IPC classes and the SEI concordance are built from their CSV files by
every process that places or classifies patents: half a second before an import's helper
process parses its first row, and again in the importing process. :func:`cached` keeps what
was built as a pickle in the cache folder (setting ``cache_dir``), named by a digest of
everything it is built from (the packaged files and the source of the code that builds it), so
a change to either builds it again. A folder that cannot be written, or a file that cannot be
read, is no error: the structure is built as if there were no cache.

>>> cached("ipc-classes", build_classes, DATA / "ipc.csv.gz", Path(__file__))  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Callable
from contextlib import suppress
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TypeVar

from patentatlas.config import setting

T = TypeVar("T")
DATA = files("patentatlas.reference") / "data"


def cache_folder() -> Path | None:
    """Where built structures are kept: the ``cache_dir`` setting, else ``$XDG_CACHE_HOME`` or
    ``~/.cache``, under ``patentatlas``; None when the setting is ``off``."""
    chosen = setting("cache_dir")
    if chosen == "off":
        return None
    if chosen:
        return Path(chosen)
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]) / "patentatlas"
    try:
        return Path.home() / ".cache" / "patentatlas"
    except RuntimeError:  # no home directory to be found: nothing kept
        return None


def cached(name: str, build: Callable[[], T], *inputs: Traversable | Path) -> T:
    """``build()``, or what it built before from the same ``inputs`` (files: data and source code)."""
    folder = cache_folder()
    if folder is None:
        return build()
    path = folder / f"{name}-{_digest(inputs)}.pickle"
    try:
        with path.open("rb") as kept:
            return pickle.load(kept)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        pass  # not kept yet, unreadable, or written by another version of the code: built below
    value = build()
    _keep(folder, name, path, value)
    return value


def _digest(inputs: tuple[Traversable | Path, ...]) -> str:
    digest = hashlib.blake2b(repr(sys.version_info[:2]).encode(), digest_size=12)
    for source in inputs:
        digest.update(source.read_bytes())
    return digest.hexdigest()


def _keep(folder: Path, name: str, path: Path, value: object) -> None:
    """Write ``value`` to ``path`` whole or not at all (two processes may build it at once), and
    drop what was kept under ``name`` from other inputs."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}-")
    except OSError:
        return
    try:
        with os.fdopen(handle, "wb") as out:
            pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except OSError:
        Path(temporary).unlink(missing_ok=True)
        return
    for old in folder.glob(f"{name}-*.pickle"):
        if old != path:
            with suppress(OSError):
                old.unlink()
