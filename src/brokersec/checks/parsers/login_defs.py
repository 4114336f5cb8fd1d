"""``/etc/login.defs``: ``KEY value`` lines where the last uncommented one wins."""

from __future__ import annotations

from pathlib import Path

from brokersec.checks.parsers.text import Setting, lines


def login_defs(file: Path, encoding: str | None = None) -> dict[str, Setting]:
    """``KEY value`` lines; the last one wins."""
    out: dict[str, Setting] = {}
    for number, text in lines(file, encoding):
        s = text.split("#", 1)[0].strip()
        if not s:
            continue
        parts = s.split(None, 1)
        out[parts[0].upper()] = Setting(parts[1].strip() if len(parts) > 1 else "", str(file), number)
    return out
