"""Held-out figures for the seed-category classifiers: the default packs with and without their
classifier signals (and content gate) on posts never trained on.

    .venv/bin/python bench/seed_holdout.py [learn_data/seed_holdout.jsonl tests/data/holdout_posts.jsonl]

For each file and category: precision and recall without and with the classifiers, and how many
positives the lexicon-only packs miss that the classifiers catch. Writes bench/out/seed_holdout.json.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from lexicon_only import write_lexicon_only_packs

from trustwatch.detect import Detector
from trustwatch.ingest import parse_unit, read_units
from trustwatch.models import Quarantined
from trustwatch.policy import load_packs

DEFAULT_FILES = [HERE.parent / "learn_data" / "seed_holdout.jsonl", HERE.parent / "tests" / "data" / "holdout_posts.jsonl"]


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def main() -> None:
    files = [Path(a) for a in sys.argv[1:]] or DEFAULT_FILES
    lex = Detector(load_packs([write_lexicon_only_packs()]))
    full = Detector(load_packs(["learned"]))  # the packs with their classifier signals (`--policy learned`)
    report = {}
    for f in files:
        rows = [p for p in (parse_unit(u) for u in read_units(str(f))) if not isinstance(p, Quarantined)]
        cats = full.active
        counts = {c: {k: [0, 0, 0] for k in ("lexicon", "with_classifier")} for c in cats}
        rescued = {c: [0, 0] for c in cats}
        for r in rows:
            a, b = lex.detect(r), full.detect(r)  # text, title and hashtags, as a scan sees them
            labels = r.raw.get("labels", [])
            for c in cats:
                truth = c in labels
                for name, res in (("lexicon", a), ("with_classifier", b)):
                    hit = res["categories"][c]
                    counts[c][name][0] += hit and truth
                    counts[c][name][1] += hit and not truth
                    counts[c][name][2] += truth and not hit
                if truth and not a["categories"][c]:
                    rescued[c][0] += 1
                    rescued[c][1] += b["categories"][c]
        out = {}
        print(f"\n{f} ({len(rows)} posts)\n")
        print("| category | lexicon P | lexicon R | + classifier P | + classifier R | lexicon misses caught |")
        print("|---|---:|---:|---:|---:|---:|")
        macro = {"lexicon": 0.0, "with_classifier": 0.0}
        for c in cats:
            (p1, r1, f1), (p2, r2, f2) = prf(*counts[c]["lexicon"]), prf(*counts[c]["with_classifier"])
            macro["lexicon"] += f1 / len(cats)
            macro["with_classifier"] += f2 / len(cats)
            out[c] = {"lexicon": {"precision": round(p1, 3), "recall": round(r1, 3), "f1": round(f1, 3)},
                      "with_classifier": {"precision": round(p2, 3), "recall": round(r2, 3), "f1": round(f2, 3)},
                      "lexicon_misses": rescued[c][0], "caught_by_classifier": rescued[c][1]}
            print(f"| `{c}` | {p1:.3f} | {r1:.3f} | {p2:.3f} | {r2:.3f} | {rescued[c][1]} of {rescued[c][0]} |")
        total = [sum(rescued[c][0] for c in cats), sum(rescued[c][1] for c in cats)]
        print(f"| macro-F1 | {macro['lexicon']:.3f} | | {macro['with_classifier']:.3f} | | {total[1]} of {total[0]} |")
        out["macro_f1"] = {k: round(v, 4) for k, v in macro.items()}
        out["lexicon_misses_caught"] = total
        report[str(f.relative_to(HERE.parent)) if f.is_relative_to(HERE.parent) else str(f)] = out
    (HERE / "out").mkdir(exist_ok=True)
    (HERE / "out" / "seed_holdout.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
