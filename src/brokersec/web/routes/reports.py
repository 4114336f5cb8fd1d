"""The reports page: every report and export the CLI makes, built on request and downloaded.

Building can take seconds (a year's PDF, working papers with all evidence), so a build is an htmx
request that shows a progress bar while it runs and answers with a download link. Built files live
under ``<data dir>/exports/<firm>/<random token>/`` (written atomically) and are removed after a day.
The checklist import is two steps: upload shows exactly what would change; applying changes it in
one transaction, audited.
"""

from __future__ import annotations

import io
import secrets
import shutil
import time
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from starlette.responses import FileResponse, Response

from brokersec.catalog import load_catalog_ref
from brokersec.errors import InputError
from brokersec.fileio import write_atomic
from brokersec.scoping import scope
from brokersec.settings import data_dir
from brokersec.web.context import OrgView, org_page
from brokersec.web.rendering import render

router = APIRouter(include_in_schema=False)
KEEP_SECONDS = 86400
MAX_IMPORT_BYTES = 20 * 1024 * 1024


def _exports(org_id: int) -> Path:
    return data_dir() / "exports" / str(org_id)


def _sweep(org_id: int) -> None:
    root = _exports(org_id)
    if root.exists():
        for old in root.iterdir():
            if time.time() - old.stat().st_mtime > KEEP_SECONDS:
                shutil.rmtree(old, ignore_errors=True)


def _keep(org_id: int, name: str, data: bytes) -> str:
    token = secrets.token_urlsafe(16)
    write_atomic(_exports(org_id) / token / name, data)
    return f"{token}/{name}"


def _inspection(ov: OrgView, inspection_id: int | None) -> dict[str, Any]:
    if inspection_id is None:
        raise InputError("choose an inspection")
    return ov.records.get_inspection(inspection_id, ov.id)


def build(ov: OrgView, kind: str, inspection_id: int | None, year: int | None, period: str) -> tuple[str, bytes]:
    """(file name, bytes) of one export; bad choices raise ``InputError``."""
    from brokersec.reports import checklist_xlsx, ciso_assistant, declaration, inspection_pdf, results_csv
    from brokersec.reports import oscal as oscal_docs

    recs, org = ov.records, ov.org
    profile = recs.profile(ov.id)
    catalog = load_catalog_ref(profile.catalog)
    tag = org["tax_id"]
    if kind == "checklist":
        ins = _inspection(ov, inspection_id)
        return f"{tag}-{ins['period_id']}-查核明細表.xlsx", checklist_xlsx.build_checklist(ins, org)
    if kind == "report_pdf":
        ins = _inspection(ov, inspection_id)
        data = inspection_pdf.inspection_report_data(recs, ins["id"], ov.id, today=ov.today)
        return f"{tag}-{ins['period_id']}-查核報告.pdf", inspection_pdf.render_inspection_report(data)
    if kind == "working_papers":
        from brokersec.reports import working_papers

        ins = _inspection(ov, inspection_id)
        pdf = inspection_pdf.render_inspection_report(inspection_pdf.inspection_report_data(recs, ins["id"], ov.id))
        out = io.BytesIO()
        working_papers.write_working_papers(
            out,
            ins,
            org,
            checklist=checklist_xlsx.build_checklist(ins, org),
            open_evidence=recs.open_evidence,
            extra_files={f"查核報告-{ins['period_id']}.pdf": pdf},
        )
        return f"{tag}-{ins['period_id']}-查核工作底稿.zip", out.getvalue()
    if kind == "results_csv":
        ins = _inspection(ov, inspection_id)
        return f"{tag}-{ins['period_id']}-results.csv", results_csv.results_csv(ins, org)
    if kind == "oscal_ar":
        ins = _inspection(ov, inspection_id)
        doc = oscal_docs.assessment_results_document(
            ins, org, load_catalog_ref(ins["catalog_version"]), findings=recs.list_findings(ov.id)
        )
        return f"{tag}-{ins['period_id']}-assessment-results.json", oscal_docs.to_json(doc)
    if kind == "year_pdf":
        year = year or ov.today.year
        data = inspection_pdf.year_report_data(recs, ov.id, year, today=ov.today)
        return f"{tag}-{year}-年度查核報告.pdf", inspection_pdf.render_year_report(data)
    if kind in ("declaration_docx", "declaration_pdf"):
        year = year or ov.today.year - 1
        data = declaration.declaration_data(recs, ov.id, year, today=ov.today)
        if kind == "declaration_docx":
            return f"{tag}-{year}-資訊安全整體執行情形聲明書.docx", declaration.render_declaration_docx(data)
        return f"{tag}-{year}-資訊安全整體執行情形聲明書.pdf", declaration.render_declaration_pdf(data)
    if kind == "empty_checklist":
        return f"{tag}-{period}-查核明細表-空白.xlsx", checklist_xlsx.build_empty_checklist(catalog, profile, period)
    if kind == "oscal_profile":
        doc = oscal_docs.profile_document(catalog, scope(catalog, profile, ov.today), profile)
        return f"{tag}-profile.json", oscal_docs.to_json(doc)
    if kind == "oscal_poam":
        findings = recs.list_findings(ov.id, open_only=True, today=ov.today)
        evidence = {e["id"]: e for e in recs.list_evidence(ov.id)} if any(f["evidence_ids"] for f in findings) else {}
        doc = oscal_docs.poam_document(
            org, findings, catalog, as_of=ov.today, evidence=evidence, firm_name_en=profile.name_en
        )
        return f"{tag}-poam.json", oscal_docs.to_json(doc)
    if kind == "oscal_catalog":
        return f"{catalog.version}.oscal-catalog.json", oscal_docs.to_json(oscal_docs.catalog_document(catalog))
    if kind == "ciso_assistant":
        return f"{catalog.version}.ciso-assistant.yaml", ciso_assistant.ciso_assistant_yaml(catalog).encode("utf-8")
    raise HTTPException(400, f"unknown report {kind!r}")


