"""Time and memory of creator profiles, campaign reports and the briefing over a scanned store,
with the floor (reading every stored post once) measured in the same run.

    .venv/bin/python bench/creators_profiles.py [--n 100000] [--creators 5000]

Generates N synthetic posts (bench/synth.py) by C creators, scans them into a SQLite store, then
runs each mode in its own process (peak resident memory is per mode):
  floor      read every post with its author and current version (iter_post_facts), nothing else
  profiles   every creator's profile and score (load_profiles: anomalies, disclosure, score)
  campaign   one campaign report (hashtag match over every post), CSV and four PNG charts
  briefing   the monthly briefing's figures and HTML with two SVG charts
Prints a table and writes bench/out/creators_profiles.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import synth

RUNNER = r"""
import json, resource, sys, time
from pathlib import Path
db, mode, work = sys.argv[1], sys.argv[2], Path(sys.argv[3])
t = time.perf_counter()
n = 0
if mode == "floor":
    from trustwatch.creators.facts import iter_post_facts, open_engine
    e = open_engine(db)
    n = sum(1 for _ in iter_post_facts(e, with_flags=True))
    e.dispose()
elif mode == "profiles":
    from trustwatch.creators import load_profiles
    n = len(load_profiles(db))
elif mode == "campaign":
    from trustwatch.campaigns import load_campaign, load_campaign_report, write_campaign_report
    (work / "c.yaml").write_text("id: bench\nname: Bench\nhashtags: [review]\nwindow: {start: 2026-10-01, end: 2026-10-31}\n")
    rep = load_campaign_report(db, load_campaign(work / "c.yaml"))
    write_campaign_report(rep, work / "campaign", "png")
    n = rep["totals"]["posts"]
elif mode == "briefing":
    from trustwatch.briefing import write_briefing
    write_briefing(db, "2026-10", str(work / "b.html"), lang="vi")
seconds = time.perf_counter() - t
print(json.dumps({"mode": mode, "seconds": seconds, "items": n,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--creators", type=int, default=5000, help="synth.py uses 5,000 authors")
    args = ap.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        src, db = work / "posts.jsonl", work / "t.db"
        synth.write(str(src), args.n)
        t = time.perf_counter()
        subprocess.run([py, "-m", "trustwatch.cli", "scan", str(src), "--db", str(db), "--out", str(work / "r.jsonl")],
                       check=True, capture_output=True)
        scan_s = time.perf_counter() - t
        rows = []
        for mode in ("floor", "profiles", "campaign", "briefing"):
            out = subprocess.run([py, "-c", RUNNER, str(db), mode, str(work)], check=True, capture_output=True, text=True)
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    floor = rows[0]["seconds"]
    print(f"{args.n:,} posts by {args.creators:,} creators (scan into SQLite: {scan_s:.1f} s)")
    print(f"{'mode':10} {'seconds':>8} {'x floor':>8} {'posts/s':>10} {'peak MB':>8}")
    for r in rows:
        print(f"{r['mode']:10} {r['seconds']:8.2f} {r['seconds'] / floor:8.2f} {args.n / r['seconds']:10,.0f} {r['peak_rss_mb']:8.0f}")
    result = {"n": args.n, "creators": args.creators, "scan_seconds": scan_s, "rows": rows,
              "python": platform.python_version(), "machine": platform.machine()}
    (HERE / "out").mkdir(exist_ok=True)
    (HERE / "out" / "creators_profiles.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
