"""`trustwatch creators`, `trustwatch campaigns` and `trustwatch briefing` (issue 6).

Registered on the main app by `register(app)`; the commands only parse options, call the plain-data
functions of `trustwatch.creators`, `trustwatch.campaigns` and `trustwatch.briefing`, and print.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.table import Table

from .cli_options import DEFAULT_DB, DbOpt
from .errors import TrustwatchError

creators_app = typer.Typer(help="Creator profiles, credibility scores, recognition and the watchlist.")
campaigns_app = typer.Typer(help="Campaigns defined in YAML: reach over time, contributors, articles.", no_args_is_help=True)


def _print_json(value: Any) -> None:
    sys.stdout.write(orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode() + "\n")


def _score(v: float | None) -> str:
    return "insufficient data" if v is None else f"{v:.2f}"


@creators_app.callback(invoke_without_command=True)
def creators(
    ctx: typer.Context,
    db: DbOpt = DEFAULT_DB,
    top: Annotated[int, typer.Option("--top", min=1, help="How many creators per list.")] = 10,
    mcn: Annotated[str | None, typer.Option("--mcn", help="Only creators of this MCN.")] = None,
    by: Annotated[str | None, typer.Option("--by", help="Recognition per `category` (of content) or per `mcn`.")] = None,
    watch: Annotated[bool, typer.Option("--watchlist", help="List repeat confirmed violators instead.")] = False,
    min_violations: Annotated[int, typer.Option(min=1, help="Watchlist: confirmed violations needed.")] = 2,
    window_days: Annotated[int, typer.Option(min=1, help="Watchlist: look back this many days.")] = 365,
    every: Annotated[bool, typer.Option("--all", help="Every creator, scored or not (insufficient data last).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON objects (creator_id, platform, score, components, …).")] = False,
) -> None:
    """The most credible creators (recognition), or the watchlist, each with reasons.

    Example: trustwatch creators --top 5 --by mcn      ·  trustwatch creators --watchlist --json
    """
    if ctx.invoked_subcommand is not None:
        return
    if by not in (None, "category", "mcn"):
        raise TrustwatchError(f"--by {by!r} is not a grouping.", "Use --by category or --by mcn.")
    from .creators import lists_data

    if every:
        from .creators import all_creators_data

        rows = all_creators_data(db, mcn=mcn)
        if as_json:
            _print_json(rows)
            return
        table = Table(title=f"{len(rows)} creators")
        for col in ("creator", "platform", "mcn", "score", "posts", "violations", "anomalies"):
            table.add_column(col)
        for r in rows:
            table.add_row(r["name"] or r["creator_id"], r["platform"] or "", r["mcn"] or "", _score(r["score"]),
                          str(r["posts"]), str(r["violations"]["confirmed"]), str(len(r["anomalies"])))
        Console(emoji=False, markup=False).print(table)
        return

    data = lists_data(db, top=top, group_by=by, mcn=mcn, min_violations=min_violations, window_days=window_days)
    if watch:
        rows = data["watchlist"][:top]
        if as_json:
            _print_json(rows)
            return
        table = Table(title=f"watchlist: {min_violations}+ confirmed violations in {window_days} days")
        for col in ("rank", "creator", "platform", "mcn", "score", "violations", "reasons"):
            table.add_column(col)
        for r in rows:
            table.add_row(str(r["rank"]), r["name"] or r["creator_id"], r["platform"] or "", r["mcn"] or "",
                          _score(r["score"]), str(r["violations"]["confirmed"]), "; ".join(r["reasons"]))
        Console(emoji=False, markup=False).print(table if rows else "No creator has that many confirmed violations.")
        return
    groups = data["recognition"]
    if as_json:
        _print_json([{"group": g} | r for g, items in groups.items() for r in items] if by else groups.get("all", []))
        return
    if not groups:
        Console(emoji=False, markup=False).print("No creator has enough posts for a score yet (at least 5 stored posts each).")
    for g, items in groups.items():
        title = "most credible creators" if by is None else f"most credible creators — {by}: {g}"
        table = Table(title=title)
        for col in ("rank", "creator", "platform", "mcn", "score", "posts", "reasons"):
            table.add_column(col)
        for r in items:
            table.add_row(str(r["rank"]), r["name"] or r["creator_id"], r["platform"] or "", r["mcn"] or "",
                          _score(r["score"]), str(r["posts"]), "; ".join(r["reasons"]))
        Console(emoji=False, markup=False).print(table)


@creators_app.command("show")
def creators_show(
    creator_id: Annotated[str, typer.Argument(help="Author id as stored (or platform/author_id).")],
    db: DbOpt = DEFAULT_DB,
    platform: Annotated[str | None, typer.Option(help="Platform, when the id exists on several.")] = None,
    campaigns: Annotated[
        list[str] | None,
        typer.Option("--campaigns", "-c", help="Campaign files or folders, to list the creator's contributions (default: ./campaigns, ./examples/campaigns when present)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the profile as one JSON object.")] = False,
) -> None:
    """One creator's profile: posts, reach, engagement, reviewed record, campaigns, anomalies and the score.

    Example: trustwatch creators show user:linh.review
    """
    from .campaigns import load_campaigns
    from .creators import profile_data

    paths = campaigns or [d for d in ("campaigns", "examples/campaigns") if Path(d).is_dir()]
    p = profile_data(db, creator_id, platform, campaigns=load_campaigns(paths) if paths else [])
    if as_json:
        _print_json(p)
        return
    c = Console(emoji=False, markup=False)
    c.print(f"{p['name'] or p['creator_id']} ({p['platform']}/{p['creator_id']})  "
            f"mcn: {p['mcn'] or '—'}  category: {p['content_category'] or '—'}  followers: {p['followers'] or '—'}",
            highlight=False)
    c.print(f"credibility: {_score(p['score'])} — {p['score_reason']}", highlight=False)
    t = Table(show_header=True)
    for col in ("component", "value", "weight", "contribution", "how"):
        t.add_column(col)
    for name, comp in p["components"].items():
        contrib = "—" if comp["contribution"] is None else f"{comp['contribution']:.2f}"
        t.add_row(name, f"{comp['value']:.4f}", f"{comp['weight']:g}", contrib, comp["explanation"])
    c.print(t)
    er = p["engagement_rate"]
    d = p["disclosure"]
    c.print(f"posts {p['posts']}  reach {p['reach'] if p['reach'] is not None else 'n/a'} views  "
            f"engagement rate {'n/a' if er is None else f'{er:.2%}'}  "
            f"disclosed ads {d['disclosed']}/{d['sponsored_posts']}", highlight=False)
    v = p["violations"]
    c.print(f"confirmed violations {v['confirmed']} {v['by_category'] or ''} (overturned on appeal: {v['overturned']}); "
            f"appeals won {p['appeals']['won']}, lost {p['appeals']['lost']}; notices {p['notices']['by_status'] or 0}; "
            f"flagged by the scan, not reviewed: {p['flagged_unreviewed']} (never scored)", highlight=False)
    for camp in p["campaigns"]:
        c.print(f"campaign {camp['id']} ({camp['name']}): {camp['posts']} posts, {camp['views']:,} views", highlight=False)
    if not p["cases_available"]:
        c.print("(this database has no review records yet, so no violations can be counted)")
    for a in p["anomalies"]:
        c.print(f"anomaly: {a['explanation']}", highlight=False)


def _campaign_paths(paths: list[str] | None) -> list[str]:
    if paths:
        return paths
    return [p for p in ("campaigns", "examples/campaigns") if Path(p).is_dir()] or ["campaigns"]


CampaignsOpt = Annotated[
    list[str] | None,
    typer.Option("--campaigns", "-c", help="Campaign YAML file or folder (repeatable). Default: ./campaigns, ./examples/campaigns."),
]


@campaigns_app.command("check")
def campaigns_check(paths: Annotated[list[str], typer.Argument(help="Campaign files or folders.")]) -> None:
    """Validate campaign files; print every problem as file:field: problem; fix.

    Example: trustwatch campaigns check examples/campaigns
    """
    from .campaigns import load_campaigns

    for c in load_campaigns(paths):
        s = c.spec
        typer.echo(f"ok {c.path}: {c.id} ({len(s.hashtags)} hashtags, {len(s.keywords)} keywords, "
                   f"{len(s.seed_urls)} seed articles, {c.start.date()} to {s.window.end})")


@campaigns_app.command("report")
def campaigns_report(
    campaign_id: Annotated[str, typer.Argument(help="Campaign id (from the campaign files) or a YAML path.")],
    db: DbOpt = DEFAULT_DB,
    campaigns: CampaignsOpt = None,
    out: Annotated[str, typer.Option("--out", "-o", help="Folder for the CSV files and charts.")] = "campaign-report",
    fmt: Annotated[str, typer.Option("--format", help="Chart format: png or svg.")] = "png",
    top: Annotated[int, typer.Option(min=1, help="Top contributors listed.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Also print the report as JSON.")] = False,
) -> None:
    """Reach of a campaign over time, top contributors, platforms and seed-article amplification.

    Example: trustwatch campaigns report canh-giac-lua-dao --campaigns examples/campaigns --out report/
    """
    from .campaigns import find_campaign, load_campaign_report, write_campaign_report
    from .campaigns.report import summarize

    if fmt not in ("png", "svg"):
        raise TrustwatchError(f"--format {fmt!r} is not a chart format.", "Use --format png or --format svg.")
    campaign = find_campaign(campaign_id, _campaign_paths(campaigns))
    report = load_campaign_report(db, campaign, top)
    files = write_campaign_report(report, out, fmt)
    if as_json:
        _print_json(report)
        return
    for line in summarize(report):
        typer.echo(line)
    typer.echo(f"wrote {len(files)} files to {out}: " + ", ".join(f.name for f in files))


@campaigns_app.command("list")
def campaigns_list(campaigns: CampaignsOpt = None) -> None:
    """List the campaigns defined in the campaign folders.

    Example: trustwatch campaigns list --campaigns examples/campaigns
    """
    from .campaigns import load_campaigns

    for c in load_campaigns(_campaign_paths(campaigns)):
        typer.echo(f"{c.id}\t{c.name}\t{c.start.date()}..{c.spec.window.end}\t{c.path}")


def briefing(
    period: Annotated[str, typer.Option("--period", help="Month as YYYY-MM.")],
    db: DbOpt = DEFAULT_DB,
    lang: Annotated[str, typer.Option(help="Language: vi or en.")] = "vi",
    out: Annotated[str | None, typer.Option("--out", "-o", help="HTML file (default: briefing-PERIOD.html).")] = None,
    top: Annotated[int, typer.Option(min=1, help="Recognised creators shown.")] = 5,
) -> None:
    """A monthly briefing for MCNs and creators: flagged and confirmed by category, growing clusters,
    new wordings in confirmed cases, recognised creators, with charts (one self-contained HTML file).

    Example: trustwatch briefing --period 2026-10 --lang vi
    """
    from .briefing import write_briefing

    path = write_briefing(db, period, out or f"briefing-{period}.html", lang=lang, top=top)
    typer.echo(f"briefing: {path}")


def register(app: typer.Typer) -> None:
    """Add the creators, campaigns and briefing commands to the main `trustwatch` app."""
    app.add_typer(creators_app, name="creators")
    app.add_typer(campaigns_app, name="campaigns")
    app.command("briefing")(briefing)
