"""Loading and validating catalog versions.

Catalog files ship inside the package (``catalog/data/*.yaml``, one file per published version of
the regulation) and firms can load newer versions from their own files. Every file is validated in
full at load: a catalog that loads is structurally sound, so nothing downstream re-checks it.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from brokersec.catalog.models import CHANNELS, Catalog, CatalogSpec, Item, NodeSpec
from brokersec.errors import InputError, Problem
from brokersec.yamlio import LineMap, pydantic_problems, read_yaml

VERSION_FILE = re.compile(r"^[a-z][a-z0-9]*-\d{4}-\d{2}-\d{2}\.yaml$")


def builtin_paths() -> dict[str, Path]:
    """Bundled catalog files by version id: ``<issuer>-<published>.yaml`` (other data files sit beside them)."""
    root = resources.files("brokersec.catalog") / "data"
    return {Path(str(p)).stem: Path(str(p)) for p in root.iterdir() if VERSION_FILE.match(Path(str(p)).name)}


def builtin_versions() -> list[str]:
    """Bundled versions, oldest first (ids sort by their publication date)."""
    return sorted(builtin_paths())


@cache
def _load_builtin(version: str) -> Catalog:
    return load_catalog(builtin_paths()[version])


def load_catalog_ref(ref: str | None = None) -> Catalog:
    """A catalog by bundled version id, or by path to a YAML file; the newest bundled one by default."""
    versions = builtin_versions()
    if ref is None:
        return _load_builtin(versions[-1])
    if ref in versions:
        return _load_builtin(ref)
    path = Path(ref)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return load_catalog(path)
    raise InputError(
        Problem(f"unknown catalog version {ref!r}; bundled versions: {', '.join(versions)}", field="catalog")
    )


def load_catalog(path: str | Path) -> Catalog:
    data, lines = read_yaml(path)
    return build_catalog(data, str(path), lines)


def build_catalog(data: Any, name: str = "<catalog>", lines: LineMap | None = None) -> Catalog:
    """Validate parsed YAML and resolve it into a ``Catalog``; raise ``InputError`` listing every problem."""
    lines = lines or {}
    if not isinstance(data, dict):
        raise InputError(Problem("a catalog file must be a mapping with 'regulation' and 'nodes'", file=name))
    raw_nodes = data.get("nodes")

    def label(loc: tuple[Any, ...]) -> str | None:
        if len(loc) >= 2 and loc[0] == "nodes" and isinstance(loc[1], int) and isinstance(raw_nodes, list):
            node = raw_nodes[loc[1]] if loc[1] < len(raw_nodes) else None
            if isinstance(node, dict) and node.get("id"):
                return str(node["id"])
        return None

    try:
        spec = CatalogSpec.model_validate(data)
    except ValidationError as exc:
        raise InputError(pydantic_problems(exc, name, lines, label)) from None
    problems = structural_problems(spec, name, lines)
    if problems:
        raise InputError(problems)
    return resolve(spec, name)


def structural_problems(spec: CatalogSpec, name: str, lines: LineMap) -> list[Problem]:
    """What the schema alone cannot see: ids, parents, vocabulary, inheritance."""
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    children: dict[str, list[str]] = {}

    def add(index: int, fld: str, msg: str) -> None:
        problems.append(
            Problem(
                f"{spec.nodes[index].id}: {msg}",
                file=name,
                line=lines.get(("nodes", index, fld)) or lines.get(("nodes", index)),
                field=f"nodes[{index}].{fld}",
            )
        )

    for index, node in enumerate(spec.nodes):
        if node.id in seen:
            add(index, "id", f"duplicate id (first defined at nodes[{seen[node.id]}])")
            continue
        seen[node.id] = index
        if node.parent is not None:
            if node.parent not in seen:
                add(index, "parent", f"parent {node.parent!r} is not defined before this node")
            else:
                children.setdefault(node.parent, []).append(node.id)
        for cond in node.conditions:
            if cond not in spec.conditions:
                add(index, "conditions", f"condition {cond!r} is not declared under 'conditions'")
        if node.effective_from and node.milestones and node.effective_from > min(m.date for m in node.milestones):
            add(index, "effective_from", "effective_from is after the first milestone")
        if not (node.title_zh or node.text_zh):
            add(index, "text_zh", "a node needs a title_zh or a text_zh")

    by_id = {n.id: n for n in spec.nodes}
    for index, node in enumerate(spec.nodes):
        if seen.get(node.id) != index:
            continue
        if node.id in children:
            continue  # structure node
        if not node.text_zh:
            add(index, "text_zh", "an item without children must state its obligation in text_zh")
        if _inherited(by_id, node, "frequency") is None:
            add(index, "frequency", "no frequency on the item or any of its ancestors")
        if node.tier_requirements and not node.tier_dependent:
            add(index, "tier_requirements", "tier_requirements given but tier_dependent is false")
    return problems


def completeness_warnings(catalog: Catalog) -> list[str]:
    """Gaps that do not stop a catalog from loading but that a finished version should not have."""
    warnings: list[str] = []
    for item in catalog:
        if item.title_zh and not item.title_en:
            warnings.append(f"{item.id}: title_en missing")
        if item.text_zh and not item.text_en:
            warnings.append(f"{item.id}: text_en missing")
        if item.assessable and not item.evidence:
            warnings.append(f"{item.id}: no evidence described")
        if item.scope_note_zh and not item.scope_note_en:
            warnings.append(f"{item.id}: scope_note_en missing")
        if item.effective_remark_zh and not item.effective_remark_en:
            warnings.append(f"{item.id}: effective_remark_en missing")
    return warnings


def _inherited(by_id: dict[str, NodeSpec], node: NodeSpec, attr: str) -> Any:
    current: NodeSpec | None = node
    while current is not None:
        value = getattr(current, attr)
        if value is not None:
            return value
        current = by_id.get(current.parent) if current.parent else None
    return None


def resolve(spec: CatalogSpec, source: str = "") -> Catalog:
    """Work out inherited properties once, top-down (parents precede children in the file)."""
    children: dict[str, list[str]] = {n.id: [] for n in spec.nodes}
    for node in spec.nodes:
        if node.parent:
            children[node.parent].append(node.id)
    items: dict[str, Item] = {}
    for node in spec.nodes:
        parent = items.get(node.parent) if node.parent else None
        if node.channels == "all":
            channels, restricted = CHANNELS, False
        elif node.channels is not None:
            channels, restricted = tuple(c for c in CHANNELS if c in node.channels), True
        elif parent is not None:
            channels, restricted = parent.channels, parent.channel_restricted
        else:
            channels, restricted = CHANNELS, False
        conditions = tuple(dict.fromkeys((*(parent.conditions if parent else ()), *node.conditions)))
        items[node.id] = Item(
            id=node.id,
            parent=node.parent,
            area=parent.area if parent else node.id,
            depth=parent.depth + 1 if parent else 0,
            children=tuple(children[node.id]),
            title_zh=node.title_zh,
            title_en=node.title_en,
            text_zh=node.text_zh,
            text_en=node.text_en,
            scope_note_zh=node.scope_note_zh,
            scope_note_en=node.scope_note_en,
            effective_remark_zh=node.effective_remark_zh,
            effective_remark_en=node.effective_remark_en,
            frequency=node.frequency or (parent.frequency if parent else None),
            channels=channels,
            channel_restricted=restricted,
            conditions=conditions,
            effective_from=node.effective_from or (parent.effective_from if parent else None),
            milestones=tuple(node.milestones),
            tier_dependent=node.tier_dependent,
            tier_requirements=tuple(node.tier_requirements),
            evidence=tuple(node.evidence),
            max_evidence_age_days=node.max_evidence_age_days,
            retention_years=node.retention_years,
            deduction_grade=node.deduction_grade,
        )
    return Catalog(regulation=spec.regulation, conditions=dict(spec.conditions), items=items, source=source)
