"""HTTP hardening that every response gets: security headers and CSRF protection.

The CSP forbids inline script (all behaviour lives in static files) and framing; HSTS is sent only
when the request arrived over TLS, since sending it over plain HTTP on a laptop would pin a
developer's browser. CSRF uses a per-session token that forms carry in a hidden field and htmx in
an ``X-CSRF-Token`` header (set once on <body> via hx-headers).
"""

from __future__ import annotations

import hmac
import os
import secrets
from typing import Any

from fastapi import HTTPException
from starlette.datastructures import FormData
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import Response

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; object-src 'none'"
)

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
CSRF_COOKIE = "brokersec_csrf"


class SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.url.scheme == "https":
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response


def csrf_token(request: Request) -> str:
    """The token for this browser (double-submit cookie, set by ``CSRFCookie``)."""
    return request.state.csrf_token


class CSRFCookie(BaseHTTPMiddleware):
    """Give every browser a random token cookie; ``csrf_protect`` compares requests against it."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        token = request.cookies.get(CSRF_COOKIE) or ""
        fresh = not token
        request.state.csrf_token = token or secrets.token_urlsafe(32)
        response = await call_next(request)
        if fresh:
            response.set_cookie(
                CSRF_COOKIE, request.state.csrf_token, httponly=True, samesite="strict", secure=True, path="/"
            )
        return response


async def csrf_protect(request: Request) -> None:
    """Refuse state-changing requests whose token does not match the browser's cookie.

    Installed as an application-wide dependency, so no route can forget it. The form is parsed
    here through Starlette's cached ``request.form()``, so the route reads the same parse. API calls
    with a bearer token are exempt: a browser never attaches those on its own.
    """
    if request.method in SAFE_METHODS or request.headers.get("authorization", "").startswith("Bearer "):
        return
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = request.headers.get(CSRF_HEADER)
    if not sent:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form: FormData = await request.form()
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    if not cookie or not sent or not hmac.compare_digest(sent, cookie):
        raise HTTPException(403, "CSRF token missing or invalid; reload the page and try again.")


class BodyLimit:
    """Refuse request bodies over a limit before anything reads them (hostile or mistaken uploads).

    A pure ASGI middleware: it checks ``Content-Length`` up front and counts the bytes of bodies that
    arrive without one, so a multi-gigabyte upload never reaches the multipart parser's temp files.
    The records layer still enforces its own per-file limit on what it stores.
    """

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await _too_large(send, self.max_bytes)
            return
        seen = 0

        async def counted() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except TooLarge:
            await _too_large(send, self.max_bytes)


class TooLarge(Exception):
    pass


async def _too_large(send: Any, limit: int) -> None:
    body = f"request body larger than {limit} bytes".encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]})  # fmt: skip
    await send({"type": "http.response.body", "body": body})


def max_request_bytes() -> int:
    """Per-request cap: a few files at the records layer's upload limit (BROKERSEC_MAX_REQUEST_BYTES)."""
    return int(os.environ.get("BROKERSEC_MAX_REQUEST_BYTES", str(512 * 1024 * 1024)))
