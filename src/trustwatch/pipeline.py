"""The composition root of a scan: inputs → parse → detect → results file, quarantine and store.

The main process only reads raw records and writes what comes back, in input order; workers parse,
validate, detect and serialize whole batches, and hand back one block of finished result lines.
Batches are handed out with a bounded number in flight, so memory stays flat whatever the input
size, and `--workers N` gives byte-identical results to one worker.
"""

from __future__ import annotations

import hashlib
import time
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from .detect import Detector
from .errors import TrustwatchError
from .executors import make_executor
from .ingest import Block, Unit, check_inputs, parse_unit, read_batches
from .models import Post, Quarantined
from .policy import LoadedPack, load_packs
from .resume import FileCheckpoint, owner_id, scan_identity
from .seen import DEFAULT_LIMIT, SeenIds
from .sinks import QuarantineSink, ResultsSink

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
    resumed: dict[str, int] | None = None  # shards and records a crashed run had finished, when resumed

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
            **({"resumed": dict(self.resumed)} if self.resumed else {}),
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
    # PDQ hashes of stored posts' images and frames, for the near-duplicate index:
    # position in the batch → [(hash hex, quality, source such as "image:0" or "video:1:frame@2.0s")]
    image_hashes: dict[int, list[tuple[str, int, str]]] = field(default_factory=dict)
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
    image_hashes: dict[int, list[tuple[str, int, str]]] = {}
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
            result = _scan_media(detector, parsed, source, i, evidence, image_hashes)
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
    return BatchResult(blob, ends, line_numbers, keys, quarantined, flagged, stored, evidence=evidence, counters=counters, image_hashes=image_hashes)


def _scan_media(
    detector: Detector, post: Post, source: str, i: int, evidence: dict[int, list[dict[str, Any]]],
    image_hashes: dict[int, list[tuple[str, int, str]]],
) -> dict[str, Any]:
    """Detection over the post's text and what its media say (extract/scanner.py)."""
    global _MEDIA
    if _MEDIA is None:
        from .extract.scanner import MediaScanner

        _MEDIA = MediaScanner(_MEDIA_SETTINGS, _WORKERS, _load_banks(_MEDIA_SETTINGS.banks_db))
    result, outcomes = _MEDIA.scan(detector, post, source)
    if _KEEP_POSTS:
        hashes = [
            (h.variants[0], h.quality, f"{o.type}:{o.index}" + (":" + h.position.removesuffix(":pdq") if h.position != "pdq" else ""))
            for o in outcomes if o.extraction is not None for h in o.extraction.hashes if h.variants
        ]
        if hashes:
            image_hashes[i] = hashes
        if result["flagged"]:
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


def _keys_of(batch: Batch) -> array:
    """The (platform, id) keys of a batch as a worker computes them, without detection: how a
    resumed scan relearns the ids of the shards it skips, so duplicates are still caught."""
    keys = array("q")
    for unit in batch.units() if isinstance(batch, Block) else batch:
        parsed = parse_unit(unit)
        keys.append(0 if isinstance(parsed, Quarantined) else id_key(parsed.platform, parsed.id))
    return keys


class _Ids:
    """Every id of the scan so far, and where each first appeared (for messages, boundedly)."""

    def __init__(self, memory: int) -> None:
        self.seen = SeenIds(memory)
        self.first_line: dict[int, tuple[str, int]] = {}

    def add(self, source: str, keys: array, line_numbers: array) -> set[int]:
        repeats = self.seen.add_batch(keys)
        if len(self.first_line) < 100_000:
            for i, (k, ln) in enumerate(zip(keys, line_numbers, strict=True)):
                if k and i not in repeats and k not in self.first_line:
                    self.first_line[k] = (source, ln)
        return repeats

    def skip(self, batches: Iterator[tuple[str, Batch]], n: int) -> Iterator[tuple[str, Batch]]:
        """Pass over the first `n` batches (done before a crash), learning their ids."""
        for _ in range(n):
            got = next(batches, None)
            if got is None:
                raise TrustwatchError("The inputs have fewer batches than the checkpoint of the scan being resumed; run it with --fresh.")
            source, batch = got
            keys = _keys_of(batch)
            lines = array("q", (u.line for u in (batch.units() if isinstance(batch, Block) else batch)))
            self.add(source, keys, lines)
        return batches


