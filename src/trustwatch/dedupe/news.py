"""News to social: posts that link to a news article, or repeat its text, grouped under it.

Articles come from two places:
- a link in a post whose host is a news site (`NEWS_DOMAINS`, or the `domains:` list of an
  articles file) makes an article of that normalized URL (``origin = link``), with no text;
- an articles file (`add_articles`: CSV with columns url,title,text,published_at, or YAML/JSON
  with a list under ``articles:``) adds articles with their text (``origin = file``).

A post belongs to an article when it shares its normalized link (``how = link``), or when at least
`CONTAINMENT` of the post's shingles occur in the article's text and the post has at least
`MIN_SHINGLES` of them (``how = text``: quoting or paraphrasing the article, with commentary
allowed). Containment rather than Jaccard, because a post quotes a sentence of a long article.
Text matching is done when a post is indexed (against the articles known then) and when articles
are added (against every indexed post, read page by page).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson
import yaml
from sqlalchemy import Connection, Float, String, delete, func, insert, literal, select

from .minhash import shingle_sets
from .urls import normalize_url, url_host, url_key

if TYPE_CHECKING:
    from .index import Item, SourceIndex

CONTAINMENT = 0.6
MIN_SHINGLES = 5
NEWS_DOMAINS = frozenset({
    # Vietnamese
    "vnexpress.net", "tuoitre.vn", "thanhnien.vn", "dantri.com.vn", "vietnamnet.vn", "znews.vn",
    "zingnews.vn", "vtv.vn", "vov.vn", "nld.com.vn", "laodong.vn", "baomoi.com", "cafef.vn",
    "vietnamplus.vn", "nhandan.vn", "tienphong.vn", "kenh14.vn", "24h.com.vn", "vtc.vn",
    "congan.com.vn", "cand.com.vn", "plo.vn", "sggp.org.vn", "qdnd.vn", "baochinhphu.vn",
    # English
    "reuters.com", "apnews.com", "bbc.com", "bbc.co.uk", "nytimes.com", "theguardian.com",
    "washingtonpost.com", "cnn.com", "bloomberg.com", "aljazeera.com", "npr.org", "ft.com",
    "wsj.com", "scmp.com", "straitstimes.com", "channelnewsasia.com", "e.vnexpress.net",
})


def is_news(normalized: str, extra: frozenset[str] = frozenset()) -> bool:
    host = url_host(normalized).split(":")[0]
    domains = NEWS_DOMAINS | extra
    return any(host == d or host.endswith("." + d) for d in domains)


class _ArticleText:
    """Inverted index of the text articles' shingles, cached per index until articles change."""

    def __init__(self, rows: Sequence[tuple[int, bytes | None]]) -> None:
        self.by_shingle: dict[int, list[int]] = defaultdict(list)
        for aid, blob in rows:
            for s in np.frombuffer(blob or b"", dtype="<u4").tolist():
                self.by_shingle[s].append(aid)

    def match(self, shingles: np.ndarray) -> list[tuple[int, float]]:
        n = len(shingles)
        if n < MIN_SHINGLES or not self.by_shingle:
            return []
        counts: dict[int, int] = defaultdict(int)
        get = self.by_shingle.get
        for s in shingles.tolist():
            for aid in get(s, ()):
                counts[aid] += 1
        return [(aid, round(c / n, 4)) for aid, c in counts.items() if c / n >= CONTAINMENT]


def _articles_t() -> Any:
    from .index import article_posts_t, articles_t

    return articles_t, article_posts_t


def _text_index(index: SourceIndex, conn: Connection) -> _ArticleText:
    cached = getattr(index, "_article_text", None)
    if cached is None:
        a, _ = _articles_t()
        rows = conn.execute(select(a.c.id, a.c.shingles).where(a.c.shingles.is_not(None))).all()
        cached = _ArticleText(rows)
        index._article_text = cached  # type: ignore[attr-defined]
    return cached


def _domains(index: SourceIndex, conn: Connection) -> frozenset[str]:
    cached = getattr(index, "_news_domains", None)
    if cached is None:
        from .index import meta_t

        value = conn.execute(select(meta_t.c.value).where(meta_t.c.key == "news_domains")).scalar_one_or_none()
        cached = frozenset((value or {}).get("domains", []))
        index._news_domains = cached  # type: ignore[attr-defined]
    return cached


def save_domains(index: SourceIndex, domains: frozenset[str]) -> None:
    """Remember more news sites (from an articles file's `domains:`) for links seen from now on."""
    from .index import meta_t

    with index.store._read("read news domains") as conn:
        merged = sorted(_domains(index, conn) | domains)
    with index.store._write("save news domains") as conn:
        conn.execute(delete(meta_t).where(meta_t.c.key == "news_domains"))
        conn.execute(insert(meta_t), {"key": "news_domains", "value": {"domains": merged}})
    index._news_domains = frozenset(merged)  # type: ignore[attr-defined]


