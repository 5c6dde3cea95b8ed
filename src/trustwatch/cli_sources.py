"""`trustwatch sources`: near-duplicate clusters ranked by reach, each with its earliest source;
`sources index` (catch up or rebuild the index), `sources show` (one cluster's spread tree, growth
and coordinated-behaviour evidence), `sources news` (amplification of news articles) and
`sources images` (attach PDQ image hashes)."""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.table import Table

from .cli_options import DEFAULT_DB, DbOpt
from .errors import InputError

sources_app = typer.Typer(
    help="Near-duplicate clusters, their earliest source, spread and coordinated bursts.",
    invoke_without_command=True,
)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
WindowOpt = Annotated[float, typer.Option("--window", min=1, help="Coordinated burst window, minutes.")]
AccountsOpt = Annotated[int, typer.Option("--min-accounts", min=2, help="Distinct accounts in one window that make a burst likely coordinated.")]


def _print_json(value: Any) -> None:
    sys.stdout.write(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode() + "\n")


def _open(db: str, threshold: float | None = None) -> Any:
    from .dedupe import SourceIndex
    from .store import Store

    store = Store.open(db)
    try:
        return store, SourceIndex(store, threshold)
    except BaseException:
        store.close()
        raise


def _when(value: str | None) -> str:
    return (value or "?")[:19]


@sources_app.callback()
def sources(
    ctx: typer.Context,
    db: DbOpt = DEFAULT_DB,
    category: Annotated[str | None, typer.Option("--category", "-c", help="Only clusters with a post flagged in this category.")] = None,
    top: Annotated[int, typer.Option("--top", "-n", min=1, help="How many clusters.")] = 20,
    min_size: Annotated[int, typer.Option("--min-size", min=1, help="Smallest cluster shown.")] = 2,
    as_json: JsonOpt = False,
    window: WindowOpt = 60.0,
    min_accounts: AccountsOpt = 5,
) -> None:
    """Clusters of near-duplicate posts ranked by reach, each with its earliest source.

    Example: trustwatch sources --category scam --top 10
    """
    if ctx.invoked_subcommand is not None:
        return
    from .dedupe import list_clusters

    store, index = _open(db)
    with store:
        found = list_clusters(index, category, top, min_size, window, min_accounts)
    if as_json:
        _print_json(found)
        return
    table = Table(title=f"near-duplicate clusters by reach ({len(found)})")
    for col in ("cluster", "size", "reach", "earliest source", "first seen", "platforms", "accounts", "review", "coordinated"):
        table.add_column(col, justify="right" if col in ("size", "reach", "accounts") else "left")
    for c in found:
        table.add_row(
            str(c["cluster_id"]), str(c["size"]), f"{c['reach']:,}",
            f"{c['earliest_platform'] or ''} {c['earliest_post_id']}", _when(c["earliest_created_at"]),
            ",".join(c["platforms"]), str(c["accounts"]),
            ("suggested: " + ",".join(c["flagged_categories"])) if c["suggested_for_review"] else "",
            f"likely ({c['coordinated']['burst_accounts']} accounts)" if c["coordinated"]["likely"] else "",
        )
    Console(emoji=False, markup=False).print(table)
    if not found:
        typer.echo("no clusters yet: scan posts with --db (after a scan with --no-index, run `trustwatch sources index`).")
    else:
        typer.echo("`trustwatch sources show CLUSTER` gives the spread tree, growth and burst evidence. "
                   "Review suggestions are for a person to decide; nothing is acted on automatically.")


@sources_app.command("index")
def index_cmd(
    db: DbOpt = DEFAULT_DB,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Forget the index and build it again from every stored post.")] = False,
    threshold: Annotated[float | None, typer.Option("--threshold", min=0.05, max=1.0, help="Jaccard similarity of word bigrams that makes two posts near-duplicates (default 0.6; set when the index is built).")] = None,
) -> None:
    """Index stored posts that are not in the near-duplicate index yet (or rebuild it).

    Example: trustwatch sources index --rebuild --threshold 0.7
    """
    from .dedupe import SourceIndex
    from .store import Store

    with Store.open(db) as store:
        if rebuild:
            index = SourceIndex(store)
            stats = index.rebuild(threshold)
        else:
            stats = SourceIndex(store, threshold).index_pending()
    typer.echo(f"indexed {stats.get('indexed', 0):,} posts, {stats.get('merges', 0):,} cluster merges")


