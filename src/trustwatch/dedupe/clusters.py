"""Reading clusters: ranking, the earliest source, the spread tree, growth and coordinated bursts.

Everything here reads the tables `SourceIndex` maintains and computes the per-cluster views on
demand, for the clusters asked about (the ranking itself reads only ``source_clusters``).

- Earliest post: smallest ``created_at`` (UTC), posts without a time last, ties by ingestion order
  (the store's post key, assigned in the order posts were first stored).
- Spread tree: a member's parent is the member it names in ``shared_from`` (or ``reply_to``) when
  that member is earlier; otherwise it is *inferred*: the most similar earlier member by exact
  Jaccard of the shingles (closest in time on ties), among the 200 members just before it, or the
  earliest post when none shares text with it (joined by a link or an image). Inferred parents are
  marked ``"parent_kind": "inferred"`` with their similarity.
- Coordinated behaviour: the time window (default 60 minutes) holding copies from the most distinct
  accounts; at least `min_accounts` (default 5) makes the cluster *likely coordinated*, and so do
  `min_accounts - 2` (at least 3) when two thirds of them have few posts or followers; shown with
  its evidence — accounts, each copy's time, burst size, and how many of those accounts have few
  posts in the store or few followers. It describes posting behaviour only; nothing here says who
  is behind an account.
- A cluster with a flagged member is *suggested for review*: a person decides, nothing is acted on.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import and_, func, select

from ..store.schema import AuthorRow, PostRow, PostVersionRow
from .core import sparse_jaccard
from .index import SourceIndex, clusters_t, earliest_key, reach_of, sp_t

authors_t = AuthorRow.__table__
posts_t = PostRow.__table__
versions_t = PostVersionRow.__table__

TREE_WINDOW = 200
LOW_ACTIVITY_POSTS = 3
LOW_FOLLOWERS = 100


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, UTC).isoformat() if ts is not None else None


def list_clusters(
    index: SourceIndex,
    category: str | None = None,
    top: int = 20,
    min_size: int = 2,
    window_minutes: float = 60.0,
    min_accounts: int = 5,
    detail: bool = False,
) -> list[dict[str, Any]]:
    """The clusters with at least `min_size` posts, by reach, each with its earliest source."""
    c = clusters_t.c
    stmt = select(c.id).where(c.size >= min_size).order_by(c.reach.desc(), c.size.desc(), c.id).limit(top)
    if category:
        flagged_in = select(sp_t.c.cluster_id).where(sp_t.c.flags.like(f"%,{category},%")).distinct()
        stmt = stmt.where(c.id.in_(flagged_in))
    with index.store._read("rank clusters") as conn:
        ids = list(conn.execute(stmt).scalars())
    return [cluster(index, cid, window_minutes, min_accounts, detail) for cid in ids]


def cluster(
    index: SourceIndex, cluster_id: int, window_minutes: float = 60.0, min_accounts: int = 5, detail: bool = True
) -> dict[str, Any]:
    """One cluster's full view (members, earliest post, platforms, accounts, reach, growth, tree)."""
    sp, p, pv, a = sp_t.c, posts_t.c, versions_t.c, authors_t.c
    with index.store._read(f"read cluster {cluster_id}") as conn:
        totals = conn.execute(select(clusters_t).where(clusters_t.c.id == cluster_id)).mappings().first()
        if totals is None:
            from .index import SourcesError

            raise SourcesError(f"There is no cluster {cluster_id} in {index.store.url}.",
                               "Pick a cluster_id from `trustwatch sources --json`.")
        rows = conn.execute(
            select(sp.post_pk, sp.created_ts, sp.shingles, sp.flags, p.platform, p.post_id, p.url,
                   p.created_at, p.metrics, p.author_pk, a.author_id, a.followers, pv.raw)
            .join(posts_t, p.id == sp.post_pk)
            .join(versions_t, and_(pv.post_pk == p.id, pv.version == p.version))
            .outerjoin(authors_t, a.id == p.author_pk)
            .where(sp.cluster_id == cluster_id)
        ).mappings().all()
        author_pks = sorted({r["author_pk"] for r in rows if r["author_pk"] is not None})
        activity = dict(conn.execute(
            select(p.author_pk, func.count()).where(index._writer.in_list(p.author_pk, author_pks)).group_by(p.author_pk)
        ).all()) if author_pks else {}
    members = sorted(rows, key=lambda r: earliest_key(r["created_ts"], r["post_pk"]))
    first = members[0]
    metrics: dict[str, int] = defaultdict(int)
    for r in members:
        for k, v in (r["metrics"] or {}).items():
            if isinstance(v, int | float) and not isinstance(v, bool):
                metrics[k] += int(v)
    categories = sorted({f for r in members for f in (r["flags"] or "").strip(",").split(",") if f})
    accounts = sorted({f"{r['platform']}:{r['author_id']}" if r["platform"] else str(r["author_id"])
                       for r in members if r["author_id"] is not None})
    out: dict[str, Any] = {
        "cluster_id": int(cluster_id),
        "size": len(members),
        "earliest_post_id": first["post_id"],
        "earliest_platform": first["platform"] or None,
        "earliest_created_at": first["created_at"],
        "earliest_url": first["url"],
        "platforms": sorted({r["platform"] or "" for r in members} - {""}),
        "accounts": len(accounts),
        "reach": int(sum(reach_of(r["metrics"]) for r in members)),
        "metrics": dict(sorted(metrics.items())),
        "flagged_posts": sum(1 for r in members if r["flags"]),
        "flagged_categories": categories,
        "suggested_for_review": bool(categories),
        "coordinated": coordinated(members, activity, window_minutes, min_accounts),
        "members": [r["post_id"] for r in members],
    }
    if detail:
        out["account_ids"] = accounts
        out["growth"] = growth(members)
        out["spread_tree"] = spread_tree(members)
    return out


