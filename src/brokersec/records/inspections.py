"""Inspections, results and their sign-off.

An inspection freezes its scope when it starts (catalog version, profile version, every item of the
period's frequency with the reasons it is in or out), so a later profile change or catalog release
cannot quietly rewrite what a past period was checked against. Results are never edited: each new
result supersedes the current one, and an approved result can only be corrected that way, which
keeps the reviewer's signature attached to exactly what they approved.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from brokersec import calendar as cal
from brokersec.catalog import Catalog, load_catalog_ref
from brokersec.errors import InputError, Problem
from brokersec.profile import FirmProfile
from brokersec.records.core import _Core, row_dict
from brokersec.records.models import (
    RESULT_STATUSES,
    Evidence,
    EvidenceLink,
    Finding,
    Inspection,
    Result,
    ScopeItem,
    User,
)
from brokersec.scoping import scope

INSPECT = ("inspector",)
REVIEW = ("reviewer",)


def evidence_date_check(collected: dt.date, period: cal.Period, max_age_days: int | None) -> dict[str, str] | None:
    """Why evidence collected on ``collected`` cannot support a result for ``period`` (a code with the
    dates involved, for people to read in their language), or None if it can.

    Evidence must come from inside the period; an item with a maximum evidence age also accepts
    evidence from up to that many days before the period's end (e.g. a yearly penetration test).
    """
    earliest = period.start
    if max_age_days:
        earliest = min(earliest, period.end - dt.timedelta(days=max_age_days))
    if collected > period.end:
        return {"code": "after_period", "collected": collected.isoformat(), "limit": period.end.isoformat()}
    if collected < earliest:
        code = "too_old" if max_age_days else "before_period"
        return {"code": code, "collected": collected.isoformat(), "limit": earliest.isoformat()}
    return None


def evidence_date_problem(collected: dt.date, period: cal.Period, max_age_days: int | None) -> str | None:
    """``evidence_date_check`` as one English sentence (CLI, API)."""
    check = evidence_date_check(collected, period, max_age_days)
    return describe_date_check(check, max_age_days) if check else None


def describe_date_check(check: dict[str, str], max_age_days: int | None) -> str:
    if check["code"] == "after_period":
        return f"collected {check['collected']}, after the period ends ({check['limit']})"
    allowed = f"the {max_age_days}-day limit" if check["code"] == "too_old" else "the period"
    return f"collected {check['collected']}, before {check['limit']} ({allowed})"


def _period(ins: Inspection) -> cal.Period:
    return cal.parse_period(ins.period_id)


def _current_results(s: Session, inspection_id: int) -> dict[str, Result]:
    later = aliased(Result)
    rows = s.execute(
        select(Result).where(
            Result.inspection_id == inspection_id,
            ~select(later.id).where(later.supersedes_id == Result.id).exists(),
        )
    ).scalars()
    return {r.item_id: r for r in rows}


def _current_result(s: Session, inspection_id: int, item_id: str) -> Result | None:
    later = aliased(Result)
    return s.execute(
        select(Result).where(
            Result.inspection_id == inspection_id,
            Result.item_id == item_id,
            ~select(later.id).where(later.supersedes_id == Result.id).exists(),
        )
    ).scalar_one_or_none()


def _is_current(s: Session, result: Result) -> bool:
    return s.execute(select(Result.id).where(Result.supersedes_id == result.id)).first() is None


def _checked_result(status: str, na_reason: str | None) -> str | None:
    """Check a result's status and not-applicable reason; return the reason cleaned (None if blank)."""
    if status not in RESULT_STATUSES:
        raise InputError(Problem(f"unknown result {status!r}; use one of {', '.join(RESULT_STATUSES)}", field="status"))
    na_reason = (na_reason or "").strip() or None
    if status == "not_applicable" and not na_reason:
        raise InputError(Problem("a not_applicable result needs a reason", field="reason"))
    if status != "not_applicable" and na_reason:
        raise InputError(Problem("a reason is only given with not_applicable", field="reason"))
    return na_reason


