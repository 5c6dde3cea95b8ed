"""Posts and their evidence: the review queue (one scan run's results, filtered), a post with its
evidence highlighted, and the findings of a run."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse

from . import queries
from .errors import ApiError
from .render import page
from .security import role

router = APIRouter()
Pk = Annotated[int, Path(ge=1, le=2**62)]
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=10**9)]


def _run(request: Request, run: int | None) -> int | None:
    if run is None:
        return queries.latest_run_id(request.app.state.engine)
    if request.app.state.store.get_scan(run) is None:
        raise ApiError(404, f"There is no scan run {run}; list them at /v1/scans.")
    return run


def _category(request: Request, category: str | None) -> str | None:
    if category and category not in request.app.state.moderator.categories:
        known = ", ".join(request.app.state.moderator.categories)
        raise ApiError(422, f"The category {category!r} is not one of the active packs ({known}).",
                       [{"loc": "query.category", "message": f"not one of {known}"}])
    return category or None


@router.get("/v1/posts", tags=["posts"], summary="Posts of one scan run (default: the latest) with their result", **role("viewer"))
def list_posts(
    request: Request,
    run: Annotated[int | None, Query(ge=1, description="Scan run id; default the latest.")] = None,
    flagged: Annotated[bool, Query(description="Only flagged results.")] = False,
    category: Annotated[str | None, Query(max_length=64, description="Only results flagged in this category.")] = None,
    platform: Annotated[str | None, Query(max_length=64)] = None,
    min_score: Annotated[float | None, Query(ge=0, le=1, description="With `category`: its score at least this.")] = None,
    q: Annotated[str | None, Query(max_length=200, description="Text contains (case-insensitive).")] = None,
    author: Annotated[int | None, Query(ge=1, description="Author key (`pk` in /v1/authors).")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    run_id = _run(request, run)
    cat = _category(request, category)
    if run_id is None:
        return {"ok": True, "run_id": None, "total": 0, "limit": limit, "offset": offset, "items": []}
    total, items = queries.results_page(request.app.state.engine, run_id, flagged_only=flagged or bool(cat), category=cat,
                                        platform=platform, min_score=min_score, text=q, author_pk=author, limit=limit, offset=offset)
    return {"ok": True, "run_id": run_id, "total": total, "limit": limit, "offset": offset, "items": items}


def _post(request: Request, pk: int) -> dict[str, Any]:
    post = queries.post_detail(request.app.state.engine, pk)
    if post is None:
        raise ApiError(404, f"There is no post with key {pk}; list them at /v1/posts.")
    return post


@router.get("/v1/posts/{pk}", tags=["posts"], summary="One post: newest version, result and evidence", **role("viewer"))
def get_post(request: Request, pk: Pk) -> dict[str, Any]:
    return {"ok": True, "item": _post(request, pk)}


@router.get("/v1/findings", tags=["posts"], summary="Evidence found in one scan run (default: the latest)", **role("viewer"))
def list_findings(
    request: Request,
    run: Annotated[int | None, Query(ge=1)] = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    run_id = _run(request, run)
    cat = _category(request, category)
    if run_id is None:
        return {"ok": True, "run_id": None, "total": 0, "limit": limit, "offset": offset, "items": []}
    total, items = queries.findings_page(request.app.state.engine, run_id, cat, limit, offset)
    return {"ok": True, "run_id": run_id, "total": total, "limit": limit, "offset": offset, "items": items}


PAGE = 25


@router.get("/queue", response_class=HTMLResponse, include_in_schema=False, **role("viewer"))
def queue(
    request: Request,
    run: Annotated[int | None, Query(ge=1)] = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    platform: Annotated[str | None, Query(max_length=64)] = None,
    min_score: Annotated[float | None, Query(ge=0, le=1)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    all: Annotated[bool, Query()] = False,
    page_no: Annotated[int, Query(alias="page", ge=1, le=10**6)] = 1,
) -> HTMLResponse:
    run_id = _run(request, run)
    cat = _category(request, category)
    total, items = (0, [])
    if run_id is not None:
        total, items = queries.results_page(
            request.app.state.engine, run_id, flagged_only=not all, category=cat, platform=platform or None,
            min_score=min_score, text=q or None, limit=PAGE, offset=(page_no - 1) * PAGE,
        )
    params = {k: v for k, v in {"run": run, "category": cat, "platform": platform, "min_score": min_score, "q": q,
                                 "all": "true" if all else None}.items() if v not in (None, "")}
    prev_url = "/queue?" + urlencode(params | {"page": page_no - 1}) if page_no > 1 else None
    next_url = "/queue?" + urlencode(params | {"page": page_no + 1}) if page_no * PAGE < total else None
    return page(request, "queue.html", items=items, total=total, run_id=run_id, scans=request.app.state.store.list_scans()[:50],
                categories=request.app.state.moderator.categories, platforms=queries.platforms(request.app.state.engine),
                f={"run": run, "category": cat, "platform": platform, "min_score": min_score, "q": q, "all": all},
                page_no=page_no, prev_url=prev_url, next_url=next_url)


@router.get("/posts/{pk}", response_class=HTMLResponse, include_in_schema=False, **role("viewer"))
def post_page(request: Request, pk: Pk) -> HTMLResponse:
    post = _post(request, pk)
    by_source: dict[str, list[dict[str, Any]]] = {}
    for f in post["findings"]:
        by_source.setdefault(f["source"], []).append(f)
    other = [f for f in post["findings"] if f["source"] not in ("text", "title", "hashtags")]
    media: list[dict[str, Any]] = []
    loader = request.app.state.media_evidence
    if other:
        stored = loader(request.app.state.store, post["platform"], post["id"]) if loader is not None else {}
        for source in dict.fromkeys(f["source"] for f in other):
            ev = stored.get(source) or {}
            media.append({"source": source, "findings": by_source[source], **ev})
    return page(request, "post.html", post=post, other=other, media_evidence=media, packs=request.app.state.packs)
