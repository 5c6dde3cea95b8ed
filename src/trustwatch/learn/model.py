"""A trained classifier on disk: `manifest.json` (what it is, how it was made, how well it did)
and `weights.npz` (plain numeric arrays, loaded with `allow_pickle=False`). Nothing in either file
is executed; every field is checked on load, and any problem is one sentence naming the file."""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import TrustwatchError
from ..normalize import Normalized, normalize
from .features import (
    READABLE_VERSIONS,
    FeatureSettings,
    buckets,
    hashed,
    term_freqs,
    weigh,
    word_buckets,
)
from .stopwords import StopJudge

FORMAT = "trustwatch-classifier"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
WEIGHTS = "weights.npz"
SPANS = "spans.json"  # optional: a token-level span model for evidence


class ModelError(TrustwatchError):
    """A model artifact cannot be used (missing, corrupt, another format version, not a model)."""


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("trustwatch")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0+unknown"


@dataclass
class Classifier:
    """Linear model over hashed n-grams with calibrated probabilities:
    p = softmax((x·W + b) / temperature + bias), x the L2-normalized sublinear tf-idf vector."""

    labels: list[str]
    settings: FeatureSettings
    idf: np.ndarray  # (n_features,) float32
    weights: np.ndarray  # (n_features, n_labels) float32
    intercept: np.ndarray  # (n_labels,)
    temperature: float
    bias: np.ndarray  # (n_labels,) calibration bias
    offsets: np.ndarray  # (n_labels,) decision offsets added to log-probabilities (tuned for macro-F1)
    manifest: dict[str, Any]
    path: Path | None = None
    span_tokens: dict[str, float] | None = None  # folded word -> P(inside an offensive span)
    emb_weights: np.ndarray | None = None  # (384, n_labels): the optional sentence-embedding view

    def __post_init__(self) -> None:
        self._margin = None
        if len(self.labels) == 2:
            self._margin = np.ascontiguousarray(self.weights[:, 1] - self.weights[:, 0], dtype=np.float32)
            self._b1 = float(self.intercept[1] - self.intercept[0])
            self._cal1 = float(self.bias[1] - self.bias[0])

    # ---- inference -------------------------------------------------------------------------
    def term_freqs(self, norm: Normalized) -> tuple[np.ndarray, np.ndarray]:
        return term_freqs(hashed(norm, self.settings)[0])

    @property
    def embeds(self) -> bool:
        """Whether scoring also needs the text's sentence embedding (slow: tens of ms per text)."""
        return self.emb_weights is not None

    def proba_tf(self, u: np.ndarray, tf: np.ndarray, vec: np.ndarray | None = None) -> np.ndarray:
        """Probabilities from `term_freqs` output (shared by models with the same settings), and for
        a model with an embedding view, the text's embedding `vec` (see `embed`)."""
        v = weigh(u, tf, self.idf, self.settings)
        rows = buckets(u, self.settings)
        if self.emb_weights is not None:
            if vec is None:
                raise ValueError("this model has an embedding view: pass the text's embedding")
            z = v @ self.weights[rows] + vec @ self.emb_weights + self.intercept
            z = z / self.temperature + self.bias
            z = z - z.max()
            e = np.exp(z)
            return e / e.sum()
        if self._margin is not None:  # two labels: one gathered column instead of a (n, 2) block
            z1 = (float(np.dot(v, self._margin[rows])) + self._b1) / self.temperature + self._cal1
            p1 = 1.0 / (1.0 + np.exp(-z1)) if z1 > -500 else 0.0
            return np.array([1.0 - p1, p1])
        z = (v @ self.weights[rows] + self.intercept) / self.temperature + self.bias
        z = z - z.max()
        e = np.exp(z)
        return e / e.sum()

    def embed(self, texts: list[str]) -> np.ndarray | None:
        """The texts' sentence embeddings for a model with an embedding view (None otherwise),
        through the process's shared, cached embedder."""
        if self.emb_weights is None:
            return None
        from ..detect.embed import shared_embedder

        return shared_embedder().embed(list(texts))

    def proba_norm(self, norm: Normalized, vec: np.ndarray | None = None) -> np.ndarray:
        if vec is None and self.emb_weights is not None:
            vec = self.embed([norm.original])[0]  # type: ignore[index]
        return self.proba_tf(*self.term_freqs(norm), vec)

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), len(self.labels)), dtype=np.float64)
        vecs = self.embed(texts)
        for i, t in enumerate(texts):
            out[i] = self.proba_norm(normalize(t), None if vecs is None else vecs[i])
        return out

    def predict(self, texts: list[str]) -> list[str]:
        p = self.predict_proba(texts)
        return [self.labels[int(k)] for k in np.argmax(np.log(np.maximum(p, 1e-12)) + self.offsets, axis=1)]

    def evidence(self, norm: Normalized, label: int, top: int = 3, hashed_words=None) -> list[tuple[int, int, float]]:
        """Words and two-word phrases of the folded view that push the score towards `label` the
        most, as (start, end, contribution) in the folded text, strongest first (positive ones only,
        at most `top` spans).

        A word's or a word pair's contribution is its tf-idf value times its weight margin. Stop
        words (stopwords.py: `và`, `của`, `bạn`, `the`, `to`, judged on the characters as written)
        are never a span alone; a pair with one counts only if the pair weighs more than its
        content word alone, and a span never starts or ends with one (but for a title heading a
        trade's name: `cô đồng`). A pair among the strongest is shown whole (`vay tiền`, `giải
        hạn`: Vietnamese words are often two syllables), and chosen spans that overlap or touch
        (only spaces between them as written) become one, of at most MAX_SPAN_WORDS words. Each
        distinct word or pair counts once, at its first place, and a span whose words another
        chosen span holds is left out. If only stop words push the score up, the strongest words
        are given as they are (as before stop words were known). A model with a span model (spans.json, trained on ViHOS-style span
        labels) marks the words it predicts to be inside a span instead, in text order, stop
        words left out."""
        if hashed_words is None:  # (u, tf, words) from a caller that already hashed the text
            idx, words = hashed(norm, self.settings, with_words=True)
            u, tf = term_freqs(idx)
        else:
            u, tf, words = hashed_words
        if words is None or not len(u):
            return []
        judge = StopJudge(norm)
        if self.span_tokens:
            folded = norm.folded_text
            found = []
            for a, b in zip(words[0].tolist(), words[1].tolist(), strict=True):
                p = self.span_tokens.get(folded[a:b])
                if p is not None and p >= 0.5 and not judge.is_stop(a, b):
                    found.append((a, b, p))
            if found:
                return found[:12]
        v = weigh(u, tf, self.idf, self.settings)
        starts, ends = words
        pairs = self.settings.word_min <= 2 <= self.settings.word_max and len(starts) > 1
        contrib = self._contributions(norm, u, v, starts, ends, label, pairs)
        uni, bi = contrib[: len(starts)], (contrib[len(starts):] if pairs else None)
        spans = _phrases(judge, starts, ends, uni, bi, top)
        if spans:
            return spans
        order = np.argsort(-uni, kind="stable")[:top]  # only stop words weigh: the strongest words
        return [(int(starts[k]), int(ends[k]), float(uni[k])) for k in order if uni[k] > 0]

    def _contributions(self, norm: Normalized, u: np.ndarray, v: np.ndarray, starts: np.ndarray,
                       ends: np.ndarray, label: int, pairs: bool = False) -> np.ndarray:
        """Each word's tf-idf value times its weight margin for `label` (then, with `pairs`, each
        pair of adjacent words'); 0 for a repeat of an earlier one and for one the model lacks."""
        tagged = word_buckets(norm, self.settings, starts, ends, pairs=pairs)
        pos = np.minimum(np.searchsorted(u, tagged), len(u) - 1)
        val = np.where(u[pos] == tagged, v[pos], 0.0)
        rows = buckets(tagged, self.settings)
        if self._margin is not None:  # two labels: one gathered column
            margin = self._margin[rows] if label == 1 else -self._margin[rows]
        else:
            w = self.weights[rows]
            margin = w[:, label] - np.delete(w, label, axis=1).max(axis=1)
        contrib = np.zeros(len(tagged))
        _, first = np.unique(tagged, return_index=True)
        contrib[first] = (val * margin)[first]
        return contrib

    # ---- files -----------------------------------------------------------------------------
    def save(self, out: str | Path) -> Path:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        # float16 weights keep shipped models small; the loss is far below calibration error.
        extra = {} if self.emb_weights is None else {"emb_weights": self.emb_weights.astype(np.float32)}
        np.savez_compressed(
            out / WEIGHTS,
            **extra,
            idf=self.idf.astype(np.float16),
            weights=self.weights.astype(np.float16),
            intercept=self.intercept.astype(np.float64),
            bias=self.bias.astype(np.float64),
            offsets=self.offsets.astype(np.float64),
        )
        manifest = dict(self.manifest)
        manifest.update(
            format=FORMAT,
            format_version=FORMAT_VERSION,
            featurizer_version=self.settings.version,
            labels=self.labels,
            settings=self.settings.to_json(),
            temperature=self.temperature,
        )
        if self.span_tokens:
            (out / SPANS).write_text(json.dumps({"tokens": self.span_tokens}, ensure_ascii=False, sort_keys=True) + "\n",
                                     encoding="utf-8")
        (out / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        self.manifest = manifest
        return out


def _fail(path: Path, what: str) -> ModelError:
    return ModelError(f"{path}: {what}", "Point to a folder written by `trustwatch train`, or retrain the model.")


def load(path: str | Path) -> Classifier:
    """Load a model folder (or its manifest.json). Never unpickles; checks every array."""
    path = Path(path)
    folder = path.parent if path.name == MANIFEST else path
    mpath = folder / MANIFEST
    if not folder.exists():
        raise _fail(folder, "no such model folder or file")
    if not mpath.is_file():
        raise _fail(folder, f"not a trustwatch model (no {MANIFEST})")
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _fail(mpath, f"not a trustwatch model manifest (invalid JSON: {exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _fail(mpath, f"not a trustwatch model manifest (no \"format\": \"{FORMAT}\")")
    fv = manifest.get("format_version")
    if fv != FORMAT_VERSION or manifest.get("featurizer_version") not in READABLE_VERSIONS:
        raise _fail(
            mpath,
            f"model format version {fv!r} (featurizer {manifest.get('featurizer_version')!r}, written by trustwatch "
            f"{manifest.get('trustwatch_version', '?')}); this trustwatch {_version()} reads format version "
            f"{FORMAT_VERSION} (featurizer {' or '.join(map(str, READABLE_VERSIONS))}) only",
        )
    try:
        labels = [str(x) for x in manifest["labels"]]
        settings = FeatureSettings(**{k: int(v) for k, v in manifest["settings"].items()})
        temperature = float(manifest["temperature"])
        if settings.version > manifest["featurizer_version"]:
            raise ValueError(f"settings {settings.to_json()} need featurizer version {settings.version}")
    except (KeyError, TypeError, ValueError) as exc:
        raise _fail(mpath, f"incomplete model manifest ({exc!r})") from None
    d = settings.n_features
    if len(labels) < 2 or d <= 0 or d & (d - 1) or not temperature > 0:
        raise _fail(mpath, "invalid model manifest (needs 2+ labels, a power-of-two n_features, temperature > 0)")
    wpath = folder / WEIGHTS
    if not wpath.is_file():
        raise _fail(folder, f"the model has no {WEIGHTS}")
    k = len(labels)
    if not zipfile.is_zipfile(wpath):
        raise _fail(wpath, "corrupt model weights (not an .npz archive)")
    shapes = {"idf": (d,), "weights": (d, k), "intercept": (k,), "bias": (k,), "offsets": (k,)}
    if "embedding" in manifest:  # the optional sentence-embedding view: one more array
        try:
            shapes["emb_weights"] = (int(manifest["embedding"]["dim"]), k)
        except (KeyError, TypeError, ValueError) as exc:
            raise _fail(mpath, f"incomplete embedding view in the manifest ({exc!r})") from None
    try:
        with np.load(wpath, allow_pickle=False) as z:
            if "emb_weights" in shapes and "emb_weights" not in z.files:
                raise _fail(wpath, "the manifest names an embedding view but the weights have no 'emb_weights' array")
            arrays = {name: z[name] for name in shapes}
    except ValueError as exc:
        if "pickle" in str(exc):
            raise _fail(wpath, "the model weights hold pickled objects, which trustwatch never loads") from None
        raise _fail(wpath, f"corrupt or incomplete model weights ({exc})") from None
    except (OSError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise _fail(wpath, f"corrupt or incomplete model weights ({type(exc).__name__}: {exc})") from None
    for name, shape in shapes.items():
        a = arrays[name]
        if a.dtype.kind != "f" or a.shape != shape:
            raise _fail(wpath, f"array {name!r} has shape {a.shape} and type {a.dtype}, expected {shape} floats")
        if not np.all(np.isfinite(a)):
            raise _fail(wpath, f"array {name!r} holds non-finite numbers")
    span_tokens = None
    spath = folder / SPANS
    if spath.exists():
        try:
            raw = json.loads(spath.read_text(encoding="utf-8"))
            span_tokens = {str(k): float(v) for k, v in raw["tokens"].items()}
        except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
            raise _fail(spath, f"corrupt span model ({type(exc).__name__}: {exc})") from None
    return Classifier(
        span_tokens=span_tokens,
        labels=labels,
        settings=settings,
        idf=arrays["idf"].astype(np.float32),
        weights=arrays["weights"].astype(np.float32),
        intercept=arrays["intercept"].astype(np.float32),
        temperature=temperature,
        bias=arrays["bias"].astype(np.float32),
        offsets=arrays["offsets"].astype(np.float64),
        manifest=manifest,
        path=folder,
        emb_weights=arrays["emb_weights"].astype(np.float32) if "emb_weights" in arrays else None,
    )


MAX_SPAN_WORDS = 4  # a merged span longer than this stops growing: evidence, not a sentence


def _phrases(judge: StopJudge, starts: np.ndarray, ends: np.ndarray, uni: np.ndarray,
             bi: np.ndarray | None, top: int) -> list[tuple[int, int, float]]:
    """Up to `top` spans from the strongest word and word-pair contributions (see `evidence`).
    One sort, then a walk down the candidates that stops at the first one needing a span past
    `top`; stop words are judged only for the candidates walked over."""
    n = len(starts)
    scores = uni if bi is None else np.concatenate([uni, bi])
    positive = np.flatnonzero(scores > 0)
    order = positive[np.argsort(-scores[positive], kind="stable")]
    stops: dict[int, bool] = {}

    def stop(i: int) -> bool:
        r = stops.get(i)
        if r is None:
            r = stops[i] = judge.is_stop(int(starts[i]), int(ends[i]))
        return r

    def join(i: int) -> bool:  # word i and word i + 1 may share a span
        return judge.joinable(int(ends[i]), int(starts[i + 1]))

    chosen: list[list] = []  # [first word, last word + 1, score]
    for k in order.tolist():
        score = float(scores[k])
        if k < n:
            i, j = k, k + 1
            if stop(i):
                continue
        else:
            i = k - n
            j = i + 2
            first, second = stop(i), stop(i + 1)
            if first and second:
                continue
            if (first or second) and score <= uni[i + 1 if first else i]:
                continue  # the pair says no more than its content word: that word is shown instead
            if not join(i):
                continue  # the two words are apart as written (a full stop, a line between)
        lo, hi, total = i, j, score
        merged = []
        for c in chosen:
            if (lo < c[1] and hi > c[0]) or (hi == c[0] and join(hi - 1)) or (lo == c[1] and join(lo - 1)):
                merged.append(c)
                lo, hi, total = min(lo, c[0]), max(hi, c[1]), total + c[2]
        if hi - lo > MAX_SPAN_WORDS:
            continue
        if not merged and len(chosen) >= top:
            break
        chosen = [c for c in chosen if c not in merged] + [[lo, hi, total]]
    for c in chosen:  # a stop word that came in with a pair is not an end of a span
        while c[1] - c[0] > 1 and stop(c[1] - 1):
            c[1] -= 1
        while c[1] - c[0] > 1 and stop(c[0]) and not judge.is_title(int(starts[c[0]]), int(ends[c[0]])):
            c[0] += 1
    chosen.sort(key=lambda c: -c[2])
    # A word may be chosen at one place and, in a phrase, at another (`nhận`, `nhận tiền`), and
    # trimming may leave a word twice: a span whose words another span holds is left out.
    folded = judge.norm.folded_text
    texts = [f" {folded[int(starts[lo]):int(ends[hi - 1])]} " for lo, hi, _ in chosen]
    return [(int(starts[lo]), int(ends[hi - 1]), total) for k, (lo, hi, total) in enumerate(chosen)
            if not any(texts[k] in t and (len(t) > len(texts[k]) or m < k) for m, t in enumerate(texts) if m != k)]
