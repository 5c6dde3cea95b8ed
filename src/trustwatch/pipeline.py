"""The composition root of a scan: inputs → parse → detect → results file, quarantine and store.

The main process only reads raw records and writes what comes back, in input order; workers parse,
validate, detect and serialize whole batches, and hand back one block of finished result lines.
Batches are handed out with a bounded number in flight, so memory stays flat whatever the input
size, and `--workers N` gives byte-identical results to one worker.
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


@dataclass(slots=True)
class BatchResult:
    """A processed batch, in input order, shaped to cost the main process as little as possible:
    the finished result lines, plus per-record keys for the duplicate-id check (only the main
    process sees every id). Posts travel back only when they are to be stored."""

    lines: list[bytes]
    keys: list[int | None]  # hash of (platform, id); None for a quarantined record
    ids: list[str | None]
    where: list[tuple[str, int]]  # (input, line) of each record
    quarantined: dict[int, Quarantined]
    flagged: dict[int, tuple[str, ...]]
    stored: dict[int, tuple[Post, dict[str, Any]]]


# A batch on its way to a worker: (input, [(line, payload, error), ...]).
Batch = tuple[str, list[tuple[int, Any, str | None]]]

_DETECTOR: Detector | None = None
_KEEP_POSTS = False
_CATEGORIES: list[str] = []


def _init_worker(policy_paths: list[str] | None, detect: bool, keep_posts: bool) -> None:
    global _DETECTOR, _KEEP_POSTS, _CATEGORIES
    _DETECTOR = Detector(load_packs(policy_paths)) if detect else None
    _CATEGORIES = _DETECTOR.active if _DETECTOR is not None else []
    _KEEP_POSTS = keep_posts


def error_line(post_id: str | None, reason: str, categories: list[str], line: int, source: str) -> bytes:
    return orjson.dumps(
        {
            "post_id": post_id,
            "status": "error",
            "error": reason,
            "flagged": False,
            "categories": {c: None for c in categories},
            "category_scores": {c: None for c in categories},
            "findings": [],
            "input": {"file": source, "line": line},
        }
    )


def _process_batch(batch: Batch) -> BatchResult:
    source, records = batch
    res = BatchResult([], [], [], [], {}, {}, {})
    for i, (line, payload, error) in enumerate(records):
        res.where.append((source, line))
        parsed = parse_unit(Unit(source, line, payload, error))
        if isinstance(parsed, Quarantined):
            res.quarantined[i] = parsed
            pid = _guess_id(parsed.raw) if parsed.raw else None
            res.lines.append(error_line(pid, parsed.reason, _CATEGORIES, line, source))
            res.keys.append(None)
            res.ids.append(pid)
            continue
        res.keys.append(hash((parsed.platform or "", parsed.id)))
        res.ids.append(parsed.id)
        head = b'{"post_id":' + orjson.dumps(parsed.id) + b',"status":"ok","error":null'
        if _DETECTOR is None:
            res.lines.append(head + b"}")
            continue
        result = _DETECTOR.detect(parsed)
        res.lines.append(head + b"," + orjson.dumps(result)[1:])
        if result["flagged"]:
            res.flagged[i] = tuple(c for c, hit in result["categories"].items() if hit)
        if _KEEP_POSTS:
            res.stored[i] = (parsed, {"post_id": parsed.id, "status": "ok", "error": None, **result})
    return res


def _batches(inputs: list[str], size: int) -> Iterator[Batch]:
    for path in inputs:
        records: list[tuple[int, Any, str | None]] = []
        for unit in read_units(path):
            records.append((unit.line, unit.payload, unit.error))
            if len(records) >= size:
                yield path, records
                records = []
        if records:
            yield path, records


def _ordered(batches: Iterable[Batch], workers: int, init_args: tuple[Any, ...]) -> Iterator[BatchResult]:
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
    failed = True
    try:
        for res in _ordered(_batches(inputs, batch_size), workers, (policies, detect, store is not None)):
            n = len(res.lines)
            summary.records_read += n
            bad = res.quarantined
            for i, key in enumerate(res.keys):
                if key is None:
                    continue
                if key in seen:  # a duplicate id: only the main process sees every id
                    src, ln = first_line.get(key, res.where[i])
                    where = res.where[i]
                    raw = orjson.dumps(res.stored[i][0].raw, default=str).decode()[:2000] if i in res.stored else ""
                    reason = f"The id {res.ids[i]!r} was already used by the record at {src} line {ln}; ids must be unique per platform."
                    bad[i] = Quarantined(where[0], where[1], reason, raw)
                    res.lines[i] = error_line(res.ids[i], reason, categories, where[1], where[0])
                    res.flagged.pop(i, None)
                    res.stored.pop(i, None)
                else:
                    seen.add(key)
                    if len(first_line) < 100_000:  # where ids first appeared, for messages, boundedly
                        first_line[key] = res.where[i]
            summary.quarantined += len(bad)
            summary.results_ok += n - len(bad)
            summary.flagged += len(res.flagged)
            for cats in res.flagged.values():
                for c in cats:
                    summary.per_category[c] += 1
            if out_f is not None and n:
                out_f.write(b"\n".join(res.lines) + b"\n")
            if bad:
                ordered_bad = [bad[i] for i in sorted(bad)]
                if q_f is None:
                    q_f = open(q_path, "ab")  # noqa: SIM115
                q_f.write(b"".join(orjson.dumps(q.as_dict()) + b"\n" for q in ordered_bad))
                if store is not None:
                    store.save_quarantine(summary.run_id, ordered_bad)
            if store is not None and res.stored:
                store.save_results(summary.run_id, [res.stored[i] for i in sorted(res.stored)])
            if on_progress is not None:
                on_progress(n)
        failed = False
    finally:
        if out_f is not None:
            out_f.close()
        if q_f is not None:
            q_f.close()
            summary.quarantine_file = q_path
        summary.seconds = time.perf_counter() - start
        if store is not None:
            result = summary.as_dict()
            if failed:
                result["failed"] = True
            store.finish_scan(summary.run_id, result)
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
