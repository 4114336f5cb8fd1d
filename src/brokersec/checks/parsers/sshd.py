"""``sshd_config``: unlike most config files, sshd keeps the *first* value it obtains for a keyword."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from brokersec.checks.parsers.text import lines


@dataclass(frozen=True)
class SshdSetting:
    value: str
    line: int
    match: str | None  # the Match block it sits in, None for the global section


def sshd_config(file: Path, encoding: str | None = None) -> list[tuple[str, SshdSetting]]:
    """``(keyword lower-cased, setting)`` in file order; sshd itself uses the first value it obtains."""
    out: list[tuple[str, SshdSetting]] = []
    match: str | None = None
    for number, text in lines(file, encoding):
        s = text.split("#", 1)[0].strip()
        if not s:
            continue
        m = re.match(r"^(\S+?)(?:\s*=\s*|\s+)(.*)$", s)
        if not m:
            out.append((s.lower(), SshdSetting("", number, match)))
            continue
        key, value = m[1].lower(), m[2].strip().strip('"')
        if key == "match":
            match = value
            continue
        out.append((key, SshdSetting(value, number, match)))
    return out
