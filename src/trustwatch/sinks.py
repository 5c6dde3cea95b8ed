"""Where a scan's result lines and quarantined records go, in a form a checkpoint can cut back to.

- a JSON Lines file (or stdout): its length is the checkpoint; resuming truncates to it;
- a Parquet folder (`--out results.parquet`, or any path ending in `.parquet`): one part per
  shard, `part-000042.parquet`, written to a temporary name and renamed, so a part is whole or
  absent; resuming removes the parts of shards after the checkpoint.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import IO, Any

import orjson

from .errors import TrustwatchError


def is_parquet(out: str | None) -> bool:
    return bool(out) and out != "-" and str(out).rstrip("/").lower().endswith((".parquet", ".pq"))


class ResultsSink:
    """The results of one scan, written shard by shard in input order."""

    def __init__(self, out: str | None, resume: dict[str, Any] | None = None) -> None:
        self.out = out
        self.parquet = is_parquet(out)
        self._f: IO[bytes] | None = None
        self._stdout = out == "-"
        shards = int(resume["shards"]) if resume else 0
        if out is None:
            return
        if self._stdout:
            self._f = sys.stdout.buffer
        elif self.parquet:
            folder = Path(out)
            if folder.exists() and not folder.is_dir():
                raise TrustwatchError(f"The results path {out} is a file; a Parquet result is a folder of parts. Pick another path.")
            folder.mkdir(parents=True, exist_ok=True)
            for part in folder.glob("part-*.parquet*"):  # parts of an earlier run, or past the checkpoint
                idx = part.name.removeprefix("part-").split(".", 1)[0]
                if not resume or not idx.isdigit() or int(idx) >= shards or part.suffix == ".tmp":
                    part.unlink()
        elif resume:
            size = int(resume.get("out_bytes", 0))
            try:
                self._f = open(out, "r+b")  # noqa: SIM115 - closed in close()
            except FileNotFoundError:
                raise TrustwatchError(
                    f"The results file {out} of the scan being resumed is gone; run the scan with --fresh to start over."
                ) from None
            if os.fstat(self._f.fileno()).st_size < size:
                self._f.close()
                raise TrustwatchError(
                    f"The results file {out} is shorter than the checkpoint says ({size} bytes); run the scan with --fresh to start over."
                )
            self._f.truncate(size)
            self._f.seek(size)
        else:
            self._f = open(out, "wb")  # noqa: SIM115 - closed in close()

    def write(self, shard: int, blob: bytes) -> None:
        if self.out is None or not blob:
            return
        if self.parquet:
            _write_part(Path(self.out) / f"part-{shard:06d}.parquet", blob)
        elif self._f is not None:
            self._f.write(blob)

    def position(self) -> int:
        """Bytes written so far (JSON Lines); what a checkpoint records."""
        if self._f is None or self._stdout:
            return 0
        self._f.flush()
        return self._f.tell()

    def close(self) -> None:
        if self._f is None:
            return
        if self._stdout:
            self._f.flush()
        else:
            self._f.close()
        self._f = None


def _write_part(path: Path, blob: bytes) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    lines = blob.split(b"\n")[:-1]
    rows = [orjson.loads(ln) for ln in lines]
    table = pa.table({
        "post_id": pa.array([r.get("post_id") for r in rows], pa.string()),
        "status": pa.array([r.get("status") for r in rows], pa.string()),
        "error": pa.array([r.get("error") for r in rows], pa.string()),
        "flagged": pa.array([bool(r.get("flagged")) for r in rows], pa.bool_()),
        "categories": pa.array([sorted(c for c, hit in (r.get("categories") or {}).items() if hit) for r in rows], pa.list_(pa.string())),
        "result": pa.array([ln.decode() for ln in lines], pa.string()),  # the whole JSON line
    })
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


class QuarantineSink:
    """The quarantine file: opened on the first bad record; cut back to the checkpoint on resume."""

    def __init__(self, path: str, resume: dict[str, Any] | None = None) -> None:
        self.path = path
        self._f: IO[bytes] | None = None
        size = int(resume.get("quarantine_bytes", 0)) if resume else 0
        if size:
            try:
                self._f = open(path, "r+b")  # noqa: SIM115 - closed in close()
            except FileNotFoundError:
                raise TrustwatchError(
                    f"The quarantine file {path} of the scan being resumed is gone; run the scan with --fresh to start over."
                ) from None
            if os.fstat(self._f.fileno()).st_size < size:
                self._f.close()
                raise TrustwatchError(
                    f"The quarantine file {path} is shorter than the checkpoint says ({size} bytes); run the scan with --fresh to start over."
                )
            self._f.truncate(size)
            self._f.seek(size)
        else:
            Path(path).unlink(missing_ok=True)  # a stale file from an earlier scan must not look like this one's

    @property
    def used(self) -> bool:
        return self._f is not None

    def write(self, blob: bytes) -> None:
        if self._f is None:
            self._f = open(self.path, "wb")  # noqa: SIM115 - each scan writes its own
        self._f.write(blob)

    def position(self) -> int:
        if self._f is None:
            return 0
        self._f.flush()
        return self._f.tell()

    def close(self) -> None:
        if self._f is not None:
            self._f.close()
