"""Throughput of `Store.save_results` (not a test; run by hand).

    PYTHONPATH=src .venv/bin/python tests/store/bench_store.py [N] [URL_OR_PATH]

Builds N posts with ~200-character Vietnamese text (10% with one finding, 5% with one image), then
times a first scan, an identical rescan, and a rescan where every post changed, in batches of 2,000
as the scanner sends them. CPU-second throughput is printed too: on a busy machine it is the
steadier figure (SQLite runs in-process, so it counts the database's work as well).
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from trustwatch.models import Author, Finding, Media, Post
from trustwatch.store import Store

BATCH = 2_000
PACKS = [
    {"id": "scam", "version": "1", "sha256": "a" * 64},
    {"id": "toxic", "version": "1", "sha256": "b" * 64},
]
WORDS = "xem bói giải hạn liên hệ inbox chuyển khoản giá rẻ uy tín hôm nay mọi người ơi 🔮 ✨"
VOCABULARY = WORDS.split(" ")


def make_rows(n: int, seed: int, suffix: str = "") -> list[tuple[Post, dict[str, Any]]]:
    rnd = random.Random(seed)
    rows = []
    for i in range(n):
        text = " ".join(rnd.choice(VOCABULARY) for _ in range(40))[:200] + suffix
        author = Author(
            id=f"page:{i % 5000}",
            name=f"Trang {i % 5000}",
            followers=(i % 5000) * 7,
            verified=i % 5000 < 100,
        )
        media = (Media("image", f"media/{i}.jpg"),) if i % 20 == 0 else ()
        post = Post(
            id=f"fb:{i}",
            platform="facebook",
            text=text,
            url=f"https://facebook.com/{i}",
            created_at="2026-05-01T10:00:00+07:00",
            lang="vi",
            author=author,
            media=media,
            metrics={"views": i, "likes": i % 100, "comments": 3, "shares": 1},
            raw={
                "id": f"fb:{i}",
                "platform": "facebook",
                "text": text,
                "author": {"id": author.id},
            },
        )
        flagged = i % 10 == 0
        found = (
            [
                Finding(
                    "scam", "lexicon", 0.9, "text", 0, 7, text[:7], "lexicon term 'xem bói'"
                ).as_dict()
            ]
            if flagged
            else []
        )
        rows.append(
            (
                post,
                {
                    "post_id": post.id,
                    "status": "ok",
                    "error": None,
                    "flagged": flagged,
                    "categories": {"scam": flagged, "toxic": False},
                    "category_scores": {"scam": 0.9 if flagged else 0.01, "toxic": 0.0},
                    "findings": found,
                },
            )
        )
    return rows


def timed_scan(store: Store, rows: list[tuple[Post, dict[str, Any]]]) -> tuple[float, float]:
    """(posts per wall-clock second, posts per CPU second of this process)."""
    run = store.begin_scan(["bench.jsonl"], PACKS, {})
    t, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(rows), BATCH):
        store.save_results(run, rows[i : i + BATCH])
    elapsed, cpu = time.perf_counter() - t, time.process_time() - cpu
    store.finish_scan(
        run,
        {
            "records_read": len(rows),
            "results_ok": len(rows),
            "quarantined": 0,
            "flagged": 0,
            "per_category": {},
            "seconds": elapsed,
            "posts_per_s": len(rows) / elapsed,
        },
    )
    return len(rows) / elapsed, len(rows) / cpu


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        target = sys.argv[2] if len(sys.argv) > 2 else str(Path(tmp) / "bench.db")
        store = Store.open(target)
        rows = make_rows(n, 1)
        for name, batch in (
            ("first scan", rows),
            ("same rescan", rows),
            ("changed rescan", make_rows(n, 1, " (sửa)")),
        ):
            wall, cpu = timed_scan(store, batch)
            print(f"{name:15s} {wall:>9,.0f} posts/s wall clock, {cpu:>9,.0f} posts per CPU second")
        print(store.counts())
        store.close()


if __name__ == "__main__":
    main()
