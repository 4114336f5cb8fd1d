"""Dates as firms' exports write them: ISO, US and zh-TW PowerShell culture, ROC (民國) years, FILETIME.

Taiwanese HR systems often write 民國 dates (``115/11/30`` = 2026-11-30) and PowerShell's
``Export-Csv`` writes ``DateTime`` in the exporting machine's culture (``11/30/2026 3:04:05 PM`` on
en-US, ``2026/11/30 下午 03:04:05`` on zh-TW); all of them must land on the same calendar day.
"""

from __future__ import annotations

import datetime as dt
import re

ROC_OFFSET = 1911
FILETIME_EPOCH = dt.datetime(1601, 1, 1)
_NEVER = 0x7FFFFFFFFFFFFFFF

_YMD = re.compile(r"^(\d{2,4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T](.*))?$")
_MDY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(.*))?$")
_ROC_COMPACT = re.compile(r"^(\d{3})(\d{2})(\d{2})$")
_GENERALIZED = re.compile(r"^(\d{4})(\d{2})(\d{2})(\d{2})?(\d{2})?(\d{2})?(?:\.\d+)?Z?$")
_TIME = re.compile(
    r"^(上午|下午|AM|PM)?\s*(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*(上午|下午|AM|PM)?\s*(Z|[+-]\d{2}:?\d{2})?$",
    re.I,
)


def parse_datetime(text: str) -> dt.datetime | None:
    """A naive datetime (local wall time of the export), or ``None`` if ``text`` is empty.

    Raises ``ValueError`` for text that is not a date in any accepted form.
    """
    s = text.strip()
    if not s:
        return None
    m = _YMD.match(s)
    if m:
        year, month, day = int(m[1]), int(m[2]), int(m[3])
        if year < 1000:  # 民國 year
            year += ROC_OFFSET
        return _combine(dt.date(year, month, day), m[4], text)
    m = _MDY.match(s)
    if m:
        return _combine(dt.date(int(m[3]), int(m[1]), int(m[2])), m[4], text)
    m = _ROC_COMPACT.match(s)
    if m:
        return dt.datetime(int(m[1]) + ROC_OFFSET, int(m[2]), int(m[3]))
    m = _GENERALIZED.match(s)
    if m:
        return dt.datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4] or 0), int(m[5] or 0), int(m[6] or 0))
    try:
        parsed = dt.datetime.fromisoformat(s)
    except ValueError:
        raise ValueError(f"{text!r} is not a date (use YYYY-MM-DD, 民國 YYY/MM/DD or M/D/YYYY)") from None
    return parsed.replace(tzinfo=None) if parsed.tzinfo is None else parsed.astimezone(dt.UTC).replace(tzinfo=None)


def parse_date(text: str) -> dt.date | None:
    value = parse_datetime(text)
    return value.date() if value else None


def _combine(day: dt.date, rest: str | None, original: str) -> dt.datetime:
    if not rest:
        return dt.datetime.combine(day, dt.time())
    m = _TIME.match(rest.strip())
    if not m:
        raise ValueError(f"{original!r}: cannot read the time part {rest!r}")
    hour, minute, second = int(m[2]), int(m[3]), int(m[4] or 0)
    marker = (m[1] or m[5] or "").upper()
    if marker in ("PM", "下午") and hour < 12:
        hour += 12
    elif marker in ("AM", "上午") and hour == 12:
        hour = 0
    return dt.datetime.combine(day, dt.time(hour, minute, second))


def filetime(value: str) -> dt.datetime | None:
    """AD FILETIME (100 ns since 1601-01-01 UTC); 0 and the 'never' sentinel mean no value."""
    s = value.strip()
    if not s:
        return None
    n = int(s)
    if n <= 0 or n >= _NEVER:
        return None
    return FILETIME_EPOCH + dt.timedelta(microseconds=n // 10)


def to_filetime(when: dt.datetime) -> int:
    return int((when - FILETIME_EPOCH).total_seconds()) * 10_000_000
