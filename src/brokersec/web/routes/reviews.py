"""The review queue: a reviewer approves or returns results; never their own."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from brokersec.errors import InputError
from brokersec.web.context import OrgView, org_page
from brokersec.web.rendering import render

router = APIRouter(include_in_schema=False)


def _page(request: Request, ov: OrgView, error: str | None = None, code: int = 200) -> Response:
    pending = ov.records.pending_reviews(ov.id)
    return render(request, "reviews.html", status_code=code, ov=ov, pending=pending, error=error, me=ov.viewer.login)


@router.get("/orgs/{org_id}/reviews")
def reviews(request: Request, ov: OrgView = Depends(org_page)) -> Response:
    return _page(request, ov)


@router.post("/orgs/{org_id}/reviews/{result_id}")
def decide(
    request: Request,
    result_id: int,
    decision: str = Form(...),
    comment: str = Form(""),
    ov: OrgView = Depends(org_page),
) -> Response:
    ov.require("reviewer")
    # the records layer checks the reviewer's role in the result's own firm
    try:
        if decision == "approve":
            ov.records.approve(result_id, comment or None)
        elif decision == "return":
            ov.records.return_result(result_id, comment)
        else:
            return _page(request, ov, f"unknown decision {decision!r}", 400)
    except InputError as exc:
        return _page(request, ov, "; ".join(p.message for p in exc.problems), 400)
    return RedirectResponse(f"/orgs/{ov.id}/reviews", status_code=303)
