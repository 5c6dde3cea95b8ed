"""The sources index on a real SQLite file and a real PostgreSQL server: planted families of
reposted content are found with the right earliest post, unrelated posts on the same topic stay
apart, the index grows scan after scan, and the CLI shows it."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, select
from tests.helpers import run_cli, write_jsonl

from trustwatch.dedupe import SourceIndex, SourcesError, cluster, list_clusters
from trustwatch.dedupe.core import MemoryIndex
from trustwatch.dedupe.index import bands_t, clusters_t, meta_t, sp_t
from trustwatch.dedupe.minhash import LshParams, MinHasher, shingle_sets
from trustwatch.pipeline import run_scan
from trustwatch.store import Store

AD = ("Nhận xem bói tarot, giải hạn đầu năm, cắt duyên âm cho người hay gặp xui xẻo, thầy có 20 năm "
      "kinh nghiệm, inbox zalo 0912 345 678 để được tư vấn miễn phí, phí chỉ 500k một lần")
JOB = ("Tuyển cộng tác viên làm việc tại nhà, chỉ cần điện thoại, mỗi ngày làm nhiệm vụ like sản phẩm "
       "nhận hoa hồng 30%, nạp trước 200k để kích hoạt tài khoản, liên hệ telegram @job_vip88 ngay")
PDQ_A = "".join(random.Random(3).choice("0123456789abcdef") for _ in range(64))


def flip(hexd: str, bits: list[int]) -> str:
    v = int(hexd, 16)
    for b in bits:
        v ^= 1 << b
    return f"{v:064x}"


def post(pid: str, text: str, created: str, author: str, platform: str = "facebook", **extra: Any) -> dict[str, Any]:
    return {"id": pid, "platform": platform, "text": text, "created_at": created,
            "author": {"id": author, "followers": extra.pop("followers", 5000)},
            "metrics": extra.pop("metrics", {"views": 100, "likes": 10, "comments": 1, "shares": 2}), **extra}


def planted() -> list[dict[str, Any]]:
    """Posts in ingestion order; the earliest copy of family A is ingested third."""
    return [
        post("a2", AD.replace("0912 345 678", "0988 111 222"), "2026-05-01T09:00:00+07:00", "p:2"),  # changed phone
        post("a3", "🔮🔮 " + AD.replace("giải hạn", "giải 🔥 hạn") + " ✨✨", "2026-05-01T10:00:00+07:00", "p:3", platform="tiktok"),  # emoji
        post("a1", AD, "2026-05-01T08:00:00+07:00", "p:1"),  # the source
        post("a4", AD.replace("cho người hay", "cho ai hay").replace("tư vấn miễn phí", "tư vấn free")
             .replace("inbox", "ib"), "2026-05-02T08:00:00+07:00", "p:4"),  # reworded (+ teencode)
        post("a5", "Tarot readings and bad-luck removal for the new year, master with 20 years of experience, "
             "message Zalo 0912 345 678, only 500k per session", "2026-05-03T08:00:00+07:00", "p:5",
             platform="instagram", media=[{"type": "image", "path": "a5.jpg"}]),  # translated; same image
        post("b1", JOB, "2026-06-01T12:00:00+00:00", "q:1", platform="x"),
        post("b2", JOB.upper(), "2026-06-01T12:00:00+00:00", "q:2", platform="x"),  # same time: ingestion order decides
        post("b3", JOB, "2026-06-02T12:00:00+00:00", "q:3", platform="x", shared_from="b1"),
        post("b4", "Chia sẻ cho ai cần: " + JOB, "2026-06-03T12:00:00+00:00", "q:4", platform="facebook"),
        # Same topic as family A, written independently: must stay apart.
        post("u1", "Thầy Minh chuyên xem tử vi trọn đời, xem ngày cưới hỏi, làm lễ giải hạn sao Thái Bạch, "
             "liên hệ 0903 555 777, phí tùy tâm", "2026-05-01T08:30:00+07:00", "r:1"),
        post("u2", "Cô Lan nhận xem bói bài tây và tarot online qua video call, đoán tình duyên sự nghiệp chính xác, "
             "chuyển khoản trước 300k, inbox page", "2026-05-01T08:40:00+07:00", "r:2"),
        post("u3", "Cảnh báo: nhiều trang giả danh thầy bói nhận giải hạn, cắt duyên âm rồi chiếm đoạt tiền, "
             "mọi người đừng chuyển khoản", "2026-05-01T09:40:00+07:00", "r:3"),
    ]


def scan(tmp_path: Path, db: str, records: list[dict[str, Any]], name: str = "posts.jsonl", **kw: Any) -> None:
    path = write_jsonl(tmp_path / name, records)
    run_scan([str(path)], db=db, out=str(tmp_path / f"{name}.results.jsonl"), **kw)


def by_members(clusters: list[dict[str, Any]]) -> dict[frozenset[str], dict[str, Any]]:
    return {frozenset(c["members"]): c for c in clusters}


def test_planted_families_are_found_with_their_earliest_post(tmp_path: Path, db_url: str) -> None:
    scan(tmp_path, db_url, planted())
    with Store.open(db_url) as store:
        index = SourceIndex(store)
        found = by_members(list_clusters(index, top=50))
        # Text alone: phone changed, emoji added, reworded copies join; the translation does not.
        assert frozenset({"a1", "a2", "a3", "a4"}) in found
        assert frozenset({"b1", "b2", "b3", "b4"}) in found
        fam_a = found[frozenset({"a1", "a2", "a3", "a4"})]
        assert fam_a["earliest_post_id"] == "a1"  # by created_at, though ingested third
        assert fam_a["platforms"] == ["facebook", "tiktok"]
        assert fam_a["reach"] == 4 * 113 and fam_a["metrics"]["views"] == 400
        assert fam_a["suggested_for_review"] and "superstition_service" in fam_a["flagged_categories"]
        assert found[frozenset({"b1", "b2", "b3", "b4"})]["earliest_post_id"] == "b1"  # tie: ingestion order
        # Same topic, not the same text: every u-post is alone (not listed), none joined family A.
        assert not any(m & {"u1", "u2", "u3"} for m in found)

        # The translated caption carries the same image: its PDQ hash (a few bits off) joins it.
        stats = index.add_image_hashes([
            (("facebook", "a1"), PDQ_A, 100, "image:0"),
            (("instagram", "a5"), flip(PDQ_A, [0, 17, 90, 200, 255]), 90, "image:0"),
            (("facebook", "u1"), flip(PDQ_A, list(range(0, 256, 4))), 90, "image:0"),  # 64 bits off
            (("facebook", "nope"), PDQ_A),
            (("facebook", "u2"), "not-a-hash"),
        ])
        assert stats == {"added": 3, "already_present": 0, "skipped_not_indexed": 1, "bad_hash": 1, "joined": 1}
        again = index.add_image_hashes([(("facebook", "a1"), PDQ_A, 100, "image:0")])
        assert again["added"] == 0 and again["already_present"] == 1  # adding the same hash again adds nothing
        found = by_members(list_clusters(index, top=50))
        fam_a = found[frozenset({"a1", "a2", "a3", "a4", "a5"})]
        assert fam_a["earliest_post_id"] == "a1" and "instagram" in fam_a["platforms"]

        tree = {n["post_id"]: n for n in cluster(index, fam_a["cluster_id"])["spread_tree"]}
        assert tree["a1"]["parent_kind"] == "root"
        assert tree["a2"]["parent"] == "a1" and tree["a2"]["parent_kind"] == "inferred"
        assert tree["a5"]["parent_kind"] == "inferred"  # joined by image: no shared text
        b = cluster(index, found[frozenset({"b1", "b2", "b3", "b4"})]["cluster_id"])
        btree = {n["post_id"]: n for n in b["spread_tree"]}
        assert btree["b3"] == btree["b3"] | {"parent": "b1", "parent_kind": "shared_from"}
        assert btree["b4"]["parent_kind"] == "inferred" and btree["b4"]["similarity"] > 0.6
        assert [g["posts"] for g in b["growth"]] == [2, 1, 1]
        assert b["growth"][-1]["posts_total"] == 4


def test_the_index_grows_incrementally_and_matches_a_rebuild(tmp_path: Path, db_url: str) -> None:
    posts = planted()
    scan(tmp_path, db_url, posts[:4], "first.jsonl")
    with Store.open(db_url) as store:
        with store._read("t") as conn:
            first_bands = conn.execute(select(func.count()).select_from(bands_t)).scalar_one()
            params = conn.execute(select(meta_t.c.value)).scalar_one()
        a_cluster = list_clusters(SourceIndex(store))[0]
        assert set(a_cluster["members"]) == {"a1", "a2", "a3", "a4"}
    scan(tmp_path, db_url, posts[4:] + [post("a6", AD + " 🙏", "2026-04-30T08:00:00+07:00", "p:6")], "second.jsonl")
    with Store.open(db_url) as store:
        index = SourceIndex(store)
        with store._read("t") as conn:
            assert conn.execute(select(func.count()).select_from(bands_t)).scalar_one() > first_bands
            assert conn.execute(select(meta_t.c.value)).scalar_one() == params  # not rebuilt
        found = by_members(list_clusters(index))
        grown = found[frozenset({"a1", "a2", "a3", "a4", "a6"})]
        assert grown["cluster_id"] == a_cluster["cluster_id"]  # the same cluster, updated
        assert grown["earliest_post_id"] == "a6"  # an earlier copy arrived later
        incremental = {frozenset(c["members"]) for c in list_clusters(index, top=100, min_size=1)}
        index.rebuild()
        assert {frozenset(c["members"]) for c in list_clusters(index, top=100, min_size=1)} == incremental
        # Totals kept up to date incrementally equal what the members add up to.
        with store._read("t") as conn:
            rows = conn.execute(select(clusters_t.c.id, clusters_t.c.size)).all()
            sizes = dict(conn.execute(select(sp_t.c.cluster_id, func.count()).group_by(sp_t.c.cluster_id)).all())
        assert {cid: size for cid, size in rows} == sizes


def test_rescanning_updates_reach_and_scan_can_skip_the_index(tmp_path: Path, db_url: str) -> None:
    posts = planted()
    scan(tmp_path, db_url, posts, "one.jsonl")
    posts[2]["metrics"] = {"views": 10_000}
    scan(tmp_path, db_url, posts, "two.jsonl")
    with Store.open(db_url) as store:
        fam = by_members(list_clusters(SourceIndex(store)))[frozenset({"a1", "a2", "a3", "a4"})]
        assert fam["reach"] == 3 * 113 + 10_000
    extra = [post("a9", AD + " nhé", "2026-05-05T08:00:00+07:00", "p:9")]
    scan(tmp_path, db_url, extra, "three.jsonl", index_sources=False)
    with Store.open(db_url) as store:
        with store._read("t") as conn:
            assert conn.execute(select(func.count()).select_from(sp_t)).scalar_one() == len(posts)
        index = SourceIndex(store)
        assert index.index_pending()["indexed"] == 1
        assert frozenset({"a1", "a2", "a3", "a4", "a9"}) in by_members(list_clusters(index))


def test_coordinated_burst_is_marked_with_evidence(tmp_path: Path, db_url: str) -> None:
    burst = [post(f"c{i}", JOB.replace("telegram", "tele"), f"2026-07-01T10:{i * 3:02d}:00+00:00", f"new:{i}",
                  followers=12) for i in range(6)]
    slow = [post(f"s{i}", AD.replace("tarot", "bài"), f"2026-07-{i + 1:02d}T10:00:00+00:00", f"old:{i}") for i in range(6)]
    scan(tmp_path, db_url, burst + slow)
    with Store.open(db_url) as store:
        found = by_members(list_clusters(SourceIndex(store), window_minutes=30, min_accounts=5))
        co = found[frozenset(f"c{i}" for i in range(6))]["coordinated"]
        assert co["likely"] and co["burst_accounts"] == 6
        ev = co["evidence"]
        assert ev["burst_size"] == 6 and sorted(ev["accounts"]) == [f"new:{i}" for i in range(6)]
        assert ev["start"].startswith("2026-07-01T10:00") and ev["end"].startswith("2026-07-01T10:15")
        assert sorted(ev["low_activity_accounts"]) == sorted(ev["accounts"])  # 12 followers, one post each
        assert not found[frozenset(f"s{i}" for i in range(6))]["coordinated"]["likely"]
        assert "6 accounts" in co["reason"]


def test_a_smaller_burst_of_low_activity_accounts_is_likely_coordinated(tmp_path: Path, db_url: str) -> None:
    db = db_url
    fresh = [post(f"f{i}", JOB, f"2026-07-01T10:{i * 5:02d}:00+00:00", f"fresh:{i}", followers=3) for i in range(3)]
    known = [post(f"k{i}", AD, f"2026-07-01T10:{i * 5:02d}:00+00:00", f"known:{i}", followers=90_000) for i in range(3)]
    history = [post(f"h{i}{j}", f"bài viết thường ngày số {i} {j} " * 3 + "x" * j, f"2026-06-0{j + 1}T10:00:00+00:00",
                    f"known:{i}") for i in range(3) for j in range(4)]
    scan(tmp_path, db, fresh + known + history)
    with Store.open(db) as store:
        found = by_members(list_clusters(SourceIndex(store), min_accounts=5))
        assert found[frozenset({"f0", "f1", "f2"})]["coordinated"]["likely"]
        assert "3 of them with few posts" in found[frozenset({"f0", "f1", "f2"})]["coordinated"]["reason"]
        assert not found[frozenset({"k0", "k1", "k2"})]["coordinated"]["likely"]  # established accounts


def test_news_links_and_repeated_text_group_under_the_article(tmp_path: Path, db_url: str) -> None:
    article = ("Công an TP.HCM vừa triệt phá đường dây lừa đảo việc làm online, các đối tượng dụ nạn nhân "
               "làm nhiệm vụ like sản phẩm rồi yêu cầu nạp tiền để nhận hoa hồng, chiếm đoạt hơn 50 tỷ đồng")
    posts = [
        post("n1", "Mọi người cẩn thận nhé", "2026-08-01T08:00:00+07:00", "m:1",
             links=["https://vnexpress.net/lua-dao-viec-lam-4800000.html?utm_source=facebook&fbclid=abc"],
             metrics={"views": 1000, "shares": 50}),
        post("n2", "Đọc đi", "2026-08-01T09:00:00+07:00", "m:2", platform="x",
             links=["http://www.vnexpress.net/lua-dao-viec-lam-4800000.html"], metrics={"views": 500, "shares": 5}),
        post("n3", "Tin nóng: " + article[:160], "2026-08-02T09:00:00+07:00", "m:3", metrics={"views": 20}),
        post("n4", "Hôm nay trời đẹp quá, đi cà phê với bạn bè", "2026-08-02T09:00:00+07:00", "m:4",
             links=["https://vnexpress.net/"]),
    ]
    scan(tmp_path, db_url, posts)
    csv = tmp_path / "articles.csv"
    csv.write_text("url,title,text,published_at\n"
                   f"https://vnexpress.net/lua-dao-viec-lam-4800000.html,Triệt phá lừa đảo việc làm,\"{article}\",2026-08-01\n",
                   encoding="utf-8")
    with Store.open(db_url) as store:
        from trustwatch.dedupe.news import add_articles, article_report

        index = SourceIndex(store)
        report = article_report(index)
        assert len(report) == 1 and sorted(report[0]["post_ids"]) == ["n1", "n2"]  # news-domain links
        assert report[0]["origin"] == "link"  # the bare home page (n4) made no article
        add_articles(index, str(csv))
        report = article_report(index)
        assert len(report) == 1
        r = report[0]
        assert sorted(r["post_ids"]) == ["n1", "n2", "n3"] and (r["by_link"], r["by_text"]) == (2, 1)
        assert r["title"] == "Triệt phá lừa đảo việc làm" and r["platforms"] == ["facebook", "x"]
        assert r["metrics"]["views"] == 1520 and r["accounts"] == 3
        assert [d["date"] for d in r["timeline"]] == ["2026-08-01", "2026-08-02"]
        assert r["timeline"][-1]["totals"]["views"] == 1520
        # The shared article link joined n1 and n2 into one cluster as well.
        assert frozenset({"n1", "n2"}) in by_members(list_clusters(index))


def test_store_index_agrees_with_the_in_memory_core(tmp_path: Path) -> None:
    rng = random.Random(4)
    vocab = [f"w{i}" for i in range(400)]
    roots = [[rng.choice(vocab) for _ in range(30)] for _ in range(40)]
    texts = []
    for _ in range(1500):
        if rng.random() < 0.4:
            v = rng.choice(roots)[:]
            for _ in range(rng.choice((0, 1, 2, 3, 5))):
                v[rng.randrange(30)] = rng.choice(vocab)
            texts.append(" ".join(v))
        else:
            texts.append(" ".join(rng.choice(vocab) for _ in range(rng.randint(10, 40))))
    db = f"sqlite:///{tmp_path / 'agree.db'}"
    path = write_jsonl(tmp_path / "agree.jsonl", [{"id": f"t{i}", "platform": "x", "text": t} for i, t in enumerate(texts)])
    run_scan([str(path)], db=db, out=str(tmp_path / "agree.out.jsonl"), batch_size=300)
    params = LshParams.for_threshold(0.6)
    hasher = MinHasher(params)
    mem = MemoryIndex(0.6)
    for i in range(0, len(texts), 300):
        values, offsets = shingle_sets(texts[i : i + 300])
        mem.add(values, offsets, hasher.band_keys(hasher.signatures(values, offsets)))
    labels = mem.labels()
    expected = {frozenset(f"t{j}" for j in np.flatnonzero(labels == lab)) for lab in np.unique(labels)}
    with Store.open(db) as store:
        got = {frozenset(c["members"]) for c in list_clusters(SourceIndex(store), top=10_000, min_size=1)}
    assert got == expected
    assert max(len(c) for c in got) >= 10  # families were found, not just singletons


def test_threshold_mismatch_and_cli(tmp_path: Path, db_url: str) -> None:
    db = db_url
    scan(tmp_path, db, planted())
    with Store.open(db) as store, pytest.raises(SourcesError, match="rebuild"):
        SourceIndex(store, threshold=0.9)
    res = run_cli("sources", "--db", db, "--json", "--top", "5")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert {"cluster_id", "size", "earliest_post_id", "earliest_created_at", "platforms", "reach", "members"} <= set(data[0])
    assert data == sorted(data, key=lambda c: -c["reach"])
    res = run_cli("sources", "--db", db, "--category", "scam", "--json")
    assert res.returncode == 0 and all("scam" in c["flagged_categories"] for c in json.loads(res.stdout))
    res = run_cli("sources", "show", str(data[0]["cluster_id"]), "--db", db)
    assert res.returncode == 0 and "earliest:" in res.stdout and "inferred" in res.stdout
    res = run_cli("sources", "show", "999999", "--db", db)
    assert res.returncode == 2 and "no cluster 999999" in res.stderr and "Traceback" not in res.stderr
    res = run_cli("sources", "index", "--db", db, "--rebuild", "--threshold", "0.8")
    assert res.returncode == 0, res.stderr
    res = run_cli("sources", "news", "--db", db, "--articles", str(tmp_path / "missing.csv"))
    assert res.returncode == 2 and "does not exist" in res.stderr
    hashes = tmp_path / "h.csv"
    hashes.write_text(f"platform,post_id,pdq\nfacebook,a1,{PDQ_A}\ninstagram,a5,{flip(PDQ_A, [3])}\n", encoding="utf-8")
    res = run_cli("sources", "images", str(hashes), "--db", db)
    assert res.returncode == 0 and "added 2 hashes, joined 1" in res.stdout


def test_shingle_hashes_never_change() -> None:
    """The index persists across versions: the same text must hash the same way forever."""
    values, offsets = shingle_sets(["hello", "hello world", "Xem bói 0912 345 678 giá 500k", "", "🔮"])
    assert offsets.tolist() == [0, 1, 2, 6, 6, 6]
    assert values[:2].tolist() == [1066674433, 285637532]
    # digits are masked, emoji and diacritics folded away: these are the same shingles
    same, offs = shingle_sets(["Xem bói 0988111222 giá 300k", "XEM B🔮ÓI 0912 345 678 GIÁ 500K ✨"])
    assert same[offs[0] : offs[1]].tolist() == same[offs[1] : offs[2]].tolist() == values[2:6].tolist()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://WWW.Example.com/a/b/?utm_source=fb&id=3&fbclid=xx#top", "example.com/a/b?id=3"),
        ("http://example.com/a/b?id=3", "example.com/a/b?id=3"),
        ("example.com:443/a", "example.com/a"),
        ("https://m.facebook.com/story.php?story_fbid=1&id=2&mibextid=x", "facebook.com/story.php?id=2&story_fbid=1"),
        ("bit.ly/abc?igshid=1", "bit.ly/abc"),
        ("not a url", None),
        ("", None),
    ],
)
def test_links_are_normalized_without_the_network(given: str, expected: str | None) -> None:
    from trustwatch.dedupe import normalize_url

    assert normalize_url(given) == expected


def test_minhash_estimates_jaccard_and_banding_meets_its_recall() -> None:
    rng = np.random.default_rng(1)
    params = LshParams.for_threshold(0.8)
    assert params.candidate_probability(0.8) >= 0.99 and params.candidate_probability(0.3) < 0.05
    hasher = MinHasher(params)
    base = [f"w{i}" for i in rng.integers(0, 5000, 60)]
    texts, truth = [], []
    for edits in range(0, 30, 3):
        v = list(base)
        for j in rng.choice(60, edits, replace=False):
            v[j] = f"x{j}"
        texts.append(" ".join(v))
    values, offsets = shingle_sets([" ".join(base), *texts])
    sets = [set(values[offsets[i] : offsets[i + 1]].tolist()) for i in range(len(offsets) - 1)]
    truth = [len(sets[0] & s) / len(sets[0] | s) for s in sets[1:]]
    sigs = hasher.signatures(values, offsets)
    est = [(sigs[0] == sigs[i]).mean() for i in range(1, len(sigs))]
    assert max(abs(a - b) for a, b in zip(truth, est, strict=True)) < 0.2
    assert abs(float(np.mean(np.array(truth) - np.array(est)))) < 0.06
    with pytest.raises(ValueError, match="outside"):
        LshParams.for_threshold(1.5)


def test_articles_from_yaml_add_news_domains_and_bad_files_are_refused(tmp_path: Path, db_url: str) -> None:
    from trustwatch.dedupe.news import add_articles, article_report

    db = db_url
    yml = tmp_path / "articles.yaml"
    yml.write_text("domains: [mylocalnews.vn]\narticles:\n"
                   "  - {url: 'https://mylocalnews.vn/bai-1?utm_campaign=x', title: Bài 1, published_at: 2026-08-01}\n",
                   encoding="utf-8")
    with Store.open(db) as store:
        index = SourceIndex(store)
        assert add_articles(index, str(yml))["articles"] == 1
    later = [post("l1", "xem này", "2026-08-02T08:00:00+07:00", "z:1", links=["https://mylocalnews.vn/bai-2"]),
             post("l2", "đọc đi", "2026-08-02T09:00:00+07:00", "z:2", links=["mylocalnews.vn/bai-1"])]
    scan(tmp_path, db, later)
    with Store.open(db) as store:
        report = {r["url"]: r for r in article_report(SourceIndex(store))}
        assert report["mylocalnews.vn/bai-1"]["post_ids"] == ["l2"] and report["mylocalnews.vn/bai-1"]["origin"] == "file"
        assert report["mylocalnews.vn/bai-2"]["origin"] == "link"  # a domain from the file made it news
    bad = tmp_path / "bad.csv"
    bad.write_text("title,text\nNo address,some text\n", encoding="utf-8")
    res = run_cli("sources", "news", "--db", db, "--articles", str(bad))
    assert res.returncode == 2 and "has no valid `url`" in res.stderr and "Traceback" not in res.stderr
