"""Hashed n-gram features computed with numpy, the same at training and at scan time.

Two views of each text (from `normalize`, which the scan computes anyway):

* character n-grams of the plain view, lowercased, digits mapped to 0 (diacritics kept: in
  Vietnamese they carry meaning; digits mapped so every phone number or price looks alike);
* word n-grams of the folded view (diacritics, teencode, leetspeak and spaced-out letters undone).
  Vietnamese words are mostly one or two syllables written apart, so syllable bigrams stand in for
  word segmentation (BENCHMARKS.md (Learned detection) compares unigram-only features).

Version 2 settings (`views=1`, trustwatch's training default since 2026-11-27) L2-normalize each
view on its own, so a long text's many character n-grams do not drown its few words, and add a
handful of *shape* tokens (length, share of distinct words, longest repeated-character run, letter,
capital, digit and emoji amounts, all binned) with a fixed value `shape / 100`: signs of keyboard
mashing, copy-paste repetition and shouting that no single n-gram carries (BENCHMARKS.md, Learned
detection, has the ablation). A model records its settings; version-1 models score as before.

Every n-gram is hashed with a polynomial rolling hash over its code points, computed for all
n-grams of a text at once from one prefix-sum array (uint64 arithmetic wraps modulo 2**64, which
keeps the hash exact), then mixed and reduced to `n_features` buckets. No Python loop runs per
n-gram, so a post costs tens of microseconds; and the hash is fixed arithmetic, identical on every
platform and Python version (unlike `hash()`).
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, replace

import numpy as np

from ..normalize import Normalized, normalize

READABLE_VERSIONS = (1, 2)  # a model's manifest records `FeatureSettings.version`

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
    views: int = 0  # 1: L2-normalize each view (characters, words, shape tokens) on its own
    shape: int = 0  # with views=1: shape tokens valued shape/100 (0: none)

    def __post_init__(self) -> None:
        if self.views and self.char_folded:
            raise ValueError("views=1 keeps the folded view's characters with the plain ones; set char_folded=0")

    def to_json(self) -> dict[str, int]:
        d = asdict(self)
        if not self.views and not self.shape:  # version-1 manifests stay byte-identical
            d.pop("views")
            d.pop("shape")
        return d

    @property
    def version(self) -> int:
        return 2 if self.views or self.shape else 1


# view tags of version-2 bucket numbers: tag * n_features + bucket (see `hashed`)
CHAR, WORD, SHAPE = 0, 1, 2
N_VIEWS = 3
V2 = FeatureSettings(views=1, shape=50)


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


_SALTS = {(k, n): _salt(k, n) for k in (1, 2, 3, 4) for n in range(1, 16)}


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


_RUN = re.compile(r"(.)\1+")
_HIGH = re.compile("[\u2190-\U0010ffff]")  # past the arrows block: emoji, dingbats (and CJK, dropped below)


def _bin(x: float, top: int) -> int:
    return min(int(x), top)


def shape_codes(norm: Normalized) -> list[int]:
    """The shape tokens of a text as small integers (kind * 64 + bin): binned length, word count,
    share of distinct words, longest run of one repeated character, and the amounts of letters,
    capitals, digits and emoji. A few passes over the text in C, ~15 µs for a post."""
    text = norm.plain_text[:MAX_CHARS]
    n = len(text)
    words = norm.folded_text.split()
    letters = sum(map(str.isalpha, text))
    upper = sum(map(str.isupper, text))
    digits = sum(map(str.isdigit, text))
    emoji = sum(1 for c in _HIGH.findall(text) if not c.isalnum())
    run = max((m.end() - m.start() for m in _RUN.finditer(text)), default=1)
    codes = [
        0 * 64 + _bin(math.log2(n + 1), 15),
        1 * 64 + _bin(math.log2(len(words) + 1), 12),
        3 * 64 + _bin(run, 8),
        4 * 64 + _bin(10 * letters / max(n, 1), 10),
        5 * 64 + _bin(10 * upper / max(letters, 1), 10),
        6 * 64 + _bin(math.log2(digits + 1), 6),
        7 * 64 + _bin(emoji, 6),
    ]
    if words:
        codes.append(2 * 64 + _bin(10 * len(set(words)) / len(words), 10))
    return codes


def hashed(norm: Normalized, s: FeatureSettings, with_words: bool = False):
    """Bucket numbers of every n-gram of one text (with repeats). With `with_words`, also the
    buckets of the word unigrams and their (start, end) in the folded text, for evidence.
    With version-2 settings each number carries its view: tag * n_features + bucket."""
    if s.views:
        return _hashed_views(norm, s, with_words)
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


def _hashed_views(norm: Normalized, s: FeatureSettings, with_words: bool):
    d = s.n_features
    chars, words_idx = _chars_only(s), _words_only(s)
    out = []
    idx, _ = hashed(norm, chars)
    if len(idx):
        out.append(idx + CHAR * d)
    idx, words = hashed(norm, words_idx, with_words=with_words)
    if len(idx):
        out.append(idx + WORD * d)
    if not out:  # an empty text is evidence of nothing: no shape tokens either
        return np.zeros(0, dtype=np.int64), words
    if s.shape:
        codes = np.array(shape_codes(norm), dtype=np.uint64)
        out.append((_mix(codes + _SALTS[(4, 1)]) & np.uint64(d - 1)).astype(np.int64) + SHAPE * d)
    return np.concatenate(out), words


def _chars_only(s: FeatureSettings) -> FeatureSettings:
    return replace(s, views=0, shape=0, word_min=1, word_max=0)


def _words_only(s: FeatureSettings) -> FeatureSettings:
    return replace(s, views=0, shape=0, char_min=1, char_max=0, char_folded=0)


def word_buckets(norm: Normalized, s: FeatureSettings, starts: np.ndarray, ends: np.ndarray,
                 pairs: bool = False) -> np.ndarray:
    """The buckets of the given word unigrams, tagged like `hashed`'s output for these settings;
    with `pairs`, followed by those of the word bigrams of each word and the next."""
    folded = norm.folded_text[: MAX_CHARS + 2]
    wprefix, winv = _prefix(folded)
    sub = (wprefix[ends] - wprefix[starts]) * winv[starts] + _SALTS[(2, 1)]
    if pairs:
        st = starts[:-1]
        sub = np.concatenate([sub, (wprefix[ends[1:]] - wprefix[st]) * winv[st] + _SALTS[(2, 2)]])
    b = (_mix(sub) & np.uint64(s.n_features - 1)).astype(np.int64)
    return b + WORD * s.n_features if s.views else b


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


def weigh(u: np.ndarray, tf: np.ndarray, idf: np.ndarray, s: FeatureSettings | None = None) -> np.ndarray:
    """L2-normalized tf-idf values for the buckets `u` (each view on its own for version-2
    settings, whose shape tokens get the fixed value shape/100)."""
    if s is None or not s.views:
        v = tf * idf[u]
        norm = float(np.sqrt(np.dot(v, v)))
        return v / norm if norm > 0 else v
    d = s.n_features
    tags = u // d
    v = (tf * idf[u - tags * d]).astype(np.float32)
    sq = np.bincount(tags, weights=v * v, minlength=N_VIEWS)
    scale = np.where(sq > 0, 1.0 / np.sqrt(np.maximum(sq, 1e-30)), 0.0)
    v = v * scale[tags].astype(np.float32)
    v[tags == SHAPE] = s.shape / 100.0
    return v


def buckets(u: np.ndarray, s: FeatureSettings) -> np.ndarray:
    """Weight rows of (possibly view-tagged) bucket numbers."""
    return u & (s.n_features - 1) if s.views else u


def vector(idx: np.ndarray, idf: np.ndarray, s: FeatureSettings | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(unique buckets, L2-normalized sublinear tf-idf values) of one text."""
    u, tf = term_freqs(idx)
    return u, weigh(u, tf, idf, s)


