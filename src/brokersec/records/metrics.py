"""Counts for dashboards and reports, computed in a few set queries rather than per inspection.

A firm with five years of monthly history has some 75 inspections and thousands of results; asking
each inspection for its checklist would take seconds, so the dashboard reads here instead.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from brokersec.records.core import _Core
from brokersec.records.models import Inspection, Result, ScopeItem

ASSESSED = ("conform", "partial", "nonconform")


def compliance_rate(counts: dict[str, int]) -> float | None:
    """Share of assessed items (conform, partial, nonconform) that conform; None before any is assessed."""
    assessed = sum(counts.get(s, 0) for s in ASSESSED)
    return counts.get("conform", 0) / assessed if assessed else None


class Metrics(_Core):
    def inspection_stats(self, org: int | str) -> list[dict[str, Any]]:
        """Every inspection of a firm with result counts overall and per control area, oldest first."""
        with self._read() as s:
            o = self._org(s, org)
            inspections = (
                s.execute(
                    select(Inspection).where(Inspection.org_id == o.id).order_by(Inspection.period_start, Inspection.id)
                )
                .scalars()
                .all()
            )
            applicable = dict(
                s.execute(
                    select(ScopeItem.inspection_id, func.count())
                    .join(Inspection, Inspection.id == ScopeItem.inspection_id)
                    .where(Inspection.org_id == o.id, ScopeItem.applicable)
                    .group_by(ScopeItem.inspection_id)
                ).all()
            )
            later = aliased(Result)
            rows = s.execute(
                select(Result.inspection_id, Result.item_id, Result.status, Result.review_state)
                .join(Inspection, Inspection.id == Result.inspection_id)
                .where(Inspection.org_id == o.id, ~select(later.id).where(later.supersedes_id == Result.id).exists())
            ).all()
        counts: dict[int, Counter[str]] = defaultdict(Counter)
        approved: Counter[int] = Counter()
        areas: dict[int, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
        for inspection_id, item_id, status, review_state in rows:
            counts[inspection_id][status] += 1
            areas[inspection_id][item_id.split(".", 1)[0]][status] += 1
            approved[inspection_id] += review_state == "approved"
        out = []
        for ins in inspections:
            c = dict(counts[ins.id])
            out.append(
                {
                    "id": ins.id,
                    "period_id": ins.period_id,
                    "frequency": ins.frequency,
                    "period_start": ins.period_start.isoformat(),
                    "period_end": ins.period_end.isoformat(),
                    "due": ins.due.isoformat(),
                    "applicable": applicable.get(ins.id, 0),
                    "recorded": sum(v for k, v in c.items() if k != "not_checked"),
                    "approved": approved[ins.id],
                    "counts": c,
                    "rate": compliance_rate(c),
                    "areas": {
                        code: {**dict(ac), "rate": compliance_rate(dict(ac))}
                        for code, ac in sorted(areas[ins.id].items())
                    },
                }
            )
        return out
