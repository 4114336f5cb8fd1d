"""The catalog browser, through HTTP and in Chromium."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect

from brokersec.web.app import create_app

from .conftest import PASSWORD, LiveServer, sign_in


@pytest.fixture
def client(site):
    client = TestClient(create_app(site.records), base_url="https://testserver")
    assert sign_in(client, "inspector").status_code == 303
    return client


def test_security_headers_and_csp(client):
    r = client.get("/catalog")
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["strict-transport-security"].startswith("max-age=")  # served over TLS here
    assert "<script>" not in r.text and " style=" not in r.text and "onclick" not in r.text


def test_item_page_in_both_languages(client):
    zh = client.get("/catalog/CC-18000.3.e", params={"lang": "zh-TW"}).text
    assert "密碼輸入錯誤次數達三次者" in zh and "每月查核" in zh and 'lang="zh-TW"' in zh
    en = client.get("/catalog/CC-18000.3.e", params={"lang": "en"}).text
    assert "monthly inspection" in en and "Evidence to provide" in en


def test_unknown_item_is_a_404_page(client):
    r = client.get("/catalog/CC-99999.1")
    assert r.status_code == 404 and "CC-99999.1" in r.text


def test_search_fragment(client):
    r = client.get("/catalog", params={"q": "jailbreak"}, headers={"HX-Request": "true"})
    assert r.status_code == 200 and "<html" not in r.text and "CC-19000.11.b.b" in r.text
    assert "CC-18000.3.e" not in r.text


def test_signed_out_visitors_are_sent_to_sign_in(site):
    client = TestClient(create_app(site.records), base_url="https://testserver")
    r = client.get("/catalog", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/catalog"


def test_browse_search_and_switch_language(page, site):
    with LiveServer(create_app(site.records)) as server:
        page.goto(f"{server.url}/login?next=/catalog")
        page.fill("#username", "inspector")
        page.fill("#password", PASSWORD)
        page.click("main button[type=submit]")
        assert page.locator("h1").inner_text() == "建立證券商資通安全檢查機制"
        page.fill("#q", "多因子")
        expect(page.get_by_test_id("hits")).to_contain_text("共 1 個查核項目")
        page.click("a[href='/catalog/CC-17020.b.e']")
        assert "多因子認證" in page.locator(".bilingual").inner_text()
        page.click("[data-testid=lang-switch]")
        page.wait_for_load_state()
        assert "multi-factor authentication" in page.locator(".bilingual .en").inner_text()
        assert page.locator("html").get_attribute("lang") == "en"
        page.keyboard.press("Tab")  # the skip link is the first stop
        assert page.evaluate("document.activeElement.className") == "skip"
