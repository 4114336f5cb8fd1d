"""The audit trail viewer: filter by who, what and when, with the hash chain's verification status."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from brokersec.web.context import OrgView, org_page
from brokersec.web.rendering import render

router = APIRouter(include_in_schema=False)


def filtered(ov: OrgView, actor: str = "", action: str = "", since: str = "", until: str = "") -> list[dict]:  # type: ignore[type-arg]
    rows = ov.records.audit_log(ov.id, limit=100_000)
    if actor:
        rows = [r for r in rows if actor.lower() in (r["actor"] + " " + r["actor_name"]).lower()]
    if action:
        rows = [r for r in rows if r["action"].startswith(action)]
    if since:
        rows = [r for r in rows if r["at"][:10] >= since]
    if until:
        rows = [r for r in rows if r["at"][:10] <= until]
    return rows


@router.get("/orgs/{org_id}/audit")
def audit_page(
    request: Request,
    actor: str = "",
    action: str = "",
    since: str = "",
    until: str = "",
    ov: OrgView = Depends(org_page),
) -> Response:
    ov.require("admin", "auditor")
    rows = filtered(ov, actor, action, since, until)
    chain = ov.records.verify_chain()
    return render(
        request,
        "audit.html",
        ov=ov,
        rows=list(reversed(rows))[:500],
        total=len(rows),
        chain=chain,
        actor=actor,
        action=action,
        since=since,
        until=until,
    )
