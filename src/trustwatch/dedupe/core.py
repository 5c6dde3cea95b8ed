"""The matching step shared by the in-memory index and the store-backed one.

A new post is compared only with the posts it shares an LSH band with (its *candidates*). The
candidates are grouped by the cluster they already belong to, and inside each cluster tried in order
of how many bands they share (more shared bands, more similar), verifying the *exact* Jaccard
similarity of the shingle sets, until one passes or `MAX_CHECKS` have failed. One verified edge is
enough to join a cluster, so a post costs a few exact comparisons however large its cluster is.

Buckets are capped (`BUCKET_CAP` members per band key): past that, a bucket holds copies of one
text that are already one cluster, and a new copy finds that cluster through the members kept.

`MemoryIndex` keeps everything in numpy arrays (the benchmark's core, and a reference for the
store-backed index's tests): band keys in sorted runs merged like a log-structured merge tree, so
adding a batch costs O(batch log n) and lookups are binary searches.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

BUCKET_CAP = 64
MAX_CHECKS = 3


@dataclass(frozen=True, slots=True)
class Match:
    """A verified similarity edge: `post` is similar to the earlier-ingested `other`."""

    post: int
    other: int
    score: float
    kind: str = "text"  # text | link | image | shared_from | reply_to


def candidate_pairs(
    q_ids: np.ndarray, c_ids: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (query, candidate) pairs with candidate < query, and how many bands each shares."""
    keep = c_ids < q_ids
    q, c = q_ids[keep], c_ids[keep]
    if len(q) == 0:
        return q, c, np.zeros(0, np.int64)
    key = q.astype(np.int64) << np.int64(32) | c.astype(np.int64)
    key, hits = np.unique(key, return_counts=True)
    return key >> np.int64(32), key & np.int64(0xFFFFFFFF), hits


def batch_pairs(
    keys: np.ndarray, owners: np.ndarray, cap: int
) -> tuple[np.ndarray, np.ndarray]:
    """(later, earlier) posts of one batch sharing a band key, each with at most `cap` of the
    posts just before it in its bucket."""
    if len(keys) == 0:
        return owners[:0], owners[:0]
    order = np.lexsort((owners, keys))
    k, o = keys[order], owners[order]
    qs, cs = [], []
    for d in range(1, cap + 1):
        same = k[d:] == k[:-d]
        if not same.any():
            break
        qs.append(o[d:][same])
        cs.append(o[:-d][same])
    if not qs:
        return owners[:0], owners[:0]
    return np.concatenate(qs), np.concatenate(cs)


def sparse_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) == 0 or len(b) == 0:
        return 0.0
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / (len(a) + len(b) - inter)


def verify(
    q: np.ndarray,
    c: np.ndarray,
    hits: np.ndarray,
    cluster_of: Callable[[int], int],
    shingles_of: Callable[[int], np.ndarray],
    threshold: float,
    max_checks: int = MAX_CHECKS,
) -> list[Match]:
    """For each query post and each candidate cluster, the first candidate that verifies."""
    # Try the candidates sharing most bands first.
    order = np.lexsort((-hits, q))
    tried: dict[tuple[int, int], int] = defaultdict(int)
    done: set[tuple[int, int]] = set()
    out: list[Match] = []
    shingles_cache: dict[int, np.ndarray] = {}

    def sh(i: int) -> np.ndarray:
        s = shingles_cache.get(i)
        if s is None:
            s = shingles_cache[i] = shingles_of(i)
        return s

    for qi, ci in zip(q[order].tolist(), c[order].tolist(), strict=True):
        cl = cluster_of(ci)
        key = (qi, cl)
        if key in done or tried[key] >= max_checks:
            continue
        tried[key] += 1
        score = sparse_jaccard(sh(qi), sh(ci))
        if score >= threshold:
            done.add(key)
            out.append(Match(qi, ci, round(score, 4)))
    return out


