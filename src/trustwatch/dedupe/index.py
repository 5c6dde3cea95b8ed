"""The store-backed near-duplicate index: posts join clusters as scans store them.

`SourceIndex` reads and writes the ``source_*`` tables (store/schema_sources.py) in the same
database as the posts, on SQLite or PostgreSQL. Each batch runs in one write transaction:

1. shingles, MinHash signature and LSH band keys of every post to index (numpy, whole batch);
2. one ``SELECT`` of the band table for all the batch's keys, and pairs inside the batch;
3. candidates grouped by cluster and verified by *exact* Jaccard over the stored shingle sets
   (core.verify), plus joins by a shared normalized link and by ``shared_from``;
4. clusters merge (the smallest id survives; members of the others are relabelled with one
   ``UPDATE`` per merge) and their running totals (size, reach, flagged, earliest post) are
   updated from the totals they had, never recomputed from all members;
5. the batch's band, link and post rows are inserted; a band key already holding `BUCKET_CAP`
   posts gets no more (its copies are one cluster already and are found through those kept).

So the index persists and grows; nothing is rebuilt in memory. A post stored again with the same
content only updates its reach and flags (and its cluster's totals by the difference); a post whose
content changed is re-indexed and keeps its cluster (clusters grow and merge, they do not split;
`rebuild` starts over, e.g. with another threshold).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

import numpy as np
from sqlalchemy import Connection, Table, and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from ..errors import TrustwatchError
from ..models import Post
from ..store import Store, StoreError
from ..store.engine import serialize_writes
from ..store.schema import PostRow, PostVersionRow, ScanResultRow
from ..store.schema_sources import (
    SourceArticle,
    SourceArticlePost,
    SourceBand,
    SourceCluster,
    SourceImage,
    SourceImageBand,
    SourceLink,
    SourceMeta,
    SourcePost,
)
from ..store.writer import _Bulk, content_hash
from .core import BUCKET_CAP, batch_pairs, candidate_pairs, verify
from .minhash import LshParams, MinHasher, shingle_sets
from .urls import is_specific, normalize_url, url_key

DEFAULT_THRESHOLD = 0.6
PDQ_MAX_DISTANCE = 31  # Meta's default match distance for PDQ

posts_t: Table = PostRow.__table__  # type: ignore[assignment]
versions_t: Table = PostVersionRow.__table__  # type: ignore[assignment]
results_t: Table = ScanResultRow.__table__  # type: ignore[assignment]
meta_t: Table = SourceMeta.__table__  # type: ignore[assignment]
sp_t: Table = SourcePost.__table__  # type: ignore[assignment]
bands_t: Table = SourceBand.__table__  # type: ignore[assignment]
links_t: Table = SourceLink.__table__  # type: ignore[assignment]
clusters_t: Table = SourceCluster.__table__  # type: ignore[assignment]
images_t: Table = SourceImage.__table__  # type: ignore[assignment]
image_bands_t: Table = SourceImageBand.__table__  # type: ignore[assignment]
articles_t: Table = SourceArticle.__table__  # type: ignore[assignment]
article_posts_t: Table = SourceArticlePost.__table__  # type: ignore[assignment]


class SourcesError(TrustwatchError):
    """The sources index cannot do what was asked; the message says why and what to do."""


@dataclass(slots=True)
class Item:
    """What indexing needs of one stored post."""

    pk: int
    version: int
    platform: str
    post_id: str
    text: str
    links: tuple[str, ...] = ()
    shared_from: str | None = None
    created_at: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    flags: str = ""

    @property
    def reach(self) -> int:
        return reach_of(self.metrics)

    @property
    def ts(self) -> float | None:
        return parse_ts(self.created_at)


def reach_of(metrics: Any) -> int:
    """Total reach of a post: the sum of its numeric counters (views, likes, comments, shares…)."""
    if not isinstance(metrics, dict):
        return 0
    return int(sum(v for v in metrics.values() if isinstance(v, int | float) and not isinstance(v, bool) and v > 0))


def parse_ts(value: Any) -> float | None:
    """UTC epoch seconds of an ISO 8601 time (naive times are taken as UTC); None if unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        dt = datetime.fromisoformat(value.strip())  # 3.11+ reads a trailing Z too
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def flags_of(result: dict[str, Any] | None) -> str:
    cats = (result or {}).get("categories") or {}
    hit = sorted(c for c, v in cats.items() if v is True)
    return "," + ",".join(hit) + "," if hit else ""


