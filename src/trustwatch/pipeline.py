"""The composition root of a scan: inputs → parse → detect → results file, quarantine and store.

The main process only reads raw records and writes what comes back, in input order; workers parse,
validate, detect and serialize. Batches are handed out with a bounded number in flight, so memory
stays flat whatever the input size, and `--workers N` gives byte-identical results to one worker.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from .detect import Detector
from .ingest import Unit, check_inputs, parse_unit, read_units
from .models import Post, Quarantined
from .policy import LoadedPack, load_packs

BATCH = 1000


@dataclass
class ScanSummary:
    inputs: list[str]
    records_read: int = 0
    results_ok: int = 0
    quarantined: int = 0
    flagged: int = 0
    per_category: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    run_id: int | None = None
    out: str | None = None
    quarantine_file: str | None = None

    @property
    def posts_per_s(self) -> float:
        return self.records_read / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "records_read": self.records_read,
            "results_ok": self.results_ok,
            "quarantined": self.quarantined,
            "flagged": self.flagged,
            "per_category": dict(self.per_category),
            "seconds": round(self.seconds, 3),
            "posts_per_s": round(self.posts_per_s, 1),
        }


# One processed record: (line, quarantined or None, post or None, result line without post_id/status)
Processed = tuple[Unit, Quarantined | None, Post | None, dict[str, Any] | None]

_DETECTOR: Detector | None = None


def _init_worker(policy_paths: list[str] | None, detect: bool) -> None:
    global _DETECTOR
    _DETECTOR = Detector(load_packs(policy_paths)) if detect else None


def _process_batch(units: list[Unit]) -> list[Processed]:
    out: list[Processed] = []
    for unit in units:
        parsed = parse_unit(unit)
        if isinstance(parsed, Quarantined):
            out.append((Unit(unit.source, unit.line, None), parsed, None, None))
            continue
        result = _DETECTOR.detect(parsed) if _DETECTOR is not None else None
        out.append((Unit(unit.source, unit.line, None), None, parsed, result))
    return out


def _batches(inputs: list[str], size: int) -> Iterator[list[Unit]]:
    batch: list[Unit] = []
    for path in inputs:
        for unit in read_units(path):
            batch.append(unit)
            if len(batch) >= size:
                yield batch
                batch = []
    if batch:
        yield batch


def _ordered(batches: Iterable[list[Unit]], workers: int, init_args: tuple[Any, ...]) -> Iterator[list[Processed]]:
    """Map batches over a process pool, in order, with a bounded number of batches in flight."""
    if workers <= 1:
        _init_worker(*init_args)
        for b in batches:
            yield _process_batch(b)
        return
    ctx = mp.get_context("spawn")
    with ctx.Pool(workers, initializer=_init_worker, initargs=init_args) as pool:
        pending: deque[Any] = deque()
        for b in batches:
            pending.append(pool.apply_async(_process_batch, (b,)))
            if len(pending) >= workers * 3:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


def error_line(post_id: str | None, reason: str, categories: list[str], line: int, source: str) -> dict[str, Any]:
    return {
        "post_id": post_id,
        "status": "error",
        "error": reason,
        "flagged": False,
        "categories": {c: None for c in categories},
        "category_scores": {c: None for c in categories},
        "findings": [],
        "input": {"file": source, "line": line},
    }


def run_scan(
    inputs: list[str],
    *,
    policies: list[str] | None = None,
    out: str | None = None,
    quarantine: str | None = None,
    db: str | None = None,
    workers: int = 1,
    detect: bool = True,
    batch_size: int = BATCH,
    on_progress: Callable[[int], None] | None = None,
) -> ScanSummary:
    """Scan inputs; return the summary. `detect=False` measures the I/O floor (bench only)."""
    check_inputs(inputs)
    packs: list[LoadedPack] = load_packs(policies) if detect else []
    categories = [p.id for p in packs if p.pack.mode == "active"]
    summary = ScanSummary(inputs=list(inputs), per_category={c: 0 for c in categories}, out=out)
    store = None
    if db is not None:
        from .store import Store

        store = Store.open(db)
        summary.run_id = store.begin_scan(
            list(inputs),
            [{"id": p.id, "version": p.pack.version, "sha256": p.sha256} for p in packs],
            {"workers": workers, "policies": policies or "default"},
        )
    out_f: IO[bytes] | None = open(out, "wb") if out else None  # noqa: SIM115
    q_path = quarantine or (str(Path(out).with_suffix("")) + ".quarantine.jsonl" if out else "quarantine.jsonl")
    q_f: IO[bytes] | None = None
    seen: set[int] = set()
    first_line: dict[int, tuple[str, int]] = {}
    start = time.perf_counter()
    try:
        for processed in _ordered(_batches(inputs, batch_size), workers, (policies, detect)):
            lines: list[bytes] = []
            stored: list[tuple[Post, dict[str, Any]]] = []
            bad: list[Quarantined] = []
            for unit, q, post, result in processed:
                summary.records_read += 1
                if post is not None:
                    key = hash((post.platform or "", post.id))
                    if key in seen:
                        src, ln = first_line.get(key, (unit.source, 0))
                        q = Quarantined(unit.source, unit.line, f"The id {post.id!r} was already used by the record at {src} line {ln}; ids must be unique per platform.", orjson.dumps(post.raw, default=str).decode()[:2000])
                        post = None
                    else:
                        seen.add(key)
                        if len(first_line) < 100_000:  # keep where ids first appeared, for messages, boundedly
                            first_line[key] = (unit.source, unit.line)
                if q is not None:
                    summary.quarantined += 1
                    bad.append(q)
                    pid = q.raw and _guess_id(q.raw)
                    lines.append(orjson.dumps(error_line(pid, q.reason, categories, q.line, q.source)))
                    continue
                assert post is not None
                summary.results_ok += 1
                line = {"post_id": post.id, "status": "ok", "error": None}
                if result is not None:
                    line.update(result)
                    if result["flagged"]:
                        summary.flagged += 1
                        for c, hit in result["categories"].items():
                            if hit:
                                summary.per_category[c] += 1
                    stored.append((post, line))
                lines.append(orjson.dumps(line))
            if out_f is not None:
                out_f.write(b"\n".join(lines) + b"\n")
            if bad:
                if q_f is None:
                    q_f = open(q_path, "ab")  # noqa: SIM115
                q_f.write(b"".join(orjson.dumps(q.as_dict()) + b"\n" for q in bad))
            if store is not None:
                if stored:
                    store.save_results(summary.run_id, stored)
                if bad:
                    store.save_quarantine(summary.run_id, bad)
            if on_progress is not None:
                on_progress(len(processed))
    finally:
        if out_f is not None:
            out_f.close()
        if q_f is not None:
            q_f.close()
        summary.seconds = time.perf_counter() - start
        if q_f is not None:
            summary.quarantine_file = q_path
        if store is not None:
            store.finish_scan(summary.run_id, summary.as_dict())
            store.close()
    return summary


def _guess_id(raw: str) -> str | None:
    """The id of a quarantined record when it can still be read, so its result line names it."""
    try:
        rec = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    rid = rec.get("id") if isinstance(rec, dict) else None
    return rid if isinstance(rid, str) and rid else None
