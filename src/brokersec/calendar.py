"""Inspection periods and the calendar of checks a firm owes.

Periods follow the calendar year, as TWSE's monthly, half-yearly and yearly checks do: ``2026-11``,
``2026-H2``, ``2026``. A check is owed for a period when its item is in the firm's scope and in
force by the period's last day (an item that takes effect mid-period is owed for that period).
Pure: no I/O, no clock; exports to CSV and iCalendar are plain text returned to the caller.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import groupby

from brokersec.catalog.models import FREQUENCY_LABELS, Catalog, Frequency, Item
from brokersec.errors import InputError, Problem
from brokersec.profile import FirmProfile
from brokersec.scoping import scope


@dataclass(frozen=True, order=True)
class Period:
    """One inspection period; ``id`` is what people and files use to name it."""

    start: dt.date
    end: dt.date
    frequency: Frequency
    id: str

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def previous(self) -> Period:
        return period_for(self.start - dt.timedelta(days=1), self.frequency)

    def label(self, lang: str = "zh") -> str:
        zh, en = FREQUENCY_LABELS[self.frequency]
        return f"{self.id} {zh if lang == 'zh' else en}"


def _month(year: int, month: int) -> Period:
    end = (dt.date(year + month // 12, month % 12 + 1, 1)) - dt.timedelta(days=1)
    return Period(dt.date(year, month, 1), end, "monthly", f"{year}-{month:02d}")


def _half(year: int, half: int) -> Period:
    if half == 1:
        return Period(dt.date(year, 1, 1), dt.date(year, 6, 30), "semiannual", f"{year}-H1")
    return Period(dt.date(year, 7, 1), dt.date(year, 12, 31), "semiannual", f"{year}-H2")


def _year(year: int) -> Period:
    return Period(dt.date(year, 1, 1), dt.date(year, 12, 31), "annual", f"{year}")


def periods_in_year(year: int, frequency: Frequency) -> list[Period]:
    if frequency == "monthly":
        return [_month(year, m) for m in range(1, 13)]
    if frequency == "semiannual":
        return [_half(year, 1), _half(year, 2)]
    return [_year(year)]


def period_for(day: dt.date, frequency: Frequency) -> Period:
    """The period of ``frequency`` that contains ``day``."""
    if frequency == "monthly":
        return _month(day.year, day.month)
    if frequency == "semiannual":
        return _half(day.year, 1 if day.month <= 6 else 2)
    return _year(day.year)


_PERIOD = re.compile(r"^(?P<y>\d{4})(?:-(?:(?P<m>\d{2})|H(?P<h>[12])))?$")


def parse_period(text: str) -> Period:
    """``2026-11`` → monthly, ``2026-H2`` → half-year, ``2026`` → year; anything else is an error."""
    m = _PERIOD.match(text.strip())
    if not m or not 1900 <= int(m["y"]) <= 2999 or (m["m"] and not 1 <= int(m["m"]) <= 12):
        raise InputError(
            Problem(f"{text!r} is not a period; use 2026-11 (month), 2026-H2 (half-year) or 2026", field="period")
        )
    year = int(m["y"])
    if m["m"]:
        return _month(year, int(m["m"]))
    if m["h"]:
        return _half(year, int(m["h"]))
    return _year(year)


@dataclass(frozen=True)
class DueCheck:
    """One item owed for one period, and the day it is due."""

    item: Item
    period: Period
    due: dt.date

    def to_dict(self) -> dict[str, str | None]:
        return {
            "item": self.item.id,
            "area": self.item.code,
            "frequency": self.item.frequency,
            "period": self.period.id,
            "start": self.period.start.isoformat(),
            "end": self.period.end.isoformat(),
            "due": self.due.isoformat(),
        }


def due_checks(catalog: Catalog, profile: FirmProfile, year: int) -> list[DueCheck]:
    """Every check ``profile`` owes in ``year``, ordered by due date then catalog order."""
    in_scope = scope(catalog, profile, on=dt.date(year, 12, 31)).applicable()
    grace = dt.timedelta(days=profile.due_days_after_period)
    checks: list[DueCheck] = []
    for entry in in_scope:
        item = entry.item
        assert item.frequency is not None  # guaranteed by catalog validation
        for period in periods_in_year(year, item.frequency):
            if item.effective_from is None or item.effective_from <= period.end:
                checks.append(DueCheck(item, period, period.end + grace))
    order = {item_id: n for n, item_id in enumerate(catalog.items)}
    checks.sort(key=lambda c: (c.due, c.period.start, order[c.item.id]))
    return checks


CSV_COLUMNS = ["item", "area", "frequency", "period", "start", "end", "due", "text_zh", "text_en"]


def to_csv(checks: Iterable[DueCheck]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for c in checks:
        writer.writerow({**c.to_dict(), "text_zh": c.item.text_zh, "text_en": c.item.text_en})
    return out.getvalue()


def to_ics(
    checks: Iterable[DueCheck],
    catalog: Catalog,
    profile: FirmProfile,
    *,
    lang: str = "zh",
    stamp: dt.datetime,
) -> bytes:
    """An iCalendar file with one all-day event per (control area, period), a reminder a week before.

    One event per item would flood a calendar with ~900 entries a year; an event per area and period
    is what an inspector schedules work by, and lists its items in the description.
    """
    from icalendar import Alarm, Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//brokersec//inspection calendar//ZH-TW")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"{profile.name} 資通安全檢查" if lang == "zh" else f"{profile.name} inspections")
    ordered = sorted(checks, key=lambda c: (c.due, c.item.code, c.period.id))
    for (due, code, period_id), group in groupby(ordered, key=lambda c: (c.due, c.item.code, c.period.id)):
        items = list(group)
        area = catalog.get(code)
        period = items[0].period
        name = area.title_zh if lang == "zh" else area.title_en or area.title_zh
        freq_zh, freq_en = FREQUENCY_LABELS[period.frequency]
        if lang == "zh":
            summary = f"{code} {name}：{period.id} {freq_zh}（{len(items)} 項）"
        else:
            summary = f"{code} {name}: {period.id} {freq_en} ({len(items)} items)"
        description = "\n".join(
            f"{c.item.id} {(c.item.text_zh if lang == 'zh' else c.item.text_en or c.item.text_zh)}" for c in items
        )
        event = Event()
        event.add("uid", f"{profile.tax_id}-{code}-{period_id}@brokersec")
        event.add("dtstamp", stamp)
        event.add("summary", summary)
        event.add("dtstart", due)
        event.add("dtend", due + dt.timedelta(days=1))
        event.add("description", description)
        event.add("categories", [code, period.frequency])
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", summary)
        alarm.add("trigger", dt.timedelta(days=-7))
        event.add_component(alarm)
        cal.add_component(event)
    return cal.to_ical()
