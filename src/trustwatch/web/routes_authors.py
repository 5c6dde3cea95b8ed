"""Authors (accounts as the platforms show them) and their posts. Creator scores are issue 6."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse

from . import queries
from .errors import ApiError
from .render import page
from .security import role

router = APIRouter()
Pk = Annotated[int, Path(ge=1, le=2**62)]


def _author(request: Request, pk: int) -> dict[str, Any]:
    found = queries.author(request.app.state.engine, pk)
    if found is None:
        raise ApiError(404, f"There is no author with key {pk}; list them at /v1/authors.")
    return found


@router.get("/v1/authors", tags=["authors"], summary="Authors with their number of posts", **role("viewer"))
def list_authors(
    request: Request,
    q: Annotated[str | None, Query(max_length=200, description="Name or id contains.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> dict[str, Any]:
    total, items = queries.authors_page(request.app.state.engine, q, limit, offset)
    return {"ok": True, "total": total, "limit": limit, "offset": offset, "items": items}


@router.get("/v1/authors/{pk}", tags=["authors"], summary="One author", **role("viewer"))
def get_author(request: Request, pk: Pk) -> dict[str, Any]:
    return {"ok": True, "item": _author(request, pk)}


@router.get("/authors", response_class=HTMLResponse, include_in_schema=False, **role("viewer"))
def authors_page(request: Request, q: Annotated[str | None, Query(max_length=200)] = None,
                 page_no: Annotated[int, Query(alias="page", ge=1, le=10**6)] = 1) -> HTMLResponse:
    total, items = queries.authors_page(request.app.state.engine, q, 50, (page_no - 1) * 50)
    return page(request, "authors.html", items=items, total=total, q=q, page_no=page_no,
                has_next=page_no * 50 < total)


@router.get("/authors/{pk}", response_class=HTMLResponse, include_in_schema=False, **role("viewer"))
def author_page(request: Request, pk: Pk) -> HTMLResponse:
    author = _author(request, pk)
    run_id = queries.latest_run_id(request.app.state.engine)
    total, items = (0, [])
    if run_id is not None:
        total, items = queries.results_page(request.app.state.engine, run_id, flagged_only=False, author_pk=pk, limit=100)
    return page(request, "author.html", author=author, items=items, total=total, run_id=run_id)
