"""The fee calendar feed: exact lines, escaping and folding at 75 UTF-8 octets."""

from __future__ import annotations

import datetime as dt

import pytest

from patentatlas.domain.ical import CalendarEvent, escape_text, fee_calendar, fold_line, unfold
from patentatlas.errors import UsageError

NOW = dt.datetime(2026, 9, 1, 10, 30, 5, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def test_known_event_exact_lines() -> None:
    event = CalendarEvent(
        uid="CN202010302257.8-fee-7@patentatlas",
        day=dt.date(2026, 10, 8),
        summary="年费 第7年",
        description="CN202010302257.8 年费截止",
        url="https://example.cn/patents/CN202010302257.8",
    )
    text = fee_calendar("杭州市 年费日历", [event], now=NOW)
    assert text.split("\r\n") == [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//PatentAtlas//Fee calendar//ZH",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:杭州市 年费日历",
        "BEGIN:VEVENT",
        "UID:CN202010302257.8-fee-7@patentatlas",
        "DTSTAMP:20260901T023005Z",
        "DTSTART;VALUE=DATE:20261008",
        "DTEND;VALUE=DATE:20261009",
        "SUMMARY:年费 第7年",
        "DESCRIPTION:CN202010302257.8 年费截止",
        "URL:https://example.cn/patents/CN202010302257.8",
        "TRANSP:TRANSPARENT",
        "BEGIN:VALARM",
        "TRIGGER:-P7D",
        "ACTION:DISPLAY",
        "DESCRIPTION:年费 第7年",
        "END:VALARM",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
    # every line ends with CRLF: no bare LF anywhere
    assert text.count("\n") == text.count("\r\n") == 22


def test_event_without_url_and_year_end() -> None:
    event = CalendarEvent(uid="u1", day=dt.date(2026, 12, 31), summary="s", description="d")
    lines = fee_calendar("c", [event], now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)).split("\r\n")
    assert lines[6:14] == [
        "BEGIN:VEVENT",
        "UID:u1",
        "DTSTAMP:20260101T000000Z",
        "DTSTART;VALUE=DATE:20261231",
        "DTEND;VALUE=DATE:20270101",
        "SUMMARY:s",
        "DESCRIPTION:d",
        "TRANSP:TRANSPARENT",
    ]


def test_empty_calendar() -> None:
    text = fee_calendar("空", [], now=NOW)
    assert text == (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//PatentAtlas//Fee calendar//ZH\r\n"
        "CALSCALE:GREGORIAN\r\nMETHOD:PUBLISH\r\nX-WR-CALNAME:空\r\nEND:VCALENDAR\r\n"
    )


def test_escaping() -> None:
    assert escape_text("a\\b;c,d\ne\r\nf\rg") == "a\\\\b\\;c\\,d\\ne\\nf\\ng"
    event = CalendarEvent(uid="x", day=dt.date(2026, 1, 5), summary="费用; 减缓, 备案", description="第一行\n第二行")
    lines = fee_calendar("名称, 含逗号", [event], now=NOW).split("\r\n")
    assert lines[5] == "X-WR-CALNAME:名称\\, 含逗号"
    assert lines[11] == "SUMMARY:费用\\; 减缓\\, 备案"
    assert lines[12] == "DESCRIPTION:第一行\\n第二行"


def test_long_chinese_description_folds_at_75_octets() -> None:
    description = "专利年费缴纳期限届满前请及时缴费，逾期将产生滞纳金并可能导致专利权终止。" * 4 + "Ω end"
    event = CalendarEvent(uid="long", day=dt.date(2026, 10, 8), summary="年费", description=description)
    text = fee_calendar("c", [event], now=NOW)
    physical = text.split("\r\n")
    assert max(len(line.encode("utf-8")) for line in physical) == 75
    assert all(len(line.encode("utf-8")) <= 75 for line in physical)
    unfolded = unfold(text).split("\r\n")
    # full-width ， and 。 are not iCalendar's separators: nothing to escape in the description
    assert unfolded[12] == "DESCRIPTION:" + description
    folded = [line for line in physical if line.startswith(" ")]
    # 12 + 3·144 + 6 = 450 octets: 75 on the first line (12 + 21 chars), then 1 space + 24 chars (73) each,
    # and a last line of 1 + 3·3 + 2 (Ω) + 4 = 16
    assert len(folded) == 6
    assert physical[12] == "DESCRIPTION:" + description[:21]
    assert physical[13] == " " + description[21:45]
    assert physical[18] == " " + description[141:]


def test_fold_never_splits_a_character() -> None:
    # "X:" + 24 × 3 octets = 74; the 25th character would make 77, so it moves on
    line = "X:" + "年" * 25
    assert fold_line(line) == "X:" + "年" * 24 + "\r\n 年"
    assert fold_line("A" * 75) == "A" * 75
    assert fold_line("A" * 76) == "A" * 75 + "\r\n A"
    assert fold_line("A" * 150) == "A" * 75 + "\r\n " + "A" * 74 + "\r\n A"


def test_url_with_line_break_is_refused() -> None:
    event = CalendarEvent(uid="x", day=dt.date(2026, 1, 5), summary="s", description="d", url="https://a.cn/\r\nX:1")
    with pytest.raises(UsageError) as caught:
        fee_calendar("c", [event], now=NOW)
    assert caught.value.message == "event URL 'https://a.cn/\\r\\nX:1' holds whitespace or control characters"


def test_naive_stamp_is_refused() -> None:
    with pytest.raises(UsageError) as caught:
        fee_calendar("c", [], now=dt.datetime(2026, 1, 1))
    assert caught.value.message == "DTSTAMP needs a timezone-aware datetime"