def matrix(texts: list[str], s: FeatureSettings):
    """A scipy CSR matrix (documents x buckets) of raw counts. Version-2 settings give
    view-tagged columns (N_VIEWS x n_features of them), which `fit_idf` and `tfidf` fold back."""
    from scipy import sparse

    indptr = [0]
    indices = []
    data = []
    width = s.n_features * (N_VIEWS if s.views else 1)
    for t in texts:
        idx, _ = hashed(normalize(t), s)
        u, c = np.unique(idx, return_counts=True)
        indices.append(u)
        data.append(c.astype(np.float32))
        indptr.append(indptr[-1] + len(u))
    m = sparse.csr_matrix(
        (np.concatenate(data) if data else np.zeros(0, np.float32),
         np.concatenate(indices) if indices else np.zeros(0, np.int64), np.array(indptr)),
        shape=(len(texts), width),
    )
    return m


def tfidf(counts, idf: np.ndarray, s: FeatureSettings | None = None):
    """Sublinear tf-idf with L2-normalized rows (each view's part on its own for version-2
    settings), from a count matrix: the same arithmetic as `weigh`, summed into n_features
    columns (a bucket two views share gets both values, as the scoring dot product does)."""
    from scipy import sparse
    from sklearn.preprocessing import normalize as l2

    if s is None or not s.views:
        m = counts.copy()
        m.data = (1.0 + np.log(m.data)) * idf[m.indices]
        return l2(m, norm="l2", copy=False).astype(np.float32)
    d = s.n_features
    total = None
    for tag in (CHAR, WORD, SHAPE):
        part = counts[:, tag * d:(tag + 1) * d].tocsr()
        if part.nnz == 0:
            continue
        part.data = np.full(part.nnz, s.shape / 100.0, dtype=np.float32) if tag == SHAPE else \
            l2(sparse.csr_matrix(((1.0 + np.log(part.data)) * idf[part.indices], part.indices, part.indptr),
                                 shape=part.shape), norm="l2", copy=False).data.astype(np.float32)
        total = part if total is None else total + part
    return (total if total is not None else sparse.csr_matrix((counts.shape[0], d), dtype=np.float32)).astype(np.float32)


def fit_idf(counts, s: FeatureSettings | None = None) -> np.ndarray:
    """Smoothed idf per bucket; for version-2 counts, document frequency over the merged buckets."""
    n = counts.shape[0]
    if s is None or not s.views:
        d, cols = counts.shape[1], counts.indices
    else:  # a document counts once per bucket, whatever the view
        d = s.n_features
        rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(counts.indptr))
        cols = np.unique(rows * d + counts.indices % d) % d
    df = np.bincount(cols, minlength=d)
    return (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)
