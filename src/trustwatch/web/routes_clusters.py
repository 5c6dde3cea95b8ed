"""Source clusters (near-duplicate families of posts) over the sources area's index
(`trustwatch.dedupe`, issue 5): the ranking, and one cluster with its earliest post, growth by day,
coordinated-burst evidence and its spread tree drawn as a picture on the server.

The spread tree is laid out here as SVG shapes (no script, no inline style): one column per
generation, members top to bottom in the order they were posted, an edge from each parent; inferred
parents are drawn dashed, with their similarity. It describes how copies spread, not who is behind
any account. Registered in `app.AREAS` once the sources area is merged.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Path, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from ..dedupe import SourceIndex, SourcesError, cluster, list_clusters
from ..store.writer import posts
from .charts import grouped_bars
from .errors import ApiError
from .render import page
from .security import role

router = APIRouter()
ClusterId = Annotated[int, Path(ge=1, le=2**62)]
COL_W, ROW_H, PAD = 170, 26, 14


def setup(app: FastAPI) -> None:
    app.state.sources = SourceIndex(app.state.store)
    app.state.nav.append(("/clusters", "clusters"))


def _cluster(request: Request, cluster_id: int) -> dict[str, Any]:
    try:
        return cluster(request.app.state.sources, cluster_id)
    except SourcesError as exc:
        raise ApiError(404 if exc.message.startswith("There is no cluster") else 400, str(exc)) from None


def _list(request: Request, category: str | None, top: int, min_size: int) -> list[dict[str, Any]]:
    if category and category not in request.app.state.packs:
        raise ApiError(422, f"The category {category!r} is not one of the packs ({', '.join(request.app.state.packs)}).")
    return list_clusters(request.app.state.sources, category or None, top, min_size)


@router.get("/v1/clusters", tags=["clusters"], summary="Near-duplicate clusters by reach, each with its earliest post", **role("viewer"))
def get_clusters(request: Request, category: Annotated[str | None, Query(max_length=64)] = None,
                 top: Annotated[int, Query(ge=1, le=200)] = 20, min_size: Annotated[int, Query(ge=2, le=10**6)] = 2) -> dict[str, Any]:
    items = _list(request, category, top, min_size)
    return {"ok": True, "total": len(items), "items": items}


@router.get("/v1/clusters/{cluster_id}", tags=["clusters"], summary="One cluster: members, growth, spread tree, burst evidence", **role("viewer"))
def get_cluster(request: Request, cluster_id: ClusterId) -> dict[str, Any]:
    return {"ok": True, "item": _cluster(request, cluster_id)}


def tree_picture(nodes: list[dict[str, Any]]) -> dict[str, Any]:
    """Positions for the spread tree: x by generation, y by posting order; edges parent → child."""
    index: dict[str, int] = {}
    depth: list[int] = []
    for i, n in enumerate(nodes):
        parent = index.get(n["parent"]) if n.get("parent") is not None else None
        depth.append(depth[parent] + 1 if parent is not None else 0)
        index.setdefault(n["post_id"], i)
    boxes = [{"x": PAD + d * COL_W, "y": PAD + i * ROW_H, "label": n["post_id"], "account": n.get("account") or "",
              "kind": n.get("parent_kind") or "root", "root": i == 0} for i, (n, d) in enumerate(zip(nodes, depth, strict=True))]
    edges = []
    for i, n in enumerate(nodes):
        j = index.get(n["parent"]) if n.get("parent") is not None else None
        if j is None or j == i:
            continue
        a, b = boxes[j], boxes[i]
        edges.append({"x1": a["x"] + 6, "y1": a["y"] + 6, "x2": b["x"], "y2": b["y"] + 6,
                      "dashed": n.get("parent_kind") == "inferred", "similarity": n.get("similarity")})
    width = PAD * 2 + (max(depth, default=0) + 1) * COL_W
    return {"w": width, "h": PAD * 2 + len(nodes) * ROW_H, "boxes": boxes, "edges": edges}


@router.get("/clusters", response_class=HTMLResponse, include_in_schema=False, **role("viewer"))
def clusters_page(request: Request, category: Annotated[str | None, Query(max_length=64)] = None,
                  top: Annotated[int, Query(ge=1, le=200)] = 50) -> HTMLResponse:
    return page(request, "clusters.html", items=_list(request, category, top, 2), category=category,
                categories=list(request.app.state.packs))


@router.get("/clusters/{cluster_id}", response_class=HTMLResponse, include_in_schema=False, **role("viewer"))
def cluster_page(request: Request, cluster_id: ClusterId) -> HTMLResponse:
    c = _cluster(request, cluster_id)
    nodes = c.get("spread_tree", [])[:300]
    growth = grouped_bars([(g["date"][5:], {"posts": g["posts"]}) for g in c.get("growth", [])[-30:]], ["posts"])
    with request.app.state.engine.connect() as conn:
        ids = [n["post_id"] for n in nodes]
        pks = {(r.platform or "", r.post_id): r.id for r in conn.execute(
            select(posts.c.platform, posts.c.post_id, posts.c.id).where(posts.c.post_id.in_(ids)))} if ids else {}
    return page(request, "cluster.html", c=c, tree=tree_picture(nodes), growth=growth, nodes=nodes, pks=pks,
                truncated=len(c.get("spread_tree", [])) > len(nodes))
