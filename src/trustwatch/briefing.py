"""The monthly briefing for MCNs and creators, in Vietnamese or English, as one HTML file.

What an authority or platform shares with the creator community each month: what was flagged and
what reviewers confirmed, by category; the fastest-growing groups of flagged posts; wordings that
appeared in confirmed cases for the first time; and the creators recognised for their record.
Charts are SVG embedded as data URIs, so the file needs nothing else (no CDN, no network).

Definitions (also in docs/creators.md):
- *flagged in the period*: posts published in the month (UTC) that the latest scan flagged;
- *confirmed in the period*: reviewed violations decided in the month and not overturned;
- *cluster*: flagged posts of one category sharing an evidence phrase; growth is this month's
  count minus last month's (the dedupe area's near-duplicate clusters can replace this grouping);
- *new wording*: an evidence phrase of a post confirmed this month that no case confirmed before
  the month carried.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import Engine, and_, select

from . import __version__, charts
from .creators.facts import PostFact, iter_post_facts, open_engine
from .creators.lists import recognition, watchlist
from .creators.profile import build_profiles
from .creators.records import StoreCaseSource, ViolationSource
from .errors import TrustwatchError
from .normalize import fold
from .store.schema import FindingRow, PostRow, PostVersionRow

_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Monthly briefing", "for": "for MCNs and creators", "period": "Period",
        "posts": "posts published", "flagged": "flagged by the scan", "confirmed": "confirmed by reviewers",
        "overturned": "overturned on appeal", "by_category": "Flagged and confirmed, by category",
        "category": "category", "clusters": "Fastest-growing clusters", "cluster": "evidence phrase",
        "this_month": "this month", "last_month": "last month", "growth": "growth",
        "wordings": "New wordings in confirmed cases", "wording": "wording", "cases": "confirmed cases",
        "recognised": "Recognised creators", "creator": "creator", "platform": "platform", "score": "score",
        "why": "why", "watchlist": "creators are on the watchlist (repeat confirmed violations).",
        "none": "Nothing to report.", "how": "How to read this",
        "how_text": "Flags are automatic and only point a reviewer at a post; a violation counts once a "
                    "person confirmed it, and stops counting if an appeal overturns it. Scores use "
                    "confirmed violations only.",
        "chart_cat": "{flagged} posts flagged, {confirmed} violations confirmed in {period}",
        "chart_cat_sub": "Per category: flagged by the scan (posts published in the month) and confirmed by reviewers (decided in the month)",
        "chart_cl": "Fastest-growing: “{phrase}” ({category}), {prev} → {now} posts",
        "chart_cl_sub": "Flagged posts sharing an evidence phrase: this month against last month",
        "reason_posts": "{n} posts", "reason_clean": "no confirmed violations",
        "reason_viol": "{n} confirmed violation(s), decayed", "reason_disc": "disclosed {d} of {s} sponsored posts",
        "reason_anom": "check first: engagement anomalies on {n} post(s)",
        "generated": "Generated", "no_cases": "This database has no review records yet: nothing is confirmed.",
    },
    "vi": {
        "title": "Bản tin tháng", "for": "dành cho MCN và nhà sáng tạo nội dung", "period": "Kỳ",
        "posts": "bài đăng trong kỳ", "flagged": "bị hệ thống gắn cờ", "confirmed": "được người duyệt xác nhận vi phạm",
        "overturned": "bị đảo ngược khi khiếu nại", "by_category": "Gắn cờ và xác nhận theo hạng mục",
        "category": "hạng mục", "clusters": "Nhóm nội dung tăng nhanh nhất", "cluster": "cụm từ bằng chứng",
        "this_month": "tháng này", "last_month": "tháng trước", "growth": "tăng",
        "wordings": "Cách diễn đạt mới trong các vụ đã xác nhận", "wording": "cách diễn đạt", "cases": "vụ đã xác nhận",
        "recognised": "Nhà sáng tạo được ghi nhận", "creator": "nhà sáng tạo", "platform": "nền tảng", "score": "điểm",
        "why": "lý do", "watchlist": "nhà sáng tạo đang trong danh sách theo dõi (vi phạm được xác nhận nhiều lần).",
        "none": "Không có gì để báo cáo.", "how": "Cách đọc bản tin",
        "how_text": "Gắn cờ là tự động và chỉ đưa bài đến người duyệt; một vi phạm chỉ được tính khi có người "
                    "xác nhận, và không còn được tính nếu bị đảo ngược khi khiếu nại. Điểm uy tín chỉ dùng "
                    "các vi phạm đã được xác nhận.",
        "chart_cat": "{flagged} bài bị gắn cờ, {confirmed} vi phạm được xác nhận trong {period}",
        "chart_cat_sub": "Theo hạng mục: hệ thống gắn cờ (bài đăng trong tháng) và người duyệt xác nhận (quyết định trong tháng)",
        "chart_cl": "Tăng nhanh nhất: “{phrase}” ({category}), {prev} → {now} bài",
        "chart_cl_sub": "Các bài bị gắn cờ có chung cụm từ bằng chứng: tháng này so với tháng trước",
        "reason_posts": "{n} bài đăng", "reason_clean": "không có vi phạm nào được xác nhận",
        "reason_viol": "{n} vi phạm đã xác nhận (giảm dần theo thời gian)",
        "reason_disc": "đã ghi rõ quảng cáo ở {d}/{s} bài được tài trợ",
        "reason_anom": "cần kiểm tra trước: tương tác bất thường ở {n} bài",
        "generated": "Tạo lúc", "no_cases": "Cơ sở dữ liệu chưa có hồ sơ duyệt: chưa có vi phạm nào được xác nhận.",
    },
}


@dataclass(frozen=True, slots=True)
class Period:
    start: datetime
    end: datetime  # first instant after the month
    label: str

    @classmethod
    def parse(cls, text: str) -> Period:
        m = _PERIOD.match(text.strip())
        if not m:
            raise TrustwatchError(f"The period {text!r} is not a month.", "Write it as YYYY-MM, e.g. --period 2026-10.")
        y, mo = int(m[1]), int(m[2])
        start = datetime(y, mo, 1, tzinfo=UTC)
        end = datetime(y + (mo == 12), mo % 12 + 1, 1, tzinfo=UTC)
        return cls(start, end, f"{y:04d}-{mo:02d}")

    def previous(self) -> Period:
        y, mo = self.start.year, self.start.month
        return Period.parse(f"{y - (mo == 1):04d}-{(mo - 2) % 12 + 1:02d}")

    def __contains__(self, when: datetime | None) -> bool:
        return when is not None and self.start <= when < self.end


def _evidence(engine: Engine) -> tuple[dict[tuple[str, str], set[tuple[str, str]]], dict[str, str]]:
    """(platform, post_id) -> {(category, folded phrase)} of the post's current version, and each
    folded phrase's most common written form (so the briefing shows "xem bói", not "xem boi").

    Only lexicon terms of two words or more: single words ("link", "inbox") and patterns (prices,
    phone numbers) are everywhere and say nothing about what is spreading."""
    f, pv, p = FindingRow.__table__, PostVersionRow.__table__, PostRow.__table__
    stmt = (
        select(p.c.platform, p.c.post_id, f.c.category, f.c.excerpt)
        .select_from(f)
        .join(pv, pv.c.id == f.c.post_version_pk)
        .join(p, and_(p.c.id == pv.c.post_pk, p.c.version == pv.c.version))
        .where(f.c.signal == "lexicon")
    )
    out: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    written: dict[str, Counter[str]] = defaultdict(Counter)
    with engine.connect() as conn:
        for platform, post_id, category, excerpt in conn.execute(stmt):
            phrase = fold(excerpt or "", teencode=False)
            if len(phrase.split()) >= 2:
                out[(platform or "", post_id)].add((category, phrase))
                written[phrase][" ".join((excerpt or "").lower().split())] += 1
    return out, {k: c.most_common(1)[0][0] for k, c in written.items()}


def briefing_data(
    db: str, period: str, top: int = 5, source: ViolationSource | None = None, as_of: datetime | None = None,
) -> dict[str, Any]:
    """Every figure of the briefing as plain data (what the HTML shows; the web UI can render it)."""
    month = Period.parse(period)
    prev = month.previous()
    engine = open_engine(db)
    try:
        src = source if source is not None else StoreCaseSource(engine)
        facts = list(iter_post_facts(engine, with_flags=True))
        evidence, written = _evidence(engine)
        violations = src.violations()
        as_of = as_of or min(month.end, datetime.now(UTC))
        profiles = build_profiles(facts, src, as_of)
    finally:
        engine.dispose()

    in_month = [p for p in facts if p.created_at in month]
    flagged = Counter(c for p in in_month for c in p.flagged)
    decided = [v for v in violations if v.decided_at in month]
    confirmed = Counter(v.category for v in decided if not v.overturned)
    overturned = sum(1 for v in violations if v.overturned and v.decided_at in month)
    categories = sorted(set(flagged) | set(confirmed))

    def cluster_counts(posts: list[PostFact]) -> Counter[tuple[str, str]]:
        c: Counter[tuple[str, str]] = Counter()
        for p in posts:
            keys = {(cat, ph) for cat, ph in evidence.get((p.platform, p.post_id), ()) if cat in p.flagged}
            c.update(keys)
        return c

    now_c = cluster_counts(in_month)
    prev_c = cluster_counts([p for p in facts if p.created_at in prev])
    clusters = sorted(
        ({"category": k[0], "phrase": written.get(k[1], k[1]), "this_month": n, "last_month": prev_c.get(k, 0),
          "growth": n - prev_c.get(k, 0)} for k, n in now_c.items() if n - prev_c.get(k, 0) > 0),
        key=lambda r: (-r["growth"], -r["this_month"], r["category"], r["phrase"]),
    )[:top * 2]

    def phrases(vs: list) -> Counter[tuple[str, str]]:
        c: Counter[tuple[str, str]] = Counter()
        for v in vs:
            if v.post_id:
                c.update({(cat, ph) for cat, ph in evidence.get((v.platform, v.post_id), ()) if cat == v.category})
        return c

    counted = [v for v in violations if not v.overturned]
    before = phrases([v for v in counted if v.decided_at < month.start])
    this = phrases([v for v in counted if v.decided_at in month])
    wordings = sorted(
        ({"category": k[0], "wording": written.get(k[1], k[1]), "cases": n} for k, n in this.items() if k not in before),
        key=lambda r: (-r["cases"], r["category"], r["wording"]),
    )[: top * 2]

    recognised = recognition(profiles, as_of, top)
    return {
        "period": month.label,
        "as_of": as_of.isoformat(),
        "cases_available": src.available,
        "totals": {"posts": len(in_month), "flagged": sum(1 for p in in_month if p.flagged),
                   "confirmed": sum(confirmed.values()), "overturned": overturned},
        "by_category": [{"category": c, "flagged": flagged.get(c, 0), "confirmed": confirmed.get(c, 0)}
                        for c in categories],
        "clusters": clusters,
        "new_wordings": wordings,
        "recognised": [
            {"rank": r.rank, "creator_id": r.profile.creator_id, "platform": r.profile.platform,
             "name": r.profile.name, "mcn": r.profile.mcn, "score": r.profile.score.score, "reasons": list(r.reasons),
             "posts": r.profile.posts, "violations": len(r.profile.counted),
             "disclosed": r.profile.disclosure()["disclosed"], "sponsored": r.profile.disclosure()["sponsored_posts"],
             "anomaly_posts": len({a.post_id for a in r.profile.anomalies})}
            for r in recognised.get("all", [])
        ],
        "watchlist_count": len(watchlist(profiles, as_of)),
    }


def _category_chart(data: dict[str, Any], t: dict[str, str]) -> Any:
    rows = data["by_category"]
    if not rows:
        return None
    fig, ax = charts.new_figure(9, 1.4 + 0.6 * len(rows))
    charts.title(fig, t["chart_cat"].format(flagged=data["totals"]["flagged"], confirmed=data["totals"]["confirmed"],
                                            period=data["period"]), t["chart_cat_sub"], ax)
    y = list(range(len(rows)))[::-1]
    h = 0.38
    ax.barh([v + h / 2 for v in y], [r["flagged"] for r in rows], height=h, color=charts.PALETTE[0], label=t["flagged"])
    ax.barh([v - h / 2 for v in y], [r["confirmed"] for r in rows], height=h, color=charts.ACCENT, label=t["confirmed"])
    for yi, r in zip(y, rows, strict=True):
        ax.text(r["flagged"], yi + h / 2, f" {r['flagged']}", va="center", fontsize=8.5, color=charts.INK)
        ax.text(r["confirmed"], yi - h / 2, f" {r['confirmed']}", va="center", fontsize=8.5, color=charts.INK)
    ax.set_yticks(y, [r["category"] for r in rows])
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color=charts.GRID)
    ax.set_xlim(0, max(max(r["flagged"], r["confirmed"]) for r in rows) * 1.12 + 1)
    ax.xaxis.set_major_locator(charts.MaxNLocator(integer=True, nbins=6))
    ax.legend(frameon=False, fontsize=8.5, loc="upper center", bbox_to_anchor=(0.5, -0.06), ncols=2)
    return fig


def _cluster_chart(data: dict[str, Any], t: dict[str, str]) -> Any:
    rows = data["clusters"]
    if not rows:
        return None
    best = rows[0]
    fig, ax = charts.new_figure(9, 1.3 + 0.45 * len(rows))
    charts.title(fig, t["chart_cl"].format(phrase=charts.shorten(best["phrase"], 30), category=best["category"],
                                           prev=best["last_month"], now=best["this_month"]), t["chart_cl_sub"], ax)
    charts.hbars(ax, [f"{r['phrase']} · {r['category']}" for r in rows], [r["growth"] for r in rows],
                 [f"+{r['growth']}  ({r['last_month']} → {r['this_month']})" for r in rows], label_chars=40,
                 show_value=False)
    ax.xaxis.set_major_locator(charts.MaxNLocator(integer=True, nbins=5))
    return fig


def write_briefing(
    db: str, period: str, out: str, lang: str = "vi", top: int = 5, source: ViolationSource | None = None,
) -> str:
    """Write the briefing for `period` (YYYY-MM) as one self-contained HTML file; returns its path."""
    if lang not in LABELS:
        raise TrustwatchError(f"The briefing language {lang!r} is not supported.", "Use --lang vi or --lang en.")
    data = briefing_data(db, period, top, source)
    t = LABELS[lang]
    figures = {"categories": _category_chart(data, t), "clusters": _cluster_chart(data, t)}
    images = {k: charts.data_uri(f, "svg") for k, f in figures.items() if f is not None}
    env = Environment(loader=PackageLoader("trustwatch", "templates"), autoescape=select_autoescape(["html"]))
    html = env.get_template("briefing.html").render(
        t=t, lang=lang, d=data, images=images, version=__version__,
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
    path = Path(out)
    if path.parent and not path.parent.is_dir():
        raise TrustwatchError(f"The folder {str(path.parent)!r} for the briefing does not exist.", f"Create it first (mkdir -p {path.parent}).")
    path.write_text(html, encoding="utf-8")
    return str(path)
