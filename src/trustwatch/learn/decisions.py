"""Learning from reviewers: retrain a pack's classifier on its reviewed decisions.

Confirmed cases of the pack's category are positives ("1"), dismissed and overturned ones
negatives ("0") — the same labels the seed classifiers use. Every fifth case (by case id) is held
back and never trained on, so the old and the new model are compared on decisions neither saw.
The seed training data (`learn_data/seed_train.jsonl` in a checkout) is kept in the training set
unless asked otherwise, so a few dozen decisions adjust the model rather than replace it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import InputError
from .data import read_labeled
from .evaluate import evaluate_loaded
from .train import train

HOLD_OUT_EVERY = 5  # cases whose id is a multiple of this are the held-out decisions
MIN_DECISIONS = 5


def seed_file() -> Path | None:
    """The seed training data of a checkout, if this install has one."""
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "learn_data" / "seed_train.jsonl"
        if candidate.exists():
            return candidate
    return None


def decision_rows(db: str, pack: str) -> list[dict[str, Any]]:
    from ..cases import CaseService

    with CaseService.open(db) as svc:
        return [r for r in svc.labeled_decisions() if r["category"] == pack and r["text"]]


def retrain_from_decisions(
    pack: str, db: str, out: str, *, folds: int = 5, with_seed: bool = True,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Train a new classifier for `pack` from its decisions (plus the seed data), save it to
    `out`, and evaluate the shipped model and the new one on the held-out decisions."""
    from ..detect.classifier import get_model

    rows = decision_rows(db, pack)
    if len(rows) < MIN_DECISIONS:
        raise InputError(
            f"{db} holds {len(rows)} decided case item(s) for {pack!r}; at least {MIN_DECISIONS} are needed to retrain.",
            "Review more cases (trustwatch cases decide …) first.",
        )
    label = {"confirmed": "1"}
    held = [r for r in rows if r["case_id"] % HOLD_OUT_EVERY == 0]
    used = [r for r in rows if r["case_id"] % HOLD_OUT_EVERY != 0]
    if not held or not used:
        raise InputError(
            f"The {len(rows)} decisions for {pack!r} cannot be split into training and held-out ones.",
            "Review more cases so that some fall on each side of the split.",
        )
    texts = [r["text"] for r in used]
    labels = [label.get(r["decision"], "0") for r in used]
    seed = seed_file() if with_seed else None
    if seed is not None:
        base = read_labeled(seed, "text", pack)
        texts, labels = base.texts + texts, base.labels + labels
    if len(set(labels)) < 2:
        raise InputError(
            f"Every training example for {pack!r} has the same label; a classifier needs both confirmed and dismissed cases.",
            "Keep the seed data (leave out --without-seed) or review cases of both outcomes.",
        )
    digest = hashlib.sha256("\n".join(f"{r['case_id']}:{r['decision']}" for r in used).encode()).hexdigest()
    info = {"decisions_of": pack, "db_decisions": len(used), "held_out": len(held), "seed": str(seed) if seed else None,
            "sha256": digest}
    new = train(texts, labels, folds=folds, data_info=info, progress=progress)
    path = new.save(out)
    held_texts = [r["text"] for r in held]
    held_labels = [label.get(r["decision"], "0") for r in held]
    before = evaluate_loaded(get_model(pack), held_texts, held_labels, source=f"held-out decisions of {pack}")
    after = evaluate_loaded(new, held_texts, held_labels, source=f"held-out decisions of {pack}")
    return {"pack": pack, "model": str(path), "trained_on": len(used), "seed_examples": len(texts) - len(used),
            "held_out": len(held), "before": before, "after": after}
