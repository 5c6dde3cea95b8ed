"""The main job end to end, through the real `trustwatch` command: formats, bad input, ordering,
workers, the store and the exit codes."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import create_engine, text

from helpers import EXAMPLES, load_jsonl, run_cli, write_jsonl

CATEGORIES = {"superstition_service", "scam", "undisclosed_ad", "gambling"}
SELLER = "Nhận xem bói tarot, giải hạn đầu năm, inbox zalo 0912 345 678 phí 500k/lần"
NEWS = "Công an TP.HCM vừa bắt giữ một nhóm lừa đảo giả danh thầy bói, người dân cần cảnh giác."


def post(i: int, text: str = "Hôm nay trời đẹp, cả nhà đi ăn phở.", **extra: object) -> dict:
    return {"id": f"t:{i}", "platform": "facebook", "text": text, "lang": "vi", **extra}


def scan(
    tmp_path: Path, *inputs: Path | str, extra: tuple[str, ...] = (), db: str | None = None
) -> tuple[list[dict], list[dict], str]:
    out = tmp_path / "results.jsonl"
    q = tmp_path / "quarantine.jsonl"
    proc = run_cli(
        "scan",
        *map(str, inputs),
        "--out",
        str(out),
        "--quarantine",
        str(q),
        "--db",
        db or str(tmp_path / "tw.db"),
        *extra,
    )
    assert proc.returncode == 0, proc.stderr
    results = load_jsonl(out) if out.exists() else []
    quarantined = load_jsonl(q) if q.exists() else []
    return results, quarantined, proc.stdout


def query(db: str, sql: str) -> list[Any]:
    """The first column of `sql`'s rows in the database at `db` (SQLite or PostgreSQL)."""
    engine = create_engine(db)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql)).scalars())
    finally:
        engine.dispose()


def stored_summary(db: str) -> dict:
    (summary,) = query(db, "select summary from scan_runs order by id desc limit 1")
    return summary if isinstance(summary, dict) else json.loads(summary)


def check_accounting(results: list[dict], quarantined: list[dict], db: str) -> None:
    ok = [r for r in results if r["status"] == "ok"]
    errors = [r for r in results if r["status"] == "error"]
    assert len(errors) == len(quarantined)
    summary = stored_summary(db)
    assert summary["records_read"] == len(results) == len(ok) + len(quarantined)
    assert summary["results_ok"] == len(ok) and summary["quarantined"] == len(quarantined)
    for q in quarantined:
        assert q["reason"].endswith(".") and len(q["reason"]) > 15 and q["line"] >= 0


def test_results_file_contract(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", [post(1), post(2, SELLER), post(3, NEWS)])
    results, quarantined, stdout = scan(tmp_path, src)
    assert [r["post_id"] for r in results] == ["t:1", "t:2", "t:3"]
    assert quarantined == []
    for r in results:
        assert set(r) >= {
            "post_id",
            "status",
            "error",
            "flagged",
            "categories",
            "category_scores",
            "findings",
        }
        assert set(r["categories"]) == CATEGORIES == set(r["category_scores"])
        assert all(0.0 <= s <= 1.0 for s in r["category_scores"].values())
    assert results[1]["flagged"] and results[1]["categories"]["superstition_service"]
    assert not results[0]["flagged"] and not results[2]["flagged"]
    for f in results[1]["findings"]:
        assert (
            SELLER[f["start"] : f["end"]] == f["excerpt"]
            and f["explanation"]
            and f["source"] == "text"
        )
    assert "records read" in stdout and "posts/s" in stdout


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b'{"id": "x:1", "text": "unclosed"', "is not valid JSON"),
        (b'{"id": "x:1", "text": "bad \xff\xfe bytes"}', "is not valid UTF-8"),
        (b'{"platform": "x", "text": "no id"}', "has no `id`"),
        (b'{"id": "x:1", "text": 42}', "`text` must be text but is a number"),
        (b'{"id": "x:1", "text": "t", "metrics": {"views": -5}}', "must not be negative"),
        (b'{"id": "x:1", "text": "t", "author": "someone"}', "`author` must be an object"),
        (
            b'{"id": "x:1", "text": "t", "media": [{"type": "pdf", "path": "a.pdf"}]}',
            "use image, audio or video",
        ),
        (b'{"id": "x:1", "text": "t", "created_at": "yesterday"}', "not an ISO 8601 date"),
        (b'{"id": ["x"], "text": "t"}', "`id` must be text but is a list"),
        (b'"just a string"', "not a JSON object"),
    ],
)
def test_each_bad_record_is_quarantined_and_the_scan_goes_on(
    tmp_path: Path, db_url: str, line: bytes, reason: str
) -> None:
    good = json.dumps(post(1), ensure_ascii=False).encode()
    good2 = json.dumps(post(2, SELLER), ensure_ascii=False).encode()
    src = tmp_path / "in.jsonl"
    src.write_bytes(good + b"\n" + line + b"\n" + good2 + b"\n")
    results, quarantined, _ = scan(tmp_path, src, db=db_url)
    assert [r["status"] for r in results] == ["ok", "error", "ok"]
    (q,) = quarantined
    assert q["line"] == 2 and reason in q["reason"], q
    assert results[1]["error"] == q["reason"] and results[1]["input"]["line"] == 2
    assert results[2]["flagged"]
    check_accounting(results, quarantined, db_url)


