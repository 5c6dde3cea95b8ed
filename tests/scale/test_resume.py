"""Crash safety and the Ray engine, on real processes: `kill -9` a scan half-way, run it again, and
the results file and every stored row equal what one clean run gives; the Ray engine gives the
local engine's results on the same input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from sqlalchemy import create_engine, select, text

from helpers import EXAMPLES, TRUSTWATCH, load_jsonl, run_cli
from trustwatch.store.engine import resolve_url
from trustwatch.store.schema import metadata

N_POSTS = 12_000  # about 12 shards of 512 KB: room to kill a scan between its first and last


@pytest.fixture(scope="module")
def posts_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled labeled examples (so there are flags and findings) repeated under new ids with
    varied authors, plus a broken line, an id used twice and a record with no text."""
    examples = load_jsonl(EXAMPLES)
    path = tmp_path_factory.mktemp("scale") / "posts.jsonl"
    with path.open("w", encoding="utf-8") as f:
        for i in range(N_POSTS):
            rec = dict(examples[i % len(examples)])
            rec.pop("labels", None)
            rec["id"] = f"p{i}"
            rec["author"] = {"id": f"acct:{i % 700}", "name": f"Creator {i % 700}"}
            rec["text"] = f"{rec.get('text') or ''} #{i % 97}"
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
            if i == 2_000:
                f.write('{"id": "broken", "text": \n')
            if i == 8_000:
                f.write(json.dumps({"id": "p17", "platform": examples[17 % len(examples)].get("platform"), "text": "the id p17 again"}) + "\n")
            if i == 10_000:
                f.write(json.dumps({"id": "notext", "platform": "facebook"}) + "\n")
    return path


def _scan_cmd(posts: Path, out: Path, db: str | None, *extra: str) -> list[str]:
    return [str(TRUSTWATCH), "scan", str(posts), "--out", str(out), *(["--db", db] if db else ["--no-store"]), "--workers", "2", *extra]


def _shards_done(db: str | None, sidecar: Path) -> int:
    if db is None:
        try:
            return int(json.loads(sidecar.read_text())["checkpoint"]["shards"])
        except (OSError, ValueError, KeyError):
            return 0
    engine = create_engine(resolve_url(db))
    try:
        with engine.connect() as conn:
            ckpt = conn.execute(text("SELECT checkpoint FROM scan_runs ORDER BY id DESC LIMIT 1")).scalar()
    except Exception:  # noqa: BLE001 - the tables may not exist yet
        return 0
    finally:
        engine.dispose()
    if isinstance(ckpt, str):
        ckpt = json.loads(ckpt)
    return int(ckpt["shards"]) if ckpt else 0


def _kill_half_way(cmd: list[str], db: str | None, sidecar: Path, at_least: int = 3) -> int:
    """Start a scan in its own process group and `kill -9` the group once `at_least` shards are
    durable; returns how many were."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            done = _shards_done(db, sidecar)
            if done >= at_least:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                return done
            assert proc.poll() is None, "the scan ended before it could be killed half-way"
            time.sleep(0.05)
        raise AssertionError("the scan made no checkpoint in time")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


# Columns that name rows rather than say what they hold, or record when and how long: they differ
# between two databases however equal their content.
VOLATILE = {"id", "run_id", "first_seen_run", "last_seen_run", "started_at", "finished_at", "heartbeat_at",
            "owner", "identity", "checkpoint", "summary", "seconds", "posts_per_s", "settings", "created_at"}


def _dump(db: str) -> dict[str, Any]:
    """Every table's rows without surrogate keys or times, as multisets; plus the order in which
    the run's results were stored."""
    engine = create_engine(resolve_url(db))
    out: dict[str, Any] = {}
    try:
        with engine.connect() as conn:
            for table in metadata.sorted_tables:
                cols = [c for c in table.c if c.name not in VOLATILE and not c.name.endswith("_pk")]
                rows = conn.execute(select(*cols) if cols else select(table)).all()
                out[table.name] = Counter(json.dumps([_plain(v) for v in row], sort_keys=True, default=str) for row in rows) if cols else len(rows)
            out["result_order"] = [r[0] for r in conn.execute(text(
                "SELECT p.post_id FROM scan_results r JOIN post_versions v ON v.id = r.post_version_pk "
                "JOIN posts p ON p.id = v.post_pk ORDER BY r.id"))]
            out["scan_counts"] = [tuple(r) for r in conn.execute(text(
                "SELECT status, records_read, results_ok, quarantined, flagged FROM scan_runs"))]
    finally:
        engine.dispose()
    return out


