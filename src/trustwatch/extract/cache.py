"""The extraction cache: what an extractor found in a file, keyed by the file's sha256 and the
extractor's name, version and settings, in a SQLite file (WAL, so every worker reads and writes it
at once). A re-scan, or the same banner attached to a thousand posts, does the work once.

Deterministic failures (a corrupt file) are cached too; a missing tool or model is not, since
installing it should fix the next scan.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import orjson


class ExtractionCache:
    def __init__(self, path: str | None) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self.hits = 0
        self.misses = 0

    def _db(self) -> sqlite3.Connection | None:
        if self.path is None:
            return None
        if self._conn is None:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS extractions (sha256 TEXT NOT NULL, extractor TEXT NOT NULL, "
                "settings TEXT NOT NULL, payload BLOB NOT NULL, created REAL NOT NULL, "
                "PRIMARY KEY (sha256, extractor, settings))"
            )
            self._conn = conn
        return self._conn

    def get(self, sha256: str, extractor: str, settings: str) -> dict[str, Any] | None:
        db = self._db()
        if db is None:
            return None
        row = db.execute(
            "SELECT payload FROM extractions WHERE sha256=? AND extractor=? AND settings=?", (sha256, extractor, settings)
        ).fetchone()
        if row is None:
            self.misses += 1
            return None
        self.hits += 1
        return orjson.loads(row[0])

    def put(self, sha256: str, extractor: str, settings: str, payload: dict[str, Any]) -> None:
        db = self._db()
        if db is None:
            return
        db.execute(
            "INSERT OR REPLACE INTO extractions VALUES (?, ?, ?, ?, ?)",
            (sha256, extractor, settings, orjson.dumps(payload), time.time()),
        )

    def count(self) -> int:
        db = self._db()
        return 0 if db is None else int(db.execute("SELECT count(*) FROM extractions").fetchone()[0])

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
