"""The web app and HTTP API (FastAPI): `create_app(WebSettings(db=...))`, run by `trustwatch serve`."""

from __future__ import annotations

from .app import ROUTERS, WebSettings, create_app

__all__ = ["ROUTERS", "WebSettings", "create_app"]
