"""An exact set of post-id hashes whose memory does not grow with the input.

Duplicate ids must be caught across a whole scan, however long. The first `limit` hashes live in a
Python set (fast); past that they go to a temporary SQLite file on disk, checked one batch per
query, so a scan of a billion posts needs no more memory than one of a million.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Iterable

import orjson

DEFAULT_LIMIT = 1_000_000  # ~70 MB of Python set


class SeenIds:
    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self.limit = limit
        self.memory: set[int] = set()
        self.db: sqlite3.Connection | None = None
        self._path: str | None = None

    def add_batch(self, keys: Iterable[int]) -> set[int]:
        """Add a batch of hashes (0 = no id, skipped); return the positions whose hash was seen
        before, earlier in this batch included."""
        keys = list(keys)
        present = {k for k in keys if k} 
        earlier = present & self.memory
        if self.db is not None and present - earlier:
            query = "SELECT k FROM seen WHERE k IN (SELECT value FROM json_each(?))"
            earlier |= {row[0] for row in self.db.execute(query, (orjson.dumps(sorted(present - earlier)).decode(),))}
        repeats: set[int] = set()
        fresh: list[int] = []
        in_batch: set[int] = set()
        for i, k in enumerate(keys):
            if not k:
                continue
            if k in earlier or k in in_batch:
                repeats.add(i)
            else:
                in_batch.add(k)
                fresh.append(k)
        self._store(fresh)
        return repeats

    def _store(self, fresh: list[int]) -> None:
        room = self.limit - len(self.memory)
        if room > 0:
            self.memory.update(fresh[:room])
            fresh = fresh[room:]
        if not fresh:
            return
        if self.db is None:
            fd, self._path = tempfile.mkstemp(prefix="trustwatch-ids-", suffix=".db")
            os.close(fd)
            self.db = sqlite3.connect(self._path)
            self.db.execute("PRAGMA journal_mode=OFF")
            self.db.execute("PRAGMA synchronous=OFF")
            self.db.execute("CREATE TABLE seen (k INTEGER PRIMARY KEY) WITHOUT ROWID")
        self.db.executemany("INSERT OR IGNORE INTO seen (k) VALUES (?)", ((k,) for k in fresh))
        self.db.commit()

    def __len__(self) -> int:
        on_disk = self.db.execute("SELECT count(*) FROM seen").fetchone()[0] if self.db is not None else 0
        return len(self.memory) + on_disk

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None
        if self._path is not None:
            os.unlink(self._path)
            self._path = None
