"""Scan runs: the list, one run's summary and packs, and the records it quarantined."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse

from .errors import ApiError
from .render import page
from .security import role

router = APIRouter()
ScanId = Annotated[int, Path(ge=1, le=2**62)]


def _scan(request: Request, scan_id: int) -> dict[str, Any]:
    scan = request.app.state.store.get_scan(scan_id)
    if scan is None:
        raise ApiError(404, f"There is no scan run {scan_id}; list them at /v1/scans.")
    return scan


@router.get("/v1/scans", tags=["scans"], summary="Every scan run, newest first", **role("viewer"))
def list_scans(request: Request) -> dict[str, Any]:
    items = request.app.state.store.list_scans()
    return {"ok": True, "total": len(items), "items": items}


@router.get("/v1/scans/{scan_id}", tags=["scans"], summary="One scan run with its summary", **role("viewer"))
def get_scan(request: Request, scan_id: ScanId) -> dict[str, Any]:
    return {"ok": True, "item": _scan(request, scan_id)}


@router.get("/v1/scans/{scan_id}/quarantine", tags=["scans"], summary="Records the run could not read, with reasons", **role("viewer"))
def get_quarantine(request: Request, scan_id: ScanId) -> dict[str, Any]:
    _scan(request, scan_id)
    items = request.app.state.store.quarantine(scan_id)
    return {"ok": True, "total": len(items), "items": items}


@router.get("/scans", response_class=HTMLResponse, include_in_schema=False, **role("viewer"))
def scans_page(request: Request) -> HTMLResponse:
    return page(request, "scans.html", scans=request.app.state.store.list_scans())


@router.get("/scans/{scan_id}", response_class=HTMLResponse, include_in_schema=False, **role("viewer"))
def scan_page(request: Request, scan_id: ScanId) -> HTMLResponse:
    scan = _scan(request, scan_id)
    quarantine = request.app.state.store.quarantine(scan_id)
    return page(request, "scan.html", scan=scan, summary=scan.get("summary") or {}, quarantine=quarantine[:200],
                quarantine_total=len(quarantine), packs=request.app.state.packs)
