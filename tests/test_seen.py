"""Duplicate ids are caught across the whole scan with bounded memory: past its limit the id set
spills to a temporary SQLite file, and answers stay exact."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import load_jsonl, write_jsonl
from trustwatch.pipeline import run_scan
from trustwatch.seen import SeenIds


def test_exact_across_memory_and_disk() -> None:
    seen = SeenIds(limit=3)
    assert seen.add_batch([11, 12, 0, 13, 14, 15]) == set()  # 0 = a quarantined record, skipped
    assert seen.db is not None and len(seen) == 5  # two of them went to disk
    assert seen.add_batch([16, 11, 15, 17, 17]) == {1, 2, 4}  # in memory, on disk, and in-batch
    assert seen.add_batch([18, 19]) == set()
    path = seen._path
    seen.close()
    assert path is not None and not Path(path).exists()


def test_scan_finds_duplicates_beyond_the_memory_limit(tmp_path: Path) -> None:
    records = [{"id": f"p:{i}", "platform": "x", "text": "xin chào"} for i in range(3000)]
    records += [{"id": "p:5", "platform": "x", "text": "again"}, {"id": "p:2999", "platform": "x", "text": "again"},
                {"id": "p:5", "platform": "y", "text": "another platform: not a duplicate"}]
    src = write_jsonl(tmp_path / "in.jsonl", records)
    out = tmp_path / "out.jsonl"
    summary = run_scan([str(src)], out=str(out), quarantine=str(tmp_path / "q.jsonl"), id_memory=100, batch_size=500)
    assert summary.records_read == 3003 and summary.quarantined == 2 and summary.results_ok == 3001
    results = load_jsonl(out)
    assert [r["status"] for r in results[-3:]] == ["error", "error", "ok"]
    q = [json.loads(line) for line in (tmp_path / "q.jsonl").read_text().splitlines()]
    assert "line 6" in q[0]["reason"] and "p:5" in q[0]["reason"]
    assert "p:2999" in q[1]["reason"]
