"""Posts in one near-duplicate cluster share one case: the sources index is the installed
`trustwatch.clusters` provider that `trustwatch cases open` uses."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import run_cli, write_jsonl

SCRIPT = ("Việc nhẹ lương cao tại nhà, làm nhiệm vụ like đơn hàng nhận hoa hồng 30% mỗi ngày, "
          "nạp trước 200k để kích hoạt tài khoản, liên hệ zalo {phone} ngay hôm nay")
OTHER = "Nhận xem bói tarot, giải hạn đầu năm, cắt duyên âm, chuyển khoản trước 500k/lần, inbox zalo 0987 654 321"


def post(i: int, text: str, author: str, when: str) -> dict:
    return {"id": f"fb:{i}", "platform": "facebook", "text": text, "created_at": when,
            "author": {"id": author, "name": author}, "metrics": {"views": 100 * i}}


def ok(*args: str) -> str:
    res = run_cli(*args)
    assert res.returncode == 0, f"{args}: {res.stderr}{res.stdout}"
    return res.stdout


def test_copies_in_one_cluster_share_a_case(db_url: str, tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "posts.jsonl", [
        post(1, SCRIPT.format(phone="0912 345 678"), "page:a", "2026-10-01T08:00:00+00:00"),
        post(2, SCRIPT.format(phone="0933 111 222") + " 🔥", "page:b", "2026-10-01T09:00:00+00:00"),
        post(3, OTHER, "page:c", "2026-10-02T08:00:00+00:00"),
    ])
    db = ("--db", db_url)
    ok("scan", str(src), "--out", str(tmp_path / "r.jsonl"), *db)
    clusters = json.loads(ok("sources", "--json", *db))
    family = next(c for c in clusters if "fb:1" in c["members"])
    assert sorted(family["members"]) == ["fb:1", "fb:2"]

    assert "2 case(s) opened" in ok("cases", "open", *db)
    cases = json.loads(ok("cases", "list", "--json", *db))
    by_posts = {tuple(sorted(p["post_id"] for p in json.loads(ok("cases", "show", str(c["id"]), *db))["posts"])): c for c in cases}
    assert set(by_posts) == {("fb:1", "fb:2"), ("fb:3",)}
    assert by_posts[("fb:1", "fb:2")]["cluster_key"] == f"cluster:{family['cluster_id']}"
