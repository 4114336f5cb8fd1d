"""The regulation as typed data.

Two layers: ``*Spec`` models mirror the YAML exactly (strict, no unknown keys) so that a typo in a
catalog file is an error, not a silently ignored key; ``Item`` and ``Catalog`` are the resolved view
the rest of brokersec uses, with inherited properties (frequency, channels, conditions, effective
date) already worked out from the tree so no caller has to walk parents again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Frequency = Literal["monthly", "semiannual", "annual"]
Channel = Literal["internet", "voice", "traditional"]
DeductionGrade = Literal["A", "B", "C", "D", "E"]

CHANNELS: tuple[Channel, ...] = ("internet", "voice", "traditional")
FREQUENCIES: tuple[Frequency, ...] = ("monthly", "semiannual", "annual")

FREQUENCY_LABELS: dict[str, tuple[str, str]] = {
    "monthly": ("每月查核", "monthly inspection"),
    "semiannual": ("半年查核", "semi-annual inspection"),
    "annual": ("年度查核", "annual inspection"),
}
CHANNEL_LABELS: dict[str, tuple[str, str]] = {
    "internet": ("網際網路下單", "internet ordering"),
    "voice": ("語音下單", "voice ordering"),
    "traditional": ("傳統下單", "traditional ordering"),
}

_ID_PATTERN = r"^CC-\d{5}(\.(\d{1,2}|[a-z]))*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Bilingual(_Strict):
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class Milestone(_Strict):
    """A dated step of a phased obligation, e.g. 導入 (adopt) then 驗證 (certify)."""

    date: dt.date
    what_zh: str
    what_en: str = ""


class TierRequirement(_Strict):
    """What one security tier owes for a tier-dependent item (the 分級防護應辦事項附表).

    The 2020-12-11 text refers to the tier table without reproducing it; later versions attach it
    and can state here, per tier, whether the item applies and how often.
    """

    tier: int = Field(ge=1, le=3)
    applicable: bool = True
    text_zh: str = ""
    text_en: str = ""
    frequency: Frequency | None = None


class ConditionSpec(_Strict):
    """A firm-profile flag that items can require (e.g. ``public_company``)."""

    zh: str
    en: str


class NodeSpec(_Strict):
    """One node exactly as written in a catalog YAML file."""

    id: str = Field(pattern=_ID_PATTERN)
    parent: str | None = None
    title_zh: str | None = None
    title_en: str | None = None
    text_zh: str | None = None
    text_en: str | None = None
    scope_note_zh: str | None = None
    scope_note_en: str | None = None
    effective_remark_zh: str | None = None
    effective_remark_en: str | None = None
    frequency: Frequency | None = None
    # ``all`` lifts a restriction inherited from a parent (CC-17010 a, b, e apply to every firm).
    channels: list[Channel] | Literal["all"] | None = None
    conditions: list[str] = Field(default_factory=list)
    effective_from: dt.date | None = None
    milestones: list[Milestone] = Field(default_factory=list)
    tier_dependent: bool = False
    tier_requirements: list[TierRequirement] = Field(default_factory=list)
    evidence: list[Bilingual] = Field(default_factory=list)
    max_evidence_age_days: int | None = Field(default=None, gt=0)
    retention_years: int | None = Field(default=None, gt=0)
    deduction_grade: DeductionGrade | None = None

    @field_validator("channels")
    @classmethod
    def _channels_unique(cls, v: list[Channel] | str | None) -> list[Channel] | str | None:
        if isinstance(v, list) and (not v or len(set(v)) != len(v)):
            raise ValueError("channels must be a non-empty list without repeats, or 'all'")
        return v


class RegulationSpec(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]*$")
    title_zh: str
    title_en: str
    published: dt.date
    issuer: str = "twse"
    source_zh: str = ""
    source_en: str = ""
    notes: str = ""


class CatalogSpec(_Strict):
    """A whole catalog file: one published version of the regulation."""

    regulation: RegulationSpec
    conditions: dict[str, ConditionSpec] = Field(default_factory=dict)
    nodes: list[NodeSpec]


@dataclass(frozen=True)
class Item:
    """A node of the regulation with everything it inherits already resolved.

    ``assessable`` nodes are the 查核項目 an inspection records a result for; the rest (areas,
    sub-areas, headed groups) give structure and titles.
    """

    id: str
    parent: str | None
    area: str
    depth: int
    children: tuple[str, ...]
    title_zh: str | None
    title_en: str | None
    text_zh: str | None
    text_en: str | None
    scope_note_zh: str | None
    scope_note_en: str | None
    effective_remark_zh: str | None
    effective_remark_en: str | None
    frequency: Frequency | None
    channels: tuple[Channel, ...]
    channel_restricted: bool
    conditions: tuple[str, ...]
    effective_from: dt.date | None
    milestones: tuple[Milestone, ...]
    tier_dependent: bool
    tier_requirements: tuple[TierRequirement, ...]
    evidence: tuple[Bilingual, ...]
    max_evidence_age_days: int | None
    retention_years: int | None
    deduction_grade: str | None

    @property
    def assessable(self) -> bool:
        return not self.children

    @property
    def code(self) -> str:
        """The numbered (sub-)area the item sits in, e.g. ``CC-17010`` for ``CC-17010.a.g``."""
        return self.id.split(".", 1)[0]

    def label(self, lang: str = "zh") -> str:
        """The shortest human name: the title if it has one, else the text."""
        if lang == "en":
            return self.title_en or self.text_en or self.title_zh or self.text_zh or self.id
        return self.title_zh or self.text_zh or self.id

    def tier_requirement(self, tier: int) -> TierRequirement | None:
        return next((t for t in self.tier_requirements if t.tier == tier), None)

    def to_dict(self) -> dict[str, object]:
        """The JSON form other tools build on (see ``brokersec catalog export``)."""
        return {
            "id": self.id,
            "parent": self.parent,
            "area": self.area,
            "assessable": self.assessable,
            "title_zh": self.title_zh,
            "title_en": self.title_en,
            "text_zh": self.text_zh,
            "text_en": self.text_en,
            "scope_note_zh": self.scope_note_zh,
            "scope_note_en": self.scope_note_en,
            "frequency": self.frequency,
            "channels": list(self.channels),
            "channel_restricted": self.channel_restricted,
            "conditions": list(self.conditions),
            "effective_from": self.effective_from.isoformat() if self.effective_from else None,
            "effective_remark_zh": self.effective_remark_zh,
            "effective_remark_en": self.effective_remark_en,
            "milestones": [
                {"date": m.date.isoformat(), "what_zh": m.what_zh, "what_en": m.what_en} for m in self.milestones
            ],
            "tier_dependent": self.tier_dependent,
            "tier_requirements": [t.model_dump(mode="json") for t in self.tier_requirements],
            "evidence": [e.model_dump() for e in self.evidence],
            "max_evidence_age_days": self.max_evidence_age_days,
            "retention_years": self.retention_years,
            "deduction_grade": self.deduction_grade,
        }


@dataclass(frozen=True)
class Catalog:
    """One version of the regulation, resolved and indexed; immutable once loaded."""

    regulation: RegulationSpec
    conditions: dict[str, ConditionSpec]
    items: dict[str, Item]  # in document order
    source: str = ""

    @property
    def version(self) -> str:
        return self.regulation.id

    def __iter__(self) -> Iterator[Item]:
        return iter(self.items.values())

    def __len__(self) -> int:
        return len(self.items)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self.items

    def get(self, item_id: str) -> Item:
        """The item with this id; raises ``KeyError`` with close matches named."""
        try:
            return self.items[item_id]
        except KeyError:
            close = [i for i in self.items if i.startswith(item_id.rsplit(".", 1)[0])][:5]
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise KeyError(f"no item {item_id!r} in catalog {self.version}{hint}") from None

    def assessable(self) -> list[Item]:
        return [i for i in self.items.values() if i.assessable]

    def areas(self) -> list[Item]:
        return [i for i in self.items.values() if i.parent is None]

    def ancestors(self, item_id: str) -> list[Item]:
        """From the area down to the item's parent."""
        chain: list[Item] = []
        node = self.items[item_id]
        while node.parent is not None:
            node = self.items[node.parent]
            chain.append(node)
        return list(reversed(chain))

    def descendants(self, item_id: str) -> list[Item]:
        out: list[Item] = []
        stack = list(reversed(self.items[item_id].children))
        while stack:
            node = self.items[stack.pop()]
            out.append(node)
            stack.extend(reversed(node.children))
        return out

    def path_label(self, item_id: str, lang: str = "zh") -> str:
        """The headings above an item, e.g. 「存取控制 › 密碼管理」, to give a bare item its context."""
        parts = [a.title_en or a.id if lang == "en" else a.title_zh or a.id for a in self.ancestors(item_id)]
        return " › ".join(parts)
