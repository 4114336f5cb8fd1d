"""Findings (缺失): table and board by status, remediation plan, follow-up to verified closure."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from starlette.responses import RedirectResponse, Response

from brokersec.errors import InputError
from brokersec.web.context import OrgView, org_page
from brokersec.web.rendering import render

router = APIRouter(include_in_schema=False)
BOARD = ("open", "in_progress", "remediated", "verified", "accepted_risk")


@router.get("/orgs/{org_id}/findings")
def findings(request: Request, view: str = "table", status: str = "", ov: OrgView = Depends(org_page)) -> Response:
    rows = ov.records.list_findings(ov.id, status=status or None, today=ov.today)
    board = {s: [f for f in rows if f["status"] == s] for s in BOARD}
    return render(request, "findings.html", ov=ov, rows=rows, board=board, view=view, status=status, statuses=BOARD)


def _finding(ov: OrgView, finding_id: int) -> dict:  # type: ignore[type-arg]
    try:
        f = ov.records.get_finding(finding_id, today=ov.today)
    except InputError:
        raise HTTPException(404, "no such finding") from None
    if f["org_id"] != ov.id:
        raise HTTPException(404, "no such finding")
    return f


@router.get("/orgs/{org_id}/findings/{finding_id}")
def finding(request: Request, finding_id: int, ov: OrgView = Depends(org_page), error: str | None = None) -> Response:
    f = _finding(ov, finding_id)
    users = ov.records.list_users(ov.id)
    return render(request, "finding.html", ov=ov, f=f, users=users, error=error)


@router.post("/orgs/{org_id}/findings/{finding_id}")
def act(
    request: Request,
    finding_id: int,
    action: str = Form(...),
    note: str = Form(""),
    owner: str = Form(""),
    due_date: str = Form(""),
    remediation_plan: str = Form(""),
    recommendation: str = Form(""),
    ov: OrgView = Depends(org_page),
) -> Response:
    _finding(ov, finding_id)
    recs = ov.records
    try:
        if action == "update":
            changes: dict[str, object] = {"remediation_plan": remediation_plan, "recommendation": recommendation}
            if owner:
                changes["owner"] = owner
            if due_date:
                changes["due_date"] = dt.date.fromisoformat(due_date)
            recs.update_finding(finding_id, **changes)
        elif action == "start":
            recs.start_remediation(finding_id)
        elif action == "remediated":
            recs.mark_remediated(finding_id, note)
        elif action == "reject":
            recs.reject_remediation(finding_id, note)
        elif action == "verify":
            recs.verify_finding(finding_id, note)
        elif action == "accept_risk":
            recs.accept_risk(finding_id, note)
        else:
            raise HTTPException(400, f"unknown action {action!r}")
    except (InputError, ValueError) as exc:
        message = "; ".join(p.message for p in exc.problems) if isinstance(exc, InputError) else str(exc)
        f = _finding(ov, finding_id)
        return render(request, "finding.html", status_code=400, ov=ov, f=f, users=recs.list_users(ov.id), error=message)
    return RedirectResponse(f"/orgs/{ov.id}/findings/{finding_id}", status_code=303)


@router.post("/orgs/{org_id}/findings/{finding_id}/evidence")
async def attach(
    request: Request, finding_id: int, files: list[UploadFile] = File(...), ov: OrgView = Depends(org_page)
) -> Response:
    _finding(ov, finding_id)
    errors = []
    for upload in files:
        if not upload.filename:
            continue
        try:
            ev = ov.records.add_evidence(
                ov.id, upload.file, collected_at=ov.today, original_name=upload.filename, media_type=upload.content_type
            )
            ov.records.add_finding_evidence(finding_id, ev["id"])
        except InputError as exc:
            errors.append(f"{upload.filename}: " + "; ".join(p.message for p in exc.problems))
    if errors:
        f = _finding(ov, finding_id)
        users = ov.records.list_users(ov.id)
        return render(request, "finding.html", status_code=400, ov=ov, f=f, users=users, error="; ".join(errors))
    return RedirectResponse(f"/orgs/{ov.id}/findings/{finding_id}", status_code=303)
