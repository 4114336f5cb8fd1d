"""Rendering a page: the template, the reader's language and the per-request values every page needs."""

from __future__ import annotations

import datetime as dt
from importlib import resources
from typing import Any

from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import HTMLResponse

from brokersec.settings import TAIPEI
from brokersec.web.i18n import LANGS, pick_lang, short, translator

templates = Jinja2Templates(directory=str(resources.files("brokersec.web") / "templates"))
templates.env.autoescape = True


def when(value: str | dt.datetime | None) -> str:
    """A stored UTC timestamp as the firm reads it: Taipei time, to the minute."""
    if not value:
        return ""
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(TAIPEI).strftime("%Y-%m-%d %H:%M")


templates.env.filters["when"] = when
LANG_COOKIE = "brokersec_lang"


def request_lang(request: Request) -> str:
    return pick_lang(
        request.query_params.get("lang"), request.cookies.get(LANG_COOKIE), request.headers.get("accept-language")
    )


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    lang = request_lang(request)
    response = templates.TemplateResponse(
        request,
        name,
        {
            "lang": lang,
            "lz": short(lang),
            "langs": LANGS,
            "_": translator(lang),
            "csrf_token": getattr(request.state, "csrf_token", ""),
            "user": getattr(request.state, "user", None),
            **context,
        },
        status_code=status_code,
    )
    if request.query_params.get("lang") in LANGS:
        response.set_cookie(LANG_COOKIE, lang, samesite="lax", max_age=365 * 86400)
    return response
