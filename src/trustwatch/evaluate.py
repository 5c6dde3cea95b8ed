"""Measure policy packs on labeled posts: per-category precision, recall and F1, and the errors.

Labeled posts are ordinary post records with a `labels` list of category ids (empty = benign).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .detect import Detector
from .errors import InputError
from .ingest import parse_unit, read_units
from .models import Quarantined
from .policy import load_packs


@dataclass
class CategoryScore:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    false_positives: list[str] = field(default_factory=list)
    false_negatives: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def evaluate(data: str, policies: list[str] | None = None, label_field: str = "labels") -> dict[str, Any]:
    packs = load_packs(policies)
    detector = Detector(packs)
    cats = detector.active
    scores = {c: CategoryScore() for c in cats}
    n = 0
    skipped = 0
    for unit in read_units(data):
        post = parse_unit(unit)
        if isinstance(post, Quarantined):
            skipped += 1
            continue
        labels = post.raw.get(label_field)
        if isinstance(labels, str):
            labels = [x for x in labels.replace("|", " ").replace(",", " ").split() if x]
        if not isinstance(labels, list):
            skipped += 1
            continue
        n += 1
        result = detector.detect(post)
        for c in cats:
            truth = c in labels
            pred = bool(result["categories"].get(c))
            s = scores[c]
            if truth and pred:
                s.tp += 1
            elif pred:
                s.fp += 1
                s.false_positives.append(post.id)
            elif truth:
                s.fn += 1
                s.false_negatives.append(post.id)
            else:
                s.tn += 1
    if n == 0:
        raise InputError(f"No labeled posts were found in {data}.", f"Give each post a `{label_field}` list of category ids.")
    per = {
        c: {
            "precision": round(s.precision, 4), "recall": round(s.recall, 4), "f1": round(s.f1, 4),
            "support": s.tp + s.fn, "tp": s.tp, "fp": s.fp, "fn": s.fn,
            "false_positives": s.false_positives, "false_negatives": s.false_negatives,
        }
        for c, s in scores.items()
    }
    macro = sum(v["f1"] for v in per.values()) / len(per) if per else 0.0
    return {"n": n, "skipped": skipped, "macro_f1": round(macro, 4), "per_class": per}
