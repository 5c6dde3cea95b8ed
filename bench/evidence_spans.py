"""What the classifier's evidence spans cost per flagged text: the old evidence (top word unigrams
by contribution, kept below as the baseline) against `Classifier.evidence` (stop words left out,
word pairs scored, spans merged), on the same texts in the same run, one thread.

    .venv/bin/python bench/evidence_spans.py [N]

The texts are the first N (default 200, repeated if fewer) that a seed classifier flags
(P >= 0.5) among learn_data/seed_holdout.jsonl, tests/data/blind_posts.jsonl and
examples/posts.jsonl; each is timed with the model that flags it, the hashing done beforehand as
the classifier signal does. Two figures for the new evidence: with the text's folded offset map
already built (the engine builds it for every flagged post anyway, to locate its findings) and
with a fresh text each time (it then pays for the map). Writes bench/out/evidence_spans.json.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from timing import best_of

from trustwatch.detect.classifier import get_model
from trustwatch.learn.features import buckets, hashed, term_freqs, weigh, word_buckets
from trustwatch.normalize import normalize

HERE = Path(__file__).resolve().parent
FILES = [HERE.parent / "learn_data" / "seed_holdout.jsonl", HERE.parent / "tests" / "data" / "blind_posts.jsonl",
         HERE.parent / "examples" / "posts.jsonl"]
MODELS = ("gambling", "scam", "superstition_service", "undisclosed_ad")


def old_evidence(clf, norm, label, hashed_words, top=3):
    """The evidence before stop words and pairs: the top word unigrams (as of commit 5df0163)."""
    u, tf, (starts, ends) = hashed_words
    v = weigh(u, tf, clf.idf, clf.settings)
    tagged = word_buckets(norm, clf.settings, starts, ends)
    pos = np.searchsorted(u, tagged)
    val = v[np.minimum(pos, len(v) - 1)]
    w = clf.weights[buckets(tagged, clf.settings)]
    margin = w[:, label] - (np.delete(w, label, axis=1).max(axis=1) if w.shape[1] > 1 else 0.0)
    contrib = val * margin
    order = np.argsort(-contrib)[:top]
    return [(int(starts[k]), int(ends[k]), float(contrib[k])) for k in order if contrib[k] > 0]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    models = {m: get_model(m) for m in MODELS}
    flagged = []  # (text, model name, label)
    for f in FILES:
        for line in f.read_text(encoding="utf-8").splitlines():
            text = json.loads(line).get("text") if line.strip() else None
            if not isinstance(text, str) or not text.strip():
                continue
            norm = normalize(text)
            for name, clf in models.items():
                label = clf.labels.index("1")
                if clf.proba_norm(norm)[label] >= 0.5:
                    flagged.append((text, name, label))
    distinct = len(flagged)
    flagged = (flagged * (n // max(1, len(flagged)) + 1))[:n]
    jobs = []
    for text, name, label in flagged:
        clf = models[name]
        norm = normalize(text)
        idx, words = hashed(norm, clf.settings, with_words=True)
        jobs.append((clf, norm, label, (*term_freqs(idx), words), text))
    for clf, norm, *_ in jobs:
        _ = norm.folded  # built once, as the engine does for a flagged post

    def run_old():
        for clf, norm, label, hw, _ in jobs:
            old_evidence(clf, norm, label, hw)

    def run_new():
        for clf, norm, label, hw, _ in jobs:
            clf.evidence(norm, label, hashed_words=hw)

    fresh = [(clf, normalize(text), label, hw) for clf, _, label, hw, text in jobs]

    def run_new_fresh():
        for clf, norm, label, hw in fresh:
            norm._folded = norm._plain = None  # drop the offset maps: this run pays for them
            clf.evidence(norm, label, hashed_words=hw)

    t_old, t_new, t_fresh = best_of(run_old), best_of(run_new), best_of(run_new_fresh)
    res = {
        "flagged_texts": n,
        "distinct_flagged": distinct,
        "old_us_per_text": round(1e6 * t_old / n, 1),
        "new_us_per_text": round(1e6 * t_new / n, 1),
        "new_with_offset_map_us_per_text": round(1e6 * t_fresh / n, 1),
    }
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    (out / "evidence_spans.json").write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
