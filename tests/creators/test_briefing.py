"""The monthly briefing from a real scanned store with reviewed decisions: figures and the HTML."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cases_fixture import Reviews

from helpers import run_cli, write_jsonl
from trustwatch.briefing import Period, briefing_data

NOW = datetime.now(UTC)
THIS = Period.parse(NOW.strftime("%Y-%m"))
PREV = THIS.previous()
GAMBLING = "Vào nhóm soi cầu lô đề hôm nay, nhà cái uy tín, nạp 100k tặng 200k, link ở bio"
SCAM = "Tuyển cộng tác viên làm nhiệm vụ thả tim, hoa hồng 30%, nạp trước 500k, liên hệ Zalo 0901234567"


def rec(i: int, author: str, text: str, month: Period, day: int = 1) -> dict:
    return {
        "id": f"fb:{author}:{i}", "platform": "facebook",
        "created_at": f"{month.label}-{day:02d}T01:00:00+00:00",
        "author": {"id": f"page:{author}", "name": author, "followers": 1000},
        "text": text, "metrics": {"views": 1000, "likes": 40, "comments": 2, "shares": 1},
    }


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    db = str(tmp_path / "t.db") if request.param == "sqlite" else request.getfixturevalue("pg_server").create_database("briefing")
    rows = [rec(i, "clean", f"Công thức bánh mì số {i}", THIS) for i in range(6)]
    rows += [rec(100 + i, "gambler", GAMBLING + f" #{i}", THIS) for i in range(3)]  # 3 this month
    rows += [rec(200, "gambler", GAMBLING, PREV, 15)]  # 1 last month
    rows += [rec(300 + i, "scammer", SCAM + f" lần {i}", THIS) for i in range(2)]
    res = run_cli("scan", str(write_jsonl(tmp_path / "p.jsonl", rows)), "--db", db, "--out", str(tmp_path / "r.jsonl"))
    assert res.returncode == 0, res.stderr
    reviews = Reviews(db)
    try:
        reviews.confirm("facebook", "fb:scammer:300", "scam")
        overturned = reviews.confirm("facebook", "fb:scammer:301", "scam")
        reviews.overturn(overturned)
    finally:
        reviews.close()
    return db


def test_briefing_figures(db: str):
    d = briefing_data(db, THIS.label)
    assert d["totals"]["posts"] == 11
    cats = {r["category"]: r for r in d["by_category"]}
    assert cats["gambling"]["flagged"] == 3 and cats["gambling"]["confirmed"] == 0
    assert cats["scam"]["flagged"] == 2 and cats["scam"]["confirmed"] == 1  # the overturned one does not count
    assert d["totals"]["overturned"] == 1
    growing = {(c["category"], c["phrase"]): c for c in d["clusters"]}
    soi_cau = growing[("gambling", "soi cầu")]
    assert (soi_cau["last_month"], soi_cau["this_month"], soi_cau["growth"]) == (1, 3, 2)
    assert all(c["category"] != "scam" or c["last_month"] == 0 for c in d["clusters"])
    wordings = {(w["category"], w["wording"]) for w in d["new_wordings"]}
    assert wordings and all(cat == "scam" for cat, _ in wordings)  # only the confirmed case's evidence
    assert [r["creator_id"] for r in d["recognised"]] == ["page:clean"]
    last = briefing_data(db, PREV.label)
    assert last["totals"]["posts"] == 1 and last["totals"]["confirmed"] == 0


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_briefing_html_is_self_contained(db: str, tmp_path: Path, lang: str):
    out = tmp_path / f"b-{lang}.html"
    res = run_cli("briefing", "--period", THIS.label, "--lang", lang, "--db", db, "--out", str(out))
    assert res.returncode == 0, res.stderr
    html = out.read_text(encoding="utf-8")
    assert f'<html lang="{lang}">' in html
    assert ("Bản tin tháng" if lang == "vi" else "Monthly briefing") in html
    assert len(re.findall(r'<img src="data:image/svg\+xml;base64,', html)) == 2
    assert not re.search(r'(src|href)="(https?:)?//', html) and "<script" not in html and "<link" not in html
    assert "soi cầu" in html and ">clean<" in html
    reason = "6 bài đăng; không có vi phạm nào được xác nhận" if lang == "vi" else "6 posts; no confirmed violations"
    assert reason in html


def test_bad_period_and_language(tmp_path: Path):
    res = run_cli("briefing", "--period", "2026-13", "--db", str(tmp_path / "x.db"))
    assert res.returncode == 2 and "error: The period '2026-13' is not a month" in res.stderr
    res = run_cli("briefing", "--period", "2026-10", "--lang", "fr", "--db", str(tmp_path / "x.db"))
    assert res.returncode == 2 and "not supported" in res.stderr
