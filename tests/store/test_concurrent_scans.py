"""Two `trustwatch scan` processes writing to one database at once lose and duplicate nothing.

Both scans read overlapping inputs (the same post ids in both, some with changed content, plus
posts of their own, all by one pool of authors, with near-duplicate groups for the sources
index), are started together as real CLI processes, and their 1000-post batches interleave. The
database they leave must hold exactly what the same two scans leave when run one after the other
on a clean database: the same posts, versions, authors, findings per version and clusters, each
run's results exactly its own posts, and every uniqueness rule kept. Run on PostgreSQL (where the
store serializes batch writes with an advisory lock) and on SQLite (whose write lock and busy
timeout serialize them).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from helpers import TRUSTWATCH, write_jsonl
from pgserver import new_database

COMMON = 8000  # post ids in both inputs; every fifth has other content in the second
OWN = 6000  # posts only in one input
AUTHORS = 900  # one pool for both: both scans meet the same new authors
GROUPS = 150  # near-duplicate groups (each well under the index's bucket cap)

VI = (
    "hôm nay trời đẹp quá mọi người ơi mình vừa đi ăn phở ở quán quen gần nhà ngon lắm giá cũng "
    "hợp lý cuối tuần này cả nhà về quê thăm ông bà chụp được mấy tấm ảnh chia sẻ với công việc "
    "dạo bận rộn nhưng vui vì học hỏi nhiều điều mới đội bóng thắng trận tối qua"
)
HARMFUL = [
    "Nhận xem bói tarot, giải hạn đầu năm, inbox zalo 0912 345 678 phí 500k/lần",
    "Việc nhẹ lương cao, làm nhiệm vụ like đơn hàng nhận hoa hồng 30%, nạp trước 200k, liên hệ tele @job_vip88",
    "Nhà cái uy tín K8bet nạp đầu khuyến mãi 100%, soi cầu lô đề chuẩn, link đăng ký bit.ly/k8bet-vip",
    "Guaranteed 30% monthly returns on crypto, DM me on WhatsApp +1 415 555 0199 to start today",
]


WORDS = VI.split()


def _words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def _post(pid: str, i: int, body: str) -> dict[str, Any]:
    a = i % AUTHORS
    return {
        "id": pid,
        "platform": ("facebook", "tiktok", "youtube")[i % 3],
        "url": f"https://example.com/{pid}",
        "created_at": f"2026-10-{1 + i % 28:02d}T{i % 24:02d}:00:00+07:00",
        "author": {"id": f"acct:{a}", "name": f"Người viết {a}", "followers": a * 37},
        "text": body,
        "lang": "vi",
        "metrics": {"views": i % 997, "likes": i % 89},
    }


def inputs(folder: Path) -> tuple[Path, Path]:
    (folder / "concurrent.yaml").write_text(PACK, encoding="utf-8")
    rng = random.Random(20261126)
    templates = [_words(rng, 40) for _ in range(GROUPS)]

    def body(i: int) -> str:
        if i % 10 == 3:  # a near-duplicate: a template and one word of its own
            return f"{templates[i % GROUPS]} {rng.choice(WORDS)}"
        text_ = _words(rng, rng.randint(15, 45))
        return f"{text_}. {rng.choice(HARMFUL)}" if rng.random() < 0.08 else text_

    common = [_post(f"c:{i}", i, body(i)) for i in range(COMMON)]
    changed = {i: body(i + 7) + " đã sửa" for i in range(0, COMMON, 5)}  # never a template post
    first = common + [_post(f"a:{i}", i, body(i)) for i in range(OWN)]
    second = [dict(p, text=changed[i]) if i in changed else p for i, p in enumerate(common)]
    second += [_post(f"b:{i}", i + 1, body(i + 1)) for i in range(OWN)]
    rng.shuffle(first)  # the shared ids are spread over every batch of both scans
    rng.shuffle(second)
    return write_jsonl(folder / "first.jsonl", first), write_jsonl(folder / "second.jsonl", second)


# One cheap lexicon pack: detection costs little, so most of each scan's time is its batch writes,
# and the two scans' writes meet as often as they can.
PACK = """id: concurrent
title: Test pack
criterion: Posts selling fortune readings, fake jobs, betting or guaranteed returns.
severity: high
action: review
dsa: {category: STATEMENT_CATEGORY_SCAMS_AND_FRAUD}
signals: [{type: lexicon, group: g, terms: [xem bói, nạp trước, k8bet, whatsapp, giải hạn]}]
require: g
"""


def start_scan(src: Path, db: str) -> subprocess.Popen[str]:
    pack = src.parent / "concurrent.yaml"
    return subprocess.Popen(
        [str(TRUSTWATCH), "scan", str(src), "--db", db, "--out", str(src.with_suffix(".out")),
         "--no-media", "--policy", str(pack)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ, NO_COLOR="1"),
    )


def finish(proc: subprocess.Popen[str]) -> None:
    _out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, f"scan failed ({proc.returncode}):\n{err[-3000:]}"
    assert "deadlock" not in err.lower() and "unique" not in err.lower(), err[-3000:]


Q = {
    "posts": "SELECT platform, post_id, version FROM posts",
    "versions": (
        "SELECT p.post_id, v.version, v.content_hash FROM post_versions v "
        "JOIN posts p ON p.id = v.post_pk"
    ),
    "authors": "SELECT platform, author_id, name, followers FROM authors",
    "findings": (
        "SELECT p.post_id, v.content_hash, f.pack_fingerprint, f.category, f.signal, f.start, "
        "f.\"end\", f.excerpt FROM findings f JOIN post_versions v ON v.id = f.post_version_pk "
        "JOIN posts p ON p.id = v.post_pk"
    ),
    "results": (
        "SELECT r.inputs, p.post_id, v.content_hash, s.flagged FROM scan_results s "
        "JOIN scan_runs r ON r.id = s.run_id JOIN post_versions v ON v.id = s.post_version_pk "
        "JOIN posts p ON p.id = v.post_pk"
    ),
    "runs": "SELECT status, records_read, results_ok FROM scan_runs",
    "indexed": (
        "SELECT p.post_id, s.version = p.version, s.cluster_id FROM source_posts s "
        "JOIN posts p ON p.id = s.post_pk"
    ),
    "clusters": "SELECT id, size, reach, flagged FROM source_clusters",
    "members": (
        "SELECT s.cluster_id, count(*), sum(s.reach), "
        "sum(CASE WHEN s.flags <> '' THEN 1 ELSE 0 END) FROM source_posts s GROUP BY s.cluster_id"
    ),
    "bands": "SELECT key, post_pk, count(*) FROM source_bands GROUP BY key, post_pk HAVING count(*) > 1",
    "meta": "SELECT key FROM source_meta",
}


def snapshot(db: str) -> dict[str, list[tuple[Any, ...]]]:
    engine = create_engine(db)
    try:
        with engine.connect() as conn:
            out = {}
            for name, sql in Q.items():
                rows = []
                for row in conn.execute(text(sql)):
                    r = tuple(row)
                    if name == "results":  # the run, by its input file's name
                        inputs_ = r[0] if isinstance(r[0], list) else json.loads(r[0])
                        r = (Path(inputs_[0]).name, *r[1:])
                    rows.append(r)
                out[name] = rows
            return out
    finally:
        engine.dispose()


def partition(snap: dict[str, list[tuple[Any, ...]]]) -> set[frozenset[str]]:
    by_cluster: dict[int, set[str]] = {}
    for post_id, _current, cid in snap["indexed"]:
        by_cluster.setdefault(cid, set()).add(post_id)
    return {frozenset(m) for m in by_cluster.values()}


def result_ids(db: str) -> dict[str, tuple[int, int]]:
    """Each run's smallest and largest scan_results id (by input file name)."""
    engine = create_engine(db)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT r.inputs, min(s.id), max(s.id) FROM scan_results s "
                "JOIN scan_runs r ON r.id = s.run_id GROUP BY r.id, r.inputs"
            )).all()
    finally:
        engine.dispose()
    return {Path((i if isinstance(i, list) else json.loads(i))[0]).name: (lo, hi) for i, lo, hi in rows}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return inputs(tmp_path_factory.mktemp("concurrent"))


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_two_scans_at_once_lose_and_duplicate_nothing(
    kind: str, files: tuple[Path, Path], request: pytest.FixtureRequest
) -> None:
    first, second = files
    n_first = sum(1 for _ in first.open(encoding="utf-8"))
    n_second = sum(1 for _ in second.open(encoding="utf-8"))

    # The reference: the same two scans, one after the other, on a clean database.
    clean = new_database(request, kind, "concurrent_clean")
    finish(start_scan(first, clean))
    finish(start_scan(second, clean))
    want = snapshot(clean)

    both = new_database(request, kind, "concurrent_both")
    t0 = time.monotonic()
    procs = [start_scan(first, both), start_scan(second, both)]
    for p in procs:
        finish(p)
    took = time.monotonic() - t0
    got = snapshot(both)

    # The two scans really overlapped: each stored results while the other was storing.
    ids = result_ids(both)
    (a_lo, a_hi), (b_lo, b_hi) = ids["first.jsonl"], ids["second.jsonl"]
    assert a_lo < b_hi and b_lo < a_hi, f"the scans did not interleave ({ids}, {took:.1f} s)"

    # Posts, versions and authors: unique, and exactly the reference's.
    for name in ("posts", "versions", "authors"):
        assert len(got[name]) == len(set(got[name])), f"duplicate {name}"
    assert Counter(got["posts"]) == Counter(want["posts"])
    assert len(got["posts"]) == COMMON + 2 * OWN
    assert Counter((p, h) for p, _v, h in got["versions"]) == Counter(
        (p, h) for p, _v, h in want["versions"]
    )
    assert len(got["versions"]) == COMMON + 2 * OWN + len(range(0, COMMON, 5))
    versions: dict[str, list[int]] = {}
    for post_id, v, _h in got["versions"]:
        versions.setdefault(post_id, []).append(v)
    current = {post_id: v for _plat, post_id, v in got["posts"]}
    for post_id, vs in versions.items():  # versions 1..n, the post pointing at the newest
        assert sorted(vs) == list(range(1, len(vs) + 1)) and current[post_id] == len(vs), post_id
    assert Counter(got["authors"]) == Counter(want["authors"])
    assert len({(p, a) for p, a, *_ in got["authors"]}) == AUTHORS

    # Findings: one set per (version, packs), the same as the reference's (a version whose two
    # scans each saved its findings keeps one set, not two; none is lost).
    assert got["findings"], "the inputs must give findings"
    assert Counter(got["findings"]) == Counter(want["findings"])

    # Each run's results are exactly its own posts, once each.
    for name, n in (("first.jsonl", n_first), ("second.jsonl", n_second)):
        mine = [r[1:] for r in got["results"] if r[0] == name]
        assert len(mine) == n and len(set(mine)) == n, name
        assert Counter(mine) == Counter(r[1:] for r in want["results"] if r[0] == name)
    assert Counter(got["runs"]) == Counter(want["runs"]) == Counter(
        [("finished", n_first, n_first), ("finished", n_second, n_second)]
    )

    # The sources index: every post indexed once at its current version, the same clusters as
    # the reference, and each cluster's running totals equal to what its members add up to.
    assert len(got["indexed"]) == COMMON + 2 * OWN
    assert all(current_ok for _p, current_ok, _c in got["indexed"])
    assert partition(got) == partition(want)
    assert len(partition(got)) < len(got["indexed"]), "the inputs must give clusters"
    totals = {cid: (size, reach, flagged) for cid, size, reach, flagged in got["clusters"]}
    members = {cid: (n, int(reach), int(flagged)) for cid, n, reach, flagged in got["members"]}
    assert totals == members
    assert got["bands"] == [] and got["meta"] == [("lsh",)]
