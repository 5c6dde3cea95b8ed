"""Who may do what, and the browser-side protections.

- `need(role)`: the dependency every route declares. It finds the caller by `Authorization: Bearer`
  token or session cookie, checks the role (viewer < reviewer < admin), and for a state-changing
  request made with a session cookie checks the CSRF token (form field `csrf_token` or header
  `X-CSRF-Token`). The role is also written into the route's OpenAPI entry (`x-trustwatch-role`),
  which the docs page shows and the authorization matrix test reads.
- `LoginLimiter`: failed logins per name and per address in a sliding window; past the limit the
  login answers 429 with Retry-After, whatever the password.
- `SecurityHeaders`: a strict Content-Security-Policy (scripts and styles from this app only, no
  inline code, no frames) and the usual hardening headers on every response.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Depends, Request
from sqlalchemy import Engine, Table, delete, insert, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..store.engine import transaction
from ..store.schema_web import WebLoginFailure
from .accounts import ROLE_RANK, Principal
from .errors import Forbidden, NotSignedIn

failures_t: Table = WebLoginFailure.__table__  # type: ignore[assignment]

SESSION_COOKIE = "tw_session"
LOGIN_CSRF_COOKIE = "tw_login_csrf"
LANG_COOKIE = "tw_lang"
ROLE_KEY = "x-trustwatch-role"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
]


def current_principal(request: Request) -> Principal | None:
    """The caller, looked up once per request (token first, then the session cookie)."""
    if "principal" in request.scope.get("state", {}):
        return request.state.principal
    accounts = request.app.state.accounts
    principal: Principal | None = None
    auth = request.headers.get("authorization")
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            principal = accounts.principal_for_token(value.strip())
    else:
        sid = request.cookies.get(SESSION_COOKIE)
        if sid:
            principal = accounts.principal_for_session(sid)
    request.state.principal = principal
    return principal


async def _check_csrf(request: Request, principal: Principal) -> None:
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    if not sent or not principal.csrf_token or not secrets.compare_digest(sent, principal.csrf_token):
        raise Forbidden("The form's security token is missing or out of date; reload the page and try again.")


def need(role: str) -> Callable[..., Any]:
    if role not in ROLE_RANK:
        raise ValueError(f"unknown role {role!r}")

    async def dependency(request: Request) -> Principal:
        principal = current_principal(request)
        if principal is None:
            raise NotSignedIn()
        if not principal.can(role):
            raise Forbidden(f"This needs the {role} role; you are signed in as {principal.name} ({principal.role}).")
        if principal.via == "session" and request.method in UNSAFE:
            await _check_csrf(request, principal)
        return principal

    dependency.__name__ = f"need_{role}"
    return dependency


def role(role_name: str) -> dict[str, Any]:
    """Route keyword arguments that require `role_name`: `@router.get(path, **role("viewer"))`."""
    return {"dependencies": [Depends(need(role_name))], "openapi_extra": {ROLE_KEY: role_name}}


class LoginLimiter:
    """Sliding-window count of failed logins per (address, name) and per address, kept in the
    database so that several `serve` workers behind a load balancer share one count."""

    def __init__(self, engine: Engine, per_name: int = 5, per_address: int = 20, window_s: float = 900.0) -> None:
        self.engine = engine
        self.per_name, self.per_address, self.window_s = per_name, per_address, window_s

    def retry_after(self, address: str, name: str) -> int:
        """Seconds to wait before another try is allowed; 0 when allowed now."""
        now = datetime.now(UTC)
        since = now - timedelta(seconds=self.window_s)
        f = failures_t.c
        wait = 0.0
        with transaction(self.engine, "check failed sign-ins") as conn:
            for where, limit in (((f.address == address[:64], f.name == name.lower()[:64]), self.per_name),
                                 ((f.address == address[:64],), self.per_address)):
                times = conn.execute(
                    select(f.at).where(*where, f.at > since).order_by(f.at.desc()).limit(limit)
                ).scalars().all()
                if len(times) >= limit:
                    oldest = _aware(times[-1])
                    wait = max(wait, (oldest - since).total_seconds())
        return int(wait) + 1 if wait > 0 else 0

    def failed(self, address: str, name: str) -> None:
        now = datetime.now(UTC)
        with transaction(self.engine, "record a failed sign-in", write=True) as conn:
            conn.execute(delete(failures_t).where(failures_t.c.at <= now - timedelta(seconds=self.window_s)))
            conn.execute(insert(failures_t), {"address": address[:64], "name": name.lower()[:64], "at": now})

    def succeeded(self, address: str, name: str) -> None:
        with transaction(self.engine, "clear failed sign-ins", write=True) as conn:
            conn.execute(delete(failures_t).where(failures_t.c.address == address[:64], failures_t.c.name == name.lower()[:64]))


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)  # SQLite keeps no zone; we write UTC


class SecurityHeaders:
    """Pure ASGI middleware (cheap on the hot path): adds the hardening headers to every response."""

    def __init__(self, app: ASGIApp, https: bool = False) -> None:
        self.app = app
        self.extra = [(b"strict-transport-security", b"max-age=31536000")] if https else []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope.get("path", "").startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                for k, v in HEADERS + self.extra:
                    if k not in present:
                        headers.append((k, v))
                if not static and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def caller(request: Request) -> Principal:
    """The principal the route's role dependency already checked (use with `Depends(caller)`)."""
    principal = getattr(request.state, "principal", None)
    if principal is None:  # a route that forgot `role(...)`: refuse rather than serve anonymously
        raise NotSignedIn()
    return principal
