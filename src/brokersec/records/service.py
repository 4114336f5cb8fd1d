"""``Records``: the one door to the system of record, for the CLI and the web alike.

Bind it to a user with ``as_user(login, client_addr)``; every method that changes something checks
that user's role in the firm concerned, writes the change, and appends the audit-log entry in the
same transaction. Reads return plain JSON-ready dicts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from brokersec.records.access import Access
from brokersec.records.automation import Automation
from brokersec.records.core import Forbidden, row_dict
from brokersec.records.db import open_engine
from brokersec.records.declarations import Declarations
from brokersec.records.evidence import EvidenceDesk
from brokersec.records.findings import Findings
from brokersec.records.inspections import Inspections
from brokersec.records.metrics import Metrics
from brokersec.records.models import AuditEntry
from brokersec.records.notices import Notices
from brokersec.records.people import People


class Records(Automation, People, Inspections, EvidenceDesk, Findings, Access, Metrics, Notices, Declarations):
    @classmethod
    def open(cls, url: str | None = None, vault_root: str | Path | None = None, **kwargs: Any) -> Records:
        """Records on ``url`` (default ``BROKERSEC_DATABASE_URL`` or SQLite in the data directory)."""
        return cls(open_engine(url), vault_root, **kwargs)

    def close(self) -> None:
        self.engine.dispose()

    def audit_log(self, org: int | str | None = None, *, after_seq: int = 0, limit: int = 1000) -> list[dict[str, Any]]:
        """Audit entries in order, optionally only those about one firm."""
        with self._read() as s:
            query = select(AuditEntry).where(AuditEntry.seq > after_seq).order_by(AuditEntry.seq).limit(limit)
            if org is not None:
                query = query.where(AuditEntry.org_id == self._org(s, org).id)
            return [row_dict(e) for e in s.execute(query).scalars()]


__all__ = ["Forbidden", "Records"]
