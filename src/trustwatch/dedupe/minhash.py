"""Word shingles and MinHash signatures, vectorized with numpy over a whole batch of posts.

Why our own MinHash rather than datasketch's: a scan hands the index a batch of a thousand posts at
a time, and computing every signature of the batch with a handful of numpy operations (one matrix
of ``a * x + b`` per batch, one ``minimum.reduceat``) costs a fraction of calling a per-post object
API (bench/dedupe.py measures both).

Shingles are word bigrams of the *folded* text from `trustwatch.normalize` (case, diacritics,
leetspeak, emoji, zero-width characters and teencode undone), so copies that only differ by those
tricks have the same shingles. Every token holding a digit becomes one placeholder, and a run of
them collapses to one, so a changed phone number, price or date does not make a copy look new.
Shingles are 32-bit hashes (crc32 of the words, mixed), deterministic across processes and runs:
the index persists, so the hash of a text must never change between versions of the program.

Hash family: multiply-add-shift, ``h_i(x) = ((a_i * x + b_i) mod 2**64) >> 32`` with random 64-bit
odd ``a_i`` and ``b_i`` from a fixed seed; 2-universal for 32-bit keys and one vectorized multiply.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..normalize import _fold, _plain

SHINGLE_WORDS = 2
DIGIT_TOKEN = "#"
_WORD_CACHE_MAX = 2_000_000
_word_cache: dict[str, int] = {}
_DIGIT = re.compile(r"\d")
_DIGIT_WORD = re.compile(r"[a-z]*\d[a-z0-9]*")
_DIGIT_RUN = re.compile(r"#(?: #)*")
_M1 = np.uint64(0x9E3779B97F4A7C15)
_M2 = np.uint64(0xC2B2AE3D27D4EB4F)
_M3 = np.uint64(0x165667B19E3779F9)
_S32 = np.uint64(32)


def folded_words(text: str) -> list[str]:
    """The folded words of a text, digit tokens collapsed to one placeholder per run."""
    folded = _fold(_plain(text, False)[0], None, None)[0]
    if _DIGIT.search(folded):
        folded = _DIGIT_RUN.sub(" # ", _DIGIT_WORD.sub("#", folded))
    return folded.split()


def _word_ids(words: list[str]) -> list[int]:
    cache = _word_cache
    if len(cache) > _WORD_CACHE_MAX:
        cache.clear()
    ids = list(map(cache.get, words))
    if None in ids:
        crc = zlib.crc32
        for j, (w, h) in enumerate(zip(words, ids, strict=True)):
            if h is None:
                ids[j] = cache[w] = crc(w.encode())
    return ids  # type: ignore[return-value]


def shingle_sets(texts: Sequence[str], k: int = SHINGLE_WORDS) -> tuple[np.ndarray, np.ndarray]:
    """Shingle hashes of many texts at once: (values, offsets).

    ``values[offsets[i]:offsets[i + 1]]`` are text i's distinct shingle hashes, sorted (uint32).
    A text shorter than k words is one shingle of all its words; a text with no word has none.
    """
    all_words: list[str] = []
    counts: list[int] = []
    extend, count = all_words.extend, counts.append
    for text in texts:
        words = folded_words(text) if text else []
        if 0 < len(words) < k:
            words = [" ".join(words)]
        extend(words)
        count(len(words))
    n = len(texts)
    if not all_words:
        return np.zeros(0, np.uint32), np.zeros(n + 1, np.int64)
    w = np.asarray(_word_ids(all_words), dtype=np.uint64)
    per_text = np.asarray(counts, dtype=np.int64)
    own = np.repeat(np.arange(n, dtype=np.int64), per_text)
    # 1 where a word starts a text: no shingle spans two texts
    starts = np.zeros(len(w), dtype=bool)
    starts[(np.cumsum(per_text) - per_text)[per_text > 0]] = True
    # A window of k words starting at j is valid when no text starts inside (j, j + k) and it ends
    # before the end of the array; single-shingle short texts are windows of length 1.
    m = len(w)
    acc = w * _M1
    valid = np.ones(m, dtype=bool)
    cut = np.zeros(m, dtype=bool)
    for d in range(1, k):
        nxt = np.empty(m, dtype=np.uint64)
        nxt[: m - d] = w[d:]
        nxt[m - d :] = 0
        starts_inside = np.zeros(m, dtype=bool)
        starts_inside[: m - d] = starts[d:]
        starts_inside[m - d :] = True
        cut |= starts_inside
        nxt[cut] = 0  # a window cut short by the next text hashes only its own words
        acc = (acc ^ (acc >> np.uint64(29))) * _M2 + nxt * _M3
        valid &= ~cut
    # Texts of one word (a shortened text) give the word itself as their only window.
    single = starts.copy()
    single[:-1] &= starts[1:]
    valid |= single
    acc ^= acc >> np.uint64(31)
    acc *= _M2
    acc ^= acc >> np.uint64(29)
    sh = (acc >> _S32).astype(np.uint64)
    own = own[valid]
    key = (own.astype(np.uint64) << _S32) | sh[valid]
    key.sort()  # by (text, hash); a sort is faster here than np.unique's hash table
    if len(key) > 1:
        key = key[np.concatenate(([True], key[1:] != key[:-1]))]
    own = (key >> _S32).astype(np.int64)
    values = (key & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(own, minlength=n), out=offsets[1:])
    return values, offsets


@dataclass(frozen=True)
class LshParams:
    """How signatures are cut into bands: `bands` x `rows` hash values, verified at `threshold`."""

    threshold: float
    bands: int
    rows: int
    seed: int = 1

    @property
    def num_perm(self) -> int:
        return self.bands * self.rows

    def candidate_probability(self, jaccard: float) -> float:
        """Chance that two texts with this Jaccard similarity share at least one band."""
        return float(1.0 - (1.0 - jaccard**self.rows) ** self.bands)

    @classmethod
    def for_threshold(cls, threshold: float, recall: float = 0.99, max_perm: int = 64) -> LshParams:
        """The banding that finds pairs at `threshold` with probability >= `recall` while sharing
        as few bands as possible by chance: the most rows per band that still reach `recall`.
        Candidates are then verified by exact Jaccard, so banding only decides what is *looked at*.
        """
        if not 0.05 <= threshold <= 1.0:
            raise ValueError(
                f"The similarity threshold {threshold!r} is outside 0.05..1.0; pick a Jaccard "
                "similarity such as 0.6 (loose) or 0.8 (near-identical)."
            )
        best = None
        for rows in range(1, 17):
            p = threshold**rows
            if p <= 0:
                break
            # smallest number of bands reaching the recall at the threshold
            bands = int(np.ceil(np.log(1 - recall) / np.log(1 - p))) if p < 1 else 1
            if bands * rows > max_perm:
                break
            best = (bands, rows)
        if best is None:
            best = (max_perm, 1)
        return cls(threshold=threshold, bands=best[0], rows=best[1])


class MinHasher:
    """MinHash signatures and LSH band keys for given `LshParams`."""

    def __init__(self, params: LshParams) -> None:
        self.params = params
        rng = np.random.default_rng(params.seed)
        k = params.num_perm
        self._a = rng.integers(1, 2**63, size=k, dtype=np.uint64) | np.uint64(1)
        self._b = rng.integers(0, 2**63, size=k, dtype=np.uint64)
        self._band_mul = rng.integers(1, 2**63, size=(params.bands, params.rows), dtype=np.uint64) | np.uint64(1)
        self._band_salt = rng.integers(0, 2**63, size=params.bands, dtype=np.uint64)

    def signatures(self, values: np.ndarray, offsets: np.ndarray, chunk: int = 4096) -> np.ndarray:
        """(n, num_perm) uint32 signatures; rows of texts without shingles are all 0xFFFFFFFF."""
        n = len(offsets) - 1
        k = self.params.num_perm
        out = np.full((n, k), 0xFFFFFFFF, dtype=np.uint32)
        counts = np.diff(offsets)
        nonempty = np.flatnonzero(counts)
        if len(nonempty) == 0:
            return out
        # Work in slices of texts so the (shingles x num_perm) matrix stays small.
        i = 0
        while i < len(nonempty):
            j = i
            total = 0
            while j < len(nonempty) and (total == 0 or total + counts[nonempty[j]] <= chunk):
                total += counts[nonempty[j]]
                j += 1
            rows = nonempty[i:j]
            lo, hi = offsets[rows[0]], offsets[rows[-1] + 1]
            x = values[lo:hi].astype(np.uint64)[:, None]
            h = ((x * self._a + self._b) >> _S32).astype(np.uint32)
            # Texts in `rows` are contiguous in `values` except for empty ones, which have no
            # values at all, so their starts relative to `lo` are increasing and distinct.
            out[rows] = np.minimum.reduceat(h, offsets[rows] - lo, axis=0)
            i = j
        return out

    def band_keys(self, sigs: np.ndarray) -> np.ndarray:
        """(n, bands) int64 keys; equal keys in a band mean equal signature rows in that band.
        Keys of different bands never meet, because each band has its own salt."""
        p = self.params
        s = sigs.astype(np.uint64).reshape(len(sigs), p.bands, p.rows)
        acc = (s * self._band_mul[None, :, :]).sum(axis=2, dtype=np.uint64) + self._band_salt
        acc ^= acc >> np.uint64(33)
        acc *= _M1
        acc ^= acc >> np.uint64(29)
        return acc.view(np.int64)


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Exact Jaccard similarity of two sorted arrays of distinct shingle hashes."""
    if len(a) == 0 or len(b) == 0:
        return 0.0
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / (len(a) + len(b) - inter)
