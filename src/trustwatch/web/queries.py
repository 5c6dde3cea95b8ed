"""Read queries the web app needs beyond the `Store`'s scan-oriented calls: pages of a run's
results with filters, one post with its current result and evidence, findings, authors.

Read-only SQLAlchemy Core on the store's tables, so they run on SQLite and PostgreSQL alike. A post's
"current result" is the newest scan result of its newest version; its findings are those stored
under the pack fingerprint of that result's scan run.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, and_, func, select, true

from ..store.store import _iso, scan_runs
from ..store.writer import authors, findings, media, post_versions, posts, scan_results

sr, pv, p, a, f = scan_results, post_versions, posts, authors, findings


def _like(q: str) -> str:
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def latest_run_id(engine: Engine) -> int | None:
    with engine.connect() as conn:
        return conn.execute(select(func.max(scan_runs.c.id))).scalar_one_or_none()


def run_fingerprint(conn: Any, run_id: int) -> str | None:
    return conn.execute(select(scan_runs.c.pack_fingerprint).where(scan_runs.c.id == run_id)).scalar_one_or_none()


def results_page(
    engine: Engine,
    run_id: int,
    *,
    flagged_only: bool = True,
    category: str | None = None,
    platform: str | None = None,
    min_score: float | None = None,
    text: str | None = None,
    author_pk: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, list[dict[str, Any]]]:
    """(total, one page) of a run's results, in input order, with their posts and authors."""
    conds = [sr.c.run_id == run_id]
    if flagged_only:
        conds.append(sr.c.flagged == true())
    if category:
        conds.append(sr.c.categories[category].as_boolean() == true())
        if min_score is not None:
            conds.append(sr.c.scores[category].as_float() >= min_score)
    if platform is not None:
        conds.append(p.c.platform == platform)
    if text:
        conds.append(pv.c.text.ilike(_like(text), escape="\\"))
    if author_pk is not None:
        conds.append(p.c.author_pk == author_pk)
    base = (
        select(sr.c.id)
        .join(pv, pv.c.id == sr.c.post_version_pk)
        .join(p, p.c.id == pv.c.post_pk)
        .where(and_(*conds))
    )
    stmt = (
        select(
            sr.c.id.label("result_id"), sr.c.flagged, sr.c.categories, sr.c.scores, sr.c.status,
            p.c.id.label("pk"), p.c.platform, p.c.post_id, p.c.url, p.c.created_at,
            pv.c.version, pv.c.text, pv.c.title, a.c.id.label("author_pk"), a.c.author_id, a.c.name.label("author_name"),
        )
        .join(pv, pv.c.id == sr.c.post_version_pk)
        .join(p, p.c.id == pv.c.post_pk)
        .outerjoin(a, a.c.id == p.c.author_pk)
        .where(and_(*conds))
        .order_by(sr.c.id)
        .limit(limit)
        .offset(offset)
    )
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(base.subquery())).scalar_one()
        rows = conn.execute(stmt).mappings().all()
    out = []
    for r in rows:
        flagged = sorted(c for c, hit in (r["categories"] or {}).items() if hit)
        out.append({
            "post_pk": r["pk"], "post_id": r["post_id"], "platform": r["platform"] or None, "url": r["url"],
            "created_at": r["created_at"], "version": r["version"], "title": r["title"], "text": r["text"],
            "author": {"pk": r["author_pk"], "id": r["author_id"], "name": r["author_name"]} if r["author_pk"] else None,
            "result": {"status": r["status"], "flagged": bool(r["flagged"]), "categories": r["categories"],
                       "category_scores": r["scores"], "flagged_categories": flagged},
        })
    return int(total), out


