"""Single sign-on through an OpenID Connect provider: a real (test) provider on loopback issues
RS256-signed ID tokens; brokersec checks signature, issuer, audience, nonce, state and PKCE."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from urllib.parse import parse_qs, urlparse

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Form
from fastapi.responses import RedirectResponse
from fastapi.testclient import TestClient

from brokersec.web.app import create_app

from .conftest import LiveServer


class Provider:
    """The smallest honest OpenID provider: discovery, authorize, token (with PKCE) and JWKS."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "test-key-1"
        self.email = "inspector@example.com.tw"
        self.amr: list[str] = ["pwd"]
        self.codes: dict[str, dict] = {}
        self.tamper = False
        self.app = FastAPI()
        app = self.app

        @app.get("/.well-known/openid-configuration")
        def discovery() -> dict:
            return {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
            }

        @app.get("/authorize")
        def authorize(redirect_uri: str, state: str, nonce: str, client_id: str, code_challenge: str):
            code = secrets.token_urlsafe(16)
            self.codes[code] = {"nonce": nonce, "client_id": client_id, "challenge": code_challenge}
            return RedirectResponse(f"{redirect_uri}?code={code}&state={state}", status_code=302)

        @app.post("/token")
        def token(code: str = Form(...), code_verifier: str = Form(...), client_id: str = Form(...)):
            grant = self.codes.pop(code)
            digest = base64.urlsafe_b64encode(hashlib.sha256(code_verifier.encode()).digest()).rstrip(b"=").decode()
            assert digest == grant["challenge"], "PKCE verifier does not match"
            now = int(time.time())
            claims = {
                "iss": self.issuer, "aud": client_id, "sub": "u-1", "iat": now, "exp": now + 300,
                "nonce": grant["nonce"], "email": self.email, "email_verified": True, "amr": self.amr,
            }  # fmt: skip
            signed = jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid})
            if self.tamper:
                head, body, sig = signed.split(".")
                signed = ".".join([head, body, sig[:-4] + ("AAAA" if not sig.endswith("AAAA") else "BBBB")])
            return {"id_token": signed, "access_token": "x", "token_type": "Bearer"}

        @app.get("/jwks")
        def jwks() -> dict:
            jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
            return {"keys": [{**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}]}


@pytest.fixture
def provider(monkeypatch):
    idp = Provider()
    with LiveServer(idp.app) as server:
        idp.issuer = server.url
        monkeypatch.setenv("BROKERSEC_OIDC_ISSUER", server.url)
        monkeypatch.setenv("BROKERSEC_OIDC_CLIENT_ID", "brokersec-test")
        monkeypatch.setenv("BROKERSEC_OIDC_CLIENT_SECRET", "s3cret")
        yield idp


def sso(client: TestClient, mangle_state: bool = False):
    start = client.get("/oidc/login?next=/catalog", follow_redirects=False)
    assert start.status_code == 303
    at_idp = httpx.get(start.headers["location"], follow_redirects=False)
    callback = urlparse(at_idp.headers["location"])
    query = parse_qs(callback.query)
    state = "forged" if mangle_state else query["state"][0]
    return client.get(f"/oidc/callback?code={query['code'][0]}&state={state}", follow_redirects=False)


def test_sign_in_through_the_provider(provider, site):
    client = TestClient(create_app(site.records), base_url="https://testserver")
    assert 'data-testid="oidc"' in client.get("/login").text
    done = sso(client)
    assert done.status_code == 303 and done.headers["location"] == "/catalog"
    assert client.get("/catalog").status_code == 200
    assert [e["action"] for e in site.records.audit_log()][-2:] == ["external_ok", "login"]


def test_admins_still_need_totp_unless_the_provider_used_mfa(provider, site):
    provider.email = "admin@example.com.tw"
    client = TestClient(create_app(site.records), base_url="https://testserver")
    assert sso(client).headers["location"] == "/mfa/setup"
    provider.amr = ["pwd", "mfa"]
    second = TestClient(create_app(site.records), base_url="https://testserver")
    assert sso(second).headers["location"] == "/catalog"


@pytest.mark.parametrize("case", ["unknown user", "forged state", "bad signature"])
def test_untrusted_answers_are_refused(provider, site, case):
    client = TestClient(create_app(site.records), base_url="https://testserver")
    if case == "unknown user":
        provider.email = "stranger@example.com"
    if case == "bad signature":
        provider.tamper = True
    r = sso(client, mangle_state=case == "forged state")
    assert r.status_code in (400, 403)
    assert "brokersec_session" not in client.cookies
    assert client.get("/catalog", follow_redirects=False).status_code == 303


def test_without_configuration_there_is_no_sso(site, monkeypatch):
    monkeypatch.delenv("BROKERSEC_OIDC_ISSUER", raising=False)
    client = TestClient(create_app(site.records), base_url="https://testserver")
    assert 'data-testid="oidc"' not in client.get("/login").text
    assert client.get("/oidc/login").status_code == 404