def link_items(index: SourceIndex, conn: Connection, items: Sequence[Item], link_rows: Sequence[dict[str, Any]]) -> int:
    """Attach newly indexed posts to articles (called inside the indexing transaction)."""
    a, ap = _articles_t()
    pairs: dict[tuple[int, int], tuple[str, float]] = {}
    extra = _domains(index, conn)
    if link_rows:
        keys = sorted({r["url_key"] for r in link_rows})
        known = dict(conn.execute(select(a.c.url_key, a.c.id).where(index._writer.in_list(a.c.url_key, keys))).all())
        new = {}
        for r in link_rows:
            if r["url_key"] not in known and r["url_key"] not in new and is_news(r["url"], extra):
                new[r["url_key"]] = r["url"]
        if new:
            ids = index._writer.allocate_ids(conn, a, len(new))
            conn.execute(insert(a), [
                {"id": i, "url_key": k, "url": u, "title": None, "text": None, "published_at": None,
                 "origin": "link", "shingles": None}
                for i, (k, u) in zip(ids, new.items(), strict=True)
            ])
            known |= dict(zip(new, ids, strict=True))
        for r in link_rows:
            aid = known.get(r["url_key"])
            if aid is not None:
                pairs[(aid, r["post_pk"])] = ("link", 1.0)
    text_index = _text_index(index, conn)
    if text_index.by_shingle and items:
        values, offsets = shingle_sets([it.text for it in items])
        for i, it in enumerate(items):
            for aid, score in text_index.match(values[offsets[i] : offsets[i + 1]]):
                pairs.setdefault((aid, it.pk), ("text", score))
    if pairs:
        conn.execute(delete(ap).where(index._writer.in_list(ap.c.post_pk, sorted({p for _, p in pairs}))))
        conn.execute(insert(ap), [
            {"article_id": aid, "post_pk": pk, "how": how, "score": score}
            for (aid, pk), (how, score) in pairs.items()
        ])
    return len(pairs)


def read_articles(path: str) -> tuple[list[dict[str, Any]], frozenset[str]]:
    """Articles (url, title, text, published_at) and extra news domains from a CSV/YAML/JSON file."""
    from .index import SourcesError

    p = Path(path)
    if not p.is_file():
        raise SourcesError(f"The articles file {path!r} does not exist.", "Pass a CSV (url,title,text,published_at) or YAML file.")
    domains: list[str] = []
    try:
        if p.suffix.lower() in (".csv", ".tsv"):
            with open(p, newline="", encoding="utf-8") as f:
                rows = list(csv.DictReader(f, delimiter="\t" if p.suffix.lower() == ".tsv" else ","))
        else:
            data = yaml.safe_load(p.read_text(encoding="utf-8")) if p.suffix.lower() in (".yaml", ".yml") else orjson.loads(p.read_bytes())
            if isinstance(data, dict):
                domains = [str(d).lower() for d in data.get("domains") or []]
                data = data.get("articles") or []
            if not isinstance(data, list):
                raise ValueError("expected a list of articles (or a mapping with `articles:`)")
            rows = data
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError, orjson.JSONDecodeError, csv.Error) as exc:
        raise SourcesError(f"The articles file {path!r} cannot be read ({exc}).",
                           "Write a CSV with a header url,title,text,published_at or YAML `articles: [{url: …, text: …}]`.") from None
    out = []
    for n, row in enumerate(rows, 1):
        url = normalize_url(str(row.get("url") or "")) if isinstance(row, dict) else None
        if url is None:
            raise SourcesError(f"Article {n} of {path!r} has no valid `url`.", "Give every article its web address.")
        out.append({"url": url, "title": row.get("title") or None, "text": row.get("text") or None,
                    "published_at": str(row["published_at"]) if row.get("published_at") else None})
    return out, frozenset(domains)


def add_articles(index: SourceIndex, path: str) -> dict[str, int]:
    """Add (or update) articles from a file and attach every indexed post that links or repeats them."""
    articles, domains = read_articles(path)
    a, _ap = _articles_t()
    if domains:
        save_domains(index, domains)
    texts = [(x["title"] + "\n" if x["title"] else "") + (x["text"] or "") for x in articles]
    values, offsets = shingle_sets(texts)
    with index.store._write(f"add {len(articles)} articles") as conn:
        keys = [url_key(x["url"]) for x in articles]
        known = dict(conn.execute(select(a.c.url_key, a.c.id).where(index._writer.in_list(a.c.url_key, keys))).all())
        fresh = [k for k in dict.fromkeys(keys) if k not in known]
        ids = iter(index._writer.allocate_ids(conn, a, len(fresh))) if fresh else iter(())
        for i, (x, k) in enumerate(zip(articles, keys, strict=True)):
            blob = values[offsets[i] : offsets[i + 1]].astype("<u4").tobytes() if x["text"] else None
            fields = {"url": x["url"], "title": x["title"], "text": x["text"],
                      "published_at": x["published_at"], "origin": "file", "shingles": blob}
            if k in known:
                conn.execute(a.update().where(a.c.id == known[k]).values(**fields))
            else:
                known[k] = next(ids)
                conn.execute(insert(a), [{"id": known[k], "url_key": k, **fields}])
    index._article_text = None  # type: ignore[attr-defined]
    return relink_articles(index)


