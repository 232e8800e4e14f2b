"""The errors PatentAtlas raises, turned into messages at the edges (CLI, API) in one place.

    PatentAtlasError                 every error we raise on purpose
    ├── InputFileError               a file we cannot read as a whole (names the file)
    │   ├── UnknownFormatError       no importer recognises its headers
    │   └── EmptyFileError           nothing in it
    ├── FieldError                   one field of one row is wrong (the row goes to quarantine)
    ├── StoreError                   the DuckDB store
    │   └── StoreLockedError         another process (the web server) holds the file
    ├── DatasetError                 a Parquet export a job cannot use: another schema version, a missing table
    ├── EngineError                  a distributed engine (Spark) that cannot start or be reached
    ├── NotFoundError                a thing asked for by key is not in the store
    ├── UsageError                   a bad option or argument
    │   ├── PayloadTooLargeError     an upload over its size limit (413)
    │   └── MediaTypeError           a body of a kind the endpoint does not take (415)
    ├── AuthError                    not signed in, a wrong password, an expired session (401)
    │   └── RateLimitedError         too many failed sign-ins (429)
    ├── ForbiddenError               signed in, but not allowed: another enterprise, region or role;
    │                                a missing or wrong CSRF token (403)
    └── DeliveryError                a mail or webhook could not be delivered (names where and why)
"""

from __future__ import annotations

import re

MESSAGE_LIMIT = 600  # characters of a message or a reason: a 20 MB header is not echoed whole
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def shown(text: str, limit: int = MESSAGE_LIMIT) -> str:
    r"""Text from a file made safe to show: control characters (terminal escape codes) written as
    ``\x1b``, and cut at ``limit`` characters with how much was left out.

    >>> shown("bad\x1b[31mred"), shown("x" * 10, limit=4)
    ('bad\\x1b[31mred', 'xxxx…(6 more characters)')
    """
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    return text if len(text) <= limit else f"{text[:limit]}…({len(text) - limit:,} more characters)"


class PatentAtlasError(Exception):
    """Base class: the message says what was wrong and what to do."""

    status_code = 400

    def __init__(self, message: str) -> None:
        message = shown(message)
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, str]:
        return {"error": type(self).__name__, "message": self.message}


class InputFileError(PatentAtlasError):
    """A whole file cannot be read."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class UnknownFormatError(InputFileError):
    """No importer recognises the file's headers."""


class EmptyFileError(InputFileError):
    """The file holds no header or no data."""


class FieldError(PatentAtlasError):
    """One field of a row is invalid; the importer quarantines the row with this reason."""

    def __init__(self, field: str, reason: str) -> None:
        field, reason = shown(field, 200), shown(reason)
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class StoreError(PatentAtlasError):
    """The store cannot do what was asked."""

    status_code = 500


class StoreLockedError(StoreError):
    """The DuckDB file is held by another process."""

    status_code = 503


class DatasetError(PatentAtlasError):
    """A Parquet export that a job cannot read as it is (the message names the folder and what to do)."""


class EngineError(PatentAtlasError):
    """The engine a job runs on cannot start or cannot be reached (Java, PySpark, a Spark master)."""

    status_code = 503


class NotFoundError(PatentAtlasError):
    """A key that is not in the store."""

    status_code = 404


class UsageError(PatentAtlasError):
    """A bad option or argument."""


class PayloadTooLargeError(UsageError):
    """An upload larger than its limit (the message names the limit and the setting)."""

    status_code = 413


class MediaTypeError(UsageError):
    """A request body of a kind the endpoint does not accept (e.g. a form where JSON is required)."""

    status_code = 415


class DeliveryError(PatentAtlasError):
    """A notification (mail, webhook) was not delivered; the message names the target and the reason."""

    status_code = 502


class AuthError(PatentAtlasError):
    """Not signed in, or the credentials are wrong (the message never says which part)."""

    status_code = 401


class RateLimitedError(AuthError):
    """Too many failed sign-ins for one e-mail or address: wait and try again."""

    status_code = 429


class ForbiddenError(PatentAtlasError):
    """Signed in, but this user may not see or change that."""

    status_code = 403
