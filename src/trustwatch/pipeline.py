"""The composition root of a scan: inputs → parse → detect → results file, quarantine and store.

The main process only reads raw records and writes what comes back, in input order; workers parse,
validate, detect and serialize whole batches, and hand back one block of finished result lines.
Batches are handed out with a bounded number in flight, so memory stays flat whatever the input
size, and `--workers N` gives byte-identical results to one worker.
"""

from __future__ import annotations

import hashlib
import multiprocessing as mp
import sys
import time
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from .detect import Detector
from .ingest import Block, Unit, check_inputs, parse_unit, read_batches
from .models import Post, Quarantined
from .policy import LoadedPack, load_packs
from .seen import DEFAULT_LIMIT, SeenIds

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
    # Posts that reached each costly signal stage (similarity, claims, …) and embedding counters.
    stages: dict[str, int] = field(default_factory=dict)
    embeddings: dict[str, float] = field(default_factory=dict)

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
            **self.stage_report(),
        }

    def stage_report(self) -> dict[str, Any]:
        """Share of posts that reached each costly stage, and embedding work (empty when none ran)."""
        out: dict[str, Any] = {}
        if self.stages:
            n = max(self.results_ok, 1)
            out["stages"] = {k: {"posts": int(v), "share": round(v / n, 5)} for k, v in sorted(self.stages.items())}
        if self.embeddings:
            out["embeddings"] = {k: round(v, 3) for k, v in sorted(self.embeddings.items())}
        return out


@dataclass(slots=True)
class BatchResult:
    """A processed batch, shaped to cost the main process as little as possible: the finished
    result lines as one block (with where each line ends), and per-record keys for the
    duplicate-id check, which only the main process can make since only it sees every id.
    Posts travel back only when they are to be stored."""

    blob: bytes  # the result lines, each ending in a newline
    ends: array  # offset just past each line in `blob`
    line_numbers: array  # input line of each record
    keys: array  # hash of (platform, id) per record; 0 for a quarantined record
    quarantined: dict[int, Quarantined]
    flagged: dict[int, tuple[str, ...]]
    stored: dict[int, tuple[Post, dict[str, Any]]]
    evidence: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # media findings, for the report
    counters: dict[str, float] = field(default_factory=dict)  # stage reach and embedding work in this batch

    def line(self, i: int) -> bytes:
        return self.blob[self.ends[i - 1] if i else 0 : self.ends[i] - 1]

    def lines(self) -> list[bytes]:
        return [self.line(i) for i in range(len(self.ends))]


# A batch on its way to a worker: a block of JSON Lines, or a list of units.
Batch = Block | list[Unit]

_DETECTOR: Detector | None = None
_KEEP_POSTS = False
_CATEGORIES: list[str] = []


_QUIET: tuple[dict[str, float], bytes] | None = None
_MEDIA_SETTINGS: Any = None  # extract.MediaSettings; the scanner itself is built on the first post with media
_MEDIA: Any = None
_WORKERS = 1


def _init_worker(policy_paths: list[str] | None, detect: bool, keep_posts: bool, media: Any = None, workers: int = 1) -> None:
    global _DETECTOR, _KEEP_POSTS, _CATEGORIES, _QUIET, _MEDIA_SETTINGS, _MEDIA, _WORKERS
    _MEDIA_SETTINGS = media if detect and media is not None and media.enabled else None
    if _MEDIA is not None:  # an earlier scan in this process (one worker): its cache connection
        _MEDIA.close()
    _MEDIA = None
    _WORKERS = workers
    _DETECTOR = Detector(load_packs(policy_paths)) if detect else None
    _CATEGORIES = _DETECTOR.active if _DETECTOR is not None else []
    _KEEP_POSTS = keep_posts
    _QUIET = None
    if _DETECTOR is not None:
        # Most posts score exactly what an empty text scores: their result body is a constant.
        empty = _DETECTOR.detect_text("")
        if not empty["flagged"] and "shadow_scores" not in empty:
            _QUIET = (empty["category_scores"], orjson.dumps(empty)[1:])


def published(pack: LoadedPack) -> dict[str, Any]:
    """What a scan run records of each pack: its identity and the criteria as published then, so
    a report of an old scan shows the criteria that scan applied, not today's edition."""
    p = pack.pack
    return {
        "id": p.id, "version": p.version, "sha256": pack.sha256, "title": p.title, "title_vi": p.title_vi,
        "criterion": p.criterion, "criterion_vi": p.criterion_vi, "severity": p.severity,
        "action": p.action, "mode": p.mode, "threshold": p.threshold, "dsa": p.dsa.model_dump(),
    }


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


def id_key(platform: str | None, post_id: str) -> int:
    """A stable 64-bit key for (platform, id). Not Python's hash(): that is salted per process, so
    two workers would give one id two keys and duplicates would slip through."""
    digest = hashlib.blake2b(f"{platform or ''}\x00{post_id}".encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True) or 1  # 0 marks "no id"


