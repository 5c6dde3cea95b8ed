"""Write one batch of scan results in one transaction, with a fixed, small number of statements.

A scan produces 20,000+ posts/s, so the store must not cost a round trip per post. Each batch is
written with one SELECT of the authors and one of the posts it already knows, then one
``executemany`` per table (new authors, new posts, new versions, post updates, media, findings,
results) and a set-based DELETE of the findings being replaced. Statements are SQLAlchemy Core;
the bulk ones are compiled once and handed to the driver's ``executemany`` with ready-made rows
(see `_Bulk`), and primary keys are allocated up front, so no INSERT needs RETURNING.

Lists of ids are passed as *one* bound value (a JSON array read with ``json_each`` on SQLite, an
array compared with ``= ANY`` on PostgreSQL) rather than ``IN (?, ?, ...)``: that needs no chunking
for SQLite's bound-variable limit, and SQLAlchemy does not have to name thousands of parameters.

Versioning rule: a post's content is identified by `content_hash` (text, title, media, links,
hashtags). Same hash as the current version: no new version, findings of (version, packs) are
replaced, and the post's latest metrics/url/lang are refreshed. Different hash: version + 1, the
earlier versions stay.

Concurrent writers (two scans into one database): each batch starts with
`engine.serialize_writes`, so batches run one at a time and each sees all committed before it.
The ON CONFLICT and FOR UPDATE below stay as a second line of defence.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Table,
    Text,
    any_,
    bindparam,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.elements import ColumnClause

from ..models import Post
from .engine import serialize_writes
from .errors import StoreError
from .schema import AuthorRow, FindingRow, MediaRow, PostRow, PostVersionRow, ScanResultRow

authors: Table = AuthorRow.__table__  # type: ignore[assignment]
posts: Table = PostRow.__table__  # type: ignore[assignment]
post_versions: Table = PostVersionRow.__table__  # type: ignore[assignment]
media: Table = MediaRow.__table__  # type: ignore[assignment]
scan_results: Table = ScanResultRow.__table__  # type: ignore[assignment]
findings: Table = FindingRow.__table__  # type: ignore[assignment]

FINDING_KEYS = ("category", "signal", "score", "source", "start", "end", "excerpt", "explanation")
AUTHOR_FIELDS = ("name", "followers", "mcn", "verified")
SEEN_AUTHORS_MAX = 200_000  # authors remembered per run (about 40 MB at most)
Key = tuple[str, str]  # (platform, post_id) or (platform, author_id)


def content_hash(post: Post) -> str:
    """sha256 of the canonical JSON of what makes a post's content: text, title, media, links, hashtags."""
    payload = {
        "text": post.text,
        "title": post.title,
        "media": [{"type": m.type, "path": m.path} for m in post.media],
        "links": list(post.links),
        "hashtags": list(post.hashtags),
    }
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()


def raw_record(post: Post) -> dict[str, Any]:
    """The input record as read; rebuilt from the fields for posts made in code without `raw`."""
    if post.raw:
        return post.raw
    a = post.author
    return {
        "id": post.id,
        "platform": post.platform,
        "url": post.url,
        "created_at": post.created_at,
        "author": {
            "id": a.id,
            "name": a.name,
            "followers": a.followers,
            "mcn": a.mcn,
            "verified": a.verified,
        },
        "text": post.text,
        "title": post.title,
        "lang": post.lang,
        "media": [{"type": m.type, "path": m.path} for m in post.media],
        "metrics": post.metrics,
        "hashtags": list(post.hashtags),
        "links": list(post.links),
        "reply_to": post.reply_to,
        "shared_from": post.shared_from,
    }


@dataclass(slots=True)
class _Item:
    """One post of the batch and what the batch decided about it."""

    post: Post
    result: dict[str, Any]
    key: Key
    hash: str
    author_pk: int | None = None
    post_pk: int | None = None
    version: int = 1
    version_pk: int | None = None
    new_version: bool = True


@dataclass(slots=True)
class _Existing:
    """A stored post's current version and latest fields: (metrics, url, created_at, lang, author_pk)."""

    post_pk: int
    version: int
    version_pk: int
    hash: str
    latest: tuple[Any, ...]


