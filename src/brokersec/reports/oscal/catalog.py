"""The regulation as an OSCAL catalog.

Mapping (docs/oscal.md): areas and sub-areas (ids without a dot) become ``group``s; headed groups
become ``control``s of class ``heading`` holding their items as sub-controls; every inspection item
(an assessable node, 查核項目) is a ``control`` of class ``inspection-item`` with the item's id
(``CC-18000.3.e``), so a profile selects and an assessment finding targets exactly what an
inspection records a result for. Headings are controls because OSCAL's JSON schema lets a group
hold sub-groups or controls but never both, and several areas mix plain items with headed groups.

Each control has a ``statement`` part with the zh-TW text verbatim (the authoritative text) and,
inside it, a ``translation`` part (brokersec namespace, ``lang=en``) with the English; the evidence
an inspector asks to see is an ``assessment-method`` part (EXAMINE) with ``assessment-objects``.
Inherited properties (frequency, channels, conditions, effective date …) are resolved and written
on every control as props in the brokersec namespace, so a reader needs no tree walk.
"""

from __future__ import annotations

from typing import Any

from brokersec.catalog.models import Catalog, Item
from brokersec.reports.oscal.common import (
    NS,
    as_datetime,
    bilingual,
    item_label,
    metadata,
    one_line,
    prop,
    role_list,
    stable_uuid,
    statement_id,
    wrap,
)

ISSUERS = {"twse": ("臺灣證券交易所", "Taiwan Stock Exchange (TWSE)")}


def _translation(owner_id: str, en: str | None, suffix: str = "en") -> list[dict[str, Any]]:
    if not en or not en.strip():
        return []
    return [
        {
            "id": f"{owner_id}.{suffix}",
            "name": "translation",
            "ns": NS,
            "props": [prop("lang", "en")],
            "prose": en.strip(),
        }
    ]


def _item_props(item: Item, order: dict[str, int]) -> list[dict[str, Any]]:
    props = [prop("label", item_label(item.id), ns=None), prop("sort-id", f"{order[item.id]:04d}", ns=None)]
    if item.title_en:
        props.append(prop("title_en", item.title_en))
    if item.frequency:
        props.append(prop("frequency", item.frequency))
    if item.channel_restricted:
        props.extend(prop("channel", c) for c in item.channels)
    props.extend(prop("condition", c) for c in item.conditions)
    if item.effective_from:
        props.append(prop("effective_from", item.effective_from.isoformat()))
    for m in item.milestones:
        props.append(prop("milestone", m.date.isoformat(), remarks=bilingual(m.what_zh, m.what_en)))
    if item.assessable:
        props.append(prop("tier_dependent", item.tier_dependent))
    for t in item.tier_requirements:
        props.append(
            prop(
                "tier_requirement",
                f"tier-{t.tier}:{'applicable' if t.applicable else 'not-applicable'}",
                cls=t.frequency,
                remarks=bilingual(t.text_zh, t.text_en),
            )
        )
    if item.max_evidence_age_days:
        props.append(prop("max_evidence_age_days", item.max_evidence_age_days))
    if item.retention_years:
        props.append(prop("retention_years", item.retention_years))
    if item.deduction_grade:
        props.append(prop("deduction_grade", item.deduction_grade))
    return props


def _text_parts(item: Item) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    if item.text_zh:
        smt = statement_id(item.id)
        part: dict[str, Any] = {"id": smt, "name": "statement", "prose": item.text_zh.strip()}
        if tr := _translation(smt, item.text_en):
            part["parts"] = tr
        parts.append(part)
    for name, zh, en in (
        ("scope-note", item.scope_note_zh, item.scope_note_en),
        ("effective-remark", item.effective_remark_zh, item.effective_remark_en),
    ):
        if zh or en:
            pid = f"{item.id}_{name}"
            part = {"id": pid, "name": name, "ns": NS, "prose": (zh or en or "").strip()}
            if zh and (tr := _translation(pid, en)):
                part["parts"] = tr
            parts.append(part)
    return parts


