"""Reading exported text safely: streaming, encoding-aware, line-counted, with bounded lines.

Exports arrive in whatever encoding the tool wrote (UTF-8 with or without BOM, UTF-16 from
Windows, Big5/cp950 from older Taiwanese systems). A BOM decides; otherwise the artifact's
``encoding`` in bundle.yaml, else strict UTF-8. Every failure names the file and line, and a line
longer than the cap is refused instead of being read into memory whole.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from brokersec.checks.engine import ArtifactError

MAX_LINE_CHARS = 64 * 1024
MAX_CSV_FIELD = 1024 * 1024


@dataclass(frozen=True)
class Setting:
    """A configuration value with the file and line it came from, so a finding can point at it."""

    value: str
    file: str
    line: int

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def sniff_encoding(file: Path, declared: str | None) -> str:
    """A BOM wins over what bundle.yaml declares: Windows tools always write one when they use UTF-16."""
    try:
        with open(file, "rb") as fh:
            head = fh.read(4)
    except FileNotFoundError:
        raise ArtifactError("file not found", file=str(file)) from None
    except OSError as exc:
        raise ArtifactError(f"cannot read file: {exc.strerror}", file=str(file)) from None
    for bom, enc in _BOMS:
        if head.startswith(bom):
            return enc
    return declared or "utf-8"


def lines(file: Path, declared: str | None = None, *, max_chars: int = MAX_LINE_CHARS) -> Iterator[tuple[int, str]]:
    """``(line number, text without newline)``; raises ``ArtifactError`` naming the line on bad bytes or huge lines.

    ASCII-compatible encodings (UTF-8, Big5/cp950, Latin-1) are split into lines as bytes and
    decoded line by line, so a bad byte is reported on its own line rather than on the first line
    of the decoder's buffer; UTF-16/32 files are read as text.
    """
    if file.is_dir():
        raise ArtifactError("is a directory, expected a file", file=str(file))
    encoding = sniff_encoding(file, declared)
    if codecs.lookup(encoding).name.startswith(("utf-16", "utf-32")):
        yield from _text_lines(file, encoding, max_chars)
        return
    name = str(file)
    limit = max_chars + 2  # bytes: a config or CSV line this long is not one a tool wrote
    with open(file, "rb") as fh:
        if encoding == "utf-8-sig":
            fh.read(3)
            encoding = "utf-8"
        number = 0
        while True:
            number += 1
            raw = fh.readline(limit)
            if not raw:
                return
            if len(raw) >= limit and not raw.endswith(b"\n"):
                raise ArtifactError(
                    f"line longer than {max_chars} characters; is this the right file?", file=name, line=number
                )
            try:
                line = raw.decode(encoding)
            except UnicodeDecodeError as exc:
                raise ArtifactError(
                    f"not valid {encoding} text ({exc.reason} at byte {exc.start} of the line); set 'encoding:' on the artifact "
                    "in bundle.yaml if the file uses another one (e.g. cp950)",
                    file=name,
                    line=number,
                ) from None
            yield _checked(line, name, number, max_chars)


def _text_lines(file: Path, encoding: str, max_chars: int) -> Iterator[tuple[int, str]]:
    name = str(file)
    with open(file, encoding=encoding, errors="strict", newline="") as fh:
        number = 0
        while True:
            number += 1
            try:
                line = fh.readline(max_chars + 1)
            except UnicodeDecodeError as exc:
                raise ArtifactError(f"not valid {exc.encoding} text ({exc.reason})", file=name, line=number) from None
            if not line:
                return
            yield _checked(line, name, number, max_chars)


def _checked(line: str, name: str, number: int, max_chars: int) -> tuple[int, str]:
    if len(line) > max_chars and not line.endswith(("\n", "\r")):
        raise ArtifactError(f"line longer than {max_chars} characters; is this the right file?", file=name, line=number)
    if "\x00" in line:
        raise ArtifactError("contains NUL bytes: binary data or a wrong encoding", file=name, line=number)
    return number, line.rstrip("\r\n")


class _LineFeed(io.TextIOBase):
    """Feeds ``csv.reader`` from ``lines`` so CSV gets the same bounded, located reading."""

    def __init__(self, source: Iterator[tuple[int, str]]) -> None:
        self._source = source

    def __iter__(self) -> Iterator[str]:  # type: ignore[override]
        for _, text in self._source:
            yield text + "\n"


def csv_rows(file: Path, declared: str | None = None) -> Iterator[tuple[int, list[str]]]:
    """``(line number where the record starts, fields)``; a ``#TYPE`` line from old PowerShell is skipped."""
    name = str(file)
    csv.field_size_limit(MAX_CSV_FIELD)
    reader = csv.reader(iter(_LineFeed(lines(file, declared))), strict=True)
    start = 1
    try:
        for row in reader:
            if start == 1 and row and row[0].startswith("#TYPE"):
                start = reader.line_num + 1
                continue
            if row:
                yield start, row
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ArtifactError(f"broken CSV: {exc}", file=name, line=reader.line_num or start) from None


