"""An inspection as OSCAL assessment-results.

One ``result`` per inspection (a firm, a period, a frequency). Its ``reviewed-controls`` are the
items frozen into the inspection's scope: applicable ones included, excluded ones listed with
their reasons. Every applicable item gets a ``finding`` whose target is the item's statement in
the catalog (``CC-18000.3.e_smt``) and whose objective status carries the result:

====================  =================  ==========
brokersec result      state              reason
====================  =================  ==========
conform 符合          satisfied          pass
nonconform 不符合     not-satisfied      fail
partial 部分符合      not-satisfied      other
not_applicable 不適用 satisfied          other
not_checked 未查核    not-satisfied      other
(none recorded)       not-satisfied      other
====================  =================  ==========

The exact result is also a ``result`` prop in the brokersec namespace, so nothing is lost where
OSCAL's two states are coarser. A recorded result is an ``observation`` (method EXAMINE) made by the
inspector and signed off by the reviewer (origin actors with roles ``inspector`` and ``reviewer``),
its note as description and its evidence as ``relevant-evidence`` pointing at back-matter
resources that carry each file's SHA-256.
"""

from __future__ import annotations

from typing import Any

from brokersec.catalog.models import FREQUENCY_LABELS, Catalog
from brokersec.reports.oscal.common import (
    RESULT_LABELS,
    as_datetime,
    bilingual,
    firm_party,
    item_label,
    latest,
    metadata,
    one_line,
    person_party,
    prop,
    role_list,
    stable_uuid,
    statement_id,
    wrap,
)

STATUS_MAP: dict[str, tuple[str, str]] = {
    "conform": ("satisfied", "pass"),
    "nonconform": ("not-satisfied", "fail"),
    "partial": ("not-satisfied", "other"),
    "not_applicable": ("satisfied", "other"),
    "not_checked": ("not-satisfied", "other"),
}


def objective_status(result: str) -> dict[str, str]:
    """OSCAL ``objective-status`` (state and reason) for a brokersec result."""
    state, reason = STATUS_MAP[result]
    return {"state": state, "reason": reason}


def evidence_resource(tax_id: str, ev: dict[str, Any]) -> dict[str, Any]:
    """An evidence file as a back-matter resource: name, dates and the SHA-256 of its content.

    The link is content-addressed (``evidence/<sha256>``), the way the evidence vault stores it, so
    a reader holding the files can match each one by hash whatever it was renamed to.
    """
    props = [
        prop("type", "evidence", ns=None),
        prop("evidence_id", ev["id"]),
        prop("sha256", ev["sha256"]),
        prop("size", ev.get("size", 0)),
    ]
    if ev.get("collected_at"):
        props.append(prop("collected_at", str(ev["collected_at"])[:10]))
    if ev.get("source"):
        props.append(prop("source", ev["source"]))
    resource: dict[str, Any] = {
        "uuid": stable_uuid("evidence", tax_id, ev["id"]),
        "title": one_line(ev.get("original_name")) or f"evidence {ev['id']}",
        "props": props,
    }
    if (ev.get("description") or "").strip():
        resource["description"] = ev["description"].strip()
    resource["rlinks"] = [
        {
            "href": f"evidence/{ev['sha256']}",
            "media-type": ev.get("media_type") or "application/octet-stream",
            "hashes": [{"algorithm": "SHA-256", "value": ev["sha256"]}],
        }
    ]
    return resource


def relevant_evidence(tax_id: str, ev: dict[str, Any]) -> dict[str, Any]:
    return {
        "href": f"#{stable_uuid('evidence', tax_id, ev['id'])}",
        "description": f"{one_line(ev.get('original_name')) or ev['id']} (SHA-256 {ev['sha256']})",
        "props": [prop("sha256", ev["sha256"])],
    }


def _actor(person: dict[str, Any] | None, role: str) -> list[dict[str, Any]]:
    if not person:
        return []
    return [{"type": "party", "actor-uuid": stable_uuid("party", "user", person["username"]), "role-id": role}]


