"""Creator profiles with the credibility score broken down, recognition and watchlist, and campaign
reports with their charts, over the creators area's plain-data API (`trustwatch.creators`,
`trustwatch.campaigns`, issue 6).

Campaigns are YAML files in the folders given by `WebSettings.campaigns` (`trustwatch serve
--campaigns DIR`); a campaign is looked up by id among them only, never by a path from the request.
Charts are SVG drawn on the server and embedded as `data:` images, which run no script.

Registered in `app.AREAS` once the creators area is merged.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Path, Query, Request
from fastapi.responses import HTMLResponse

from ..campaigns import campaign_charts, load_campaign_report, load_campaigns
from ..campaigns.report import summarize
from ..creators import all_creators_data, lists_data, profile_data
from ..errors import TrustwatchError
from .errors import ApiError
from .render import page
from .security import role

router = APIRouter()
# Query parameters, not path segments: account ids and platform names may hold "/" or anything else.
CreatorId = Annotated[str, Query(min_length=1, max_length=300, description="The author id as the platform shows it.")]
Platform = Annotated[str, Query(max_length=200, description="The platform; `_` (the default) for posts without one.")]


def setup(app: FastAPI) -> None:
    app.state.nav += [("/creators", "creators"), ("/campaigns", "campaigns")]


def _db(request: Request) -> str:
    return request.app.state.settings.db


def _campaign_paths(request: Request) -> list[str]:
    return list(request.app.state.settings.campaigns or [])


def _profile(request: Request, platform: str, creator_id: str) -> dict[str, Any]:
    # "_" stands for "no platform".
    try:
        return profile_data(_db(request), creator_id, None if platform == "_" else platform)
    except TrustwatchError as exc:
        raise ApiError(404 if exc.message.startswith("No creator") else 400, str(exc)) from None


def _campaigns(request: Request) -> list[Any]:
    paths = _campaign_paths(request)
    return load_campaigns(paths) if paths else []


def _report(request: Request, campaign_id: str) -> dict[str, Any]:
    campaign = next((c for c in _campaigns(request) if c.id == campaign_id), None)
    if campaign is None:
        raise ApiError(404, f"There is no campaign {campaign_id!r}; list them at /v1/campaigns.")
    return load_campaign_report(_db(request), campaign)


@router.get("/v1/creators", tags=["creators"], summary="Every creator with score and breakdown, highest score first", **role("viewer"))
def list_creators(request: Request, mcn: Annotated[str | None, Query(max_length=200)] = None) -> dict[str, Any]:
    items = all_creators_data(_db(request), mcn)
    return {"ok": True, "total": len(items), "items": items}


@router.get("/v1/creator-lists", tags=["creators"], summary="Recognition (top creators) and the watchlist, with reasons", **role("viewer"))
def creator_lists(request: Request, top: Annotated[int, Query(ge=1, le=100)] = 10,
                  group_by: Annotated[str | None, Query(pattern="^(mcn|category|platform)$")] = None) -> dict[str, Any]:
    return {"ok": True} | lists_data(_db(request), top, group_by)


@router.get("/v1/creators/profile", tags=["creators"], summary="One creator's profile and score breakdown", **role("viewer"))
def get_creator(request: Request, creator_id: CreatorId, platform: Platform = "_") -> dict[str, Any]:
    return {"ok": True, "item": _profile(request, platform, creator_id)}


@router.get("/v1/campaigns", tags=["campaigns"], summary="Campaigns defined in the configured folders", **role("viewer"))
def list_campaigns(request: Request) -> dict[str, Any]:
    items = [{"id": c.id, "name": c.name, "description": c.spec.description} for c in _campaigns(request)]
    return {"ok": True, "total": len(items), "items": items}


@router.get("/v1/campaigns/{campaign_id}", tags=["campaigns"], summary="A campaign's report: reach over time, contributors, platforms, articles", **role("viewer"))
def get_campaign(request: Request, campaign_id: Annotated[str, Path(max_length=200)]) -> dict[str, Any]:
    return {"ok": True, "item": _report(request, campaign_id)}


@router.get("/creators", response_class=HTMLResponse, include_in_schema=False, **role("viewer"))
def creators_page(request: Request) -> HTMLResponse:
    items = all_creators_data(_db(request))
    return page(request, "creators.html", items=items[:500], total=len(items), lists=lists_data(_db(request), 10))


@router.get("/creators/profile", response_class=HTMLResponse, include_in_schema=False, **role("viewer"))
def creator_page(request: Request, creator_id: CreatorId, platform: Platform = "_") -> HTMLResponse:
    return page(request, "creator.html", c=_profile(request, platform, creator_id))


@router.get("/campaigns", response_class=HTMLResponse, include_in_schema=False, **role("viewer"))
def campaigns_page(request: Request) -> HTMLResponse:
    return page(request, "campaigns.html", items=_campaigns(request), paths=_campaign_paths(request))


@router.get("/campaigns/{campaign_id}", response_class=HTMLResponse, include_in_schema=False, **role("viewer"))
def campaign_page(request: Request, campaign_id: Annotated[str, Path(max_length=200)]) -> HTMLResponse:
    report = _report(request, campaign_id)
    charts = {name: "data:image/svg+xml;base64," + base64.b64encode(svg).decode() for name, svg in campaign_charts(report, "svg").items()}
    return page(request, "campaign.html", r=report, charts=charts, summary=summarize(report))
