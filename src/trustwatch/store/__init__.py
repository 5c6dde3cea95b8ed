"""Storage of posts, authors, media, findings and scan runs (SQLite by default, PostgreSQL for teams).

Usage::

    from trustwatch.store import Store, StoreError
    store = Store.open("./trustwatch.db")          # or "postgresql+psycopg://user@host/db"
    run_id = store.begin_scan(inputs, packs, settings)
    store.save_results(run_id, [(post, result_line), ...])
    store.finish_scan(run_id, summary)
"""

from __future__ import annotations

from .errors import StoreError
from .store import Store, pack_fingerprint
from .writer import content_hash

__all__ = ["Store", "StoreError", "content_hash", "pack_fingerprint"]
