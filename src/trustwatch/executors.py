"""Where a scan's batches are processed: the local process pool (default) or a Ray cluster.

An executor takes the scan's batches in input order and gives back each batch's `BatchResult` in
the same order; everything else (duplicate ids, the results file, the store, checkpoints) stays in
the scan driver (pipeline.py), so both engines give the same results by construction.

- `LocalExecutor`: a `multiprocessing` pool with a bounded number of batches in flight.
- `RayExecutor`: Ray Data. Shards (plain JSON Lines as byte ranges the actors read themselves;
  other inputs as the records the driver read) go to an actor pool whose actors load the policy
  packs and models once; the results come back to the driver in input order. Actors take a
  fraction of a CPU each, because whole-CPU actors leave no CPU for Ray Data's read and output
  stages on a small machine, and the pipeline stalls.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import pickle
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from .errors import InputError, TrustwatchError
from .ingest import Block

ENGINES = ("local", "ray")


class Executor(Protocol):
    name: str

    def map(self, batches: Iterable[tuple[str, Any]], init_args: tuple[Any, ...]) -> Iterator[tuple[str, Any]]:
        """(input name, batch) pairs in → (input name, BatchResult) pairs out, in the same order."""
        ...


def make_executor(engine: str, workers: int, address: str | None = None) -> Executor:
    if engine == "local":
        if address:
            raise TrustwatchError("--address names a Ray cluster; it needs --engine ray.")
        return LocalExecutor(workers)
    if engine == "ray":
        return RayExecutor(workers, address)
    raise TrustwatchError(f"There is no scan engine {engine!r}; use one of: {', '.join(ENGINES)}.")


class LocalExecutor:
    """A pool of worker processes; `workers=1` runs in this process."""

    name = "local"

    def __init__(self, workers: int) -> None:
        self.workers = workers

    def map(self, batches: Iterable[tuple[str, Any]], init_args: tuple[Any, ...]) -> Iterator[tuple[str, Any]]:
        from .pipeline import _init_worker, _process_batch

        if self.workers <= 1:
            _init_worker(*init_args)
            for source, b in batches:
                yield source, _process_batch(b)
            return
        ctx = mp.get_context("spawn")
        with ctx.Pool(self.workers, initializer=_init_worker, initargs=init_args) as pool:
            pending: deque[Any] = deque()
            for source, b in batches:
                pending.append((source, pool.apply_async(_process_batch, (b,))))
                if len(pending) >= self.workers * 3:
                    meta, job = pending.popleft()
                    yield meta, job.get()
            while pending:
                meta, job = pending.popleft()
                yield meta, job.get()


@dataclass(frozen=True, slots=True)
class BlockRef:
    """A block of a plain JSON Lines file by position: what a Ray actor reads for itself, so the
    driver ships a few numbers instead of the data."""

    source: str  # the input as the user named it (result lines and messages say this)
    first_line: int
    offset: int
    length: int
    path: str = ""  # where to read it: absolute, since actors may run in another folder

    def load(self) -> Block:
        with open(self.path or self.source, "rb") as f:
            f.seek(self.offset)
            data = f.read(self.length)
        if len(data) != self.length:
            raise InputError(
                f"The input {self.source} changed while it was being scanned (bytes {self.offset}-{self.offset + self.length} are gone).",
                "Scan a file that is no longer being written.",
            )
        return Block(self.source, self.first_line, data, self.offset)


def shard_of(batch: Any) -> Any:
    """What travels to an actor for one batch: a `BlockRef` where the file can be read by position."""
    if isinstance(batch, Block) and batch.offset >= 0:
        return BlockRef(batch.source, batch.first_line, batch.offset, len(batch.data), os.path.abspath(batch.source))
    return batch


class _ScanActor:
    """One Ray actor: loads packs and models once, then processes one shard per call."""

    def __init__(self, init_args: tuple[Any, ...]) -> None:
        from .pipeline import _init_worker

        _init_worker(*init_args)

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        import numpy as np

        from .pipeline import _process_batch

        out = []
        for blob in batch["shard"]:
            shard = pickle.loads(blob)  # our own shard descriptor, made by this scan's driver
            out.append(pickle.dumps(_process_batch(shard.load() if isinstance(shard, BlockRef) else shard), protocol=5))
        return {"i": batch["i"], "source": batch["source"], "result": np.array(out, dtype=object)}


class RayExecutor:
    """Ray Data on an existing cluster (`address`) or on a local Ray this scan starts and stops."""

    name = "ray"

    def __init__(self, workers: int, address: str | None = None, cpus_per_actor: float | None = None) -> None:
        self.workers = max(1, workers)
        self.address = address or os.environ.get("RAY_ADDRESS") or None
        # Half a CPU each by default: on 2 cores, two actors plus Ray Data's own read and output
        # tasks all get scheduled (whole-CPU actors would hold both cores and stall the pipeline).
        self.cpus_per_actor = cpus_per_actor if cpus_per_actor is not None else float(os.environ.get("TRUSTWATCH_RAY_ACTOR_CPUS", "0.5"))

    def map(self, batches: Iterable[tuple[str, Any]], init_args: tuple[Any, ...]) -> Iterator[tuple[str, Any]]:
        try:
            import ray
            import ray.data
        except ImportError:
            raise TrustwatchError(
                "--engine ray needs Ray, which is not installed; install it with: pip install 'trustwatch[ray]'."
            ) from None
        started_here = not ray.is_initialized()
        if started_here:
            kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
            if self.address:
                kwargs["address"] = self.address
            else:
                kwargs["num_cpus"] = os.cpu_count() or 1
                kwargs["object_store_memory"] = 512 * 1024 * 1024
            try:
                ray.init(**kwargs)
            except ConnectionError as exc:
                raise TrustwatchError(f"Could not reach the Ray cluster at {self.address}: {exc}") from None
        try:
            ctx = ray.data.DataContext.get_current()
            ctx.execution_options.preserve_order = True  # results come back in input order
            ctx.enable_progress_bars = False
            items = [
                {"i": i, "source": source, "shard": pickle.dumps(shard_of(b), protocol=5)}
                for i, (source, b) in enumerate(batches)
            ]
            if not items:
                return
            ds = ray.data.from_items(items, override_num_blocks=len(items)).map_batches(
                _ScanActor,
                fn_constructor_args=(init_args,),
                batch_size=1,
                batch_format="numpy",
                concurrency=self.workers,
                num_cpus=self.cpus_per_actor,
            )
            for row in ds.iter_rows():
                yield str(row["source"]), pickle.loads(row["result"])
        finally:
            if started_here:
                ray.shutdown()
