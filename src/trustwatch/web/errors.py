"""One error shape for every API response: `{"ok": false, "error", "errors", "status"}`.

`error` is one sentence a person can act on; `errors` lists the individual problems (for a request
that failed validation, one entry per field, `{"loc": "body.input", "message": "…"}`); `status`
repeats the HTTP status. Browser pages get the same message in an HTML page instead, and a
visitor who is not signed in is sent to the login page.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import TrustwatchError
from ..store.errors import StoreError

log = logging.getLogger("trustwatch.web")

REASONS = {
    400: "The request is not valid.",
    401: "Sign in first: send `Authorization: Bearer TOKEN` (create one with `trustwatch tokens create --user NAME`) or sign in at /login.",
    403: "Your role does not allow this.",
    404: "There is nothing at this address.",
    405: "This address does not accept that method.",
    413: "The request is too large.",
    422: "The request is not valid.",
    429: "Too many attempts; wait a little and try again.",
    500: "Something went wrong on the server; it was logged.",
    503: "The database is not available right now.",
}


class NotSignedIn(Exception):
    """Raised by the auth dependency; API callers get 401, browsers the login page."""


class Forbidden(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ApiError(Exception):
    """An error with a status and message, from any route."""

    def __init__(self, status: int, message: str, errors: list[dict[str, Any]] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors or []
        self.headers = headers


def error_body(status: int, message: str, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"ok": False, "error": message, "errors": errors or [], "status": status}


def wants_html(request: Request) -> bool:
    """Pages (not /v1/… or /openapi.json) asked for by a browser get HTML errors."""
    path = request.url.path
    if path.startswith(("/v1/", "/openapi")) or path == "/v1":
        return False
    return "text/html" in request.headers.get("accept", "")


def _respond(request: Request, status: int, message: str, errors: list[dict[str, Any]] | None = None,
             headers: dict[str, str] | None = None) -> Response:
    if wants_html(request):
        from .render import render_error

        return render_error(request, status, message, headers)
    return JSONResponse(error_body(status, message, errors), status_code=status, headers=headers)


def _loc(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(p) for p in loc)


def install(app: FastAPI) -> None:
    @app.exception_handler(NotSignedIn)
    async def _not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        if wants_html(request) and request.method in ("GET", "HEAD"):
            from urllib.parse import quote

            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        return _respond(request, 401, REASONS[401], headers={"WWW-Authenticate": 'Bearer realm="trustwatch"'})

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        return _respond(request, 403, exc.message)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        return _respond(request, exc.status, exc.message, exc.errors, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) and exc.detail not in ("Not Found", "Method Not Allowed") else REASONS.get(exc.status_code, "The request failed.")
        return _respond(request, exc.status_code, message, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [{"loc": _loc(e.get("loc", ())), "message": str(e.get("msg", "invalid"))} for e in exc.errors()]
        first = errors[0] if errors else {"loc": "", "message": "invalid"}
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        message = f"The request is not valid: {first['loc']}: {first['message']}{more}."
        return _respond(request, 422, message, errors)

    @app.exception_handler(StoreError)
    async def _store(request: Request, exc: StoreError) -> Response:
        log.error("store error on %s %s: %s", request.method, request.url.path, exc)
        return _respond(request, 503, REASONS[503])

    @app.exception_handler(TrustwatchError)
    async def _user_error(request: Request, exc: TrustwatchError) -> Response:
        return _respond(request, 400, str(exc))

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _respond(request, 500, REASONS[500])
