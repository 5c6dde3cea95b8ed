"""Held-out figures for the seed-category classifiers: the packs without any classifier, the
default packs (three classifiers, each asked only for a text with a topic word of its category)
and the `learned` edition (all four classifiers, no topic hint), on posts never trained on.

    .venv/bin/python bench/seed_holdout.py [FILE ...]

Default files: learn_data/seed_holdout.jsonl (paraphrases written to avoid the lexicons' terms),
tests/data/holdout_posts.jsonl (written independently of the packs), tests/data/blind_posts.jsonl
(written by an engineer who had not read the packs, from the published criteria only; its misses
have since been read and the packs widened from them), tests/data/blind_posts_2.jsonl (written
the same way on 2026-11-27; read for tuning later that day), tests/data/blind_posts_4.jsonl (the
same; measured once unread, then read), tests/data/blind_posts_5.jsonl, blind_posts_6.jsonl and blind_posts_7.jsonl (the
same, 2026-11-27 evening) and tests/data/blind_posts_3.jsonl (written the same way on 2026-11-27, measured only,
never read for tuning). Since 2026-11-27 (late) the seed classifiers are also trained on the read
blind sets (READ_BLIND in scripts/build_seed_classifiers.py: 1, 2, 4-7, 9, 10), so on those files the
classifier editions' figures are not held-out ones; seed_holdout, holdout_posts, blind_posts_3 and
blind_posts_8 (pass it as an argument) still are. For each
file and category: precision and recall of each edition, and how many positives the lexicon-only
packs miss that each classifier edition catches. Writes bench/out/seed_holdout.json.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from lexicon_only import edition_detectors

from trustwatch.ingest import parse_unit, read_units
from trustwatch.models import Quarantined

DEFAULT_FILES = [HERE.parent / "learn_data" / "seed_holdout.jsonl", HERE.parent / "tests" / "data" / "holdout_posts.jsonl",
                 HERE.parent / "tests" / "data" / "blind_posts.jsonl", HERE.parent / "tests" / "data" / "blind_posts_2.jsonl",
                 HERE.parent / "tests" / "data" / "blind_posts_4.jsonl", HERE.parent / "tests" / "data" / "blind_posts_5.jsonl",
                 HERE.parent / "tests" / "data" / "blind_posts_6.jsonl", HERE.parent / "tests" / "data" / "blind_posts_7.jsonl",
                 HERE.parent / "tests" / "data" / "blind_posts_3.jsonl"]
EDITIONS = ("lexicon", "default", "learned")


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def main() -> None:
    files = [Path(a) for a in sys.argv[1:]] or DEFAULT_FILES
    dets = edition_detectors()
    report = {}
    for f in files:
        rows = [p for p in (parse_unit(u) for u in read_units(str(f))) if not isinstance(p, Quarantined)]
        cats = dets["default"].active
        counts = {c: {k: [0, 0, 0] for k in EDITIONS} for c in cats}
        rescued = {c: {"missed": 0, "default": 0, "learned": 0} for c in cats}
        for r in rows:
            res = {k: d.detect(r) for k, d in dets.items()}  # text, title and hashtags, as a scan sees them
            labels = r.raw.get("labels", [])
            for c in cats:
                truth = c in labels
                for name in EDITIONS:
                    hit = res[name]["categories"][c]
                    counts[c][name][0] += hit and truth
                    counts[c][name][1] += hit and not truth
                    counts[c][name][2] += truth and not hit
                if truth and not res["lexicon"]["categories"][c]:
                    rescued[c]["missed"] += 1
                    rescued[c]["default"] += res["default"]["categories"][c]
                    rescued[c]["learned"] += res["learned"]["categories"][c]
        out: dict = {}
        print(f"\n{f} ({len(rows)} posts)\n")
        print("| category | " + " | ".join(f"{e} P | {e} R" for e in EDITIONS) + " | lexicon misses caught (default / learned) |")
        print("|---|" + "---:|" * (2 * len(EDITIONS) + 1))
        macro = dict.fromkeys(EDITIONS, 0.0)
        for c in cats:
            out[c] = {}
            cells = []
            for e in EDITIONS:
                p, r, f1 = prf(*counts[c][e])
                macro[e] += f1 / len(cats)
                out[c][e] = {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f1, 3)}
                cells.append(f"{p:.3f} | {r:.3f}")
            out[c]["lexicon_misses"] = rescued[c]
            print(f"| `{c}` | " + " | ".join(cells) + f" | {rescued[c]['default']} / {rescued[c]['learned']} of {rescued[c]['missed']} |")
        total = {k: sum(rescued[c][k] for c in cats) for k in ("missed", "default", "learned")}
        print("| macro-F1 | " + "".join(f"{macro[e]:.3f} | | " for e in EDITIONS)
              + f"{total['default']} / {total['learned']} of {total['missed']} |")
        out["macro_f1"] = {k: round(v, 4) for k, v in macro.items()}
        out["lexicon_misses_caught"] = total
        report[str(f.relative_to(HERE.parent)) if f.is_relative_to(HERE.parent) else str(f)] = out
    (HERE / "out").mkdir(exist_ok=True)
    (HERE / "out" / "seed_holdout.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