def earliest_key(ts: float | None, pk: int) -> tuple[bool, float, int]:
    """Order of 'earliest': by created_at, posts without one last, ties by ingestion order."""
    return (ts is None, ts if ts is not None else 0.0, pk)


def _blob(values: np.ndarray) -> bytes:
    return values.astype("<u4").tobytes()


def _unblob(blob: bytes | None) -> np.ndarray:
    return np.frombuffer(blob or b"", dtype="<u4").astype(np.uint32)


class SourceIndex:
    """Near-duplicate clusters over everything in one store, updated batch by batch."""

    def __init__(self, store: Store, threshold: float | None = None) -> None:
        self.store = store
        # The store's engine and bulk writer: same package family, same transaction rules.
        self._engine = store._engine
        self._writer = store._writer
        dialect = self._engine.dialect
        self.is_pg = dialect.name == "postgresql"
        self._insert_bands = _Bulk(bands_t.insert(), dialect, ["key", "post_pk"])
        self._insert_links = _Bulk(links_t.insert(), dialect, ["url_key", "post_pk", "url"])
        self._insert_posts = _Bulk(
            sp_t.insert(), dialect,
            ["post_pk", "version", "cluster_id", "created_ts", "shingles", "reach", "flags"],
        )
        self.params = self._load_params(threshold)
        self.hasher = MinHasher(self.params)

    # -- settings ----------------------------------------------------------------------------

    def _load_params(self, threshold: float | None) -> LshParams:
        with self.store._read("read the sources index settings") as conn:
            row = conn.execute(select(meta_t.c.value).where(meta_t.c.key == "lsh")).scalar_one_or_none()
        if row is not None:
            stored = LshParams(float(row["threshold"]), int(row["bands"]), int(row["rows"]), int(row["seed"]))
            if threshold is not None and abs(threshold - stored.threshold) > 1e-9:
                raise SourcesError(
                    f"The sources index in {self.store.url} was built with threshold "
                    f"{stored.threshold}, not {threshold}.",
                    f"Rebuild it with `trustwatch sources index --rebuild --threshold {threshold}`, "
                    "or leave the threshold out to use the stored one.",
                )
            return stored
        try:
            params = LshParams.for_threshold(threshold if threshold is not None else DEFAULT_THRESHOLD)
        except ValueError as exc:
            raise SourcesError(str(exc)) from None
        with self.store._write("save the sources index settings") as conn:
            serialize_writes(conn)
            # Another scan may have saved them since our read: theirs win, so both use the same.
            if conn.execute(select(meta_t.c.value).where(meta_t.c.key == "lsh")).first() is not None:
                return self._load_params(threshold)
            conn.execute(insert(meta_t), {"key": "lsh", "value": {
                "threshold": params.threshold, "bands": params.bands, "rows": params.rows,
                "seed": params.seed, "shingle": "word bigrams of folded text, digit runs masked",
            }})
        return params

    def rebuild(self, threshold: float | None = None) -> dict[str, int]:
        """Forget the index (not the posts, image hashes or articles) and index every post again."""
        with self.store._write("clear the sources index") as conn:
            serialize_writes(conn)
            for t in (article_posts_t, links_t, bands_t, sp_t, clusters_t):
                conn.execute(delete(t))
            conn.execute(delete(meta_t).where(meta_t.c.key == "lsh"))
        self.params = self._load_params(threshold if threshold is not None else self.params.threshold)
        self.hasher = MinHasher(self.params)
        stats = self.index_pending()
        stats["images"] = self._rejoin_images()
        from .news import relink_articles

        relink_articles(self)
        return stats

    # -- indexing ----------------------------------------------------------------------------

    def index_results(self, rows: Sequence[tuple[Post, dict[str, Any]]]) -> dict[str, int]:
        """Index posts a scan has just stored (the scan hook): (Post, result line) pairs.

        The posts are looked up and indexed in one write transaction, with the text of their
        *stored* current version: another scan may have stored a newer version of the same post
        between this scan's save and this call, and the index must describe what is stored.
        """
        if not rows:
            return {"indexed": 0}
        by_key = {((p.platform or ""), p.id): (p, r) for p, r in rows}
        p, pv = posts_t.c, versions_t.c
        with self.store._write(f"index {len(by_key)} posts for sources") as conn:
            serialize_writes(conn)  # one writer at a time: merges must see each other's clusters
            by_platform: dict[str, list[str]] = defaultdict(list)
            for plat, pid in by_key:
                by_platform[plat].append(pid)
            found: list[Item] = []
            for plat, ids in by_platform.items():
                stmt = (
                    select(p.id, p.post_id, p.version, p.metrics, p.created_at, pv.content_hash,
                           pv.text, pv.title, pv.raw)
                    .join(versions_t, and_(pv.post_pk == p.id, pv.version == p.version))
                    .where(p.platform == plat, self._writer.in_list(p.post_id, ids))
                )
                for pk, pid, version, metrics, created, chash, body, title, raw in conn.execute(stmt):
                    post, result = by_key[(plat, pid)]
                    if chash == content_hash(post):  # the usual case: what this scan stored
                        text, links, shared = _text_of(post.title, post.text), tuple(post.links), post.shared_from
                    else:
                        text, (links, shared) = _text_of(title, body), _links_of(raw)
                    found.append(Item(pk, version, plat, pid, text, links, shared,
                                      created, metrics or {}, flags_of(result)))
            if not found:
                return {"indexed": 0}
            found.sort(key=lambda it: it.pk)
            return self._index(conn, found)

    def index_pending(self, batch_size: int = 2000) -> dict[str, int]:
        """Index every stored post not indexed yet, or whose content changed since (catch-up)."""
        flags: dict[int, str] | None = None  # read once, and only when something is pending
        totals: dict[str, int] = defaultdict(int)
        last = 0
        p, pv, sp = posts_t.c, versions_t.c, sp_t.c
        while True:
            stmt = (
                select(p.id, p.platform, p.post_id, p.version, p.metrics, p.created_at,
                       pv.id, pv.text, pv.title, pv.raw)
                .join(versions_t, and_(pv.post_pk == p.id, pv.version == p.version))
                .outerjoin(sp_t, sp.post_pk == p.id)
                .where(p.id > last, or_(sp.post_pk.is_(None), sp.version != p.version))
                .order_by(p.id)
                .limit(batch_size)
            )
            with self.store._read("read posts to index") as conn:
                rows = conn.execute(stmt).all()
            if not rows:
                break
            if flags is None:
                flags = self._latest_flags()
            items = []
            for pk, plat, pid, version, metrics, created, pv_pk, body, title, raw in rows:
                links, shared = _links_of(raw)
                items.append(Item(pk, version, plat, pid, _text_of(title, body), links, shared,
                                  created, metrics or {}, flags.get(pv_pk, "")))
            for k, v in self.index_items(items).items():
                totals[k] += v
            last = rows[-1][0]
        return dict(totals)

    def _latest_flags(self) -> dict[int, str]:
        """Flags of each post version from its latest scan result (flagged versions only).

        One pass over the scan results, made only when there are posts to catch up on: the scan
        hook gets each post's flags from its result line instead.
        """
        r = results_t.c
        out: dict[int, str] = {}
        with self.store._read("read scan flags") as conn:
            for pv_pk, flagged, cats in conn.execute(
                select(r.post_version_pk, r.flagged, r.categories).order_by(r.id)
            ):
                if flagged:
                    out[pv_pk] = flags_of({"categories": cats})
                else:
                    out.pop(pv_pk, None)
        return out

    def index_items(self, items: list[Item]) -> dict[str, int]:
        if not items:
            return {"indexed": 0}
        with self.store._write(f"index {len(items)} posts for sources") as conn:
            serialize_writes(conn)  # one writer at a time: merges must see each other's clusters
            return self._index(conn, items)

    def _index(self, conn: Connection, items: list[Item]) -> dict[str, int]:
        sp = sp_t.c
        in_list = self._writer.in_list
        pks = [it.pk for it in items]
        old = {
            row[0]: row[1:]
            for row in conn.execute(
                select(sp.post_pk, sp.version, sp.cluster_id, sp.reach, sp.flags, sp.created_ts)
                .where(in_list(sp.post_pk, pks))
            )
        }
        # Totals of the clusters touched, as stored; changed in memory, written back at the end.
        deltas: dict[int, list[Any]] = {}  # cluster id -> [size, reach, flagged, earliest_key, latest]
        meta_updates: list[dict[str, Any]] = []
        todo: list[Item] = []
        reindexed: list[int] = []
        cluster_of_item: dict[int, int] = {}
        for it in items:
            prev = old.get(it.pk)
            if prev is None:
                todo.append(it)
                cluster_of_item[it.pk] = it.pk
                continue
            version, cid, reach, flags, ts = prev
            cluster_of_item[it.pk] = cid
            if version == it.version and (it.reach, it.flags, it.ts) == (reach, flags, ts):
                continue  # stored again unchanged: nothing to do
            d = deltas.setdefault(cid, [0, 0, 0, None, None])
            d[1] += it.reach - reach
            d[2] += bool(it.flags) - bool(flags)
            _fold_time(d, it.ts, it.pk)
            if version != it.version:
                todo.append(it)
                reindexed.append(it.pk)
            else:
                meta_updates.append({"pk": it.pk, "reach": it.reach, "flags": it.flags, "ts": it.ts})
        if meta_updates:
            conn.execute(
                update(sp_t).where(sp.post_pk == _bp("pk")).values(reach=_bp("reach"), flags=_bp("flags"), created_ts=_bp("ts")),
                meta_updates,
            )
        if reindexed:
            conn.execute(delete(bands_t).where(in_list(bands_t.c.post_pk, reindexed)))
            conn.execute(delete(links_t).where(in_list(links_t.c.post_pk, reindexed)))

        edges: list[tuple[int, int]] = []  # (cluster, cluster) to join
        n_text = 0
        values = offsets = keys = None
        if todo:
            values, offsets = shingle_sets([it.text for it in todo])
            sigs = self.hasher.signatures(values, offsets)
            keys = self.hasher.band_keys(sigs)
            n_text = int((np.diff(offsets) > 0).sum())
        shingles: dict[int, np.ndarray] = {}
        saturated: set[int] = set()
        if todo and n_text:
            assert values is not None and offsets is not None and keys is not None
            has = np.diff(offsets) > 0
            todo_pk = np.array([it.pk for it in todo], dtype=np.int64)
            for i, it in enumerate(todo):
                shingles[it.pk] = values[offsets[i] : offsets[i + 1]]
            nb = keys.shape[1]
            flat_keys = keys[has].reshape(-1)
            owners = np.repeat(todo_pk[has], nb)
            bucket: dict[int, list[int]] = defaultdict(list)
            for k, pk in conn.execute(
                select(bands_t.c.key, bands_t.c.post_pk).where(in_list(bands_t.c.key, np.unique(flat_keys).tolist()))
            ):
                bucket[k].append(pk)
            q_list: list[int] = []
            c_list: list[int] = []
            key_list = flat_keys.tolist()
            own_list = owners.tolist()
            for k, q in zip(key_list, own_list, strict=True):
                members = bucket.get(k)
                if not members:
                    continue
                if len(members) >= BUCKET_CAP:
                    saturated.add(k)
                    members = sorted(members)[-BUCKET_CAP:]
                for c in members:
                    if c != q:
                        q_list.append(q)
                        c_list.append(c)
            bq, bc = batch_pairs(flat_keys, owners, BUCKET_CAP)
            # Stored candidates may be newer than the query (a re-indexed post): order each pair.
            qa = np.array(q_list, dtype=np.int64)
            ca = np.array(c_list, dtype=np.int64)
            hi = np.concatenate([np.maximum(qa, ca), bq])
            lo = np.concatenate([np.minimum(qa, ca), bc])
            q, c, hits = candidate_pairs(hi, lo)
            need = sorted(set(q.tolist()) | set(c.tolist()))
            need = [pk for pk in need if pk not in shingles]
            stored_cluster: dict[int, int] = {}
            if need:
                for pk, cid, blob in conn.execute(
                    select(sp.post_pk, sp.cluster_id, sp.shingles).where(in_list(sp.post_pk, need))
                ):
                    shingles[pk] = _unblob(blob)
                    stored_cluster[pk] = cid

            def cluster_of(pk: int) -> int:
                return cluster_of_item.get(pk) or stored_cluster.get(pk, pk)

            # A pair is verified once per (newer post, cluster of the older one).
            for m in verify(q, c, hits, cluster_of, shingles.__getitem__, self.params.threshold):
                edges.append((cluster_of(m.post), cluster_of(m.other)))

        # Shared links and shares join clusters too.
        link_rows: list[dict[str, Any]] = []
        by_link: dict[int, list[int]] = defaultdict(list)
        for it in todo:
            for raw_url in it.links:
                norm = normalize_url(raw_url)
                if norm is None or not is_specific(norm):
                    continue
                k = url_key(norm)
                if it.pk in by_link[k]:
                    continue
                by_link[k].append(it.pk)
                link_rows.append({"url_key": k, "post_pk": it.pk, "url": norm})
        if by_link:
            for k, cid in conn.execute(
                select(links_t.c.url_key, sp.cluster_id).distinct()
                .join(sp_t, sp.post_pk == links_t.c.post_pk)
                .where(in_list(links_t.c.url_key, list(by_link)))
            ):
                for pk in by_link[k]:
                    edges.append((cluster_of_item[pk], cid))
            for pks_sharing in by_link.values():
                for a, b in pairwise(pks_sharing):
                    edges.append((cluster_of_item[a], cluster_of_item[b]))
        edges.extend(self._share_edges(conn, todo, cluster_of_item))

        roots = self._merge(conn, edges, cluster_of_item, deltas)
        for it in todo:
            cid = roots.get(cluster_of_item[it.pk], cluster_of_item[it.pk])
            cluster_of_item[it.pk] = cid
            if it.pk not in old:
                d = deltas.setdefault(cid, [0, 0, 0, None, None])
                d[0] += 1
                d[1] += it.reach
                d[2] += bool(it.flags)
                _fold_time(d, it.ts, it.pk)
        # Re-indexed posts: new content, same row.
        if reindexed:
            conn.execute(delete(sp_t).where(in_list(sp.post_pk, reindexed)))
        empty = np.zeros(0, np.uint32)
        self._insert_posts(conn, [
            {"post_pk": it.pk, "version": it.version, "cluster_id": cluster_of_item[it.pk],
             "created_ts": it.ts, "shingles": _blob(shingles.get(it.pk, empty)),
             "reach": it.reach, "flags": it.flags}
            for it in todo
        ])
        if todo and n_text:
            assert keys is not None and offsets is not None
            band_rows = [
                {"key": k, "post_pk": it.pk}
                for i, it in enumerate(todo) if offsets[i + 1] > offsets[i]
                for k in keys[i].tolist() if k not in saturated
            ]
            self._insert_bands(conn, band_rows)
        self._insert_links(conn, link_rows)
        self._write_totals(conn, deltas)
        from .news import link_items

        articles = link_items(self, conn, todo, link_rows)
        return {"indexed": len(todo), "updated": len(meta_updates), "merges": len(roots),
                "clusters": len(deltas), "articles": articles}

    def _share_edges(self, conn: Connection, todo: list[Item], cluster_of_item: dict[int, int]) -> list[tuple[int, int]]:
        """A post shared from another stored post is a copy of it: same cluster."""
        wanted = {it.shared_from for it in todo if it.shared_from}
        if not wanted:
            return []
        p, sp = posts_t.c, sp_t.c
        found: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
        for plat, pid, pk, cid in conn.execute(
            select(p.platform, p.post_id, p.id, sp.cluster_id)
            .join(sp_t, sp.post_pk == p.id)
            .where(self._writer.in_list(p.post_id, sorted(wanted)))
        ):
            found[pid].append((plat, pk, cid))
        batch = {(it.platform, it.post_id): it.pk for it in todo}
        batch_ids: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for (plat, pid), pk in batch.items():
            batch_ids[pid].append((plat, pk))
        edges = []
        for it in todo:
            if not it.shared_from:
                continue
            opts = [(plat, cid) for plat, _pk, cid in found.get(it.shared_from, [])]
            opts += [(plat, cluster_of_item[pk]) for plat, pk in batch_ids.get(it.shared_from, []) if pk != it.pk]
            if not opts:
                continue
            same = [cid for plat, cid in opts if plat == it.platform]
            edges.append((cluster_of_item[it.pk], (same or [opts[0][1]])[0]))
        return edges

    def _merge(
        self, conn: Connection, edges: Iterable[tuple[int, int]], cluster_of_item: dict[int, int],
        deltas: dict[int, list[Any]],
    ) -> dict[int, int]:
        """Join clusters along `edges`; returns {old cluster id: surviving id} for merged ones."""
        parent: dict[int, int] = {}

        def find(x: int) -> int:
            parent.setdefault(x, x)
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for a, b in edges:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
        roots = {x: find(x) for x in parent if find(x) != x}
        if not roots:
            return {}
        groups: dict[int, list[int]] = defaultdict(list)
        for x, r in roots.items():
            groups[r].append(x)
        sp = sp_t.c
        for r, olds in groups.items():
            conn.execute(update(sp_t).where(self._writer.in_list(sp.cluster_id, olds)).values(cluster_id=r))
            for o in olds:
                d = deltas.pop(o, None)
                if d is not None:
                    t = deltas.setdefault(r, [0, 0, 0, None, None])
                    _add_totals(t, d)
                # the merged cluster's stored totals move to the survivor
                deltas.setdefault(r, [0, 0, 0, None, None])
                deltas.setdefault(("merged", o), [r])  # type: ignore[index]
        for pk, cid in list(cluster_of_item.items()):
            if cid in roots:
                cluster_of_item[pk] = roots[cid]
        return roots

    def _write_totals(self, conn: Connection, deltas: dict[Any, list[Any]]) -> None:
        """Fold the batch's changes into the stored cluster totals (merged clusters move over)."""
        merged = {k[1]: v[0] for k, v in deltas.items() if isinstance(k, tuple)}
        live = {k: v for k, v in deltas.items() if not isinstance(k, tuple)}
        ids = sorted(set(live) | set(merged))
        if not ids:
            return
        c = clusters_t.c
        stored = {
            row[0]: list(row[1:])
            for row in conn.execute(
                select(c.id, c.size, c.reach, c.flagged, c.earliest_post_pk, c.earliest_ts, c.latest_ts)
                .where(self._writer.in_list(c.id, ids))
            )
        }
        totals: dict[int, list[Any]] = {}
        for cid in ids:
            target = merged.get(cid, cid)
            t = totals.setdefault(target, [0, 0, 0, None, None])
            s = stored.get(cid)
            if s is not None:
                size, reach, flagged, e_pk, e_ts, l_ts = s
                _add_totals(t, [size, reach, flagged, earliest_key(e_ts, e_pk), l_ts])
        for cid, d in live.items():
            _add_totals(totals.setdefault(cid, [0, 0, 0, None, None]), d)
        conn.execute(delete(clusters_t).where(self._writer.in_list(c.id, ids)))
        rows = []
        for cid, (size, reach, flagged, ek, latest) in totals.items():
            if size <= 0:
                continue
            rows.append({"id": cid, "size": size, "reach": reach, "flagged": flagged,
                         "earliest_post_pk": ek[2] if ek else cid,
                         "earliest_ts": None if (ek is None or ek[0]) else ek[1], "latest_ts": latest})
        if rows:
            conn.execute(insert(clusters_t), rows)

    # -- images (PDQ) --------------------------------------------------------------------------

    def add_image_hashes(
        self, pairs: Sequence[tuple[Any, str] | tuple[Any, str, int | None, str | None]],
        max_distance: int = PDQ_MAX_DISTANCE,
    ) -> dict[str, int]:
        """Attach PDQ hashes to posts and join the clusters of posts with similar images.

        `pairs` are (post, pdq_hex) or (post, pdq_hex, quality, source), where post is a stored
        post's key ``(platform, post_id)`` or its store id. The media extractors call this; any
        PDQ implementation works, since only the 64-hex-digit hash is used. A post that is not in
        the sources index yet is skipped and counted (index it first). Matching: Hamming distance
        <= `max_distance` (31 is Meta's default), found through 16 bands of 16 bits (every pair
        within 15 bits shares a band; beyond that most do), then verified exactly.
        """
        parsed: list[tuple[Any, int, int | None, str | None, str]] = []
        bad = 0
        for entry in pairs:
            ref, hexd = entry[0], entry[1]
            quality = entry[2] if len(entry) > 2 else None
            source = entry[3] if len(entry) > 3 else None
            try:
                value = int(hexd, 16)
                if len(hexd) != 64:
                    raise ValueError
            except (TypeError, ValueError):
                bad += 1
                continue
            parsed.append((ref, value, quality, source, hexd.lower()))
        stats = {"added": 0, "already_present": 0, "skipped_not_indexed": 0, "bad_hash": bad, "joined": 0}
        if not parsed:
            return stats
        with self.store._write(f"add {len(parsed)} image hashes") as conn:
            serialize_writes(conn)
            pk_of = self._resolve_posts(conn, [p[0] for p in parsed])
            sp = sp_t.c
            clusters = dict(conn.execute(
                select(sp.post_pk, sp.cluster_id).where(self._writer.in_list(sp.post_pk, sorted(set(pk_of.values())) or [0]))
            ).all())
            # The same hash of the same media of a post is kept once: a rescan, or a resumed scan
            # replaying its last shard's hashes, adds nothing twice.
            im = images_t.c
            present = set(conn.execute(
                select(im.post_pk, im.pdq, im.source).where(self._writer.in_list(im.post_pk, sorted(set(pk_of.values())) or [0]))
            ).all())
            ids = self._writer.allocate_ids(conn, images_t, len(parsed))
            img_rows, band_rows, edges = [], [], []
            cluster_of_item: dict[int, int] = {}
            for new_id, (ref, value, quality, source, hexd) in zip(ids, parsed, strict=True):
                pk = pk_of.get(_ref_key(ref))
                if pk is None or pk not in clusters:
                    stats["skipped_not_indexed"] += 1
                    continue
                if (pk, hexd, source) in present:
                    stats["already_present"] += 1
                    continue
                present.add((pk, hexd, source))
                cluster_of_item[pk] = clusters[pk]
                bands = _pdq_bands(value)
                for other_img, other_pk, other_hex, other_cid in self._pdq_candidates(conn, bands):
                    if other_pk != pk and (value ^ int(other_hex, 16)).bit_count() <= max_distance:
                        edges.append((clusters[pk], other_cid))
                img_rows.append({"id": new_id, "post_pk": pk, "pdq": hexd, "quality": quality, "source": source})
                band_rows.extend({"key": b, "image_id": new_id} for b in bands)
                # images of this same call see each other through the bands inserted below
                conn.execute(insert(images_t), [img_rows[-1]])
                conn.execute(insert(image_bands_t), band_rows[-16:])
            stats["added"] = len(img_rows)
            deltas: dict[Any, list[Any]] = {}
            roots = self._merge(conn, edges, cluster_of_item, deltas)
            stats["joined"] = len(roots)
            self._write_totals(conn, deltas)
        return stats

    def _pdq_candidates(self, conn: Connection, bands: list[int]) -> list[tuple[int, int, str, int]]:
        i, b, sp = images_t.c, image_bands_t.c, sp_t.c
        return list(conn.execute(
            select(i.id, i.post_pk, i.pdq, sp.cluster_id).distinct()
            .join(image_bands_t, b.image_id == i.id)
            .join(sp_t, sp.post_pk == i.post_pk)
            .where(self._writer.in_list(b.key, bands))
        ).all())

    def _rejoin_images(self) -> int:
        """After a rebuild, join clusters again through the image hashes kept."""
        i, sp = images_t.c, sp_t.c
        with self.store._write("rejoin clusters by image hashes") as conn:
            serialize_writes(conn)
            rows = conn.execute(select(i.id, i.post_pk, i.pdq, sp.cluster_id).join(sp_t, sp.post_pk == i.post_pk)).all()
            edges = []
            for img, pk, hexd, cid in rows:
                value = int(hexd, 16)
                for other, opk, ohex, ocid in self._pdq_candidates(conn, _pdq_bands(value)):
                    if other != img and opk != pk and (value ^ int(ohex, 16)).bit_count() <= PDQ_MAX_DISTANCE:
                        edges.append((cid, ocid))
            deltas: dict[Any, list[Any]] = {}
            roots = self._merge(conn, edges, {}, deltas)
            self._write_totals(conn, deltas)
        return len(roots)

    def _resolve_posts(self, conn: Connection, refs: Sequence[Any]) -> dict[Any, int]:
        out: dict[Any, int] = {}
        by_platform: dict[str, list[str]] = defaultdict(list)
        for ref in refs:
            if isinstance(ref, int) and not isinstance(ref, bool):
                out[ref] = ref
            elif isinstance(ref, tuple | list) and len(ref) == 2:
                by_platform[str(ref[0] or "")].append(str(ref[1]))
        p = posts_t.c
        for plat, ids in by_platform.items():
            for pk, pid in conn.execute(select(p.id, p.post_id).where(p.platform == plat, self._writer.in_list(p.post_id, ids))):
                out[(plat, pid)] = pk
        return out

    # -- reading -------------------------------------------------------------------------------

    def table_bytes(self) -> dict[str, int]:
        """Rows per index table (and bytes where the database can tell)."""
        out: dict[str, int] = {}
        with self.store._read("measure the sources index") as conn:
            for t in (sp_t, bands_t, links_t, clusters_t):
                out[f"{t.name}_rows"] = int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            if self.is_pg:
                for t in (sp_t, bands_t, links_t, clusters_t):
                    out[f"{t.name}_bytes"] = int(conn.exec_driver_sql(f"SELECT pg_total_relation_size('{t.name}')").scalar_one())
            else:
                try:
                    for name, size in conn.exec_driver_sql(
                        "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"
                    ):
                        if name.startswith(("source_", "sqlite_autoindex_source_", "ix_source_")):
                            out[f"{name}_bytes"] = int(size)
                except SQLAlchemyError:  # dbstat is a compile-time option of SQLite
                    out["bytes_unavailable"] = 1
        return out


