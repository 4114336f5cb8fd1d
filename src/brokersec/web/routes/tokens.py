"""Personal API tokens: created here by a signed-in person, shown once, revocable."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from brokersec.errors import InputError
from brokersec.records.models import ROLES
from brokersec.web.context import my_orgs
from brokersec.web.deps import Viewer, signed_in
from brokersec.web.rendering import render

router = APIRouter(include_in_schema=False)


def _page(
    request: Request, viewer: Viewer, *, token: str | None = None, error: str | None = None, code: int = 200
) -> Response:
    return render(
        request,
        "tokens.html",
        status_code=code,
        tokens=viewer.records.list_api_tokens(),
        orgs=my_orgs(viewer),
        roles=ROLES,
        token=token,
        error=error,
    )


@router.get("/tokens")
def tokens(request: Request, viewer: Viewer = Depends(signed_in)) -> Response:
    return _page(request, viewer)


@router.post("/tokens")
def create(
    request: Request,
    org_id: int = Form(...),
    role: str = Form(...),
    name: str = Form(...),
    viewer: Viewer = Depends(signed_in),
) -> Response:
    try:
        _info, token = viewer.records.create_api_token(org_id, role, name)
    except InputError as exc:
        return _page(request, viewer, error="; ".join(p.message for p in exc.problems), code=400)
    return _page(request, viewer, token=token)


@router.post("/tokens/{token_id}/revoke")
def revoke(token_id: int, viewer: Viewer = Depends(signed_in)) -> Response:
    viewer.records.revoke_api_token(token_id)
    return RedirectResponse("/tokens", status_code=303)
