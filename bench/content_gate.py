"""What the classifier's content gate costs against what it saves: microseconds per text for the
gate's word count and for scoring the four seed classifiers (the call the gate skips), on the same
texts in the same run, one thread.

    .venv/bin/python bench/content_gate.py [FILE.jsonl ...]

Default texts: examples/posts.jsonl and tests/data/holdout_posts.jsonl. Also prints how many of
them fall below the gate (none should: they are real posts). Writes bench/out/content_gate.json.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from timing import best_of

from trustwatch.detect.classifier import get_model
from trustwatch.detect.content_gate import content_words
from trustwatch.learn.features import hashed, term_freqs
from trustwatch.normalize import normalize

HERE = Path(__file__).resolve().parent
DEFAULT_FILES = [HERE.parent / "examples" / "posts.jsonl", HERE.parent / "tests" / "data" / "holdout_posts.jsonl"]
MODELS = ("gambling", "scam", "superstition_service", "undisclosed_ad")


def main() -> None:
    files = [Path(a) for a in sys.argv[1:]] or DEFAULT_FILES
    texts = [json.loads(line).get("text") or "" for f in files for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    norms = [normalize(t) for t in texts]
    clfs = [get_model(m) for m in MODELS]

    def gate() -> None:
        for n in norms:
            content_words(n, 3)

    def classify() -> None:  # as the signal does: one hashing per feature setting, then each model
        for n in norms:
            cache: dict[object, tuple] = {}
            for clf in clfs:
                tf = cache.get(clf.settings)
                if tf is None:
                    idx, words = hashed(n, clf.settings, with_words=True)
                    tf = cache[clf.settings] = (*term_freqs(idx), words)
                clf.proba_tf(tf[0], tf[1])

    gate()
    classify()  # warm caches
    g, c = best_of(gate), best_of(classify)
    below = sum(content_words(n, 3) < 3 for n in norms)
    out = {
        "texts": len(norms),
        "gate_us_per_text": round(1e6 * g / len(norms), 2),
        "four_classifiers_us_per_text": round(1e6 * c / len(norms), 2),
        "below_gate": below,
    }
    print(json.dumps(out, indent=2))
    (HERE / "out").mkdir(exist_ok=True)
    (HERE / "out" / "content_gate.json").write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