def growth(members: list[Any]) -> list[dict[str, Any]]:
    """Posts and reach per UTC day, with running totals (posts without a time are left out)."""
    by_day: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in members:
        if r["created_ts"] is None:
            continue
        day = datetime.fromtimestamp(r["created_ts"], UTC).date().isoformat()
        by_day[day][0] += 1
        by_day[day][1] += reach_of(r["metrics"])
    out, posts, reach = [], 0, 0
    for day in sorted(by_day):
        n, rch = by_day[day]
        posts += n
        reach += rch
        out.append({"date": day, "posts": n, "reach": rch, "posts_total": posts, "reach_total": reach})
    return out


def spread_tree(members: list[Any]) -> list[dict[str, Any]]:
    """Each member with its parent: given (shared_from / reply_to) or inferred (time + similarity)."""
    position = {}
    for i, r in enumerate(members):
        position.setdefault(r["post_id"], []).append(i)
    shingles = [np.frombuffer(r["shingles"] or b"", dtype="<u4") for r in members]
    out = []
    for i, r in enumerate(members):
        raw = r["raw"] if isinstance(r["raw"], dict) else {}
        node: dict[str, Any] = {"post_id": r["post_id"], "platform": r["platform"] or None,
                                "account": r["author_id"], "created_at": r["created_at"],
                                "parent": None, "parent_kind": None, "similarity": None}
        if i == 0:
            node["parent_kind"] = "root"
            out.append(node)
            continue
        for kind in ("shared_from", "reply_to"):
            ref = raw.get(kind)
            if ref is None or ref == "":
                continue
            cands = [j for j in position.get(str(ref), []) if j < i]
            same = [j for j in cands if members[j]["platform"] == r["platform"]]
            if cands:
                j = (same or cands)[-1]
                node.update(parent=members[j]["post_id"], parent_kind=kind)
                break
        if node["parent"] is None:
            best, best_j = -1.0, 0
            for j in range(max(0, i - TREE_WINDOW), i):
                s = sparse_jaccard(shingles[i], shingles[j])
                if s >= best:  # later on ties: the copy closest in time
                    best, best_j = s, j
            node.update(parent=members[best_j]["post_id"], parent_kind="inferred",
                        similarity=round(max(best, 0.0), 3))
        out.append(node)
    return out


def coordinated(members: list[Any], activity: dict[int, int], window_minutes: float, min_accounts: int) -> dict[str, Any]:
    """The busiest window of distinct accounts posting copies; likely coordinated past a threshold."""
    timed = sorted((r for r in members if r["created_ts"] is not None and r["author_id"] is not None),
                   key=lambda r: (r["created_ts"], r["post_pk"]))
    window = window_minutes * 60
    best = (0, 0, 0)  # distinct accounts, start index, end index (exclusive)
    counts: dict[Any, int] = defaultdict(int)
    lo = 0
    for hi, r in enumerate(timed):
        counts[r["author_pk"]] += 1
        while r["created_ts"] - timed[lo]["created_ts"] > window:
            k = timed[lo]["author_pk"]
            counts[k] -= 1
            if not counts[k]:
                del counts[k]
            lo += 1
        if len(counts) > best[0]:
            best = (len(counts), lo, hi + 1)
    n_accounts, lo, hi = best
    result: dict[str, Any] = {"likely": False, "reason": None, "window_minutes": window_minutes,
                              "min_accounts": min_accounts, "burst_accounts": n_accounts}
    if n_accounts >= 2:
        burst = timed[lo:hi]
        accts = {}
        for r in burst:
            accts.setdefault(r["author_pk"], r)
        low = [r["author_id"] for r in accts.values()
               if activity.get(r["author_pk"], 0) <= LOW_ACTIVITY_POSTS or (r["followers"] is not None and r["followers"] < LOW_FOLLOWERS)]
        # Many accounts in one window; or, from new/low-activity accounts (the common shape of a
        # bought or throw-away network), a smaller burst already counts.
        if n_accounts >= min_accounts:
            result.update(likely=True, reason=f"{n_accounts} accounts posted copies within {window_minutes:g} minutes")
        elif n_accounts >= max(3, min_accounts - 2) and len(low) * 3 >= n_accounts * 2:
            result.update(likely=True, reason=(f"{n_accounts} accounts, {len(low)} of them with few posts or "
                                               f"followers, posted copies within {window_minutes:g} minutes"))
        result["evidence"] = {
            "burst_size": len(burst),
            "start": _iso(burst[0]["created_ts"]),
            "end": _iso(burst[-1]["created_ts"]),
            "accounts": [r["author_id"] for r in accts.values()],
            "posts": [{"post_id": r["post_id"], "account": r["author_id"], "created_at": _iso(r["created_ts"])} for r in burst],
            "low_activity_accounts": low,
            "note": ("copies posted by many accounts within a short window; this describes posting "
                     "behaviour, not who runs the accounts — a reviewer decides"),
        }
    return result
