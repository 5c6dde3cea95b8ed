"""Hashed n-gram features computed with numpy, the same at training and at scan time.

Two views of each text (from `normalize`, which the scan computes anyway):

* character n-grams of the plain view, lowercased, digits mapped to 0 (diacritics kept: in
  Vietnamese they carry meaning; digits mapped so every phone number or price looks alike);
* word n-grams of the folded view (diacritics, teencode, leetspeak and spaced-out letters undone).
  Vietnamese words are mostly one or two syllables written apart, so syllable bigrams stand in for
  word segmentation (BENCHMARKS.md (Learned detection) compares unigram-only features).

Every n-gram is hashed with a polynomial rolling hash over its code points, computed for all
n-grams of a text at once from one prefix-sum array (uint64 arithmetic wraps modulo 2**64, which
keeps the hash exact), then mixed and reduced to `n_features` buckets. No Python loop runs per
n-gram, so a post costs tens of microseconds; and the hash is fixed arithmetic, identical on every
platform and Python version (unlike `hash()`).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

import numpy as np

from ..normalize import Normalized, normalize

FEATURIZER_VERSION = 1

_M = 1 << 64
_Q = 0x100000001B3  # odd, so invertible modulo 2**64
_QINV = pow(_Q, -1, _M)
_MIX1 = np.uint64(0xFF51AFD7ED558CCD)
_MIX2 = np.uint64(0xC4CEB9FE1A85EC53)
_S33 = np.uint64(33)
_DIGIT = re.compile(r"\d")
_SPACE = re.compile(r"\s+")
MAX_CHARS = 20_000  # a classifier reads at most this many characters of each source


@dataclass(frozen=True)
class FeatureSettings:
    char_min: int = 1
    char_max: int = 5
    word_min: int = 1
    word_max: int = 2
    n_features: int = 1 << 20
    char_folded: int = 0  # 1: also character n-grams (same range) of the folded view

    def to_json(self) -> dict[str, int]:
        return asdict(self)


class _Powers:
    """Q**j and Q**-j modulo 2**64 for j < n, grown on demand."""

    def __init__(self) -> None:
        self.fwd = np.ones(1, dtype=np.uint64)
        self.inv = np.ones(1, dtype=np.uint64)

    def get(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        if n > len(self.fwd):
            size = max(n, 2 * len(self.fwd), 256)
            fwd = [1] * size
            inv = [1] * size
            for j in range(1, size):
                fwd[j] = fwd[j - 1] * _Q % _M
                inv[j] = inv[j - 1] * _QINV % _M
            self.fwd = np.array(fwd, dtype=np.uint64)
            self.inv = np.array(inv, dtype=np.uint64)
        return self.fwd[:n], self.inv[:n]


_POW = _Powers()


def _salt(kind: int, n: int) -> np.uint64:
    return np.uint64((kind * 0x9E3779B97F4A7C15 + n * 0xBF58476D1CE4E5B9) % _M)


_SALTS = {(k, n): _salt(k, n) for k in (1, 2, 3) for n in range(1, 16)}


def _mix(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> _S33)
    h = h * _MIX1
    h = h ^ (h >> _S33)
    h = h * _MIX2
    return h ^ (h >> _S33)


def _prefix(text: str) -> tuple[np.ndarray, np.ndarray]:
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    fwd, inv = _POW.get(len(codes) + 1)
    prefix = np.zeros(len(codes) + 1, dtype=np.uint64)
    np.cumsum(codes * fwd[: len(codes)], out=prefix[1:])
    return prefix, inv


def char_view(norm: Normalized) -> str:
    return _SPACE.sub(" ", _DIGIT.sub("0", norm.plain_text[:MAX_CHARS].lower())).strip()


def hashed(norm: Normalized, s: FeatureSettings, with_words: bool = False):
    """Bucket numbers of every n-gram of one text (with repeats). With `with_words`, also the
    buckets of the word unigrams and their (start, end) in the folded text, for evidence."""
    parts = []
    text = " " + char_view(norm) + " "
    if len(text) > 2:
        prefix, inv = _prefix(text)
        length = len(text)
        for n in range(s.char_min, min(s.char_max, length) + 1):
            sub = (prefix[n:] - prefix[:-n]) * inv[: length - n + 1]
            parts.append(sub + _SALTS[(1, n)])
    folded = norm.folded_text[: MAX_CHARS + 2]
    if s.char_folded and len(folded) > 2:
        prefix, inv = _prefix(folded)
        length = len(folded)
        for n in range(s.char_min, min(s.char_max, length) + 1):
            parts.append((prefix[n:] - prefix[:-n]) * inv[: length - n + 1] + _SALTS[(3, n)])
    # word boundaries: folded text is words between single spaces with a space at each end
    spaces = np.flatnonzero(np.frombuffer(folded.encode("utf-32-le"), dtype=np.uint32) == 32)
    words = None
    if len(spaces) >= 2:
        wprefix, winv = _prefix(folded)
        starts = spaces[:-1] + 1
        ends = spaces[1:]
        keep = ends > starts
        starts, ends = starts[keep], ends[keep]
        for n in range(s.word_min, min(s.word_max, len(starts)) + 1):
            st = starts[: len(starts) - n + 1]
            en = ends[n - 1 :]
            sub = (wprefix[en] - wprefix[st]) * winv[st]
            parts.append(sub + _SALTS[(2, n)])
            if with_words and n == 1:
                words = (st, en)
    if not parts:
        return np.zeros(0, dtype=np.int64), words
    mask = np.uint64(s.n_features - 1)
    idx = (_mix(np.concatenate(parts)) & mask).astype(np.int64)
    return idx, words


def word_buckets(norm: Normalized, s: FeatureSettings, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    folded = norm.folded_text[: MAX_CHARS + 2]
    wprefix, winv = _prefix(folded)
    sub = (wprefix[ends] - wprefix[starts]) * winv[starts] + _SALTS[(2, 1)]
    return (_mix(sub) & np.uint64(s.n_features - 1)).astype(np.int64)


def term_freqs(idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(unique buckets, sublinear term frequencies 1 + log(count)) of one text. Several models with
    the same feature settings share this (the costly part); each then applies its own idf."""
    if len(idx) == 0:
        return idx, np.zeros(0, dtype=np.float32)
    idx = np.sort(idx)
    first = np.empty(len(idx), dtype=bool)
    first[0] = True
    np.not_equal(idx[1:], idx[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    counts = np.diff(np.append(starts, len(idx)))
    return idx[starts], (1.0 + np.log(counts)).astype(np.float32)


def weigh(u: np.ndarray, tf: np.ndarray, idf: np.ndarray) -> np.ndarray:
    """L2-normalized tf-idf values for the buckets `u`."""
    v = tf * idf[u]
    norm = float(np.sqrt(np.dot(v, v)))
    return v / norm if norm > 0 else v


def vector(idx: np.ndarray, idf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(unique buckets, L2-normalized sublinear tf-idf values) of one text."""
    u, tf = term_freqs(idx)
    return u, weigh(u, tf, idf)


def matrix(texts: list[str], s: FeatureSettings, idf: np.ndarray | None = None):
    """A scipy CSR matrix (documents x buckets) of raw counts, or of normalized tf-idf when `idf`
    is given (training uses counts to compute idf, then calls again)."""
    from scipy import sparse

    indptr = [0]
    indices = []
    data = []
    for t in texts:
        idx, _ = hashed(normalize(t), s)
        u, c = np.unique(idx, return_counts=True)
        indices.append(u)
        data.append(c.astype(np.float32))
        indptr.append(indptr[-1] + len(u))
    m = sparse.csr_matrix(
        (np.concatenate(data) if data else np.zeros(0, np.float32),
         np.concatenate(indices) if indices else np.zeros(0, np.int64), np.array(indptr)),
        shape=(len(texts), s.n_features),
    )
    return m


def tfidf(counts, idf: np.ndarray):
    """Sublinear tf-idf with L2-normalized rows, from a count matrix (same arithmetic as `vector`)."""
    from sklearn.preprocessing import normalize as l2

    m = counts.copy()
    m.data = (1.0 + np.log(m.data)) * idf[m.indices]
    return l2(m, norm="l2", copy=False).astype(np.float32)


def fit_idf(counts) -> np.ndarray:
    n = counts.shape[0]
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    return (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)
