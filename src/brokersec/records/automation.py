"""Recording an automated check run against an inspection.

The checks themselves are pure and never see the database; this adapter takes their report and
(1) keeps the artifacts they read and the report itself in the vault as automated evidence, linked to
the inspection's items the run speaks for, and (2) proposes a result for each such item that has none
yet. A proposal is an ordinary pending result: a reviewer still signs it off, and a result a person
already recorded is never overwritten unless asked.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

from brokersec.records.core import _Core

# how verdicts on one item combine: any fail wins; all pass is conform; errors and n/a propose nothing
_DECIDING = ("fail", "pass")


def proposals(results: list[dict[str, Any]]) -> dict[str, tuple[str, str]]:
    """item -> (status, note) from check verdicts (``RunReport.to_dict()['results']``)."""
    by_item: dict[str, list[dict[str, Any]]] = {}
    for r in results:
        for item in r["items"]:
            by_item.setdefault(item, []).append(r)
    out: dict[str, tuple[str, str]] = {}
    for item, verdicts in by_item.items():
        statuses = {v["status"] for v in verdicts}
        if "fail" in statuses:
            status = "nonconform"
        elif statuses == {"pass"}:
            status = "conform"
        else:
            continue
        lines = [
            f"{v['check']} [{v['subject']}] {v['status']}: {v['details'].get('summary', '')}"
            for v in verdicts
            if v["status"] in _DECIDING
        ]
        out[item] = (status, "自動化檢查 automated check\n" + "\n".join(lines)[:4000])
    return out


class Automation(_Core):
    def record_check_run(
        self,
        inspection: int | str,
        report: dict[str, Any],
        artifacts: list[tuple[Path, str]],
        *,
        org: int | str | None = None,
        overwrite: bool = False,
    ) -> dict[str, Any]:
        """Store ``artifacts`` (path, name in the bundle) and the report as evidence; propose results."""
        ins = self.get_inspection(inspection, org)  # type: ignore[attr-defined]
        in_scope = {row["item"] for row in ins["items"] if row["applicable"]}
        current = {row["item"]: row["result"] for row in ins["items"]}
        reported = {i for r in report["results"] for i in r["items"]}
        items = sorted(reported & in_scope)
        as_of = dt.date.fromisoformat(report["as_of"])
        links = [(ins["id"], item) for item in items]
        stored = []
        for path, name in artifacts:
            ev = self.add_evidence(  # type: ignore[attr-defined]
                ins["org_id"], path, collected_at=as_of, original_name=name, source="automated",
                description="artifact read by an automated check run", links=links,
            )  # fmt: skip
            stored.append(ev["id"])
        body = json.dumps(report, ensure_ascii=False, indent=2).encode("utf-8")
        ev = self.add_evidence(  # type: ignore[attr-defined]
            ins["org_id"], io.BytesIO(body), collected_at=as_of, original_name=f"check-run-{as_of.isoformat()}.json",
            media_type="application/json", source="automated", description="automated check report", links=links,
        )  # fmt: skip
        stored.append(ev["id"])
        proposed, kept = [], []
        for item, (status, note) in sorted(proposals(report["results"]).items()):
            if item not in in_scope:
                continue
            if current.get(item) is not None and not overwrite:
                kept.append(item)
                continue
            r = self.record_result(ins["id"], item, status, note=note)  # type: ignore[attr-defined]
            proposed.append({"item": item, "status": status, "result_id": r["id"]})
        return {
            "inspection": ins["id"],
            "evidence": stored,
            "linked_items": items,
            "proposed": proposed,
            "kept_existing": kept,
            "outside_scope": sorted(reported - in_scope),
        }
