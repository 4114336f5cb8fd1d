"""A firm's scope as an OSCAL profile.

The profile imports the catalog by ``href`` and includes exactly the applicable inspection items
(plus the headings above them, so the resolved catalog keeps the regulation's structure). Every
scoping decision keeps its reasons: the reasons an item applies are added to the control by
``modify/alters`` (props ``applicability_reason``), and every excluded item is also named in
``exclude-controls`` with its reasons as ``not_applicable`` props (zh-TW and English in the remarks)
on the profile's metadata, because OSCAL's control selection itself has no place for a reason.
"""

from __future__ import annotations

from typing import Any

from brokersec.catalog.models import Catalog
from brokersec.profile import FirmProfile
from brokersec.reports.oscal.common import (
    as_datetime,
    bilingual,
    firm_party,
    metadata,
    prop,
    role_list,
    wrap,
)
from brokersec.scoping import Scope


def default_catalog_href(catalog_version: str) -> str:
    """Where a profile looks for its catalog unless told otherwise: the file ``report oscal catalog`` suggests."""
    return f"{catalog_version}.oscal-catalog.json"


def _reason_props(name: str, item_id: str, reasons: list[dict[str, str]]) -> list[dict[str, Any]]:
    return [prop(name, item_id, cls=r["code"], remarks=bilingual(r["zh"], r["en"])) for r in reasons]


def profile_document(
    catalog: Catalog,
    scope: Scope,
    firm: FirmProfile,
    *,
    catalog_href: str | None = None,
) -> dict[str, Any]:
    """The scope of one firm on ``scope.on`` as an OSCAL profile of ``catalog``."""
    href = catalog_href or default_catalog_href(catalog.version)
    applicable = scope.applicable_ids()
    included: list[str] = []
    seen: set[str] = set()
    for item_id in applicable:
        for node in [*catalog.ancestors(item_id), catalog.get(item_id)]:
            # Areas and sub-areas are groups, kept by ``merge/as-is``; headings are controls.
            if "." in node.id and node.id not in seen:
                seen.add(node.id)
                included.append(node.id)
    excluded = scope.excluded()
    firm_dict = {"name": firm.name, "tax_id": firm.tax_id}
    party = firm_party(firm_dict, firm.name_en)
    props = [
        prop("catalog_version", catalog.version),
        prop("scoped_on", scope.on.isoformat()),
        prop("security_tier", firm.security_tier),
        prop("brokerage", firm.brokerage),
        *(prop("channel", c) for c in firm.channels),
        *(prop("flag", f"{key}={str(value).lower()}") for key, value in sorted(firm.flags.items())),
        prop("applicable_items", len(applicable)),
        prop("not_applicable_items", len(excluded)),
    ]
    for entry in excluded:
        props.extend(
            _reason_props(
                "not_applicable", entry.item.id, [{"code": r.code, "zh": r.zh, "en": r.en} for r in entry.reasons]
            )
        )
    on = as_datetime(scope.on)
    assert on is not None
    imp: dict[str, Any] = {"href": href, "include-controls": [{"with-ids": included}]}
    if excluded:
        imp["exclude-controls"] = [{"with-ids": [e.item.id for e in excluded]}]
    alters = [
        {
            "control-id": entry.item.id,
            "adds": [
                {
                    "position": "ending",
                    "props": _reason_props(
                        "applicability_reason",
                        entry.item.id,
                        [{"code": r.code, "zh": r.zh, "en": r.en} for r in entry.reasons],
                    ),
                }
            ],
        }
        for entry in scope.applicable()
        if entry.reasons
    ]
    body: dict[str, Any] = {
        "metadata": metadata(
            f"{firm.name} 適用查核項目（{catalog.version}，{scope.on.isoformat()}）",
            last_modified=on,
            version=f"{catalog.version}/{firm.tax_id}/{scope.on.isoformat()}",
            props=props,
            roles=role_list("assessed-organization"),
            parties=[party],
            responsible={"assessed-organization": [party["uuid"]]},
            remarks=bilingual(
                f"{firm.name}依{catalog.regulation.title_zh}（{catalog.version}）於 {scope.on.isoformat()} 之適用範圍："
                f"適用 {len(applicable)} 項，不適用 {len(excluded)} 項。",
                f"Scope of {firm.name_en or firm.name} under {catalog.regulation.title_en} ({catalog.version}) "
                f"on {scope.on.isoformat()}: {len(applicable)} items apply, {len(excluded)} do not.",
            ),
        ),
        "imports": [imp],
        "merge": {"as-is": True},
    }
    if alters:
        body["modify"] = {"alters": alters}
    return wrap("profile", body, catalog.version, firm.tax_id, scope.on.isoformat())
