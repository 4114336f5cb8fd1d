"""One-file backup and restore of the whole system of record.

The archive is a tar with one JSON-lines file per table (a logical dump, so a SQLite installation
can be restored onto PostgreSQL and back), every evidence blob the records refer to, and a manifest
holding the SHA-256 of every other member. The dump is read inside one snapshot transaction, so the
system can keep running while it is taken. Restore only goes into an empty installation, checks
every hash and the audit chain before committing anything, and refuses a damaged archive whole.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import tarfile
from pathlib import Path
from typing import Any

from sqlalchemy import Date, DateTime, Integer, delete, func, insert, select, text
from sqlalchemy.orm import Session

from brokersec import __version__
from brokersec.errors import InputError, Problem
from brokersec.fileio import open_atomic
from brokersec.records import audit
from brokersec.records.db import head_revision
from brokersec.records.models import AuditHead, Base, Evidence, UTCDateTime
from brokersec.records.service import Records
from brokersec.records.vault import CHUNK

FORMAT = "brokersec-backup/1"
MANIFEST = "manifest.json"


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _from_json(column: Any, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(column.type, UTCDateTime | DateTime):
        return dt.datetime.fromisoformat(value)
    if isinstance(column.type, Date):
        return dt.date.fromisoformat(value)
    return value


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes, members: dict[str, Any]) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 0
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))
    members[name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def backup(records: Records, target: str | Path) -> dict[str, Any]:
    """Write the archive to ``target`` atomically; returns the manifest."""
    members: dict[str, Any] = {}
    counts: dict[str, int] = {}
    with open_atomic(target) as fh, tarfile.open(fileobj=fh, mode="w", format=tarfile.PAX_FORMAT) as tar:
        conn = records.engine.connect()
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn, conn.begin():
            for table in Base.metadata.sorted_tables:
                pk = list(table.primary_key.columns)
                lines = []
                for row in conn.execute(select(table).order_by(*pk)).mappings():
                    lines.append(json.dumps({k: _jsonable(v) for k, v in row.items()}, ensure_ascii=False))
                counts[table.name] = len(lines)
                _add_bytes(tar, f"db/{table.name}.jsonl", ("\n".join(lines) + "\n" if lines else "").encode(), members)
            head = conn.execute(select(AuditHead.seq, AuditHead.hash)).one()
            blobs = sorted(set(conn.execute(select(Evidence.sha256).where(Evidence.deleted_at.is_(None))).scalars()))
        for sha in blobs:
            _add_blob(tar, records, sha, members)
        manifest = {
            "format": FORMAT,
            "brokersec": __version__,
            "schema": head_revision(),
            "created_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            "tables": counts,
            "blobs": len(blobs),
            "audit_head": {"seq": head.seq, "hash": head.hash},
            "members": members,
        }
        data = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(data)
        info.mode = 0o644
        tar.addfile(info, io.BytesIO(data))
    return manifest


def _add_blob(tar: tarfile.TarFile, records: Records, sha: str, members: dict[str, Any]) -> None:
    path = records.vault.path(sha)
    name = f"vault/{sha[:2]}/{sha[2:4]}/{sha}"
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError(Problem(f"evidence blob {sha} is missing; run `brokersec evidence verify`")) from None
    digest = hashlib.sha256()

    class _Hashing:
        def __init__(self, fh: Any) -> None:
            self.fh = fh

        def read(self, n: int = -1) -> bytes:
            data = self.fh.read(n)
            digest.update(data)
            return data

    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o444
    with path.open("rb") as fh:
        tar.addfile(info, _Hashing(fh))  # type: ignore[arg-type]
    if digest.hexdigest() != sha:
        raise InputError(Problem(f"evidence blob {sha} was altered; run `brokersec evidence verify`"))
    members[name] = {"sha256": sha, "size": size}


# ---------------------------------------------------------------- restore


def _damaged(message: str, file: Path) -> InputError:
    return InputError(Problem(f"damaged or foreign backup archive: {message}; nothing was restored", file=str(file)))


def _read_manifest(archive: Path) -> dict[str, Any]:
    try:
        with tarfile.open(archive, mode="r:*") as tar:
            try:
                fh = tar.extractfile(MANIFEST)
            except KeyError:
                raise _damaged("it has no manifest.json", archive) from None
            if fh is None:
                raise _damaged("manifest.json is not a file", archive)
            manifest = json.loads(fh.read().decode("utf-8"))
    except FileNotFoundError:
        raise InputError(Problem("file not found", file=str(archive))) from None
    except (tarfile.TarError, EOFError, OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _damaged(str(exc) or type(exc).__name__, archive) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _damaged(f"not a {FORMAT} archive", archive)
    if manifest.get("schema") != head_revision():
        raise InputError(
            Problem(
                f"the archive has schema {manifest.get('schema')}, this brokersec has {head_revision()}; "
                "restore it with the brokersec version that made it",
                file=str(archive),
            )
        )
    return manifest


def verify_archive(archive: str | Path) -> dict[str, Any]:
    """Check every member against the manifest without restoring anything; returns the manifest."""
    archive = Path(archive)
    manifest = _read_manifest(archive)
    expected: dict[str, Any] = manifest.get("members") or {}
    seen: set[str] = set()
    try:
        with tarfile.open(archive, mode="r:*") as tar:
            for info in tar:
                if info.name == MANIFEST:
                    continue
                if not info.isfile():
                    raise _damaged(f"member {info.name!r} is not a regular file", archive)
                if info.name not in expected:
                    raise _damaged(f"member {info.name!r} is not in the manifest", archive)
                fh = tar.extractfile(info)
                assert fh is not None
                digest = hashlib.sha256()
                while chunk := fh.read(CHUNK):
                    digest.update(chunk)
                if digest.hexdigest() != expected[info.name]["sha256"]:
                    raise _damaged(f"member {info.name!r} does not match its SHA-256 in the manifest", archive)
                seen.add(info.name)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise _damaged(str(exc) or type(exc).__name__, archive) from None
    missing = sorted(set(expected) - seen)
    if missing:
        raise _damaged(f"{len(missing)} member(s) missing, e.g. {missing[0]!r}", archive)
    return manifest


def _require_empty(records: Records) -> None:
    counts = records.count_rows()
    used = {t: n for t, n in counts.items() if n and t != "audit_head"}
    if used or any(True for _ in records.vault.blobs()):
        what = ", ".join(f"{t} ({n})" for t, n in used.items()) or "evidence vault"
        raise InputError(Problem(f"restore needs an empty installation; this one has {what}"))
    with Session(records.engine) as s:
        head = s.get(AuditHead, 1)
        if head is not None and head.seq != 0:
            raise InputError(Problem("restore needs an empty installation; the audit trail has entries"))


def restore(records: Records, archive: str | Path) -> dict[str, Any]:
    """Restore ``archive`` into an empty installation; all or nothing."""
    archive = Path(archive)
    manifest = verify_archive(archive)
    _require_empty(records)
    stored: list[str] = []
    try:
        with tarfile.open(archive, mode="r:*") as tar:
            tables: dict[str, list[dict[str, Any]]] = {}
            for info in tar:
                if info.name.startswith("vault/"):
                    fh = tar.extractfile(info)
                    assert fh is not None
                    blob = records.vault.put_stream(fh, name=info.name)
                    if blob.sha256 != info.name.rsplit("/", 1)[-1]:
                        raise _damaged(f"blob {info.name!r} is not stored under its own hash", archive)
                    stored.append(blob.sha256)
                elif info.name.startswith("db/") and info.name.endswith(".jsonl"):
                    fh = tar.extractfile(info)
                    assert fh is not None
                    text_ = fh.read().decode("utf-8")
                    tables[info.name[3:-6]] = [json.loads(line) for line in text_.splitlines() if line]
        _load_tables(records, tables, manifest, archive)
    except BaseException:
        for sha in stored:
            records.vault.remove(sha)
        raise
    return manifest


def _load_tables(
    records: Records, tables: dict[str, list[dict[str, Any]]], manifest: dict[str, Any], archive: Path
) -> None:
    known = {t.name for t in Base.metadata.sorted_tables}
    if set(tables) != known:
        raise _damaged(f"tables {sorted(set(tables) ^ known)} differ from this schema", archive)
    with Session(records.engine) as s:
        s.connection(execution_options={"write": True})
        s.execute(delete(AuditHead))
        for table in Base.metadata.sorted_tables:
            rows = tables[table.name]
            if len(rows) != manifest["tables"].get(table.name):
                raise _damaged(f"table {table.name} has {len(rows)} rows, the manifest says otherwise", archive)
            if rows:
                cols = {c.key: c for c in table.columns}
                converted = [{k: _from_json(cols[k], v) for k, v in row.items() if k in cols} for row in rows]
                for start in range(0, len(converted), 1000):
                    s.execute(insert(table), converted[start : start + 1000])
        report = audit.verify_chain(s)
        if not report.ok:
            s.rollback()
            raise _damaged(f"its audit trail is broken at entry {report.broken_seq}: {report.reason}", archive)
        audit.append(
            s,
            audit.Actor(None, "system", "brokersec", "system"),
            "system",
            "backup.restore",
            "installation",
            None,
            after={"archive": archive.name, "created_at": manifest.get("created_at"), "tables": manifest["tables"]},
            at=records.clock(),
        )
        if s.bind.dialect.name == "postgresql":  # type: ignore[union-attr]
            for table in Base.metadata.sorted_tables:
                pk = list(table.primary_key.columns)
                if len(pk) == 1 and isinstance(pk[0].type, Integer) and pk[0].autoincrement is not False:
                    top = s.execute(select(func.max(pk[0]))).scalar()
                    if top is not None:
                        s.execute(
                            text("SELECT setval(pg_get_serial_sequence(:t, :c), :v)"),
                            {"t": table.name, "c": pk[0].name, "v": top},
                        )
        s.commit()
