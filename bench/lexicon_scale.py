"""Lexicon size vs speed: the default packs alone, then with 10,000 and 100,000 extra terms.

    .venv/bin/python bench/lexicon_scale.py [--n 20000]

All lexicons share one Aho-Corasick automaton, so the cost per post should barely move with the
number of terms; this measures it (build time, µs per post) in one run, the baseline first.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import synth

from trustwatch.detect import Detector
from trustwatch.ingest import Unit, parse_unit
from trustwatch.policy import default_pack_paths, load_pack, load_packs

SYLLABLES = ["ba", "be", "bi", "bo", "bu", "ca", "co", "cu", "da", "de", "di", "do", "du", "ga", "gi", "go", "ha", "he", "hi", "ho", "hu", "la", "le", "li", "lo", "lu", "ma", "me", "mi", "mo", "mu", "na", "ne", "ni", "no", "nu"]


def extra_pack(folder: Path, n: int) -> Path:
    """A pack with n made-up two-syllable terms (all distinct, none in the synthetic posts)."""
    terms = []
    for i in range(n):
        k = len(SYLLABLES)
        a, b, c = SYLLABLES[i % k], SYLLABLES[(i // k) % k], SYLLABLES[(i // (k * k)) % k]
        terms.append(f"x{a}{b}{c}{i} q{c}{a}")
    path = folder / "extra_terms.yaml"
    body = "\n".join(f"      - {t}" for t in terms)
    path.write_text(
        "id: extra_terms\ntitle: Extra terms\ncriterion: Scale test.\nseverity: low\naction: label\n"
        "dsa: {category: STATEMENT_CATEGORY_OTHER}\nsignals:\n  - type: lexicon\n    group: topic\n    terms:\n"
        f"{body}\nrequire: topic\n",
        encoding="utf-8",
    )
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20000)
    args = ap.parse_args()
    posts = [parse_unit(Unit("bench", i, line)) for i, line in enumerate(synth.posts(args.n))]
    print("| extra terms | build (s) | µs per post | flagged |\n|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for extra in (0, 10_000, 100_000):
            t0 = time.perf_counter()
            packs = load_packs() if not extra else load_packs(default_pack_paths()) + [load_pack(extra_pack(Path(tmp), extra))]
            detector = Detector(packs)
            build = time.perf_counter() - t0
            for p in posts[:2000]:  # warm the per-process caches first, for every configuration alike
                detector.detect(p)
            t0 = time.perf_counter()
            flagged = sum(detector.detect(p)["flagged"] for p in posts)
            per_post = (time.perf_counter() - t0) / len(posts) * 1e6
            print(f"| {extra:,} | {build:.2f} | {per_post:.1f} | {flagged:,} |")


if __name__ == "__main__":
    main()
