"""Campaign reports on the bundled examples: the CSV figures read back and checked against the
posts themselves (an independent count in this file), the charts checked as real images."""

from __future__ import annotations

import csv
import re
import struct
import unicodedata
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from helpers import REPO, load_jsonl, run_cli
from trustwatch.campaigns import CampaignError, load_campaign, load_campaigns

CAMPAIGNS = REPO / "examples" / "campaigns"
POSTS = [REPO / "examples" / "posts.jsonl", REPO / "examples" / "campaign_posts.jsonl"]
SPEC = yaml.safe_load((CAMPAIGNS / "canh-giac-lua-dao.yaml").read_text(encoding="utf-8"))
VN = timezone(timedelta(hours=7))


def plain(s: str) -> str:
    s = unicodedata.normalize("NFD", s.lower().replace("đ", "d"))
    return "".join(c for c in s if not unicodedata.combining(c))


def url_key(u: str) -> str:
    u = re.sub(r"^https?://", "", u.strip()).split("#")[0].split("?")[0]
    return u.removeprefix("www.").rstrip("/")


def expected_posts() -> list[dict]:
    """The campaign's posts, found by reading the example files directly."""
    start = datetime.fromisoformat(str(SPEC["window"]["start"])).replace(tzinfo=VN)
    end = datetime.fromisoformat(str(SPEC["window"]["end"])).replace(tzinfo=VN) + timedelta(days=1)
    tags = {plain(t) for t in SPEC["hashtags"]}
    keywords = [plain(k) for k in SPEC["keywords"]]
    seeds = {url_key(u): u for u in SPEC["seed_urls"]}
    out = []
    for path in POSTS:
        for r in load_jsonl(path):
            when = datetime.fromisoformat(r["created_at"])
            if not start <= when < end:
                continue
            text = plain(r["text"])
            post_tags = {plain(t) for t in r.get("hashtags", [])} | set(re.findall(r"#(\w+)", text))
            articles = [seeds[url_key(u)] for u in r.get("links", []) if url_key(u) in seeds]
            if post_tags & tags or any(k in text for k in keywords) or articles:
                out.append(r | {"_day": when.astimezone(VN).date().isoformat(), "_articles": articles})
    return out


def m(r: dict, k: str) -> int:
    return int((r.get("metrics") or {}).get(k) or 0)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    return struct.unpack(">II", head[16:24])


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory, module_db_url: str) -> str:
    db = module_db_url  # a database of each kind: the module's tests run on both
    res = run_cli("scan", *map(str, POSTS), "--db", db,
                  "--out", str(tmp_path_factory.mktemp("campaign") / "results.jsonl"))
    assert res.returncode == 0, res.stderr
    return db


def test_report_csv_matches_the_posts(scanned: str, tmp_path: Path):
    out = tmp_path / "report"
    res = run_cli("campaigns", "report", "canh-giac-lua-dao", "--campaigns", str(CAMPAIGNS), "--db", scanned,
                  "--out", str(out))
    assert res.returncode == 0, res.stderr
    posts = expected_posts()
    assert len(posts) > 40  # the bundled campaign posts and some of examples/posts.jsonl

    # posts.csv: exactly the campaign's posts
    listed = read_csv(out / "posts.csv")
    assert sorted(r["post_id"] for r in listed) == sorted(str(p["id"]) for p in posts)
    assert "tt:cg900" not in {r["post_id"] for r in listed}  # after the window
    assert "tt:cg901" not in {r["post_id"] for r in listed}  # in the window, off-topic
    assert {"fb:100008", "fb:100212"} <= {r["post_id"] for r in listed}  # keyword matches in posts.jsonl

    # daily.csv: every figure of every day, and the running totals
    daily = {r["date"]: r for r in read_csv(out / "daily.csv")}
    by_day: dict[str, list[dict]] = defaultdict(list)
    for p in posts:
        by_day[p["_day"]].append(p)
    for day, rows in by_day.items():
        d = daily[day]
        assert int(d["posts"]) == len(rows)
        assert int(d["creators"]) == len({(p["platform"], p["author"]["id"]) for p in rows})
        for k in ("views", "likes", "comments", "shares"):
            assert int(d[k]) == sum(m(p, k) for p in rows), (day, k)
    assert all(int(d["posts"]) == 0 for day, d in daily.items() if day not in by_day)
    assert int(list(daily.values())[-1]["cumulative_views"]) == sum(m(p, "views") for p in posts)
    assert list(daily) == sorted(daily)

    # contributors.csv: views and posts per creator, largest first
    per_creator: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for p in posts:
        per_creator[(p["platform"], p["author"]["id"])].append(p)
    contributors = read_csv(out / "contributors.csv")
    assert len(contributors) == min(10, len(per_creator))
    for c in contributors:
        rows = per_creator[(c["platform"], c["creator_id"])]
        assert int(c["posts"]) == len(rows) and int(c["views"]) == sum(m(p, "views") for p in rows)
    views = [int(c["views"]) for c in contributors]
    assert views == sorted(views, reverse=True)
    assert views[0] == max(sum(m(p, "views") for p in rows) for rows in per_creator.values())

    # platforms.csv and articles.csv
    for r in read_csv(out / "platforms.csv"):
        rows = [p for p in posts if p["platform"] == r["platform"]]
        assert int(r["posts"]) == len(rows) and int(r["views"]) == sum(m(p, "views") for p in rows)
    articles = {r["url"]: r for r in read_csv(out / "articles.csv")}
    assert set(articles) == set(SPEC["seed_urls"])
    for url, r in articles.items():
        rows = [p for p in posts if url in p["_articles"]]
        assert rows, "each seed article is shared in the examples"
        assert int(r["posts"]) == len(rows)
        assert int(r["views"]) == sum(m(p, "views") for p in rows)
        assert int(r["shares"]) == sum(m(p, "shares") for p in rows)

    # the charts: real PNG images of a readable size
    for name in ("reach_over_time", "top_contributors", "platforms", "articles"):
        w, h = png_size(out / f"{name}.png")
        assert w >= 800 and h >= 200, (name, w, h)
        assert (out / f"{name}.png").stat().st_size > 15_000
    index = (out / "index.html").read_text(encoding="utf-8")
    assert index.count('<img src="data:image/png;base64,') == 4 and "<script" not in index


