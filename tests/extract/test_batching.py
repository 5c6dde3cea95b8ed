"""A scan with several workers spreads media posts over them: batches re-cut so that each holds at
most one record with media (extract/batching.py), with order and line numbers kept."""

from __future__ import annotations

import json
from pathlib import Path

from media_fixtures import MediaSet

from trustwatch.extract import MediaSettings
from trustwatch.extract.batching import spread_media
from trustwatch.ingest import Block, Unit, read_batches
from trustwatch.pipeline import BATCH, run_scan

IMAGE = {"type": "image", "path": "media/price.jpg"}


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_a_block_is_cut_after_each_record_with_media(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "t1", "text": 'a "media" word in the text is escaped, not a key'}),
        json.dumps({"id": "m1", "text": "x", "media": [IMAGE]}),
        json.dumps({"id": "t2", "text": "y"}),
        "{not json",
        json.dumps({"id": "m2", "text": "z", "media": [IMAGE]}),
        json.dumps({"id": "t3", "text": "w"}),
    ]
    src = write(tmp_path / "p.jsonl", lines)
    batches = [(str(src), b) for b in read_batches(str(src), BATCH)]
    assert len(batches) == 1 and isinstance(batches[0][1], Block)  # 6 small lines: one block
    pieces = list(spread_media(batches))
    assert [(b.first_line, b.data.decode().count("\n")) for _, b in pieces] == [(1, 2), (3, 3), (6, 1)]
    assert b"".join(b.data for _, b in pieces) == batches[0][1].data
    units = [u for _, b in pieces for u in b.units()]
    assert [u.line for u in units] == [1, 2, 3, 4, 5, 6]
    # a text-only block passes through as it was
    text = write(tmp_path / "t.jsonl", [json.dumps({"id": f"t{i}", "text": "x"}) for i in range(5)])
    only = [(str(text), b) for b in read_batches(str(text), BATCH)]
    assert list(spread_media(only)) == only


def test_csv_batches_are_cut_too() -> None:
    units = [Unit("p.csv", i, {"id": str(i), "text": "x", "media": [IMAGE] if i in (2, 3) else []}) for i in range(1, 6)]
    pieces = [b for _, b in spread_media([("p.csv", units)])]
    assert [[u.line for u in b] for b in pieces] == [[1, 2], [3], [4, 5]]


def test_two_workers_share_the_media_posts_and_give_the_same_results(media: MediaSet, tmp_path: Path) -> None:
    records = [json.dumps({"id": f"t{i}", "text": "Hôm nay trời đẹp"}) for i in range(6)]
    for i in (1, 2, 4):
        records[i] = json.dumps({"id": f"m{i}", "text": "Cuối tuần vui vẻ", "media": [IMAGE]})
    records.insert(3, "{not json")  # a bad line among them: its line number must survive the cut
    records.insert(5, records[2])  # and a duplicate id, found across pieces
    src = write(media.root / "spread.jsonl", records)
    outs, quarantines = [], []
    for w in (1, 2):
        out = tmp_path / f"w{w}.jsonl"
        run_scan([str(src)], out=str(out), workers=w, media=MediaSettings(cache_path=str(tmp_path / f"c{w}.sqlite")))
        outs.append(out.read_bytes())
        quarantines.append((tmp_path / f"w{w}.quarantine.jsonl").read_bytes())
    assert outs[0] == outs[1] and quarantines[0] == quarantines[1]
    results = [json.loads(x) for x in outs[0].splitlines()]
    assert len(results) == 8
    assert [r["post_id"] for r in results if r.get("media")] == ["m1", "m2", "m4"]
    bad = [json.loads(x) for x in quarantines[0].splitlines()]
    assert [q["line"] for q in bad] == [4, 6]
    assert "already used by the record at" in bad[1]["reason"] and bad[1]["reason"].split(" line ")[1].startswith("3;")