def _process_batch(batch: Batch) -> BatchResult:
    records = batch.units() if isinstance(batch, Block) else batch
    lines: list[bytes] = []
    keys = array("q")
    line_numbers = array("q")
    quarantined: dict[int, Quarantined] = {}
    flagged: dict[int, tuple[str, ...]] = {}
    stored: dict[int, tuple[Post, dict[str, Any]]] = {}
    evidence: dict[int, list[dict[str, Any]]] = {}
    detector = _DETECTOR
    before = _counters(detector)
    for i, unit in enumerate(records):
        source = unit.source
        line_numbers.append(unit.line)
        parsed = parse_unit(unit)
        if isinstance(parsed, Quarantined):
            quarantined[i] = parsed
            pid = _guess_id(unit.payload)
            lines.append(error_line(pid, parsed.reason, _CATEGORIES, unit.line, source))
            keys.append(0)
            continue
        keys.append(id_key(parsed.platform, parsed.id))
        head = b'{"post_id":' + orjson.dumps(parsed.id) + b',"status":"ok","error":null'
        if detector is None:
            lines.append(head + b"}")
            continue
        if parsed.media and _MEDIA_SETTINGS is not None:
            result = _scan_media(detector, parsed, source, i, evidence)
        else:
            result = detector.detect(parsed)
        if _QUIET is not None and not result["flagged"] and result["category_scores"] == _QUIET[0] and "shadow_scores" not in result and "media" not in result:
            lines.append(head + b"," + _QUIET[1])
        else:
            lines.append(head + b"," + orjson.dumps(result)[1:])
        if result["flagged"]:
            flagged[i] = tuple(c for c, hit in result["categories"].items() if hit)
        if _KEEP_POSTS:
            stored[i] = (parsed, {"post_id": parsed.id, "status": "ok", "error": None, **result})
    ends = array("q")
    pos = 0
    for ln in lines:
        pos += len(ln) + 1
        ends.append(pos)
    blob = b"\n".join(lines) + b"\n" if lines else b""
    after = _counters(detector)
    counters = {k: v - before.get(k, 0) for k, v in after.items()}
    return BatchResult(blob, ends, line_numbers, keys, quarantined, flagged, stored, evidence, counters)


def _scan_media(detector: Detector, post: Post, source: str, i: int, evidence: dict[int, list[dict[str, Any]]]) -> dict[str, Any]:
    """Detection over the post's text and what its media say (extract/scanner.py)."""
    global _MEDIA
    if _MEDIA is None:
        from .extract.scanner import MediaScanner

        _MEDIA = MediaScanner(_MEDIA_SETTINGS, _WORKERS, _load_banks(_MEDIA_SETTINGS.banks_db))
    result, outcomes = _MEDIA.scan(detector, post, source)
    if _KEEP_POSTS and result["flagged"]:
        rows = _MEDIA.evidence(post, result, outcomes)
        if rows:
            evidence[i] = rows
    return result


def _load_banks(db: str | None) -> list[Any]:
    if db is None:
        return []
    from .extract.banks import load_banks
    from .store import Store

    with Store.open(db) as store:
        return load_banks(store)


def _counters(detector: Detector | None) -> dict[str, float]:
    if detector is None or not detector.stage_posts:
        return {}
    out: dict[str, float] = {f"stage:{k}": v for k, v in detector.stage_posts.items()}
    from .detect.embed import embedder_stats

    out.update({f"embed:{k}": v for k, v in embedder_stats().items()})
    return out


def _batches(inputs: list[str], size: int) -> Iterator[tuple[str, Batch]]:
    for path in inputs:
        for batch in read_batches(path, size):
            yield path, batch


