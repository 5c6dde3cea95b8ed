"""Engagement far outside what a creator and its peers usually get: possible bought engagement.

Robust statistics on a log scale, so one viral post does not hide another and a creator with
millions of views is compared with itself, not with a small account:

- **own history**: log(1 + likes|comments|views|shares) of a post against the median and MAD of the
  same creator's *other* posts (at least `MIN_OWN` of them);
- **peers**: the ratio of likes, comments or shares to views, log(1 + x) − log(1 + views), against
  every stored post on the same platform (at least `MIN_PEERS` posts with views).

A post is an anomaly when its robust z-score, (x − median) / (1.4826 · MAD), exceeds `Z_LIMIT` (3.5,
the usual outlier cut for the modified z-score) on the high side. The scale has a floor (`MIN_SIGMA`)
so a creator whose posts all score the same is not flagged for a tiny change. Anomalies are shown to
a person with a sentence each; they never change the credibility score, which counts only reviewed
violations.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

from .facts import METRICS, PostFact

Z_LIMIT = 3.5
MIN_OWN = 5
MIN_PEERS = 20
LOO_LIMIT = 200
MIN_SIGMA = 0.1  # in natural-log units: about ±10 %
RATIO_METRICS = ("likes", "comments", "shares")


@dataclass(frozen=True, slots=True)
class Anomaly:
    platform: str
    post_id: str
    metric: str  # e.g. "likes" (own history) or "likes/views" (peers)
    basis: str  # own_history | peers
    value: float
    median: float
    z: float
    n: int  # how many posts the baseline was measured on
    explanation: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Baseline:
    median: float  # on the log scale
    sigma: float
    n: int

    @classmethod
    def of(cls, xs: Sequence[float]) -> Baseline:
        med = statistics.median(xs)
        mad = statistics.median(abs(x - med) for x in xs)
        return cls(med, max(1.4826 * mad, MIN_SIGMA), len(xs))

    def z(self, x: float) -> float:
        return (x - self.median) / self.sigma


def _log(v: int) -> float:
    return math.log1p(v)


def _ratio(post: PostFact, metric: str) -> float | None:
    views, m = post.metric("views"), post.metric(metric)
    if not views or m is None:
        return None
    return _log(m) - _log(views)


def peer_baselines(posts: Iterable[PostFact]) -> dict[tuple[str, str], Baseline]:
    """(platform, metric) -> baseline of the log ratio metric/views over every post with views."""
    values: dict[tuple[str, str], list[float]] = {}
    for p in posts:
        for m in RATIO_METRICS:
            r = _ratio(p, m)
            if r is not None:
                values.setdefault((p.platform, m), []).append(r)
    return {k: Baseline.of(v) for k, v in values.items() if len(v) >= MIN_PEERS}


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if v >= 100 else f"{v:,.1f}"


def find_anomalies(
    posts: Sequence[PostFact], peers: dict[tuple[str, str], Baseline]
) -> list[Anomaly]:
    """The anomalies among one creator's posts, strongest first."""
    found: list[Anomaly] = []
    for metric in METRICS:
        have = [(p, v) for p in posts if (v := p.metric(metric)) is not None]
        if len(have) <= MIN_OWN:
            continue
        # Leave-one-out (a post is not its own baseline) while that is cheap; past LOO_LIMIT posts
        # one post moves the median and MAD too little to matter, so one baseline serves all.
        shared = Baseline.of([_log(v) for _, v in have]) if len(have) > LOO_LIMIT else None
        for i, (post, value) in enumerate(have):
            base = shared or Baseline.of([_log(v) for j, (_, v) in enumerate(have) if j != i])
            x = _log(value)
            z = base.z(x)
            if z <= Z_LIMIT:
                continue
            median = math.expm1(base.median)
            times = (value + 1) / (median + 1)
            found.append(
                Anomaly(
                    post.platform, post.post_id, metric, "own_history", float(value), median,
                    round(z, 2), base.n,
                    f"Post {post.post_id} had {_fmt(value)} {metric}, {times:,.1f}× this creator's "
                    f"median of {_fmt(median)} over {base.n} other posts (robust z {z:.1f} on a log "
                    f"scale, limit {Z_LIMIT}): possibly bought {metric}; a person should check.",
                )
            )
    for post in posts:
        for metric in RATIO_METRICS:
            base = peers.get((post.platform, metric))
            r = _ratio(post, metric)
            if base is None or r is None:
                continue
            z = base.z(r)
            if z <= Z_LIMIT:
                continue
            rate = (post.metric(metric) or 0) / (post.metric("views") or 1)
            peer_rate = math.exp(base.median)
            found.append(
                Anomaly(
                    post.platform, post.post_id, f"{metric}/views", "peers", round(rate, 6),
                    round(peer_rate, 6), round(z, 2), base.n,
                    f"Post {post.post_id} got {metric} from {rate:.1%} of its viewers, against a "
                    f"median of {peer_rate:.1%} over {base.n} {post.platform or 'unknown-platform'} "
                    f"posts (robust z {z:.1f} on a log scale, limit {Z_LIMIT}): {metric} out of "
                    "proportion to views can mean bought engagement; a person should check.",
                )
            )
    return sorted(found, key=lambda a: -a.z)
