"""The regulation as a CISO Assistant library (YAML), so firms using that GRC tool can import it.

CISO Assistant (intuitem) reads libraries of the form ``urn / locale / ref_id / name / description /
copyright / version / publication_date / provider / packager / translations / objects.framework``,
the framework holding a flat ``requirement_nodes`` list in document order, each node with ``urn``,
``assessable``, ``depth`` (1 for top level), ``parent_urn`` (except top level), ``ref_id``,
``name`` / ``description`` and ``translations: {en: {...}}``. URNs follow its pattern
``urn:<provider>:risk:req_node:<framework>:<ref>`` in lower case.

Every catalog node becomes a requirement node (areas and headings not assessable, the 183 items
assessable); the item's frequency is its implementation group (每月 / 半年 / 年度), so an
assessment can be created for one frequency. zh-TW is the library's language, English a
translation.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from brokersec.catalog.models import CHANNEL_LABELS, FREQUENCIES, FREQUENCY_LABELS, Catalog, Item

PROVIDER = "TWSE"
PACKAGER = "brokersec"
URN_PREFIX = "urn:brokersec:risk"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9_.-]+", "-", text.lower()).strip("-")


def framework_slug(catalog: Catalog) -> str:
    """``twse-2020-12-11`` → the framework part of every URN (only ``[a-z0-9_-]``)."""
    return re.sub(r"[^a-z0-9_-]+", "-", catalog.version.lower()).strip("-")


def node_urn(catalog: Catalog, item_id: str) -> str:
    return f"{URN_PREFIX}:req_node:{framework_slug(catalog)}:{_slug(item_id)}"


def _annotation(catalog: Catalog, item: Item, lang: str) -> str | None:
    zh = lang == "zh"
    conditions = [(c.zh if zh else c.en) if (c := catalog.conditions.get(code)) else code for code in item.conditions]
    channels = [CHANNEL_LABELS[ch][0 if zh else 1] for ch in item.channels]
    parts = [
        item.scope_note_zh if zh else item.scope_note_en,
        item.effective_remark_zh if zh else item.effective_remark_en,
    ]
    if item.conditions:
        parts.append(("適用條件：" if zh else "Applies when: ") + ("；" if zh else "; ").join(conditions))
    if item.channel_restricted and item.channels:
        parts.append(("下單管道：" if zh else "Order channels: ") + ("、" if zh else ", ").join(channels))
    if item.effective_from:
        parts.append(("生效日：" if zh else "Effective from: ") + item.effective_from.isoformat())
    text = "\n\n".join(p for p in parts if p)
    return text or None


def _node(catalog: Catalog, item: Item) -> dict[str, Any]:
    node: dict[str, Any] = {
        "urn": node_urn(catalog, item.id),
        "assessable": item.assessable,
        "depth": item.depth + 1,
    }
    if item.parent:
        node["parent_urn"] = node_urn(catalog, item.parent)
    node["ref_id"] = item.id
    en: dict[str, Any] = {}
    if item.title_zh:
        node["name"] = item.title_zh
        en["name"] = item.title_en or item.title_zh
    if item.text_zh:
        node["description"] = item.text_zh
        en["description"] = item.text_en or item.text_zh
    if "name" not in node and "description" not in node:
        node["name"] = item.id
    if (note := _annotation(catalog, item, "zh")) is not None:
        node["annotation"] = note
        en["annotation"] = _annotation(catalog, item, "en") or note
    if item.evidence:
        node["typical_evidence"] = "\n".join(f"- {e.zh}" for e in item.evidence)
        en["typical_evidence"] = "\n".join(f"- {e.en}" for e in item.evidence)
    if item.assessable and item.frequency:
        node["implementation_groups"] = [item.frequency]
    if en:
        node["translations"] = {"en": en}
    return node


def ciso_assistant_library(catalog: Catalog, *, version: int = 1) -> dict[str, Any]:
    """The library as a dict (what the YAML holds)."""
    reg = catalog.regulation
    slug = framework_slug(catalog)
    desc_zh = f"{reg.title_zh}（{reg.source_zh or reg.published.isoformat()}）。由 brokersec 轉換。"
    desc_en = f"{reg.title_en} ({reg.source_en or reg.published.isoformat()}). Converted by brokersec."
    return {
        "urn": f"{URN_PREFIX}:library:{slug}",
        "locale": "zh",
        "ref_id": slug,
        "name": reg.title_zh,
        "description": desc_zh,
        "copyright": "臺灣證券交易所 Taiwan Stock Exchange (TWSE)",
        "version": version,
        "publication_date": reg.published.isoformat(),
        "provider": PROVIDER,
        "packager": PACKAGER,
        "translations": {"en": {"name": reg.title_en, "description": desc_en}},
        "objects": {
            "framework": {
                "urn": f"{URN_PREFIX}:framework:{slug}",
                "ref_id": slug,
                "name": reg.title_zh,
                "description": desc_zh,
                "translations": {"en": {"name": reg.title_en, "description": desc_en}},
                "implementation_groups_definition": [
                    {
                        "ref_id": freq,
                        "name": FREQUENCY_LABELS[freq][0],
                        "description": None,
                        "translations": {"en": {"name": FREQUENCY_LABELS[freq][1]}},
                    }
                    for freq in FREQUENCIES
                ],
                "requirement_nodes": [_node(catalog, item) for item in catalog],
            }
        },
    }


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def ciso_assistant_yaml(catalog: Catalog, *, version: int = 1) -> str:
    """The library as YAML text (UTF-8, 中文 unescaped)."""
    return yaml.dump(
        ciso_assistant_library(catalog, version=version),
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        width=120,
    )


__all__ = ["ciso_assistant_library", "ciso_assistant_yaml", "framework_slug", "node_urn"]
