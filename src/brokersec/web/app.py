"""The FastAPI application: middleware, routers, error pages.

``create_app()`` is the one place the web layer is assembled, so tests, ``brokersec serve`` and
any ASGI server build exactly the same application.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, RedirectResponse, Response

from brokersec import __version__
from brokersec.errors import InputError
from brokersec.records.service import Forbidden, Records
from brokersec.web import api
from brokersec.web.deps import NeedsRedirect
from brokersec.web.oidc import OIDCClient, config_from_env
from brokersec.web.rendering import render, templates
from brokersec.web.routes import (
    audit,
    auth,
    catalog,
    evidence,
    findings,
    inbox,
    inspections,
    profile,
    reports,
    reviews,
    tokens,
    users,
    workspace,
)
from brokersec.web.security import BodyLimit, CSRFCookie, SecurityHeaders, csrf_protect, max_request_bytes

# (message key, path): the pages in the main menu, in order
NAV: list[tuple[str, str]] = [
    ("nav.home", "/"),
    ("nav.inbox", "/inbox"),
    ("nav.catalog", "/catalog"),
    ("nav.tokens", "/tokens"),
]


def nav_items(user: Any) -> list[tuple[str, str]]:
    return NAV if user else []


def create_app(records: Records | None = None) -> FastAPI:
    """The application on ``records`` (default: ``BROKERSEC_DATABASE_URL`` or SQLite in the data directory).

    Opening refuses an unmigrated database with a message naming ``brokersec db upgrade``.
    """
    app = FastAPI(
        title="brokersec",
        version=__version__,
        description="TWSE 建立證券商資通安全檢查機制 — inspection workspace and REST API",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
        dependencies=[Depends(csrf_protect)],
    )
    app.add_middleware(CSRFCookie)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodyLimit, max_bytes=max_request_bytes())
    app.mount("/static", StaticFiles(directory=str(resources.files("brokersec.web") / "static")), name="static")
    templates.env.globals["nav_items"] = nav_items
    app.state.records = records if records is not None else Records.open()
    oidc_config = config_from_env()
    app.state.oidc = OIDCClient(oidc_config) if oidc_config else None
    for module in (
        auth,
        workspace,
        inspections,
        reviews,
        findings,
        evidence,
        profile,
        reports,
        audit,
        users,
        inbox,
        tokens,
        catalog,
    ):
        app.include_router(module.router)
    app.include_router(api.router)

    @app.exception_handler(InputError)
    async def input_error(request: Request, exc: InputError) -> Response:
        status = 403 if isinstance(exc, Forbidden) else 422
        problems = [{"message": p.message, "field": p.field, "file": p.file, "line": p.line} for p in exc.problems]
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": problems}, status_code=status)
        return render(request, "error.html", status_code=status, status=status, detail=str(exc))

    @app.exception_handler(NeedsRedirect)
    async def redirect(request: Request, exc: NeedsRedirect) -> Response:
        if request.headers.get("hx-request"):
            return Response(status_code=204, headers={"HX-Redirect": exc.location})
        return RedirectResponse(exc.location, status_code=303)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return RedirectResponse("/static/favicon.svg", status_code=301)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        return render(request, "error.html", status_code=exc.status_code, status=exc.status_code, detail=exc.detail)

    return app
