"""Classification metrics in numpy (no scikit-learn needed to evaluate a model)."""

from __future__ import annotations

import itertools

import numpy as np


def confusion(y: np.ndarray, pred: np.ndarray, k: int) -> np.ndarray:
    m = np.zeros((k, k), dtype=np.int64)
    np.add.at(m, (y, pred), 1)
    return m


def per_class(y: np.ndarray, pred: np.ndarray, k: int) -> list[dict[str, float]]:
    m = confusion(y, pred, k)
    out = []
    for c in range(k):
        tp = m[c, c]
        p = tp / m[:, c].sum() if m[:, c].sum() else 0.0
        r = tp / m[c, :].sum() if m[c, :].sum() else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        out.append({"precision": round(float(p), 4), "recall": round(float(r), 4), "f1": round(float(f), 4),
                    "support": int(m[c, :].sum())})
    return out


def macro_f1(y: np.ndarray, pred: np.ndarray, k: int) -> float:
    return float(np.mean([c["f1"] for c in per_class(y, pred, k)]))


def ece(y: np.ndarray, proba: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error of the top-class probability, equal-width bins."""
    conf = proba.max(axis=1)
    correct = (proba.argmax(axis=1) == y).astype(float)
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in itertools.pairwise(edges):
        m = (conf > lo) & (conf <= hi) if lo > 0 else (conf >= lo) & (conf <= hi)
        if m.any():
            total += m.mean() * abs(correct[m].mean() - conf[m].mean())
    return float(total)


def reliability(y: np.ndarray, proba: np.ndarray, bins: int = 10) -> list[tuple[float, float, int]]:
    conf = proba.max(axis=1)
    correct = (proba.argmax(axis=1) == y).astype(float)
    edges = np.linspace(0, 1, bins + 1)
    out = []
    for i, (lo, hi) in enumerate(itertools.pairwise(edges)):
        m = (conf > lo) & (conf <= hi) if i else (conf >= lo) & (conf <= hi)
        if m.any():
            out.append((float(conf[m].mean()), float(correct[m].mean()), int(m.sum())))
    return out


def pr_curve(is_pos: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Precision and recall at every threshold (descending score)."""
    order = np.argsort(-score, kind="mergesort")
    t = is_pos[order].astype(float)
    tp = np.cumsum(t)
    fp = np.cumsum(1 - t)
    pos = t.sum()
    precision = tp / np.maximum(tp + fp, 1)
    recall = tp / pos if pos else np.zeros_like(tp)
    return np.concatenate([[1.0], precision]), np.concatenate([[0.0], recall])
