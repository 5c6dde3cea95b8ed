"""The credibility score against its documented formula, computed by hand in each test."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from trustwatch.creators import ConfirmedViolation, ScoreSettings, credibility
from trustwatch.creators.anomalies import find_anomalies, peer_baselines
from trustwatch.creators.facts import PostFact
from trustwatch.creators.lists import recognition, watchlist
from trustwatch.creators.profile import build_profile

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
KEY = ("tiktok", "user:lan")


def violation(days_ago: float = 0, severity: str = "high", category: str = "scam", overturned: bool = False,
              case_id: int = 1, key: tuple[str, str] = KEY) -> ConfirmedViolation:
    at = AS_OF - timedelta(days=days_ago)
    return ConfirmedViolation(key, key[0], f"tt:{case_id}", category, severity, at, overturned, case_id)


def sums_to_score(b) -> bool:
    return round(math.fsum(c.contribution for c in b.components), 2) == b.score


def test_clean_creator_scores_100_and_parts_add_up():
    b = credibility(posts=10, disclosed_posts=0, violations=[], as_of=AS_OF)
    assert b.score == 100.0 and b.status == "scored"
    assert {c.name: (c.value, c.weight, c.contribution) for c in b.components} == {
        "record": (1.0, 50.0, 50.0), "violation_rate": (1.0, 30.0, 30.0), "disclosure": (1.0, 20.0, 20.0)}
    assert sums_to_score(b)


def test_one_confirmed_high_violation_lowers_by_the_formula():
    before = credibility(10, 0, [], AS_OF).score
    after = credibility(10, 0, [violation()], AS_OF)
    # V = 3 · 1 = 3 → record 1/(1+3/3) = 0.5 → 25; D/N = 0.1 → rate 1 − 0.5 = 0.5 → 15; disclosure 20
    assert after.score == 60.0
    assert before - after.score == 40.0
    assert sums_to_score(after)


def test_recency_decay_halves_an_old_violation():
    b = credibility(10, 0, [violation(days_ago=180, severity="medium")], AS_OF)
    # d = 0.5; V = 2 · 0.5 = 1 → record 1/(1+1/3) = 0.75 → 37.5; D/N = 0.05 → 0.75 → 22.5
    assert b.score == 37.5 + 22.5 + 20.0
    comps = {c.name: c for c in b.components}
    assert comps["record"].value == 0.75 and comps["violation_rate"].value == 0.75
    assert sums_to_score(b)


def test_unconfirmed_flags_do_not_move_the_score():
    # Posts the latest scan flagged but nobody reviewed: the profile shows them, the score ignores them.
    clean = [fact(i) for i in range(6)]
    flagged = [fact(i, flagged=("scam", "gambling")) for i in range(6)]
    a = build_profile(KEY, clean, [], [], [], {}, AS_OF)
    b = build_profile(KEY, flagged, [], [], [], {}, AS_OF)
    assert b.flagged_unreviewed == 6 and a.flagged_unreviewed == 0
    assert a.score == b.score and b.score.score == 100.0


def test_overturned_decision_stops_counting_and_restores_the_score():
    base = credibility(8, 0, [], AS_OF).score
    confirmed = credibility(8, 0, [violation()], AS_OF)
    overturned = credibility(8, 0, [violation(overturned=True)], AS_OF)
    assert confirmed.score < base
    assert overturned.score == base and overturned.ignored_overturned == 1
    assert overturned.counted_violations == 0


def test_disclosure_component_counts_disclosed_against_confirmed_undisclosed():
    b = credibility(20, 3, [violation(category="undisclosed_ad", severity="medium")], AS_OF)
    comps = {c.name: c for c in b.components}
    assert comps["disclosure"].value == 0.75 and comps["disclosure"].contribution == 15.0
    # record: V = 2 → 1/(1+2/3) = 0.6 → 30; rate: 1/20 → 0.75 → 22.5
    assert b.score == 30.0 + 22.5 + 15.0
    assert sums_to_score(b)


def test_insufficient_data_gives_null_score_with_components_shown():
    b = credibility(4, 0, [violation()], AS_OF)
    assert b.score is None and b.status == "insufficient data"
    assert "4 post(s)" in b.reason
    assert all(c.contribution is None for c in b.components)
    assert credibility(5, 0, [], AS_OF).score == 100.0  # the minimum itself is enough


def test_zero_posts_and_future_decisions():
    assert credibility(0, 0, [violation()], AS_OF).score is None
    later = violation(days_ago=-3)  # decided after as_of: not part of the record as of then
    assert credibility(10, 0, [later], AS_OF).score == 100.0


@pytest.mark.parametrize("n_viol", [1, 2, 3, 7, 30])
@pytest.mark.parametrize("posts", [5, 13, 97])
def test_components_always_sum_to_the_score(n_viol, posts):
    vs = [violation(days_ago=17 * i, severity=("low", "medium", "high")[i % 3],
                    category=("scam", "undisclosed_ad")[i % 2], case_id=i) for i in range(n_viol)]
    b = credibility(posts, 2, vs, AS_OF)
    assert 0.0 <= b.score <= 100.0
    assert sums_to_score(b)


def test_settings_must_add_to_100():
    with pytest.raises(ValueError, match="add up to"):
        ScoreSettings(record_weight=60)


def fact(i: int, key=KEY, likes: int | None = 100, views: int | None = 1000, flagged=(), **kw) -> PostFact:
    return PostFact(
        platform=key[0], post_id=f"{key[0]}:{key[1]}:{i}", author_id=key[1], author_name=key[1],
        followers=None, mcn=kw.get("mcn"), created_at=AS_OF - timedelta(days=i), url=None,
        text=kw.get("text", "hello"), hashtags=(), links=(), shared_from=None,
        metrics={"views": views, "likes": likes, "comments": kw.get("comments"), "shares": None},
        content_category=kw.get("category"), flagged=flagged,
    )


def test_missing_metrics_give_null_rates_not_zero():
    posts = [fact(i, likes=None, views=None) for i in range(6)]
    p = build_profile(KEY, posts, [], [], [], {}, AS_OF)
    d = p.as_dict()
    assert d["reach"] is None and d["engagement_rate"] is None and d["posts_with_views"] == 0
    assert d["score"] == 100.0 and d["anomalies"] == []


def test_ties_share_a_rank_and_order_is_stable():
    profiles = [
        build_profile(("x", f"user:{n}"), [fact(i, key=("x", f"user:{n}")) for i in range(posts)], [], [], [], {}, AS_OF)
        for n, posts in (("b", 6), ("a", 6), ("c", 9), ("d", 3))
    ]
    top = recognition(profiles, AS_OF, top=10)["all"]
    assert [(r.rank, r.profile.creator_id) for r in top] == [(1, "user:c"), (1, "user:a"), (1, "user:b")]
    assert all(r.profile.score.score == 100.0 for r in top)  # user:d has too few posts to be scored


def test_watchlist_lists_repeat_violators_with_reasons_and_ignores_overturned():
    k1, k2 = ("x", "user:repeat"), ("x", "user:once")
    p1 = build_profile(k1, [fact(i, key=k1) for i in range(10)],
                       [violation(10, key=k1, case_id=1), violation(40, "medium", "gambling", key=k1, case_id=2),
                        violation(5, key=k1, case_id=3, overturned=True)], [], [], {}, AS_OF)
    p2 = build_profile(k2, [fact(i, key=k2) for i in range(10)],
                       [violation(3, key=k2, case_id=4), violation(4, key=k2, case_id=5, overturned=True)],
                       [], [], {}, AS_OF)
    wl = watchlist([p1, p2], AS_OF)
    assert [r.profile.creator_id for r in wl] == ["user:repeat"]
    assert "2 confirmed violations" in wl[0].reasons[0] and "1 scam (high)" in wl[0].reasons[0]
    assert "overturned on appeal, not counted" in wl[0].reasons[1]
    assert "user:repeat" not in [r.profile.creator_id for r in recognition([p1, p2], AS_OF)["all"]]


def test_anomaly_against_own_history_and_peers_is_explained():
    posts = [fact(i, likes=100 + i, views=2000 + 10 * i) for i in range(12)]
    posts.append(fact(99, likes=60_000, views=2100))
    peers = peer_baselines([fact(i, key=("tiktok", f"u{i}"), likes=100 + i, views=2000) for i in range(40)] + posts)
    found = find_anomalies(posts, peers)
    kinds = {(a.post_id, a.metric, a.basis) for a in found}
    assert ("tiktok:user:lan:99", "likes", "own_history") in kinds
    assert ("tiktok:user:lan:99", "likes/views", "peers") in kinds
    assert all(a.post_id.endswith(":99") for a in found)
    own = next(a for a in found if a.basis == "own_history")
    assert own.explanation.startswith("Post tiktok:user:lan:99 had 60,000 likes") and own.z > 3.5
