"""Stored posts as the flat facts creators and campaigns are computed from.

One read of posts, their authors and their current version's record, turned into `PostFact`
values. Metrics are the latest counters the scans saw; a metric a post never carried stays None
(not 0), so averages and anomaly statistics skip it instead of being dragged down by it.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, func, select

from ..store.engine import check_connection, make_engine, migrate, resolve_url
from ..store.schema import AuthorRow, PostRow, PostVersionRow, ScanResultRow
from .records import as_utc

METRICS = ("views", "likes", "comments", "shares")

# A post that says it is an ad (the same disclosures the undisclosed_ad pack accepts, kept short).
DISCLOSURE_TAGS = frozenset(
    {
        "ad", "ads", "advert", "advertisement", "sponsored", "sponsor", "spon", "quangcao", "qc",
        "hoptac", "partner", "partnership", "paidpartnership", "collab", "gifted", "pr",
        "affiliate", "affiliatelink", "taitro",
    }
)
def _plain_table() -> dict[int, str]:
    table = {}
    for cp in range(0xC0, 0x2000):
        ch = chr(cp)
        base = unicodedata.normalize("NFD", ch)[0]
        if base != ch and base.isascii():
            table[cp] = base.lower()
    table[ord("đ")] = table[ord("Đ")] = "d"
    return table


_PLAIN = _plain_table()


def plain(text: str) -> str:
    """Lowercase without diacritics (Vietnamese tones and marks, đ → d), in one C-speed pass.

    Disclosures, hashtags and campaign keywords are written plainly by people who want to be
    found, so this skips the evasion-aware folding the policy lexicons need (about twice as fast)."""
    return " ".join(text.lower().translate(_PLAIN).split())


DISCLOSURE_PHRASES = tuple(
    plain(p)
    for p in (
        "được tài trợ", "tài trợ bởi", "bài viết quảng cáo", "nội dung quảng cáo", "hợp tác với",
        "hợp tác cùng", "có trả phí", "nhãn hàng gửi tặng", "tiếp thị liên kết", "paid partnership",
        "paid promotion", "sponsored by", "in partnership with", "partnered with", "gifted by",
        "affiliate disclosure", "earn a commission",
    )
)
_HASHTAG_IN_TEXT = re.compile(r"(?<![\w#])#(\w+)")


def tag_key(tag: str) -> str:
    """A hashtag compared without '#', case, diacritics or separators: #QuảngCáo == quangcao."""
    return re.sub(r"[\s_\-.]", "", plain(tag.lstrip("#")))


@dataclass(frozen=True, slots=True)
class PostFact:
    platform: str
    post_id: str
    author_id: str | None
    author_name: str | None
    followers: int | None
    mcn: str | None
    created_at: datetime | None
    url: str | None
    text: str
    hashtags: tuple[str, ...]
    links: tuple[str, ...]
    shared_from: str | None
    metrics: dict[str, int | None]
    content_category: str | None
    flagged: tuple[str, ...] = ()  # categories the latest scan flagged (never used by the score)

    @property
    def creator_key(self) -> tuple[str, str] | None:
        return (self.platform, self.author_id) if self.author_id else None

    def metric(self, name: str) -> int | None:
        return self.metrics.get(name)

    @property
    def tag_keys(self) -> frozenset[str]:
        tags = list(self.hashtags) + _HASHTAG_IN_TEXT.findall(self.text or "")
        return frozenset(tag_key(t) for t in tags if t and t.strip("#"))

    @property
    def discloses_ad(self) -> bool:
        if self.tag_keys & DISCLOSURE_TAGS:
            return True
        folded = plain(self.text or "")
        return any(p in folded for p in DISCLOSURE_PHRASES)


