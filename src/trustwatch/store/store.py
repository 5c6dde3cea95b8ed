"""The `Store`: the one object the scanner, reports, CLI and API use to keep and read scan data.

A narrow, verb-based surface (begin a scan, save results, finish; read runs, results, versions) so
callers never touch SQL, and so the same calls work on a SQLite file for one analyst and on
PostgreSQL for a team. Writes go through `BatchWriter` (bulk Core statements, one transaction per
batch); reads page through results by key so a caller can stream millions of rows without holding a
transaction or a cursor open.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any, Self

from sqlalchemy import Connection, Engine, Table, func, insert, select, true, update

from ..models import Quarantined
from .engine import (
    check_connection,
    json_dumps,
    json_dumps_pg,
    make_engine,
    migrate,
    resolve_url,
    transaction,
)
from .errors import StoreError
from .schema import QuarantineRow, ScanRun
from .writer import BatchWriter, authors, findings, media, post_versions, posts, scan_results

scan_runs: Table = ScanRun.__table__  # type: ignore[assignment]
quarantine_t: Table = QuarantineRow.__table__  # type: ignore[assignment]

SUMMARY_INTS = ("records_read", "results_ok", "quarantined", "flagged")
SUMMARY_FLOATS = ("seconds", "posts_per_s")
PACK_KEYS = ("id", "version", "sha256")
PAGE = 1000  # results read per query in iter_results


def pack_fingerprint(packs: Sequence[dict[str, Any]]) -> str:
    """sha256 of the packs' sha256s, sorted and newline-joined: the same packs give the same value."""
    return hashlib.sha256("\n".join(sorted(str(p["sha256"]) for p in packs)).encode()).hexdigest()


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite keeps no zone; we always write UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


