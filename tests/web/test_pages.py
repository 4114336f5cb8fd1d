"""Every page renders for the people who use it, in zh-TW and English, with no message key left showing."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from brokersec.web.app import create_app
from brokersec.web.i18n import messages

from .conftest import csrf, enrol_totp, sign_in

KEYS = set(messages("zh-TW"))


@pytest.fixture
def admin(site):
    client = TestClient(create_app(site.records), base_url="https://testserver")
    sign_in(client, "admin")
    enrol_totp(client)
    return client


def pages(site) -> list[str]:
    org = site.org_id
    ins = site.records.list_inspections(org)[0]["id"]
    return [
        f"/orgs/{org}",
        f"/orgs/{org}/calendar",
        f"/orgs/{org}/inspections",
        f"/orgs/{org}/inspections/{ins}",
        f"/orgs/{org}/reviews",
        f"/orgs/{org}/findings",
        f"/orgs/{org}/findings?view=board",
        f"/orgs/{org}/evidence",
        f"/orgs/{org}/profile",
        f"/orgs/{org}/reports",
        f"/orgs/{org}/audit",
        f"/orgs/{org}/users",
        "/inbox",
        "/tokens",
        "/catalog",
        "/catalog/CC-18000.3.e",
    ]


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
def test_every_page_renders_translated(admin, site, lang):
    for path in pages(site):
        r = admin.get(path, params={"lang": lang})
        assert r.status_code == 200, (path, r.status_code)
        visible = re.sub(r"<[^>]+>", " ", r.text)
        leaked = [k for k in KEYS if re.search(rf"(?<![\w./-]){re.escape(k)}(?![\w-])", visible)]
        assert leaked == [], f"{path} ({lang}) shows message keys {leaked}"
        assert f'<html lang="{lang}">' in r.text


def test_dashboard_shows_history_and_findings(admin, site):
    text = admin.get(f"/orgs/{site.org_id}", params={"lang": "zh-TW"}).text
    assert "各控制類別符合率" in text and "<polyline" in text
    assert "CC-18000" in text


def test_record_a_result_inline_and_attach_evidence(site):
    client = TestClient(create_app(site.records), base_url="https://testserver")
    sign_in(client, "inspector")
    org = site.org_id
    started = client.post(
        f"/orgs/{org}/inspections", data={"period": "2030-01", "csrf_token": csrf(client)}, follow_redirects=False
    )
    assert started.status_code == 303
    path = started.headers["location"]
    ins_id = int(path.rsplit("/", 1)[1])
    row = client.post(
        f"{path}/items/CC-18000.3.e/result",
        data={"status": "conform", "note": "抽查 5 個帳號", "csrf_token": csrf(client)},
        headers={"HX-Request": "true"},
    )
    assert row.status_code == 200 and 'id="row-CC-18000-3-e"' in row.text and "抽查 5 個帳號" in row.text
    assert "尚未附佐證資料" in row.text  # conform without evidence is flagged, in the reader's language
    bad = client.post(
        f"{path}/items/CC-18000.3.e/result",
        data={"status": "not_applicable", "csrf_token": csrf(client)},
        headers={"HX-Request": "true"},
    )
    assert bad.status_code == 400 and 'data-testid="error"' in bad.text
    up = client.post(
        f"{path}/items/CC-18000.3.e/evidence",
        files=[
            ("files", ("lockout.png", b"\x89PNG fake", "image/png")),
            ("files", ("policy.txt", b"deny=3", "text/plain")),
        ],
        data={"collected_at": "2030-01-15", "csrf_token": csrf(client)},
        headers={"HX-Request": "true"},
    )
    assert up.status_code == 200 and "lockout.png" in up.text and "policy.txt" in up.text
    assert "尚未附佐證資料" not in up.text and "晚於查核期間" not in up.text
    late = client.post(
        f"{path}/items/CC-18000.3.e/evidence",
        files=[("files", ("later.txt", b"from February", "text/plain"))],
        data={"collected_at": "2030-02-03", "csrf_token": csrf(client)},
        headers={"HX-Request": "true"},
    )
    assert "佐證資料取得日 2030-02-03 晚於查核期間結束日 2030-01-31" in late.text
    names = {e["original_name"] for e in site.records.list_evidence(org, inspection=ins_id, item_id="CC-18000.3.e")}
    assert names == {"lockout.png", "policy.txt", "later.txt"}
    ev = next(e for e in site.records.list_evidence(org) if e["original_name"] == "policy.txt")
    download = client.get(f"/orgs/{org}/evidence/{ev['id']}/download")
    assert download.content == b"deny=3" and download.headers["x-content-sha256"] == ev["sha256"]


def test_reviewer_cannot_approve_own_result(site):
    recs = site.records
    admin_as = recs.as_user("admin")
    admin_as.add_member(site.org_id, "reviewer", "inspector")
    ins = recs.as_user("reviewer").start_inspection(site.org_id, "2030-02")
    result = recs.as_user("reviewer").record_result(ins["id"], "CC-18000.1", "conform")
    client = TestClient(create_app(recs), base_url="https://testserver")
    sign_in(client, "reviewer")
    page = client.get(f"/orgs/{site.org_id}/reviews").text
    assert "不得覆核自己的查核結果" in page
    r = client.post(
        f"/orgs/{site.org_id}/reviews/{result['id']}", data={"decision": "approve", "csrf_token": csrf(client)}
    )
    assert r.status_code == 400
    assert recs.get_result(result["id"])["review_state"] == "pending"


def test_profile_preview_shows_scope_change(admin, site):
    form = {
        "name": "範例證券股份有限公司",
        "brokerage": "on",
        "channel_voice": "on",
        "channel_traditional": "on",
        "security_tier": "2",
        "due_days_after_period": "10",
        "csrf_token": csrf(admin),
    }
    r = admin.post(f"/orgs/{site.org_id}/profile/preview", data=form, headers={"HX-Request": "true"})
    assert r.status_code == 200 and 'data-testid="removed"' in r.text
    assert "CC-11000.1" in r.text  # risk assessment: internet-order firms only


def test_declaration_deadline_is_tracked_on_the_dashboard(admin, site):
    import datetime as dt

    from brokersec.reports.deadlines import declaration_deadline

    year = dt.date.today().year - 1
    page = admin.get(f"/orgs/{site.org_id}", params={"lang": "zh-TW"}).text
    assert f"{year} 年度資訊安全整體執行情形聲明書" in page and declaration_deadline(year).isoformat() in page
    r = admin.post(
        f"/orgs/{site.org_id}/declaration",
        data={"year": str(year), "board_approved_on": f"{year + 1}-03-20", "csrf_token": csrf(admin)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert site.records.declarations(site.org_id)[year]["board_approved_on"] == f"{year + 1}-03-20"
    assert f"董事會通過：{year + 1}-03-20" in admin.get(f"/orgs/{site.org_id}").text
    assert site.records.audit_log()[-1]["action"] == "declaration.record"


def test_oversized_uploads_are_refused_before_parsing(site, monkeypatch):
    monkeypatch.setenv("BROKERSEC_MAX_REQUEST_BYTES", "100000")
    client = TestClient(create_app(site.records), base_url="https://testserver")
    sign_in(client, "inspector")
    ins = site.records.as_user("inspector").start_inspection(site.org_id, "2030-06")
    before = site.records.count_rows()
    r = client.post(
        f"/orgs/{site.org_id}/inspections/{ins['id']}/items/CC-18000.1/evidence",
        files=[("files", ("big.bin", b"\0" * 200_000, "application/octet-stream"))],
        data={"csrf_token": csrf(client)},
    )
    assert r.status_code == 413 and "larger than 100000 bytes" in r.text
    assert site.records.count_rows() == before


def test_calendar_shows_item_counts(admin, site):
    import re

    text = admin.get(f"/orgs/{site.org_id}/calendar", params={"lang": "zh-TW"}).text
    assert "built-in method" not in text
    counts = re.findall(r"到期，(\d+) 項", text)
    assert counts and all(int(n) > 0 for n in counts)