class Inspections(_Core):
    def start_inspection(self, org: int | str, period: str) -> dict[str, Any]:
        """Open ``period`` (``2026-11``, ``2026-H2``, ``2026``) for a firm and freeze its scope.

        The scope is taken as of the period's last day, the day the calendar decides what is owed.
        """
        per = cal.parse_period(period)
        with self._write() as s:
            me = self._me(s)
            o = self._org(s, org)
            used = self._require(s, me, o.id, ("inspector", "admin"), "start inspections")
            if s.execute(
                select(Inspection).where(Inspection.org_id == o.id, Inspection.period_id == per.id)
            ).scalar_one_or_none():
                raise InputError(Problem(f"{o.name} already has an inspection for {per.id}", field="period"))
            pv = self._latest_profile(s, o.id)  # type: ignore[attr-defined]
            prof = FirmProfile.model_validate(pv.profile)
            catalog = load_catalog_ref(prof.catalog)
            sc = scope(catalog, prof, per.end)
            ins = Inspection(
                org_id=o.id,
                period_id=per.id,
                frequency=per.frequency,
                period_start=per.start,
                period_end=per.end,
                due=per.end + dt.timedelta(days=prof.due_days_after_period),
                profile_version_id=pv.id,
                catalog_version=catalog.version,
                scoped_on=per.end,
                started_by=me.id,
                started_at=self.clock(),
            )
            s.add(ins)
            s.flush()
            entries = [e for e in sc.entries if e.item.frequency == per.frequency]
            for n, e in enumerate(entries):
                s.add(
                    ScopeItem(
                        inspection_id=ins.id,
                        item_id=e.item.id,
                        position=n,
                        applicable=e.applicable,
                        reasons=[{"code": r.code, "zh": r.zh, "en": r.en} for r in e.reasons],
                    )
                )
            after = {
                **row_dict(ins),
                "applicable": [e.item.id for e in entries if e.applicable],
                "not_applicable": [e.item.id for e in entries if not e.applicable],
            }
            self._audit(s, me, used, "inspection.start", "inspection", ins.id, org_id=o.id, after=after)
            return {
                **row_dict(ins),
                "applicable": len(after["applicable"]),
                "not_applicable": len(after["not_applicable"]),
            }

    def _inspection(self, s: Session, inspection: int | str, org: int | str | None = None) -> Inspection:
        """By id, or by period id when the org is given."""
        if org is not None and not str(inspection).isdigit():
            o = self._org(s, org)
            per = cal.parse_period(str(inspection))
            ins = s.execute(
                select(Inspection).where(Inspection.org_id == o.id, Inspection.period_id == per.id)
            ).scalar_one_or_none()
            if ins is None:
                raise InputError(Problem(f"{o.name} has no inspection for {per.id}", field="inspection"))
            return ins
        if not str(inspection).isdigit():
            raise InputError(
                Problem(f"{inspection!r} is not an inspection id (or give the firm too)", field="inspection")
            )
        ins = self._get(s, Inspection, int(inspection), "inspection")
        if org is not None and ins.org_id != self._org(s, org).id:
            raise InputError(Problem(f"inspection {ins.id} belongs to another firm", field="inspection"))
        return ins

    def _scope_item(self, s: Session, ins: Inspection, item_id: str, catalog: Catalog) -> ScopeItem:
        si = s.execute(
            select(ScopeItem).where(ScopeItem.inspection_id == ins.id, ScopeItem.item_id == item_id)
        ).scalar_one_or_none()
        if si is not None:
            return si
        try:
            item = catalog.get(item_id)
        except KeyError as exc:
            raise InputError(Problem(exc.args[0], field="item")) from None
        if not item.assessable:
            raise InputError(Problem(f"{item_id} is a heading, not an inspection item", field="item"))
        raise InputError(
            Problem(
                f"{item_id} is a {item.frequency} item; inspection {ins.period_id} covers {ins.frequency} items",
                field="item",
            )
        )

    def list_inspections(self, org: int | str) -> list[dict[str, Any]]:
        with self._read() as s:
            o = self._org(s, org)
            out = []
            for ins in s.execute(
                select(Inspection)
                .where(Inspection.org_id == o.id)
                .order_by(Inspection.period_start, Inspection.frequency)
            ).scalars():
                out.append({**row_dict(ins), **self._progress(s, ins)})
            return out

    def _progress(self, s: Session, ins: Inspection) -> dict[str, int]:
        applicable = {
            i
            for i in s.execute(
                select(ScopeItem.item_id).where(ScopeItem.inspection_id == ins.id, ScopeItem.applicable)
            ).scalars()
        }
        current = _current_results(s, ins.id)
        recorded = [r for i, r in current.items() if i in applicable and r.status != "not_checked"]
        return {
            "applicable": len(applicable),
            "recorded": len(recorded),
            "approved": sum(r.review_state == "approved" for r in recorded),
        }

    def get_inspection(self, inspection: int | str, org: int | str | None = None) -> dict[str, Any]:
        """The inspection with its checklist: every frozen item, its current result, the previous
        period's result, its evidence and any flags."""
        with self._read() as s:
            ins = self._inspection(s, inspection, org)
            return {**row_dict(ins), **self._progress(s, ins), "items": self._checklist(s, ins)}

    def _checklist(self, s: Session, ins: Inspection) -> list[dict[str, Any]]:
        catalog = load_catalog_ref(ins.catalog_version)
        period = _period(ins)
        current = _current_results(s, ins.id)
        prev = s.execute(
            select(Inspection).where(Inspection.org_id == ins.org_id, Inspection.period_id == period.previous().id)
        ).scalar_one_or_none()
        prev_results = _current_results(s, prev.id) if prev else {}
        evidence = self._evidence_by_item(s, ins.id)
        prev_evidence = self._evidence_by_item(s, prev.id) if prev else {}
        names = {u.id: u for u in s.execute(select(User)).scalars()}
        rows = []
        for si in s.execute(
            select(ScopeItem).where(ScopeItem.inspection_id == ins.id).order_by(ScopeItem.position)
        ).scalars():
            item = catalog.get(si.item_id)
            res = current.get(si.item_id)
            ev = evidence.get(si.item_id, [])
            flags = []
            for e in ev:
                check = evidence_date_check(
                    dt.date.fromisoformat(e["collected_at"]), period, item.max_evidence_age_days
                )
                if check:
                    problem = describe_date_check(check, item.max_evidence_age_days)
                    flags.append({"evidence_id": e["id"], "problem": problem, **check})
            if res is not None and res.status in ("conform", "partial") and not ev:
                flags.append({"evidence_id": None, "problem": "no evidence linked", "code": "no_evidence"})
            rows.append(
                {
                    "item": si.item_id,
                    "text_zh": item.text_zh,
                    "text_en": item.text_en,
                    "applicable": si.applicable,
                    "reasons": si.reasons,
                    "result": self._result_dict(res, names) if res else None,
                    "evidence": ev,
                    "flags": flags,
                    "previous": {
                        "period": prev.period_id,
                        "result": self._result_dict(prev_results[si.item_id], names)
                        if si.item_id in prev_results
                        else None,
                        "evidence": prev_evidence.get(si.item_id, []),
                    }
                    if prev
                    else None,
                }
            )
        return rows

    def _result_dict(self, r: Result, names: dict[int, User]) -> dict[str, Any]:
        out = row_dict(r)
        insp = names.get(r.inspector_id)
        out["inspector"] = {"username": insp.username, "name": insp.name, "job_title": insp.job_title} if insp else None
        rev = names.get(r.reviewer_id) if r.reviewer_id else None
        out["reviewer"] = {"username": rev.username, "name": rev.name, "job_title": rev.job_title} if rev else None
        return out

    def _evidence_by_item(self, s: Session, inspection_id: int) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        for link, ev in s.execute(
            select(EvidenceLink, Evidence)
            .join(Evidence, Evidence.id == EvidenceLink.evidence_id)
            .where(EvidenceLink.inspection_id == inspection_id, Evidence.deleted_at.is_(None))
            .order_by(Evidence.id)
        ):
            out.setdefault(link.item_id, []).append(row_dict(ev))
        return out

    # ------------------------------------------------------------ results

    def record_result(
        self,
        inspection: int | str,
        item_id: str,
        status: str,
        note: str = "",
        na_reason: str | None = None,
        org: int | str | None = None,
    ) -> dict[str, Any]:
        """Record a result; it supersedes the item's current result (kept) and awaits review."""
        na_reason = _checked_result(status, na_reason)
        with self._write() as s:
            me = self._me(s)
            ins = self._inspection(s, inspection, org)
            used = self._require(s, me, ins.org_id, INSPECT, "record results")
            catalog = load_catalog_ref(ins.catalog_version)
            return row_dict(self._record(s, me, used, ins, catalog, item_id, status, note, na_reason))

    def apply_results(
        self,
        inspection: int | str,
        rows: list[tuple[str, str, str, str | None]],
        org: int | str | None = None,
    ) -> list[dict[str, Any]]:
        """Record many results ``(item_id, status, note, na_reason)`` in ONE transaction.

        Each row is checked as ``record_result`` checks it and gets its own audit entry; if any row
        is wrong nothing is recorded. Used by the checklist import (an inspector's offline workbook).
        """
        problems: list[Problem] = []
        checked: list[tuple[str, str, str, str | None]] = []
        seen: set[str] = set()
        for n, (item_id, status, note, na_reason) in enumerate(rows):
            if item_id in seen:
                problems.append(Problem(f"{item_id} is given twice", field=f"rows[{n}].item"))
                continue
            seen.add(item_id)
            try:
                checked.append((item_id, status, note or "", _checked_result(status, na_reason)))
            except InputError as exc:
                problems.extend(Problem(f"{item_id}: {p.message}", field=f"rows[{n}].{p.field}") for p in exc.problems)
        if problems:
            raise InputError(problems)
        with self._write() as s:
            me = self._me(s)
            ins = self._inspection(s, inspection, org)
            used = self._require(s, me, ins.org_id, INSPECT, "record results")
            catalog = load_catalog_ref(ins.catalog_version)
            return [
                row_dict(self._record(s, me, used, ins, catalog, item_id, status, note, na_reason))
                for item_id, status, note, na_reason in checked
            ]

    def _record(
        self,
        s: Session,
        me: User,
        used: str,
        ins: Inspection,
        catalog: Catalog,
        item_id: str,
        status: str,
        note: str,
        na_reason: str | None,
    ) -> Result:
        """Write one result (already checked by ``_checked_result``) superseding the current one, audited."""
        self._scope_item(s, ins, item_id, catalog)
        prev = _current_result(s, ins.id, item_id)
        r = Result(
            inspection_id=ins.id,
            item_id=item_id,
            status=status,
            note=note,
            na_reason=na_reason,
            inspector_id=me.id,
            recorded_at=self.clock(),
            supersedes_id=prev.id if prev else None,
            review_state="pending",
        )
        s.add(r)
        s.flush()
        action = "result.record" if prev is None else "result.supersede"
        self._audit(
            s,
            me,
            used,
            action,
            "result",
            r.id,
            org_id=ins.org_id,
            before=row_dict(prev) if prev else None,
            after=row_dict(r),
        )
        return r

    def result_history(self, inspection: int | str, item_id: str, org: int | str | None = None) -> list[dict[str, Any]]:
        """Every result ever recorded for the item in this inspection, oldest first."""
        with self._read() as s:
            ins = self._inspection(s, inspection, org)
            names = {u.id: u for u in s.execute(select(User)).scalars()}
            rows = s.execute(
                select(Result).where(Result.inspection_id == ins.id, Result.item_id == item_id).order_by(Result.id)
            ).scalars()
            return [self._result_dict(r, names) for r in rows]

    def get_result(self, result_id: int) -> dict[str, Any]:
        with self._read() as s:
            r = self._get(s, Result, result_id, "result")
            names = {u.id: u for u in s.execute(select(User)).scalars()}
            return {**self._result_dict(r, names), "current": _is_current(s, r)}

    # ------------------------------------------------------------ sign-off

    def _reviewable(self, s: Session, result_id: int) -> tuple[User, str, Result, Inspection]:
        me = self._me(s)
        r = self._get(s, Result, result_id, "result")
        ins = s.get(Inspection, r.inspection_id)
        assert ins is not None
        used = self._require(s, me, ins.org_id, REVIEW, "review results")
        if r.inspector_id == me.id:
            raise InputError(
                Problem(
                    f"{me.username} recorded result {r.id} and so cannot review it: the reviewer must be a "
                    "different person from the inspector",
                    field="--as",
                )
            )
        if not _is_current(s, r):
            raise InputError(Problem(f"result {r.id} has been superseded by a newer result", field="result"))
        if r.review_state != "pending":
            raise InputError(Problem(f"result {r.id} is already {r.review_state}", field="result"))
        return me, used, r, ins

    def approve(self, result_id: int, comment: str | None = None) -> dict[str, Any]:
        """Sign off a result. A nonconform or partial result then opens a finding (if the item has none)."""
        with self._write() as s:
            me, used, r, ins = self._reviewable(s, result_id)
            before = row_dict(r)
            r.review_state = "approved"
            r.reviewer_id = me.id
            r.reviewed_at = self.clock()
            r.review_comment = comment or None
            self._audit(
                s, me, used, "result.approve", "result", r.id, org_id=ins.org_id, before=before, after=row_dict(r)
            )
            out = row_dict(r)
            if r.status in ("nonconform", "partial"):
                existing = s.execute(
                    select(Finding).where(Finding.inspection_id == ins.id, Finding.item_id == r.item_id)
                ).scalar_one_or_none()
                if existing is None:
                    f = self._new_finding(s, me, used, r, ins, description=r.note or "", severity="medium")  # type: ignore[attr-defined]
                    out["finding_id"] = f.id
                else:
                    out["finding_id"] = existing.id
            return out

    def return_result(self, result_id: int, comment: str) -> dict[str, Any]:
        """Send a result back to the inspector with a comment; they record a new one."""
        if not comment or not comment.strip():
            raise InputError(Problem("say why the result is returned (a comment is required)", field="comment"))
        with self._write() as s:
            me, used, r, ins = self._reviewable(s, result_id)
            before = row_dict(r)
            r.review_state = "returned"
            r.reviewer_id = me.id
            r.reviewed_at = self.clock()
            r.review_comment = comment.strip()
            self._audit(
                s, me, used, "result.return", "result", r.id, org_id=ins.org_id, before=before, after=row_dict(r)
            )
            return row_dict(r)

    def pending_reviews(self, org: int | str) -> list[dict[str, Any]]:
        """Current results awaiting sign-off, in one query over the firm's inspections."""
        later = aliased(Result)
        with self._read() as s:
            o = self._org(s, org)
            rows = s.execute(
                select(Result, Inspection.period_id)
                .join(Inspection, Inspection.id == Result.inspection_id)
                .where(
                    Inspection.org_id == o.id,
                    Result.review_state == "pending",
                    ~select(later.id).where(later.supersedes_id == Result.id).exists(),
                )
                .order_by(Result.id)
            ).all()
            people = {r.inspector_id for r, _ in rows} | {r.reviewer_id for r, _ in rows if r.reviewer_id}
            names = {u.id: u for u in s.execute(select(User).where(User.id.in_(people))).scalars()}
            return [{**self._result_dict(r, names), "period": period_id} for r, period_id in rows]

    # ------------------------------------------------------------ overdue

    def overdue(self, org: int | str, today: dt.date, since: dt.date | None = None) -> list[dict[str, Any]]:
        """Checks owed by ``today`` (their due date passed) without an approved result.

        Uses the frozen scope of inspections that were started, and the current profile for periods
        nobody has started yet.
        """
        with self._read() as s:
            o = self._org(s, org)
            prof = FirmProfile.model_validate(self._latest_profile(s, o.id).profile)  # type: ignore[attr-defined]
            catalog = load_catalog_ref(prof.catalog)
            start = since or dt.date(today.year, 1, 1)
            inspections = {
                ins.period_id: ins for ins in s.execute(select(Inspection).where(Inspection.org_id == o.id)).scalars()
            }
            frozen: dict[int, set[str]] = {}
            results: dict[int, dict[str, Result]] = {}
            out = []
            for year in range(start.year, today.year + 1):
                for check in cal.due_checks(catalog, prof, year):
                    if not (check.due < today and check.period.end >= start):
                        continue
                    ins = inspections.get(check.period.id)
                    state = "not_started"
                    due = check.due
                    if ins is not None:
                        if ins.id not in frozen:
                            frozen[ins.id] = set(
                                s.execute(
                                    select(ScopeItem.item_id).where(
                                        ScopeItem.inspection_id == ins.id, ScopeItem.applicable
                                    )
                                ).scalars()
                            )
                            results[ins.id] = _current_results(s, ins.id)
                        if check.item.id not in frozen[ins.id]:
                            continue
                        due = ins.due
                        if due >= today:
                            continue
                        r = results[ins.id].get(check.item.id)
                        if r is None or r.status == "not_checked":
                            state = "no_result"
                        elif r.review_state != "approved":
                            state = f"review_{r.review_state}"
                        else:
                            continue
                    out.append(
                        {
                            "item": check.item.id,
                            "period": check.period.id,
                            "due": due.isoformat(),
                            "days_overdue": (today - due).days,
                            "state": state,
                        }
                    )
            return out

    def count_rows(self) -> dict[str, int]:
        """Rows per table: for tests and `db status`, to show that a refused change changed nothing."""
        from brokersec.records.models import Base

        with self._read() as s:
            return {
                t.name: s.execute(select(func.count()).select_from(t)).scalar_one() for t in Base.metadata.sorted_tables
            }


__all__ = ["Inspections", "evidence_date_check", "evidence_date_problem"]
