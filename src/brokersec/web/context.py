"""The firm a page is about, and the viewer's roles in it.

Every firm-scoped route takes ``OrgView`` (``/orgs/{org_id}/...``). A viewer with no role in the
firm gets a 404, the same answer as for a firm that does not exist, so URLs cannot be used to learn
which firms an installation serves. An API token narrows the roles to the one it was issued for.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, HTTPException

from brokersec.settings import TAIPEI
from brokersec.web.deps import Viewer, api_identity, signed_in

READ_ROLES = frozenset({"admin", "inspector", "reviewer", "auditor", "executive"})


@dataclass
class OrgView:
    viewer: Viewer
    org: dict[str, Any]
    roles: frozenset[str]

    @property
    def records(self) -> Any:
        return self.viewer.records

    @property
    def id(self) -> int:
        return int(self.org["id"])

    @property
    def today(self) -> dt.date:
        return self.records.clock().astimezone(TAIPEI).date()

    def can(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

    def require(self, *roles: str) -> None:
        if not self.can(*roles):
            raise HTTPException(403, f"needs role {' or '.join(roles)}")


def roles_in(viewer: Viewer, org_id: int) -> frozenset[str]:
    scope = viewer.user.get("token_scope")
    if scope is not None:
        return frozenset({scope["role"]}) if scope["org_id"] == org_id else frozenset()
    user = viewer.records.get_user(viewer.login)
    return frozenset(r["role"] for r in user["roles"] if r["org_id"] == org_id)


def _org_view(org_id: int, viewer: Viewer) -> OrgView:
    roles = roles_in(viewer, org_id)
    if not roles & READ_ROLES:
        raise HTTPException(404, "no such firm")
    return OrgView(viewer, viewer.records.get_org(org_id), roles)


def org_page(org_id: int, viewer: Viewer = Depends(signed_in)) -> OrgView:
    return _org_view(org_id, viewer)


def org_api(org_id: int, viewer: Viewer = Depends(api_identity)) -> OrgView:
    return _org_view(org_id, viewer)


def my_orgs(viewer: Viewer) -> list[dict[str, Any]]:
    """The firms the viewer has any role in."""
    ids = {r["org_id"] for r in viewer.records.get_user(viewer.login)["roles"]}
    return [o for o in viewer.records.list_orgs() if o["id"] in ids]