def relink_articles(index: SourceIndex, page: int = 5000) -> dict[str, int]:
    """Recompute which indexed posts belong to which article (links, then repeated text)."""
    from .index import links_t, sp_t

    a, ap = _articles_t()
    index._article_text = None  # type: ignore[attr-defined]
    with index.store._write("relink articles") as conn:
        conn.execute(delete(ap))
        conn.execute(
            insert(ap).from_select(
                ["article_id", "post_pk", "how", "score"],
                select(a.c.id, links_t.c.post_pk, literal("link", String), literal(1.0, Float))
                .join(links_t, links_t.c.url_key == a.c.url_key),
            )
        )
        text_index = _text_index(index, conn)
    linked = 0
    if text_index.by_shingle:
        last = 0
        while True:
            with index.store._read("read indexed posts") as conn:
                rows = conn.execute(
                    select(sp_t.c.post_pk, sp_t.c.shingles).where(sp_t.c.post_pk > last).order_by(sp_t.c.post_pk).limit(page)
                ).all()
            if not rows:
                break
            found = []
            for pk, blob in rows:
                for aid, score in text_index.match(np.frombuffer(blob or b"", dtype="<u4")):
                    found.append({"article_id": aid, "post_pk": pk, "how": "text", "score": score})
            if found:
                with index.store._write("link posts to articles") as conn:
                    have = set(conn.execute(select(ap.c.article_id, ap.c.post_pk).where(
                        index._writer.in_list(ap.c.post_pk, sorted({f["post_pk"] for f in found})))).all())
                    new = [f for f in found if (f["article_id"], f["post_pk"]) not in have]
                    if new:
                        conn.execute(insert(ap), new)
                    linked += len(new)
            last = rows[-1][0]
    with index.store._read("count article posts") as conn:
        total = int(conn.execute(select(func.count()).select_from(ap)).scalar_one())
        n_articles = int(conn.execute(select(func.count()).select_from(a)).scalar_one())
    return {"articles": n_articles, "posts_linked": total, "by_text": linked}


def article_report(index: SourceIndex, top: int = 20) -> list[dict[str, Any]]:
    """Amplification of each article: posts, accounts, platforms, counters, and their growth by day."""
    from datetime import UTC, datetime

    from ..store.schema import AuthorRow, PostRow
    from .index import sp_t

    a, ap = _articles_t()
    p = PostRow.__table__.c
    au = AuthorRow.__table__.c
    with index.store._read("rank articles") as conn:
        ranked = conn.execute(
            select(a.c.id, a.c.url, a.c.title, a.c.published_at, a.c.origin, func.count(ap.c.post_pk).label("n"))
            .join(ap, ap.c.article_id == a.c.id)
            .group_by(a.c.id, a.c.url, a.c.title, a.c.published_at, a.c.origin)
            .order_by(func.count(ap.c.post_pk).desc(), a.c.id)
            .limit(top)
        ).all()
        out = []
        for aid, url, title, published, origin, _n in ranked:
            rows = conn.execute(
                select(ap.c.how, ap.c.score, p.post_id, p.platform, p.metrics, au.author_id, sp_t.c.created_ts)
                .join(PostRow.__table__, p.id == ap.c.post_pk)
                .join(sp_t, sp_t.c.post_pk == ap.c.post_pk)
                .outerjoin(AuthorRow.__table__, au.id == p.author_pk)
                .where(ap.c.article_id == aid)
            ).all()
            totals: dict[str, int] = defaultdict(int)
            by_day: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
            for _how, _score, _pid, _plat, metrics, _acct, ts in rows:
                day = datetime.fromtimestamp(ts, UTC).date().isoformat() if ts is not None else "unknown"
                by_day[day]["posts"] += 1
                for k, v in (metrics or {}).items():
                    if isinstance(v, int | float) and not isinstance(v, bool):
                        totals[k] += int(v)
                        by_day[day][k] += int(v)
            timeline, running = [], defaultdict(int)
            for day in sorted(by_day):
                for k, v in by_day[day].items():
                    running[k] += v
                timeline.append({"date": day, **dict(by_day[day]), "totals": dict(running)})
            out.append({
                "article_id": aid, "url": url, "title": title, "published_at": published, "origin": origin,
                "posts": len(rows), "by_link": sum(1 for r in rows if r[0] == "link"),
                "by_text": sum(1 for r in rows if r[0] == "text"),
                "accounts": len({(r[3], r[5]) for r in rows if r[5] is not None}),
                "platforms": sorted({r[3] for r in rows if r[3]}),
                "metrics": dict(sorted(totals.items())),
                "timeline": timeline,
                "post_ids": [r[2] for r in rows],
            })
    return out
