"""The firm profile editor, with a live preview of which items a change brings into or out of scope."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from brokersec.catalog import load_catalog_ref
from brokersec.catalog.models import CHANNELS
from brokersec.errors import InputError
from brokersec.profile import FirmProfile, parse_profile
from brokersec.scoping import scope
from brokersec.web.context import OrgView, org_page
from brokersec.web.rendering import render

router = APIRouter(include_in_schema=False)


def _from_form(form: FormData, current: FirmProfile) -> dict[str, Any]:
    catalog = load_catalog_ref(current.catalog)
    return {
        "name": str(form.get("name") or ""),
        "name_en": str(form.get("name_en") or ""),
        "tax_id": current.tax_id,  # the firm's identity does not change in an edit
        "brokerage": form.get("brokerage") == "on",
        "channels": [c for c in CHANNELS if form.get(f"channel_{c}") == "on"],
        "security_tier": int(str(form.get("security_tier") or current.security_tier)),
        "due_days_after_period": int(str(form.get("due_days_after_period") or 0)),
        "flags": {k: form.get(f"flag_{k}") == "on" for k in catalog.conditions if k != "brokerage"},
        "catalog": current.catalog,
    }


def _changes(ov: OrgView, current: FirmProfile, proposed: FirmProfile) -> dict[str, list[Any]]:
    catalog = load_catalog_ref(current.catalog)
    before = {e.item.id: e for e in scope(catalog, current, ov.today).entries}
    after = {e.item.id: e for e in scope(catalog, proposed, ov.today).entries}
    return {
        "added": [after[i] for i in after if after[i].applicable and not before[i].applicable],
        "removed": [after[i] for i in after if before[i].applicable and not after[i].applicable],
    }


@router.get("/orgs/{org_id}/profile")
def profile_page(request: Request, ov: OrgView = Depends(org_page)) -> Response:
    current = ov.records.profile(ov.id)
    return render(
        request,
        "profile.html",
        ov=ov,
        p=current,
        catalog=load_catalog_ref(current.catalog),
        channels=CHANNELS,
        history=ov.records.profile_history(ov.id),
        error=None,
    )


@router.post("/orgs/{org_id}/profile/preview")
async def preview(request: Request, ov: OrgView = Depends(org_page)) -> Response:
    current = ov.records.profile(ov.id)
    try:
        proposed = parse_profile(_from_form(await request.form(), current), "profile")
    except (InputError, ValueError) as exc:
        return render(request, "profile_preview.html", ov=ov, changes=None, error=str(exc))
    return render(request, "profile_preview.html", ov=ov, changes=_changes(ov, current, proposed), error=None)


@router.post("/orgs/{org_id}/profile")
async def save(request: Request, ov: OrgView = Depends(org_page)) -> Response:
    ov.require("admin")
    current = ov.records.profile(ov.id)
    try:
        ov.records.update_profile(ov.id, _from_form(await request.form(), current))
    except (InputError, ValueError) as exc:
        return render(
            request,
            "profile.html",
            status_code=400,
            ov=ov,
            p=current,
            catalog=load_catalog_ref(current.catalog),
            channels=CHANNELS,
            history=ov.records.profile_history(ov.id),
            error=str(exc),
        )
    return RedirectResponse(f"/orgs/{ov.id}/profile?saved=1", status_code=303)
