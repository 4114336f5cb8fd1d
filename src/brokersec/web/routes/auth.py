"""Sign-in pages: password, forced change of the initial password, TOTP set-up and check, sign-out."""

from __future__ import annotations

import base64
import io
import secrets
from typing import Any
from urllib.parse import urlparse

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from starlette.responses import RedirectResponse, Response

from brokersec.errors import InputError
from brokersec.records.service import Records
from brokersec.web.deps import SESSION_COOKIE, Viewer, client_addr, half_signed_in, records
from brokersec.web.i18n import translator
from brokersec.web.oidc import OIDCError, pkce_pair, used_second_factor
from brokersec.web.rendering import render, request_lang
from brokersec.web.signing import sign, unsign

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only local paths: an open redirect after sign-in is a phishing tool."""
    if not target or not target.startswith("/") or target.startswith("//") or urlparse(target).netloc:
        return "/"
    return target


def _set_session(response: Response, request: Request, token: str) -> None:
    response.set_cookie(SESSION_COOKIE, token, httponly=True, secure=True, samesite="lax", path="/")


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    return render(request, "login.html", next=_safe_next(next), error=None)


@router.post("/login")
def login(
    request: Request,
    username: str = Form(...),
    password: str = Form(...),
    next: str = Form("/"),
    recs: Records = Depends(records),
) -> Response:
    _ = translator(request_lang(request))
    outcome = recs.sign_in(username.strip(), password, client_addr(request))
    if not outcome.ok:
        if outcome.reason == "locked" and outcome.locked_until:
            error = _("auth.locked", until=outcome.locked_until.astimezone().strftime("%Y-%m-%d %H:%M"))
        elif outcome.reason == "inactive":
            error = _("auth.inactive")
        else:
            error = _("auth.invalid")
        return render(request, "login.html", status_code=401, next=_safe_next(next), error=error, username=username)
    assert outcome.user_id is not None
    token = recs.open_session(
        outcome.user_id, client_addr(request), request.headers.get("user-agent"), mfa_passed=False
    )
    if outcome.must_change_password:
        target = "/password"
    elif outcome.mfa_required:
        target = "/mfa" if outcome.mfa_enrolled else "/mfa/setup"
    else:
        recs.pass_session_mfa(token)  # no second factor required for this user
        target = _safe_next(next)
    response = RedirectResponse(target, status_code=303)
    _set_session(response, request, token)
    return response


@router.post("/logout")
def logout(request: Request, recs: Records = Depends(records)) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        recs.close_session(token, client_addr(request))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/password")
def password_form(request: Request, viewer: Viewer = Depends(half_signed_in)) -> Response:
    return render(request, "password.html", error=None, forced=viewer.user["must_change_password"])


@router.post("/password")
def change_password(
    request: Request,
    current: str = Form(...),
    new: str = Form(...),
    confirm: str = Form(...),
    viewer: Viewer = Depends(half_signed_in),
) -> Response:
    _ = translator(request_lang(request))
    forced = viewer.user["must_change_password"]
    if new != confirm:
        return render(request, "password.html", status_code=400, error=_("auth.mismatch"), forced=forced)
    try:
        viewer.records.as_user(viewer.login, client_addr(request)).change_password(current, new)
    except InputError as exc:
        return render(request, "password.html", status_code=400, error=str(exc.problems[0].message), forced=forced)
    if viewer.user["mfa_required"] and not viewer.user["mfa_passed"]:
        return RedirectResponse("/mfa" if viewer.user["mfa_enrolled"] else "/mfa/setup", status_code=303)
    return RedirectResponse("/?changed=1", status_code=303)


def _qr_svg(uri: str) -> str:
    import qrcode
    import qrcode.image.svg

    buf = io.BytesIO()
    qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage).save(buf)
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode()


@router.get("/mfa/setup")
def mfa_setup_form(request: Request, viewer: Viewer = Depends(half_signed_in)) -> Response:
    if viewer.user["mfa_enrolled"]:
        return RedirectResponse("/mfa", status_code=303)
    started = viewer.records.as_user(viewer.login, client_addr(request)).begin_totp()
    return render(request, "mfa_setup.html", secret=started["secret"], qr=_qr_svg(started["uri"]), error=None)


@router.post("/mfa/setup")
def mfa_setup(request: Request, code: str = Form(...), viewer: Viewer = Depends(half_signed_in)) -> Response:
    _ = translator(request_lang(request))
    me: Any = viewer.records.as_user(viewer.login, client_addr(request))
    try:
        codes = me.confirm_totp(code)
    except InputError:
        started = me.begin_totp()
        return render(
            request,
            "mfa_setup.html",
            status_code=400,
            secret=started["secret"],
            qr=_qr_svg(started["uri"]),
            error=_("auth.bad_code"),
        )
    viewer.records.pass_session_mfa(request.cookies.get(SESSION_COOKIE, ""))
    return render(request, "mfa_codes.html", codes=codes)


@router.get("/mfa")
def mfa_form(request: Request, viewer: Viewer = Depends(half_signed_in)) -> Response:
    return render(request, "mfa.html", error=None)


@router.post("/mfa")
def mfa(request: Request, code: str = Form(...), viewer: Viewer = Depends(half_signed_in)) -> Response:
    _ = translator(request_lang(request))
    recs: Records = viewer.records
    if recs.check_second_factor(viewer.user["id"], code, client_addr(request)):
        recs.pass_session_mfa(request.cookies.get(SESSION_COOKIE, ""))
        return RedirectResponse("/", status_code=303)
    if recs.login_status(viewer.login)["locked"]:
        token = request.cookies.get(SESSION_COOKIE, "")
        recs.close_session(token, client_addr(request))
        response = render(request, "login.html", status_code=401, next="/", error=_("auth.locked_mfa"))
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response
    return render(request, "mfa.html", status_code=401, error=_("auth.bad_code"))


# ---------------------------------------------------------------- sign-in through the identity provider

OIDC_COOKIE = "brokersec_oidc"


def _oidc(request: Request) -> Any:
    client = getattr(request.app.state, "oidc", None)
    if client is None:
        raise HTTPException(404, "sign-in through an identity provider is not configured")
    return client


def _redirect_uri(request: Request, client: Any) -> str:
    return client.config.redirect_uri or str(request.url_for("oidc_callback"))


@router.get("/oidc/login")
def oidc_login(request: Request, next: str = "/") -> Response:
    client = _oidc(request)
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    verifier, challenge = pkce_pair()
    try:
        target = client.authorization_url(_redirect_uri(request, client), state, nonce, challenge)
    except OIDCError as exc:
        raise HTTPException(502, str(exc)) from None
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        OIDC_COOKIE,
        sign({"state": state, "nonce": nonce, "verifier": verifier, "next": _safe_next(next)}),
        httponly=True,
        secure=True,
        samesite="lax",
        max_age=600,
        path="/oidc",
    )
    return response


@router.get("/oidc/callback", name="oidc_callback")
def oidc_callback(
    request: Request, code: str = "", state: str = "", error: str = "", recs: Records = Depends(records)
) -> Response:
    _ = translator(request_lang(request))
    client = _oidc(request)
    pending = unsign(request.cookies.get(OIDC_COOKIE, ""), max_age=600)
    if error or not code or pending is None or not secrets.compare_digest(state, pending.get("state", "")):
        return render(request, "login.html", status_code=400, next="/", error=_("auth.oidc_failed"))
    try:
        tokens = client.exchange(code, _redirect_uri(request, client), pending["verifier"])
        claims = client.verify_id_token(tokens.get("id_token", ""), pending["nonce"])
    except OIDCError:
        return render(request, "login.html", status_code=400, next="/", error=_("auth.oidc_failed"))
    outcome = recs.sign_in_external(str(claims.get("email", "")), "oidc", client_addr(request))
    if not outcome.ok:
        return render(request, "login.html", status_code=403, next="/", error=_("auth.oidc_unknown"))
    assert outcome.user_id is not None
    mfa_done = used_second_factor(claims)
    token = recs.open_session(
        outcome.user_id, client_addr(request), request.headers.get("user-agent"), mfa_passed=False
    )
    if mfa_done or not outcome.mfa_required:
        recs.pass_session_mfa(token)
        target = pending["next"]
    else:
        target = "/mfa" if outcome.mfa_enrolled else "/mfa/setup"
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(OIDC_COOKIE, path="/oidc")
    _set_session(response, request, token)
    return response