def open_engine(db: str) -> Engine:
    """An engine on a trustwatch database (path or URL), migrated like `Store.open` does."""
    engine = make_engine(resolve_url(db))
    try:
        check_connection(engine)
        migrate(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine


def _int_or_none(v: Any) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v if v >= 0 else None
    if isinstance(v, float) and math.isfinite(v) and v >= 0:
        return int(v)
    if isinstance(v, str) and v.strip().isdigit():
        return int(v.strip())
    return None


def _strings(v: Any) -> tuple[str, ...]:
    if isinstance(v, str):
        return tuple(s for s in re.split(r"[\s,|]+", v) if s)
    if isinstance(v, list | tuple):
        return tuple(str(s) for s in v if isinstance(s, str | int) and str(s).strip())
    return ()


def _category(raw: dict[str, Any]) -> str | None:
    author = raw.get("author") if isinstance(raw.get("author"), dict) else {}
    for v in (raw.get("content_category"), author.get("category"), raw.get("category")):
        if isinstance(v, str) and v.strip():
            return v.strip().lower()
    return None


def iter_post_facts(
    engine: Engine, author: tuple[str, str] | None = None, with_flags: bool = False
) -> Iterator[PostFact]:
    """Every stored post (or one creator's) as a PostFact, in storage order."""
    p, a, pv = PostRow.__table__, AuthorRow.__table__, PostVersionRow.__table__
    cols = [
        p.c.id, p.c.platform, p.c.post_id, p.c.created_at, p.c.url, p.c.metrics, a.c.author_id,
        a.c.name, a.c.followers, a.c.mcn, pv.c.id.label("pv_pk"), pv.c.text, pv.c.raw,
    ]
    stmt = (
        select(*cols)
        .select_from(p)
        .join(pv, and_(pv.c.post_pk == p.c.id, pv.c.version == p.c.version))
        .outerjoin(a, a.c.id == p.c.author_pk)
        .order_by(p.c.id)
    )
    if author is not None:
        stmt = stmt.where(a.c.platform == author[0], a.c.author_id == author[1])
    last_id = 0
    while True:
        with engine.connect() as conn:
            rows = conn.execute(stmt.where(p.c.id > last_id).limit(5000)).mappings().all()
            flags = _latest_flags(conn, [r["pv_pk"] for r in rows]) if with_flags and rows else {}
        for r in rows:
            yield _fact(r, flags.get(r["pv_pk"], ()))
        if len(rows) < 5000:
            return
        last_id = rows[-1]["id"]


def _latest_flags(conn: Any, version_pks: list[int]) -> dict[int, tuple[str, ...]]:
    sr = ScanResultRow.__table__
    latest = (
        select(func.max(sr.c.id).label("id"))
        .where(sr.c.post_version_pk.in_(version_pks))
        .group_by(sr.c.post_version_pk)
        .subquery()
    )
    out: dict[int, tuple[str, ...]] = {}
    for pk, cats in conn.execute(
        select(sr.c.post_version_pk, sr.c.categories).join(latest, latest.c.id == sr.c.id)
    ):
        out[pk] = tuple(sorted(c for c, hit in (cats or {}).items() if hit))
    return out


def _fact(r: Any, flagged: tuple[str, ...]) -> PostFact:
    raw = r["raw"] if isinstance(r["raw"], dict) else {}
    metrics_in = r["metrics"] if isinstance(r["metrics"], dict) else {}
    shared = raw.get("shared_from")
    return PostFact(
        platform=r["platform"] or "",
        post_id=r["post_id"],
        author_id=r["author_id"],
        author_name=r["name"],
        followers=_int_or_none(r["followers"]),
        mcn=(r["mcn"] or None),
        created_at=as_utc(r["created_at"]),
        url=r["url"],
        text=r["text"] or "",
        hashtags=_strings(raw.get("hashtags")),
        links=_strings(raw.get("links")),
        shared_from=shared if isinstance(shared, str) else None,
        metrics={m: _int_or_none(metrics_in.get(m)) for m in METRICS},
        content_category=_category(raw),
        flagged=flagged,
    )
