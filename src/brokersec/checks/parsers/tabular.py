"""Large CSV exports handed to DuckDB, with the same located errors as the streaming readers.

DuckDB reads a million-row export in well under a second, but its errors name byte offsets and
its encodings are few. So the header is read (and checked) here, non-UTF-8 files are transcoded to
a temporary UTF-8 copy in streaming chunks, and when DuckDB or a value check fails, the file is
scanned once more in Python to name the exact line. The slow path runs only on broken input.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from brokersec.checks.engine import ArtifactError
from brokersec.checks.parsers.text import MAX_CSV_FIELD, MAX_LINE_CHARS, Header, csv_rows, lines, sniff_encoding


@dataclass
class CsvSource:
    """A CSV ready for ``read_csv``: a UTF-8 path, how many lines to skip, and the column map."""

    original: Path
    path: Path
    skip: int
    header: Header
    encoding: str | None
    _tmp: tempfile.TemporaryDirectory[str] | None = None

    def column(self, canon: str) -> str:
        """The real header of a canonical column, quoted for SQL."""
        name = self.header.names[self.header.index[canon]]
        return '"' + name.replace('"', '""') + '"'

    def read_sql(self) -> str:
        path = str(self.path).replace("'", "''")
        return (
            f"read_csv('{path}', header=true, all_varchar=true, skip={self.skip}, delim=',', quote='\"', "
            f"escape='\"', strict_mode=true, max_line_size={MAX_LINE_CHARS + 2}, null_padding=false)"
        )

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def locate(self, canon: str, bad_value: str, problem: str) -> ArtifactError:
        """The first line whose ``canon`` column holds ``bad_value``: the slow path, only for errors."""
        pos = self.header.index[canon]
        for number, row in csv_rows(self.original, self.encoding):
            if number > self.skip + 1 and pos < len(row) and row[pos].strip() == bad_value.strip():
                return ArtifactError(
                    f"{self.header.names[pos]}: {bad_value!r} {problem}", file=str(self.original), line=number
                )
        return ArtifactError(f"{self.header.names[pos]}: {bad_value!r} {problem}", file=str(self.original))

    def explain(self, exc: Exception) -> ArtifactError:
        """Turn a DuckDB read error into a located one, by re-reading the file the careful way."""
        try:
            width = len(self.header.names)
            for number, row in csv_rows(self.original, self.encoding):
                if len(row) != width:
                    return ArtifactError(
                        f"{len(row)} fields where the header has {width} (a truncated or hand-edited line?)",
                        file=str(self.original),
                        line=number,
                    )
        except ArtifactError as located:
            return located
        m = re.search(r"[Ll]ine:?\s*(\d+)", str(exc))
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return ArtifactError(f"cannot read CSV: {first}", file=str(self.original), line=int(m[1]) if m else None)


def prepare_csv(
    file: Path,
    required: tuple[str, ...],
    optional: tuple[str, ...],
    *,
    columns: dict[str, str],
    aliases: dict[str, tuple[str, ...]],
    encoding: str | None,
) -> CsvSource:
    rows = csv_rows(file, encoding)
    first = next(rows, None)
    rows.close()
    if first is None:
        raise ArtifactError("empty file: expected a CSV header line", file=str(file), line=1)
    hline, names = first
    header = Header(file, names, required, optional, columns, aliases, hline)
    actual = sniff_encoding(file, encoding)
    if actual.replace("-", "").lower() in ("utf8", "utf8sig"):
        return CsvSource(file, file, hline - 1, header, encoding)
    tmp = tempfile.TemporaryDirectory(prefix="brokersec-csv-")
    target = Path(tmp.name) / "utf8.csv"
    try:
        with open(target, "w", encoding="utf-8", newline="") as out:
            for _, text in lines(file, encoding, max_chars=MAX_CSV_FIELD):
                out.write(text + "\n")
    except BaseException:
        tmp.cleanup()
        raise
    return CsvSource(file, target, hline - 1, header, encoding, tmp)
