"""Evaluate a trained classifier on labeled texts: macro-F1, per-class precision/recall/F1, the
confusion matrix, expected calibration error, a PR curve and a reliability diagram (PNG)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from .data import read_labeled
from .metrics import confusion, ece, macro_f1, per_class, pr_curve, reliability
from .model import Classifier, load


def evaluate_model(model_dir: str | Path, data: str | Path, text_col: str, label_col: str,
                   plots_dir: str | Path | None = None) -> dict[str, Any]:
    clf = load(model_dir)
    d = read_labeled(data, text_col, label_col, tuple(clf.manifest.get("meta_cols") or ()))
    return evaluate_loaded(clf, d.texts, d.labels, plots_dir, source=str(data))


def evaluate_loaded(clf: Classifier, texts: list[str], labels: list[str], plots_dir: str | Path | None = None,
                    source: str = "") -> dict[str, Any]:
    index = {name: i for i, name in enumerate(clf.labels)}
    unknown = sorted(set(labels) - index.keys())
    if unknown:
        raise InputError(
            f"{source}: label(s) {unknown[:10]} are not among the model's labels {clf.labels}.",
            "Evaluate on data labeled with the model's label set.",
        )
    y = np.array([index[v] for v in labels])
    t0 = time.perf_counter()
    proba = clf.predict_proba(texts)
    seconds = time.perf_counter() - t0
    pred = np.argmax(np.log(np.maximum(proba, 1e-12)) + clf.offsets, axis=1)
    k = len(clf.labels)
    res: dict[str, Any] = {
        "model": str(clf.path) if clf.path else None,
        "data": source,
        "n": len(y),
        "macro_f1": round(macro_f1(y, pred, k), 4),
        "accuracy": round(float((pred == y).mean()), 4),
        "per_class": {clf.labels[i]: v for i, v in enumerate(per_class(y, pred, k))},
        "labels": clf.labels,
        "confusion": confusion(y, pred, k).tolist(),
        "ece": round(ece(y, proba), 4),
        "texts_per_second": round(len(y) / seconds, 1) if seconds > 0 else None,
    }
    if plots_dir is not None:
        res["plots"] = write_plots(Path(plots_dir), clf.labels, y, proba)
    return res


def write_plots(out: Path, labels: list[str], y: np.ndarray, proba: np.ndarray) -> dict[str, str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(5, 4), dpi=100)
    classes = [1] if len(labels) == 2 else range(len(labels))
    for c in classes:
        precision, recall = pr_curve(y == c, proba[:, c])
        ax.plot(recall, precision, label=f"{labels[c]}")
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_title("Precision-recall" + (" (positive class)" if len(labels) == 2 else " (one class vs rest)"))
    ax.legend(loc="lower left", fontsize=8)
    pr_path = out / "pr_curve.png"
    fig.tight_layout()
    fig.savefig(pr_path)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(5, 4), dpi=100)
    pts = reliability(y, proba)
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect calibration")
    if pts:
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label="model")
    ax.set_xlabel("predicted probability (top class)")
    ax.set_ylabel("observed accuracy")
    ax.set_title(f"Reliability (ECE {ece(y, proba):.3f})")
    ax.legend(loc="upper left", fontsize=8)
    rel_path = out / "reliability.png"
    fig.tight_layout()
    fig.savefig(rel_path)
    plt.close(fig)
    return {"pr_curve": str(pr_path), "reliability": str(rel_path)}
