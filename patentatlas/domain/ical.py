"""An RFC 5545 iCalendar feed of fee deadlines, one all-day event per deadline.

Each event carries a display alarm seven days before. Text is escaped (RFC 5545 §3.3.11) and
lines are folded at 75 octets of UTF-8 (§3.1) without splitting a character.

>>> escape_text("年费; 第3年, 专利\\\\费\\n截止")
'年费\\\\; 第3年\\\\, 专利\\\\\\\\费\\\\n截止'
>>> fold_line("DESCRIPTION:" + "a" * 70).split("\\r\\n")
['DESCRIPTION:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', ' aaaaaaa']
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from patentatlas.errors import UsageError

CRLF = "\r\n"
LINE_OCTETS = 75
PRODID = "-//PatentAtlas//Fee calendar//ZH"
ALARM_BEFORE = "-P7D"


@dataclass(frozen=True)
class CalendarEvent:
    """One all-day event: a fee due on ``day``."""

    uid: str
    day: dt.date
    summary: str
    description: str
    url: str | None = None


def escape_text(text: str) -> str:
    """A TEXT value escaped: backslash, semicolon, comma, and line breaks as ``\\n``.

    >>> escape_text("a,b;c")
    'a\\\\,b\\\\;c'
    """
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold_line(line: str) -> str:
    """The content line folded so that no physical line exceeds 75 octets of UTF-8.

    Continuation lines start with one space, which counts towards their 75 octets.

    >>> fold_line("SUMMARY:" + "年" * 30).split("\\r\\n")
    ['SUMMARY:年年年年年年年年年年年年年年年年年年年年年年', ' 年年年年年年年年']
    """
    return CRLF.join(_physical_lines(line))


def _physical_lines(line: str) -> Iterator[str]:
    current, size, limit = "", 0, LINE_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            yield current
            current, size, limit = " ", 1, LINE_OCTETS
        current += char
        size += width
    yield current


def unfold(text: str) -> str:
    """Folded lines joined back: a CRLF followed by one space disappears.

    >>> unfold("SUMMARY:ab\\r\\n c")
    'SUMMARY:abc'
    """
    return text.replace(CRLF + " ", "")


def fee_calendar(name: str, events: Iterable[CalendarEvent], *, now: dt.datetime | None = None) -> str:
    """The calendar as text with CRLF line endings; ``now`` (default: the current time) is the DTSTAMP."""
    stamp = _utc_stamp(dt.datetime.now(dt.UTC) if now is None else now)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
    ]
    for event in events:
        lines.extend(event_lines(event, stamp))
    lines.append("END:VCALENDAR")
    return "".join(fold_line(line) + CRLF for line in lines)


def event_lines(event: CalendarEvent, stamp: str) -> list[str]:
    """The unfolded content lines of one VEVENT with its alarm; ``stamp`` is the DTSTAMP value."""
    lines = [
        "BEGIN:VEVENT",
        f"UID:{escape_text(event.uid)}",
        f"DTSTAMP:{stamp}",
        f"DTSTART;VALUE=DATE:{event.day:%Y%m%d}",
        f"DTEND;VALUE=DATE:{event.day + dt.timedelta(days=1):%Y%m%d}",
        f"SUMMARY:{escape_text(event.summary)}",
        f"DESCRIPTION:{escape_text(event.description)}",
    ]
    if event.url is not None:
        lines.append(f"URL:{_checked_url(event.url)}")
    lines += [
        "TRANSP:TRANSPARENT",
        "BEGIN:VALARM",
        f"TRIGGER:{ALARM_BEFORE}",
        "ACTION:DISPLAY",
        f"DESCRIPTION:{escape_text(event.summary)}",
        "END:VALARM",
        "END:VEVENT",
    ]
    return lines


def _utc_stamp(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        raise UsageError("DTSTAMP needs a timezone-aware datetime")
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _checked_url(url: str) -> str:
    """A URI value is not escaped, so it must not hold spaces or control characters."""
    if any(char.isspace() or ord(char) < 0x20 or ord(char) == 0x7F for char in url):
        raise UsageError(f"event URL {url!r} holds whitespace or control characters")
    return url
