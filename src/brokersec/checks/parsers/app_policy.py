"""An application's password policy as its owner writes it down: one small YAML file per system."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from brokersec.checks.engine import ArtifactError
from brokersec.errors import InputError
from brokersec.yamlio import pydantic_problems, read_yaml


class AppPasswordPolicy(BaseModel):
    """What an application enforces, as its owner writes it down (one file per system)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    system: str = ""
    min_length: int = Field(ge=0)
    require_letters: bool = False
    require_digits: bool = False
    require_symbols: bool = False
    require_digits_or_symbols: bool = False
    lockout_threshold: int | None = Field(default=None, ge=0)
    max_age_days: int | None = Field(default=None, ge=0)
    digits_only_interface: bool = False


def password_policy(file: Path) -> AppPasswordPolicy:
    try:
        data, lines = read_yaml(file, max_bytes=1024 * 1024)
    except InputError as exc:
        p = exc.problems[0]
        raise ArtifactError(p.message, file=p.file or str(file), line=p.line) from None
    try:
        return AppPasswordPolicy.model_validate(data or {})
    except ValidationError as exc:
        p = pydantic_problems(exc, str(file), lines)[0]
        raise ArtifactError(f"{p.field}: {p.message}", file=str(file), line=p.line) from None