def _bp(name: str) -> Any:
    from sqlalchemy import bindparam

    return bindparam(name)


def _links_of(raw: Any) -> tuple[tuple[str, ...], str | None]:
    """A stored version's links and `shared_from`, from its raw record."""
    raw = raw if isinstance(raw, dict) else {}
    links = raw.get("links") if isinstance(raw.get("links"), list) else []
    shared = raw.get("shared_from")
    return (
        tuple(str(x) for x in links if isinstance(x, str)),
        str(shared) if isinstance(shared, str | int) and shared != "" else None,
    )


def _text_of(title: str | None, text: str | None) -> str:
    return f"{title}\n{text}" if title and text else (text or title or "")


def _ref_key(ref: Any) -> Any:
    if isinstance(ref, tuple | list) and len(ref) == 2:
        return (str(ref[0] or ""), str(ref[1]))
    return ref


def _pdq_bands(value: int) -> list[int]:
    return [(j << 16) | ((value >> (16 * j)) & 0xFFFF) for j in range(16)]


def _fold_time(d: list[Any], ts: float | None, pk: int) -> None:
    k = earliest_key(ts, pk)
    if d[3] is None or k < d[3]:
        d[3] = k
    if ts is not None and (d[4] is None or ts > d[4]):
        d[4] = ts


def _add_totals(t: list[Any], d: list[Any]) -> None:
    t[0] += d[0]
    t[1] += d[1]
    t[2] += d[2]
    if d[3] is not None and (t[3] is None or d[3] < t[3]):
        t[3] = d[3]
    if d[4] is not None and (t[4] is None or d[4] > t[4]):
        t[4] = d[4]


__all__ = ["DEFAULT_THRESHOLD", "Item", "SourceIndex", "SourcesError", "StoreError", "parse_ts", "reach_of"]
