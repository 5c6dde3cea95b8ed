"""Signing in and out, the language switch, who am I, and the health check."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from .accounts import Principal
from .errors import ApiError
from .i18n import LANGS
from .render import page
from .security import LANG_COOKIE, LOGIN_CSRF_COOKIE, SESSION_COOKIE, caller, role

router = APIRouter()


def safe_next(target: str | None) -> str:
    """Only same-site paths: `/queue`, never `//evil.example`, `https://…` or `/\\evil`."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target or any(ord(c) < 32 for c in target):
        return "/"
    return target


def _secure(request: Request) -> bool:
    return bool(request.app.state.settings.https or request.url.scheme == "https")


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _login_page(request: Request, status: int = 200, error: str | None = None, next_: str = "/", name: str = "",
                headers: dict[str, str] | None = None) -> Response:
    nonce = secrets.token_urlsafe(32)
    resp = page(request, "login.html", status=status, headers=headers, login_csrf=nonce, error=error, next=safe_next(next_), name=name)
    resp.set_cookie(LOGIN_CSRF_COOKIE, nonce, httponly=True, samesite="strict", secure=_secure(request), path="/login", max_age=3600)
    return resp


@router.get("/login", include_in_schema=False)
def login_form(request: Request, next: str = "/") -> Response:
    return _login_page(request, next_=next)


@router.post("/login", include_in_schema=False)
def login(
    request: Request,
    name: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    next: Annotated[str, Form(max_length=2048)] = "/",
) -> Response:
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not csrf_token or not secrets.compare_digest(cookie, csrf_token):
        return _login_page(request, 403, "The form's security token is missing or out of date; try again.", next, name)
    limiter = request.app.state.limiter
    address = _client(request)
    wait = limiter.retry_after(address, name)
    if wait:
        msg = f"Too many failed attempts; wait {wait} seconds and try again."
        return _login_page(request, 429, msg, next, name, headers={"Retry-After": str(wait)})
    principal = request.app.state.accounts.verify_password(name, password)
    if principal is None:
        limiter.failed(address, name)
        from .i18n import pick_lang, translator

        return _login_page(request, 401, translator(pick_lang(request))("bad_login"), next, name)
    limiter.succeeded(address, name)
    sid, _csrf = request.app.state.accounts.create_session(principal.user_pk)
    resp = RedirectResponse(safe_next(next), status_code=303)
    resp.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="lax", secure=_secure(request), path="/",
                    max_age=7 * 24 * 3600)
    resp.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return resp


@router.post("/logout", include_in_schema=False, **role("viewer"))
def logout(request: Request) -> Response:
    sid = request.cookies.get(SESSION_COOKIE)
    if sid:
        request.app.state.accounts.end_session(sid)
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


@router.get("/lang/{code}", include_in_schema=False)
def set_lang(request: Request, code: str, next: str = "/") -> Response:
    if code not in LANGS:
        raise ApiError(404, f"The language {code!r} is not available; use one of {', '.join(LANGS)}.")
    resp = RedirectResponse(safe_next(next), status_code=303)
    resp.set_cookie(LANG_COOKIE, code, httponly=True, samesite="lax", secure=_secure(request), path="/", max_age=365 * 24 * 3600)
    return resp


@router.get("/healthz", tags=["meta"], summary="Liveness check (no sign-in needed)")
def healthz() -> dict[str, Any]:
    return {"ok": True}


@router.get("/v1/me", tags=["meta"], summary="Who the token or session belongs to", **role("viewer"))
def me(principal: Annotated[Principal, Depends(caller)]) -> dict[str, Any]:
    return {"ok": True, "name": principal.name, "role": principal.role, "via": principal.via}
