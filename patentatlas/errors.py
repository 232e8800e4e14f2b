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

A message is a :class:`~patentatlas.i18n.Message` (a catalogue msgid and its arguments; its ``str`` the
English that the CLI and the JSON API print) so that a page says it in its own language; plain text
still works (said as it is). ``field=`` names the form field an error concerns (shown beside it);
:func:`about` prefixes a reason with its field's name ("employees: …", "员工人数：…").

>>> from patentatlas.i18n import message
>>> error = UsageError(message("err_choose_a_patent"), field="numbers")
>>> error.message, error.code, error.field, translate(error.message, "zh")
('numbers: choose at least one patent', 'err_choose_a_patent', 'numbers', '请至少选择一件专利')
>>> str(about("employees", message("err_whole_number", value="'x'")))
"employees: 'x' is not a whole number"
"""

from __future__ import annotations

import re
from typing import Any

from patentatlas.i18n import Joined, Message, translate, word

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


class About(Message):
    """A reason about one field: ``field: reason`` in English (the field's key, as the API names it),
    the field's name in the page's language on a page (the catalogue's ``err_field``)."""

    field: str
    reason: Any

    def __new__(cls, field: str, reason: Any) -> About:
        made = str.__new__(cls, f"{field}: {reason}")
        made.msgid, made.args = "err_field", {"field": word(field), "reason": reason}
        made.field, made.reason = field, reason
        return made

    def __reduce__(self) -> tuple[Any, ...]:
        return (About, (self.field, self.reason))


def about(field: str, reason: Any) -> About:
    """``reason`` (a message or text) about the form field ``field``: ``about("employees", message(...))``."""
    return About(shown(field, 200), safe(reason))


def safe(value: Any) -> Any:
    """A message whose text arguments (values from a file or a form) are :func:`shown` safely; text
    itself shown safely; anything else (numbers, dates) as it is."""
    if isinstance(value, About):
        return About(value.field, safe(value.reason))
    if isinstance(value, Joined):
        return Joined(value.msgid, [safe(item) for item in value.items])
    if isinstance(value, Message):
        return Message(value.msgid, {k: safe(v) for k, v in value.args.items()}) if value.msgid else value
    if isinstance(value, str):
        return shown(value)
    return value


class PatentAtlasError(Exception):
    """Base class: the message says what was wrong and what to do; ``field`` the form field it concerns."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        message = message if isinstance(message, About) else safe(message)  # about() made it safe
        super().__init__(message)
        self.message = message
        self.field = field or (message.field if isinstance(message, About) else None)

    @property
    def code(self) -> str | None:
        """The catalogue's msgid of the message (of its reason, for a field's), if it has one."""
        said = self.message.reason if isinstance(self.message, About) else self.message
        return said.msgid or None if isinstance(said, Message) else None

    def said(self, lang: str) -> str:
        """The message in ``lang``."""
        return str(translate(self.message, lang))

    def to_dict(self) -> dict[str, str]:
        """The JSON body: the English message, and its msgid as ``code`` where it has one."""
        body = {"error": type(self).__name__, "message": str(self.message)}
        return body | ({"code": self.code} if self.code else {})


class InputFileError(PatentAtlasError):
    """A whole file cannot be read."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(about(path, reason))
        self.path = path
        self.reason = reason


class UnknownFormatError(InputFileError):
    """No importer recognises the file's headers."""


class EmptyFileError(InputFileError):
    """The file holds no header or no data."""


class FieldError(PatentAtlasError):
    """One field of a row is invalid; the importer quarantines the row with this reason."""

    field: str

    def __init__(self, field: str, reason: str) -> None:
        said = about(field, reason)
        super().__init__(said)
        self.field = said.field
        self.reason = said.reason


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
