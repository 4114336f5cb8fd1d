"""Inspections: start a period, work through its checklist, record results and attach evidence."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from starlette.responses import RedirectResponse, Response

from brokersec.catalog import load_catalog_ref
from brokersec.errors import InputError
from brokersec.web.context import OrgView, org_page
from brokersec.web.rendering import render

router = APIRouter(include_in_schema=False)
STATUSES = ("conform", "partial", "nonconform", "not_applicable", "not_checked")


def _error(exc: InputError) -> str:
    return "; ".join(p.message for p in exc.problems)


@router.get("/orgs/{org_id}/inspections")
def inspections(request: Request, ov: OrgView = Depends(org_page), error: str | None = None) -> Response:
    rows = list(reversed(ov.records.inspection_stats(ov.id)))
    return render(request, "inspections.html", ov=ov, rows=rows, error=error)


@router.post("/orgs/{org_id}/inspections")
def start(request: Request, period: str = Form(...), ov: OrgView = Depends(org_page)) -> Response:
    ov.require("inspector", "admin")
    try:
        ins = ov.records.start_inspection(ov.id, period.strip())
    except InputError as exc:
        rows = list(reversed(ov.records.inspection_stats(ov.id)))
        return render(request, "inspections.html", status_code=400, ov=ov, rows=rows, error=_error(exc))
    return RedirectResponse(f"/orgs/{ov.id}/inspections/{ins['id']}", status_code=303)


def _checklist(ov: OrgView, inspection_id: int) -> dict[str, Any]:
    try:
        return ov.records.get_inspection(inspection_id, ov.id)
    except InputError:
        raise HTTPException(404, "no such inspection") from None


def _grouped(ins: dict[str, Any], status: str, q: str) -> list[tuple[Any, list[dict[str, Any]]]]:
    catalog = load_catalog_ref(ins["catalog_version"])
    needle = q.lower().strip()
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in ins["items"]:
        current = row["result"]["status"] if row["result"] else "none"
        if status and status != current and not (status == "flagged" and row["flags"]):
            continue
        if needle and needle not in " ".join([row["item"], row["text_zh"] or "", row["text_en"] or ""]).lower():
            continue
        groups.setdefault(catalog.get(row["item"]).area, []).append(row)
    return [(catalog.get(code), rows) for code, rows in groups.items()]


@router.get("/orgs/{org_id}/inspections/{inspection_id}")
def checklist(
    request: Request, inspection_id: int, status: str = "", q: str = "", ov: OrgView = Depends(org_page)
) -> Response:
    ins = _checklist(ov, inspection_id)
    template = "checklist_rows.html" if request.headers.get("hx-request") else "checklist.html"
    return render(
        request,
        template,
        ov=ov,
        ins=ins,
        groups=_grouped(ins, status, q),
        status=status,
        q=q,
        statuses=STATUSES,
        today=ov.today,
    )


def _row(request: Request, ov: OrgView, inspection_id: int, item_id: str, error: str | None = None, code: int = 200):  # type: ignore[no-untyped-def]
    ins = _checklist(ov, inspection_id)
    row = next((r for r in ins["items"] if r["item"] == item_id), None)
    if row is None:
        raise HTTPException(404, "no such item in this inspection")
    return render(
        request,
        "checklist_row.html",
        status_code=code,
        ov=ov,
        ins=ins,
        row=row,
        statuses=STATUSES,
        error=error,
        today=ov.today,
    )


@router.post("/orgs/{org_id}/inspections/{inspection_id}/items/{item_id}/result")
def record(
    request: Request,
    inspection_id: int,
    item_id: str,
    status: str = Form(...),
    note: str = Form(""),
    na_reason: str = Form(""),
    ov: OrgView = Depends(org_page),
) -> Response:
    ov.require("inspector")
    try:
        ov.records.record_result(inspection_id, item_id, status, note=note, na_reason=na_reason or None, org=ov.id)
    except InputError as exc:
        return _row(request, ov, inspection_id, item_id, error=_error(exc), code=400)
    return _row(request, ov, inspection_id, item_id)


@router.post("/orgs/{org_id}/inspections/{inspection_id}/items/{item_id}/evidence")
async def upload(
    request: Request,
    inspection_id: int,
    item_id: str,
    files: list[UploadFile] = File(...),
    collected_at: str = Form(""),
    ov: OrgView = Depends(org_page),
) -> Response:
    ov.require("inspector", "reviewer", "admin")
    try:
        day = dt.date.fromisoformat(collected_at) if collected_at else ov.today
    except ValueError:
        return _row(request, ov, inspection_id, item_id, error=f"{collected_at!r}: YYYY-MM-DD", code=400)
    errors = []
    for upload_file in files:
        if not upload_file.filename:
            continue
        try:
            ov.records.add_evidence(
                ov.id,
                upload_file.file,
                collected_at=day,
                original_name=upload_file.filename,
                media_type=upload_file.content_type,
                links=[(inspection_id, item_id)],
            )
        except InputError as exc:
            errors.append(f"{upload_file.filename}: {_error(exc)}")
    return _row(request, ov, inspection_id, item_id, error="; ".join(errors) or None, code=400 if errors else 200)