def _ordered(
    batches: Iterable[tuple[str, Batch]], workers: int, init_args: tuple[Any, ...]
) -> Iterator[tuple[str, BatchResult]]:
    """Map batches over a process pool, in order, with a bounded number of batches in flight.
    Yields each batch's input name with its result."""
    if workers <= 1:
        _init_worker(*init_args)
        for source, b in batches:
            yield source, _process_batch(b)
        return
    ctx = mp.get_context("spawn")
    with ctx.Pool(workers, initializer=_init_worker, initargs=init_args) as pool:
        pending: deque[Any] = deque()
        for source, b in batches:
            pending.append((source, pool.apply_async(_process_batch, (b,))))
            if len(pending) >= workers * 3:
                meta, job = pending.popleft()
                yield meta, job.get()
        while pending:
            meta, job = pending.popleft()
            yield meta, job.get()


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
    id_memory: int = DEFAULT_LIMIT,
    media: Any = None,
    index_sources: bool = True,
) -> ScanSummary:
    """Scan inputs; return the summary. `detect=False` measures the I/O floor (bench only)."""
    check_inputs(inputs)
    packs: list[LoadedPack] = load_packs(policies) if detect else []
    categories = [p.id for p in packs if p.pack.mode == "active"]
    summary = ScanSummary(inputs=list(inputs), per_category={c: 0 for c in categories}, out=out)
    if media is None and detect:
        from .extract.settings import MediaSettings, default_cache_path

        media = MediaSettings(cache_path=default_cache_path(db), banks_db=db)
    store = None
    indexer = None
    if db is not None:
        from .store import Store

        store = Store.open(db)
        if index_sources:  # near-duplicate clusters grow as posts are stored (trustwatch.dedupe)
            from .dedupe import SourceIndex

            indexer = SourceIndex(store)
        summary.run_id = store.begin_scan(
            list(inputs),
            [published(p) for p in packs],
            {"workers": workers, "policies": policies or "default"},
        )
    to_stdout = out == "-"
    out_f: IO[bytes] | None = sys.stdout.buffer if to_stdout else (open(out, "wb") if out else None)  # noqa: SIM115
    q_path = quarantine or (str(Path(out).with_suffix("")) + ".quarantine.jsonl" if out and not to_stdout else "quarantine.jsonl")
    q_f: IO[bytes] | None = None
    Path(q_path).unlink(missing_ok=True)  # a stale file from an earlier scan must not look like this one's
    seen = SeenIds(id_memory)
    first_line: dict[int, tuple[str, int]] = {}
    start = time.perf_counter()
    failed = True
    batches = _batches(inputs, batch_size)
    if workers > 1 and detect and media is not None and media.enabled:  # media posts spread over the workers
        from .extract.batching import spread_media

        batches = spread_media(batches)
    try:
        for source, res in _ordered(batches, workers, (policies, detect, store is not None, media, workers)):
            n = len(res.ends)
            summary.records_read += n
            bad = res.quarantined
            repeats = seen.add_batch(res.keys)
            if len(first_line) < 100_000:  # where ids first appeared, for messages, boundedly
                for i, (k, ln) in enumerate(zip(res.keys, res.line_numbers, strict=True)):
                    if k and i not in repeats and k not in first_line:
                        first_line[k] = (source, ln)
            if repeats:
                _mark_duplicates(res, source, repeats, first_line, categories)
            summary.quarantined += len(bad)
            summary.results_ok += n - len(bad)
            summary.flagged += len(res.flagged)
            for k, v in res.counters.items():
                kind, _, name = k.partition(":")
                bucket = summary.stages if kind == "stage" else summary.embeddings
                bucket[name] = bucket.get(name, 0) + v
            for cats in res.flagged.values():
                for c in cats:
                    summary.per_category[c] += 1
            if out_f is not None and n:
                out_f.write(res.blob)
            if bad:
                ordered_bad = [bad[i] for i in sorted(bad)]
                if q_f is None:
                    q_f = open(q_path, "wb")  # noqa: SIM115 - each scan writes its own
                q_f.write(b"".join(orjson.dumps(q.as_dict()) + b"\n" for q in ordered_bad))
                if store is not None:
                    store.save_quarantine(summary.run_id, ordered_bad)
            if store is not None and res.stored:
                saved = [res.stored[i] for i in sorted(res.stored)]
                store.save_results(summary.run_id, saved)
                if res.evidence:
                    from .extract.banks import save_evidence

                    save_evidence(store, [row for i in sorted(res.evidence) if i in res.stored for row in res.evidence[i]])
                if indexer is not None:
                    indexer.index_results(saved)
            if on_progress is not None:
                on_progress(n)
        failed = False
    finally:
        seen.close()
        if out_f is not None:
            if to_stdout:
                out_f.flush()
            else:
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
            if not failed:  # cases: removal requests whose post this scan still sees are not complied with
                from .cases.hooks import after_scan

                after_scan(db, summary.run_id)
    return summary


def _mark_duplicates(
    res: BatchResult, source: str, repeats: set[int], first_line: dict[int, tuple[str, int]], categories: list[str]
) -> None:
    """The slow path, for a batch holding ids seen before: quarantine each repeat in place."""
    lines = res.lines()
    line_numbers = res.line_numbers
    for i in sorted(repeats):
        key = res.keys[i]
        where = first_line.get(key)
        earlier = f"the record at {where[0]} line {where[1]}" if where else "an earlier record"
        post_id = orjson.loads(lines[i]).get("post_id")
        raw = orjson.dumps(res.stored[i][0].raw if i in res.stored else {"id": post_id}, default=str).decode()[:2000]
        reason = f"The id {post_id!r} was already used by {earlier}; ids must be unique per platform."
        res.quarantined[i] = Quarantined(source, line_numbers[i], reason, raw)
        lines[i] = error_line(post_id, reason, categories, line_numbers[i], source)
        res.flagged.pop(i, None)
        res.stored.pop(i, None)
    res.blob = b"\n".join(lines) + b"\n"


def _guess_id(payload: Any) -> str | None:
    """The id of a quarantined record when it can still be read, so its result line names it."""
    rec = payload
    if isinstance(payload, bytes):
        try:
            rec = orjson.loads(payload)
        except orjson.JSONDecodeError:
            return None
    rid = rec.get("id") if isinstance(rec, dict) else None
    if isinstance(rid, int) and not isinstance(rid, bool):
        return str(rid)
    return rid if isinstance(rid, str) and rid else None
