"""Signing in passes the firm's own inspection: lockout, forced change, TOTP for admins, sessions, CSRF."""

from __future__ import annotations

import datetime as dt

import pyotp
import pytest
from fastapi.testclient import TestClient

from brokersec.web.app import create_app

from .conftest import PASSWORD, csrf, enrol_totp, sign_in


@pytest.fixture
def app(site):
    return create_app(site.records)


def client_for(app) -> TestClient:
    return TestClient(app, base_url="https://testserver")


def test_session_cookie_flags(app):
    client = client_for(app)
    r = sign_in(client, "inspector")
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("brokersec_session="))
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=lax" in cookie
    assert client.get("/", follow_redirects=False).headers["location"].startswith("/orgs/")


def test_three_wrong_passwords_lock_the_account_and_are_audited(app, site):
    client = client_for(app)
    for _ in range(2):
        r = sign_in(client, "reviewer", "wrong-password-1")
        assert r.status_code == 401 and "帳號或密碼錯誤" in r.text
    r = sign_in(client, "reviewer", "wrong-password-1")
    assert r.status_code == 401 and "已鎖定" in r.text
    r = sign_in(client, "reviewer", PASSWORD)  # the right password no longer helps
    assert r.status_code == 401 and "已鎖定" in r.text
    actions = [e["action"] for e in site.records.audit_log() if e["actor"] == "reviewer"]
    assert actions[-4:] == ["login_failed", "login_failed", "account_locked", "login_refused"]
    assert all(e["client_addr"] == "testclient" for e in site.records.audit_log()[-4:])
    # an admin unlocks it
    site.records.as_user("admin").unlock_user("reviewer")
    assert sign_in(client_for(app), "reviewer").status_code == 303


def test_lockout_expires(app, site, monkeypatch):
    for _ in range(3):
        sign_in(client_for(app), "auditor", "nope-nope-nope")
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=16)
    monkeypatch.setattr(site.records, "clock", lambda: later)
    assert sign_in(client_for(app), "auditor").status_code == 303


def test_initial_password_must_be_changed_first(app, site):
    admin = site.records.as_user("admin")
    _, initial = admin.create_user("newbie", "newbie@example.com.tw", "新同仁", "資訊專員")
    admin.add_member(site.org_id, "newbie", "inspector")
    client = client_for(app)
    r = sign_in(client, "newbie", initial)
    assert r.headers["location"] == "/password"
    assert client.get(f"/orgs/{site.org_id}", follow_redirects=False).headers["location"] == "/password"
    weak = client.post(
        "/password", data={"current": initial, "new": "short", "confirm": "short", "csrf_token": csrf(client)}
    )
    assert weak.status_code == 400
    ok = client.post(
        "/password",
        data={"current": initial, "new": "Brand-new-pass-7", "confirm": "Brand-new-pass-7", "csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert client.get(f"/orgs/{site.org_id}").status_code == 200


def test_admins_must_enrol_and_use_totp(app, site):
    client = client_for(app)
    r = sign_in(client, "admin")
    assert r.headers["location"] == "/mfa/setup"
    assert client.get(f"/orgs/{site.org_id}", follow_redirects=False).headers["location"] == "/mfa/setup"
    secret, codes = enrol_totp(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get(f"/orgs/{site.org_id}").status_code == 200
    # next sign-in asks for a code; a wrong one is refused, a right one admits
    other = client_for(app)
    assert sign_in(other, "admin").headers["location"] == "/mfa"
    assert other.post("/mfa", data={"code": "000000", "csrf_token": csrf(other)}).status_code == 401
    code = pyotp.TOTP(secret).at(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30))  # next step: not yet used
    assert other.post("/mfa", data={"code": code, "csrf_token": csrf(other)}, follow_redirects=False).status_code == 303
    # a recovery code works once
    third = client_for(app)
    sign_in(third, "admin")
    assert (
        third.post("/mfa", data={"code": codes[0], "csrf_token": csrf(third)}, follow_redirects=False).status_code
        == 303
    )
    fourth = client_for(app)
    sign_in(fourth, "admin")
    assert fourth.post("/mfa", data={"code": codes[0], "csrf_token": csrf(fourth)}).status_code == 401


def test_forms_without_csrf_token_are_refused(app):
    client = client_for(app)
    client.get("/login")
    r = client.post("/login", data={"username": "inspector", "password": PASSWORD})
    assert r.status_code == 403
    r = client.post("/login", data={"username": "inspector", "password": PASSWORD, "csrf_token": "forged"})
    assert r.status_code == 403


def test_idle_sessions_expire(app, site, monkeypatch):
    client = client_for(app)
    sign_in(client, "inspector")
    assert client.get(f"/orgs/{site.org_id}", follow_redirects=False).status_code == 200
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=31)
    monkeypatch.setattr(site.records, "clock", lambda: later)
    assert client.get(f"/orgs/{site.org_id}", follow_redirects=False).headers["location"].startswith("/login")


def test_no_open_redirect_after_sign_in(app):
    client = client_for(app)
    r = client.post(
        "/login",
        data={
            "username": "inspector",
            "password": PASSWORD,
            "next": "https://evil.example/",
            "csrf_token": csrf(client),
        },
        follow_redirects=False,
    )
    assert r.headers["location"] == "/"


def test_sign_out_ends_the_session(app, site):
    client = client_for(app)
    sign_in(client, "inspector")
    token = client.cookies["brokersec_session"]
    client.post("/logout", data={"csrf_token": csrf(client)})
    assert site.records.session_user(token) is None


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("short-1", "12 characters"),
        ("onlylettersinthispassword", "letters and digits"),
        ("123456789012345", "letters and digits"),
    ],
)
def test_password_rule(site, new, message):
    from brokersec.errors import InputError

    with pytest.raises(InputError, match=message):
        site.records.as_user("inspector").change_password(PASSWORD, new)


def test_generated_passwords_meet_the_rule():
    from brokersec.records.people import _check_new_password, random_password

    for _ in range(200):
        _check_new_password(random_password())