def _plain(v: Any) -> Any:
    if isinstance(v, str) and v[:1] in "[{":
        try:
            return json.loads(v)
        except ValueError:
            return v
    return v


def _assert_same_store(clean: str, resumed: str) -> None:
    a, b = _dump(clean), _dump(resumed)
    assert a["scan_counts"] == b["scan_counts"] and a["scan_counts"][0][0] == "finished"
    assert a["result_order"] == b["result_order"]
    for table in a:
        assert a[table] == b[table], f"table {table} differs after the resume"


def test_a_killed_scan_resumes_to_exactly_the_clean_rows(posts_file: Path, tmp_path: Path, db_url: str, local_results: tuple[Path, str]) -> None:
    clean_out, clean_db = local_results
    out = tmp_path / "crashed.jsonl"
    cmd = _scan_cmd(posts_file, out, db_url)
    done = _kill_half_way(cmd, db_url, Path(str(out) + ".checkpoint.json"))
    assert out.stat().st_size < clean_out.stat().st_size  # it really stopped half-way

    again = run_cli(*cmd[1:], timeout=600)
    assert again.returncode == 0, again.stderr
    assert "resumed an interrupted run" in again.stdout
    assert clean_out.read_bytes() == out.read_bytes()
    clean_q = clean_out.with_name("local.quarantine.jsonl")
    assert clean_q.read_text().count("\n") == 2  # the broken line and the repeated id
    assert clean_q.read_bytes() == (tmp_path / "crashed.quarantine.jsonl").read_bytes()
    _assert_same_store(clean_db, db_url)
    assert len(_dump(db_url)["scan_counts"]) == 1, "the resumed scan kept its run instead of starting a second one"
    assert done >= 3


def test_a_killed_scan_without_a_database_resumes_from_its_checkpoint_file(posts_file: Path, tmp_path: Path) -> None:
    clean = run_cli(*_scan_cmd(posts_file, tmp_path / "clean.jsonl", None)[1:], timeout=600)
    assert clean.returncode == 0, clean.stderr
    out = tmp_path / "crashed.jsonl"
    sidecar = Path(str(out) + ".checkpoint.json")
    cmd = _scan_cmd(posts_file, out, None)
    _kill_half_way(cmd, None, sidecar)
    assert sidecar.exists()
    again = run_cli(*cmd[1:], timeout=600)
    assert again.returncode == 0, again.stderr
    assert "resumed an interrupted run" in again.stdout
    assert (tmp_path / "clean.jsonl").read_bytes() == out.read_bytes()
    assert not sidecar.exists()  # a finished scan leaves no checkpoint behind


