"""Periods, due dates and the calendar exports."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from icalendar import Calendar

from brokersec.calendar import due_checks, parse_period, period_for, periods_in_year, to_csv, to_ics
from brokersec.catalog import load_catalog_ref
from brokersec.errors import InputError
from brokersec.scoping import scope

from .helpers import profile


@pytest.fixture(scope="module")
def catalog():
    return load_catalog_ref()


def test_periods():
    assert [p.id for p in periods_in_year(2026, "semiannual")] == ["2026-H1", "2026-H2"]
    months = periods_in_year(2024, "monthly")
    assert len(months) == 12 and months[1].end == dt.date(2024, 2, 29) and months[11].end == dt.date(2024, 12, 31)
    assert parse_period("2026-11").end == dt.date(2026, 11, 30)
    assert parse_period("2026-H2").start == dt.date(2026, 7, 1)
    assert parse_period("2026").frequency == "annual"
    assert period_for(dt.date(2026, 6, 30), "semiannual").id == "2026-H1"
    assert parse_period("2026-01").previous().id == "2025-12"


@pytest.mark.parametrize("bad", ["2026-13", "2026-H3", "26-11", "2026/11", "", "2026-00", "H1-2026"])
def test_bad_periods_are_refused(bad):
    with pytest.raises(InputError, match="not a period"):
        parse_period(bad)


def test_counts_follow_frequency_and_scope(catalog):
    firm = profile()
    checks = due_checks(catalog, firm, 2026)
    in_scope = scope(catalog, firm, dt.date(2026, 12, 31)).applicable()
    per = {"monthly": 12, "semiannual": 2, "annual": 1}
    assert len(checks) == sum(per[e.item.frequency] for e in in_scope)
    monthly = [c for c in checks if c.item.id == "CC-18000.3.e"]
    assert [c.period.id for c in monthly] == [f"2026-{m:02d}" for m in range(1, 13)]
    assert all(c.due == c.period.end for c in checks)


def test_grace_days_move_due_dates(catalog):
    checks = due_checks(catalog, profile(due_days_after_period=10), 2026)
    feb = next(c for c in checks if c.item.id == "CC-18000.1" and c.period.id == "2026-02")
    assert feb.due == dt.date(2026, 3, 10)
    assert checks == sorted(checks, key=lambda c: c.due)


def test_effective_dates_are_respected(catalog):
    def count(year, item_id):
        return sum(c.item.id == item_id for c in due_checks(catalog, profile(), year))

    assert count(2021, "CC-17010.i.a") == 0
    assert count(2022, "CC-17010.i.a") == 12  # effective 2022-01-31: owed from January
    assert count(2022, "CC-17010.i.b") == 0
    assert count(2023, "CC-17010.i.b") == 12
    assert count(2022, "CC-13000.6") == 0
    assert count(2023, "CC-13000.6") == 1


def test_csv_export(catalog):
    checks = due_checks(catalog, profile(), 2026)
    rows = list(csv.DictReader(io.StringIO(to_csv(checks))))
    assert len(rows) == len(checks)
    assert rows[0]["due"] == checks[0].due.isoformat() and rows[0]["item"] == checks[0].item.id


def test_ics_export_groups_by_area_and_period(catalog):
    firm = profile()
    checks = due_checks(catalog, firm, 2026)
    ics = to_ics(checks, catalog, firm, stamp=dt.datetime(2026, 11, 24, tzinfo=dt.UTC))
    parsed = Calendar.from_ical(ics)
    events = list(parsed.walk("VEVENT"))
    listed = sum(len(str(e["description"]).splitlines()) for e in events)
    assert listed == len(checks)
    uids = [str(e["uid"]) for e in events]
    assert len(uids) == len(set(uids))
    access = next(e for e in events if str(e["uid"]).startswith("04595257-CC-18000-2026-03"))
    assert access.decoded("dtstart") == dt.date(2026, 3, 31)
    assert "存取控制" in str(access["summary"])
    assert len(list(access.walk("VALARM"))) == 1