def test_duplicate_id_is_quarantined(tmp_path: Path, db_url: str) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", [post(1), post(2), post(1, "again")])
    results, quarantined, _ = scan(tmp_path, src, db=db_url)
    assert [r["status"] for r in results] == ["ok", "ok", "error"]
    assert (
        "already used by the record at" in quarantined[0]["reason"]
        and "line 1" in quarantined[0]["reason"]
    )
    check_accounting(results, quarantined, db_url)


def test_five_megabyte_text_is_quarantined(tmp_path: Path, db_url: str) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", [post(1), post(2, "a" * 5_000_000), post(3, SELLER)])
    results, quarantined, _ = scan(tmp_path, src, db=db_url)
    assert [r["status"] for r in results] == ["ok", "error", "ok"]
    assert "over the 100,000-character limit" in quarantined[0]["reason"]
    assert len(quarantined[0]["raw"]) <= 2000  # the bad record is kept, but not 5 MB of it
    check_accounting(results, quarantined, db_url)


def test_empty_file(tmp_path: Path, db_url: str) -> None:
    src = tmp_path / "empty.jsonl"
    src.write_bytes(b"")
    results, quarantined, _ = scan(tmp_path, src, db=db_url)
    assert results == [] and quarantined == []
    assert stored_summary(db_url)["records_read"] == 0


def test_binary_file_is_quarantined_line_by_line(tmp_path: Path, db_url: str) -> None:
    src = tmp_path / "random.bin"
    src.write_bytes(bytes(range(256)) * 40 + b"\x00\x01\x02")
    good = write_jsonl(tmp_path / "good.jsonl", [post(1, SELLER)])
    results, quarantined, _ = scan(tmp_path, src, good, db=db_url)
    assert quarantined and all(r["status"] == "error" for r in results[:-1])
    assert results[-1]["status"] == "ok" and results[-1]["flagged"]
    assert all(
        ("UTF-8" in q["reason"]) or ("JSON" in q["reason"]) or ("NUL" in q["reason"])
        for q in quarantined
    )
    check_accounting(results, quarantined, db_url)


def test_csv_with_missing_columns(tmp_path: Path, db_url: str) -> None:
    src = tmp_path / "in.csv"
    src.write_text(
        "id,platform,text,author_id,metrics_views\n"
        "c:1,facebook,Bình thường thôi,a1,10\n"
        "c:2,facebook,thiếu cột\n"
        f'c:3,facebook,"{SELLER}",a2,99\n',
        encoding="utf-8",
    )
    results, quarantined, _ = scan(tmp_path, src, db=db_url)
    assert [r["status"] for r in results] == ["ok", "error", "ok"]
    assert (
        quarantined[0]["line"] == 3
        and "has 3 fields but the header has 5" in quarantined[0]["reason"]
    )
    assert results[2]["flagged"]
    check_accounting(results, quarantined, db_url)


