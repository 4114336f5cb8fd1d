"""Users and roles of a firm (admins only): create, grant and revoke roles, unlock, reset, deactivate."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from brokersec.errors import InputError
from brokersec.records.models import ROLES
from brokersec.web.context import OrgView, org_page
from brokersec.web.rendering import render

router = APIRouter(include_in_schema=False)


def _page(
    request: Request, ov: OrgView, *, error: str | None = None, secret: dict | None = None, code: int = 200
) -> Response:  # type: ignore[type-arg]
    users = ov.records.list_users(ov.id)
    for u in users:
        u["org_roles"] = [r["role"] for r in u["roles"] if r["org_id"] == ov.id]
        u["login"] = ov.records.login_status(u["username"])
    return render(request, "users.html", status_code=code, ov=ov, users=users, roles=ROLES, error=error, secret=secret)


@router.get("/orgs/{org_id}/users")
def users(request: Request, ov: OrgView = Depends(org_page)) -> Response:
    ov.require("admin")
    return _page(request, ov)


@router.post("/orgs/{org_id}/users")
def create(
    request: Request,
    username: str = Form(...),
    email: str = Form(...),
    name: str = Form(...),
    job_title: str = Form(...),
    role: str = Form(...),
    ov: OrgView = Depends(org_page),
) -> Response:
    ov.require("admin")
    try:
        user, password = ov.records.create_user(username, email, name, job_title)
        ov.records.add_member(ov.id, user["username"], role)
    except InputError as exc:
        return _page(request, ov, error="; ".join(p.message for p in exc.problems), code=400)
    return _page(request, ov, secret={"username": user["username"], "password": password})


@router.post("/orgs/{org_id}/users/{username}")
def act(
    request: Request, username: str, action: str = Form(...), role: str = Form(""), ov: OrgView = Depends(org_page)
) -> Response:
    ov.require("admin")
    recs = ov.records
    try:
        if action == "grant":
            recs.add_member(ov.id, username, role)
        elif action == "revoke":
            recs.remove_member(ov.id, username, role)
        elif action == "unlock":
            recs.unlock_user(username)
        elif action == "reset":
            return _page(request, ov, secret={"username": username, "password": recs.reset_password(username)})
        elif action in ("deactivate", "activate"):
            recs.set_active(username, action == "activate")
        else:
            return _page(request, ov, error=f"unknown action {action!r}", code=400)
    except InputError as exc:
        return _page(request, ov, error="; ".join(p.message for p in exc.problems), code=400)
    return RedirectResponse(f"/orgs/{ov.id}/users", status_code=303)