@sources_app.command("show")
def show(
    cluster_id: Annotated[int, typer.Argument(help="A cluster_id from `trustwatch sources`.")],
    db: DbOpt = DEFAULT_DB,
    as_json: JsonOpt = False,
    window: WindowOpt = 60.0,
    min_accounts: AccountsOpt = 5,
) -> None:
    """One cluster: earliest source, spread tree (given or inferred parents), growth, burst evidence.

    Example: trustwatch sources show 42
    """
    from .dedupe import cluster

    store, index = _open(db)
    with store:
        c = cluster(index, cluster_id, window, min_accounts)
    if as_json:
        _print_json(c)
        return
    out = Console(emoji=False, markup=False)
    out.print(f"cluster {c['cluster_id']}: {c['size']} posts, reach {c['reach']:,}, "
              f"{c['accounts']} accounts on {', '.join(c['platforms']) or '?'}", highlight=False)
    out.print(f"earliest: {c['earliest_platform'] or ''} {c['earliest_post_id']} at {c['earliest_created_at']} {c['earliest_url'] or ''}",
              markup=False, highlight=False)
    if c["suggested_for_review"]:
        out.print(f"suggested for review (flagged: {', '.join(c['flagged_categories'])}); a person decides.", markup=False)
    children: dict[str | None, list[dict[str, Any]]] = {}
    for node in c["spread_tree"]:
        children.setdefault(node["parent"], []).append(node)

    def walk(pid: str | None, depth: int) -> None:
        for node in children.get(pid, []):
            how = "" if node["parent_kind"] == "root" else f" ← {node['parent_kind']}" + (
                f" {node['similarity']:.2f}" if node["similarity"] is not None else "")
            out.print(f"{'  ' * depth}{node['post_id']} [{node['platform'] or ''} {node['account'] or ''} {_when(node['created_at'])}]{how}",
                      markup=False, highlight=False)
            if depth < 50:
                walk(node["post_id"], depth + 1)

    walk(None, 0)
    for g in c["growth"]:
        out.print(f"  {g['date']}: +{g['posts']} posts (total {g['posts_total']}), reach +{g['reach']:,} (total {g['reach_total']:,})", highlight=False)
    co = c["coordinated"]
    if co.get("evidence"):
        ev = co["evidence"]
        label = "likely coordinated" if co["likely"] else "busiest window"
        out.print(f"{label}: {co['burst_accounts']} accounts posted {ev['burst_size']} copies between {ev['start']} and {ev['end']} "
                  f"({len(ev['low_activity_accounts'])} with few posts or followers). {ev['note']}.", markup=False, highlight=False)


@sources_app.command("news")
def news(
    db: DbOpt = DEFAULT_DB,
    articles: Annotated[str | None, typer.Option("--articles", help="CSV (url,title,text,published_at) or YAML/JSON articles to add first.")] = None,
    top: Annotated[int, typer.Option("--top", "-n", min=1)] = 20,
    as_json: JsonOpt = False,
) -> None:
    """How news articles are amplified: posts linking to or repeating each article, over time.

    Example: trustwatch sources news --articles articles.csv
    """
    from .dedupe.news import add_articles, article_report

    store, index = _open(db)
    with store:
        if articles:
            add_articles(index, articles)
        report = article_report(index, top)
    if as_json:
        _print_json(report)
        return
    table = Table(title="news articles by posts")
    for col in ("article", "posts", "by link", "by text", "accounts", "platforms", "views", "shares", "days"):
        table.add_column(col)
    for r in report:
        m = r["metrics"]
        table.add_row(r["title"] or r["url"], str(r["posts"]), str(r["by_link"]), str(r["by_text"]), str(r["accounts"]),
                      ",".join(r["platforms"]), f"{m.get('views', 0):,}", f"{m.get('shares', 0):,}", str(len(r["timeline"])))
    Console(emoji=False, markup=False).print(table)


@sources_app.command("images")
def images(
    path: Annotated[str, typer.Argument(help="CSV with columns platform,post_id,pdq[,quality,source] (pdq: 64 hex digits).")],
    db: DbOpt = DEFAULT_DB,
    max_distance: Annotated[int, typer.Option("--max-distance", min=0, max=128, help="Largest PDQ Hamming distance that matches.")] = 31,
) -> None:
    """Attach PDQ image/frame hashes to stored posts, joining clusters of posts with similar images.

    Example: trustwatch sources images hashes.csv
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"The hashes file {path!r} does not exist.", "Pass a CSV with columns platform,post_id,pdq.")
    pairs = []
    with open(p, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            q = row.get("quality")
            pairs.append(((row.get("platform") or "", row.get("post_id") or ""), row.get("pdq") or "",
                          int(q) if q and q.isdigit() else None, row.get("source") or None))
    store, index = _open(db)
    with store:
        stats = index.add_image_hashes(pairs, max_distance)
    typer.echo(f"added {stats['added']} hashes, joined {stats['joined']} clusters; "
               f"{stats['skipped_not_indexed']} for posts not indexed, {stats['bad_hash']} not 64 hex digits")
