"""Creator profiles: what a creator published, how it was received, and its reviewed record.

Everything here is computed from the store (posts, authors, latest metrics) and from a
`ViolationSource` (reviewed decisions). The result is plain data (`CreatorProfile.as_dict()`) that
the CLI prints, the web UI renders and the briefing summarizes.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from .anomalies import Anomaly, Baseline, find_anomalies, peer_baselines
from .facts import METRICS, PostFact
from .records import AppealRecord, ConfirmedViolation, CreatorKey, NoticeRecord, ViolationSource
from .score import DEFAULT_SETTINGS, UNDISCLOSED_AD, ScoreBreakdown, ScoreSettings, credibility


class CampaignLike(Protocol):
    id: str
    name: str

    def matches(self, post: PostFact) -> bool: ...


@dataclass(frozen=True, slots=True)
class CreatorProfile:
    platform: str
    creator_id: str
    name: str | None
    mcn: str | None
    followers: int | None
    content_category: str | None
    posts: int
    first_post: datetime | None
    last_post: datetime | None
    totals: dict[str, int]  # views, likes, comments, shares summed over posts that carry them
    posts_with_views: int
    engagement_rate: float | None  # (likes + comments + shares) / views over posts with views
    violations: tuple[ConfirmedViolation, ...]
    disclosed_posts: int
    notices: tuple[NoticeRecord, ...]
    appeals: tuple[AppealRecord, ...]
    campaigns: tuple[dict[str, Any], ...]
    anomalies: tuple[Anomaly, ...]
    flagged_unreviewed: int  # posts the latest scan flagged: shown, never scored
    score: ScoreBreakdown
    cases_available: bool = True

    @property
    def key(self) -> CreatorKey:
        return (self.platform, self.creator_id)

    @property
    def counted(self) -> list[ConfirmedViolation]:
        return [v for v in self.violations if not v.overturned]

    @property
    def reach(self) -> int | None:
        return self.totals.get("views") if self.posts_with_views else None

    def disclosure(self) -> dict[str, Any]:
        undisclosed = sum(1 for v in self.counted if v.category == UNDISCLOSED_AD)
        sponsored = self.disclosed_posts + undisclosed
        return {
            "sponsored_posts": sponsored,
            "disclosed": self.disclosed_posts,
            "confirmed_undisclosed": undisclosed,
            "rate": round(self.disclosed_posts / sponsored, 4) if sponsored else None,
        }

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data: the `--json` output and what the web UI renders."""
        counted = self.counted
        by_status = Counter(n.status for n in self.notices)
        return {
            "creator_id": self.creator_id,
            "platform": self.platform or None,
            "name": self.name,
            "mcn": self.mcn,
            "followers": self.followers,
            "content_category": self.content_category,
            "score": self.score.score,
            "score_status": self.score.status,
            "score_reason": self.score.reason,
            "components": {c.name: c.as_dict() for c in self.score.components},
            "posts": self.posts,
            "first_post": self.first_post.isoformat() if self.first_post else None,
            "last_post": self.last_post.isoformat() if self.last_post else None,
            "reach": self.reach,
            "totals": dict(self.totals),
            "posts_with_views": self.posts_with_views,
            "engagement_rate": self.engagement_rate,
            "violations": {
                "confirmed": len(counted),
                "overturned": len(self.violations) - len(counted),
                "by_category": dict(sorted(Counter(v.category for v in counted).items())),
                "by_severity": dict(sorted(Counter(v.severity for v in counted).items())),
                "items": [
                    {
                        "case_id": v.case_id,
                        "post_id": v.post_id,
                        "category": v.category,
                        "severity": v.severity,
                        "decided_at": v.decided_at.isoformat(),
                        "overturned": v.overturned,
                    }
                    for v in self.violations
                ],
            },
            "disclosure": self.disclosure(),
            "notices": {
                "total": len(self.notices),
                "by_status": dict(sorted(by_status.items())),
                "by_request": dict(sorted(Counter(n.request for n in self.notices).items())),
            },
            "appeals": {
                "won": sum(1 for a in self.appeals if a.status == "overturned"),
                "lost": sum(1 for a in self.appeals if a.status == "upheld"),
                "open": sum(1 for a in self.appeals if a.status == "open"),
            },
            "campaigns": list(self.campaigns),
            "anomalies": [a.as_dict() for a in self.anomalies],
            "flagged_unreviewed": self.flagged_unreviewed,
            "cases_available": self.cases_available,
        }


