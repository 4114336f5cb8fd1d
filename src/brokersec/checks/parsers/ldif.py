"""LDIF exports of user objects (``ldifde -f``, ``ldapsearch -LLL``), streamed record by record.

Handles folded lines (a leading space continues the previous line) and base64 values (``attr::``),
which ldifde uses for any value with non-ASCII characters such as Chinese display names.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from pathlib import Path

from brokersec.checks.engine import ArtifactError
from brokersec.checks.parsers.text import lines

Record = dict[str, list[str]]


def records(file: Path, encoding: str | None = None) -> Iterator[tuple[int, Record]]:
    """``(line where the entry starts, {attribute lower-cased: values})`` for every entry with a ``dn``."""
    current: Record = {}
    start = 0
    logical: tuple[int, str] | None = None

    def flush_attr(number: int, text: str) -> None:
        nonlocal start
        if text.startswith("#"):
            return
        key, sep, value = text.partition(":")
        if not sep:
            raise ArtifactError(f"expected 'attribute: value', got {text[:60]!r}", file=str(file), line=number)
        key = key.strip().lower()
        if value.startswith(":"):
            try:
                value = base64.b64decode(value[1:].strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                raise ArtifactError(f"{key}: bad base64 value", file=str(file), line=number) from None
        else:
            value = value.strip()
        if not current:
            start = number
        current.setdefault(key, []).append(value)

    for number, text in lines(file, encoding):
        if text.startswith(" ") and logical is not None:
            logical = (logical[0], logical[1] + text[1:])
            continue
        if logical is not None:
            flush_attr(*logical)
            logical = None
        if not text.strip():
            if current:
                if "dn" in current:
                    yield start, current
                current = {}
            continue
        logical = (number, text)
    if logical is not None:
        flush_attr(*logical)
    if current and "dn" in current:
        yield start, current
