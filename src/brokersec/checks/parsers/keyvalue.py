"""``pwquality.conf`` and ``faillock.conf``: ``key = value`` or bare flags, the last one wins."""

from __future__ import annotations

from pathlib import Path

from brokersec.checks.engine import ArtifactError
from brokersec.checks.parsers.text import Setting, lines


def key_value_conf(file: Path, encoding: str | None = None) -> dict[str, Setting]:
    """``key = value`` or bare ``flag`` lines (pwquality.conf, faillock.conf); the last one wins."""
    out: dict[str, Setting] = {}
    for number, text in lines(file, encoding):
        s = text.split("#", 1)[0].strip()
        if not s:
            continue
        key, sep, value = s.partition("=")
        key = key.strip().lower()
        if not key or " " in key:
            raise ArtifactError(f"cannot read {text.strip()!r}: expected 'key = value'", file=str(file), line=number)
        out[key] = Setting(value.strip() if sep else "", str(file), number)
    return out