def test_fresh_starts_over_and_a_live_run_is_not_taken_over(posts_file: Path, tmp_path: Path, sqlite_url: str) -> None:
    out = tmp_path / "r.jsonl"
    cmd = _scan_cmd(posts_file, out, sqlite_url)
    _kill_half_way(cmd, sqlite_url, Path(str(out) + ".checkpoint.json"))
    # Pretend a live process holds the interrupted run: nobody may take it over.
    holder = subprocess.Popen(["sleep", "60"])
    engine = create_engine(resolve_url(sqlite_url))
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE scan_runs SET owner = :o"), {"o": f"{os.uname().nodename}:{holder.pid}"})
        busy = run_cli(*cmd[1:])
        assert busy.returncode != 0
        assert "already running" in busy.stderr and "\n" not in busy.stderr.strip().split("Error: ")[-1].strip()
        both = run_cli(*cmd[1:], "--fresh")  # nor may a fresh run write the same results file beside it
        assert both.returncode != 0 and "is running as scan run" in both.stderr
    finally:
        holder.kill()
        holder.wait()
        engine.dispose()
    fresh = run_cli(*cmd[1:], "--fresh", timeout=600)
    assert fresh.returncode == 0, fresh.stderr
    assert "resumed" not in fresh.stdout
    runs = _dump(sqlite_url)["scan_counts"]
    assert len(runs) == 2 and ("finished", N_POSTS + 3, N_POSTS + 1, 2, runs[1][4]) in runs
    assert sorted(r[0] for r in runs) == ["abandoned", "finished"]  # the interrupted run is not left "running"


@pytest.fixture(scope="module")
def local_results(posts_file: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    d = tmp_path_factory.mktemp("local")
    db = f"sqlite:///{d / 'local.db'}"
    done = run_cli(*_scan_cmd(posts_file, d / "local.jsonl", db)[1:], timeout=600)
    assert done.returncode == 0, done.stderr
    return d / "local.jsonl", db


def test_the_ray_engine_gives_the_local_engines_results(posts_file: Path, tmp_path: Path, local_results: tuple[Path, str]) -> None:
    local_out, local_db = local_results
    db = f"sqlite:///{tmp_path / 'ray.db'}"
    ray = run_cli(*_scan_cmd(posts_file, tmp_path / "ray.jsonl", db, "--engine", "ray")[1:], timeout=600)
    assert ray.returncode == 0, ray.stderr
    assert (tmp_path / "ray.jsonl").read_bytes() == local_out.read_bytes()
    _assert_same_store(local_db, db)
    # Parquet results: one part per shard, the same result lines in the same order.
    pq_out = tmp_path / "ray.parquet"
    again = run_cli(*_scan_cmd(posts_file, pq_out, None, "--engine", "ray")[1:], timeout=600)
    assert again.returncode == 0, again.stderr
    parts = sorted(pq_out.glob("part-*.parquet"))
    assert len(parts) > 5
    table = pq.ParquetDataset([str(p) for p in parts]).read()
    assert table.column("result").to_pylist() == local_out.read_text(encoding="utf-8").splitlines()
    flagged = [json.loads(x) for x in table.column("result").to_pylist() if json.loads(x)["flagged"]]
    assert flagged and table.column("flagged").to_pylist().count(True) == len(flagged)


def test_a_killed_ray_scan_resumes_to_exactly_the_clean_rows(posts_file: Path, tmp_path: Path, local_results: tuple[Path, str]) -> None:
    local_out, local_db = local_results
    out = tmp_path / "ray.jsonl"
    db = f"sqlite:///{tmp_path / 'ray.db'}"
    cmd = _scan_cmd(posts_file, out, db, "--engine", "ray")
    _kill_half_way(cmd, db, Path(str(out) + ".checkpoint.json"))
    again = run_cli(*cmd[1:], timeout=600)
    assert again.returncode == 0, again.stderr
    assert "resumed an interrupted run" in again.stdout
    assert out.read_bytes() == local_out.read_bytes()
    _assert_same_store(local_db, db)


def test_an_unknown_engine_or_a_missing_cluster_is_one_clear_sentence(posts_file: Path, tmp_path: Path) -> None:
    bad = run_cli("scan", str(posts_file), "--no-store", "--out", str(tmp_path / "x.jsonl"), "--engine", "spark")
    assert bad.returncode != 0 and "no scan engine 'spark'" in bad.stderr and "Traceback" not in bad.stderr
    local = run_cli("scan", str(posts_file), "--no-store", "--out", str(tmp_path / "x.jsonl"), "--address", "10.0.0.1:6379")
    assert local.returncode != 0 and "needs --engine ray" in local.stderr and "Traceback" not in local.stderr
