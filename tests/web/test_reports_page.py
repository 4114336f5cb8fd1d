"""The reports page builds every export on request and imports an offline checklist in two steps."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from brokersec.reports.checklist_xlsx import COL
from brokersec.web.app import create_app

from .conftest import csrf, sign_in


@pytest.fixture
def inspector(site, monkeypatch):
    monkeypatch.setenv("BROKERSEC_DATA_DIR", str(site.data))
    client = TestClient(create_app(site.records), base_url="https://testserver")
    sign_in(client, "inspector")
    return client


def build(client, org, **form):
    r = client.post(
        f"/orgs/{org}/reports/build", data={**form, "csrf_token": csrf(client)}, headers={"HX-Request": "true"}
    )
    link = re.search(r'href="([^"]+/reports/files/[^"]+)"', r.text)
    return r, link.group(1) if link else None


@pytest.mark.parametrize(
    ("kind", "magic"),
    [
        ("checklist", b"PK"),
        ("report_pdf", b"%PDF"),
        ("working_papers", b"PK"),
        ("results_csv", "\ufeff".encode()),
        ("oscal_ar", b"{"),
    ],
)
def test_inspection_exports(inspector, site, kind, magic):
    ins = site.records.list_inspections(site.org_id)[-1]["id"]
    r, link = build(inspector, site.org_id, kind=kind, inspection=str(ins))
    assert r.status_code == 200 and link, r.text
    body = inspector.get(link).content
    assert body.startswith(magic)
    if kind == "working_papers":
        names = zipfile.ZipFile(io.BytesIO(body)).namelist()
        assert any(n.endswith("MANIFEST.sha256") for n in names) and any(n.endswith(".pdf") for n in names)
    if kind == "oscal_ar":
        assert "assessment-results" in json.loads(body)


@pytest.mark.parametrize(
    ("kind", "magic"), [("empty_checklist", b"PK"), ("oscal_catalog", b"{"), ("ciso_assistant", b"urn")]
)
def test_firm_and_regulation_exports(inspector, site, kind, magic):
    r, link = build(inspector, site.org_id, kind=kind, period="2030-07")
    assert r.status_code == 200 and link
    assert magic in inspector.get(link).content[:200]


def test_bad_choices_and_other_firms_files(inspector, site):
    r, link = build(inspector, site.org_id, kind="empty_checklist", period="2030-13")
    assert r.status_code == 400 and link is None and "not a period" in r.text
    assert build(inspector, site.org_id, kind="nonsense")[0].status_code == 400
    _, link = build(inspector, site.org_id, kind="oscal_catalog")
    assert inspector.get(link.replace(f"/orgs/{site.org_id}/", "/orgs/999/")).status_code == 404
    assert inspector.get(f"/orgs/{site.org_id}/reports/files/..%2F..%2Fweb-secret.key/x").status_code == 404


def test_import_shows_changes_then_applies_them(inspector, site):
    recs = site.records
    ins = recs.as_user("inspector").start_inspection(site.org_id, "2030-08")
    _, link = build(inspector, site.org_id, kind="checklist", inspection=str(ins["id"]))
    wb = load_workbook(io.BytesIO(inspector.get(link).content))
    ws = wb["查核明細表"]
    col_result, col_note = COL["status"], COL["note"]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, COL["item"]).value == "CC-18000.3.e")
    ws.cell(row, col_result).value = "符合"
    ws.cell(row, col_note).value = "AD 鎖定門檻 3 次"
    out = io.BytesIO()
    wb.save(out)
    before = recs.count_rows()
    plan = inspector.post(
        f"/orgs/{site.org_id}/reports/import",
        files={
            "file": ("filled.xlsx", out.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        },
        data={"csrf_token": csrf(inspector)},
        headers={"HX-Request": "true"},
    )
    assert plan.status_code == 200 and "將變更 1 項" in plan.text
    assert recs.count_rows()["results"] == before["results"]  # nothing written yet
    token = re.search(r'name="token" value="([^"]+)"', plan.text).group(1)
    applied = inspector.post(
        f"/orgs/{site.org_id}/reports/import",
        data={"token": token, "apply": "1", "csrf_token": csrf(inspector)},
        headers={"HX-Request": "true"},
    )
    assert applied.status_code == 200 and "已匯入 1 項變更" in applied.text
    row = next(r for r in recs.get_inspection(ins["id"])["items"] if r["item"] == "CC-18000.3.e")
    assert row["result"]["status"] == "conform" and row["result"]["note"] == "AD 鎖定門檻 3 次"


def test_import_of_a_broken_file_is_refused(inspector, site):
    r = inspector.post(
        f"/orgs/{site.org_id}/reports/import",
        files={"file": ("x.xlsx", b"not a workbook", "application/octet-stream")},
        data={"csrf_token": csrf(inspector)},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 400 and "x.xlsx" in r.text