class UnionFind:
    """Clusters as a disjoint-set forest over post ids; a cluster's id is its smallest post id."""

    def __init__(self, n: int = 0) -> None:
        self.parent = np.arange(n, dtype=np.int64)

    def grow(self, n: int) -> None:
        old = len(self.parent)
        if n > old:
            self.parent = np.concatenate([self.parent, np.arange(old, n, dtype=np.int64)])

    def find(self, x: int) -> int:
        p = self.parent
        root = x
        while p[root] != root:
            root = int(p[root])
        while p[x] != root:  # path compression
            nxt = int(p[x])
            p[x] = root
            x = nxt
        return root

    def union(self, a: int, b: int) -> int:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return ra
        lo, hi = (ra, rb) if ra < rb else (rb, ra)
        self.parent[hi] = lo
        return lo

    def labels(self) -> np.ndarray:
        """The cluster id of every post (vectorized full compression)."""
        p = self.parent.copy()
        while True:
            q = p[p]
            if np.array_equal(q, p):
                return p
            p = q


class _Runs:
    """Sorted (key, id) runs merged so that no two runs have similar sizes (an LSM tree)."""

    def __init__(self) -> None:
        self.runs: list[tuple[np.ndarray, np.ndarray]] = []

    def add(self, keys: np.ndarray, ids: np.ndarray) -> None:
        order = np.argsort(keys, kind="stable")
        run = (keys[order], ids[order])
        while self.runs and len(self.runs[-1][0]) <= 2 * len(run[0]):
            k0, i0 = self.runs.pop()
            k = np.concatenate([k0, run[0]])
            i = np.concatenate([i0, run[1]])
            o = np.argsort(k, kind="stable")  # two sorted runs: timsort merges them in O(n)
            run = (k[o], i[o])
        self.runs.append(run)

    def lookup(self, keys: np.ndarray, cap: int) -> tuple[np.ndarray, np.ndarray]:
        """(query row, id) for every stored entry equal to `keys[row]`, at most `cap` per run and
        key, the latest ids first."""
        qs, cs = [], []
        order = np.argsort(keys)  # sorted probes walk each run once: far fewer cache misses
        sk = keys[order]
        for rk, ri in self.runs:
            lo = np.searchsorted(rk, sk, "left")
            hi = np.searchsorted(rk, sk, "right")
            lo = np.maximum(lo, hi - cap)
            n = hi - lo
            total = int(n.sum())
            if total == 0:
                continue
            rows = np.repeat(order, n)
            starts = np.repeat(lo - (np.cumsum(n) - n), n)
            cs.append(ri[starts + np.arange(total)])
            qs.append(rows)
        if not qs:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(qs), np.concatenate(cs)

    @property
    def nbytes(self) -> int:
        return sum(k.nbytes + i.nbytes for k, i in self.runs)


class MemoryIndex:
    """Incremental near-duplicate clustering held in memory; post ids are 0, 1, 2, … in order."""

    def __init__(self, threshold: float, bucket_cap: int = BUCKET_CAP) -> None:
        self.threshold = threshold
        self.bucket_cap = bucket_cap
        self.uf = UnionFind()
        self.runs = _Runs()
        self._shingles: list[np.ndarray] = []
        self.n = 0
        self.checks = 0

    def add(
        self, values: np.ndarray, offsets: np.ndarray, band_keys: np.ndarray
    ) -> list[Match]:
        """Add a batch of posts (ids n, n+1, …); returns the edges that joined them to clusters."""
        b = len(offsets) - 1
        first = self.n
        ids = np.arange(first, first + b, dtype=np.int64)
        for i in range(b):
            self._shingles.append(values[offsets[i] : offsets[i + 1]])
        self.n += b
        self.uf.grow(self.n)
        has = np.diff(offsets) > 0
        nb = band_keys.shape[1]
        keys = band_keys[has].reshape(-1)
        owners = np.repeat(ids[has], nb)
        rows, cands = self.runs.lookup(keys, self.bucket_cap)
        bq, bc = batch_pairs(keys, owners, self.bucket_cap)
        self.runs.add(keys, owners)
        q, c, hits = candidate_pairs(
            np.concatenate([owners[rows], bq]), np.concatenate([cands, bc])
        )
        shingles = self._shingles
        matches = verify(
            q, c, hits, self.uf.find, lambda i: shingles[i], self.threshold
        )
        self.checks += len(matches)
        for m in matches:
            self.uf.union(m.post, m.other)
        return matches

    def labels(self) -> np.ndarray:
        return self.uf.labels()

    def memory_bytes(self) -> int:
        sh = sum(s.nbytes + 112 for s in self._shingles)  # 112: a numpy view's own size
        return self.runs.nbytes + sh + self.uf.parent.nbytes


def clusters_from_labels(labels: Sequence[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = defaultdict(list)
    for i, lab in enumerate(labels):
        out[int(lab)].append(i)
    return out
