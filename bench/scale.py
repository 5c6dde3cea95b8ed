"""Scale-out: the local engine and Ray on the same posts in one run, the cost of each stage per
post, and from those a projection for a cluster.

    .venv/bin/python bench/scale.py [--n 1000000] [--workers 2] [--store-n 100000] [--pg-url URL]

Runs, each in its own process (peak memory = the scan's process tree, Ray's processes included):
  floor        read, parse and validate, write result lines; no detection (1 process): the baseline
  local-W      the full text scan, default packs, the local engine with W worker processes
  ray-W        the same scan on Ray Data with W actors (a local Ray this scan starts; its start-up
               is part of the wall time and is also reported apart)
and, on the first --store-n posts, the same local scan writing to a SQLite store (and to
PostgreSQL with --pg-url or DATABASE_URL), to price what the scan driver does per stored post.
Checks that Ray's results file is byte-identical to the local engine's.

The projection takes the per-post costs measured here and states its assumptions (cores per node,
the share of a core an actor gets, how many scan drivers share the database); see BENCHMARKS.md.
Writes bench/out/scale.json.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import synth
from scan_throughput import run_mode

NODES = 10
CORES_PER_NODE = 16  # an assumption: a common cloud worker; Ray actors take one core each there
SECONDS_PER_DAY = 86_400


def ray_startup() -> float:
    """Seconds for `ray.init()` of a local Ray and its shutdown: the fixed cost in ray-W's wall."""
    import ray

    start = time.perf_counter()
    ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False, configure_logging=False,
             object_store_memory=512 * 1024 * 1024)
    ray.shutdown()
    return time.perf_counter() - start


