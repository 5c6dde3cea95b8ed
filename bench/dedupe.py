"""Near-duplicate clustering at a million posts: recall and precision against brute force, time, memory.

    .venv/bin/python bench/dedupe.py                 # 1,000,000 posts, in-memory core + store path
    .venv/bin/python bench/dedupe.py --n 100000      # quicker
    .venv/bin/python bench/dedupe.py --store-n 0     # skip the store-backed run

Data: synthetic posts (Vietnamese-like and English-like words with a Zipf distribution, 15-60
words) with planted families: a root text and variants made by what reposters do — an emoji
inserted, the phone number changed, words dropped into upper case or stripped of diacritics (none of
these change the shingles) and 0-8 words replaced (these do, so family pairs spread from Jaccard
1.0 down to ~0.4, around the 0.8 threshold on purpose). The texts are written once to
bench/out/ and not timed; the timed part starts from raw text.

Timed, in-memory core: shingling + MinHash + band keys in 2 worker processes (the hashing side),
LSH lookup, exact-Jaccard verification and union-find in the main process (the matching side).

Quality, on a sample (all members of 400 random families plus 3,000 random other posts): every pair
of the sample gets its exact Jaccard similarity over the same shingles (an inverted index makes
this brute force affordable: pairs sharing no shingle have Jaccard 0). Truth: pairs with Jaccard
>= threshold. Recall: true pairs that ended in one cluster. Precision: pairs put in one cluster
that are linked in the truth graph (directly or through a chain of pairs >= threshold: clusters
are the connected components of the similarity graph, so this is what a cluster promises). The
strict figure (same-cluster pairs that are themselves >= threshold) is reported beside it.

Store-backed path: the same posts' first `--store-n` go through `trustwatch scan --db` into a
SQLite file (not timed) and then `SourceIndex.index_pending` (timed): this is the path a scan
takes, with band rows, shingles and clusters written to the database.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing as mp
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from itertools import pairwise
from pathlib import Path

import numpy as np
import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from trustwatch.dedupe.core import MemoryIndex
from trustwatch.dedupe.minhash import LshParams, MinHasher, shingle_sets

OUT = ROOT / "bench" / "out"
SYLLABLES = ["nhận", "xem", "bói", "giải", "hạn", "inbox", "zalo", "phí", "lần", "hôm", "nay", "trời", "đẹp", "quá", "mọi", "người", "ơi", "mình", "vừa", "đi", "ăn", "phở", "quán", "quen", "gần", "nhà", "ngon", "lắm", "giá", "cũng", "hợp", "lý", "cuối", "tuần", "về", "quê", "thăm", "ông", "bà", "chụp", "ảnh", "chia", "sẻ", "công", "việc", "bận", "rộn", "vui", "học", "hỏi", "điều", "mới", "đội", "bóng", "thắng", "trận", "tối", "qua", "bạn", "biết", "chỗ", "sửa", "xe", "uy", "tín", "quận", "không", "chỉ", "cảm", "ơn", "thời", "tiết", "se", "lạnh", "rồi", "tiền", "lương", "cao", "việc", "nhẹ", "đầu", "tư", "lãi", "suất"]
EN = ["just", "got", "back", "from", "the", "market", "weather", "lovely", "today", "tried", "new", "noodle", "place", "downtown", "kids", "loved", "park", "dog", "would", "not", "stop", "running", "around", "great", "weekend", "friends", "reading", "good", "book", "week", "any", "recommendations", "quiet", "cafe", "work", "near", "river", "deal", "offer", "price", "free", "limited", "call", "now"]
EMOJI = ["🔥", "🔮", "💰", "✨", "🙏", "😍", "👉"]


def vocabulary(rng: random.Random, size: int = 20000) -> list[str]:
    words = set()
    while len(words) < size:
        src = SYLLABLES if rng.random() < 0.6 else EN
        words.add("".join(rng.choice(src) for _ in range(rng.choice((1, 1, 2)))) + rng.choice(("", "", "a", "o", "s", "i")))
    return sorted(words)


def _phone(rng: random.Random) -> str:
    return f"09{rng.randint(10, 99)} {rng.randint(100, 999)} {rng.randint(100, 999)}"


def generate(n: int, families: int, seed: int = 11, load: bool = True) -> tuple[Path, np.ndarray | None]:
    """Write n texts (one per line) and the family of each post (-1: none) beside them."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"dedupe_{n}_{families}_{seed}.txt"
    fam_path = path.with_suffix(".family.npy")
    if path.exists() and fam_path.exists():
        return path, np.load(fam_path) if load else None
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    vocab = vocabulary(rng)
    weights = 1.0 / np.arange(1, len(vocab) + 1) ** 0.9  # Zipf-like word frequencies
    weights /= weights.sum()
    # Family sizes 2..60, skewed small; members placed at random positions of the stream.
    sizes = np.minimum(2 + nrng.geometric(1 / 9, families), 60)
    member_total = int(sizes.sum())
    slots = nrng.choice(n, size=member_total, replace=False)
    family = np.full(n, -1, dtype=np.int32)
    family[slots] = np.repeat(np.arange(families, dtype=np.int32), sizes)
    lengths = nrng.integers(15, 61, size=n)
    words = nrng.choice(len(vocab), size=int(lengths.sum()), p=weights)
    roots: dict[int, list[str]] = {}
    with open(path, "w", encoding="utf-8") as f:
        pos = 0
        for i in range(n):
            ln = int(lengths[i])
            ws = [vocab[w] for w in words[pos : pos + ln]]
            pos += ln
            fam = int(family[i])
            if fam < 0:
                f.write(" ".join(ws) + "\n")
                continue
            root = roots.get(fam)
            if root is None:
                root = roots[fam] = ws[:]
                root.insert(rng.randrange(len(root)), "liên hệ " + _phone(rng))
                f.write(" ".join(root) + "\n")
                continue
            v = root[:]
            for _ in range(rng.choice((0, 0, 1, 1, 1, 2, 2, 3, 4, 6, 8))):
                v[rng.randrange(len(v))] = rng.choice(vocab)  # reworded
            out = " ".join(v)
            if rng.random() < 0.3:
                out = out.replace("liên hệ", "liên hệ " + _phone(rng))  # another number
            if rng.random() < 0.3:
                out += " " + rng.choice(EMOJI) * rng.randint(1, 3)
            if rng.random() < 0.2:
                out = out.upper()
            f.write(out + "\n")
    np.save(fam_path, family)
    return path, family if load else None