def test_report_on_postgresql_as_svg(pg_server, tmp_path: Path):
    db = pg_server.create_database("campaigns")
    res = run_cli("scan", str(POSTS[1]), "--db", db, "--out", str(tmp_path / "r.jsonl"))
    assert res.returncode == 0, res.stderr
    out = tmp_path / "svg"
    res = run_cli("campaigns", "report", str(CAMPAIGNS / "canh-giac-lua-dao.yaml"), "--db", db, "--out", str(out),
                  "--format", "svg")
    assert res.returncode == 0, res.stderr
    svg = (out / "reach_over_time.svg").read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    only_bundled = [p for p in expected_posts() if str(p["id"]).split(":")[1].startswith("cg")]
    assert len(read_csv(out / "posts.csv")) == len(only_bundled)
    assert sum(int(r["views"]) for r in read_csv(out / "daily.csv")) == sum(m(p, "views") for p in only_bundled)


def test_empty_database_gives_empty_report(tmp_path: Path, db_url: str):
    db = db_url
    out = tmp_path / "rep"
    res = run_cli("campaigns", "report", "canh-giac-lua-dao", "-c", str(CAMPAIGNS), "--db", db, "--out", str(out))
    assert res.returncode == 0, res.stderr
    assert "0 posts" in res.stdout
    assert read_csv(out / "daily.csv") == [] and not list(out.glob("*.png"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"id": "Bad Id!"}, ":id: 'Bad Id!' is not a campaign id"),
        ({"window": {"start": "2026-11-30", "end": "2026-10-01"}}, ":window: the window ends"),
        ({"window": {"start": "soon", "end": "2026-10-01"}}, ":window.start: 'soon' is not a date; write it as YYYY-MM-DD"),
        ({"timezone": "Hanoi"}, ":timezone: 'Hanoi' is not a UTC offset; write it as +07:00"),
        ({"seed_urls": ["tintuc.example.vn/a"]}, ":seed_urls: 'tintuc.example.vn/a' is not an absolute URL"),
        ({"hashtags": [], "keywords": [], "seed_urls": []}, "no post can match it; add at least one"),
        ({"colour": "red"}, ":colour: Extra inputs are not permitted"),
    ],
)
def test_spec_errors_name_the_file_field_and_fix(tmp_path: Path, change: dict, message: str):
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(SPEC | change, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CampaignError) as err:
        load_campaign(path)
    assert any(e.startswith(f"{path}:") and message in e and ";" in e for e in err.value.errors), err.value.errors


def test_check_command_and_duplicate_ids(tmp_path: Path):
    res = run_cli("campaigns", "check", str(CAMPAIGNS))
    assert res.returncode == 0 and res.stdout.startswith("ok ")
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(SPEC, allow_unicode=True), encoding="utf-8")
    (tmp_path / "b.yaml").write_text(yaml.safe_dump(SPEC, allow_unicode=True), encoding="utf-8")
    (tmp_path / "c.yaml").write_text("id: [unclosed", encoding="utf-8")
    with pytest.raises(CampaignError) as err:
        load_campaigns([tmp_path])
    assert any("is already the id of" in e for e in err.value.errors)
    assert any("the YAML cannot be read" in e for e in err.value.errors)
    res = run_cli("campaigns", "check", str(tmp_path))
    assert res.returncode == 2 and "Traceback" not in res.stderr and "c.yaml" in res.stderr
    res = run_cli("campaigns", "report", "nope", "-c", str(CAMPAIGNS), "--db", str(tmp_path / "x.db"))
    assert res.returncode == 2 and "No campaign 'nope'" in res.stderr


def test_creator_profile_lists_campaign_contributions(scanned: str):
    import json

    res = run_cli("creators", "show", "user:linh.review", "--json", "-c", str(CAMPAIGNS), "--db", scanned)
    assert res.returncode == 0, res.stderr
    contribution = json.loads(res.stdout)["campaigns"]
    mine = [p for p in expected_posts() if p["author"]["id"] == "user:linh.review"]
    assert contribution == [{"id": "canh-giac-lua-dao", "name": SPEC["name"], "posts": len(mine),
                             "views": sum(m(p, "views") for p in mine)}]
