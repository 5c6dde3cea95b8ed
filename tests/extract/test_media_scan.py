"""Media through the whole scan: findings from images, speech and video frames with the right
sources and offsets, bad media that never sinks a post, the cache, hash banks, and the report."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from media_fixtures import MediaSet
from sqlalchemy import create_engine, text

from helpers import load_jsonl, run_cli, write_jsonl
from trustwatch import pipeline
from trustwatch.extract import MediaSettings
from trustwatch.extract.ocr import TesseractOCR
from trustwatch.extract.safety import resolve
from trustwatch.pipeline import run_scan

CLEAN = "Chúc cả nhà cuối tuần vui vẻ!"


def scan(
    media: MediaSet, tmp_path: Path, records: list[dict], name: str = "posts", db: str | None = None, **kw: object
) -> tuple[list[dict], str]:
    """Write the records beside the media folder and scan them into the store at `db` (a fresh
    SQLite file in `tmp_path` when not given)."""
    src = write_jsonl(media.root / f"{name}.jsonl", records)
    out = tmp_path / f"{name}.results.jsonl"
    db = db or str(tmp_path / "tw.db")
    settings = MediaSettings(cache_path=str(tmp_path / "cache.sqlite"), banks_db=db)
    run_scan([str(src)], out=str(out), db=db, media=kw.pop("media", settings), **kw)  # type: ignore[arg-type]
    return load_jsonl(out), db


def evidence(db: str, post_id: str) -> dict[str, dict]:
    engine = create_engine(db)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT * FROM media_evidence WHERE post_id = :p"), {"p": post_id}).mappings()
            return {r["source"]: dict(r) for r in rows}
    finally:
        engine.dispose()


BAD = ["../outside.jpg", "media/missing.jpg", "media/truncated.jpg", "media/notes.jpg", "media/bomb.png"]
RECORDS = [
    {"id": "p1", "platform": "facebook", "text": CLEAN, "media": [{"type": "image", "path": "media/price.jpg"}]},
    {"id": "a1", "text": "Nghe thử nhé", "lang": "en", "media": [{"type": "audio", "path": "media/speech_en.ogg"}]},
    {"id": "v1", "platform": "tiktok", "text": "Năm mới vui vẻ", "media": [{"type": "video", "path": "media/clip.mp4"}]},
    {"id": "b1", "text": "Nhận xem bói, giải hạn, liên hệ zalo 0912345678",
     "media": [{"type": "image", "path": p} for p in BAD] + [{"type": "audio", "path": "media/empty.wav"}, {"type": "video", "path": "media/two_hours.mp4"}]},
    {"id": "b2", "text": CLEAN, "media": [{"type": "image", "path": "media/notes.jpg"}, {"type": "image", "path": "media/price.jpg"}]},
    {"id": "c2", "text": "ok", "media": [{"type": "image", "path": "media/price.jpg"}]},
]


@pytest.fixture(scope="module")
def scanned(
    media: MediaSet, module_db_url: str, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, dict], str, Path]:
    """One scan of every kind of post, shared by the tests below (the speech model loads once),
    into a database of each kind: the tests that use it run on SQLite and on PostgreSQL."""
    tmp = tmp_path_factory.mktemp("scanned")
    results, db = scan(media, tmp, RECORDS, name="all", db=module_db_url)
    return {r["post_id"]: r for r in results}, db, tmp


def test_price_list_in_an_image_is_flagged_from_the_image(media: MediaSet, scanned: tuple) -> None:
    by_id, db, _ = scanned
    res = by_id["p1"]
    assert res["flagged"] and res["categories"]["superstition_service"]
    fs = [f for f in res["findings"] if f["category"] == "superstition_service"]
    assert fs and {f["source"] for f in fs} == {"image:0:ocr"}
    # The offsets index the text OCR found in the image, as read again here from the file itself.
    settings = MediaSettings(cache_path=None)
    ocr = TesseractOCR(settings).extract(resolve("media/price.jpg", media.root, "image", settings)).segments[0].text
    for f in fs:
        assert ocr[f["start"] : f["end"]] == f["excerpt"]
    excerpts = {f["excerpt"] for f in fs}
    assert {"Xem bói", "Giải hạn"} <= excerpts
    assert any("0912 345 678" in e for e in excerpts)  # alone, or inside a contact finding that holds it
    first = next(f for f in fs if f["excerpt"] == "Xem bói")
    assert first["start"] == ocr.index("Xem bói")
    ev = evidence(db, "p1")["image:0:ocr"]
    assert ev["text"] == ocr and ev["thumbnail"][:2] == b"\xff\xd8"
    assert res["media"] == [{"index": 0, "type": "image", "path": "media/price.jpg", "status": "ok", "sha256": ev["media_sha256"], "segments": 1}]


def test_speech_is_flagged_from_the_transcript_segment(scanned: tuple) -> None:
    by_id, db, _ = scanned
    res = by_id["a1"]
    assert res["categories"]["superstition_service"]
    fs = [f for f in res["findings"] if f["category"] == "superstition_service"]
    assert fs and all(f["source"].startswith("audio:0:asr@") for f in fs)
    ev = evidence(db, "a1")
    for f in fs:
        assert ev[f["source"]]["text"][f["start"] : f["end"]] == f["excerpt"]
        assert f["source"] == f"audio:0:asr@{ev[f['source']]['t']:.1f}s"
    assert "tarot reading" in {f["excerpt"].lower() for f in fs}


def test_a_video_frame_is_flagged_with_its_time(scanned: tuple) -> None:
    by_id, db, _ = scanned
    res = by_id["v1"]
    assert res["categories"]["superstition_service"]
    fs = [f for f in res["findings"] if f["category"] == "superstition_service"]
    assert {f["source"] for f in fs} == {"video:0:frame@3.0s:ocr"}
    ev = evidence(db, "v1")["video:0:frame@3.0s:ocr"]
    assert ev["t"] == 3.0 and ev["thumbnail"][:2] == b"\xff\xd8"
    for f in fs:
        assert ev["text"][f["start"] : f["end"]] == f["excerpt"]
    assert res["media"][0]["duration"] == pytest.approx(6.0, abs=0.3)


def test_bad_media_never_sinks_a_post(scanned: tuple) -> None:
    by_id, _, _ = scanned
    b1, b2 = by_id["b1"], by_id["b2"]
    assert b1["status"] == "ok" and b1["categories"]["superstition_service"]  # still scanned on its text
    assert {f["source"] for f in b1["findings"]} == {"text"}
    errors = [m["error"] for m in b1["media"]]
    assert [m["status"] for m in b1["media"]] == ["error"] * 7
    for needle, e in zip(["outside the input file's folder", "does not exist", "truncated or corrupt", "is not an image",
                          "pixel limit", "is empty", "over the 900 s limit"], errors, strict=True):
        assert needle in e and e.endswith(".")
    # one bad item does not cost the post its other media
    assert [m["status"] for m in b2["media"]] == ["error", "ok"] and b2["categories"]["superstition_service"]


def test_rescan_reads_the_cache_and_does_no_repeated_work(media: MediaSet, scanned: tuple) -> None:
    by_id, db, tmp = scanned
    rows = sqlite3.connect(tmp / "cache.sqlite").execute("SELECT extractor, count(*) FROM extractions GROUP BY extractor").fetchall()
    # one row per distinct file and extractor: the copies of price.jpg in b2 and c2 were cache hits
    # ocr: price, truncated, notes, bomb (failures are cached too); asr: the speech (the 0-byte file
    # is refused before any extractor); video: the clip and the two-hour one
    assert dict(rows) == {"ocr": 4, "asr": 1, "video": 2}
    # Without tesseract and ffmpeg on PATH any real extraction would fail: same results means none ran.
    bare = tmp / "bin"
    bare.mkdir(exist_ok=True)
    env_path = os.environ["PATH"]
    os.environ["PATH"] = str(bare)
    try:
        assert shutil.which("tesseract") is None
        again, _ = scan(media, tmp, RECORDS, name="all", db=db)
    finally:
        os.environ["PATH"] = env_path
    assert {r["post_id"]: r for r in again} == by_id


def test_two_workers_give_the_same_results_and_text_only_posts_pay_nothing(media: MediaSet, tmp_path: Path) -> None:
    records = [{"id": f"t{i}", "text": "Hôm nay trời đẹp"} for i in range(50)]
    records[10] = {"id": "m1", "text": CLEAN, "media": [{"type": "image", "path": "media/price.jpg"}]}
    src = write_jsonl(media.root / "mixed.jsonl", records)
    outs = []
    for w in (1, 2):
        out = tmp_path / f"w{w}.jsonl"
        run_scan([str(src)], out=str(out), workers=w, media=MediaSettings(cache_path=str(tmp_path / "c.sqlite")))
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    lines = [json.loads(x) for x in outs[0].splitlines()]
    assert "media" not in lines[0] and lines[10]["media"][0]["status"] == "ok"
    # A scan of text-only posts never builds the media scanner or opens its cache.
    text_only = write_jsonl(media.root / "text_only.jsonl", [{"id": "x", "text": "xem bói"}])
    cache = tmp_path / "unused.sqlite"
    run_scan([str(text_only)], out=str(tmp_path / "t.jsonl"), media=MediaSettings(cache_path=str(cache)))
    assert pipeline._MEDIA is None and not cache.exists()


def test_hash_banks_flag_known_images_and_spare_known_fine_ones(media: MediaSet, tmp_path: Path, db_url: str) -> None:
    from PIL import Image, ImageOps

    db = db_url
    # A copy of the greeting card, mirrored, rotated and recompressed: no text offends, but it is banked.
    img = Image.open(media.greeting).convert("RGB")
    ImageOps.mirror(img).rotate(90, expand=True).save(media.root / "media" / "greeting_copy.jpg", quality=60)
    hashes = run_cli("media", "hash", str(media.greeting), str(media.price))
    assert hashes.returncode == 0, hashes.stderr
    greeting_line, price_line = hashes.stdout.splitlines()
    (tmp_path / "bad.txt").write_text(f"# known scam banners\n{greeting_line}\n", encoding="utf-8")
    (tmp_path / "fine.txt").write_text(price_line.split(",")[0] + "\n", encoding="utf-8")
    r = run_cli("media", "bank", "import", str(tmp_path / "bad.txt"), "--name", "scam-banners", "--category", "scam", "--db", db)
    assert r.returncode == 0 and "1 new hashes, 1 in all" in r.stdout, r.stderr
    from trustwatch.extract.banks import import_bank
    from trustwatch.extract.pdq import parse_bank_text
    from trustwatch.store import Store

    with Store.open(db) as store:
        import_bank(store, "fine", "negative", None, parse_bank_text((tmp_path / "fine.txt").read_text()))
    records = [
        {"id": "k1", "text": "Năm mới vui vẻ", "media": [{"type": "image", "path": "media/greeting_copy.jpg"}]},
        {"id": "k2", "text": CLEAN, "media": [{"type": "image", "path": "media/price.jpg"}]},
    ]
    src = write_jsonl(media.root / "banked.jsonl", records)
    out = tmp_path / "banked.results.jsonl"
    run_scan([str(src)], out=str(out), db=db, media=MediaSettings(cache_path=str(tmp_path / "c.sqlite"), banks_db=db))
    k1, k2 = load_jsonl(out)
    assert k1["categories"]["scam"] and k1["flagged"]
    [f] = k1["findings"]
    assert f["signal"] == "pdq" and f["source"] == "image:0:pdq" and f["bank"] == "scam-banners"
    assert f["distance"] <= 31 and f["entry"]["hash"] == greeting_line.split(",")[0] and f["entry"]["label"] == "greeting.png"
    assert "mirrored" in f["explanation"]
    # The price list is on the negative bank: its text is not held against the post.
    assert not k2["flagged"] and k2["media"][0]["known_fine"]["bank"] == "fine"


def test_bank_import_export_round_trip_and_errors(tmp_path: Path, pg_url: str) -> None:
    from trustwatch.extract.banks import import_bank, list_banks, load_banks
    from trustwatch.extract.pdq import format_bank_text, parse_bank_text
    from trustwatch.store import Store

    h1, h2 = "f" * 64, "0123456789abcdef" * 4
    text = f"# from a ThreatExchange export\n{h1},100,banner one\npdq {h2}\n\n{h2.upper()},90\n"
    (tmp_path / "bank.txt").write_text(text, encoding="utf-8")
    entries = parse_bank_text(text)
    for db in (str(tmp_path / "tw.db"), pg_url):
        with Store.open(db) as store:
            assert import_bank(store, "b1", "bad", "scam", entries, max_distance=20, replace=True) == {"added": 2, "total": 2}
            assert import_bank(store, "b1", "bad", "scam", entries, max_distance=20) == {"added": 0, "total": 2}
            [bank] = load_banks(store, ["b1"])
            assert [b["entries"] for b in list_banks(store) if b["name"] == "b1"] == [2]
        exported = format_bank_text(bank).splitlines()
        assert exported[0].startswith("# trustwatch hash bank b1: kind=bad category=scam max_distance=20")
        assert exported[1:] == [f"{h1},100,banner one", h2]
        assert parse_bank_text(format_bank_text(bank)) == list(bank.entries)
    db = str(tmp_path / "tw.db")
    r = run_cli("media", "bank", "export", "b1", "--db", db)
    assert r.returncode == 0 and r.stdout.splitlines()[1:] == [f"{h1},100,banner one", h2]
    (tmp_path / "broken.txt").write_text(f"{h1}\nnot-a-hash\n{h1[:60]}\n", encoding="utf-8")
    r = run_cli("media", "bank", "import", str(tmp_path / "broken.txt"), "--name", "b2", "--category", "scam", "--db", db)
    assert r.returncode == 2 and "2 bad line(s)" in r.stderr and "broken.txt:2:" in r.stderr and "broken.txt:3:" in r.stderr
    with Store.open(db) as store:
        assert [b["name"] for b in list_banks(store)] == ["b1"]  # nothing of the broken file was imported


def test_report_shows_the_image_and_the_transcript_line(scanned: tuple, tmp_path: Path) -> None:
    _, db, _ = scanned
    r = run_cli("report", "--db", db, "--out", str(tmp_path / "report.html"))
    assert r.returncode == 0, r.stderr
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert html.count('<img src="data:image/jpeg;base64,') == 4  # p1, b2, c2: the image; v1: the frame
    assert "<code>image:0:ocr</code>" in html and "<code>audio:0:asr@0.0s</code>" in html
    assert "<mark" in html.split("<code>audio:0:asr@0.0s</code>")[1].split("</div></div>")[0]
    assert "img-src data:" in html


def test_posts_sharing_an_image_join_one_near_duplicate_cluster(scanned: tuple) -> None:
    """The scan feeds every stored image's PDQ hash to the sources index: c2 says only "ok", so only
    its image (the same price list as p1 and b2) can put it in their cluster."""
    from trustwatch.dedupe import SourceIndex
    from trustwatch.dedupe.clusters import list_clusters
    from trustwatch.store import Store

    _, db, _ = scanned
    with Store.open(str(db)) as store:
        clusters = list_clusters(SourceIndex(store), top=50, min_size=2)
    members = [set(c["members"]) for c in clusters]
    assert {"p1", "b2", "c2"} in [m & {"p1", "b2", "c2"} for m in members]
    assert not any("a1" in m or "v1" in m for m in members)  # nothing else shares their media
