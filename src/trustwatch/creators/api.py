"""Entry points that open a database and return plain data: what the CLI and web pages call."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from ..errors import TrustwatchError
from .facts import iter_post_facts, open_engine
from .lists import WATCH_MIN_VIOLATIONS, WATCH_WINDOW_DAYS, recognition, watchlist
from .profile import CampaignLike, CreatorProfile, build_profiles
from .records import CreatorKey, StoreCaseSource, ViolationSource
from .score import DEFAULT_SETTINGS, ScoreSettings


def load_profiles(
    db: str,
    as_of: datetime | None = None,
    source: ViolationSource | None = None,
    settings: ScoreSettings = DEFAULT_SETTINGS,
    campaigns: Sequence[CampaignLike] = (),
    only: CreatorKey | None = None,
) -> list[CreatorProfile]:
    """Every creator's profile in the database at `db` (path or URL); reviewed decisions from the
    database's cases tables unless another `source` is given."""
    engine = open_engine(db)
    try:
        src = source if source is not None else StoreCaseSource(engine)
        return build_profiles(
            iter_post_facts(engine, with_flags=True), src, as_of or datetime.now(UTC), settings,
            campaigns, only,
        )
    finally:
        engine.dispose()


def resolve_creator(profiles: Sequence[CreatorProfile], creator_id: str, platform: str | None = None) -> CreatorProfile:
    """The profile for `creator_id` (an author id, or `platform/author_id`); one clear error when
    it is unknown or ambiguous."""
    if platform is None and "/" in creator_id:
        platform, _, creator_id = creator_id.partition("/")
    hits = [p for p in profiles if p.creator_id == creator_id and (platform is None or p.platform == platform)]
    if not hits:
        raise TrustwatchError(
            f"No creator {creator_id!r}{f' on {platform}' if platform else ''} is in the database.",
            "List creators with `trustwatch creators --json` and pass one creator_id (or platform/creator_id).",
        )
    if len(hits) > 1:
        raise TrustwatchError(
            f"The creator id {creator_id!r} exists on several platforms ({', '.join(p.platform for p in hits)}).",
            f"Pass --platform or write it as {hits[0].platform}/{creator_id}.",
        )
    return hits[0]


def profile_data(
    db: str, creator_id: str, platform: str | None = None, as_of: datetime | None = None,
    source: ViolationSource | None = None, campaigns: Sequence[CampaignLike] = (),
) -> dict[str, Any]:
    """One creator's profile and score breakdown as a dict."""
    return resolve_creator(load_profiles(db, as_of, source, campaigns=campaigns), creator_id, platform).as_dict()


def lists_data(
    db: str, top: int = 10, group_by: str | None = None, mcn: str | None = None,
    as_of: datetime | None = None, source: ViolationSource | None = None,
    min_violations: int = WATCH_MIN_VIOLATIONS, window_days: int = WATCH_WINDOW_DAYS,
) -> dict[str, Any]:
    """Recognition (overall or grouped) and the watchlist, as dicts with ranks and reasons."""
    as_of = as_of or datetime.now(UTC)
    profiles = load_profiles(db, as_of, source)
    if mcn is not None:
        profiles = [p for p in profiles if (p.mcn or "").casefold() == mcn.casefold()]
    return {
        "as_of": as_of.isoformat(),
        "recognition": {
            g: [r.as_dict() for r in items]
            for g, items in recognition(profiles, as_of, top, group_by, min_violations, window_days).items()
        },
        "watchlist": [r.as_dict() for r in watchlist(profiles, as_of, min_violations, window_days)],
    }


def all_creators_data(
    db: str, mcn: str | None = None, as_of: datetime | None = None, source: ViolationSource | None = None,
) -> list[dict[str, Any]]:
    """Every creator's profile as a dict, highest score first, "insufficient data" last."""
    profiles = load_profiles(db, as_of, source)
    if mcn is not None:
        profiles = [p for p in profiles if (p.mcn or "").casefold() == mcn.casefold()]
    profiles.sort(key=lambda p: (p.score.score is None, -(p.score.score or 0), -p.posts, p.platform, p.creator_id))
    return [p.as_dict() for p in profiles]
