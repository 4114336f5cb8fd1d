"""The in-app inbox: the same notices ``brokersec notify`` mails, for the signed-in user."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from brokersec.settings import TAIPEI
from brokersec.web.deps import Viewer, signed_in
from brokersec.web.rendering import render

router = APIRouter(include_in_schema=False)


@router.get("/inbox")
def inbox(request: Request, viewer: Viewer = Depends(signed_in)) -> Response:
    today = viewer.records.clock().astimezone(TAIPEI).date()
    notices = viewer.records.notices_for(viewer.login, today)
    return render(request, "inbox.html", notices=notices)