class _Bulk:
    """A Core DML statement compiled once for the dialect and run as one DBAPI ``executemany``.

    SQLAlchemy's own executemany processes every parameter set in Python (a few microseconds per
    row and column type), which at scan speed costs more than SQLite's work. Here Core still
    writes the SQL, for the dialect at hand, and the rows go to the driver as they are: the
    caller gives JSON columns already serialized.
    """

    def __init__(self, stmt: Any, dialect: Dialect, columns: Sequence[str]) -> None:
        compiled = stmt.compile(dialect=dialect, column_keys=list(columns))
        self.sql = compiled.string
        # qmark drivers (sqlite3) take tuples in bind order; pyformat ones (psycopg) take dicts.
        self._order = itemgetter(*compiled.positiontup) if compiled.positional else None

    def __call__(self, conn: Connection, rows: list[dict[str, Any]]) -> int:
        """Run for every row; returns the number of rows changed."""
        if not rows:
            return 0
        params: list[Any] = list(map(self._order, rows)) if self._order else rows
        return int(conn.exec_driver_sql(self.sql, params).rowcount)


class BatchWriter:
    """Holds the prepared statements for one dialect; `write` saves one batch on a connection."""

    def __init__(self, dialect: Dialect, json_dumps: Callable[[Any], str]) -> None:
        self.is_pg = dialect.name == "postgresql"
        self.dumps = json_dumps
        # Authors already written in the current run, with the fields written: (pk, fields). Only
        # the batch's other authors are looked up. Entries join after their batch commits.
        self._seen: dict[Key, tuple[int, tuple[Any, ...]]] = {}
        self._seen_run: int | None = None
        self._pending: dict[Key, tuple[int, tuple[Any, ...]]] = {}
        insert = postgresql.insert if self.is_pg else sqlite.insert

        def bulk(stmt: Any, table: Table, with_id: bool = True) -> _Bulk:
            return _Bulk(stmt, dialect, [c.key for c in table.c if with_id or c.key != "id"])

        # Authors and posts may be inserted concurrently by another writer (PostgreSQL): the
        # loser's rows are skipped, noticed by the row count, and looked up instead.
        self.insert_authors = bulk(
            insert(authors).on_conflict_do_nothing(
                index_elements=[authors.c.platform, authors.c.author_id]
            ),
            authors,
        )
        self.insert_posts = bulk(
            insert(posts).on_conflict_do_nothing(
                index_elements=[posts.c.platform, posts.c.post_id]
            ),
            posts,
        )
        self.insert_versions = bulk(post_versions.insert(), post_versions)
        self.insert_media = bulk(media.insert(), media, with_id=False)
        self.insert_findings = bulk(findings.insert(), findings, with_id=False)
        self.insert_results = bulk(scan_results.insert(), scan_results, with_id=False)
        by_pk = bindparam("pk")
        self.update_authors = _Bulk(
            update(authors).where(authors.c.id == by_pk), dialect, [*AUTHOR_FIELDS, "last_seen_run"]
        )
        self.update_posts = _Bulk(
            update(posts).where(posts.c.id == by_pk),
            dialect,
            ["version", "metrics", "url", "created_at", "lang", "author_pk"],
        )

        c, p, pv = authors.c, posts.c, post_versions.c
        self.select_authors = select(
            c.id, c.platform, c.author_id, *(c[f] for f in AUTHOR_FIELDS), c.last_seen_run
        )
        self.select_posts = (
            select(
                p.id,
                p.platform,
                p.post_id,
                p.version,
                p.metrics,
                p.url,
                p.created_at,
                p.lang,
                p.author_pk,
                pv.id,
                pv.content_hash,
            )
            .join(post_versions, (pv.post_pk == p.id) & (pv.version == p.version))
            .order_by(p.id)
            .with_for_update(of=posts)  # PostgreSQL: hold the rows, in id order, until commit
        )

    def allocate_ids(self, conn: Connection, table: Table, n: int) -> Sequence[int]:
        """`n` unused primary keys of `table`, so bulk inserts need no RETURNING.

        PostgreSQL draws them from the table's sequence (safe with concurrent writers). SQLite
        continues after the largest id: this runs under the batch's BEGIN IMMEDIATE lock, so no
        other writer can take the same ones.
        """
        if self.is_pg:
            seq = func.pg_get_serial_sequence(table.name, "id")
            stmt = select(func.nextval(seq)).select_from(func.generate_series(1, n))
            return list(conn.execute(stmt).scalars())
        start = int(conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one())
        return range(start + 1, start + n + 1)

    def in_list(
        self, column: ColumnElement[Any] | ColumnClause[Any], values: Sequence[Any]
    ) -> ColumnElement[bool]:
        """`column IN values`, with the values bound as one parameter (see module docstring)."""
        if self.is_pg:
            array_type = postgresql.ARRAY(Text if isinstance(values[0], str) else BigInteger)
            return column == any_(bindparam(None, list(values), type_=array_type))
        json_array = bindparam(None, orjson.dumps(list(values)).decode(), type_=Text)
        return column.in_(select(func.json_each(json_array).table_valued("value").c.value))

    # -- the batch ---------------------------------------------------------------------------

    def write(
        self,
        conn: Connection,
        run_id: int,
        fingerprint: str,
        rows: Iterable[tuple[Post, dict[str, Any]]],
    ) -> int:
        """Save `rows` on `conn` (inside the caller's transaction); returns the number of posts saved."""
        self._pending = {}
        items = self._prepare(rows)
        if not items:
            return 0
        # First, before reading anything: concurrent writers' batches run one at a time (see
        # engine.serialize_writes), so what this batch reads stays true until it commits.
        serialize_writes(conn)
        self._save_authors(conn, run_id, items)

        existing = self._select_posts(conn, [it.key for it in items])
        new = [it for it in items if it.key not in existing]
        if new:
            existing |= self._insert_posts(conn, new)

        post_updates: list[dict[str, Any]] = []
        kept_versions: list[int] = []
        for it in items:
            old = existing.get(it.key)
            if old is None:
                continue
            it.post_pk = old.post_pk
            latest = self._latest(it, old.latest)
            if old.hash == it.hash:
                it.new_version = False
                it.version, it.version_pk = old.version, old.version_pk
                kept_versions.append(old.version_pk)
                if latest != old.latest:
                    post_updates.append(self._post_update(it, latest))
            else:
                it.version = old.version + 1
                post_updates.append(self._post_update(it, latest))

        self._insert_versions(conn, run_id, [it for it in items if it.new_version])
        self.update_posts(conn, post_updates)
        self._insert_media(conn, [it for it in items if it.new_version and it.post.media])
        self._replace_findings(conn, fingerprint, kept_versions, items)
        self.insert_results(conn, [self._result_row(run_id, it) for it in items])
        return len(items)

    def committed(self) -> None:
        """Tell the writer its last batch was committed, so its authors can be remembered."""
        self._seen.update(self._pending)
        self._pending = {}

    # -- steps -------------------------------------------------------------------------------

    @staticmethod
    def _prepare(rows: Iterable[tuple[Post, dict[str, Any]]]) -> list[_Item]:
        batch: dict[Key, _Item] = {}
        for row in rows:
            try:
                post, result = row
            except (TypeError, ValueError):
                raise StoreError(
                    f"save_results got {type(row).__name__} {str(row)[:80]!r} where a (Post, result "
                    "dict) pair was expected; pass a list of (post, result) tuples."
                ) from None
            if not isinstance(post, Post) or not isinstance(result, dict):
                raise StoreError(
                    f"save_results got ({type(post).__name__}, {type(result).__name__}) where "
                    "(Post, dict) was expected; pass each Post with its result line."
                )
            key = (post.platform or "", post.id)
            batch.pop(key, None)  # a duplicate id: the last one wins, in the last one's position
            batch[key] = _Item(post, result, key, content_hash(post))
        return list(batch.values())  # input order: results are read back in this order

    def _save_authors(self, conn: Connection, run_id: int, items: list[_Item]) -> None:
        """Insert new authors, update changed ones, mark all as seen in this run.

        Most authors of a batch are already known and unchanged, so they cost one SELECT and one
        set-based UPDATE of `last_seen_run` rather than a per-row upsert.
        """
        if self._seen_run != run_id or len(self._seen) > SEEN_AUTHORS_MAX:
            self._seen, self._seen_run = {}, run_id
        seen_now = self._seen
        wanted: dict[Key, tuple[Any, ...]] = {}
        for it in items:
            a = it.post.author
            if a.id is None or a.id == "":
                continue
            key = (it.key[0], str(a.id))
            fields = (a.name, a.followers, a.mcn, a.verified)
            hit = seen_now.get(key)
            if hit is not None and hit[1] == fields:
                it.author_pk = hit[0]  # saved earlier in this run, unchanged: nothing to write
            else:
                wanted[key] = fields
        if not wanted:
            return
        known = self._select_authors(conn, list(wanted))
        # Sorted, so concurrent writers lock index entries in one order (no PostgreSQL deadlocks).
        new = sorted(k for k in wanted if k not in known)
        if new:
            ids = self.allocate_ids(conn, authors, len(new))
            params = [
                dict(
                    zip(AUTHOR_FIELDS, wanted[k]),
                    id=pk,
                    platform=k[0],
                    author_id=k[1],
                    first_seen_run=run_id,
                    last_seen_run=run_id,
                )
                for pk, k in zip(ids, new)
            ]
            if self.insert_authors(conn, params) == len(new):
                known |= {k: (pk, wanted[k], run_id) for pk, k in zip(ids, new)}
            else:  # another writer added some of them since our SELECT (PostgreSQL only)
                known |= self._select_authors(conn, new)
        changes: list[dict[str, Any]] = []
        seen: list[int] = []
        for k, fields in wanted.items():
            pk, stored, last_seen = known[k]
            # A record that lacks a field (followers, say) must not erase what we knew.
            merged = tuple(n if n is not None else o for n, o in zip(fields, stored))
            if merged != stored:
                changes.append(dict(zip(AUTHOR_FIELDS, merged), pk=pk, last_seen_run=run_id))
            elif last_seen != run_id:
                seen.append(pk)
        self.update_authors(conn, changes)
        if seen:
            conn.execute(
                update(authors).where(self.in_list(authors.c.id, seen)).values(last_seen_run=run_id)
            )
        for it in items:
            a = it.post.author
            if it.author_pk is None and a.id is not None and a.id != "":
                it.author_pk = known[(it.key[0], str(a.id))][0]
        self._pending = {k: (known[k][0], fields) for k, fields in wanted.items()}

    def _select_authors(
        self, conn: Connection, keys: Sequence[Key]
    ) -> dict[Key, tuple[int, tuple[Any, ...], int]]:
        """(platform, author_id) -> (pk, (name, followers, mcn, verified), last_seen_run), known ones only."""
        c = authors.c
        found = {}
        for platform, ids in _by_platform(keys).items():
            rows = conn.execute(
                self.select_authors.where(c.platform == platform, self.in_list(c.author_id, ids))
            ).all()
            for pk, plat, aid, name, followers, mcn, verified, last in rows:
                found[(plat, aid)] = (pk, (name, followers, mcn, verified), last)
        return found

    def _select_posts(self, conn: Connection, keys: Sequence[Key]) -> dict[Key, _Existing]:
        p = posts.c
        found = {}
        for platform, ids in _by_platform(keys).items():
            rows = conn.execute(
                self.select_posts.where(p.platform == platform, self.in_list(p.post_id, ids))
            ).all()
            for pk, plat, post_id, version, metrics, url, created, lang, author_pk, vpk, h in rows:
                found[(plat, post_id)] = _Existing(
                    pk, version, vpk, h, (metrics, url, created, lang, author_pk)
                )
        return found

    def _insert_posts(self, conn: Connection, new: list[_Item]) -> dict[Key, _Existing]:
        """Insert posts seen for the first time; returns those another writer inserted first."""
        new = sorted(new, key=lambda it: it.key)  # one lock order for concurrent writers
        ids = self.allocate_ids(conn, posts, len(new))
        dumps = self.dumps
        params = [
            {
                "id": pk,
                "platform": it.key[0],
                "post_id": it.post.id,
                "version": 1,
                "author_pk": it.author_pk,
                "url": it.post.url,
                "created_at": it.post.created_at,
                "lang": it.post.lang,
                "metrics": dumps(it.post.metrics),
            }
            for pk, it in zip(ids, new)
        ]
        for pk, it in zip(ids, new):
            it.post_pk = pk
        if self.insert_posts(conn, params) == len(new):
            return {}
        # Some were inserted by another writer since our SELECT (PostgreSQL only): use theirs.
        mine = set(ids)
        theirs = self._select_posts(conn, [it.key for it in new])
        return {k: e for k, e in theirs.items() if e.post_pk not in mine}

    @staticmethod
    def _latest(it: _Item, old: tuple[Any, ...]) -> tuple[Any, ...]:
        # The newest known value wins; a field the new record lacks keeps the stored one.
        p = it.post
        return (
            p.metrics if p.metrics else old[0],
            p.url if p.url is not None else old[1],
            p.created_at if p.created_at is not None else old[2],
            p.lang if p.lang is not None else old[3],
            it.author_pk if it.author_pk is not None else old[4],
        )

    def _post_update(self, it: _Item, latest: tuple[Any, ...]) -> dict[str, Any]:
        metrics, url, created_at, lang, author_pk = latest
        return {
            "pk": it.post_pk,
            "version": it.version,
            "metrics": self.dumps(metrics),
            "url": url,
            "created_at": created_at,
            "lang": lang,
            "author_pk": author_pk,
        }

    def _insert_versions(self, conn: Connection, run_id: int, items: list[_Item]) -> None:
        if not items:
            return
        dumps = self.dumps
        params = []
        for pk, it in zip(self.allocate_ids(conn, post_versions, len(items)), items):
            it.version_pk = pk
            params.append(
                {
                    "id": pk,
                    "post_pk": it.post_pk,
                    "version": it.version,
                    "content_hash": it.hash,
                    "text": it.post.text,
                    "title": it.post.title,
                    "raw": dumps(raw_record(it.post)),
                    "first_seen_run": run_id,
                }
            )
        self.insert_versions(conn, params)

    def _insert_media(self, conn: Connection, items: list[_Item]) -> None:
        params = [
            {"post_version_pk": it.version_pk, "idx": i, "type": m.type, "path": m.path}
            for it in items
            for i, m in enumerate(it.post.media)
        ]
        self.insert_media(conn, params)

    def _replace_findings(
        self, conn: Connection, fingerprint: str, kept_versions: list[int], items: list[_Item]
    ) -> None:
        if kept_versions:
            conn.execute(
                delete(findings).where(
                    findings.c.pack_fingerprint == fingerprint,
                    self.in_list(findings.c.post_version_pk, kept_versions),
                )
            )
        params = [
            self._finding_row(it, fingerprint, f)
            for it in items
            for f in it.result.get("findings") or ()
        ]
        self.insert_findings(conn, params)

    @staticmethod
    def _finding_row(it: _Item, fingerprint: str, finding: Any) -> dict[str, Any]:
        f = finding.as_dict() if hasattr(finding, "as_dict") else finding
        try:
            row = {k: f[k] for k in FINDING_KEYS}
        except (KeyError, TypeError):
            missing = [k for k in FINDING_KEYS if not isinstance(f, dict) or k not in f]
            raise StoreError(
                f"A finding of post {it.post.id!r} lacks {', '.join(missing)}; every finding needs "
                f"{', '.join(FINDING_KEYS)} (Finding.as_dict() gives them all)."
            ) from None
        row["post_version_pk"] = it.version_pk
        row["pack_fingerprint"] = fingerprint
        return row

    def _result_row(self, run_id: int, it: _Item) -> dict[str, Any]:
        r = it.result
        return {
            "run_id": run_id,
            "post_version_pk": it.version_pk,
            "status": r.get("status") or "ok",
            "error": r.get("error"),
            "flagged": bool(r.get("flagged", False)),
            "categories": self.dumps(r.get("categories") or {}),
            "scores": self.dumps(r.get("category_scores") or {}),
        }


def _by_platform(keys: Iterable[Key]) -> dict[str, list[str]]:
    # One lookup per platform (a batch rarely mixes many), so it can use the (platform, id) index.
    out: dict[str, list[str]] = {}
    for platform, ident in keys:
        out.setdefault(platform, []).append(ident)
    return out
