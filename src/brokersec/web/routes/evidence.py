"""The evidence vault: find files by item, period, name or hash; download; retention and legal hold."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from brokersec.errors import InputError
from brokersec.web.context import OrgView, org_page
from brokersec.web.rendering import render

router = APIRouter(include_in_schema=False)


def search_evidence(ov: OrgView, item: str = "", inspection: str = "", q: str = "") -> list[dict]:  # type: ignore[type-arg]
    try:
        rows = ov.records.list_evidence(ov.id, inspection=inspection or None, item_id=item or None)
    except InputError:
        return []
    needle = q.lower().strip()
    if needle:
        rows = [r for r in rows if needle in r["original_name"].lower() or r["sha256"].startswith(needle)]
    return rows


@router.get("/orgs/{org_id}/evidence")
def vault(
    request: Request, item: str = "", inspection: str = "", q: str = "", ov: OrgView = Depends(org_page)
) -> Response:
    rows = search_evidence(ov, item, inspection, q)
    inspections = ov.records.list_inspections(ov.id)
    return render(
        request, "evidence.html", ov=ov, rows=rows, item=item, inspection=inspection, q=q, inspections=inspections
    )


@router.get("/orgs/{org_id}/evidence/{evidence_id}/download")
def download(evidence_id: int, ov: OrgView = Depends(org_page)) -> Response:
    try:
        meta, stream = ov.records.open_evidence(evidence_id)
    except InputError:
        raise HTTPException(404, "no such evidence") from None
    if meta["org_id"] != ov.id:
        stream.close()
        raise HTTPException(404, "no such evidence")
    name = quote(meta["original_name"])
    return StreamingResponse(
        iter(lambda: stream.read(65536), b""),
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{name}",
            "X-Content-SHA256": meta["sha256"],
        },
        background=None,
    )


@router.post("/orgs/{org_id}/evidence/{evidence_id}/hold")
def hold(
    request: Request, evidence_id: int, hold: str = Form(...), reason: str = Form(""), ov: OrgView = Depends(org_page)
) -> Response:
    ov.require("admin")
    try:
        ov.records.set_legal_hold(evidence_id, hold == "on", reason)
    except InputError as exc:
        rows = search_evidence(ov)
        error = "; ".join(p.message for p in exc.problems)
        return render(
            request,
            "evidence.html",
            status_code=400,
            ov=ov,
            rows=rows,
            item="",
            inspection="",
            q="",
            inspections=ov.records.list_inspections(ov.id),
            error=error,
        )
    return RedirectResponse(f"/orgs/{ov.id}/evidence", status_code=303)
