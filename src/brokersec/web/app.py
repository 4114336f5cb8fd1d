"""The FastAPI application: middleware, routers, error pages.

``create_app()`` is the one place the web layer is assembled, so tests, ``brokersec serve`` and
any ASGI server build exactly the same application.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, RedirectResponse, Response

from brokersec import __version__
from brokersec.web.rendering import render, templates
from brokersec.web.routes import catalog
from brokersec.web.security import CSRFMiddleware, SecurityHeaders

# (message key, path): the pages in the main menu, in order
NAV: list[tuple[str, str]] = [("nav.catalog", "/catalog")]


def nav_items(user: Any) -> list[tuple[str, str]]:
    return NAV


def create_app() -> FastAPI:
    app = FastAPI(
        title="brokersec",
        version=__version__,
        description="TWSE 建立證券商資通安全檢查機制 — inspection workspace and REST API",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    app.add_middleware(CSRFMiddleware)
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=str(resources.files("brokersec.web") / "static")), name="static")
    templates.env.globals["nav_items"] = nav_items
    app.include_router(catalog.router)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return RedirectResponse("/static/favicon.svg", status_code=301)

    @app.get("/", include_in_schema=False)
    def index() -> Response:
        return RedirectResponse("/catalog", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        return render(request, "error.html", status_code=exc.status_code, status=exc.status_code, detail=exc.detail)

    return app
