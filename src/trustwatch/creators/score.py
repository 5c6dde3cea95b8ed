"""The credibility score: 0–100 from a creator's confirmed record, every part of it shown.

The formula (documented, with a worked example, in docs/creators.md):

    d_i   = 0.5 ** (age_i / half_life)        recency decay of violation i (age from the post's time)
    s_i   = severity weight: low 1, medium 2, high 3
    V     = Σ s_i · d_i                        decayed, severity-weighted violations
    D     = Σ d_i                              decayed count of violations
    record          value = 1 / (1 + V / 3)             weight 50
    violation_rate  value = max(0, 1 − 5 · D / N)       weight 30   (N = posts stored)
    disclosure      value = S / (S + U), 1 when S+U = 0 weight 20   (S = posts that disclose an ad,
                                                                     U = confirmed undisclosed_ad)
    contribution    = value · weight, rounded half up to the hundredth
    score           = Σ contributions          (so the parts add up to the score, to the cent)

Below `min_posts` stored posts the score is None ("insufficient data"): the components are still
shown, with no contribution. Only confirmed, not overturned violations enter; raw model flags and
engagement anomalies never do (anomalies are shown for a person to look into, not scored).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from .records import ConfirmedViolation

SEVERITY_WEIGHT = {"low": 1.0, "medium": 2.0, "high": 3.0}
UNDISCLOSED_AD = "undisclosed_ad"


@dataclass(frozen=True, slots=True)
class ScoreSettings:
    """The formula's constants; defaults are the published ones."""

    half_life_days: float = 180.0
    min_posts: int = 5
    record_weight: float = 50.0
    rate_weight: float = 30.0
    disclosure_weight: float = 20.0
    record_scale: float = 3.0  # V at which the record component is worth half
    rate_factor: float = 5.0  # 1/rate_factor of posts violating (decayed) zeroes the rate part
    severity_weight: dict[str, float] = field(default_factory=lambda: dict(SEVERITY_WEIGHT))

    def __post_init__(self) -> None:
        total = self.record_weight + self.rate_weight + self.disclosure_weight
        if abs(total - 100.0) > 1e-9:
            raise ValueError(f"The score weights add up to {total}, not 100; adjust them so they do.")
        if self.half_life_days <= 0:
            raise ValueError(f"half_life_days is {self.half_life_days}; it must be positive.")


DEFAULT_SETTINGS = ScoreSettings()


@dataclass(frozen=True, slots=True)
class Component:
    """One part of the score: its value in 0..1, its weight, and value × weight (None when the
    score itself is None)."""

    name: str
    value: float
    weight: float
    contribution: float | None
    explanation: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ScoreBreakdown:
    """The score and how it was reached: what a person (or the web UI) shows next to the number."""

    score: float | None
    status: str  # scored | insufficient data
    components: tuple[Component, ...]
    as_of: datetime
    posts: int
    counted_violations: int
    ignored_overturned: int
    reason: str

    def as_dict(self) -> dict[str, object]:
        return {
            "score": self.score,
            "status": self.status,
            "reason": self.reason,
            "as_of": self.as_of.isoformat(),
            "posts": self.posts,
            "counted_violations": self.counted_violations,
            "ignored_overturned": self.ignored_overturned,
            "components": {c.name: c.as_dict() for c in self.components},
        }


def _cents(x: float) -> int:
    return int(Decimal(repr(x)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) * 100)


def decay(v: ConfirmedViolation, as_of: datetime, half_life_days: float) -> float:
    """0.5 ** (age in days / half-life); a violation dated after `as_of` counts fully."""
    age = max(0.0, (as_of - v.occurred_at).total_seconds() / 86400.0)
    return 0.5 ** (age / half_life_days)


def credibility(
    posts: int,
    disclosed_posts: int,
    violations: Iterable[ConfirmedViolation],
    as_of: datetime,
    settings: ScoreSettings = DEFAULT_SETTINGS,
) -> ScoreBreakdown:
    """The score of one creator from its post count, disclosed ads and reviewed violations."""
    if as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware (UTC), so ages are measured correctly.")
    all_v = list(violations)
    counted = [v for v in all_v if not v.overturned and v.decided_at <= as_of]
    overturned = sum(1 for v in all_v if v.overturned)
    weighted = 0.0
    decayed_count = 0.0
    undisclosed = 0
    for v in counted:
        d = decay(v, as_of, settings.half_life_days)
        weighted += settings.severity_weight.get(v.severity, settings.severity_weight["medium"]) * d
        decayed_count += d
        undisclosed += v.category == UNDISCLOSED_AD

    record_value = 1.0 / (1.0 + weighted / settings.record_scale)
    rate = decayed_count / posts if posts > 0 else 0.0
    rate_value = max(0.0, 1.0 - settings.rate_factor * rate)
    sponsored = disclosed_posts + undisclosed
    disclosure_value = disclosed_posts / sponsored if sponsored else 1.0

    enough = posts >= settings.min_posts
    parts = [
        (
            "record",
            record_value,
            settings.record_weight,
            (f"{len(counted)} confirmed violation(s), severity-weighted and decayed to {weighted:.2f} "
            f"(half-life {settings.half_life_days:g} days): 1 / (1 + {weighted:.2f} / "
            f"{settings.record_scale:g}) = {record_value:.4f}"),
        ),
        (
            "violation_rate",
            rate_value,
            settings.rate_weight,
            (f"decayed violations per post {decayed_count:.2f} / {posts} = {rate:.4f}: "
            f"max(0, 1 − {settings.rate_factor:g} × {rate:.4f}) = {rate_value:.4f}"),
        ),
        (
            "disclosure",
            disclosure_value,
            settings.disclosure_weight,
            (
                f"{disclosed_posts} disclosed ad(s) against {undisclosed} confirmed undisclosed "
                f"ad(s): {disclosed_posts} / {sponsored} = {disclosure_value:.4f}"
                if sponsored
                else "no sponsored posts seen, so nothing went undisclosed: 1.0"
            ),
        ),
    ]
    # Contributions in whole hundredths (half up), so the score is their exact sum.
    cents = [_cents(value * weight) for _, value, weight, _ in parts]
    components = tuple(
        Component(name, round(value, 4), weight, (c / 100 if enough else None), why)
        for (name, value, weight, why), c in zip(parts, cents, strict=True)
    )
    if enough:
        score: float | None = sum(cents) / 100
        status = "scored"
        reason = f"score {score:.2f} from {posts} posts and {len(counted)} confirmed violation(s)"
    else:
        score = None
        status = "insufficient data"
        reason = (
            f"insufficient data: {posts} post(s) stored, at least {settings.min_posts} are needed "
            "before a score means anything"
        )
    return ScoreBreakdown(
        score=score,
        status=status,
        components=components,
        as_of=as_of,
        posts=posts,
        counted_violations=len(counted),
        ignored_overturned=overturned,
        reason=reason,
    )
