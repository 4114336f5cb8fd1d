"""Findings (deficiencies) and their remediation follow-up (CC-21000 (2)).

A finding moves forward only: open → in_progress → remediated → verified, or to accepted_risk with a
named approver. Verification needs evidence and someone other than the person who remediated, for
the same reason a result needs a reviewer other than its inspector. A finding on an item that failed
in an earlier period links to that earlier finding, so repeat deficiencies stand out in reports.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from brokersec.errors import InputError, Problem
from brokersec.records.core import Forbidden, _Core, row_dict
from brokersec.records.core import as_date as _as_date
from brokersec.records.models import SEVERITIES, Evidence, Finding, FindingEvidence, Inspection, Result, User

CLOSED = ("verified", "accepted_risk")
EDITABLE = ("description", "severity", "recommendation", "owner", "due_date", "remediation_plan")
ESCALATE_AFTER_DAYS = 30


def _check_severity(severity: str) -> None:
    if severity not in SEVERITIES:
        raise InputError(
            Problem(f"unknown severity {severity!r}; use one of {', '.join(SEVERITIES)}", field="severity")
        )


class Findings(_Core):
    def _new_finding(
        self,
        s: Session,
        me: User,
        role: str,
        r: Result,
        ins: Inspection,
        *,
        description: str,
        severity: str,
        recommendation: str = "",
        owner_id: int | None = None,
        due_date: dt.date | None = None,
        remediation_plan: str = "",
    ) -> Finding:
        earlier = s.execute(
            select(Finding)
            .join(Inspection, Inspection.id == Finding.inspection_id)
            .where(
                Finding.org_id == ins.org_id,
                Finding.item_id == r.item_id,
                Inspection.period_start < ins.period_start,
            )
            .order_by(Inspection.period_start.desc(), Finding.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        f = Finding(
            org_id=ins.org_id,
            inspection_id=ins.id,
            item_id=r.item_id,
            result_id=r.id,
            description=description or f"{r.item_id}: {r.status}",
            severity=severity,
            recommendation=recommendation,
            owner_id=owner_id,
            due_date=due_date,
            remediation_plan=remediation_plan,
            status="open",
            repeat_of_id=earlier.id if earlier else None,
            opened_by=me.id,
            opened_at=self.clock(),
        )
        s.add(f)
        s.flush()
        self._audit(s, me, role, "finding.open", "finding", f.id, org_id=ins.org_id, after=row_dict(f))
        return f

    def open_finding(
        self,
        result_id: int,
        description: str,
        severity: str = "medium",
        recommendation: str = "",
        owner: str | None = None,
        due_date: dt.date | None = None,
        remediation_plan: str = "",
    ) -> dict[str, Any]:
        """Open a finding from a nonconform or partial result (approving such a result opens one too)."""
        _check_severity(severity)
        due_date = _as_date(due_date, "due_date")
        with self._write() as s:
            me = self._me(s)
            r = self._get(s, Result, result_id, "result")
            ins = s.get(Inspection, r.inspection_id)
            assert ins is not None
            used = self._require(s, me, ins.org_id, ("inspector", "reviewer", "admin"), "open findings")
            if r.status not in ("nonconform", "partial"):
                raise InputError(
                    Problem(
                        f"result {r.id} is {r.status}; only nonconform or partial results open findings", field="result"
                    )
                )
            if s.execute(
                select(Finding).where(Finding.inspection_id == ins.id, Finding.item_id == r.item_id)
            ).scalar_one_or_none():
                raise InputError(Problem(f"{r.item_id} already has a finding in {ins.period_id}", field="result"))
            owner_id = self._user(s, owner, field="owner").id if owner else None
            f = self._new_finding(
                s,
                me,
                used,
                r,
                ins,
                description=description,
                severity=severity,
                recommendation=recommendation,
                owner_id=owner_id,
                due_date=due_date,
                remediation_plan=remediation_plan,
            )
            return row_dict(f)

    def _finding(self, s: Session, finding_id: int) -> Finding:
        return self._get(s, Finding, finding_id, "finding")

    def update_finding(self, finding_id: int, **changes: Any) -> dict[str, Any]:
        """Change description, severity, recommendation, owner (login), due_date or remediation_plan."""
        unknown = set(changes) - set(EDITABLE)
        if unknown:
            raise InputError(Problem(f"cannot change {', '.join(sorted(unknown))} of a finding", field="finding"))
        if "severity" in changes:
            _check_severity(changes["severity"])
        if "due_date" in changes:
            changes["due_date"] = _as_date(changes["due_date"], "due_date")
        with self._write() as s:
            me = self._me(s)
            f = self._finding(s, finding_id)
            used = self._require(s, me, f.org_id, ("inspector", "reviewer", "admin"), "edit findings")
            if f.status in CLOSED:
                raise InputError(Problem(f"finding {f.id} is {f.status} and can no longer change", field="finding"))
            before = row_dict(f)
            for key, value in changes.items():
                if key == "owner":
                    f.owner_id = self._user(s, value, field="owner").id if value else None
                else:
                    setattr(f, key, value)
            self._audit(
                s, me, used, "finding.update", "finding", f.id, org_id=f.org_id, before=before, after=row_dict(f)
            )
            return row_dict(f)

    def _move(
        self, finding_id: int, to: str, allowed_from: tuple[str, ...], roles: tuple[str, ...], what: str, **extra: Any
    ) -> dict[str, Any]:
        with self._write() as s:
            me = self._me(s)
            f = self._finding(s, finding_id)
            if f.owner_id == me.id and "owner" in roles:
                used = "owner"
            else:
                used = self._require(s, me, f.org_id, tuple(r for r in roles if r != "owner"), what)
            if f.status not in allowed_from:
                raise InputError(
                    Problem(
                        f"finding {f.id} is {f.status}; it can become {to} only from {' or '.join(allowed_from)}",
                        field="finding",
                    )
                )
            before = row_dict(f)
            now = self.clock()
            if to == "remediated":
                f.remediated_by, f.remediated_at, f.remediation_note = me.id, now, extra["note"]
            elif to == "verified":
                if f.remediated_by == me.id:
                    raise InputError(
                        Problem(f"{me.username} remediated finding {f.id} and so cannot verify it", field="--as")
                    )
                has_evidence = s.execute(
                    select(func.count()).select_from(FindingEvidence).where(FindingEvidence.finding_id == f.id)
                ).scalar_one()
                if not has_evidence:
                    raise InputError(
                        Problem(f"finding {f.id} has no verification evidence; add some first", field="finding")
                    )
                f.verified_by, f.verified_at = me.id, now
            elif to == "accepted_risk":
                f.accepted_by, f.accepted_at, f.acceptance_reason = me.id, now, extra["reason"]
            f.status = to
            after = row_dict(f)
            if extra.get("comment"):
                after["comment"] = extra["comment"]
            self._audit(s, me, used, f"finding.{to}", "finding", f.id, org_id=f.org_id, before=before, after=after)
            return row_dict(f)

    def start_remediation(self, finding_id: int) -> dict[str, Any]:
        return self._move(finding_id, "in_progress", ("open",), ("owner", "inspector", "admin"), "work on findings")

    def mark_remediated(self, finding_id: int, note: str) -> dict[str, Any]:
        if not note.strip():
            raise InputError(Problem("describe what was done to remediate", field="note"))
        return self._move(
            finding_id,
            "remediated",
            ("open", "in_progress"),
            ("owner", "inspector", "admin"),
            "remediate findings",
            note=note.strip(),
        )

    def reject_remediation(self, finding_id: int, comment: str) -> dict[str, Any]:
        """Verification failed: back to in_progress with the reason."""
        if not comment.strip():
            raise InputError(Problem("say why the remediation is not accepted", field="comment"))
        return self._move(
            finding_id, "in_progress", ("remediated",), ("reviewer",), "verify remediation", comment=comment.strip()
        )

    def verify_finding(self, finding_id: int, comment: str = "") -> dict[str, Any]:
        return self._move(
            finding_id, "verified", ("remediated",), ("reviewer",), "verify remediation", comment=comment.strip()
        )

    def accept_risk(self, finding_id: int, reason: str) -> dict[str, Any]:
        """Management accepts the risk instead of fixing it; the approver is recorded."""
        if not reason.strip():
            raise InputError(Problem("give the reason the risk is accepted", field="reason"))
        return self._move(
            finding_id,
            "accepted_risk",
            ("open", "in_progress", "remediated"),
            ("executive", "admin"),
            "accept risks",
            reason=reason.strip(),
        )

    def add_finding_evidence(self, finding_id: int, evidence_id: int) -> dict[str, Any]:
        with self._write() as s:
            me = self._me(s)
            f = self._finding(s, finding_id)
            used = (
                "owner"
                if f.owner_id == me.id
                else self._require(s, me, f.org_id, ("inspector", "reviewer", "admin"), "add verification evidence")
            )
            ev = self._get(s, Evidence, evidence_id, "evidence")
            if ev.org_id != f.org_id or ev.deleted_at is not None:
                raise InputError(Problem(f"evidence {evidence_id} is not available to this firm", field="evidence"))
            if f.status in CLOSED:
                raise InputError(Problem(f"finding {f.id} is {f.status} and can no longer change", field="finding"))
            if s.execute(
                select(FindingEvidence).where(FindingEvidence.finding_id == f.id, FindingEvidence.evidence_id == ev.id)
            ).scalar_one_or_none():
                raise InputError(Problem(f"evidence {ev.id} is already linked to finding {f.id}", field="evidence"))
            fe = FindingEvidence(finding_id=f.id, evidence_id=ev.id, linked_by=me.id, linked_at=self.clock())
            s.add(fe)
            s.flush()
            self._audit(s, me, used, "finding.evidence", "finding_evidence", fe.id, org_id=f.org_id, after=row_dict(fe))
            return row_dict(fe)

    # ------------------------------------------------------------ follow-up lists

    def _finding_dicts(self, s: Session, findings: list[Finding], today: dt.date) -> list[dict[str, Any]]:
        """Findings with period, owner, age and evidence, loading the related rows in three queries
        (not three per finding: a firm's dashboard lists hundreds)."""
        ids = [f.id for f in findings]
        periods = dict(
            s.execute(
                select(Inspection.id, Inspection.period_id).where(
                    Inspection.id.in_({f.inspection_id for f in findings})
                )
            ).all()
        )
        owners = {
            u.id: u
            for u in s.execute(select(User).where(User.id.in_({f.owner_id for f in findings if f.owner_id}))).scalars()
        }
        evidence: dict[int, list[int]] = {}
        for finding_id, evidence_id in s.execute(
            select(FindingEvidence.finding_id, FindingEvidence.evidence_id)
            .where(FindingEvidence.finding_id.in_(ids))
            .order_by(FindingEvidence.id)
        ):
            evidence.setdefault(finding_id, []).append(evidence_id)
        out = []
        for f in findings:
            owner = owners.get(f.owner_id) if f.owner_id else None
            d = row_dict(f)
            d["period"] = periods.get(f.inspection_id)
            d["owner"] = (
                {"username": owner.username, "name": owner.name, "job_title": owner.job_title} if owner else None
            )
            d["age_days"] = (today - f.opened_at.date()).days
            d["overdue_days"] = (
                (today - f.due_date).days if f.due_date and f.status not in CLOSED and f.due_date < today else 0
            )
            d["evidence_ids"] = evidence.get(f.id, [])
            out.append(d)
        return out

    def _finding_dict(self, s: Session, f: Finding, today: dt.date) -> dict[str, Any]:
        return self._finding_dicts(s, [f], today)[0]

    def get_finding(self, finding_id: int, today: dt.date | None = None) -> dict[str, Any]:
        with self._read() as s:
            return self._finding_dict(s, self._finding(s, finding_id), today or self.clock().date())

    def list_findings(
        self, org: int | str, status: str | None = None, open_only: bool = False, today: dt.date | None = None
    ) -> list[dict[str, Any]]:
        today = today or self.clock().date()
        with self._read() as s:
            o = self._org(s, org)
            query = select(Finding).where(Finding.org_id == o.id).order_by(Finding.id)
            if status:
                query = query.where(Finding.status == status)
            if open_only:
                query = query.where(Finding.status.not_in(CLOSED))
            return self._finding_dicts(s, list(s.execute(query).scalars()), today)

    def overdue_findings(self, org: int | str, today: dt.date | None = None) -> list[dict[str, Any]]:
        """Open findings past their due date, oldest due first (CC-21000 (2) follow-up)."""
        rows = [f for f in self.list_findings(org, open_only=True, today=today) if f["overdue_days"] > 0]
        return sorted(rows, key=lambda f: (f["due_date"], f["id"]))

    def escalations(
        self, org: int | str, today: dt.date | None = None, after_days: int = ESCALATE_AFTER_DAYS
    ) -> list[dict[str, Any]]:
        """What the board's report lists: overdue findings that are long overdue, severe, or repeats."""
        out = []
        for f in self.overdue_findings(org, today):
            why = []
            if f["overdue_days"] > after_days:
                why.append(f"overdue more than {after_days} days")
            if f["severity"] in ("high", "critical"):
                why.append(f"{f['severity']} severity")
            if f["repeat_of_id"]:
                why.append("repeat finding")
            if why:
                out.append({**f, "escalation": why})
        return out


__all__ = ["Findings", "Forbidden"]
