"""Two stores writing batches of the same posts at the same time, in opposite platform orders.

The batch writer looks posts up one platform at a time, locking the rows it found (PostgreSQL,
FOR UPDATE). Two writers whose batches list the platforms in opposite orders each lock one
platform's rows and wait for the other's: a deadlock, which PostgreSQL breaks by failing one of
them. Batch writes must run one at a time instead (store.engine.serialize_writes), so both writers
finish, nothing is duplicated, and each version keeps one set of findings. On SQLite the write
lock (BEGIN IMMEDIATE with a busy timeout) serializes them: same outcome.
"""

from __future__ import annotations

import threading
from typing import Any

from test_store import PACKS, SETTINGS, make_post, make_result

from trustwatch.store import Store

POSTS = 1500
ROUNDS = 12


def test_two_writers_saving_the_same_posts_at_once_neither_fails_nor_duplicates(db_url: str) -> None:
    posts = [make_post(i, platform=("facebook", "tiktok")[i % 2]) for i in range(POSTS)]
    with Store.open(db_url) as store:
        run = store.begin_scan(["seed"], PACKS, SETTINGS)
        store.save_results(run, [(p, make_result(p)) for p in posts])
        one_set = store.counts()["findings"]
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def writer(first: str) -> None:
        batch = sorted(posts, key=lambda p: (p.platform != first, p.id))
        try:
            with Store.open(db_url) as s:
                r = s.begin_scan([first], PACKS, SETTINGS)
                start.wait()
                for _ in range(ROUNDS):
                    s.save_results(r, [(p, make_result(p)) for p in batch])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(f,)) for f in ("tiktok", "facebook")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert errors == []
    with Store.open(db_url) as store:
        counts: dict[str, Any] = store.counts()
    assert counts["posts"] == POSTS and counts["post_versions"] == POSTS and counts["authors"] == 2
    assert counts["findings"] == one_set  # replaced, never kept twice
    assert counts["scan_results"] == POSTS * (1 + 2 * ROUNDS)
