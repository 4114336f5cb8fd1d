"""Writing files so that a crash never leaves half of one behind.

Every file brokersec writes for a person (exports, reports, calendars) goes through
``write_atomic``: the bytes land in a temporary file in the same directory, are flushed to disk,
and only then renamed over the target, so a reader sees the old file or the new one, never a mix.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


def write_atomic(path: str | Path, data: bytes | str, *, encoding: str = "utf-8") -> Path:
    with open_atomic(path) as fh:
        fh.write(data.encode(encoding) if isinstance(data, str) else data)
    return Path(path)


@contextmanager
def open_atomic(path: str | Path) -> Iterator[BinaryIO]:
    """``write_atomic`` for output too big to hold in memory (e.g. a ZIP of evidence): write to the
    yielded file; it replaces ``path`` only when the block ends without an exception."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w+b") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