@router.get("/orgs/{org_id}/reports")
def reports(request: Request, ov: OrgView = Depends(org_page)) -> Response:
    _sweep(ov.id)
    return render(
        request, "reports.html", ov=ov, inspections=list(reversed(ov.records.list_inspections(ov.id))), today=ov.today
    )


@router.post("/orgs/{org_id}/reports/build")
def build_report(
    request: Request,
    kind: str = Form(...),
    inspection: int | None = Form(None),
    year: int | None = Form(None),
    period: str = Form(""),
    ov: OrgView = Depends(org_page),
) -> Response:
    try:
        name, data = build(ov, kind, inspection, year, period.strip())
    except InputError as exc:
        return render(request, "report_built.html", status_code=400, ov=ov, link=None, error=str(exc))
    return render(
        request, "report_built.html", ov=ov, link=_keep(ov.id, name, data), file_name=name, size=len(data), error=None
    )


@router.get("/orgs/{org_id}/reports/files/{token}/{name}")
def download(token: str, name: str, ov: OrgView = Depends(org_page)) -> Response:
    folder = _exports(ov.id) / token
    path = folder / name
    if "/" in token or ".." in token or path.parent != folder or not path.is_file():
        raise HTTPException(404, "this export has expired; build it again")
    return FileResponse(path, filename=name, media_type="application/octet-stream")


@router.post("/orgs/{org_id}/reports/import")
async def import_checklist(
    request: Request,
    file: UploadFile | None = File(None),
    token: str = Form(""),
    apply: str = Form(""),
    ov: OrgView = Depends(org_page),
) -> Response:
    """Step 1 (a file): show the changes. Step 2 (the token of step 1 and ``apply``): make them."""
    from brokersec.reports.checklist_xlsx import import_checklist as run_import

    ov.require("inspector")
    if file is not None and file.filename:
        data = await file.read(MAX_IMPORT_BYTES + 1)
        if len(data) > MAX_IMPORT_BYTES:
            return render(request, "report_import.html", status_code=400, ov=ov, plan=None, token="",
                          error=f"{file.filename}: larger than {MAX_IMPORT_BYTES} bytes")  # fmt: skip
        name = file.filename
        token = _keep(ov.id, "upload.xlsx", data)
    else:
        path = _exports(ov.id) / token
        if not token or ".." in token or not path.is_file():
            raise HTTPException(400, "upload the workbook again")
        data, name = path.read_bytes(), "checklist.xlsx"
    try:
        plan = run_import(ov.records, data, file=name, dry_run=apply != "1")
    except InputError as exc:
        return render(request, "report_import.html", status_code=400, ov=ov, plan=None, token="", error=str(exc))
    return render(request, "report_import.html", ov=ov, plan=plan, token=token, applied=apply == "1", error=None)
