"""Content-addressed storage for evidence files.

A blob's name is its SHA-256, so a file stored twice is stored once, a stored file can be checked
against its name at any time, and nothing is ever overwritten: a blob is written to a temporary file,
flushed to disk, and then hard-linked into place (which fails rather than replace an existing file).
A crash leaves at worst a temporary file or an unreferenced blob, never a half-written blob under a
real name.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from brokersec.errors import InputError, Problem

CHUNK = 1024 * 1024
_HEX = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    size: int
    new: bool  # False when the same content was already in the vault


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Vault:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    def path(self, sha256: str) -> Path:
        if not _HEX.match(sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def put_stream(self, stream: BinaryIO, *, max_bytes: int | None = None, name: str = "<upload>") -> StoredBlob:
        """Store a stream; refuse it once it passes ``max_bytes`` without keeping any of it."""
        self.tmp.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        fd, tmp = tempfile.mkstemp(prefix="upload-", dir=self.tmp)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise InputError(
                            Problem(
                                f"file is larger than the {max_bytes} bytes allowed "
                                "(set BROKERSEC_MAX_UPLOAD_BYTES to change the limit)",
                                file=name,
                            )
                        )
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha = digest.hexdigest()
            target = self.path(sha)
            if target.exists():
                return StoredBlob(sha, size, new=False)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(tmp, target)
            except FileExistsError:  # a concurrent writer stored the same content first
                return StoredBlob(sha, size, new=False)
            except OSError:  # a filesystem without hard links: rename, having just checked the name is free
                if target.exists():
                    return StoredBlob(sha, size, new=False)
                os.rename(tmp, target)
            os.chmod(target, 0o440)
            _fsync_dir(target.parent)
            return StoredBlob(sha, size, new=True)
        finally:
            Path(tmp).unlink(missing_ok=True)

    def put_file(self, path: str | Path, *, max_bytes: int | None = None) -> StoredBlob:
        path = Path(path)
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            raise InputError(Problem("file not found", file=str(path))) from None
        if not path.is_file():
            raise InputError(Problem("not a regular file", file=str(path)))
        if max_bytes is not None and size > max_bytes:
            raise InputError(
                Problem(
                    f"file is {size} bytes, more than the {max_bytes} allowed "
                    "(set BROKERSEC_MAX_UPLOAD_BYTES to change the limit)",
                    file=str(path),
                )
            )
        with path.open("rb") as fh:
            return self.put_stream(fh, max_bytes=max_bytes, name=str(path))

    def open(self, sha256: str) -> BinaryIO:
        return self.path(sha256).open("rb")

    def hash_of(self, sha256: str) -> str | None:
        """The actual SHA-256 of the stored blob, or None if it is missing."""
        path = self.path(sha256)
        try:
            fh = path.open("rb")
        except FileNotFoundError:
            return None
        digest = hashlib.sha256()
        with fh:
            while chunk := fh.read(CHUNK):
                digest.update(chunk)
        return digest.hexdigest()

    def remove(self, sha256: str) -> None:
        path = self.path(sha256)
        if path.exists():
            path.chmod(0o640)
            path.unlink()
            _fsync_dir(path.parent)

    def blobs(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for first in sorted(self.root.iterdir()):
            if not (first.is_dir() and len(first.name) == 2):
                continue
            for second in sorted(first.iterdir()):
                for blob in sorted(second.iterdir()):
                    if _HEX.match(blob.name):
                        yield blob.name

    def clean_tmp(self) -> int:
        """Remove temporary files a crashed upload left behind."""
        if not self.tmp.is_dir():
            return 0
        n = 0
        for leftover in self.tmp.iterdir():
            leftover.unlink(missing_ok=True)
            n += 1
        return n
