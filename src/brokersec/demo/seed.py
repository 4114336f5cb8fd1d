"""Fill an empty installation with the demo firm, its people and some history.

``make run`` uses it so a newcomer sees a working system at once; the tests and the dashboard
benchmark use it to get realistic data through the real records API (every row audited), not
through fixtures that bypass the rules.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml

from brokersec import calendar as cal

PEOPLE = [
    # username, e-mail, name, job title, role
    ("inspector", "inspector@example.com.tw", "王小明", "資訊安全專員", "inspector"),
    ("reviewer", "reviewer@example.com.tw", "李美華", "資訊部經理", "reviewer"),
    ("auditor", "auditor@example.com.tw", "陳志強", "電腦稽核人員", "auditor"),
    ("executive", "executive@example.com.tw", "林總經理", "總經理", "executive"),
]


@dataclass
class Seeded:
    org_id: int
    passwords: dict[str, str] = field(default_factory=dict)
    inspections: list[int] = field(default_factory=list)


def demo_profile() -> dict[str, Any]:
    return yaml.safe_load((resources.files("brokersec.demo") / "firm.yaml").read_text(encoding="utf-8"))


def seed(
    records: Any,
    today: dt.date,
    *,
    months: int = 3,
    admin_password: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Seeded:
    """Create the demo firm with an admin and four colleagues, and ``months`` of finished monthly
    inspections (plus the half-years and years they span) before the current month."""
    _admin, admin_pw = records.create_user("admin", "admin@example.com.tw", "張資安長", "資安長", admin_password)
    me = records.as_user("admin")
    org = me.create_org(demo_profile())
    out = Seeded(org["id"], {"admin": admin_pw or admin_password or ""})
    for username, email, name, title, role in PEOPLE:
        _, pw = me.create_user(username, email, name, title)
        me.add_member(org["id"], username, role)
        out.passwords[username] = pw or ""
    inspector, reviewer = records.as_user("inspector"), records.as_user("reviewer")
    rng = random.Random(20201211)
    periods: list[cal.Period] = []
    month = cal.period_for(today, "monthly")
    for _ in range(months):
        month = month.previous()
        periods.append(month)
        for freq in ("semiannual", "annual"):
            p = cal.period_for(month.start, freq)  # type: ignore[arg-type]
            if p.end < today and p not in periods:
                periods.append(p)
    periods.sort(key=lambda p: (p.start, p.end))
    for n, period in enumerate(periods, 1):
        ins = inspector.start_inspection(org["id"], period.id)
        out.inspections.append(ins["id"])
        items = [row for row in records.get_inspection(ins["id"])["items"] if row["applicable"]]
        for row in items:
            roll = rng.random()
            status = "conform" if roll < 0.9 else "partial" if roll < 0.96 else "nonconform"
            note = "" if status == "conform" else "抽查發現部分紀錄未留存"
            result = inspector.record_result(ins["id"], row["item"], status, note=note)
            reviewer.approve(result["id"])
        if progress:
            progress(n, len(periods))
    return out
