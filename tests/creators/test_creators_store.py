"""Profiles and scores from a real store filled by real `trustwatch scan --db` runs, on SQLite and
PostgreSQL, with reviewed decisions recorded the way the cases area records them."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cases_fixture import Reviews

from helpers import run_cli, write_jsonl
from trustwatch.creators import StoreCaseSource, load_profiles, profile_data
from trustwatch.creators.facts import open_engine

# tt:binh:6 was published 2026-10-10T10:00+07:00 = 03:00 UTC; 180 days (one half-life) later:
AS_OF = datetime(2027, 4, 8, 3, 0, tzinfo=UTC)
SCAM_TEXT = "Tuyển cộng tác viên làm nhiệm vụ thả tim, hoa hồng 30%, nạp trước 500k, liên hệ Zalo 0901234567"


def post(i: int, author: str, text: str, views: int | None, likes: int | None, comments: int = 3,
         shares: int = 1, day: int = 1, hashtags: list[str] | None = None, mcn: str | None = None) -> dict:
    metrics = {} if views is None else {"views": views, "likes": likes, "comments": comments, "shares": shares}
    return {
        "id": f"tt:{author}:{i}", "platform": "tiktok", "created_at": f"2026-10-{day:02d}T10:00:00+07:00",
        "author": {"id": f"user:{author}", "name": author.title(), "followers": 5000,
                   **({"mcn": mcn} if mcn else {}), "category": "food"},
        "text": text, "lang": "vi", "metrics": metrics, "hashtags": hashtags or [], "links": [],
    }


def dataset() -> list[dict]:
    rows = []
    # "an": 6 ordinary posts, one disclosed ad, one post without metrics
    for i in range(5):
        rows.append(post(i, "an", f"Hôm nay nấu canh chua cá lóc, công thức số {i}", 1000 * (i + 1), 50 * (i + 1), day=i + 1, mcn="Lotus"))
    rows.append(post(5, "an", "Hợp tác với Bếp Xanh: nồi chiên không dầu mới #hoptac", 4000, 200, day=8, hashtags=["hoptac"], mcn="Lotus"))
    rows.append(post(6, "an", "Chợ sáng nay đông quá", None, None, day=9, mcn="Lotus"))
    # "binh": 8 posts, two of them scam offers the scan flags
    for i in range(6):
        rows.append(post(i, "binh", f"Review quán phở gánh ở quận {i + 1}, ngon và rẻ", 2000, 100, day=i + 1))
    rows.append(post(6, "binh", SCAM_TEXT, 3000, 90, day=10))
    rows.append(post(7, "binh", SCAM_TEXT + " nhé", 3000, 90, day=11))
    # "cuc": too few posts for a score
    for i in range(3):
        rows.append(post(i, "cuc", f"Bánh flan nhà làm lần {i}", 500, 20, day=i + 1))
    return rows


@pytest.fixture(params=["sqlite", "postgresql"])
def scanned(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        db = str(tmp_path / "trustwatch.db")
    else:
        db = request.getfixturevalue("pg_server").create_database("creators")
    src = write_jsonl(tmp_path / "posts.jsonl", dataset())
    res = run_cli("scan", str(src), "--db", db, "--out", str(tmp_path / "results.jsonl"))
    assert res.returncode == 0, res.stderr
    flagged = {json.loads(line)["post_id"]: json.loads(line)["categories"] for line in (tmp_path / "results.jsonl").read_text().splitlines()}
    assert flagged["tt:binh:6"]["scam"] and flagged["tt:binh:7"]["scam"], "the test data must give unreviewed flags"
    return db


def test_profile_aggregates_from_the_store(scanned: str):
    profiles = {p.creator_id: p for p in load_profiles(scanned)}
    an = profiles["user:an"].as_dict()
    assert an["posts"] == 7 and an["mcn"] == "Lotus" and an["content_category"] == "food"
    views = sum(1000 * (i + 1) for i in range(5)) + 4000
    engaged = sum(50 * (i + 1) + 3 + 1 for i in range(5)) + 200 + 3 + 1
    assert an["reach"] == views and an["posts_with_views"] == 6  # the post without metrics is skipped
    assert an["engagement_rate"] == round(engaged / views, 6)
    assert an["disclosure"] == {"sponsored_posts": 1, "disclosed": 1, "confirmed_undisclosed": 0, "rate": 1.0}
    assert profiles["user:cuc"].score.score is None
    assert profiles["user:cuc"].score.status == "insufficient data"


def test_unreviewed_flags_show_but_do_not_count(scanned: str):
    binh = profile_data(scanned, "user:binh")
    assert binh["flagged_unreviewed"] == 2
    assert binh["score"] == 100.0 and binh["violations"]["confirmed"] == 0


def test_confirmed_violation_lowers_and_overturn_restores(scanned: str):
    reviews = Reviews(scanned)
    try:
        before = profile_data(scanned, "user:binh", as_of=AS_OF)["score"]
        case_id = reviews.confirm("tiktok", "tt:binh:6", "scam", severity="high")
        after = profile_data(scanned, "user:binh", as_of=AS_OF)
        # One high violation on a post published exactly one half-life before AS_OF, 8 posts:
        # d = 0.5, V = 3 · 0.5 = 1.5 → record 1 / (1 + 1.5/3) = 2/3 → 33.33;
        # D/N = 0.5/8 → rate 1 − 5 · 0.0625 = 0.6875 → 20.625 → 20.63; disclosure 1.0 → 20.00.
        assert after["violations"]["confirmed"] == 1
        assert {k: c["contribution"] for k, c in after["components"].items()} == {
            "record": 33.33, "violation_rate": 20.63, "disclosure": 20.0}
        assert after["score"] == 73.96 and round(before - after["score"], 2) == 26.04
        assert round(math.fsum(c["contribution"] for c in after["components"].values()), 2) == after["score"]

        reviews.notice("tiktok")
        assert profile_data(scanned, "user:binh")["notices"]["total"] >= 1

        reviews.overturn(case_id)
        restored = profile_data(scanned, "user:binh", as_of=AS_OF)
        assert restored["score"] == before
        assert restored["violations"] == {**restored["violations"], "confirmed": 0, "overturned": 1}
        assert restored["appeals"]["won"] == 1
    finally:
        reviews.close()


def test_store_source_reads_nothing_without_case_tables(db_url: str):
    db = db_url
    engine = open_engine(db)
    try:
        src = StoreCaseSource(engine)
        if not src.available:  # before the cases branch is merged, its tables are not in the schema
            assert src.violations() == [] and src.notices() == [] and src.appeals() == []
        else:
            assert src.violations() == []
    finally:
        engine.dispose()


def test_cli_lists_json_and_show(scanned: str, tmp_path: Path):
    res = run_cli("creators", "--all", "--json", "--db", scanned)
    assert res.returncode == 0, res.stderr
    rows = json.loads(res.stdout)
    by_id = {r["creator_id"]: r for r in rows}
    assert set(by_id) == {"user:an", "user:binh", "user:cuc"}
    for r in rows:
        assert {"creator_id", "platform", "score", "components"} <= set(r)
        assert set(r["components"]) == {"record", "violation_rate", "disclosure"}
        assert all({"value", "weight", "contribution"} <= set(c) for c in r["components"].values())
    assert by_id["user:cuc"]["score"] is None and rows[-1]["creator_id"] == "user:cuc"

    res = run_cli("creators", "--json", "--top", "1", "--db", scanned)
    top = json.loads(res.stdout)
    # an and binh tie at 100; an has fewer posts (7 < 8) so binh comes first, both rank 1
    assert [(r["rank"], r["creator_id"]) for r in top] == [(1, "user:binh")]

    res = run_cli("creators", "--json", "--by", "mcn", "--db", scanned)
    groups = {(r["group"], r["creator_id"]) for r in json.loads(res.stdout)}
    assert groups == {("Lotus", "user:an"), ("(none)", "user:binh")}

    res = run_cli("creators", "show", "user:an", "--db", scanned)
    assert res.returncode == 0 and "credibility: 100.00" in res.stdout and "disclosure" in res.stdout

    res = run_cli("creators", "show", "user:nobody", "--db", scanned)
    assert res.returncode == 2 and res.stderr.startswith("error: No creator 'user:nobody'")
    assert "Traceback" not in res.stderr


def test_as_of_is_respected(scanned: str):
    early = datetime(2020, 1, 1, tzinfo=UTC)
    reviews = Reviews(scanned)
    try:
        reviews.confirm("tiktok", "tt:binh:7", "scam")
    finally:
        reviews.close()
    # A decision taken after the date asked about is not part of the record as of that date.
    assert next(p for p in load_profiles(scanned, as_of=early) if p.creator_id == "user:binh").score.score == 100.0


def test_watchlist_from_reviewed_decisions(scanned: str):
    reviews = Reviews(scanned)
    try:
        reviews.confirm("tiktok", "tt:binh:6", "scam")
        reviews.confirm("tiktok", "tt:binh:7", "scam")
    finally:
        reviews.close()
    res = run_cli("creators", "--watchlist", "--json", "--db", scanned)
    assert res.returncode == 0, res.stderr
    watch = json.loads(res.stdout)
    assert [(w["rank"], w["creator_id"]) for w in watch] == [(1, "user:binh")]
    assert watch[0]["reasons"][0].startswith("2 confirmed violations in the last 365 days: 2 scam (high)")
    top = json.loads(run_cli("creators", "--json", "--db", scanned).stdout)
    assert [r["creator_id"] for r in top] == ["user:an"]  # a watched creator is never recognised
    res = run_cli("creators", "--watchlist", "--db", scanned)
    assert res.returncode == 0 and "Binh" in res.stdout


def test_bad_input_is_one_sentence(tmp_path: Path):
    res = run_cli("creators", "--by", "colour", "--db", str(tmp_path / "x.db"))
    assert res.returncode == 2 and res.stderr.startswith("error: --by 'colour' is not a grouping")
    res = run_cli("creators", "--db", str(tmp_path / "missing" / "x.db"))
    assert res.returncode == 2 and "does not exist" in " ".join(res.stderr.split()) and "Traceback" not in res.stderr
    bad = tmp_path / "not-a-db.db"
    bad.write_text("hello, I am not SQLite")
    res = run_cli("creators", "show", "user:x", "--db", str(bad))
    assert res.returncode == 2 and "Traceback" not in res.stderr


def test_odd_records_do_not_break_profiles(tmp_path: Path, db_url: str):
    # Metrics of the wrong type (the scan quarantines that record), no created_at, no author.
    rows = [post(i, "odd", f"Bài số {i}", 100, 5) for i in range(5)]
    rows[0]["metrics"] = {"views": "1200", "likes": -4, "comments": "many", "shares": 1.5}
    del rows[1]["created_at"]
    rows.append({"id": "tt:anon", "platform": "tiktok", "text": "không có tác giả"})
    db = db_url
    res = run_cli("scan", str(write_jsonl(tmp_path / "p.jsonl", rows)), "--db", db, "--out", str(tmp_path / "r.jsonl"))
    assert res.returncode == 0, res.stderr
    profiles = load_profiles(db)
    assert [p.creator_id for p in profiles] == ["user:odd"]
    odd = profiles[0].as_dict()
    assert odd["posts"] == 4 and odd["score"] is None and odd["first_post"] is not None
    assert odd["score_status"] == "insufficient data" and odd["reach"] == 400


def test_hostile_names_print_literally_in_the_terminal(tmp_path: Path, db_url: str) -> None:
    # Console markup and emoji codes in a creator's name are data: shown as written, never a crash.
    name = "[/bold] [red]Shop :id: [x]"
    posts = [{"id": f"h{i}", "platform": "facebook", "text": "Hôm nay trời đẹp.",
              "author": {"id": "acct:hostile", "name": name}, "metrics": {"views": 10, "likes": 1}}
             for i in range(6)]
    src = tmp_path / "p.jsonl"
    src.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in posts), encoding="utf-8")
    db = db_url
    assert run_cli("scan", str(src), "--db", db, "--out", str(tmp_path / "r.jsonl")).returncode == 0
    shown = run_cli("creators", "show", "acct:hostile", "--platform", "facebook", "--db", db)
    assert shown.returncode == 0, shown.stderr
    assert name in shown.stdout
