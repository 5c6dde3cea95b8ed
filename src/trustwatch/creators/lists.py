"""Recognition (the most credible creators) and the watchlist (repeat confirmed violators).

Both lists carry a reason per entry, in words, so a person can check it. Recognition ranks scored
creators (never "insufficient data") who are not on the watchlist; equal scores share a rank, and
within a rank more posts (more evidence) come first, then the id, so the order is stable.
The watchlist counts confirmed, not overturned violations decided within `window_days`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .profile import CreatorProfile
from .score import SEVERITY_WEIGHT

WATCH_MIN_VIOLATIONS = 2
WATCH_WINDOW_DAYS = 365
UNGROUPED = "(none)"


@dataclass(frozen=True, slots=True)
class Ranked:
    rank: int
    profile: CreatorProfile
    reasons: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"rank": self.rank, "reasons": list(self.reasons)} | self.profile.as_dict()


def _recent(p: CreatorProfile, as_of: datetime, window_days: int) -> list:
    since = as_of - timedelta(days=window_days)
    return [v for v in p.counted if since <= v.decided_at <= as_of]


def watchlist(
    profiles: Sequence[CreatorProfile],
    as_of: datetime,
    min_violations: int = WATCH_MIN_VIOLATIONS,
    window_days: int = WATCH_WINDOW_DAYS,
) -> list[Ranked]:
    """Creators with at least `min_violations` confirmed violations in the window, worst first."""
    entries = []
    for p in profiles:
        recent = _recent(p, as_of, window_days)
        if len(recent) < min_violations:
            continue
        weight = sum(SEVERITY_WEIGHT.get(v.severity, 2.0) for v in recent)
        kinds = Counter((v.category, v.severity) for v in recent)
        what = ", ".join(f"{n} {c} ({s})" for (c, s), n in sorted(kinds.items(), key=lambda x: (-x[1], x[0])))
        latest = max(v.decided_at for v in recent)
        reasons = [
            (f"{len(recent)} confirmed violations in the last {window_days} days: {what}; "
            f"latest decided {latest.date().isoformat()}")
        ]
        overturned = len(p.violations) - len(p.counted)
        if overturned:
            reasons.append(f"{overturned} decision(s) overturned on appeal, not counted")
        if p.notices:
            by = Counter(n.status for n in p.notices)
            reasons.append("notices: " + ", ".join(f"{n} {s}" for s, n in sorted(by.items())))
        entries.append((-weight, -len(recent), p.platform, p.creator_id, p, tuple(reasons)))
    entries.sort(key=lambda e: e[:4])
    out, rank, prev = [], 0, None
    for i, (w, n, _, _, p, reasons) in enumerate(entries, 1):
        if (w, n) != prev:
            rank, prev = i, (w, n)
        out.append(Ranked(rank, p, reasons))
    return out


def _praise(p: CreatorProfile) -> tuple[str, ...]:
    reasons = [f"score {p.score.score:.2f} from {p.posts} posts"]
    counted = p.counted
    reasons.append(
        "no confirmed violations" if not counted else f"{len(counted)} confirmed violation(s), decayed"
    )
    d = p.disclosure()
    if d["sponsored_posts"]:
        reasons.append(f"disclosed {d['disclosed']} of {d['sponsored_posts']} sponsored posts")
    won = sum(1 for a in p.appeals if a.status == "overturned")
    if won:
        reasons.append(f"{won} appeal(s) won")
    if p.anomalies:
        # Not confirmed, so not scored; but whoever hands out recognition should look first.
        posts = len({a.post_id for a in p.anomalies})
        reasons.append(f"check first: engagement anomalies on {posts} post(s)")
    return tuple(reasons)


def recognition(
    profiles: Sequence[CreatorProfile],
    as_of: datetime,
    top: int = 10,
    group_by: str | None = None,
    min_violations: int = WATCH_MIN_VIOLATIONS,
    window_days: int = WATCH_WINDOW_DAYS,
) -> dict[str, list[Ranked]]:
    """The `top` most credible creators overall (key "all"), or per content category or MCN."""
    if group_by not in (None, "category", "mcn"):
        raise ValueError(f"group_by is {group_by!r}; use None, 'category' or 'mcn'.")
    watched = {r.profile.key for r in watchlist(profiles, as_of, min_violations, window_days)}
    groups: dict[str, list[CreatorProfile]] = defaultdict(list)
    for p in profiles:
        if p.score.score is None or p.key in watched:
            continue
        if group_by is None:
            g = "all"
        elif group_by == "category":
            g = p.content_category or UNGROUPED
        else:
            g = p.mcn or UNGROUPED
        groups[g].append(p)
    out: dict[str, list[Ranked]] = {}
    for g in sorted(groups):
        ranked = sorted(groups[g], key=lambda p: (-p.score.score, -p.posts, p.platform, p.creator_id))  # type: ignore[operator]
        items, rank, prev = [], 0, None
        for i, p in enumerate(ranked[:top], 1):
            if p.score.score != prev:
                rank, prev = i, p.score.score
            items.append(Ranked(rank, p, _praise(p)))
        out[g] = items
    return out
