"""The firm profile: the facts about a securities firm that decide which items it owes.

A profile is a small YAML file a compliance officer keeps (and, with the records layer, a versioned
row per firm). Every fact that changes scope is explicit, including the flags that are false, so a
reviewer can see that a condition was considered and answered, not forgotten.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from brokersec.catalog.models import Catalog, Channel
from brokersec.errors import InputError, Problem
from brokersec.yamlio import LineMap, pydantic_problems, read_yaml

_TAX_ID_WEIGHTS = (1, 2, 1, 2, 1, 2, 4, 1)


def tax_id_valid(tax_id: str) -> bool:
    """Check a 統一編號 (unified business number) with the Ministry of Finance checksum.

    Each digit is multiplied by its weight and the digits of the products summed; the sum must be
    divisible by 5 (the 2023 rule, which also accepts every number valid under the old ÷10 rule).
    When the 7th digit is 7 its product 28 may count as 1 or 0, so sum + 1 is accepted too.
    """
    if not re.fullmatch(r"\d{8}", tax_id):
        return False
    total = sum(sum(divmod(int(d) * w, 10)) for d, w in zip(tax_id, _TAX_ID_WEIGHTS, strict=True))
    return total % 5 == 0 or (tax_id[6] == "7" and (total + 1) % 5 == 0)


class FirmProfile(BaseModel):
    """One firm's scoping facts. Field names follow docs/glossary (``tax_id``, ``security_tier`` …)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    name: str = Field(min_length=1, description="the firm's registered name (zh-TW)")
    name_en: str = ""
    tax_id: str = Field(description="統一編號, 8 digits")
    channels: list[Channel] = Field(default_factory=list, description="order channels the firm offers")
    brokerage: bool = Field(default=True, description="carries on brokerage business (證券經紀商)")
    security_tier: int = Field(ge=1, le=3, description="資安分級 as assigned to the firm")
    flags: dict[str, bool] = Field(default_factory=dict, description="condition flags, see the catalog")
    catalog: str | None = Field(default=None, description="pin a catalog version; newest bundled by default")
    due_days_after_period: int = Field(default=0, ge=0, le=90, description="grace days after a period ends")

    @field_validator("tax_id", mode="before")
    @classmethod
    def _tax_id(cls, v: Any) -> Any:
        if isinstance(v, int):
            v = f"{v:08d}"
        if isinstance(v, str) and not tax_id_valid(v.strip()):
            raise ValueError("not a valid 統一編號 (8 digits with a valid checksum)")
        return v

    @field_validator("channels")
    @classmethod
    def _channels(cls, v: list[Channel]) -> list[Channel]:
        if len(set(v)) != len(v):
            raise ValueError("a channel is listed twice")
        return v

    @model_validator(mode="after")
    def _channels_need_brokerage(self) -> FirmProfile:
        if self.channels and not self.brokerage:
            raise ValueError("order channels are given but brokerage is false; a firm taking orders is a broker")
        return self

    def flag(self, name: str) -> bool:
        """Whether a condition holds; ``brokerage`` is a top-level fact, the rest are flags."""
        if name == "brokerage":
            return self.brokerage
        return self.flags.get(name, False)


def parse_profile(data: Any, name: str = "<profile>", lines: LineMap | None = None) -> FirmProfile:
    if not isinstance(data, dict):
        raise InputError(Problem("a firm profile must be a YAML mapping (name, tax_id, channels …)", file=name))
    try:
        return FirmProfile.model_validate(data)
    except ValidationError as exc:
        raise InputError(pydantic_problems(exc, name, lines or {})) from None


def load_profile(path: str | Path, catalog: Catalog | None = None) -> FirmProfile:
    """Read and validate a profile file; with a catalog, also check its flags against the catalog's vocabulary."""
    data, lines = read_yaml(path)
    profile = parse_profile(data, str(path), lines)
    if catalog is not None:
        check_flags(profile, catalog, str(path), lines)
    return profile


def check_flags(profile: FirmProfile, catalog: Catalog, name: str = "<profile>", lines: LineMap | None = None) -> None:
    """Unknown flags are typos until proven otherwise: refuse them, naming the known ones."""
    lines = lines or {}
    known = set(catalog.conditions) - {"brokerage"}
    problems = [
        Problem(
            f"unknown flag {flag!r}; catalog {catalog.version} knows: {', '.join(sorted(known))}",
            file=name,
            line=lines.get(("flags", flag)),
            field=f"flags.{flag}",
        )
        for flag in profile.flags
        if flag not in known
    ]
    if problems:
        raise InputError(problems)


def profile_template(catalog: Catalog) -> str:
    """A commented profile a firm can fill in, listing every flag the catalog knows."""
    lines = [
        "# brokersec firm profile — the facts that decide which inspection items apply.",
        "name: 範例證券股份有限公司",
        "name_en: Example Securities Co., Ltd.",
        'tax_id: "04595257"          # 統一編號 (8 digits)',
        "brokerage: true             # 經營證券經紀業務",
        "channels: [internet, voice, traditional]   # 網際網路下單 / 語音下單 / 傳統下單",
        "security_tier: 2            # 資安分級 (1-3)",
        "due_days_after_period: 0    # grace days after a period ends before its checks are overdue",
        "flags:",
    ]
    for key, spec in catalog.conditions.items():
        if key != "brokerage":
            lines.append(f"  {key}: false   # {spec.zh} / {spec.en}")
    return "\n".join(lines) + "\n"
