"""Who is asking: the session or API token behind a request, and what they may see.

Pages and API routes declare what they need (``Depends(signed_in)``, ``Depends(api_identity)``)
rather than checking by hand, so a route cannot forget authentication. A half-finished sign-in
(initial password not yet changed, second factor not yet given) only reaches the pages that
finish it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request

from brokersec.records.service import Records

SESSION_COOKIE = "brokersec_session"
# pages a signed-in user may reach before finishing sign-in
PASSWORD_PAGES = ("/password", "/logout")
MFA_PAGES = ("/mfa", "/logout")


class NeedsRedirect(Exception):
    """Raised by dependencies to send a browser elsewhere (handled in app.py)."""

    def __init__(self, location: str) -> None:
        self.location = location


def records(request: Request) -> Records:
    return request.app.state.records


def client_addr(request: Request) -> str | None:
    return request.client.host if request.client else None


@dataclass
class Viewer:
    """The signed-in user and a Records view acting as them."""

    user: dict[str, Any]
    records: Any

    @property
    def login(self) -> str:
        return self.user["username"]


def session_user(request: Request, recs: Records = Depends(records)) -> dict[str, Any] | None:
    user = recs.session_user(request.cookies.get(SESSION_COOKIE, ""))
    request.state.user = user
    return user


def signed_in(
    request: Request, user: dict[str, Any] | None = Depends(session_user), recs: Records = Depends(records)
) -> Viewer:
    """A fully signed-in browser user; everyone else is sent to finish signing in."""
    path = request.url.path
    if user is None:
        raise NeedsRedirect(f"/login?next={quote(path)}")
    if user["must_change_password"] and not path.startswith(PASSWORD_PAGES):
        raise NeedsRedirect("/password")
    unverified = user["mfa_required"] and not user["mfa_passed"]
    if not user["must_change_password"] and unverified and not path.startswith(MFA_PAGES):
        raise NeedsRedirect("/mfa" if user["mfa_enrolled"] else "/mfa/setup")
    return Viewer(user, recs.as_user(user["username"], client_addr(request)))


def half_signed_in(user: dict[str, Any] | None = Depends(session_user), recs: Records = Depends(records)) -> Viewer:
    """For the pages that finish signing in: a session is enough."""
    if user is None:
        raise NeedsRedirect("/login")
    return Viewer(user, recs)


def api_identity(request: Request, recs: Records = Depends(records)) -> Viewer:
    """A bearer token or a fully signed-in browser session; 401 otherwise."""
    header = request.headers.get("authorization", "")
    if header.startswith("Bearer "):
        ident = recs.token_identity(header.removeprefix("Bearer ").strip())
        if ident is None:
            raise HTTPException(401, "invalid or revoked API token", headers={"WWW-Authenticate": "Bearer"})
        viewer = Viewer(recs.get_user(ident["username"]), recs.as_user(ident["username"], client_addr(request)))
        viewer.user["token_scope"] = {"org_id": ident["org_id"], "role": ident["role"]}
        return viewer
    user = recs.session_user(request.cookies.get(SESSION_COOKIE, ""))
    if user is None or user["must_change_password"] or (user["mfa_required"] and not user["mfa_passed"]):
        raise HTTPException(401, "sign in or send an API token", headers={"WWW-Authenticate": "Bearer"})
    return Viewer(user, recs.as_user(user["username"], client_addr(request)))
