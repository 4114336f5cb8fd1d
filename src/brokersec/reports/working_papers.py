"""查核工作底稿 (working papers): one ZIP an external auditor can verify offline.

Layout, under one folder ``brokersec-<統一編號>-<period>/``::

    查核報告-2026-11.pdf              (when given: ``extra_files``)
    查核明細表-2026-11.xlsx           the checklist workbook
    evidence/CC-18000.3.e/12-原始檔名.pdf   every evidence file, by item, prefixed with its id
    manifest.json                     what the package is: firm, inspection, every file with its metadata
    MANIFEST.sha256                   ``sha256sum -c MANIFEST.sha256`` checks every file above

Evidence is streamed from the vault into the ZIP in chunks (never read whole) and its hash is
checked against the one recorded when it was collected, so a damaged vault file cannot slip into a
package. File names are made safe for every platform an auditor may unpack on: no path traversal,
no absolute paths, no characters or names Windows refuses, bounded length, Unicode kept.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Callable
from typing import Any, BinaryIO

from brokersec.errors import InputError, Problem

FORMAT = "brokersec-working-papers"
FORMAT_VERSION = 1
CHUNK = 1024 * 1024
MAX_COMPONENT_BYTES = 180  # well under the 255-byte limit of common file systems, room for " (2)"

_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"{p}{n}" for p in ("COM", "LPT") for n in range(1, 10)}
_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')

Progress = Callable[[int, int, str], None]
OpenEvidence = Callable[[int], tuple[dict[str, Any], BinaryIO]]


def safe_name(name: str, fallback: str = "file") -> str:
    """One path component safe on Windows, macOS and Linux; Unicode (e.g. 中文) is kept.

    Takes the last component of whatever path it is given (``../../etc/passwd`` → ``passwd``,
    ``C:\\x\\y.txt`` → ``y.txt``), replaces characters Windows forbids and control characters with
    ``_``, drops trailing dots and spaces, prefixes reserved device names (``CON``, ``LPT1`` …) and
    caps the length in UTF-8 bytes while keeping the extension.
    """
    text = unicodedata.normalize("NFC", str(name or ""))
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn") or ch in "\t")
    text = re.split(r"[\\/]", text)[-1]
    text = _FORBIDDEN.sub("_", text).strip().rstrip(". ")
    if not text or set(text) <= {"."}:
        text = fallback
    stem, dot, ext = text.rpartition(".")
    if not dot:
        stem, ext = text, ""
    if stem.split(".")[0].upper() in _WINDOWS_RESERVED or (not stem and ext.upper() in _WINDOWS_RESERVED):
        text = "_" + text
        stem = "_" + stem
    if len(text.encode()) > MAX_COMPONENT_BYTES:
        ext_part = f".{ext}" if dot and len(ext.encode()) <= 16 else ""
        base = stem if ext_part else text
        budget = MAX_COMPONENT_BYTES - len(ext_part.encode())
        while len(base.encode()) > budget:
            base = base[:-1]
        text = base.rstrip(". ") + ext_part
    return text


def safe_path(path: str) -> str:
    """A relative path of safe components (for names given by callers, e.g. ``extra_files``)."""
    parts = [p for p in re.split(r"[\\/]", path) if p not in ("", ".", "..")]
    if not parts:
        raise InputError(Problem(f"{path!r} is not a file name", field="extra_files"))
    return "/".join(safe_name(p) for p in parts)


class _Package:
    def __init__(self, zf: zipfile.ZipFile, root: str, stamp: dt.datetime) -> None:
        self.zf = zf
        self.root = root
        self.stamp = stamp
        self.files: list[dict[str, Any]] = []
        self.used: set[str] = set()

    def _unique(self, rel: str) -> str:
        if rel.casefold() not in self.used:
            self.used.add(rel.casefold())
            return rel
        head, dot, ext = rel.rpartition(".")
        if not dot or "/" in ext:
            head, ext = rel, ""
        n = 2
        while True:
            candidate = f"{head} ({n}).{ext}" if ext else f"{head} ({n})"
            if candidate.casefold() not in self.used:
                self.used.add(candidate.casefold())
                return candidate
            n += 1

    def _info(self, rel: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(f"{self.root}/{rel}", date_time=self.stamp.timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        return info

    def add_bytes(self, rel: str, data: bytes, **meta: Any) -> dict[str, Any]:
        rel = self._unique(rel)
        self.zf.writestr(self._info(rel), data)
        entry = {"path": rel, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data), **meta}
        self.files.append(entry)
        return entry

    def add_stream(self, rel: str, src: BinaryIO, **meta: Any) -> dict[str, Any]:
        rel = self._unique(rel)
        digest = hashlib.sha256()
        size = 0
        with self.zf.open(self._info(rel), "w", force_zip64=True) as dst:
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                dst.write(chunk)
                size += len(chunk)
        entry = {"path": rel, "sha256": digest.hexdigest(), "size": size, **meta}
        self.files.append(entry)
        return entry


def write_working_papers(
    out: BinaryIO,
    inspection: dict[str, Any],
    org: dict[str, Any],
    *,
    checklist: bytes,
    open_evidence: OpenEvidence,
    extra_files: dict[str, bytes] | None = None,
    generated_at: dt.datetime | None = None,
    generator: str = "brokersec",
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Write the working papers ZIP of ``inspection`` (``Records.get_inspection``) to ``out``.

    ``checklist`` is the workbook (``checklist_xlsx.build_checklist``); ``extra_files`` adds files by
    name (the report PDF, …); ``open_evidence(id) -> (meta, binary file)`` is
    ``Records.open_evidence``. Returns the manifest (also written as ``manifest.json``).
    """
    stamp = (generated_at or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    period = inspection["period_id"]
    root = safe_name(f"brokersec-{org.get('tax_id') or org.get('id')}-{period}")
    evidence = [(it["item"], ev) for it in inspection["items"] for ev in it.get("evidence") or []]
    extra = dict(extra_files or {})
    total = len(extra) + 1 + len(evidence) + 2
    done = 0

    def tick(label: str) -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, total, label)

    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
        pkg = _Package(zf, root, stamp)
        for name, data in extra.items():
            pkg.add_bytes(safe_path(name), data, kind="attachment")
            tick(name)
        pkg.add_bytes(f"查核明細表-{safe_name(period)}.xlsx", checklist, kind="checklist")
        tick("checklist")
        for item_id, ev in evidence:
            original = ev.get("original_name") or f"evidence-{ev['id']}"
            file_name = safe_name(f"{ev['id']}-{safe_name(original)}")
            rel = f"evidence/{safe_name(item_id)}/{file_name}"
            try:
                meta, fh = open_evidence(int(ev["id"]))
            except FileNotFoundError:
                raise InputError(
                    Problem(
                        f"evidence {ev['id']} ({original}) is missing from the vault; run `brokersec evidence verify`",
                        field="evidence",
                    )
                ) from None
            with fh:
                entry = pkg.add_stream(
                    rel,
                    fh,
                    kind="evidence",
                    item=item_id,
                    evidence_id=ev["id"],
                    original_name=original,
                    media_type=ev.get("media_type"),
                    collected_at=ev.get("collected_at"),
                    source=ev.get("source"),
                )
            recorded = meta.get("sha256") or ev.get("sha256")
            if recorded and recorded != entry["sha256"]:
                raise InputError(
                    Problem(
                        f"evidence {ev['id']} ({original}) does not match the SHA-256 recorded when it was collected; "
                        "the vault file is damaged — run `brokersec evidence verify`",
                        field="evidence",
                    )
                )
            tick(original)
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "generator": generator,
            "generated_at": stamp.isoformat(),
            "firm": {"id": org.get("id"), "name": org.get("name"), "tax_id": org.get("tax_id")},
            "inspection": {
                k: inspection.get(k)
                for k in (
                    "id",
                    "period_id",
                    "frequency",
                    "period_start",
                    "period_end",
                    "due",
                    "catalog_version",
                    "applicable",
                    "recorded",
                    "approved",
                )
            },
            "verify": "cd into this folder, then: sha256sum -c MANIFEST.sha256",
            "files": list(pkg.files),
        }
        pkg.add_bytes(
            "manifest.json", (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode(), kind="manifest"
        )
        tick("manifest.json")
        lines = "".join(f"{f['sha256']}  {f['path']}\n" for f in pkg.files)
        zf.writestr(pkg._info("MANIFEST.sha256"), lines.encode())
        tick("MANIFEST.sha256")
    return manifest


def build_working_papers(
    inspection: dict[str, Any],
    org: dict[str, Any],
    *,
    checklist: bytes,
    open_evidence: OpenEvidence,
    extra_files: dict[str, bytes] | None = None,
    generated_at: dt.datetime | None = None,
) -> bytes:
    """The same ZIP as bytes (for small packages, e.g. a web download); prefer ``write_working_papers``."""
    buf = io.BytesIO()
    write_working_papers(
        buf,
        inspection,
        org,
        checklist=checklist,
        open_evidence=open_evidence,
        extra_files=extra_files,
        generated_at=generated_at,
    )
    return buf.getvalue()


__all__ = ["FORMAT", "build_working_papers", "safe_name", "safe_path", "write_working_papers"]
