"""Campaign reach: who carried a campaign, where, how far, and how far its seed articles travelled.

`campaign_report()` computes the figures as plain data (for the CLI, the web UI and tests);
`write_campaign_report()` writes them as CSV files and charts (PNG or SVG) into a folder. Reach
counts each post once with its latest metrics; a post with no views counts as a post with 0 views.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from .. import charts
from ..creators.facts import METRICS, PostFact, iter_post_facts, open_engine
from .spec import Campaign

TOP_CONTRIBUTORS = 10


@dataclass(frozen=True, slots=True)
class CampaignPost:
    post: PostFact
    why: tuple[str, ...]
    day: date  # in the campaign's timezone
    articles: tuple[str, ...]


def _sums(posts: Iterable[PostFact]) -> dict[str, int]:
    s = dict.fromkeys(METRICS, 0)
    for p in posts:
        for m in METRICS:
            s[m] += p.metric(m) or 0
    return s


def matched_posts(campaign: Campaign, posts: Iterable[PostFact]) -> list[CampaignPost]:
    out = []
    for p in posts:
        why = campaign.match(p)
        if why:
            day = p.created_at.astimezone(campaign.tz).date()  # type: ignore[union-attr]
            out.append(CampaignPost(p, why, day, tuple(campaign.articles_of(p))))
    out.sort(key=lambda c: (c.post.created_at, c.post.platform, c.post.post_id))
    return out


def campaign_report(campaign: Campaign, posts: Iterable[PostFact], top: int = TOP_CONTRIBUTORS) -> dict[str, Any]:
    """Every figure of a campaign report as plain data (JSON-ready)."""
    matched = matched_posts(campaign, posts)
    facts = [c.post for c in matched]
    # Reach over time: every day of the window that has begun, zeros included, so gaps show.
    first = campaign.start.astimezone(campaign.tz).date()
    last = (campaign.end - timedelta(microseconds=1)).astimezone(campaign.tz).date()
    if matched:
        last = min(last, max(c.day for c in matched))
    by_day: dict[date, list[CampaignPost]] = defaultdict(list)
    for c in matched:
        by_day[c.day].append(c)
    daily, seen, cum_views, cum_posts = [], set(), 0, 0
    d = first
    while d <= last and matched:
        todays = by_day.get(d, [])
        creators = {c.post.creator_key for c in todays if c.post.creator_key}
        new = creators - seen
        seen |= creators
        s = _sums(c.post for c in todays)
        cum_views += s["views"]
        cum_posts += len(todays)
        daily.append({"date": d.isoformat(), "posts": len(todays), "creators": len(creators),
                      "new_creators": len(new), **s, "cumulative_posts": cum_posts,
                      "cumulative_views": cum_views})
        d += timedelta(days=1)

    by_creator: dict[tuple[str, str], list[PostFact]] = defaultdict(list)
    for p in facts:
        if p.creator_key:
            by_creator[p.creator_key].append(p)
    contributors = []
    for (platform, author), ps in by_creator.items():
        s = _sums(ps)
        contributors.append({"platform": platform, "creator_id": author, "name": ps[-1].author_name,
                             "mcn": next((p.mcn for p in ps if p.mcn), None), "posts": len(ps), **s})
    contributors.sort(key=lambda c: (-c["views"], -c["posts"], c["platform"], c["creator_id"]))
    for i, c in enumerate(contributors, 1):
        c["rank"] = i

    by_platform: dict[str, list[PostFact]] = defaultdict(list)
    for p in facts:
        by_platform[p.platform or "(unknown)"].append(p)
    platforms = sorted(
        ({"platform": k, "posts": len(v), "creators": len({p.creator_key for p in v if p.creator_key}), **_sums(v)}
         for k, v in by_platform.items()),
        key=lambda r: (-r["views"], -r["posts"], r["platform"]),
    )

    articles = []
    for url in campaign.spec.seed_urls:
        ps = [c for c in matched if url in c.articles]
        dates = [c.post.created_at for c in ps if c.post.created_at]
        articles.append({
            "url": url, "posts": len(ps),
            "creators": len({c.post.creator_key for c in ps if c.post.creator_key}),
            "platforms": len({c.post.platform for c in ps}), **_sums(c.post for c in ps),
            "first_seen": min(dates).isoformat() if dates else None,
            "last_seen": max(dates).isoformat() if dates else None,
        })

    matched_by = {"hashtag": 0, "keyword": 0, "article": 0}
    for c in matched:
        for kind in {w.split(":", 1)[0] for w in c.why}:
            matched_by[kind] += 1
    totals = {"posts": len(matched), "creators": len(by_creator), "platforms": len(by_platform), **_sums(facts)}
    return {
        "id": campaign.id, "name": campaign.name, "description": campaign.spec.description,
        "window": {"start": campaign.start.isoformat(), "end": campaign.end.isoformat(),
                   "timezone": campaign.spec.timezone},
        "hashtags": campaign.spec.hashtags, "keywords": campaign.spec.keywords,
        "seed_urls": campaign.spec.seed_urls,
        "totals": totals, "matched_by": matched_by, "daily": daily,
        "contributors": contributors[:top], "contributors_total": len(contributors),
        "platforms": platforms, "articles": articles,
        "posts": [
            {"platform": c.post.platform, "post_id": c.post.post_id, "creator_id": c.post.author_id,
             "created_at": c.post.created_at.isoformat() if c.post.created_at else None,
             "date": c.day.isoformat(), "url": c.post.url,
             **{m: c.post.metric(m) for m in METRICS}, "matched_by": " ".join(c.why)}
            for c in matched
        ],
    }


def load_campaign_report(db: str, campaign: Campaign, top: int = TOP_CONTRIBUTORS) -> dict[str, Any]:
    """The report of `campaign` over the posts stored in the database at `db`."""
    engine = open_engine(db)
    try:
        return campaign_report(campaign, iter_post_facts(engine), top)
    finally:
        engine.dispose()


# -- files ---------------------------------------------------------------------------------------

CSV_TABLES = {
    "daily.csv": ("daily", ["date", "posts", "creators", "new_creators", *METRICS, "cumulative_posts", "cumulative_views"]),
    "contributors.csv": ("contributors", ["rank", "platform", "creator_id", "name", "mcn", "posts", *METRICS]),
    "platforms.csv": ("platforms", ["platform", "posts", "creators", *METRICS]),
    "articles.csv": ("articles", ["url", "posts", "creators", "platforms", *METRICS, "first_seen", "last_seen"]),
    "posts.csv": ("posts", ["date", "created_at", "platform", "post_id", "creator_id", "url", *METRICS, "matched_by"]),
}


def campaign_charts(report: dict[str, Any], fmt: str = "svg") -> dict[str, bytes]:
    """The report's charts as PNG or SVG bytes by name (what a web page embeds); charts with no
    data are left out."""
    out = {}
    for name, draw in CHARTS.items():
        fig = draw(report)
        if fig is not None:
            out[name] = charts.render(fig, fmt)
    return out


def write_campaign_report(report: dict[str, Any], out_dir: str | Path, fmt: str = "png") -> list[Path]:
    """CSV files and charts of one report in `out_dir` (created if needed); returns the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, (key, cols) in CSV_TABLES.items():
        path = out / name
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=cols, extrasaction="ignore")
            w.writeheader()
            for row in report[key]:
                w.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in cols})
        written.append(path)
    images = campaign_charts(report, fmt)
    for name, data in images.items():
        path = out / f"{name}.{fmt}"
        path.write_bytes(data)
        written.append(path)
    written.append(_write_index(report, images, fmt, out / "index.html"))
    return written


