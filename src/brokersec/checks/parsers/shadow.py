"""``/etc/shadow``: nine colon-separated fields per account; anything else is a truncated or foreign file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from brokersec.checks.engine import ArtifactError
from brokersec.checks.parsers.text import lines


@dataclass(frozen=True)
class ShadowEntry:
    line: int
    name: str
    hash: str
    last_change: int | None
    max_days: int | None


def shadow(file: Path, encoding: str | None = None) -> list[ShadowEntry]:
    """``name:hash:lastchg:min:max:warn:inactive:expire:reserved`` per line."""
    out: list[ShadowEntry] = []
    for number, text in lines(file, encoding):
        if not text.strip():
            continue
        parts = text.split(":")
        if len(parts) != 9:
            raise ArtifactError(
                f"{len(parts)} fields where /etc/shadow has 9 (a truncated line?)", file=str(file), line=number
            )
        try:
            last = int(parts[2]) if parts[2] else None
            max_days = int(parts[4]) if parts[4] else None
        except ValueError:
            raise ArtifactError("lastchg and max must be whole numbers of days", file=str(file), line=number) from None
        out.append(ShadowEntry(number, parts[0], parts[1], last, max_days))
    return out
