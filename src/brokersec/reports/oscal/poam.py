"""A firm's findings (缺失) as an OSCAL plan of action and milestones (POA&M).

Each finding becomes three linked objects: an OSCAL ``finding`` (same UUID as the finding of its
item in the inspection's assessment-results, so the two documents join), a ``risk`` that carries
the severity, the follow-up status, the deadline, the recommendation and remediation plan
(``remediations``) and the history (``risk-log``), and a ``poam-item`` that ties them together
with the brokersec fields (owner, due date, overdue days, repeat finding) as props.

Follow-up status → risk status: open → open, in_progress and remediated (awaiting verification)
→ remediating, verified → closed, accepted_risk → deviation-approved.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from brokersec.calendar import parse_period
from brokersec.catalog.models import Catalog
from brokersec.errors import InputError, Problem
from brokersec.reports.oscal.assessment_results import evidence_resource, relevant_evidence
from brokersec.reports.oscal.common import (
    NS,
    as_datetime,
    bilingual,
    firm_party,
    item_label,
    latest,
    metadata,
    person_party,
    prop,
    role_list,
    stable_uuid,
    statement_id,
    wrap,
)

RISK_STATUS = {
    "open": "open",
    "in_progress": "remediating",
    "remediated": "remediating",
    "verified": "closed",
    "accepted_risk": "deviation-approved",
}
STATUS_LABELS = {
    "open": ("未改善", "open"),
    "in_progress": ("改善中", "in progress"),
    "remediated": ("已改善待驗證", "remediated, awaiting verification"),
    "verified": ("已驗證結案", "verified"),
    "accepted_risk": ("風險接受", "risk accepted"),
}


def _frequency(period: str | None) -> str:
    try:
        return parse_period(period or "").frequency
    except InputError:
        return ""


def _log(uuid: str, title: str, start: str | None, status: str, remarks: str = "") -> list[dict[str, Any]]:
    if not start:
        return []
    entry: dict[str, Any] = {"uuid": uuid, "title": title, "start": as_datetime(start), "status-change": status}
    if remarks.strip():
        entry["remarks"] = remarks.strip()
    return [entry]


def poam_document(
    org: dict[str, Any],
    findings: list[dict[str, Any]],
    catalog: Catalog,
    *,
    as_of: dt.date,
    evidence: dict[int, dict[str, Any]] | None = None,
    firm_name_en: str = "",
) -> dict[str, Any]:
    """``findings`` (``Records.list_findings``) of ``org`` as a POA&M as of ``as_of``.

    ``evidence`` (evidence rows by id, from ``Records.list_evidence``) adds the remediation evidence
    linked to each finding, with its SHA-256. OSCAL needs at least one POA&M item: no findings is an
    ``InputError``.
    """
    if not findings:
        raise InputError(
            Problem(
                f"{org['name']} has no findings to put in a POA&M (OSCAL requires at least one poam-item)",
                field="findings",
            )
        )
    tax_id = org["tax_id"]
    evidence = evidence or {}
    firm = firm_party(org, firm_name_en)
    firm_actor = {"type": "party", "actor-uuid": firm["uuid"], "role-id": "assessed-organization"}
    owners: dict[str, dict[str, Any]] = {}
    resources: dict[int, dict[str, Any]] = {}
    observations, risks, oscal_findings, items = [], [], [], []
    stamps: list[str | None] = []

    for f in sorted(findings, key=lambda f: f["id"]):
        fid = f["id"]
        item_id = f["item_id"]
        label = item_label(item_id)
        status = f["status"]
        status_zh, status_en = STATUS_LABELS.get(status, (status, status))
        stamps += [f.get("opened_at"), f.get("remediated_at"), f.get("verified_at"), f.get("accepted_at")]
        finding_uuid = stable_uuid("finding", tax_id, f.get("period"), _frequency(f.get("period")), item_id)
        risk_uuid = stable_uuid("risk", tax_id, fid)
        owner = f.get("owner")
        owner_uuid = stable_uuid("party", "user", owner["username"]) if owner else None
        if owner:
            owners.setdefault(owner["username"], owner)

        period_prop = [prop("period_id", f["period"])] if f.get("period") else []
        obs_refs: list[dict[str, str]] = []
        linked = [evidence[i] for i in f.get("evidence_ids") or [] if i in evidence]
        if linked:
            obs_uuid = stable_uuid("observation", tax_id, "finding", fid)
            for ev in linked:
                resources.setdefault(ev["id"], evidence_resource(tax_id, ev))
            observations.append(
                {
                    "uuid": obs_uuid,
                    "title": f"{label} 改善佐證",
                    "description": bilingual(
                        f"缺失 #{fid} 之改善佐證資料", f"Evidence of the remediation of finding #{fid}"
                    ),
                    "props": [prop("finding_id", fid), prop("item", item_id)],
                    "methods": ["EXAMINE"],
                    "types": ["mitigation"],
                    "relevant-evidence": [relevant_evidence(tax_id, ev) for ev in linked],
                    "collected": latest(
                        [ev.get("uploaded_at") or ev.get("collected_at") for ev in linked],
                        as_datetime(f["opened_at"]) or "",
                    ),
                }
            )
            obs_refs = [{"observation-uuid": obs_uuid}]

        has_statement = item_id in catalog and bool(catalog.get(item_id).text_zh)
        oscal_findings.append(
            {
                "uuid": finding_uuid,
                "title": f"{label} 缺失",
                "description": f["description"].strip() or f"{label} 缺失",
                "props": [prop("item", item_id), *period_prop, prop("finding_id", fid)],
                "target": {
                    "type": "statement-id" if has_statement else "objective-id",
                    "target-id": statement_id(item_id) if has_statement else item_id,
                    "title": label,
                    "status": {"state": "not-satisfied"},
                },
                **({"related-observations": obs_refs} if obs_refs else {}),
                "related-risks": [{"risk-uuid": risk_uuid}],
            }
        )

        remediations: list[dict[str, Any]] = []
        if (f.get("recommendation") or "").strip():
            remediations.append(
                {
                    "uuid": stable_uuid("response", tax_id, fid, "recommendation"),
                    "lifecycle": "recommendation",
                    "title": "改善建議",
                    "description": f["recommendation"].strip(),
                }
            )
        if (f.get("remediation_plan") or "").strip() or f.get("due_date") or owner:
            planned: dict[str, Any] = {
                "uuid": stable_uuid("response", tax_id, fid, "plan"),
                "lifecycle": "planned",
                "title": "改善計畫",
                "description": (f.get("remediation_plan") or "").strip() or "（尚未填寫改善計畫）",
            }
            if f.get("due_date"):
                task: dict[str, Any] = {
                    "uuid": stable_uuid("task", tax_id, fid, "due"),
                    "type": "milestone",
                    "title": "改善完成期限",
                    "timing": {"on-date": {"date": as_datetime(f["due_date"], end_of_day=True)}},
                }
                if owner_uuid:
                    task["responsible-roles"] = [{"role-id": "owner", "party-uuids": [owner_uuid]}]
                planned["tasks"] = [task]
            remediations.append(planned)
        if f.get("remediated_at"):
            remediations.append(
                {
                    "uuid": stable_uuid("response", tax_id, fid, "completed"),
                    "lifecycle": "completed",
                    "title": "改善完成",
                    "description": (f.get("remediation_note") or "").strip() or "已改善",
                    "props": [prop("remediated_at", as_datetime(f["remediated_at"]))],
                }
            )

        entries = (
            _log(stable_uuid("risk-log", tax_id, fid, "opened"), "開立缺失", f.get("opened_at"), "open")
            + _log(
                stable_uuid("risk-log", tax_id, fid, "remediated"),
                "完成改善",
                f.get("remediated_at"),
                "remediating",
                f.get("remediation_note") or "",
            )
            + _log(stable_uuid("risk-log", tax_id, fid, "verified"), "驗證結案", f.get("verified_at"), "closed")
            + _log(
                stable_uuid("risk-log", tax_id, fid, "accepted"),
                "風險接受",
                f.get("accepted_at"),
                "deviation-approved",
                f.get("acceptance_reason") or "",
            )
        )
        risk: dict[str, Any] = {
            "uuid": risk_uuid,
            "title": f"{label} {f['severity']}",
            "description": f["description"].strip() or f"{label} 缺失",
            "statement": bilingual(
                f"{label} 查核缺失（{f.get('period') or ''}），嚴重度 {f['severity']}，狀態 {status_zh}。",
                f"Finding on {label} ({f.get('period') or ''}), severity {f['severity']}, status {status_en}.",
            ),
            "props": [prop("finding_id", fid), prop("severity", f["severity"]), prop("finding_status", status)],
            "status": RISK_STATUS.get(status, "open"),
            "characterizations": [
                {
                    "origin": {"actors": [firm_actor]},
                    "facets": [{"name": "severity", "system": NS, "value": f["severity"]}],
                }
            ],
        }
        if f.get("due_date"):
            risk["deadline"] = as_datetime(f["due_date"], end_of_day=True)
        if remediations:
            risk["remediations"] = remediations
        if entries:
            risk["risk-log"] = {"entries": entries}
        if obs_refs:
            risk["related-observations"] = obs_refs
        risks.append(risk)

        props = [
            prop("finding_id", fid),
            prop("item", item_id),
            *period_prop,
            prop("severity", f["severity"]),
            prop("finding_status", status),
            prop("age_days", f.get("age_days", 0)),
            prop("overdue_days", f.get("overdue_days", 0)),
        ]
        if f.get("due_date"):
            props.append(prop("due_date", f["due_date"]))
        if owner:
            props.append(prop("owner", owner["username"]))
        if f.get("repeat_of_id"):
            props.append(prop("repeat_of", f["repeat_of_id"]))
        poam_item: dict[str, Any] = {
            "uuid": stable_uuid("poam-item", tax_id, fid),
            "title": f"{label} 缺失改善（{status_zh}）",
            "description": f["description"].strip() or f"{label} 缺失",
            "props": props,
            "related-findings": [{"finding-uuid": finding_uuid}],
        }
        if obs_refs:
            poam_item["related-observations"] = obs_refs
        poam_item["related-risks"] = [{"risk-uuid": risk_uuid}]
        if (f.get("recommendation") or "").strip():
            poam_item["remarks"] = f["recommendation"].strip()
        items.append(poam_item)

    parties = [firm] + [person_party(owners[u], firm["uuid"]) for u in sorted(owners)]
    body: dict[str, Any] = {
        "metadata": metadata(
            f"{org['name']} 缺失改善計畫（POA&M）",
            last_modified=latest(stamps, as_datetime(as_of) or ""),
            version=as_of.isoformat(),
            props=[prop("tax_id", tax_id), prop("as_of", as_of.isoformat()), prop("findings", len(findings))],
            roles=role_list("assessed-organization", "owner"),
            parties=parties,
            responsible={
                "assessed-organization": [firm["uuid"]],
                "owner": [stable_uuid("party", "user", u) for u in sorted(owners)],
            },
        ),
        "system-id": {"identifier-type": f"{NS}/tax-id", "id": tax_id},
    }
    if observations:
        body["observations"] = observations
    body["risks"] = risks
    body["findings"] = oscal_findings
    body["poam-items"] = items
    if resources:
        body["back-matter"] = {"resources": [resources[k] for k in sorted(resources)]}
    return wrap("plan-of-action-and-milestones", body, tax_id)