def _write_index(report: dict[str, Any], images: dict[str, bytes], fmt: str, path: Path) -> Path:
    """One self-contained page with the charts (as data URIs) and the top tables."""
    import base64

    from jinja2 import Environment, PackageLoader, select_autoescape

    from .. import __version__

    mime = "image/svg+xml" if fmt == "svg" else "image/png"
    uris = {k: f"data:{mime};base64," + base64.b64encode(v).decode() for k, v in images.items()}
    env = Environment(loader=PackageLoader("trustwatch", "templates"), autoescape=select_autoescape(["html"]))
    path.write_text(env.get_template("campaign.html").render(r=report, images=uris, version=__version__),
                    encoding="utf-8")
    return path


def _n(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _no_data(report: dict[str, Any]) -> bool:
    return not report["totals"]["posts"]


def reach_chart(report: dict[str, Any]) -> Any:
    """Daily views as bars with the cumulative reach as a line, and posts/creators per day below."""
    if _no_data(report):
        return None
    days = report["daily"]
    x = [date.fromisoformat(d["date"]) for d in days]
    t = report["totals"]
    fig, (ax, ax2) = charts.new_figure(9.5, 6.2, rows=2, sharex=True, gridspec_kw={"height_ratios": [2.2, 1]})
    charts.title(
        fig,
        f"{report['name']}: {charts.human(t['views'])} views from {t['posts']} posts by {t['creators']} creators",
        f"Campaign {report['id']} · posts matched by hashtag, keyword or seed article · latest metrics per post · "
        f"days in {report['window']['timezone']}",
        ax,
    )
    ax.bar(x, [d["views"] for d in days], color=charts.PALETTE[0], alpha=0.85, label="views that day", width=0.8)
    ax.yaxis.set_major_formatter(charts.HUMAN)
    ax.set_ylabel("views per day", color=charts.INK, fontsize=9)
    cum = ax.twinx()
    cum.plot(x, [d["cumulative_views"] for d in days], color=charts.ACCENT, linewidth=2.4, label="total reach so far")
    cum.yaxis.set_major_formatter(charts.HUMAN)
    cum.set_ylim(bottom=0)
    cum.spines["top"].set_visible(False)
    cum.tick_params(colors=charts.ACCENT, labelsize=9)
    cum.set_ylabel("total reach so far", color=charts.ACCENT, fontsize=9)
    peak = max(days, key=lambda d: d["views"])
    ax.annotate(
        f"peak {peak['date']}: {charts.human(peak['views'])} views, {peak['posts']} posts",
        xy=(date.fromisoformat(peak["date"]), peak["views"]), xytext=(0, 8), textcoords="offset points",
        ha="center", fontsize=8.5, color=charts.INK, fontweight="bold",
    )
    ax.set_ylim(0, max(peak["views"], 1) * 1.18)
    # When each seed article was first shared: the moments a reader looks for in the curve.
    for i, art in enumerate(a for a in report["articles"] if a["first_seen"]):
        when = date.fromisoformat(art["first_seen"][:10])
        for axis in (ax, ax2):
            axis.axvline(when, color=charts.MUTED, linestyle="--", linewidth=0.9)
        ax.text(when, max(peak["views"], 1) * (1.06 - 0.07 * i), f" article {i + 1} first shared",
                fontsize=8, color=charts.MUTED, ha="left")
    ax.legend(handles=[*ax.get_legend_handles_labels()[0], *cum.get_legend_handles_labels()[0]],
              loc="upper left", frameon=False, fontsize=8.5)
    ax2.bar(x, [d["posts"] for d in days], color=charts.PALETTE[2], width=0.8, label="posts")
    ax2.plot(x, [d["creators"] for d in days], color=charts.INK, marker="o", markersize=3, linewidth=1.2,
             label="distinct creators")
    ax2.set_ylabel("per day", fontsize=9)
    ax2.yaxis.set_major_locator(charts.MaxNLocator(integer=True, nbins=4))
    ax2.legend(loc="upper left", frameon=False, fontsize=8.5, ncols=2)
    fig.autofmt_xdate(rotation=0, ha="center")
    ax2.xaxis.set_major_formatter(charts.DateFormatter("%d %b"))
    return fig


def contributors_chart(report: dict[str, Any]) -> Any:
    rows = report["contributors"]
    if not rows:
        return None
    share = rows[0]["views"] / max(report["totals"]["views"], 1)
    fig, ax = charts.new_figure(9, 0.9 + 0.42 * len(rows))
    charts.title(fig, f"{rows[0]['name'] or rows[0]['creator_id']} carried {share:.0%} of the campaign's views",
                 f"Top {len(rows)} of {report['contributors_total']} creators by views of their campaign posts", ax)
    charts.hbars(ax, [f"{r['name'] or r['creator_id']} ({r['platform']})" for r in rows], [r["views"] for r in rows],
                 [_n(r["posts"], "post") for r in rows])
    return fig


def platforms_chart(report: dict[str, Any]) -> Any:
    rows = report["platforms"]
    if not rows:
        return None
    total = max(report["totals"]["views"], 1)
    fig, ax = charts.new_figure(9, 1.1 + 0.5 * len(rows))
    charts.title(fig, f"{rows[0]['platform']} brought {rows[0]['views'] / total:.0%} of the reach",
                 "Views, posts and creators per platform", ax)
    charts.hbars(ax, [r["platform"] for r in rows], [r["views"] for r in rows],
                 [f"{r['views'] / total:.0%} · {_n(r['posts'], 'post')} · {_n(r['creators'], 'creator')}" for r in rows],
                 room=1.5)
    return fig


def articles_chart(report: dict[str, Any]) -> Any:
    rows = report["articles"]
    if not rows or _no_data(report):
        return None
    rows = sorted(rows, key=lambda r: -r["views"])
    from urllib.parse import urlsplit

    def label(u: str) -> str:
        parts = urlsplit(u)
        tail = parts.path.rstrip("/").rsplit("/", 1)[-1]
        return f"{parts.netloc.removeprefix('www.')}/…/{tail}" if tail else parts.netloc

    best = rows[0]
    fig, ax = charts.new_figure(10, 1.3 + 0.55 * len(rows))
    headline = (f"The most amplified article reached {charts.human(best['views'])} views through {best['posts']} posts"
                if best["posts"] else "No post shared the seed articles")
    charts.title(fig, headline, "Posts linking to or sharing each seed article: their views, posts and creators", ax)
    charts.hbars(ax, [label(r["url"]) for r in rows], [r["views"] for r in rows],
                 [f"{_n(r['posts'], 'post')} · {_n(r['creators'], 'creator')} · {r['shares']:,} shares" for r in rows],
                 room=1.9, label_chars=44)
    return fig


CHARTS = {
    "reach_over_time": reach_chart,
    "top_contributors": contributors_chart,
    "platforms": platforms_chart,
    "articles": articles_chart,
}


def summarize(report: dict[str, Any]) -> Sequence[str]:
    t = report["totals"]
    return [
        f"campaign {report['id']}: {t['posts']} posts by {t['creators']} creators on {t['platforms']} platforms",
        f"reach: {t['views']:,} views, {t['likes']:,} likes, {t['comments']:,} comments, {t['shares']:,} shares",
        *([("no stored post matched the campaign, so no charts were drawn; scan posts first or check its "
           "window, hashtags and keywords")] if not t["posts"] else []),
    ]
