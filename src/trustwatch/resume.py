"""Crash safety for scans: a durable checkpoint after every batch, and resuming from it.

A scan is cut into batches ("shards") in a fixed order. After each shard the driver appends its
result lines to the results file, flushes it, and then records in one step what is now durable:
how many shards are done, the counters so far, and how long the results and quarantine files are.
With a database that step is the same transaction that saves the shard's posts, results and
quarantined records; without one it is a small JSON file beside the results, replaced atomically.

Running the same scan again (same input files, unchanged; same packs and settings) finds the
checkpoint and carries on: the files are cut back to their recorded length, the shards already done
are skipped (their ids are re-read so duplicate ids are still caught), and the run keeps its id. So
a scan killed with `kill -9` and run again ends with exactly the rows and the bytes of a clean run.

A run belongs to the process that holds it (`host:pid`). Another process may take it over only
when that process is gone: on the same host when the pid no longer runs, from another host when
the run has not checkpointed for `STALE_S` seconds.
"""

from __future__ import annotations

import hashlib
import os
import socket
import time
from pathlib import Path
from typing import Any

import orjson

STALE_S = 600.0


def scan_identity(inputs: list[str], packs: list[dict[str, Any]], settings: dict[str, Any]) -> str | None:
    """A hash of what a scan reads and how; None when it cannot be resumed (stdin)."""
    files = []
    for path in inputs:
        if path == "-":
            return None
        st = os.stat(path)
        files.append([str(Path(path).resolve()), st.st_size, st.st_mtime_ns])
    payload = {"inputs": files, "packs": sorted(str(p["sha256"]) for p in packs), "settings": settings}
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS, default=str)).hexdigest()


def owner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def owner_gone(owner: str | None, heartbeat: float | None, now: float | None = None) -> bool:
    """Whether the process that held a run is gone, so the run may be taken over."""
    if not owner:
        return True
    host, _, pid = owner.rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        if int(pid) == os.getpid():
            return True  # this very process (an earlier scan in it that stopped)
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return _is_zombie(int(pid))
    return heartbeat is None or (now or time.time()) - heartbeat > STALE_S


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


class FileCheckpoint:
    """The checkpoint of a scan without a database: `<results>.checkpoint.json` beside the results."""

    def __init__(self, out: str) -> None:
        self.path = Path(str(out).rstrip("/") + ".checkpoint.json")

    def load(self, identity: str) -> dict[str, Any] | None:
        """The checkpoint of this scan, if one was left by a process that is gone."""
        try:
            saved = orjson.loads(self.path.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return None
        if not isinstance(saved, dict) or saved.get("identity") != identity:
            return None
        if not owner_gone(saved.get("owner"), saved.get("heartbeat")):
            from .errors import TrustwatchError

            raise TrustwatchError(
                f"The same scan is still running (process {saved.get('owner')}); it writes {self.path.name}. "
                "Wait for it, or stop it before running it again."
            )
        ckpt = saved.get("checkpoint")
        return ckpt if isinstance(ckpt, dict) else None

    def save(self, identity: str, checkpoint: dict[str, Any]) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_bytes(orjson.dumps({"identity": identity, "owner": owner_id(), "heartbeat": time.time(), "checkpoint": checkpoint}))
        os.replace(tmp, self.path)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)