def assessment_results_document(
    inspection: dict[str, Any],
    org: dict[str, Any],
    catalog: Catalog,
    *,
    findings: list[dict[str, Any]] | None = None,
    firm_name_en: str = "",
) -> dict[str, Any]:
    """``inspection`` (``Records.get_inspection``) of ``org`` (``Records.get_org``) as assessment-results.

    ``findings`` (``Records.list_findings``) adds each deficiency's id, severity and follow-up status
    to the finding of its item.
    """
    tax_id = org["tax_id"]
    subject = (tax_id, inspection["period_id"], inspection["frequency"])
    freq_zh, freq_en = FREQUENCY_LABELS.get(inspection["frequency"], (inspection["frequency"],) * 2)
    firm = firm_party(org, firm_name_en)
    deficiencies = {f["item_id"]: f for f in findings or [] if f.get("inspection_id") == inspection["id"]}

    people: dict[str, dict[str, Any]] = {}
    inspectors: list[str] = []
    reviewers: list[str] = []
    resources: dict[Any, dict[str, Any]] = {}
    include: list[dict[str, str]] = []
    exclude: list[dict[str, str]] = []
    exclusion_props: list[dict[str, Any]] = []
    observations: list[dict[str, Any]] = []
    oscal_findings: list[dict[str, Any]] = []
    stamps: list[str | None] = [inspection.get("started_at")]

    for row in inspection["items"]:
        item_id = row["item"]
        label = item_label(item_id)
        if not row["applicable"]:
            exclude.append({"control-id": item_id})
            exclusion_props.extend(
                prop("not_applicable", item_id, cls=r["code"], remarks=bilingual(r["zh"], r["en"]))
                for r in row.get("reasons") or []
            )
            continue
        include.append({"control-id": item_id})
        res = row.get("result")
        status = res["status"] if res else "not_checked"
        zh, en = RESULT_LABELS[status]
        props = [prop("item", item_id), prop("result", status)]
        related: list[dict[str, str]] = []
        origins: list[dict[str, Any]] = []
        if res:
            stamps += [res.get("recorded_at"), res.get("reviewed_at")]
            actors = _actor(res.get("inspector"), "inspector") + _actor(res.get("reviewer"), "reviewer")
            for person, bucket in ((res.get("inspector"), inspectors), (res.get("reviewer"), reviewers)):
                if person:
                    people.setdefault(person["username"], person)
                    if person["username"] not in bucket:
                        bucket.append(person["username"])
            props.append(prop("review_state", res.get("review_state") or "pending"))
            if res.get("reviewed_at"):
                props.append(prop("reviewed_at", as_datetime(res["reviewed_at"])))
            obs_uuid = stable_uuid("observation", *subject, item_id, res["id"])
            obs: dict[str, Any] = {
                "uuid": obs_uuid,
                "title": f"{label} 查核紀錄",
                "description": (res.get("note") or "").strip() or f"查核結果：{zh}（{en}）",
                "props": [prop("item", item_id), prop("result", status), prop("result_id", res["id"])],
                "methods": ["EXAMINE"],
                "types": ["control-objective"],
            }
            if actors:
                obs["origins"] = [{"actors": actors}]
                origins = [{"actors": actors}]
            evidence = row.get("evidence") or []
            if evidence:
                obs["relevant-evidence"] = [relevant_evidence(tax_id, ev) for ev in evidence]
                for ev in evidence:
                    resources.setdefault(ev["id"], evidence_resource(tax_id, ev))
                    stamps.append(ev.get("uploaded_at"))
            obs["collected"] = as_datetime(res["recorded_at"])
            remarks = bilingual(
                f"不適用理由：{res['na_reason']}" if res.get("na_reason") else "",
                f"覆核意見：{res['review_comment']}" if res.get("review_comment") else "",
            )
            if remarks:
                obs["remarks"] = remarks
            observations.append(obs)
            related = [{"observation-uuid": obs_uuid}]
        target_status = objective_status(status)
        if status == "not_applicable" and res and res.get("na_reason"):
            target_status["remarks"] = res["na_reason"].strip()
        finding: dict[str, Any] = {
            "uuid": stable_uuid("finding", *subject, item_id),
            "title": f"{label} {zh}",
            "description": bilingual(f"查核結果：{zh}", f"Result: {en}")
            + (f"\n\n{res['note'].strip()}" if res and (res.get("note") or "").strip() else ""),
            "props": props,
        }
        if origins:
            finding["origins"] = origins
        has_statement = item_id in catalog and bool(catalog.get(item_id).text_zh)
        finding["target"] = {
            "type": "statement-id" if has_statement else "objective-id",
            "target-id": statement_id(item_id) if has_statement else item_id,
            "title": label,
            "status": target_status,
        }
        if related:
            finding["related-observations"] = related
        deficiency = deficiencies.get(item_id)
        if deficiency:
            props += [
                prop("finding_id", deficiency["id"]),
                prop("severity", deficiency["severity"]),
                prop("finding_status", deficiency["status"]),
            ]
            finding["remarks"] = bilingual(deficiency.get("description"), deficiency.get("recommendation"))
        oscal_findings.append(finding)

    parties = [firm] + [person_party(people[u], firm["uuid"]) for u in sorted(people)]
    last_modified = latest(stamps, as_datetime(inspection["period_end"], end_of_day=True) or "")
    plan_uuid = stable_uuid("assessment-plan", *subject)
    selection: dict[str, Any] = {
        "description": f"{inspection['period_id']} {freq_zh}之適用查核項目（範圍凍結於 {inspection['scoped_on']}）",
    }
    if exclusion_props:
        selection["props"] = exclusion_props
    if include:
        selection["include-controls"] = include
    if exclude:
        selection["exclude-controls"] = exclude
    result: dict[str, Any] = {
        "uuid": stable_uuid("result", *subject),
        "title": f"{org['name']} {inspection['period_id']} {freq_zh}",
        "description": bilingual(
            f"{org['name']}（統一編號 {tax_id}）{inspection['period_id']} {freq_zh}，"
            f"查核期間 {inspection['period_start']} 至 {inspection['period_end']}，依 {inspection['catalog_version']}。",
            f"{firm_name_en or org['name']} {freq_en} for {inspection['period_id']} "
            f"({inspection['period_start']} to {inspection['period_end']}) under {inspection['catalog_version']}.",
        ),
        "start": as_datetime(inspection["period_start"]),
        "end": as_datetime(inspection["period_end"], end_of_day=True),
        "props": [
            prop("period_id", inspection["period_id"]),
            prop("frequency", inspection["frequency"]),
            prop("due", inspection["due"]),
            prop("applicable_items", inspection.get("applicable", len(include))),
            prop("recorded_items", inspection.get("recorded", 0)),
            prop("approved_items", inspection.get("approved", 0)),
        ],
        "reviewed-controls": {"control-selections": [selection]},
    }
    if observations:
        result["observations"] = observations
    if oscal_findings:
        result["findings"] = oscal_findings
    body: dict[str, Any] = {
        "metadata": metadata(
            f"{org['name']} {inspection['period_id']} {freq_zh}查核結果",
            last_modified=last_modified,
            version=f"{inspection['period_id']}/{inspection['frequency']}",
            props=[
                prop("tax_id", tax_id),
                prop("catalog_version", inspection["catalog_version"]),
                prop("inspection_id", inspection["id"]),
            ],
            roles=role_list("assessed-organization", "inspector", "reviewer"),
            parties=parties,
            responsible={
                "assessed-organization": [firm["uuid"]],
                "inspector": [stable_uuid("party", "user", u) for u in inspectors],
                "reviewer": [stable_uuid("party", "user", u) for u in reviewers],
            },
        ),
        "import-ap": {"href": f"#{plan_uuid}"},
        "results": [result],
        "back-matter": {
            "resources": [
                {
                    "uuid": plan_uuid,
                    "title": f"{inspection['period_id']} {freq_zh}查核計畫",
                    "description": bilingual(
                        "brokersec 不另產生 OSCAL 評鑑計畫；本次查核之範圍即查核開始時凍結之適用項目"
                        f"（{inspection['catalog_version']}，{inspection['scoped_on']}），"
                        "可由 `brokersec report oscal profile` 匯出為 OSCAL profile。",
                        "brokersec writes no separate OSCAL assessment plan: the plan is the scope frozen "
                        f"when the inspection started ({inspection['catalog_version']}, {inspection['scoped_on']}), "
                        "exported as an OSCAL profile by `brokersec report oscal profile`.",
                    ),
                    "props": [prop("type", "plan", ns=None)],
                },
                *(resources[k] for k in sorted(resources)),
            ]
        },
    }
    return wrap("assessment-results", body, *subject)
