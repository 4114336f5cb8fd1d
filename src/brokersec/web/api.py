"""REST API under /api/v1: everything the pages do, for scripts and CI.

Authenticate with a personal token (``Authorization: Bearer bsk_…``, created on /api/v1/tokens from a
signed-in browser session or with ``brokersec token create``) or a browser session. A token carries one
firm and one role; routes check that role explicitly, so a read-only token stays read-only even when
its owner holds more roles. Bad input answers 422 with the located problems, missing rights 403.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter, Depends, File, Form, HTTPException, UploadFile
from pydantic import BaseModel, Field
from starlette.responses import Response, StreamingResponse

from brokersec import calendar as cal
from brokersec.catalog import load_catalog_ref
from brokersec.catalog.export import catalog_dict
from brokersec.scoping import scope
from brokersec.web.context import OrgView, my_orgs, org_api
from brokersec.web.deps import Viewer, api_identity

router = APIRouter(prefix="/api/v1", tags=["api"])


class ResultIn(BaseModel):
    item: str = Field(examples=["CC-18000.3.e"])
    status: Literal["conform", "nonconform", "partial", "not_applicable", "not_checked"]
    note: str = ""
    na_reason: str | None = None


class InspectionIn(BaseModel):
    period: str = Field(examples=["2026-11", "2026-H2", "2026"])


class ReviewIn(BaseModel):
    decision: Literal["approve", "return"]
    comment: str = ""


class FindingUpdate(BaseModel):
    description: str | None = None
    severity: Literal["low", "medium", "high", "critical"] | None = None
    recommendation: str | None = None
    owner: str | None = None
    due_date: dt.date | None = None
    remediation_plan: str | None = None


class FindingTransition(BaseModel):
    action: Literal["start", "remediated", "reject", "verify", "accept_risk"]
    note: str = ""


class TokenIn(BaseModel):
    org_id: int
    role: Literal["admin", "inspector", "reviewer", "auditor", "executive"]
    name: str


@router.get("/me")
def me(viewer: Viewer = Depends(api_identity)) -> dict[str, Any]:
    return {k: v for k, v in viewer.user.items() if k != "password_hash"}


@router.get("/orgs")
def orgs(viewer: Viewer = Depends(api_identity)) -> list[dict[str, Any]]:
    scope_ = viewer.user.get("token_scope")
    return [o for o in my_orgs(viewer) if scope_ is None or o["id"] == scope_["org_id"]]


@router.get("/orgs/{org_id}")
def org(ov: OrgView = Depends(org_api)) -> dict[str, Any]:
    return {**ov.org, "roles": sorted(ov.roles)}


@router.get("/orgs/{org_id}/profile")
def get_profile(ov: OrgView = Depends(org_api)) -> dict[str, Any]:
    return ov.records.profile(ov.id).model_dump(mode="json")


@router.put("/orgs/{org_id}/profile")
def put_profile(body: dict[str, Any], ov: OrgView = Depends(org_api)) -> dict[str, Any]:
    ov.require("admin")
    return ov.records.update_profile(ov.id, body)


@router.get("/orgs/{org_id}/scope")
def get_scope(on: dt.date | None = None, ov: OrgView = Depends(org_api)) -> dict[str, Any]:
    profile = ov.records.profile(ov.id)
    return scope(load_catalog_ref(profile.catalog), profile, on or ov.today).to_dict()


@router.get("/orgs/{org_id}/calendar")
def get_calendar(year: int | None = None, ov: OrgView = Depends(org_api)) -> list[dict[str, Any]]:
    profile = ov.records.profile(ov.id)
    return [c.to_dict() for c in cal.due_checks(load_catalog_ref(profile.catalog), profile, year or ov.today.year)]


@router.get("/orgs/{org_id}/overdue")
def get_overdue(ov: OrgView = Depends(org_api)) -> list[dict[str, Any]]:
    return ov.records.overdue(ov.id, ov.today)


@router.get("/orgs/{org_id}/stats")
def stats(ov: OrgView = Depends(org_api)) -> list[dict[str, Any]]:
    return ov.records.inspection_stats(ov.id)


@router.get("/orgs/{org_id}/inspections")
def inspections(ov: OrgView = Depends(org_api)) -> list[dict[str, Any]]:
    return ov.records.list_inspections(ov.id)


@router.post("/orgs/{org_id}/inspections", status_code=201)
def start_inspection(body: InspectionIn, ov: OrgView = Depends(org_api)) -> dict[str, Any]:
    ov.require("inspector", "admin")
    return ov.records.start_inspection(ov.id, body.period)


@router.get("/orgs/{org_id}/inspections/{inspection_id}")
def inspection(inspection_id: int, ov: OrgView = Depends(org_api)) -> dict[str, Any]:
    return ov.records.get_inspection(inspection_id, ov.id)


@router.post("/orgs/{org_id}/inspections/{inspection_id}/results", status_code=201)
def record(inspection_id: int, body: ResultIn, ov: OrgView = Depends(org_api)) -> dict[str, Any]:
    ov.require("inspector")
    return ov.records.record_result(inspection_id, body.item, body.status, body.note, body.na_reason, org=ov.id)


@router.post("/orgs/{org_id}/inspections/{inspection_id}/items/{item_id}/evidence", status_code=201)
def upload(
    inspection_id: int,
    item_id: str,
    file: UploadFile = File(...),
    collected_at: dt.date | None = Form(None),
    ov: OrgView = Depends(org_api),
) -> dict[str, Any]:
    ov.require("inspector", "reviewer", "admin")
    return ov.records.add_evidence(
        ov.id,
        file.file,
        collected_at=collected_at or ov.today,
        original_name=file.filename,
        media_type=file.content_type,
        links=[(inspection_id, item_id)],
    )


@router.get("/orgs/{org_id}/reviews")
def reviews(ov: OrgView = Depends(org_api)) -> list[dict[str, Any]]:
    return ov.records.pending_reviews(ov.id)


@router.post("/orgs/{org_id}/reviews/{result_id}")
def review(result_id: int, body: ReviewIn, ov: OrgView = Depends(org_api)) -> dict[str, Any]:
    ov.require("reviewer")
    if body.decision == "approve":
        return ov.records.approve(result_id, body.comment or None)
    return ov.records.return_result(result_id, body.comment)


@router.get("/orgs/{org_id}/findings")
def findings(
    status: str | None = None, open_only: bool = False, ov: OrgView = Depends(org_api)
) -> list[dict[str, Any]]:
    return ov.records.list_findings(ov.id, status=status, open_only=open_only, today=ov.today)


def _finding(ov: OrgView, finding_id: int) -> dict[str, Any]:
    f = ov.records.get_finding(finding_id, today=ov.today)
    if f["org_id"] != ov.id:
        raise HTTPException(404, "no such finding")
    return f


@router.get("/orgs/{org_id}/findings/{finding_id}")
def finding(finding_id: int, ov: OrgView = Depends(org_api)) -> dict[str, Any]:
    return _finding(ov, finding_id)


@router.patch("/orgs/{org_id}/findings/{finding_id}")
def update_finding(finding_id: int, body: FindingUpdate, ov: OrgView = Depends(org_api)) -> dict[str, Any]:
    ov.require("inspector", "reviewer", "admin")
    _finding(ov, finding_id)
    return ov.records.update_finding(finding_id, **body.model_dump(exclude_none=True))


TRANSITION_ROLES = {
    "start": ("inspector", "admin"),
    "remediated": ("inspector", "admin"),
    "reject": ("reviewer",),
    "verify": ("reviewer",),
    "accept_risk": ("executive", "admin"),
}


@router.post("/orgs/{org_id}/findings/{finding_id}/transitions")
def transition(finding_id: int, body: FindingTransition, ov: OrgView = Depends(org_api)) -> dict[str, Any]:
    ov.require(*TRANSITION_ROLES[body.action])
    _finding(ov, finding_id)
    recs = ov.records
    actions = {
        "start": lambda: recs.start_remediation(finding_id),
        "remediated": lambda: recs.mark_remediated(finding_id, body.note),
        "reject": lambda: recs.reject_remediation(finding_id, body.note),
        "verify": lambda: recs.verify_finding(finding_id, body.note),
        "accept_risk": lambda: recs.accept_risk(finding_id, body.note),
    }
    return actions[body.action]()


@router.get("/orgs/{org_id}/evidence")
def evidence(
    inspection: int | None = None, item: str | None = None, ov: OrgView = Depends(org_api)
) -> list[dict[str, Any]]:
    return ov.records.list_evidence(ov.id, inspection=inspection, item_id=item)


@router.get("/orgs/{org_id}/evidence/{evidence_id}/download")
def download(evidence_id: int, ov: OrgView = Depends(org_api)) -> Response:
    meta, stream = ov.records.open_evidence(evidence_id)
    if meta["org_id"] != ov.id:
        stream.close()
        raise HTTPException(404, "no such evidence")
    return StreamingResponse(
        iter(lambda: stream.read(65536), b""),
        media_type="application/octet-stream",
        headers={"X-Content-SHA256": meta["sha256"]},
    )


@router.get("/orgs/{org_id}/audit")
def audit(after_seq: int = 0, limit: int = 1000, ov: OrgView = Depends(org_api)) -> dict[str, Any]:
    ov.require("admin", "auditor")
    return {
        "chain": ov.records.verify_chain().to_dict(),
        "entries": ov.records.audit_log(ov.id, after_seq=after_seq, limit=min(limit, 10_000)),
    }


@router.get("/catalog")
def catalog(version: str | None = None, viewer: Viewer = Depends(api_identity)) -> dict[str, Any]:
    return catalog_dict(load_catalog_ref(version))


@router.get("/tokens")
def tokens(viewer: Viewer = Depends(api_identity)) -> list[dict[str, Any]]:
    return viewer.records.list_api_tokens()


@router.post("/tokens", status_code=201)
def create_token(body: TokenIn, viewer: Viewer = Depends(api_identity)) -> dict[str, Any]:
    if viewer.user.get("token_scope") is not None:
        raise HTTPException(403, "an API token cannot create tokens; sign in with a browser session")
    info, token = viewer.records.create_api_token(body.org_id, body.role, body.name)
    return {**info, "token": token}


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: int, viewer: Viewer = Depends(api_identity)) -> Response:
    viewer.records.revoke_api_token(token_id)
    return Response(status_code=204)