def _group(items: Iterable[Any]) -> dict[CreatorKey, list[Any]]:
    out: dict[CreatorKey, list[Any]] = defaultdict(list)
    for it in items:
        out[it.creator_key].append(it)
    return out


def _mode(values: Iterable[str | None]) -> str | None:
    counts = Counter(v for v in values if v)
    if not counts:
        return None
    best = max(counts.values())
    return min(v for v, c in counts.items() if c == best)  # ties: alphabetical, so stable


def build_profile(
    key: CreatorKey,
    posts: Sequence[PostFact],
    violations: Sequence[ConfirmedViolation],
    notices: Sequence[NoticeRecord],
    appeals: Sequence[AppealRecord],
    peers: dict[tuple[str, str], Baseline],
    as_of: datetime,
    settings: ScoreSettings = DEFAULT_SETTINGS,
    campaigns: Sequence[CampaignLike] = (),
    cases_available: bool = True,
) -> CreatorProfile:
    """One creator's profile from its posts and reviewed records (posts may be empty)."""
    totals = {m: sum(v for p in posts if (v := p.metric(m)) is not None) for m in METRICS}
    with_views = [p for p in posts if p.metric("views")]
    views = sum(p.metric("views") or 0 for p in with_views)
    engaged = sum(
        (p.metric("likes") or 0) + (p.metric("comments") or 0) + (p.metric("shares") or 0)
        for p in with_views
    )
    dates = [p.created_at for p in posts if p.created_at]
    disclosed = sum(1 for p in posts if p.discloses_ad)
    latest = posts[-1] if posts else None
    followers = next((p.followers for p in reversed(posts) if p.followers is not None), None)
    contributions = []
    for c in campaigns:
        mine = [p for p in posts if c.matches(p)]
        if mine:
            contributions.append(
                {
                    "id": c.id,
                    "name": c.name,
                    "posts": len(mine),
                    "views": sum(p.metric("views") or 0 for p in mine),
                }
            )
    return CreatorProfile(
        platform=key[0],
        creator_id=key[1],
        name=latest.author_name if latest else None,
        mcn=next((p.mcn for p in reversed(posts) if p.mcn), None),
        followers=followers,
        content_category=_mode(p.content_category for p in posts),
        posts=len(posts),
        first_post=min(dates) if dates else None,
        last_post=max(dates) if dates else None,
        totals=totals,
        posts_with_views=len(with_views),
        engagement_rate=round(engaged / views, 6) if views else None,
        violations=tuple(violations),
        disclosed_posts=disclosed,
        notices=tuple(notices),
        appeals=tuple(appeals),
        campaigns=tuple(contributions),
        anomalies=tuple(find_anomalies(posts, peers)),
        flagged_unreviewed=sum(1 for p in posts if p.flagged),
        score=credibility(len(posts), disclosed, violations, as_of, settings),
        cases_available=cases_available,
    )


def build_profiles(
    posts: Iterable[PostFact],
    source: ViolationSource,
    as_of: datetime | None = None,
    settings: ScoreSettings = DEFAULT_SETTINGS,
    campaigns: Sequence[CampaignLike] = (),
    only: CreatorKey | None = None,
) -> list[CreatorProfile]:
    """Profiles of every creator with stored posts or reviewed records (or just `only`)."""
    as_of = as_of or datetime.now(UTC)
    all_posts = [p for p in posts if p.creator_key is not None]
    peers = peer_baselines(all_posts)
    by_creator: dict[CreatorKey, list[PostFact]] = defaultdict(list)
    for p in all_posts:
        by_creator[p.creator_key].append(p)  # type: ignore[index]
    violations = _group(source.violations(only))
    notices = _group(source.notices(only))
    appeals = _group(source.appeals(only))
    keys = set(by_creator) | set(violations) | set(notices) | set(appeals)
    if only is not None:
        keys &= {only}
    return [
        build_profile(
            k, by_creator.get(k, []), violations.get(k, []), notices.get(k, []),
            appeals.get(k, []), peers, as_of, settings, campaigns, source.available,
        )
        for k in sorted(keys)
    ]