def test_csv_without_id_column(tmp_path: Path, db_url: str) -> None:
    src = tmp_path / "in.csv"
    src.write_text("platform,text\nfacebook,xin chào\nfacebook,tạm biệt\n", encoding="utf-8")
    results, quarantined, _ = scan(tmp_path, src, db=db_url)
    assert len(quarantined) == 2 and all("no `id` column" in q["reason"] for q in quarantined)
    check_accounting(results, quarantined, db_url)


def test_formats_gzip_csv_parquet_and_stdin_agree(tmp_path: Path) -> None:
    records = [
        post(1),
        post(2, SELLER, author={"id": "a9", "followers": 10}, metrics={"views": 5}),
        post(3, NEWS),
    ]
    jl = write_jsonl(tmp_path / "in.jsonl", records)
    gz = tmp_path / "in.jsonl.gz"
    gz.write_bytes(gzip.compress(jl.read_bytes()))
    flat = [
        {
            "id": r["id"],
            "platform": r["platform"],
            "text": r["text"],
            "author_id": r.get("author", {}).get("id", ""),
            "metrics_views": r.get("metrics", {}).get("views", ""),
        }
        for r in records
    ]
    cs = tmp_path / "in.csv"
    with cs.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(flat[0]))
        w.writeheader()
        w.writerows(flat)
    pqf = tmp_path / "in.parquet"
    pq.write_table(pa.Table.from_pylist(records), pqf)
    expected = None
    for i, src in enumerate([jl, gz, cs, pqf]):
        d = tmp_path / f"run{i}"
        d.mkdir()
        results, quarantined, _ = scan(d, src)
        assert quarantined == []
        flags = [(r["post_id"], r["categories"]) for r in results]
        expected = expected or flags
        assert flags == expected, src
    out = tmp_path / "stdin.jsonl"
    proc = run_cli("scan", "-", "--out", str(out), "--no-store", stdin=jl.read_bytes())
    assert proc.returncode == 0, proc.stderr
    assert [(r["post_id"], r["categories"]) for r in load_jsonl(out)] == expected


def test_workers_give_identical_results(tmp_path: Path) -> None:
    big = load_jsonl(EXAMPLES) * 1
    src = write_jsonl(tmp_path / "in.jsonl", big)
    one = tmp_path / "one.jsonl"
    two = tmp_path / "two.jsonl"
    assert run_cli("scan", str(src), "--out", str(one), "--no-store").returncode == 0
    assert (
        run_cli("scan", str(src), "--out", str(two), "--no-store", "--workers", "2").returncode == 0
    )
    assert one.read_bytes() == two.read_bytes()
    assert len(one.read_bytes().splitlines()) == len(big)


def test_rescan_is_idempotent_and_changed_post_keeps_versions(tmp_path: Path, db_url: str) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", [post(1), post(2, SELLER)])
    scan(tmp_path, src, db=db_url)
    scan(tmp_path, src, db=db_url)

    def count(table: str) -> int:
        return int(query(db_url, f"select count(*) from {table}")[0])

    assert count("posts") == 2 and count("post_versions") == 2
    findings = count("findings")
    write_jsonl(src, [post(1, "Đã sửa nội dung bài viết."), post(2, SELLER)])
    scan(tmp_path, src, db=db_url)
    assert count("posts") == 2 and count("post_versions") == 3
    assert count("findings") == findings and count("scan_runs") == 3


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("scan", "does-not-exist.jsonl"), 2, "does-not-exist.jsonl does not exist"),
        (("scan", "{tmp}"), 2, "is a folder, not a file"),
        (("scan", "{good}", "--policy", "{badpack}"), 2, "severity: Input should be"),
        (("report", "--db", "{tmp}/none.db"), 2, "has no scan runs"),
    ],
)
def test_user_errors_are_one_sentence_and_exit_2(
    tmp_path: Path, args: tuple[str, ...], code: int, message: str
) -> None:
    good = write_jsonl(tmp_path / "good.jsonl", [post(1)])
    bad = tmp_path / "badpack.yaml"
    bad.write_text(
        "id: badpack\ntitle: t\ncriterion: c\nseverity: huge\naction: review\ndsa: {category: STATEMENT_CATEGORY_OTHER}\n"
        "signals: [{type: lexicon, group: g, terms: [x]}]\nrequire: g\n",
        encoding="utf-8",
    )
    proc = run_cli(*(a.format(tmp=tmp_path, good=good, badpack=bad) for a in args), cwd=tmp_path)
    assert proc.returncode == code, (proc.stdout, proc.stderr)
    assert message in proc.stderr and "Traceback" not in proc.stderr


