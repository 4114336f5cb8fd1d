"""What changed between two versions of the regulation.

TWSE revises the mechanism every year or two; a firm loading a new version needs to know which
items are new (to scope and schedule), which are gone (to close out), and which were reworded or
re-scoped (to re-read before the next inspection). Items are matched by id.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from brokersec.catalog.models import Catalog, Item

# properties whose change alters who owes an item or when, besides its wording
_SCOPE_FIELDS = (
    "frequency",
    "channels",
    "conditions",
    "effective_from",
    "tier_dependent",
    "max_evidence_age_days",
)


@dataclass(frozen=True)
class Change:
    id: str
    fields: tuple[str, ...]
    old: Item
    new: Item


@dataclass
class CatalogDiff:
    old_version: str
    new_version: str
    added: list[Item] = field(default_factory=list)
    removed: list[Item] = field(default_factory=list)
    reworded: list[Change] = field(default_factory=list)
    rescoped: list[Change] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.reworded or self.rescoped)

    def to_dict(self) -> dict[str, object]:
        def change(c: Change) -> dict[str, object]:
            return {
                "id": c.id,
                "fields": list(c.fields),
                "old": {f: _value(c.old, f) for f in c.fields},
                "new": {f: _value(c.new, f) for f in c.fields},
            }

        return {
            "old": self.old_version,
            "new": self.new_version,
            "added": [i.to_dict() for i in self.added],
            "removed": [i.to_dict() for i in self.removed],
            "reworded": [change(c) for c in self.reworded],
            "rescoped": [change(c) for c in self.rescoped],
        }


def _value(item: Item, name: str) -> object:
    value = getattr(item, name)
    if isinstance(value, tuple):
        return list(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def diff_catalogs(old: Catalog, new: Catalog) -> CatalogDiff:
    """Compare the assessable items of two catalogs."""
    result = CatalogDiff(old.version, new.version)
    old_items = {i.id: i for i in old.assessable()}
    new_items = {i.id: i for i in new.assessable()}
    result.added = [i for k, i in new_items.items() if k not in old_items]
    result.removed = [i for k, i in old_items.items() if k not in new_items]
    for key, new_item in new_items.items():
        old_item = old_items.get(key)
        if old_item is None:
            continue
        text = tuple(f for f in ("text_zh",) if getattr(old_item, f) != getattr(new_item, f))
        if text:
            result.reworded.append(Change(key, text, old_item, new_item))
        scope = tuple(f for f in _SCOPE_FIELDS if _value(old_item, f) != _value(new_item, f))
        if scope:
            result.rescoped.append(Change(key, scope, old_item, new_item))
    return result
