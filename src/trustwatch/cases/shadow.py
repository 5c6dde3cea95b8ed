"""Shadow mode on stored posts: what a new or changed pack would flag, next to the live packs.

Shadow packs never open cases: in a scan they only add `shadow_scores` (they never flag), and here
they are run on the newest stored version of every post, read-only. Each shadow pack is compared
with the live pack of the same id (a changed pack), or of its id without a `_shadow` suffix (a copy
run beside the live one in scans), or else with "any live category flagged" (a new pack).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import and_, select

from ..detect import Detector
from ..ingest import to_post
from ..models import Post
from ..policy import load_packs
from ..store.engine import check_connection, make_engine, migrate, resolve_url
from ..store.schema import PostRow, PostVersionRow

PAGE = 2000


def _post_of(platform: str, post_id: str, text: str, title: str | None, raw: Any) -> Post:
    try:
        return to_post(raw)
    except Exception:  # noqa: BLE001 - a stored record that no longer parses is still scored on its text
        return Post(id=post_id, platform=platform or None, text=text or "", title=title)


def shadow_report(db: str, shadow_paths: list[str], live_paths: list[str] | None = None,
                  examples: int = 20) -> dict[str, Any]:
    shadow = [dataclasses.replace(p, pack=p.pack.model_copy(update={"mode": "active"})) for p in load_packs(shadow_paths)]
    live = [p for p in load_packs(live_paths) if p.pack.mode == "active"]
    live_ids = {p.id for p in live}
    shadow_det, live_det = Detector(shadow), Detector(live)
    target: dict[str, str | None] = {}
    for p in shadow:
        base = p.id.removesuffix("_shadow")
        target[p.id] = p.id if p.id in live_ids else base if base in live_ids else None
    stats = {p.id: {"compared_to": target[p.id] or "any live category", "both": 0, "only_shadow": 0,
                    "only_live": 0, "neither": 0, "only_shadow_ids": [], "only_live_ids": []} for p in shadow}
    engine = make_engine(resolve_url(db))
    posts_t, pv_t = PostRow.__table__, PostVersionRow.__table__
    n = 0
    try:
        check_connection(engine)
        migrate(engine)
        last = 0
        while True:
            with engine.connect() as conn:
                rows = conn.execute(
                    select(posts_t.c.id, posts_t.c.platform, posts_t.c.post_id, pv_t.c.text, pv_t.c.title, pv_t.c.raw)
                    .join(pv_t, and_(pv_t.c.post_pk == posts_t.c.id, pv_t.c.version == posts_t.c.version))
                    .where(posts_t.c.id > last).order_by(posts_t.c.id).limit(PAGE)
                ).all()
            for r in rows:
                post = _post_of(r.platform, r.post_id, r.text, r.title, r.raw)
                s_res, l_res = shadow_det.detect(post), live_det.detect(post)
                key = f"{r.platform}/{r.post_id}" if r.platform else r.post_id
                for pid, st in stats.items():
                    s_hit = bool(s_res["categories"].get(pid))
                    t = target[pid]
                    l_hit = bool(l_res["categories"].get(t)) if t else bool(l_res["flagged"])
                    bucket = "both" if s_hit and l_hit else "only_shadow" if s_hit else "only_live" if l_hit else "neither"
                    st[bucket] += 1
                    if bucket in ("only_shadow", "only_live") and len(st[f"{bucket}_ids"]) < examples:
                        st[f"{bucket}_ids"].append(key)
            n += len(rows)
            if len(rows) < PAGE:
                break
            last = rows[-1].id
    finally:
        engine.dispose()
    return {"posts": n, "live_packs": sorted(live_ids), "packs": stats}