def normalise(name: str) -> str:
    return "".join(name.split()).lower().replace("_", "")


class Header:
    """Maps the canonical column names a check uses to positions in a real export's header.

    ``columns:`` in bundle.yaml maps a canonical name to the header the firm's export uses (Chinese
    headers included); otherwise a canonical name matches a header ignoring case, spaces and ``_``,
    or one of the known aliases.
    """

    def __init__(
        self,
        file: Path,
        header: list[str],
        required: tuple[str, ...],
        optional: tuple[str, ...] = (),
        columns: dict[str, str] | None = None,
        aliases: dict[str, tuple[str, ...]] | None = None,
        line: int = 1,
    ) -> None:
        columns = columns or {}
        aliases = aliases or {}
        found = {normalise(h): i for i, h in enumerate(header)}
        self.names = header
        self.index: dict[str, int] = {}
        missing: list[str] = []
        for canon in (*required, *optional):
            wanted = [columns[canon]] if canon in columns else [canon, *aliases.get(canon, ())]
            pos = next((found[normalise(w)] for w in wanted if normalise(w) in found), None)
            if pos is not None:
                self.index[canon] = pos
            elif canon in required:
                missing.append(f"{canon} (looked for {', '.join(repr(w) for w in wanted)})")
        if missing:
            raise ArtifactError(
                f"missing column(s) {'; '.join(missing)}; the header has {', '.join(repr(h) for h in header)}. "
                "Map them with 'columns:' on the artifact in bundle.yaml",
                file=str(file),
                line=line,
            )

    def has(self, canon: str) -> bool:
        return canon in self.index

    def get(self, row: list[str], canon: str) -> str:
        pos = self.index.get(canon)
        return row[pos].strip() if pos is not None and pos < len(row) else ""


def records(
    file: Path,
    required: tuple[str, ...],
    optional: tuple[str, ...] = (),
    *,
    columns: dict[str, str] | None = None,
    aliases: dict[str, tuple[str, ...]] | None = None,
    encoding: str | None = None,
) -> Iterator[tuple[int, dict[str, str]]]:
    """Stream a CSV as ``(line, {canonical: value})``; a row with the wrong field count names its line."""
    rows = csv_rows(file, encoding)
    first = next(rows, None)
    if first is None:
        raise ArtifactError("empty file: expected a CSV header line", file=str(file), line=1)
    hline, header = first
    head = Header(file, header, required, optional, columns, aliases, hline)
    wanted = list(head.index.items())
    width = len(header)
    for number, row in rows:
        if len(row) != width:
            raise ArtifactError(
                f"{len(row)} fields where the header has {width} (a truncated or hand-edited line?)",
                file=str(file),
                line=number,
            )
        yield number, {canon: row[pos].strip() for canon, pos in wanted}


TRUE_WORDS = frozenset({"true", "yes", "y", "1", "t", "是", "有", "通過", "pass", "passed", "enabled", "啟用"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "f", "否", "無", "未通過", "fail", "failed", "disabled", "停用", ""})


def parse_bool(value: str, *, file: Path, line: int, column: str) -> bool:
    v = value.strip().lower()
    if v in TRUE_WORDS:
        return True
    if v in FALSE_WORDS:
        return False
    raise ArtifactError(f"{column}: {value!r} is not true/false (是/否)", file=str(file), line=line)
