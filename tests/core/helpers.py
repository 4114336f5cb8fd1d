"""Small builders shared by the core tests (catalog, profile, scoping, calendar)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from brokersec.catalog import load_catalog_ref
from brokersec.catalog.loader import builtin_paths
from brokersec.profile import FirmProfile

SEED = Path(__file__).resolve().parents[1] / "fixtures" / "seed-2020-12-11.txt"
VERSION = "twse-2020-12-11"


def catalog_data() -> dict[str, Any]:
    """The bundled catalog as plain data, to derive variants from."""
    with open(builtin_paths()[VERSION], encoding="utf-8") as fh:
        return copy.deepcopy(yaml.safe_load(fh))


def write_yaml(path: Path, data: Any) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def profile(**overrides: Any) -> FirmProfile:
    """A firm with every channel and every condition flag on, unless overridden."""
    catalog = load_catalog_ref()
    base: dict[str, Any] = {
        "name": "測試證券股份有限公司",
        "tax_id": "04595257",
        "brokerage": True,
        "channels": ["internet", "voice", "traditional"],
        "security_tier": 2,
        "flags": {k: True for k in catalog.conditions if k != "brokerage"},
    }
    flags = overrides.pop("flags", {})
    base.update(overrides)
    base["flags"] = {**base["flags"], **flags}
    return FirmProfile.model_validate(base)
