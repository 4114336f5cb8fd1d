"""Which items a firm owes, and why each one is in or out.

Scoping is a pure function of (catalog, profile, date): no I/O, no clock. Every decision carries
its reasons in zh-TW and English, because an inspector must be able to defend an exclusion to TWSE
and a reviewer must be able to see that an inclusion rests on the firm's own facts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from brokersec.catalog.models import CHANNEL_LABELS, Catalog, Item
from brokersec.profile import FirmProfile

ReasonCode = Literal["channel", "condition", "not_effective", "tier", "all_firms", "tier_note", "milestone"]


@dataclass(frozen=True)
class Reason:
    """One ground for a scoping decision; ``code`` is stable for machines, ``zh``/``en`` for people."""

    code: ReasonCode
    zh: str
    en: str

    def text(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh


@dataclass(frozen=True)
class ScopeEntry:
    item: Item
    applicable: bool
    reasons: tuple[Reason, ...]

    @property
    def status(self) -> str:
        return "applicable" if self.applicable else "not_applicable"

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.item.id,
            "status": self.status,
            "frequency": self.item.frequency,
            "reasons": [{"code": r.code, "zh": r.zh, "en": r.en} for r in self.reasons],
        }


@dataclass(frozen=True)
class Scope:
    """The scoping of every assessable item of one catalog for one firm on one day."""

    catalog_version: str
    firm_name: str
    tax_id: str
    on: dt.date
    entries: tuple[ScopeEntry, ...]

    def applicable(self) -> list[ScopeEntry]:
        return [e for e in self.entries if e.applicable]

    def excluded(self) -> list[ScopeEntry]:
        return [e for e in self.entries if not e.applicable]

    def applicable_ids(self) -> list[str]:
        return [e.item.id for e in self.entries if e.applicable]

    def to_dict(self) -> dict[str, object]:
        return {
            "catalog": self.catalog_version,
            "firm": {"name": self.firm_name, "tax_id": self.tax_id},
            "on": self.on.isoformat(),
            "applicable": len(self.applicable()),
            "not_applicable": len(self.excluded()),
            "items": [e.to_dict() for e in self.entries],
        }


def _channels_text(channels: tuple[str, ...] | list[str], lang: str) -> str:
    sep = "、" if lang == "zh" else ", "
    return sep.join(CHANNEL_LABELS[c][0 if lang == "zh" else 1] for c in channels) or ("無" if lang == "zh" else "none")


def decide(catalog: Catalog, item: Item, profile: FirmProfile, on: dt.date) -> ScopeEntry:
    """Scope one assessable item. Exclusions are all listed, not just the first found."""
    out: list[Reason] = []
    notes: list[Reason] = []
    if item.channel_restricted and not set(item.channels) & set(profile.channels):
        out.append(
            Reason(
                "channel",
                f"僅適用{_channels_text(item.channels, 'zh')}之證券商；本公司下單管道：{_channels_text(profile.channels, 'zh')}",
                f"applies only to firms with {_channels_text(item.channels, 'en')}; "
                f"this firm's channels: {_channels_text(profile.channels, 'en')}",
            )
        )
    elif item.channel_restricted:
        notes.append(
            Reason(
                "channel",
                f"適用{_channels_text(item.channels, 'zh')}之證券商，本公司經營之",
                f"applies to firms with {_channels_text(item.channels, 'en')}, which this firm has",
            )
        )
    for cond in item.conditions:
        spec = catalog.conditions.get(cond)
        zh, en = (spec.zh, spec.en) if spec else (cond, cond)
        if profile.flag(cond):
            notes.append(Reason("condition", f"條件成立：{zh}", f"condition holds: the firm {en}"))
        else:
            out.append(
                Reason(
                    "condition",
                    f"僅適用於「{zh}」之公司；公司資料設定為否（{cond}）",
                    f"applies only if the firm {en}; the profile says no ({cond})",
                )
            )
    if item.effective_from and item.effective_from > on:
        out.append(
            Reason(
                "not_effective",
                f"尚未生效：自 {item.effective_from.isoformat()} 起適用",
                f"not yet effective: applies from {item.effective_from.isoformat()}",
            )
        )
    if item.tier_dependent:
        req = item.tier_requirement(profile.security_tier)
        if req is not None and not req.applicable:
            out.append(
                Reason(
                    "tier",
                    f"資安分級第 {profile.security_tier} 級不須辦理",
                    f"not required of security tier {profile.security_tier}",
                )
            )
        elif req is not None:
            notes.append(
                Reason(
                    "tier_note",
                    f"資安分級第 {profile.security_tier} 級應辦事項：{req.text_zh}",
                    f"security tier {profile.security_tier} requirement: {req.text_en or req.text_zh}",
                )
            )
        else:
            notes.append(
                Reason(
                    "tier_note",
                    f"依所屬資安分級（第 {profile.security_tier} 級）辦理，內容見分級防護應辦事項附表",
                    f"extent set by the firm's security tier ({profile.security_tier}); "
                    "see the tiered protection requirements table",
                )
            )
    for m in item.milestones:
        if item.effective_from and item.effective_from <= on < m.date:
            notes.append(
                Reason(
                    "milestone",
                    f"{m.date.isoformat()} 起另須：{m.what_zh}",
                    f"from {m.date.isoformat()} also required: {m.what_en or m.what_zh}",
                )
            )
    if out:
        return ScopeEntry(item, False, tuple(out))
    if not notes:
        notes.append(Reason("all_firms", "適用所有證券商", "applies to every securities firm"))
    return ScopeEntry(item, True, tuple(notes))


def scope(catalog: Catalog, profile: FirmProfile, on: dt.date) -> Scope:
    """Scope every assessable item of ``catalog`` for ``profile`` as of ``on``."""
    return Scope(
        catalog_version=catalog.version,
        firm_name=profile.name,
        tax_id=profile.tax_id,
        on=on,
        entries=tuple(decide(catalog, item, profile, on) for item in catalog.assessable()),
    )
