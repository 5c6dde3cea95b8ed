"""The composition root of the web app: open the store, build the detector once, register every
area's router in one place, and add the error handlers and security headers.

Each area is a router module of its own (`routes_<area>.py`) exposing `router` and, optionally,
`setup(app)` (to build its service once, add a navigation entry or a dashboard panel); adding an
area is one line in `AREAS`. Every route declares the role it needs with `security.role(...)`; a test walks
`app.routes` and fails on any route that does not (apart from the few public ones in `PUBLIC`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from .. import __version__
from ..detect import Detector
from ..policy import load_packs
from ..store import Store
from ..store.engine import check_connection, make_engine, migrate, resolve_url
from ..store.store import pack_fingerprint
from . import (
    errors,
    routes_admin,
    routes_authors,
    routes_dashboard,
    routes_docs,
    routes_moderations,
    routes_posts,
    routes_scans,
    routes_session,
)
from .accounts import Accounts

try:  # the review workflow (trustwatch.cases, issue 7) is merged separately; its router needs it
    from . import routes_cases
except ModuleNotFoundError as exc:
    if not (exc.name or "").startswith("trustwatch.cases"):
        raise
    routes_cases = None  # type: ignore[assignment]
try:  # creators and campaigns (trustwatch.creators / trustwatch.campaigns, issue 6), likewise
    from . import routes_creators
except ModuleNotFoundError as exc:
    if not (exc.name or "").startswith(("trustwatch.creators", "trustwatch.campaigns")):
        raise
    routes_creators = None  # type: ignore[assignment]
try:  # source clusters (trustwatch.dedupe, issue 5), likewise
    from . import routes_clusters
except ModuleNotFoundError as exc:
    if not (exc.name or "").startswith("trustwatch.dedupe"):
        raise
    routes_clusters = None  # type: ignore[assignment]
try:  # images in /v1/moderations: OCR and hash banks of the media area (trustwatch.extract, issue 4)
    from .media_images import ExtractImageReader, media_evidence
except ModuleNotFoundError as exc:
    if not (exc.name or "").startswith(("trustwatch.extract", "PIL", "pdqhash", "numpy")):
        raise
    ExtractImageReader = media_evidence = None  # type: ignore[assignment,misc]
from .moderation import Moderator
from .security import LoginLimiter, SecurityHeaders

# The one place where areas are registered (creators, campaigns and clusters add theirs here when
# their modules are merged). Cases, appeals, notices and audit come in with the cases area.
AREAS: list[ModuleType] = [
    routes_session,
    routes_dashboard,
    routes_scans,
    routes_posts,
    routes_authors,
    routes_moderations,
    routes_admin,
    routes_docs,
    *[area for area in (routes_cases, routes_creators, routes_clusters) if area is not None],
]
ROUTERS = [area.router for area in AREAS]

# Routes anyone may reach: signing in, the language switch, static files, the health check.
PUBLIC = {"/login", "/lang/{code}", "/static", "/healthz"}

STATIC_DIR = Path(__file__).with_name("static")


@dataclass
class WebSettings:
    db: str = "./trustwatch.db"
    policy: list[str] | None = None
    https: bool = False  # behind TLS: Secure cookies and HSTS
    campaigns: list[str] | None = None  # folders of campaign YAML files (creators area)
    login_per_name: int = 5
    login_per_address: int = 20
    login_window_s: float = 900.0
    extra: dict[str, object] = field(default_factory=dict)


def create_app(settings: WebSettings | None = None) -> FastAPI:
    settings = settings or WebSettings()
    engine = make_engine(resolve_url(settings.db))
    check_connection(engine)
    migrate(engine)
    packs = load_packs(settings.policy)
    detector = Detector(packs)  # built once per process: the hot path of /v1/moderations
    fingerprint = pack_fingerprint([{"sha256": p.sha256} for p in packs])

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(
        lifespan=lifespan,
        title="trustwatch",
        version=__version__,
        description=(
            "Scan results, posts, evidence and moderation of text against published policy criteria. "
            "Authenticate with `Authorization: Bearer TOKEN` (`trustwatch tokens create --user NAME`). "
            'Every error has the shape `{"ok": false, "error": "...", "errors": [...], "status": 400}`.'
        ),
        docs_url=None, redoc_url=None, openapi_url=None,  # served by routes_docs, behind a role
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.store = Store(engine)
    app.state.accounts = Accounts(engine)
    app.state.packs = {p.id: p for p in packs}
    images = ExtractImageReader(app.state.store) if ExtractImageReader is not None else None
    app.state.moderator = Moderator(detector, f"trustwatch-packs-{fingerprint[:12]}", images)
    # Post pages show media evidence (the image or frame, the OCR or transcript line) when the
    # media area stored it.
    app.state.media_evidence = media_evidence
    app.state.limiter = LoginLimiter(engine, settings.login_per_name, settings.login_per_address, settings.login_window_s)

    # Navigation entries ((href, label key), after the built-in ones) and dashboard panels
    # (callables returning a template name and its context) that areas add in their setup().
    app.state.nav = []
    app.state.dashboard_panels = []

    errors.install(app)
    for area in AREAS:
        app.include_router(area.router)
        setup = getattr(area, "setup", None)
        if setup is not None:
            setup(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(SecurityHeaders, https=settings.https)

    return app
