"""A user of one firm never sees another firm's data; API tokens carry one firm and one role."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from brokersec.web.app import create_app

from .conftest import PASSWORD, csrf, sign_in

OTHER = {
    "name": "另一家證券股份有限公司",
    "tax_id": "22099131",
    "brokerage": True,
    "channels": ["internet"],
    "security_tier": 3,
    "flags": {},
}


@pytest.fixture
def two_firms(site):
    """A second firm with its own admin and inspector; nobody of the demo firm has a role there."""
    recs = site.records
    admin = recs.as_user("admin")
    admin.create_user("other-admin", "oa@other.com.tw", "周管理", "資訊長", PASSWORD)
    other = admin.create_org(OTHER)  # a consultant's installation: one admin registers both firms
    admin.add_member(other["id"], "other-admin", "admin")
    admin.add_member(other["id"], "other-admin", "inspector")
    recs.as_user("other-admin").remove_member(other["id"], "admin", "admin")
    ins = recs.as_user("other-admin").start_inspection(other["id"], "2026-01")
    return site, other["id"], ins["id"]


def test_pages_of_another_firm_are_404(two_firms):
    site, other, ins = two_firms
    client = TestClient(create_app(site.records), base_url="https://testserver")
    sign_in(client, "inspector")
    for path in (
        f"/orgs/{other}",
        f"/orgs/{other}/inspections/{ins}",
        f"/orgs/{other}/findings",
        f"/orgs/{other}/evidence",
        f"/orgs/{other}/audit",
        f"/orgs/{other}/profile",
    ):
        assert client.get(path).status_code == 404, path
    r = client.post(
        f"/orgs/{other}/inspections/{ins}/items/CC-18000.1/result",
        data={"status": "conform", "csrf_token": csrf(client)},
    )
    assert r.status_code == 404
    assert "另一家" not in client.get("/").text


def test_inspection_of_another_firm_under_own_firm_url_is_404(two_firms):
    site, _other, ins = two_firms
    client = TestClient(create_app(site.records), base_url="https://testserver")
    sign_in(client, "inspector")
    assert client.get(f"/orgs/{site.org_id}/inspections/{ins}").status_code == 404


def test_api_token_scope_and_revocation(two_firms):
    site, other, _ins = two_firms
    app = create_app(site.records)
    browser = TestClient(app, base_url="https://testserver")
    sign_in(browser, "inspector")
    created = browser.post(
        "/api/v1/tokens",
        json={"org_id": site.org_id, "role": "inspector", "name": "ci"},
        headers={"X-CSRF-Token": csrf(browser)},
    )
    assert created.status_code == 201
    token = created.json()["token"]
    api = TestClient(app, base_url="https://testserver", headers={"Authorization": f"Bearer {token}"})
    assert api.get("/api/v1/orgs").json()[0]["id"] == site.org_id
    assert api.get(f"/api/v1/orgs/{other}").status_code == 404
    started = api.post(f"/api/v1/orgs/{site.org_id}/inspections", json={"period": "2031-01"})
    assert started.status_code == 201
    rec = api.post(
        f"/api/v1/orgs/{site.org_id}/inspections/{started.json()['id']}/results",
        json={"item": "CC-18000.1", "status": "conform", "note": "via API"},
    )
    assert rec.status_code == 201 and rec.json()["status"] == "conform"
    bad = api.post(
        f"/api/v1/orgs/{site.org_id}/inspections/{started.json()['id']}/results",
        json={"item": "CC-99999.1", "status": "conform"},
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["message"]
    assert api.post("/api/v1/tokens", json={"org_id": site.org_id, "role": "inspector", "name": "x"}).status_code == 403
    browser.delete(f"/api/v1/tokens/{created.json()['id']}", headers={"X-CSRF-Token": csrf(browser)})
    assert api.get("/api/v1/orgs").status_code == 401


def test_read_only_token_stays_read_only(site):
    recs = site.records
    recs.as_user("admin").add_member(site.org_id, "auditor", "inspector")  # the person may record...
    _info, token = recs.as_user("auditor").create_api_token(site.org_id, "auditor", "audit export")
    api = TestClient(create_app(recs), base_url="https://testserver", headers={"Authorization": f"Bearer {token}"})
    assert api.get(f"/api/v1/orgs/{site.org_id}/audit").status_code == 200
    r = api.post(f"/api/v1/orgs/{site.org_id}/inspections", json={"period": "2031-02"})
    assert r.status_code == 403  # ...but not with a token issued for the auditor role


def test_api_without_credentials_is_401_and_openapi_is_served(site):
    client = TestClient(create_app(site.records), base_url="https://testserver")
    assert client.get("/api/v1/orgs").status_code == 401
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/orgs/{org_id}/inspections/{inspection_id}/results" in spec["paths"]
