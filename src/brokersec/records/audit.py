"""The hash-chained audit trail.

Each entry's hash covers its own canonical JSON and the previous entry's hash, so changing, removing
or reordering any entry breaks every link after it; the ``audit_head`` row holds the tip, so cutting
entries off the end is caught too. Entries are written in the transaction of the change they
describe: either both are stored or neither.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from brokersec.records.models import AuditEntry, AuditHead

GENESIS = "0" * 64
HASHED_FIELDS = (
    "seq",
    "at",
    "actor_id",
    "actor",
    "actor_name",
    "role",
    "job_title",
    "client_addr",
    "action",
    "entity",
    "entity_id",
    "org_id",
    "before",
    "after",
    "prev_hash",
)


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"cannot put {type(value).__name__} in the audit trail")


def canonical(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8 kept: the same text for the same content on any machine."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default)


def entry_hash(fields: dict[str, Any]) -> str:
    return hashlib.sha256(canonical({k: fields[k] for k in HASHED_FIELDS}).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Actor:
    """Who is acting, as the audit trail names them (CC-18000 (5) b asks for name and job title)."""

    user_id: int | None
    login: str
    name: str
    job_title: str
    client_addr: str | None = None


def append(
    session: Session,
    actor: Actor,
    role: str,
    action: str,
    entity: str,
    entity_id: Any,
    *,
    org_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    at: dt.datetime,
) -> AuditEntry:
    # Locking the head row serialises concurrent writers on PostgreSQL, so the chain never forks.
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one()
    fields: dict[str, Any] = {
        "seq": head.seq + 1,
        "at": at.astimezone(dt.UTC).isoformat(),
        "actor_id": actor.user_id,
        "actor": actor.login,
        "actor_name": actor.name,
        "role": role,
        "job_title": actor.job_title,
        "client_addr": actor.client_addr,
        "action": action,
        "entity": entity,
        "entity_id": None if entity_id is None else str(entity_id),
        "org_id": org_id,
        "before": None if before is None else canonical(before),
        "after": None if after is None else canonical(after),
        "prev_hash": head.hash,
    }
    entry = AuditEntry(**fields, hash=entry_hash(fields))
    session.add(entry)
    head.seq = entry.seq
    head.hash = entry.hash
    session.flush()
    return entry


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    entries: int
    broken_seq: int | None = None
    reason: str | None = None
    head_hash: str | None = None  # worth writing down outside the system (e.g. in the board report)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "broken_seq": self.broken_seq,
            "reason": self.reason,
            "head_hash": self.head_hash,
        }


def verify_chain(session: Session, batch: int = 2000) -> ChainReport:
    """Walk the chain from the start; report the first entry whose link does not hold.

    The head is read first and the walk stops at it, so entries appended by writers while the walk
    runs are neither a false alarm nor silently trusted (the next run covers them).
    """
    head = session.execute(select(AuditHead).where(AuditHead.id == 1)).scalar_one_or_none()
    if head is None:
        return ChainReport(False, 0, None, "the chain's head record is missing")
    head_seq, head_hash = head.seq, head.hash
    prev_hash = GENESIS
    count = 0
    while count < head_seq:
        rows = (
            session.execute(
                select(AuditEntry)
                .where(AuditEntry.seq > count, AuditEntry.seq <= head_seq)
                .order_by(AuditEntry.seq)
                .limit(batch)
            )
            .scalars()
            .all()
        )
        if not rows:
            break
        for row in rows:
            expected = count + 1
            if row.seq != expected:
                return ChainReport(False, count, expected, f"entry {expected} is missing")
            if row.prev_hash != prev_hash:
                return ChainReport(False, count, row.seq, "does not link to the previous entry (prev_hash differs)")
            if entry_hash({k: getattr(row, k) for k in HASHED_FIELDS}) != row.hash:
                return ChainReport(False, count, row.seq, "content was changed after it was written (hash differs)")
            prev_hash = row.hash
            count += 1
    if count < head_seq:
        return ChainReport(False, count, count + 1, f"entries {count + 1}…{head_seq} were removed")
    if head_hash != prev_hash:
        return ChainReport(False, count, head_seq, "the chain's head record does not match its last entry")
    return ChainReport(True, count, head_hash=head_hash)
