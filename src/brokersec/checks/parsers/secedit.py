"""``secedit /export`` INF files as Windows writes them: UTF-16 LE with a BOM, CRLF, INI sections."""

from __future__ import annotations

from pathlib import Path

from brokersec.checks.engine import ArtifactError
from brokersec.checks.parsers.text import Setting, lines


def _guess(file: Path) -> str:
    """secedit writes UTF-16 (with a BOM, which ``lines`` sees); a copy re-saved by an editor may be plain text."""
    try:
        with open(file, "rb") as fh:
            head = fh.read(64)
    except OSError:
        return "utf-16"
    return "utf-16" if b"\x00" in head else "utf-8"


def secedit(file: Path, encoding: str | None = None) -> dict[str, dict[str, Setting]]:
    """``{section: {key: setting}}`` with section and key names as Windows spells them."""
    out: dict[str, dict[str, Setting]] = {}
    section: str | None = None
    for number, text in lines(file, encoding or _guess(file)):
        s = text.strip()
        if not s or s.startswith(";"):
            continue
        if s.startswith("["):
            if not s.endswith("]"):
                raise ArtifactError(f"unterminated section header {s[:60]!r}", file=str(file), line=number)
            section = s[1:-1].strip()
            out.setdefault(section, {})
            continue
        if section is None:
            raise ArtifactError("setting before any [section]: not a secedit INF", file=str(file), line=number)
        key, sep, value = s.partition("=")
        if not sep:
            raise ArtifactError(f"expected 'Key = Value', got {s[:60]!r}", file=str(file), line=number)
        out[section][key.strip()] = Setting(value.strip(), str(file), number)
    if "System Access" not in out:
        raise ArtifactError("no [System Access] section: export with 'secedit /export /cfg FILE'", file=str(file))
    return out