def resume_skip_us(path: Path, limit: int = 200_000) -> float:
    """CPU µs per post a resumed scan spends re-reading the ids of the shards done before the crash
    (pipeline._Ids.skip), measured on the first `limit` posts."""
    from trustwatch.pipeline import BATCH, _batches, _Ids

    batches = _batches([str(path)], BATCH)
    ids = _Ids(1_000_000)
    count, n = 0, 0
    start = time.process_time()
    for _source, b in batches:
        count += 1
        n += b.data.count(b"\n") if hasattr(b, "data") else len(b)
        if n >= limit:
            break
    ids.skip(_batches([str(path)], BATCH), count)
    elapsed = time.process_time() - start
    ids.seen.close()
    return elapsed / n * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--store-n", type=int, default=100_000, help="posts for the store-writing modes")
    ap.add_argument("--pg-url", default=os.environ.get("DATABASE_URL"), help="a PostgreSQL database to write to (emptied first)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tw-scale-"))
    inp = work / "posts.jsonl"
    synth.write(str(inp), args.n)
    small = work / "posts-small.jsonl"
    synth.write(str(small), min(args.store_n, args.n))
    w = args.workers
    print(f"{args.n:,} posts ({inp.stat().st_size / 2**20:.0f} MB); store modes on {min(args.store_n, args.n):,}; load {os.getloadavg()[0]:.2f}")
    runs: dict[str, dict] = {}

    def run(name: str, path: Path, workers: int, detect: bool, db: str = "", engine: str = "local", index: bool = True) -> dict:
        runs[name] = r = run_mode(path, work / f"{name}.jsonl", workers, detect, db, "", engine, index)
        print(f"{name:18s} {r['posts_per_s']:>10,.0f} posts/s  {r['wall_seconds']:>7.1f} s wall  peak {r['peak_rss_mb']:>7.0f} MB")
        return r

    run("floor", inp, 1, False)
    run(f"local-{w}", inp, w, True)
    run(f"ray-{w}", inp, w, True, engine="ray")
    same = filecmp.cmp(work / f"local-{w}.jsonl", work / f"ray-{w}.jsonl", shallow=False)
    print(f"ray results identical to local: {same}")
    startup = ray_startup()
    run(f"local-{w}-small", small, w, True)
    run(f"local-{w}+sqlite-noindex", small, w, True, db=f"sqlite:///{work / 'store-noindex.db'}", index=False)
    run(f"local-{w}+sqlite", small, w, True, db=f"sqlite:///{work / 'store.db'}")
    if args.pg_url:
        from sqlalchemy import create_engine, text

        from trustwatch.store.engine import resolve_url

        def empty() -> None:  # an empty database, so each run prices inserts, not updates
            eng = create_engine(resolve_url(args.pg_url))
            with eng.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            eng.dispose()

        empty()
        run(f"local-{w}+postgresql-noindex", small, w, True, db=args.pg_url, index=False)
        empty()
        run(f"local-{w}+postgresql", small, w, True, db=args.pg_url)

    n = args.n
    local, ray = runs[f"local-{w}"], runs[f"ray-{w}"]
    us = lambda seconds, count: seconds / count * 1e6
    stages = {
        "read+parse+write (floor, 1 process)": us(runs["floor"]["seconds"], n),
        f"detect, local engine, {w} workers (wall)": us(local["seconds"], n),
        f"detect, Ray, {w} actors (wall, start-up excluded)": us(ray["wall_seconds"] - startup, n),
        "Ray overhead per post (vs local)": us(ray["wall_seconds"] - startup - local["seconds"], n),
    }
    stages["resume: re-read the ids of shards done before a crash (1 process)"] = resume_skip_us(inp)
    small_n = min(args.store_n, n)
    base = runs[f"local-{w}-small"]["seconds"]
    for db_name in ("sqlite", "postgresql"):
        r, plain = runs.get(f"local-{w}+{db_name}"), runs.get(f"local-{w}+{db_name}-noindex")
        if r and plain:
            stages[f"store posts, findings, results: {db_name} (driver)"] = us(plain["seconds"] - base, small_n)
            stages[f"near-duplicate index: {db_name} (driver)"] = us(r["seconds"] - plain["seconds"], small_n)
            stages[f"store + near-duplicate index, {db_name} (driver)"] = us(r["seconds"] - base, small_n)
    # Projection. Detection: the per-core rate of the local engine (W workers on W cores) times
    # Ray's measured efficiency on this machine, over the cluster's cores. Results only (Parquet):
    # each scan driver costs about the floor per post, so drivers = partitions. With the store:
    # every batch write holds one PostgreSQL advisory lock, so writes are serialized whatever the
    # number of drivers: the ceiling is one writer's rate as measured here (driver work included,
    # so a pessimistic figure for a dedicated database server).
    per_core = n / local["seconds"] / w
    ray_efficiency = min(1.0, local["seconds"] / max(ray["wall_seconds"] - startup, 1e-9))
    cluster_detect = per_core * ray_efficiency * NODES * CORES_PER_NODE
    driver_results_only = 1e6 / stages["read+parse+write (floor, 1 process)"]
    store_key = f"store + near-duplicate index, {'postgresql' if args.pg_url else 'sqlite'} (driver)"
    store_ceiling = 1e6 / stages[store_key] if store_key in stages else None
    projection = {
        "assumptions": {
            "nodes": NODES, "cores_per_node": CORES_PER_NODE,
            "per_core_posts_per_s": round(per_core), "ray_efficiency_vs_local": round(ray_efficiency, 3),
            "store": store_key,
            "note": "text posts like bench/synth.py (5% harmful); media extraction excluded; one scan driver per input "
                    "partition; one PostgreSQL server no faster than this machine; batch writes serialized by its advisory lock",
        },
        "detect_capacity_posts_per_day": round(cluster_detect * SECONDS_PER_DAY),
        "results_only_one_driver_posts_per_day": round(driver_results_only * SECONDS_PER_DAY),
        "results_only_drivers_to_keep_up": round(cluster_detect / driver_results_only, 1),
        "store_ceiling_posts_per_day": round(store_ceiling * SECONDS_PER_DAY) if store_ceiling else None,
        "with_store_posts_per_day": round(min(cluster_detect, store_ceiling) * SECONDS_PER_DAY) if store_ceiling else None,
    }
    report = {
        "n": n, "workers": w, "date": time.strftime("%Y-%m-%d"), "load_at_start": os.getloadavg(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "runs": runs, "ray_startup_seconds": round(startup, 2), "ray_identical_to_local": same,
        "ray_over_local_wall": round(ray["wall_seconds"] / local["wall_seconds"], 2),
        "stage_us_per_post": {k: round(v, 2) for k, v in stages.items()}, "projection": projection,
    }
    print("\n| run | posts/s | wall s | peak memory |\n|---|---:|---:|---:|")
    for name, r in runs.items():
        print(f"| {name} | {r['posts_per_s']:,.0f} | {r['wall_seconds']:.1f} | {r['peak_rss_mb']:.0f} MB |")
    print(f"\nRay start-up {startup:.1f} s; Ray wall / local wall = {report['ray_over_local_wall']}")
    print("\n| stage | µs per post |\n|---|---:|")
    for k, v in stages.items():
        print(f"| {k} | {v:.1f} |")
    print("\n" + json.dumps(projection, indent=2))
    (HERE / "out").mkdir(exist_ok=True)
    (HERE / "out" / "scale.json").write_text(json.dumps(report, indent=2))
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