SUMMARY_COUNTERS = ("records_read", "results_ok", "quarantined", "flagged")


def _restore(summary: ScanSummary, ckpt: dict[str, Any]) -> None:
    saved = ckpt.get("summary") or {}
    for k in SUMMARY_COUNTERS:
        setattr(summary, k, int(saved.get(k, 0)))
    for c, n in (saved.get("per_category") or {}).items():
        if c in summary.per_category:
            summary.per_category[c] = int(n)
    summary.stages.update(saved.get("stages") or {})
    summary.embeddings.update(saved.get("embeddings") or {})


def _checkpoint(summary: ScanSummary, shards: int, out_bytes: int, q_bytes: int, seconds: float) -> dict[str, Any]:
    return {
        "shards": shards,
        "out_bytes": out_bytes,
        "quarantine_bytes": q_bytes,
        "seconds": round(seconds, 3),
        "summary": {
            **{k: getattr(summary, k) for k in SUMMARY_COUNTERS},
            "per_category": dict(summary.per_category),
            "stages": dict(summary.stages),
            "embeddings": dict(summary.embeddings),
        },
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
    id_memory: int = DEFAULT_LIMIT,
    media: Any = None,
    index_sources: bool = True,
    engine: str = "local",
    address: str | None = None,
    resume: bool = True,
) -> ScanSummary:
    """Scan inputs; return the summary. `detect=False` measures the I/O floor (bench only).

    The same scan run again after a crash resumes from its checkpoint (`resume=False` starts
    over); `engine` picks where batches are processed (executors.py)."""
    check_inputs(inputs)
    executor = make_executor(engine, workers, address)
    packs: list[LoadedPack] = load_packs(policies) if detect else []
    categories = [p.id for p in packs if p.pack.mode == "active"]
    summary = ScanSummary(inputs=list(inputs), per_category={c: 0 for c in categories}, out=out)
    if media is None and detect:
        from .extract.settings import MediaSettings, default_cache_path

        media = MediaSettings(cache_path=default_cache_path(db), banks_db=db)
    to_stdout = out == "-"
    q_path = quarantine or (str(Path(out.rstrip("/")).with_suffix("")) + ".quarantine.jsonl" if out and not to_stdout else "quarantine.jsonl")
    published_packs = [published(p) for p in packs]
    identity = scan_identity(inputs, published_packs, {
        "policies": policies, "detect": detect, "batch": batch_size, "db": db is not None,
        "out": None if out is None or to_stdout else str(Path(out).resolve()), "quarantine": str(Path(q_path).resolve()),
        "media": bool(media is not None and media.enabled), "index": index_sources,
    })
    owner = owner_id()
    ckpt: dict[str, Any] | None = None
    file_ckpt: FileCheckpoint | None = None
    store = None
    indexer = None
    if db is not None:
        from .store import Store

        store = Store.open(db)
        try:
            if index_sources:  # near-duplicate clusters grow as posts are stored (trustwatch.dedupe)
                from .dedupe import SourceIndex

                indexer = SourceIndex(store)
            claimed = store.claim_resumable(identity, owner) if identity and resume else None
            if identity and not resume:
                store.abandon_unfinished(identity)
            if claimed is not None:
                summary.run_id, ckpt = claimed
            else:
                summary.run_id = store.begin_scan(
                    list(inputs), published_packs,
                    {"workers": workers, "policies": policies or "default", "engine": executor.name},
                    identity=identity, owner=owner,
                )
        except BaseException:
            store.close()
            raise
        if out and not to_stdout:
            FileCheckpoint(out).clear()  # the database holds this scan's checkpoint; a file one is stale
    elif identity and out and not to_stdout:
        file_ckpt = FileCheckpoint(out)
        ckpt = file_ckpt.load(identity) if resume else None
    done = int(ckpt["shards"]) if ckpt else 0
    if ckpt:
        _restore(summary, ckpt)
        summary.resumed = {"shards": done, "records": summary.records_read}
    results: ResultsSink | None = None
    try:
        results = ResultsSink(out, ckpt)
        q_sink = QuarantineSink(q_path, ckpt)
    except BaseException:
        if results is not None:
            results.close()
        if store is not None:  # the run stays resumable once the results file is back, or --fresh
            store.interrupt_scan(summary.run_id, summary.as_dict())  # type: ignore[arg-type]
            store.close()
        raise
    ids = _Ids(id_memory)
    before = float(ckpt.get("seconds", 0.0)) if ckpt else 0.0
    start = time.perf_counter()
    failed = True
    raw = _batches(inputs, batch_size)
    if detect and media is not None and media.enabled:
        # Media posts spread over the workers (a batch per post with media). Cut whatever the worker
        # count, so that a resumed run, perhaps with other --workers, numbers its shards the same.
        from .extract.batching import spread_media

        raw = spread_media(raw)
    try:
        batches = ids.skip(raw, done)
        if indexer is not None and ckpt is not None:
            indexer.index_pending()  # posts of the last stored shard, if the crash came before they were indexed
            if ckpt.get("image_hashes"):  # and its image hashes (adding them twice adds nothing)
                indexer.add_image_hashes([((p, i), h, q, src) for p, i, h, q, src in ckpt["image_hashes"]])
        init_args = (policies, detect, store is not None, media, workers)
        shard = done
        for source, res in executor.map(batches, init_args):
            n = len(res.ends)
            summary.records_read += n
            bad = res.quarantined
            repeats = ids.add(source, res.keys, res.line_numbers)
            if repeats:
                _mark_duplicates(res, source, repeats, ids.first_line, categories)
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
            results.write(shard, res.blob)
            ordered_bad = [bad[i] for i in sorted(bad)]
            if ordered_bad:
                q_sink.write(b"".join(orjson.dumps(q.as_dict()) + b"\n" for q in ordered_bad))
            shard += 1
            point = _checkpoint(summary, shard, results.position(), q_sink.position(), before + time.perf_counter() - start)
            if store is not None:
                saved = [res.stored[i] for i in sorted(res.stored)]
                hashes = [
                    [res.stored[i][0].platform or "", res.stored[i][0].id, hexd, quality, src]
                    for i in sorted(res.image_hashes) if i in res.stored for hexd, quality, src in res.image_hashes[i]
                ]
                if hashes:  # replayed on resume if the crash comes before they reach the index
                    point["image_hashes"] = hashes
                rows = [row for i in sorted(res.evidence) if i in res.stored for row in res.evidence[i]]
                also = None
                if rows:
                    from .extract.banks import write_evidence

                    def also(conn: Any, rows: list[dict[str, Any]] = rows) -> None:
                        write_evidence(conn, rows)
                store.save_batch(summary.run_id, saved, ordered_bad, point, also, owner)  # type: ignore[arg-type]
                if indexer is not None and saved:
                    indexer.index_results(saved)
                    if hashes:  # posts sharing an image (PDQ) join one cluster
                        indexer.add_image_hashes([((p, i), h, q, src) for p, i, h, q, src in hashes])
            elif file_ckpt is not None and identity:
                file_ckpt.save(identity, point)
            if on_progress is not None:
                on_progress(n)
        failed = False
    finally:
        ids.seen.close()
        results.close()
        q_sink.close()
        if q_sink.used:
            summary.quarantine_file = q_path
        summary.seconds = before + time.perf_counter() - start
        if store is not None:
            result = summary.as_dict()
            if failed:
                store.interrupt_scan(summary.run_id, result)  # type: ignore[arg-type]
            else:
                store.finish_scan(summary.run_id, result)  # type: ignore[arg-type]
            store.close()
            if not failed:  # cases: removal requests whose post this scan still sees are not complied with
                from .cases.hooks import after_scan

                after_scan(db, summary.run_id)
        if file_ckpt is not None and not failed:
            file_ckpt.clear()
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