def test_error_messages_print_literally(tmp_path: Path) -> None:
    # `file:id: ...` must not turn into an emoji, nor `[x]` into console markup.
    pack = tmp_path / "other_name.yaml"
    pack.write_text("id: fortune\ntitle: t\ncriterion: c\nseverity: high\naction: review\n"
                    "dsa: {category: STATEMENT_CATEGORY_OTHER}\nsignals: [{type: lexicon, group: g, terms: [x]}]\nrequire: g\n",
                    encoding="utf-8")
    proc = run_cli("policy", "check", str(pack), cwd=tmp_path)
    assert proc.returncode == 2
    assert f"{pack}:id: the id 'fortune' differs from the file name 'other_name'" in proc.stderr


def test_report_is_self_contained_and_escapes_hostile_text(tmp_path: Path, db_url: str) -> None:
    hostile = "<script>alert(1)</script> xem bói giải hạn inbox zalo 0912345678 <img src=x onerror=alert(2)>"
    src = write_jsonl(tmp_path / "in.jsonl", [post(1, hostile), post(2, SELLER)])
    scan(tmp_path, src, db=db_url)
    out = tmp_path / "report.html"
    proc = run_cli("report", "--db", db_url, "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    html = out.read_text(encoding="utf-8")
    assert "<script>" not in html and "<img src=x" not in html and "&lt;script&gt;" in html
    assert (
        "<mark" in html and "http://" not in html and "https://" not in html.replace('href="#', "")
    )
    vi = tmp_path / "report-vi.html"
    assert (
        run_cli(
            "report", "--db", db_url, "--out", str(vi), "--lang", "vi"
        ).returncode
        == 0
    )
    assert "Tiêu chí công bố" in vi.read_text(encoding="utf-8")


def test_report_shows_the_criteria_the_scan_applied_even_after_the_pack_changed(
    tmp_path: Path, db_url: str
) -> None:
    pack = tmp_path / "test_fortune.yaml"
    body = (
        "id: test_fortune\ntitle: Paid fortune-telling\ncriterion: {criterion}\nseverity: high\naction: review\n"
        "dsa: {{category: STATEMENT_CATEGORY_SCAMS_AND_FRAUD}}\n"
        "signals: [{{type: lexicon, group: g, terms: [xem bói]}}]\nrequire: g\n"
    )
    pack.write_text(body.format(criterion="Selling fortune readings, edition one."), encoding="utf-8")
    src = write_jsonl(tmp_path / "in.jsonl", [post(1, "xem bói online"), post(2, "trời đẹp")])
    proc = run_cli("scan", str(src), "--db", db_url, "--policy", str(pack), "--out", str(tmp_path / "r.jsonl"))
    assert proc.returncode == 0, proc.stderr
    pack.write_text(body.format(criterion="Edition two, written after the scan."), encoding="utf-8")
    out = tmp_path / "report.html"
    assert run_cli("report", "--db", db_url, "--out", str(out)).returncode == 0
    html = out.read_text(encoding="utf-8")
    assert "Selling fortune readings, edition one." in html and "Edition two" not in html
    assert "Paid fortune-telling" in html and "high" in html


def test_demo_runs_and_says_where_to_look(tmp_path: Path, db_url: str) -> None:
    proc = run_cli("demo", "--db", db_url, "--out-dir", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "report.html").exists() and (
        tmp_path / "out" / "results.jsonl"
    ).exists()
    assert "quarantined records with reasons" in proc.stdout and "next:" in proc.stdout


def test_damaged_parquet_and_truncated_gzip_are_quarantined(tmp_path: Path, db_url: str) -> None:
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 this is not really parquet")
    jl = write_jsonl(tmp_path / "many.jsonl", [post(i, SELLER if i == 0 else "bình thường") for i in range(2000)])
    truncated = tmp_path / "cut.jsonl.gz"
    truncated.write_bytes(gzip.compress(jl.read_bytes())[:3000])
    good = write_jsonl(tmp_path / "good.jsonl", [post(9999, SELLER)])
    results, quarantined, _ = scan(tmp_path, broken, truncated, good, db=db_url)
    reasons = [q["reason"] for q in quarantined]
    assert any("could not be read as Parquet" in r for r in reasons)
    assert any("damaged after line" in r for r in reasons)
    assert results[-1]["post_id"] == "t:9999" and results[-1]["flagged"]
    check_accounting(results, quarantined, db_url)


def test_duplicates_are_caught_with_two_workers(tmp_path: Path) -> None:
    # Ids are keyed by a stable digest: Python's hash() differs between worker processes.
    a = write_jsonl(tmp_path / "a.jsonl", [post(i, SELLER if i % 7 == 0 else "bình thường") for i in range(1500)])
    b = write_jsonl(tmp_path / "b.jsonl", [post(i) for i in range(0, 1500, 3)])
    outs = []
    for w in ("1", "2"):
        out = tmp_path / f"w{w}.jsonl"
        proc = run_cli("scan", str(a), str(b), "--out", str(out), "--no-store", "--workers", w)
        assert proc.returncode == 0, proc.stderr
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    results = [json.loads(line) for line in outs[1].splitlines()]
    assert sum(r["status"] == "error" for r in results) == 500
    assert all("already used by the record at" in r["error"] for r in results[1500:])


def test_cut_gzip_keeps_every_complete_line(tmp_path: Path, db_url: str) -> None:
    import zlib

    jl = write_jsonl(tmp_path / "many.jsonl", [post(i, f"bài số {i} về ẩm thực và du lịch") for i in range(20000)])
    packed = gzip.compress(jl.read_bytes())
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(packed[: len(packed) // 2])
    available = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(packed[: len(packed) // 2])
    complete = available.count(b"\n")
    results, quarantined, _ = scan(tmp_path, cut, db=db_url)
    assert sum(r["status"] == "ok" for r in results) == complete
    assert len(quarantined) == 2  # the partial last record, and the damage itself
    assert "damaged after line" in quarantined[-1]["reason"]
    check_accounting(results, quarantined, db_url)


@pytest.mark.parametrize("value", ['"²"', '"9' + "9" * 5000 + '"', "1.5", "true"])
def test_odd_metric_values_are_quarantined(tmp_path: Path, value: str) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(post(1)) + "\n" + '{"id": "m", "text": "a", "metrics": {"views": ' + value + "}}\n"
                   + json.dumps(post(2, SELLER)) + "\n", encoding="utf-8")
    results, quarantined, _ = scan(tmp_path, src)
    assert [r["status"] for r in results] == ["ok", "error", "ok"]
    assert "metrics.views" in quarantined[0]["reason"]


def test_quarantine_file_is_replaced_by_each_scan(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x:1"\n', encoding="utf-8")
    good = write_jsonl(tmp_path / "good.jsonl", [post(1)])
    scan(tmp_path, bad)
    scan(tmp_path, bad)
    assert len((tmp_path / "quarantine.jsonl").read_text().splitlines()) == 1
    _, quarantined, _ = scan(tmp_path, good)
    assert quarantined == [] and not (tmp_path / "quarantine.jsonl").exists()


def test_csv_with_bom_before_a_quoted_header(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_bytes('\ufeff"id","text"\n"c:1","xin chào"\n'.encode())
    results, quarantined, _ = scan(tmp_path, src)
    assert quarantined == [] and results[0]["post_id"] == "c:1"


def test_results_to_stdout(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", [post(1), post(2, SELLER)])
    proc = run_cli("scan", str(src), "--out", "-", "--no-store", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(x) for x in proc.stdout.splitlines()]
    assert [r["post_id"] for r in lines] == ["t:1", "t:2"] and lines[1]["flagged"]
    assert "records read" in proc.stderr and not (tmp_path / "-").exists()