def platforms(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return [x for x in conn.execute(select(p.c.platform).distinct().order_by(p.c.platform)).scalars() if x]


def _findings_for(conn: Any, version_pk: int, fingerprint: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(f.c.id, f.c.category, f.c.signal, f.c.score, f.c.source, f.c.start, f.c.end, f.c.excerpt, f.c.explanation)
        .where(f.c.post_version_pk == version_pk, f.c.pack_fingerprint == fingerprint)
        .order_by(f.c.id)
    ).mappings().all()
    return [dict(r) for r in rows]


def post_detail(engine: Engine, post_pk: int) -> dict[str, Any] | None:
    """A post as it is now: its newest version, author, media, newest result and that result's evidence."""
    with engine.connect() as conn:
        row = conn.execute(
            select(p, a.c.author_id, a.c.name.label("author_name"), a.c.followers, a.c.verified, a.c.mcn)
            .outerjoin(a, a.c.id == p.c.author_pk)
            .where(p.c.id == post_pk)
        ).mappings().first()
        if row is None:
            return None
        versions = conn.execute(
            select(pv.c.id, pv.c.version, pv.c.text, pv.c.title, pv.c.raw, pv.c.first_seen_run, pv.c.content_hash)
            .where(pv.c.post_pk == post_pk).order_by(pv.c.version)
        ).mappings().all()
        current = next((v for v in versions if v["version"] == row["version"]), versions[-1] if versions else None)
        result = None
        found: list[dict[str, Any]] = []
        attached: list[dict[str, Any]] = []
        if current is not None:
            res = conn.execute(
                select(sr.c.id, sr.c.run_id, sr.c.status, sr.c.error, sr.c.flagged, sr.c.categories, sr.c.scores)
                .where(sr.c.post_version_pk == current["id"]).order_by(sr.c.id.desc()).limit(1)
            ).mappings().first()
            if res is not None:
                result = {"run_id": res["run_id"], "status": res["status"], "error": res["error"], "flagged": bool(res["flagged"]),
                          "categories": res["categories"], "category_scores": res["scores"]}
                fp = run_fingerprint(conn, res["run_id"])
                if fp:
                    found = _findings_for(conn, current["id"], fp)
            attached = [dict(m) for m in conn.execute(
                select(media.c.idx, media.c.type, media.c.path).where(media.c.post_version_pk == current["id"]).order_by(media.c.idx)
            ).mappings()]
    raw = (current or {}).get("raw") or {}
    hashtags = raw.get("hashtags") if isinstance(raw.get("hashtags"), list) else []
    return {
        "pk": row["id"], "id": row["post_id"], "platform": row["platform"] or None, "url": row["url"],
        "created_at": row["created_at"], "lang": row["lang"], "metrics": row["metrics"], "version": row["version"],
        "author": {"pk": row["author_pk"], "id": row["author_id"], "name": row["author_name"], "followers": row["followers"],
                   "verified": row["verified"], "mcn": row["mcn"]} if row["author_pk"] else None,
        "text": current["text"] if current else "", "title": current["title"] if current else None,
        "hashtags": [str(h) for h in hashtags],
        "hashtags_text": " ".join("#" + str(h).lstrip("#") for h in hashtags) if hashtags else "",
        "media": attached,
        "versions": [{"version": v["version"], "first_seen_run": v["first_seen_run"], "content_hash": v["content_hash"]} for v in versions],
        "result": result,
        "findings": found,
    }


def findings_page(engine: Engine, run_id: int, category: str | None, limit: int, offset: int) -> tuple[int, list[dict[str, Any]]]:
    """Evidence of one run's results (under that run's packs), newest results last."""
    with engine.connect() as conn:
        fp = run_fingerprint(conn, run_id)
        if fp is None:
            return 0, []
        conds = [sr.c.run_id == run_id, f.c.pack_fingerprint == fp]
        if category:
            conds.append(f.c.category == category)
        base = select(f.c.id).join(sr, sr.c.post_version_pk == f.c.post_version_pk).where(and_(*conds))
        total = conn.execute(select(func.count()).select_from(base.subquery())).scalar_one()
        rows = conn.execute(
            select(f.c.id, f.c.category, f.c.signal, f.c.score, f.c.source, f.c.start, f.c.end, f.c.excerpt, f.c.explanation,
                   p.c.id.label("post_pk"), p.c.post_id, p.c.platform)
            .join(sr, sr.c.post_version_pk == f.c.post_version_pk)
            .join(pv, pv.c.id == f.c.post_version_pk)
            .join(p, p.c.id == pv.c.post_pk)
            .where(and_(*conds)).order_by(f.c.id).limit(limit).offset(offset)
        ).mappings().all()
    return int(total), [dict(r) | {"platform": r["platform"] or None} for r in rows]


def authors_page(engine: Engine, text: str | None, limit: int, offset: int) -> tuple[int, list[dict[str, Any]]]:
    conds = []
    if text:
        conds.append(a.c.name.ilike(_like(text), escape="\\") | a.c.author_id.ilike(_like(text), escape="\\"))
    n_posts = select(func.count()).where(p.c.author_pk == a.c.id).correlate(a).scalar_subquery()
    stmt = (
        select(a.c.id, a.c.platform, a.c.author_id, a.c.name, a.c.followers, a.c.verified, a.c.mcn, n_posts.label("posts"))
        .where(*conds).order_by(a.c.id).limit(limit).offset(offset)
    )
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(a).where(*conds)).scalar_one()
        rows = conn.execute(stmt).mappings().all()
    return int(total), [_author(r) for r in rows]


def _author(r: Any) -> dict[str, Any]:
    return {"pk": r["id"], "platform": r["platform"] or None, "id": r["author_id"], "name": r["name"],
            "followers": r["followers"], "verified": r["verified"], "mcn": r["mcn"], "posts": int(r["posts"])}


def author(engine: Engine, author_pk: int) -> dict[str, Any] | None:
    n_posts = select(func.count()).where(p.c.author_pk == a.c.id).correlate(a).scalar_subquery()
    with engine.connect() as conn:
        r = conn.execute(
            select(a.c.id, a.c.platform, a.c.author_id, a.c.name, a.c.followers, a.c.verified, a.c.mcn, n_posts.label("posts"))
            .where(a.c.id == author_pk)
        ).mappings().first()
    return _author(r) if r is not None else None


def scan_series(engine: Engine, limit: int = 30) -> list[dict[str, Any]]:
    """Finished scan runs, oldest first, with their flags per category (for the dashboard chart)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(scan_runs.c.id, scan_runs.c.started_at, scan_runs.c.summary, scan_runs.c.flagged, scan_runs.c.records_read)
            .where(scan_runs.c.status == "finished").order_by(scan_runs.c.id.desc()).limit(limit)
        ).mappings().all()
    return [
        {"id": r["id"], "started_at": _iso(r["started_at"]), "flagged": r["flagged"] or 0, "records_read": r["records_read"] or 0,
         "per_category": (r["summary"] or {}).get("per_category") or {}}
        for r in reversed(rows)
    ]
