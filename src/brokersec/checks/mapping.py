"""Which catalog items each check gives evidence for, read from the catalog side.

The mapping is data (``catalog/data/check-mapping.yaml``) so that a new regulation version is
re-mapped by editing YAML; this loader refuses ids the chosen catalog does not have, or that are
not assessable, so a typo never silently drops a check's evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from brokersec.catalog.models import Catalog
from brokersec.errors import InputError, Problem
from brokersec.yamlio import read_yaml


def mapping_path() -> Path:
    return Path(str(resources.files("brokersec.catalog") / "data" / "check-mapping.yaml"))


@dataclass(frozen=True)
class CheckMapping:
    version: str
    items: dict[str, tuple[str, ...]]

    def items_for(self, check_id: str) -> tuple[str, ...]:
        return self.items.get(check_id, ())


def load_mapping(catalog: Catalog, path: str | Path | None = None, check_ids: list[str] | None = None) -> CheckMapping:
    """The mapping for ``catalog.version``, validated against the catalog and the registered checks."""
    path = Path(path) if path else mapping_path()
    name = str(path)
    data, lines = read_yaml(path)
    versions = data.get("versions") if isinstance(data, dict) else None
    if not isinstance(versions, dict):
        raise InputError(Problem("check mapping must have a 'versions' mapping", file=name, line=1))
    table = versions.get(catalog.version)
    if table is None:
        raise InputError(
            Problem(
                f"no check mapping for catalog version {catalog.version!r}; add it under 'versions' "
                f"(mapped: {', '.join(versions)})",
                file=name,
                field="versions",
            )
        )
    if check_ids is None:
        from brokersec.checks.engine import all_checks

        check_ids = [c.id for c in all_checks()]
    problems: list[Problem] = []
    items: dict[str, tuple[str, ...]] = {}
    base = ("versions", catalog.version)
    if not isinstance(table, dict):
        raise InputError(Problem("expected a mapping of check id to item ids", file=name, line=lines.get(base)))
    for check_id, ids in table.items():
        line = lines.get((*base, check_id))
        if check_id not in check_ids:
            problems.append(Problem(f"unknown check {check_id!r}", file=name, line=line, field=check_id))
            continue
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
            problems.append(Problem("expected a non-empty list of item ids", file=name, line=line, field=check_id))
            continue
        for i, item_id in enumerate(ids):
            where = lines.get((*base, check_id, i), line)
            if item_id not in catalog:
                problems.append(
                    Problem(f"no item {item_id!r} in {catalog.version}", file=name, line=where, field=check_id)
                )
            elif not catalog.get(item_id).assessable:
                problems.append(Problem(f"{item_id} is not an assessable item", file=name, line=where, field=check_id))
        items[check_id] = tuple(ids)
    for check_id in check_ids:
        if check_id not in table:
            problems.append(
                Problem(f"check {check_id!r} has no items for {catalog.version}", file=name, field=check_id)
            )
    if problems:
        raise InputError(problems)
    return CheckMapping(catalog.version, items)
