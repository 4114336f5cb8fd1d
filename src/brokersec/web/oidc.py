"""Optional sign-in through the firm's identity provider (OpenID Connect, authorization code + PKCE).

Configured by ``BROKERSEC_OIDC_ISSUER``, ``BROKERSEC_OIDC_CLIENT_ID``, ``BROKERSEC_OIDC_CLIENT_SECRET``
(and ``BROKERSEC_OIDC_REDIRECT_URI`` when brokersec sits behind a proxy). The provider proves who
the person is; brokersec still decides what they may do: the verified e-mail must belong to an
existing, active brokersec user (no automatic accounts), and admins still need brokersec's own TOTP
unless the provider says it used a second factor (``amr`` contains mfa, otp, hwk or swk).
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt

MFA_METHODS = {"mfa", "otp", "hwk", "swk", "sms", "fpt", "face"}


class OIDCError(Exception):
    """The provider's answer could not be trusted; the message says why (never shown with secrets)."""


@dataclass(frozen=True)
class OIDCConfig:
    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str | None = None
    scopes: str = "openid email profile"


def config_from_env() -> OIDCConfig | None:
    issuer = os.environ.get("BROKERSEC_OIDC_ISSUER")
    client_id = os.environ.get("BROKERSEC_OIDC_CLIENT_ID")
    if not issuer or not client_id:
        return None
    return OIDCConfig(
        issuer=issuer.rstrip("/"),
        client_id=client_id,
        client_secret=os.environ.get("BROKERSEC_OIDC_CLIENT_SECRET", ""),
        redirect_uri=os.environ.get("BROKERSEC_OIDC_REDIRECT_URI"),
    )


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


class OIDCClient:
    def __init__(self, config: OIDCConfig, http: httpx.Client | None = None) -> None:
        self.config = config
        self.http = http or httpx.Client(timeout=10)
        self._discovery: dict[str, Any] | None = None
        self._jwks: tuple[float, dict[str, Any]] | None = None

    def discovery(self) -> dict[str, Any]:
        if self._discovery is None:
            url = f"{self.config.issuer}/.well-known/openid-configuration"
            try:
                response = self.http.get(url)
                response.raise_for_status()
                doc = response.json()
            except (httpx.HTTPError, ValueError) as exc:
                raise OIDCError(f"cannot read the provider's discovery document at {url}: {exc}") from None
            if doc.get("issuer", "").rstrip("/") != self.config.issuer:
                raise OIDCError("the discovery document names a different issuer")
            self._discovery = doc
        return self._discovery

    def authorization_url(self, redirect_uri: str, state: str, nonce: str, challenge: str) -> str:
        query = {
            "response_type": "code",
            "client_id": self.config.client_id,
            "redirect_uri": redirect_uri,
            "scope": self.config.scopes,
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        return f"{self.discovery()['authorization_endpoint']}?{urlencode(query)}"

    def exchange(self, code: str, redirect_uri: str, verifier: str) -> dict[str, Any]:
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": self.config.client_id,
            "code_verifier": verifier,
        }
        auth = (self.config.client_id, self.config.client_secret) if self.config.client_secret else None
        try:
            response = self.http.post(self.discovery()["token_endpoint"], data=data, auth=auth)
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise OIDCError(f"the provider refused the code exchange: {exc}") from None

    def _keys(self, refresh: bool = False) -> dict[str, Any]:
        if self._jwks is None or refresh or time.monotonic() - self._jwks[0] > 3600:
            response = self.http.get(self.discovery()["jwks_uri"])
            response.raise_for_status()
            self._jwks = (time.monotonic(), response.json())
        return self._jwks[1]

    def verify_id_token(self, token: str, nonce: str) -> dict[str, Any]:
        """Signature (the provider's published keys), issuer, audience, expiry and nonce."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise OIDCError(f"malformed ID token: {exc}") from None
        if header.get("alg") in (None, "none", "HS256", "HS384", "HS512"):
            raise OIDCError("ID token must be signed with the provider's public key")
        key = None
        for refresh in (False, True):  # a key rotated since we last looked: fetch once more
            for jwk in self._keys(refresh).get("keys", []):
                if jwk.get("kid") == header.get("kid"):
                    key = jwt.PyJWK(jwk).key
            if key is not None:
                break
        if key is None:
            raise OIDCError("ID token signed with an unknown key")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[header["alg"]],
                audience=self.config.client_id,
                issuer=self.discovery()["issuer"],
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
                leeway=60,
            )
        except jwt.PyJWTError as exc:
            raise OIDCError(f"ID token rejected: {exc}") from None
        if not secrets.compare_digest(str(claims.get("nonce", "")), nonce):
            raise OIDCError("ID token nonce does not match this sign-in")
        if claims.get("email_verified") is False:
            raise OIDCError("the provider has not verified this e-mail address")
        return claims


def used_second_factor(claims: dict[str, Any]) -> bool:
    return bool(MFA_METHODS & {str(m).lower() for m in claims.get("amr", [])})