_HASHER: MinHasher | None = None


def _init(threshold: float) -> None:
    global _HASHER
    _HASHER = MinHasher(LshParams.for_threshold(threshold))


def _hash_chunk(texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    assert _HASHER is not None
    values, offsets = shingle_sets(texts)
    keys = _HASHER.band_keys(_HASHER.signatures(values, offsets))
    return values, offsets, keys


def _chunks(path: Path, size: int):
    with open(path, encoding="utf-8") as f:
        buf: list[str] = []
        for line in f:
            buf.append(line.rstrip("\n"))
            if len(buf) == size:
                yield buf
                buf = []
        if buf:
            yield buf


def run_memory(path: Path, threshold: float, workers: int, chunk: int) -> tuple[MemoryIndex, dict]:
    index = MemoryIndex(threshold)
    t0 = time.perf_counter()
    match_s = 0.0
    ctx = mp.get_context("spawn")
    with ctx.Pool(workers, initializer=_init, initargs=(threshold,)) as pool:
        match_cpu = 0.0
        for values, offsets, keys in pool.imap(_hash_chunk, _chunks(path, chunk), chunksize=1):
            t, c = time.perf_counter(), time.process_time()
            index.add(values, offsets, keys)
            match_s += time.perf_counter() - t
            match_cpu += time.process_time() - c
    wall = time.perf_counter() - t0
    return index, {"seconds": round(wall, 1), "matching_seconds": round(match_s, 1),
                   "matching_cpu_seconds": round(match_cpu, 1)}


def brute_force_quality(path: Path, family: np.ndarray, labels: np.ndarray, threshold: float, seed: int = 5) -> dict:
    rng = np.random.default_rng(seed)
    fams = np.unique(family[family >= 0])
    chosen = rng.choice(fams, size=min(400, len(fams)), replace=False)
    members = np.flatnonzero(np.isin(family, chosen))
    others = rng.choice(np.flatnonzero(family < 0), size=3000, replace=False)
    sample = np.sort(np.concatenate([members, others]))
    wanted = set(sample.tolist())
    texts = []
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i in wanted:
                texts.append(line.rstrip("\n"))
    values, offsets = shingle_sets(texts)
    m = len(sample)
    sizes = np.diff(offsets)
    owner = np.repeat(np.arange(m), sizes)
    # Inverted index: every pair sharing a shingle, with how many it shares.
    order = np.lexsort((owner, values))
    v, o = values[order], owner[order]
    bounds = np.flatnonzero(np.concatenate(([True], v[1:] != v[:-1], [True])))
    pair_keys = []
    for s, e in pairwise(bounds):
        if e - s > 1:
            g = o[s:e]
            a, b = np.triu_indices(len(g), 1)
            pair_keys.append(g[a].astype(np.int64) * m + g[b])
    keys, inter = np.unique(np.concatenate(pair_keys), return_counts=True)
    a, b = keys // m, keys % m
    jac = inter / (sizes[a] + sizes[b] - inter)
    truth = jac >= threshold
    true_pairs = set(zip(a[truth].tolist(), b[truth].tolist(), strict=True))
    # Connected components of the truth graph, to judge cluster co-membership.
    parent = list(range(m))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for x, y in true_pairs:
        rx, ry = find(x), find(y)
        if rx != ry:
            parent[max(rx, ry)] = min(rx, ry)
    lab = labels[sample]
    by_cluster: dict[int, list[int]] = {}
    for j, c in enumerate(lab.tolist()):
        by_cluster.setdefault(c, []).append(j)
    predicted = [(x, y) for g in by_cluster.values() if len(g) > 1 for i, x in enumerate(g) for y in g[i + 1 :]]
    jac_of = dict(zip(zip(a.tolist(), b.tolist(), strict=True), jac.tolist(), strict=True))
    found = sum(1 for p in true_pairs if lab[p[0]] == lab[p[1]])
    linked = sum(1 for x, y in predicted if find(x) == find(y))
    strict = sum(1 for p in predicted if jac_of.get(p, 0.0) >= threshold)
    return {
        "sample_posts": m,
        "sample_pairs_compared": m * (m - 1) // 2,
        "true_pairs": len(true_pairs),
        "predicted_pairs": len(predicted),
        "recall": round(found / len(true_pairs), 4) if true_pairs else None,
        "precision": round(linked / len(predicted), 4) if predicted else None,
        "precision_strict_pairwise": round(strict / len(predicted), 4) if predicted else None,
        "family_pairs_jaccard_histogram": np.histogram(
            jac[np.isin(a, np.flatnonzero(np.isin(sample, members)))], bins=[0, 0.2, 0.4, 0.6, 0.7, 0.8, 0.9, 1.0001]
        )[0].tolist(),
    }


def compare_datasketch(path: Path, threshold: float, n: int = 20000) -> dict:
    """Signature cost per post on the same shingles: ours (numpy, per batch) vs datasketch's
    MinHash.bulk (per post objects), when datasketch is installed (it is not a dependency)."""
    try:
        from datasketch import MinHash
    except ImportError:
        return {"skipped": "datasketch is not installed"}
    texts = next(_chunks(path, n))
    from trustwatch.normalize import normalize

    t = time.process_time()
    folded = [normalize(text).folded_text for text in texts]  # the floor: the fold alone
    del folded
    fold_cpu = time.process_time() - t
    t = time.process_time()
    values, offsets = shingle_sets(texts)
    shingle_cpu = time.process_time() - t
    hasher = MinHasher(LshParams.for_threshold(threshold))
    t = time.process_time()
    for i in range(0, len(texts), 2000):  # batches as the index gets them
        lo, hi = offsets[i], offsets[min(i + 2000, len(texts))]
        sub = offsets[i : i + 2001] - lo
        hasher.band_keys(hasher.signatures(values[lo:hi], sub))
    ours = time.process_time() - t
    sets = [[int(x).to_bytes(4, "little") for x in values[offsets[i] : offsets[i + 1]]] for i in range(len(texts))]
    t = time.process_time()
    MinHash.bulk(sets, num_perm=hasher.params.num_perm)
    theirs = time.process_time() - t
    return {"posts": len(texts), "num_perm": hasher.params.num_perm,
            "baseline_fold_only_cpu_us_per_post": round(fold_cpu / len(texts) * 1e6, 1),
            "shingling_cpu_us_per_post": round(shingle_cpu / len(texts) * 1e6, 1),
            "ours_signature_and_bands_cpu_us_per_post": round(ours / len(texts) * 1e6, 1),
            "datasketch_bulk_cpu_us_per_post": round(theirs / len(texts) * 1e6, 1)}


@contextlib.contextmanager
def _postgres():
    """A throw-away PostgreSQL server, started the way the test suite starts its own."""
    sys.path.insert(0, str(ROOT))
    from tests.conftest import PostgresServer, pg_server

    gen = pg_server.__wrapped__()  # the fixture's generator, outside pytest
    server: PostgresServer = next(gen)
    try:
        yield server.create_database("dedupe_bench")
    finally:
        with contextlib.suppress(StopIteration):
            next(gen)


def run_store(path: Path, n: int, threshold: float, url: str | None) -> dict:
    from trustwatch.dedupe.index import SourceIndex
    from trustwatch.pipeline import run_scan
    from trustwatch.store import Store

    tmp = Path(tempfile.mkdtemp(prefix="dedupe-bench-"))
    posts = tmp / "posts.jsonl"
    with open(posts, "wb") as f:
        for i, text in enumerate(t for chunk in _chunks(path, 10000) for t in chunk):
            if i >= n:
                break
            f.write(orjson.dumps({"id": f"b:{i}", "platform": "facebook", "text": text,
                                  "created_at": f"2026-10-01T{i % 24:02d}:00:00+07:00",
                                  "author": {"id": f"a:{i % 5000}"}, "metrics": {"views": i % 1000}}) + b"\n")
    db = url or str(tmp / "bench.db")
    t = time.perf_counter()
    run_scan([str(posts)], db=db, index_sources=False)  # detection on: only then are posts stored
    scan_s = time.perf_counter() - t
    with Store.open(db) as store:
        index = SourceIndex(store, threshold=threshold)
        t = time.perf_counter()
        cpu0 = _cpu()
        stats = index.index_pending(batch_size=2000)
        secs = time.perf_counter() - t
        cpu = _cpu() - cpu0
        sizes = index.table_bytes()
    db_bytes = sum(p.stat().st_size for p in tmp.glob("bench.db*"))
    shutil.rmtree(tmp, ignore_errors=True)
    return {
        "posts": n,
        "scan_store_seconds_untimed_part": round(scan_s, 1),
        "index_seconds": round(secs, 2),
        "index_us_per_post": round(secs / n * 1e6, 1),
        "index_cpu_us_per_post": round(cpu / n * 1e6, 1),
        "indexed": stats.get("indexed"),
        "db_bytes_total": db_bytes,
        "index_table_bytes": sizes,
    }


def _cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--families", type=int, default=None, help="default: n / 100")
    ap.add_argument("--threshold", type=float, default=0.8)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--chunk", type=int, default=10000)
    ap.add_argument("--store-n", type=int, default=100_000, help="posts for the store-backed run (0: skip)")
    ap.add_argument("--pg", action="store_true", help="also run the store path (half as many posts) on a throw-away PostgreSQL")
    args = ap.parse_args()
    families = args.families or max(10, args.n // 100)
    t = time.perf_counter()
    with mp.get_context("spawn").Pool(1) as pool:  # its memory must not count as the index's
        path, _ = pool.apply(generate, (args.n, families, 11, False))
    family = np.load(path.with_suffix(".family.npy"))
    gen_s = time.perf_counter() - t
    params = LshParams.for_threshold(args.threshold)
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cpu0 = _cpu()
    index, timing = run_memory(path, args.threshold, args.workers, args.chunk)
    timing["cpu_seconds_all_processes"] = round(_cpu() - cpu0, 1)
    load = os.getloadavg()[0]
    labels = index.labels()
    peak_main = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak_workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    report = {
        "machine": f"{os.cpu_count()} cores, load average {load:.1f} at the end of the timed run (shared machine)",
        "posts": args.n,
        "family_posts": int((family >= 0).sum()),
        "families": families,
        "threshold": args.threshold,
        "lsh": {"bands": params.bands, "rows": params.rows, "num_perm": params.num_perm},
        "generate_seconds_untimed": round(gen_s, 1),
        "memory_core": {
            **timing,
            "posts_per_s": round(args.n / timing["seconds"]),
            "verifications_passed": index.checks,
            "clusters_of_2_plus": int((np.bincount(labels) >= 2).sum()),
            "peak_rss_main_mb": round(peak_main / 1024),
            "rss_before_mb": round(base_rss / 1024),
            "peak_rss_worker_mb": round(peak_workers / 1024),
            "index_bytes_estimate_mb": round(index.memory_bytes() / 2**20),
            "includes_store_writes": False,
        },
    }
    t = time.perf_counter()
    report["quality"] = brute_force_quality(path, family, labels, args.threshold)
    report["quality"]["seconds_untimed"] = round(time.perf_counter() - t, 1)
    del index, labels
    report["signature_cost"] = compare_datasketch(path, args.threshold)
    if args.store_n:
        n_store = min(args.store_n, args.n)
        report["store_path_sqlite"] = run_store(path, n_store, args.threshold, None)
        if args.pg:
            with _postgres() as url:
                report["store_path_postgresql"] = run_store(path, n_store // 2, args.threshold, url)
    print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