class Store:
    """Posts, authors, media, findings and scan runs in one SQL database (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        """Use `Store.open`; this takes an engine whose database is already migrated."""
        self._engine = engine
        dumps = json_dumps_pg if engine.dialect.name == "postgresql" else json_dumps
        self._writer = BatchWriter(engine.dialect, dumps)
        self._fingerprints: dict[int, str] = {}  # run id -> pack fingerprint, for known runs

    @classmethod
    def open(cls, url_or_path: str = "./trustwatch.db") -> Store:
        """Open (creating or upgrading as needed) the database at a path or SQLAlchemy URL."""
        engine = make_engine(resolve_url(url_or_path))
        try:
            check_connection(engine)
            migrate(engine)
            return cls(engine)
        except BaseException:
            engine.dispose()
            raise

    @property
    def url(self) -> str:
        """The database URL, password hidden."""
        return self._engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- scan runs ---------------------------------------------------------------------------

    def begin_scan(
        self, inputs: list[str], packs: list[dict[str, Any]], settings: dict[str, Any],
        identity: str | None = None, owner: str | None = None,
    ) -> int:
        """Record the start of a scan; returns its run id. `identity` (resume.scan_identity) lets
        the same scan, run again after a crash, find this run and resume it; `owner` holds it."""
        for i, pack in enumerate(packs):
            if not isinstance(pack, dict) or any(k not in pack for k in PACK_KEYS):
                raise StoreError(
                    f"Pack {i} given to begin_scan is {pack!r}; each pack must be a dict with "
                    f"{', '.join(PACK_KEYS)} (as the policy loader reports them)."
                )
        fingerprint = pack_fingerprint(packs)
        with self._write("start a scan run") as conn:
            run_id = conn.execute(
                insert(scan_runs).returning(scan_runs.c.id),
                {
                    "status": "running",
                    "started_at": datetime.now(UTC),
                    "inputs": [str(i) for i in inputs],
                    "packs": [dict(p) for p in packs],
                    "pack_fingerprint": fingerprint,
                    "settings": settings,
                    "identity": identity,
                    "owner": owner,
                    "heartbeat_at": datetime.now(UTC) if owner else None,
                },
            ).scalar_one()
        self._fingerprints[run_id] = fingerprint
        return int(run_id)

    def save_results(self, run_id: int, rows: list[tuple[Any, dict[str, Any]]]) -> None:
        """Save one batch of (Post, result line) pairs in one transaction."""
        if not rows:
            return
        fingerprint = self._fingerprint(run_id)
        with self._write(f"save {len(rows)} results of scan run {run_id}") as conn:
            self._writer.write(conn, run_id, fingerprint, rows)
        self._writer.committed()

    def save_batch(
        self,
        run_id: int,
        rows: list[tuple[Any, dict[str, Any]]],
        quarantined: list[Quarantined],
        checkpoint: dict[str, Any],
        also: Callable[[Connection], None] | None = None,
        owner: str | None = None,
    ) -> None:
        """Save one shard of a scan and its checkpoint in one transaction: after a crash, either
        all of the shard is stored and the checkpoint says so, or none of it is. `also` writes
        more of the shard's rows (e.g. media evidence) in the same transaction."""
        fingerprint = self._fingerprint(run_id)
        with self._write(f"save {len(rows)} results of scan run {run_id}") as conn:
            if rows:
                self._writer.write(conn, run_id, fingerprint, rows)
            if quarantined:
                conn.execute(insert(quarantine_t), self._quarantine_params(run_id, quarantined))
            if also is not None:
                also(conn)
            fence = [scan_runs.c.owner == owner] if owner else []
            moved = conn.execute(
                update(scan_runs).where(scan_runs.c.id == run_id, *fence)
                .values(checkpoint=checkpoint, heartbeat_at=datetime.now(UTC))
            ).rowcount
            if moved != 1:  # rolls the whole shard back: another process took this run over
                from ..errors import TrustwatchError

                raise TrustwatchError(
                    f"Scan run {run_id} was taken over by another process (it looked stopped); this one stops "
                    "so the two do not both write it."
                )
        if rows:
            self._writer.committed()

    def claim_resumable(self, identity: str, owner: str) -> tuple[int, dict[str, Any] | None] | None:
        """The unfinished run of the same scan, taken over by `owner`, with its last checkpoint
        (None: it stopped before its first one); None when there is no such run. Raises when the
        process that holds it still runs."""
        from ..errors import TrustwatchError
        from ..resume import owner_gone

        with self._read("look for an unfinished run of this scan") as conn:
            row = conn.execute(
                select(scan_runs.c.id, scan_runs.c.owner, scan_runs.c.heartbeat_at, scan_runs.c.checkpoint)
                .where(scan_runs.c.identity == identity, scan_runs.c.status.in_(("running", "interrupted")))
                .order_by(scan_runs.c.id.desc()).limit(1)
            ).first()
        if row is None:
            return None
        run_id, old_owner, heartbeat, checkpoint = row
        beat = heartbeat.replace(tzinfo=heartbeat.tzinfo or UTC).timestamp() if heartbeat else None
        if not owner_gone(old_owner, beat):
            raise TrustwatchError(
                f"The same scan is already running as scan run {run_id} (process {old_owner}). "
                "Wait for it to finish, or stop it before running it again."
            )
        with self._write(f"take over scan run {run_id}") as conn:
            same_owner = scan_runs.c.owner.is_(None) if old_owner is None else scan_runs.c.owner == old_owner
            taken = conn.execute(
                update(scan_runs).where(scan_runs.c.id == run_id, same_owner)
                .values(owner=owner, status="running", heartbeat_at=datetime.now(UTC))
            ).rowcount
        if taken != 1:
            raise TrustwatchError(f"Another process took over scan run {run_id} at the same moment; run the scan again.")
        return int(run_id), checkpoint if isinstance(checkpoint, dict) else None

    def abandon_unfinished(self, identity: str) -> int:
        """Mark the interrupted runs of this scan abandoned (`scan --fresh` starts a new one), so
        none stays listed as running forever; returns how many. A run whose process still runs
        is left alone."""
        from ..resume import owner_gone

        with self._read("look for unfinished runs of this scan") as conn:
            rows = conn.execute(
                select(scan_runs.c.id, scan_runs.c.owner, scan_runs.c.heartbeat_at)
                .where(scan_runs.c.identity == identity, scan_runs.c.status.in_(("running", "interrupted")))
            ).all()
        gone = [r.id for r in rows if owner_gone(r.owner, r.heartbeat_at.replace(tzinfo=r.heartbeat_at.tzinfo or UTC).timestamp() if r.heartbeat_at else None)]
        live = [r for r in rows if r.id not in gone]
        if live:
            from ..errors import TrustwatchError

            raise TrustwatchError(
                f"The same scan is running as scan run {live[0].id} (process {live[0].owner}); --fresh would write "
                "the same results file. Wait for it, or stop it first."
            )
        if gone:
            with self._write("mark unfinished runs abandoned") as conn:
                conn.execute(update(scan_runs).where(scan_runs.c.id.in_(gone)).values(status="abandoned"))
        return len(gone)

    def interrupt_scan(self, run_id: int, summary: dict[str, Any]) -> None:
        """Record that a scan stopped before its end (an error, Ctrl-C): it stays resumable."""
        with self._write(f"mark scan run {run_id} interrupted") as conn:
            conn.execute(update(scan_runs).where(scan_runs.c.id == run_id).values(status="interrupted", summary=summary))

    @staticmethod
    def _quarantine_params(run_id: int, items: list[Quarantined]) -> list[dict[str, Any]]:
        return [
            {"run_id": run_id, "source": q.source, "line": q.line, "reason": q.reason, "raw": q.raw}
            for q in items
        ]

    def save_quarantine(self, run_id: int, items: list[Quarantined]) -> None:
        """Keep the records a scan could not read, with their place and reason."""
        if not items:
            return
        self._fingerprint(run_id)
        params = self._quarantine_params(run_id, items)
        with self._write(f"save {len(items)} quarantined records of scan run {run_id}") as conn:
            conn.execute(insert(quarantine_t), params)

    def finish_scan(self, run_id: int, summary: dict[str, Any]) -> None:
        """Record the end of a scan and its summary."""
        self._fingerprint(run_id)
        missing = [k for k in SUMMARY_INTS + SUMMARY_FLOATS + ("per_category",) if k not in summary]
        if missing:
            raise StoreError(
                f"The summary for scan run {run_id} lacks {', '.join(missing)}; pass records_read, "
                "results_ok, quarantined, flagged, per_category, seconds and posts_per_s."
            )
        values: dict[str, Any] = {
            "status": "finished",
            "finished_at": datetime.now(UTC),
            "summary": summary,
        }
        try:
            values |= {k: int(summary[k]) for k in SUMMARY_INTS}
            values |= {k: float(summary[k]) for k in SUMMARY_FLOATS}
        except (TypeError, ValueError) as exc:
            raise StoreError(
                f"The summary for scan run {run_id} has a non-numeric count ({exc}); records_read, "
                "results_ok, quarantined and flagged must be integers, seconds and posts_per_s numbers."
            ) from None
        with self._write(f"finish scan run {run_id}") as conn:
            conn.execute(update(scan_runs).where(scan_runs.c.id == run_id).values(values))

    def get_scan(self, run_id: int | None = None) -> dict[str, Any] | None:
        """One scan run (the latest when `run_id` is None), or None if there is none."""
        stmt = select(scan_runs)
        stmt = (
            stmt.where(scan_runs.c.id == run_id)
            if run_id is not None
            else stmt.order_by(scan_runs.c.id.desc())
        )
        with self._read("read a scan run") as conn:
            row = conn.execute(stmt.limit(1)).mappings().first()
        return self._scan_dict(row) if row is not None else None

    def list_scans(self) -> list[dict[str, Any]]:
        """Every scan run, newest first."""
        with self._read("list scan runs") as conn:
            rows = conn.execute(select(scan_runs).order_by(scan_runs.c.id.desc())).mappings().all()
        return [self._scan_dict(r) for r in rows]

    @staticmethod
    def _scan_dict(row: Any) -> dict[str, Any]:
        return {
            "id": row["id"],
            "status": row["status"],
            "started_at": _iso(row["started_at"]),
            "finished_at": _iso(row["finished_at"]),
            "inputs": row["inputs"],
            "packs": row["packs"],
            "pack_fingerprint": row["pack_fingerprint"],
            "settings": row["settings"],
            "summary": row["summary"],
        }

    # -- results -----------------------------------------------------------------------------

    def iter_results(
        self,
        run_id: int,
        flagged_only: bool = False,
        category: str | None = None,
        limit: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """The results of a run in the order they were saved, each with its post and findings.

        `category` keeps results where that category is flagged. Pages of rows are read in short
        transactions, so a slow consumer holds no lock and no cursor.
        """
        fingerprint = self._fingerprint(run_id)  # here, so an unknown run fails at the call
        return self._iter_results(run_id, fingerprint, flagged_only, category, limit)

    def _iter_results(
        self,
        run_id: int,
        fingerprint: str,
        flagged_only: bool,
        category: str | None,
        limit: int | None,
    ) -> Iterator[dict[str, Any]]:
        sr, pv, p, a = scan_results, post_versions, posts, authors
        stmt = (
            select(
                sr.c.id,
                sr.c.status,
                sr.c.error,
                sr.c.flagged,
                sr.c.categories,
                sr.c.scores,
                pv.c.id.label("pv_pk"),
                pv.c.version,
                pv.c.text,
                pv.c.title,
                p.c.platform,
                p.c.post_id,
                p.c.url,
                p.c.created_at,
                p.c.lang,
                p.c.metrics,
                a.c.author_id,
                a.c.name.label("author_name"),
            )
            .join(pv, pv.c.id == sr.c.post_version_pk)
            .join(p, p.c.id == pv.c.post_pk)
            .outerjoin(a, a.c.id == p.c.author_pk)
            .where(sr.c.run_id == run_id)
            .order_by(sr.c.id)
        )
        if flagged_only:
            stmt = stmt.where(sr.c.flagged == true())
        if category is not None:
            stmt = stmt.where(sr.c.categories[category].as_boolean() == true())
        remaining = limit
        last_id = 0
        while remaining is None or remaining > 0:
            size = PAGE if remaining is None else min(PAGE, remaining)
            with self._read(f"read results of scan run {run_id}") as conn:
                page = conn.execute(stmt.where(sr.c.id > last_id).limit(size)).mappings().all()
                by_version = self._findings(conn, fingerprint, [r["pv_pk"] for r in page])
            for r in page:
                yield self._result_dict(r, by_version.get(r["pv_pk"], []))
            if len(page) < size:
                return
            last_id = page[-1]["id"]
            if remaining is not None:
                remaining -= len(page)

    def _findings(
        self, conn: Connection, fingerprint: str, version_pks: list[int]
    ) -> dict[int, list[dict[str, Any]]]:
        out: dict[int, list[dict[str, Any]]] = {}
        if not version_pks:
            return out
        f = findings
        stmt = (
            select(
                f.c.post_version_pk,
                f.c.category,
                f.c.signal,
                f.c.score,
                f.c.source,
                f.c.start,
                f.c.end,
                f.c.excerpt,
                f.c.explanation,
            )
            .where(
                f.c.pack_fingerprint == fingerprint,
                self._writer.in_list(f.c.post_version_pk, version_pks),
            )
            .order_by(f.c.id)
        )
        for row in conn.execute(stmt).mappings():
            d = dict(row)
            out.setdefault(d.pop("post_version_pk"), []).append(d)
        return out

    @staticmethod
    def _result_dict(r: Any, found: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "post": {
                "id": r["post_id"],
                "platform": r["platform"] or None,
                "url": r["url"],
                "created_at": r["created_at"],
                "author_id": r["author_id"],
                "author_name": r["author_name"],
                "text": r["text"],
                "title": r["title"],
                "lang": r["lang"],
                "metrics": r["metrics"],
                "version": r["version"],
            },
            "result": {
                "post_id": r["post_id"],
                "status": r["status"],
                "error": r["error"],
                "flagged": bool(r["flagged"]),
                "categories": r["categories"],
                "category_scores": r["scores"],
                "findings": found,
            },
        }

    def quarantine(self, run_id: int) -> list[dict[str, Any]]:
        """The records a run could not read, in the order they were saved."""
        self._fingerprint(run_id)
        q = quarantine_t
        stmt = (
            select(q.c.source, q.c.line, q.c.reason, q.c.raw)
            .where(q.c.run_id == run_id)
            .order_by(q.c.id)
        )
        with self._read(f"read the quarantine of scan run {run_id}") as conn:
            return [dict(r) for r in conn.execute(stmt).mappings()]

    def post_versions(self, platform: str | None, post_id: str) -> list[dict[str, Any]]:
        """Every stored version of a post, oldest first; [] for an unknown post."""
        pv = post_versions
        stmt = (
            select(
                pv.c.id, pv.c.version, pv.c.content_hash, pv.c.text, pv.c.title, pv.c.first_seen_run
            )
            .join(posts, posts.c.id == pv.c.post_pk)
            .where(posts.c.platform == (platform or ""), posts.c.post_id == post_id)
            .order_by(pv.c.version)
        )
        with self._read(f"read the versions of post {post_id!r}") as conn:
            rows = [dict(r) for r in conn.execute(stmt).mappings()]
            attached: dict[int, list[dict[str, Any]]] = {}
            if rows:
                m = media
                for pk, typ, path in conn.execute(
                    select(m.c.post_version_pk, m.c.type, m.c.path)
                    .where(m.c.post_version_pk.in_([r["id"] for r in rows]))
                    .order_by(m.c.post_version_pk, m.c.idx)
                ):
                    attached.setdefault(pk, []).append({"type": typ, "path": path})
        for r in rows:
            r["media"] = attached.get(r.pop("id"), [])
        return rows

    def counts(self) -> dict[str, int]:
        """Rows per table: posts, post_versions, authors, media, findings, scan_runs, scan_results, quarantine."""
        tables = {
            "posts": posts,
            "post_versions": post_versions,
            "authors": authors,
            "media": media,
            "findings": findings,
            "scan_runs": scan_runs,
            "scan_results": scan_results,
            "quarantine": quarantine_t,
        }
        stmt = select(
            *(
                select(func.count()).select_from(t).scalar_subquery().label(n)
                for n, t in tables.items()
            )
        )
        with self._read("count rows") as conn:
            row = conn.execute(stmt).mappings().one()
        return {n: int(row[n]) for n in tables}

    # -- plumbing ----------------------------------------------------------------------------

    def _fingerprint(self, run_id: int) -> str:
        """The pack fingerprint of a run; raises StoreError for a run that does not exist."""
        fp = self._fingerprints.get(run_id)
        if fp is None:
            with self._read(f"look up scan run {run_id}") as conn:
                fp = conn.execute(
                    select(scan_runs.c.pack_fingerprint).where(scan_runs.c.id == run_id)
                ).scalar_one_or_none()
            if fp is None:
                raise StoreError(
                    f"There is no scan run {run_id!r} in {self.url}; start one with begin_scan() "
                    "or pick an id from list_scans()."
                )
            self._fingerprints[run_id] = fp
        return fp

    def _write(self, action: str) -> AbstractContextManager[Connection]:
        return transaction(self._engine, action, write=True)

    def _read(self, action: str) -> AbstractContextManager[Connection]:
        return transaction(self._engine, action)
