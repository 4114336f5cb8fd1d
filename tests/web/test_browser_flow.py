"""The whole day of an inspection in a real Chromium: first sign-in with password change and TOTP
set-up, results and evidence, sign-off by a second person, a finding followed to verified closure,
and the language switch. Screenshots land in test-artifacts/screenshots/."""

from __future__ import annotations

import pyotp
from playwright.sync_api import expect

from brokersec.web.app import create_app

from .conftest import ARTIFACTS, PASSWORD, LiveServer

NEW_ADMIN_PASSWORD = "Admin-first-login-2026"


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"flow-{name}.png"), full_page=True)


def test_inspection_day(browser, site, tmp_path):
    site.records.as_user("admin").add_member(site.org_id, "admin", "inspector")  # a small firm: the CISO also inspects
    initial = site.records.as_user("admin").reset_password("admin")
    evidence = tmp_path / "帳號鎖定原則.txt"
    evidence.write_text("LockoutBadCount = 3\n", encoding="utf-8")
    fix = tmp_path / "修正後設定.txt"
    fix.write_text("deny = 3\n", encoding="utf-8")
    org = site.org_id
    with LiveServer(create_app(site.records)) as server:
        admin_ctx = browser.new_context(locale="zh-TW", viewport={"width": 1280, "height": 900})
        a = admin_ctx.new_page()
        # first sign-in: the random initial password must be changed, then TOTP set up
        a.goto(f"{server.url}/login")
        a.fill("#username", "admin")
        a.fill("#password", initial)
        a.click("main button[type=submit]")
        expect(a).to_have_url(f"{server.url}/password")
        a.fill("#current", initial)
        a.fill("#new", NEW_ADMIN_PASSWORD)
        a.fill("#confirm", NEW_ADMIN_PASSWORD)
        a.click("main button[type=submit]")
        expect(a).to_have_url(f"{server.url}/mfa/setup")
        shot(a, "1-totp-setup")
        secret = a.get_by_test_id("totp-secret").inner_text()
        a.fill("#code", pyotp.TOTP(secret).now())
        a.click("main button[type=submit]")
        expect(a.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
        a.click("text=繼續")
        expect(a.locator("h1")).to_have_text("資通安全檢查總覽")
        shot(a, "2-dashboard")

        # start a period, record a nonconform result inline, drop evidence on it
        a.goto(f"{server.url}/orgs/{org}/inspections")
        a.fill("#period", "2030-03")
        a.click("text=開始查核")
        row = a.locator("#row-CC-18000-3-e")
        row.locator("input[value=nonconform]").check()
        row.locator("input[name=note]").fill("抽查 AD 帳號鎖定門檻為 5 次")
        row.locator("button[type=submit]").click()
        expect(a.locator("#row-CC-18000-3-e [data-testid=status]")).to_have_text("不符合")
        a.locator("#row-CC-18000-3-e input[type=file]").set_input_files(str(evidence))
        expect(a.locator("#row-CC-18000-3-e .evidence")).to_contain_text("帳號鎖定原則.txt")
        shot(a, "3-checklist")

        # a second person signs it off; approving a nonconform result opens a finding
        rev_ctx = browser.new_context(locale="zh-TW", viewport={"width": 1280, "height": 900})
        r = rev_ctx.new_page()
        r.goto(f"{server.url}/login")
        r.fill("#username", "reviewer")
        r.fill("#password", PASSWORD)
        r.click("main button[type=submit]")
        r.goto(f"{server.url}/orgs/{org}/reviews")
        pending = r.locator("tr", has_text="CC-18000.3.e")
        pending.locator("input[name=comment]").fill("同意，請開立缺失")
        pending.locator("button[value=approve]").click()
        expect(r.locator("tr", has_text="CC-18000.3.e")).to_have_count(0)
        shot(r, "4-reviewed")

        # the admin remediates with evidence, the reviewer verifies
        finding = site.records.list_findings(org, open_only=True)
        finding_id = next(f["id"] for f in finding if f["item_id"] == "CC-18000.3.e")
        a.goto(f"{server.url}/orgs/{org}/findings/{finding_id}")
        a.locator("#files").set_input_files(str(fix))
        a.click("form.dropzone button[type=submit]")
        a.fill("#note", "已將帳號鎖定門檻調整為 3 次")
        a.click("button[value=remediated]")
        expect(a.get_by_test_id("finding-status")).to_have_text("已改善待驗證")
        r.goto(f"{server.url}/orgs/{org}/findings/{finding_id}")
        r.click("button[value=verify]")
        expect(r.get_by_test_id("finding-status")).to_have_text("已驗證結案")
        shot(r, "5-verified")

        # the same page in English
        r.click("[data-testid=lang-switch]")
        expect(r.get_by_test_id("finding-status")).to_have_text("verified")
        shot(r, "6-english")
        admin_ctx.close()
        rev_ctx.close()
    assert site.records.verify_chain().ok
