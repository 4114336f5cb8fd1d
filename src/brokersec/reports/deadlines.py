"""When the annual declaration (資訊安全整體執行情形聲明書) is due, and dates as the board writes them.

The declaration on the overall execution of information security goes to the board within three
months after the fiscal year ends. The fiscal year is the calendar year unless a firm says otherwise
(``fiscal_year_end_month``); a fiscal year is named by the calendar year it ends in. Pure: no clock,
no I/O, so the dashboard, the CLI and the renderers share it.
"""

from __future__ import annotations

import calendar
import datetime as dt

DECLARATION_MONTHS_AFTER_YEAR_END = 3


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def fiscal_year(year: int, fiscal_year_end_month: int = 12) -> tuple[dt.date, dt.date]:
    """First and last day of fiscal year ``year`` (the one ending in calendar year ``year``)."""
    if not 1 <= fiscal_year_end_month <= 12:
        raise ValueError(f"fiscal_year_end_month must be 1..12, not {fiscal_year_end_month}")
    end = _month_end(year, fiscal_year_end_month)
    start_year, start_month = _add_months(year, fiscal_year_end_month, -11)
    return dt.date(start_year, start_month, 1), end


def declaration_deadline(year: int, fiscal_year_end_month: int = 12) -> dt.date:
    """Last day to present the declaration for fiscal year ``year`` to the board: the end of the
    third month after the fiscal year ends (2026 → 2027-03-31)."""
    _start, end = fiscal_year(year, fiscal_year_end_month)
    y, m = _add_months(end.year, end.month, DECLARATION_MONTHS_AFTER_YEAR_END)
    return _month_end(y, m)


def roc_year(year: int) -> int:
    """民國 year: Gregorian year − 1911 (2026 → 115)."""
    return year - 1911


def roc_date(day: dt.date | str | None, blank: str = "　　年　　月　　日") -> str:
    """``民國115年3月31日``; ``blank`` (a form to fill in) when there is no date."""
    if day is None or day == "":
        return f"民國{blank}"
    if isinstance(day, str):
        day = dt.date.fromisoformat(day[:10])
    return f"民國{roc_year(day.year)}年{day.month}月{day.day}日"


__all__ = ["declaration_deadline", "fiscal_year", "roc_date", "roc_year"]
