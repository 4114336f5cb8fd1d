"""Evidence: files in the vault, their metadata, the items they support, and how long they are kept.

The blob is written before its metadata row and removed after its row is marked deleted, so a crash
at any point leaves, at worst, a blob no row refers to (reported by ``verify_evidence``, harmless),
never a row whose file is missing.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from brokersec.catalog import load_catalog_ref
from brokersec.errors import InputError, Problem
from brokersec.records.core import DEFAULT_RETENTION_YEARS, _Core, as_date, row_dict
from brokersec.records.core import max_upload_bytes as configured_max
from brokersec.records.models import EVIDENCE_SOURCES, Evidence, EvidenceLink, Inspection

Link = tuple[int | str, str]  # (inspection id, item id)


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


class EvidenceDesk(_Core):
    def _limit(self) -> int:
        return self.max_upload_bytes if self.max_upload_bytes is not None else configured_max()

    def _retention_years(self, s: Session, evidence_id: int | None, extra: list[tuple[Inspection, str]]) -> int:
        """The longest retention any supported item asks for, and never less than the default."""
        years = DEFAULT_RETENTION_YEARS
        pairs = list(extra)
        if evidence_id is not None:
            for link, ins in s.execute(
                select(EvidenceLink, Inspection)
                .join(Inspection, Inspection.id == EvidenceLink.inspection_id)
                .where(EvidenceLink.evidence_id == evidence_id)
            ):
                pairs.append((ins, link.item_id))
        for ins, item_id in pairs:
            item = load_catalog_ref(ins.catalog_version).items.get(item_id)
            if item is not None and item.retention_years:
                years = max(years, item.retention_years)
        return years

    def _check_links(self, s: Session, org_id: int, links: list[Link]) -> list[tuple[Inspection, str]]:
        out = []
        for inspection, item_id in links:
            ins = self._inspection(s, inspection, org_id)  # type: ignore[attr-defined]
            if ins.org_id != org_id:
                raise InputError(Problem(f"inspection {ins.id} belongs to another firm", field="inspection"))
            self._scope_item(s, ins, item_id, load_catalog_ref(ins.catalog_version))  # type: ignore[attr-defined]
            out.append((ins, item_id))
        return out

    def add_evidence(
        self,
        org: int | str,
        file: str | Path | BinaryIO,
        *,
        collected_at: dt.date | str,
        original_name: str | None = None,
        media_type: str | None = None,
        source: str = "uploaded",
        description: str = "",
        links: list[Link] = (),  # type: ignore[assignment]
    ) -> dict[str, Any]:
        """Store a file (path or binary stream) and its metadata, linked to (inspection, item) pairs."""
        collected = as_date(collected_at, "collected_at")
        if collected is None:
            raise InputError(Problem("the day the evidence was collected is needed", field="collected_at"))
        collected_at = collected
        if source not in EVIDENCE_SOURCES:
            raise InputError(Problem(f"unknown source {source!r}; use uploaded or automated", field="source"))
        if isinstance(file, str | Path):
            original_name = original_name or Path(file).name
        if not original_name:
            raise InputError(Problem("the file's original name is needed", field="name"))
        links = list(links)
        # Validate everything first so that bad input stores nothing, not even the blob.
        with self._read() as s:
            me = self._me(s)
            o = self._org(s, org)
            self._require(s, me, o.id, ("inspector", "reviewer", "admin"), "add evidence")
            self._check_links(s, o.id, links)
        limit = self._limit()
        if isinstance(file, str | Path):
            blob = self.vault.put_file(file, max_bytes=limit)
        else:
            blob = self.vault.put_stream(file, max_bytes=limit, name=original_name)
        media_type = media_type or mimetypes.guess_type(original_name)[0] or "application/octet-stream"
        with self._write() as s:
            me = self._me(s)
            o = self._org(s, org)
            used = self._require(s, me, o.id, ("inspector", "reviewer", "admin"), "add evidence")
            pairs = self._check_links(s, o.id, links)
            now = self.clock()
            ev = Evidence(
                org_id=o.id,
                sha256=blob.sha256,
                size=blob.size,
                original_name=original_name[:255],
                media_type=media_type,
                source=source,
                collected_at=collected_at,
                uploaded_by=me.id,
                uploaded_at=now,
                description=description,
                retain_until=add_years(collected_at, self._retention_years(s, None, pairs)),
                legal_hold=False,
            )
            s.add(ev)
            s.flush()
            self._audit(s, me, used, "evidence.add", "evidence", ev.id, org_id=o.id, after=row_dict(ev))
            for ins, item_id in pairs:
                self._link(s, me, used, ev, ins, item_id)
            return {**row_dict(ev), "links": [{"inspection_id": i.id, "item": item} for i, item in pairs]}

    def _link(self, s: Session, me: Any, role: str, ev: Evidence, ins: Inspection, item_id: str) -> EvidenceLink:
        exists = s.execute(
            select(EvidenceLink).where(
                EvidenceLink.evidence_id == ev.id,
                EvidenceLink.inspection_id == ins.id,
                EvidenceLink.item_id == item_id,
            )
        ).scalar_one_or_none()
        if exists is not None:
            raise InputError(Problem(f"evidence {ev.id} already supports {item_id} in {ins.period_id}", field="item"))
        link = EvidenceLink(
            evidence_id=ev.id, inspection_id=ins.id, item_id=item_id, linked_by=me.id, linked_at=self.clock()
        )
        s.add(link)
        s.flush()
        self._audit(s, me, role, "evidence.link", "evidence_link", link.id, org_id=ev.org_id, after=row_dict(link))
        until = add_years(ev.collected_at, self._retention_years(s, ev.id, []))
        if until > ev.retain_until:
            before = row_dict(ev)
            ev.retain_until = until
            self._audit(
                s,
                me,
                role,
                "evidence.retention_extend",
                "evidence",
                ev.id,
                org_id=ev.org_id,
                before=before,
                after=row_dict(ev),
            )
        return link

    def link_evidence(self, evidence_id: int, inspection: int | str, item_id: str) -> dict[str, Any]:
        """Let stored evidence support one more item (of this or another period)."""
        with self._write() as s:
            me = self._me(s)
            ev = self._evidence(s, evidence_id)
            used = self._require(s, me, ev.org_id, ("inspector", "reviewer", "admin"), "link evidence")
            ((ins, item),) = self._check_links(s, ev.org_id, [(inspection, item_id)])
            return row_dict(self._link(s, me, used, ev, ins, item))

    def _evidence(self, s: Session, evidence_id: int) -> Evidence:
        ev = self._get(s, Evidence, evidence_id, "evidence")
        if ev.deleted_at is not None:
            raise InputError(Problem(f"evidence {evidence_id} was deleted on {ev.deleted_at.date()}", field="evidence"))
        return ev

    def get_evidence(self, evidence_id: int) -> dict[str, Any]:
        with self._read() as s:
            ev = self._get(s, Evidence, evidence_id, "evidence")
            links = s.execute(select(EvidenceLink).where(EvidenceLink.evidence_id == ev.id)).scalars()
            return {**row_dict(ev), "links": [{"inspection_id": k.inspection_id, "item": k.item_id} for k in links]}

    def open_evidence(self, evidence_id: int) -> tuple[dict[str, Any], BinaryIO]:
        """Metadata and an open binary file, for download."""
        with self._read() as s:
            ev = self._evidence(s, evidence_id)
            return row_dict(ev), self.vault.open(ev.sha256)

    def list_evidence(
        self, org: int | str, inspection: int | str | None = None, item_id: str | None = None
    ) -> list[dict[str, Any]]:
        with self._read() as s:
            o = self._org(s, org)
            query = select(Evidence).where(Evidence.org_id == o.id, Evidence.deleted_at.is_(None)).order_by(Evidence.id)
            if inspection is not None or item_id is not None:
                sub = select(EvidenceLink.evidence_id)
                if inspection is not None:
                    sub = sub.where(EvidenceLink.inspection_id == self._inspection(s, inspection, o.id).id)  # type: ignore[attr-defined]
                if item_id is not None:
                    sub = sub.where(EvidenceLink.item_id == item_id)
                query = query.where(Evidence.id.in_(sub))
            return [row_dict(e) for e in s.execute(query).scalars()]

    def set_legal_hold(self, evidence_id: int, hold: bool, reason: str) -> dict[str, Any]:
        """A legal hold keeps evidence past its retention date until it is lifted."""
        if not reason.strip():
            raise InputError(Problem("say why the legal hold is set or lifted", field="reason"))
        with self._write() as s:
            me = self._me(s)
            ev = self._evidence(s, evidence_id)
            used = self._require(s, me, ev.org_id, ("admin",), "set legal holds")
            before = row_dict(ev)
            ev.legal_hold = hold
            after = {**row_dict(ev), "reason": reason.strip()}
            action = "evidence.hold" if hold else "evidence.release"
            self._audit(s, me, used, action, "evidence", ev.id, org_id=ev.org_id, before=before, after=after)
            return row_dict(ev)

    def delete_evidence(self, evidence_id: int, reason: str, today: dt.date | None = None) -> dict[str, Any]:
        """Delete evidence whose retention has passed: the row stays (marked deleted), the file goes."""
        if not reason.strip():
            raise InputError(Problem("say why the evidence is deleted", field="reason"))
        today = today or self.clock().date()
        with self._write() as s:
            me = self._me(s)
            ev = self._evidence(s, evidence_id)
            used = self._require(s, me, ev.org_id, ("admin",), "delete evidence")
            if ev.legal_hold:
                raise InputError(
                    Problem(f"evidence {ev.id} is under legal hold and cannot be deleted", field="evidence")
                )
            if today < ev.retain_until:
                raise InputError(
                    Problem(
                        f"evidence {ev.id} must be kept until {ev.retain_until.isoformat()} (retention); "
                        "it cannot be deleted before then",
                        field="evidence",
                    )
                )
            before = row_dict(ev)
            ev.deleted_at = self.clock()
            ev.deleted_by = me.id
            self._audit(
                s,
                me,
                used,
                "evidence.delete",
                "evidence",
                ev.id,
                org_id=ev.org_id,
                before=before,
                after={**row_dict(ev), "reason": reason.strip()},
            )
            sha = ev.sha256
            out = row_dict(ev)
        with self._read() as s:
            still_used = s.execute(
                select(Evidence.id).where(Evidence.sha256 == sha, Evidence.deleted_at.is_(None))
            ).first()
        if still_used is None:
            self.vault.remove(sha)
        return out

    def verify_evidence(self) -> dict[str, Any]:
        """Re-hash every blob a live evidence row needs; list missing and altered ones, and strays."""
        with self._read() as s:
            rows = s.execute(select(Evidence.id, Evidence.sha256, Evidence.deleted_at).order_by(Evidence.id)).all()
        needed: dict[str, list[int]] = {}
        for ev_id, sha, deleted in rows:
            if deleted is None:
                needed.setdefault(sha, []).append(ev_id)
        missing, altered = [], []
        for sha, ids in needed.items():
            actual = self.vault.hash_of(sha)
            if actual is None:
                missing.append({"sha256": sha, "evidence_ids": ids})
            elif actual != sha:
                altered.append({"sha256": sha, "actual": actual, "evidence_ids": ids})
        unreferenced = [b for b in self.vault.blobs() if b not in needed]
        leftovers = sorted(p.name for p in self.vault.tmp.iterdir()) if self.vault.tmp.is_dir() else []
        return {
            "ok": not missing and not altered,
            "checked": len(needed),
            "missing": missing,
            "altered": altered,
            "unreferenced": unreferenced,
            "temporary_files": leftovers,
        }
