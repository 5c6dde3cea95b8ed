"""Where one worker's time goes, step by step, in CPU microseconds per post.

    .venv/bin/python bench/scan_steps.py [--n 20000]

Runs the steps of a scan worker over the same synthetic posts as bench/scan_throughput.py, in one
process, each step timed with `time.process_time` (CPU time, so other load on the machine inflates
it less than wall time) and the best of three rounds kept:
  parse       decode and validate each JSON record (`parse_unit`)
  normalize   build the normalized views of text, title and hashtags (the fast path)
  detect      the signal cascade, scoring and evidence, given the normalized views
  worker      the whole worker (`_process_batch`: all of the above, plus result lines)
Flagged and quiet posts are also timed apart, since evidence makes a flagged post much dearer.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import orjson

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import synth

from trustwatch import pipeline
from trustwatch.detect.engine import document_for
from trustwatch.ingest import Block, parse_unit, read_batches
from trustwatch.models import Post


def best_of(rounds: int, fn: Callable[[], object], n: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best / max(n, 1) * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20_000)
    args = ap.parse_args()
    rng = random.Random(1)
    data = b"".join(orjson.dumps(synth.post(i, rng)) + b"\n" for i in range(args.n))
    tmp = Path(tempfile.mkdtemp()) / "posts.jsonl"
    tmp.write_bytes(data)
    blocks = [b for b in read_batches(str(tmp), 1000) if isinstance(b, Block)]  # as a scan reads them
    units = [u for b in blocks for u in b.units()]
    pipeline._init_worker(None, True, False)
    detector = pipeline._DETECTOR
    assert detector is not None
    posts = [p for p in map(parse_unit, units) if isinstance(p, Post)]
    verdicts = [detector.detect_document(document_for(p))["flagged"] for p in posts]
    flagged = [p for p, hit in zip(posts, verdicts, strict=True) if hit][:2000]
    quiet = [p for p, hit in zip(posts, verdicts, strict=True) if not hit][:5000]
    rows = [
        ("parse", best_of(3, lambda: [parse_unit(u) for u in units], len(units))),
        ("normalize", best_of(3, lambda: [document_for(p) for p in posts], len(posts))),
        ("detect (all posts)", best_of(3, lambda: [detector.detect_document(document_for(p)) for p in posts], len(posts))),
        ("detect (quiet posts)", best_of(3, lambda: [detector.detect_document(document_for(p)) for p in quiet], len(quiet))),
        ("detect (flagged posts)", best_of(3, lambda: [detector.detect_document(document_for(p)) for p in flagged], len(flagged))),
        ("worker (whole batch)", best_of(3, lambda: [pipeline._process_batch(b) for b in blocks], len(units))),
    ]
    print(f"{len(units):,} posts, {sum(verdicts) / max(len(posts), 1):.1%} flagged; CPU µs per post, best of 3")
    print("| step | µs/post |\n|---|---:|")
    for name, us in rows:
        print(f"| {name} | {us:.1f} |")
    print("(detect rows include building the normalized views again; subtract `normalize` for the cascade alone)")


if __name__ == "__main__":
    main()