def _evidence_part(item: Item) -> list[dict[str, Any]]:
    if not item.evidence:
        return []
    pid = f"{item.id}_asm-examine"
    objects = {
        "id": f"{pid}_obj",
        "name": "assessment-objects",
        "prose": "\n".join(f"- {e.zh}" for e in item.evidence),
        "parts": _translation(f"{pid}_obj", "\n".join(f"- {e.en}" for e in item.evidence)),
    }
    return [
        {
            "id": pid,
            "name": "assessment-method",
            "props": [prop("method", "EXAMINE", ns=None)],
            "parts": [objects],
        }
    ]


def is_group(catalog: Catalog, item: Item) -> bool:
    """Areas and sub-areas (ids without a dot) are groups; headings and items are controls.

    OSCAL's JSON schema lets a group hold sub-groups or controls but not both, so a coded node is a
    group only when its children are all of one kind; anything else nests as controls.
    """
    if item.assessable or "." in item.id:
        return False
    if item.parent is not None and not is_group(catalog, catalog.get(item.parent)):
        return False
    return len({"." in child for child in item.children}) == 1


def _control(catalog: Catalog, item: Item, order: dict[str, int]) -> dict[str, Any]:
    control: dict[str, Any] = {
        "id": item.id,
        "class": "inspection-item" if item.assessable else "heading",
        "title": one_line(item.title_zh) or item_label(item.id),
        "props": _item_props(item, order),
    }
    parts = _text_parts(item) + _evidence_part(item)
    if parts:
        control["parts"] = parts
    if item.children:
        control["controls"] = [_control(catalog, catalog.get(c), order) for c in item.children]
    return control


def _group(catalog: Catalog, item: Item, order: dict[str, int]) -> dict[str, Any]:
    group: dict[str, Any] = {
        "id": item.id,
        "class": "area" if item.parent is None else "sub-area",
        "title": one_line(item.title_zh) or item_label(item.id),
        "props": _item_props(item, order),
    }
    if parts := _text_parts(item):
        group["parts"] = parts
    children = [catalog.get(c) for c in item.children]
    if is_group(catalog, children[0]):
        group["groups"] = [_group(catalog, c, order) for c in children]
    else:
        group["controls"] = [_control(catalog, c, order) for c in children]
    return group


def catalog_document(catalog: Catalog) -> dict[str, Any]:
    """The regulation version ``catalog`` as an OSCAL catalog (a JSON-ready dict)."""
    reg = catalog.regulation
    published = as_datetime(reg.published)
    assert published is not None
    issuer_zh, issuer_en = ISSUERS.get(reg.issuer, (reg.issuer, reg.issuer))
    issuer = {
        "uuid": stable_uuid("party", "issuer", reg.issuer),
        "type": "organization",
        "name": issuer_zh,
        "short-name": reg.issuer.upper(),
        "props": [prop("name_en", issuer_en)],
    }
    props = [
        prop("regulation_id", reg.id),
        prop("title_en", reg.title_en),
        prop("issuer", reg.issuer),
        prop("assessable_items", len(catalog.assessable())),
    ]
    props.extend(
        prop("condition_definition", key, remarks=bilingual(spec.zh, spec.en))
        for key, spec in catalog.conditions.items()
    )
    order = {item_id: n for n, item_id in enumerate(catalog.items, start=1)}
    groups, controls = [], []
    for area in catalog.areas():
        if not is_group(catalog, area):
            controls.append(_control(catalog, area, order))
        else:
            groups.append(_group(catalog, area, order))
    source_uuid = stable_uuid("catalog", reg.id, "source")
    body: dict[str, Any] = {
        "metadata": metadata(
            reg.title_zh,
            published=published,
            last_modified=published,
            version=reg.id,
            props=props,
            roles=role_list("creator"),
            parties=[issuer],
            responsible={"creator": [issuer["uuid"]]},
            remarks=bilingual(reg.title_en, reg.notes),
        ),
    }
    if controls:
        body["controls"] = controls
    body["groups"] = groups
    body["back-matter"] = {
        "resources": [
            {
                "uuid": source_uuid,
                "title": one_line(reg.source_zh) or reg.title_zh,
                "props": [prop("type", "regulation", ns=None)],
                "citation": {"text": one_line(reg.source_en or reg.source_zh or reg.title_en)},
            }
        ]
    }
    return wrap("catalog", body, reg.id)
