"""The dashboard: what is stored, the latest scans, and flags per category scan by scan."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from . import queries
from .charts import grouped_bars
from .render import page
from .security import role

router = APIRouter()


def _overview(request: Request) -> dict[str, Any]:
    engine = request.app.state.engine
    series = queries.scan_series(engine)
    categories = sorted({c for s in series for c in s["per_category"]} | set(request.app.state.moderator.categories))
    return {"counts": request.app.state.store.counts(), "series": series, "categories": categories}


@router.get("/v1/dashboard", tags=["dashboard"], summary="Counts and flags per category per scan run", **role("viewer"))
def dashboard_api(request: Request) -> dict[str, Any]:
    return {"ok": True} | _overview(request)


@router.get("/", response_class=HTMLResponse, include_in_schema=False, **role("viewer"))
def dashboard(request: Request) -> HTMLResponse:
    data = _overview(request)
    chart = grouped_bars([(f"#{s['id']}", s["per_category"]) for s in data["series"][-12:]], data["categories"])
    scans = request.app.state.store.list_scans()[:8]
    panels = [panel(request) for panel in request.app.state.dashboard_panels]
    return page(request, "dashboard.html", chart=chart, scans=scans, panels=panels, **data)
