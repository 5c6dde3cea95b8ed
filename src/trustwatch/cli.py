"""The `trustwatch` command. Errors become one sentence on stderr and an exit code (2 bad input,
3 a missing external tool), never a traceback."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.table import Table

from . import __version__
from .cli_media import media_app, media_settings
from .cli_options import DEFAULT_DB, DbOpt
from .cli_semantic import ClaimsOpt, claims_app, stage_rows, with_claims
from .cli_sources import sources_app
from .errors import TrustwatchError

app = typer.Typer(
    name="trustwatch",
    help="Scan public social-media posts against published criteria, with evidence.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
policy_app = typer.Typer(help="Check and list policy packs.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")
app.add_typer(claims_app, name="claims")
app.add_typer(media_app, name="media")
app.add_typer(sources_app, name="sources")

err = Console(stderr=True, emoji=False, markup=False)

PolicyOpt = Annotated[
    list[str] | None,
    typer.Option("--policy", "-p", help="Policy pack file or folder (repeatable). Default: the shipped packs."),
]


def _examples_dir() -> Path:
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "examples" / "posts.jsonl").exists():
            return parent / "examples"
    raise TrustwatchError("The bundled examples were not found.", "Run the demo from a clone of the trustwatch repository.")


@app.callback(invoke_without_command=True)
def _main(version: Annotated[bool, typer.Option("--version", help="Print the version.")] = False) -> None:
    if version:
        typer.echo(__version__)
        raise typer.Exit()


@app.command()
def scan(
    inputs: Annotated[list[str], typer.Argument(help="Post files (.jsonl, .csv, .parquet, optionally .gz) or - for stdin.")],
    db: DbOpt = DEFAULT_DB,
    policy: PolicyOpt = None,
    out: Annotated[str | None, typer.Option("--out", "-o", help="Results file (JSON Lines, one line per input record).")] = None,
    quarantine: Annotated[str | None, typer.Option(help="Where bad records go (default: beside --out).")] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
    no_store: Annotated[bool, typer.Option("--no-store", help="Do not write to the database.")] = False,
    asr_model: Annotated[str | None, typer.Option("--asr-model", help="faster-whisper model folder (default: the installed Whisper base).")] = None,
    no_media: Annotated[bool, typer.Option("--no-media", help="Scan text only; ignore images, audio and video.")] = False,
    claims: ClaimsOpt = None,
    no_index: Annotated[bool, typer.Option("--no-index", help="Store posts without updating the near-duplicate index (`trustwatch sources index` catches up).")] = False,
    engine: Annotated[str, typer.Option("--engine", envvar="TRUSTWATCH_ENGINE", help="Where batches run: local (worker processes) or ray (Ray Data; pip install 'trustwatch[ray]').")] = "local",
    address: Annotated[str | None, typer.Option("--address", help="Ray cluster address for --engine ray (or env RAY_ADDRESS); default: a local Ray.")] = None,
    fresh: Annotated[bool, typer.Option("--fresh", help="Start over instead of resuming an interrupted run of the same scan.")] = False,
) -> None:
    """Scan posts and write one result line per record (or a Parquet folder for --out X.parquet).

    A scan that was killed resumes from its last checkpoint when run again with the same inputs and
    options; results and stored rows end up exactly as one clean run gives.

    Example: trustwatch scan examples/posts.jsonl --out results.jsonl --workers 2
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from .pipeline import run_scan

    policy = with_claims(policy, claims)
    with Progress(
        TextColumn("scanning"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal,
    ) as progress:
        task = progress.add_task("scan", total=None, rate="")
        done = 0

        def tick(n: int) -> None:
            nonlocal done
            done += n
            elapsed = progress.tasks[0].elapsed or 1e-9
            progress.update(task, advance=n, rate=f"{done / elapsed:,.0f} posts/s")

        summary = run_scan(
            inputs, policies=policy, out=out, quarantine=quarantine,
            db=None if no_store else db, workers=workers, on_progress=tick, index_sources=not no_index,
            media=media_settings(None if no_store else db, asr_model, not no_media),
            engine=engine, address=address, resume=not fresh,
        )
    console = err if out == "-" else Console(emoji=False, markup=False)
    if summary.resumed:
        console.print(f"resumed an interrupted run: {summary.resumed['records']:,} records were already done")
    table = Table(title="trustwatch scan", show_header=False)
    table.add_row("records read", f"{summary.records_read:,}")
    table.add_row("results ok", f"{summary.results_ok:,}")
    table.add_row("quarantined", f"{summary.quarantined:,}")
    table.add_row("flagged", f"{summary.flagged:,}")
    for cat, n in summary.per_category.items():
        table.add_row(f"  {cat}", f"{n:,}")
    for row in stage_rows(summary):
        table.add_row(*row)
    table.add_row("posts/s", f"{summary.posts_per_s:,.0f}")
    console.print(table)
    if summary.out and summary.out != "-":
        console.print(f"results: {summary.out}")
    if summary.quarantine_file:
        console.print(f"quarantine: {summary.quarantine_file} ({summary.quarantined:,} bad records, each with its line and reason)")
    if summary.run_id is not None:
        console.print(f"stored as scan run {summary.run_id} in {db}")


@app.command()
def report(
    db: DbOpt = DEFAULT_DB,
    scan_id: Annotated[int | None, typer.Option("--scan", help="Scan run id (default: the latest).")] = None,
    out: Annotated[str, typer.Option("--out", "-o", help="HTML file to write.")] = "report.html",
    lang: Annotated[str, typer.Option(help="Report language: en or vi.")] = "en",
    examples: Annotated[int, typer.Option(help="Examples shown per category.")] = 10,
) -> None:
    """Write a self-contained HTML report of a scan (counts, examples per category with highlighted evidence).

    Example: trustwatch report --out report.html
    """
    from .report import write_report

    path = write_report(db, scan_id, out, lang=lang, per_category=examples)
    typer.echo(f"report: {path}")


@app.command(name="eval")
def eval_cmd(
    data: Annotated[str, typer.Argument(help="Labeled posts: each record has a `labels` list of category ids.")],
    model_data: Annotated[str | None, typer.Argument(help="With a model folder first: labeled texts to evaluate it on.")] = None,
    policy: PolicyOpt = None,
    label_field: Annotated[str, typer.Option(help="Field holding the labels.")] = "labels",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    show_errors: Annotated[bool, typer.Option("--errors", help="List the ids of misclassified posts.")] = False,
    text_col: Annotated[str, typer.Option("--text-col", help="(model) Column holding the text.")] = "text",
    label_col: Annotated[str, typer.Option("--label-col", help="(model) Column holding the label.")] = "label",
    plots: Annotated[str, typer.Option("--plots", help="(model) Folder for the PR curve and reliability PNGs.")] = "eval-plots",
) -> None:
    """Measure the policy packs on labeled posts (precision, recall and F1 per category), or, given
    MODEL_DIR DATA, a trained classifier (also confusion matrix, calibration error and plots).

    Example: trustwatch eval examples/posts.jsonl
    Example: trustwatch eval models/mine test.csv --text-col text --label-col label --json
    """
    if model_data is not None:
        from .cli_learn import eval_model

        return eval_model(data, model_data, text_col, label_col, as_json, plots)
    from .evaluate import evaluate

    res = evaluate(data, policy, label_field)
    if as_json:
        sys.stdout.write(orjson.dumps(res, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    table = Table(title=f"policy packs on {data} (n={res['n']})")
    for col in ("category", "precision", "recall", "f1", "support", "fp", "fn"):
        table.add_column(col, justify="left" if col == "category" else "right")
    for cat, m in res["per_class"].items():
        table.add_row(cat, f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}", str(m["support"]), str(m["fp"]), str(m["fn"]))
    Console(emoji=False, markup=False).print(table)
    typer.echo(f"macro-F1 {res['macro_f1']:.3f}")
    if show_errors:
        for cat, m in res["per_class"].items():
            if m["false_positives"]:
                typer.echo(f"{cat} false positives: {' '.join(m['false_positives'])}")
            if m["false_negatives"]:
                typer.echo(f"{cat} false negatives: {' '.join(m['false_negatives'])}")


@app.command()
def demo(
    db: Annotated[str, typer.Option("--db", help="Database path or SQLAlchemy URL for the demo.")] = "./trustwatch-demo.db",
    out_dir: Annotated[str, typer.Option("--out-dir", help="Folder for the demo's results and report.")] = "demo-output",
) -> None:
    """Scan the bundled examples, measure the packs on their labels and write a report.

    Example: trustwatch demo
    """
    from .evaluate import evaluate
    from .pipeline import run_scan
    from .report import write_report

    ex = _examples_dir()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    inputs = [str(ex / "posts.jsonl")] + ([str(ex / "bad_posts.jsonl")] if (ex / "bad_posts.jsonl").exists() else [])
    inputs += [str(ex / "media_posts.jsonl")] if (ex / "media_posts.jsonl").exists() else []  # image, voice, video
    summary = run_scan(inputs, out=str(out / "results.jsonl"), quarantine=str(out / "quarantine.jsonl"), db=db, workers=1)
    report_path = write_report(db, summary.run_id, str(out / "report.html"))
    res = evaluate(str(ex / "posts.jsonl"))
    console = Console(emoji=False, markup=False)
    table = Table(title=f"trustwatch demo: {summary.records_read} records, {summary.flagged} flagged, {summary.quarantined} quarantined")
    for col in ("category", "flagged", "precision", "recall"):
        table.add_column(col)
    for cat, m in res["per_class"].items():
        table.add_row(cat, str(summary.per_category.get(cat, 0)), f"{m['precision']:.3f}", f"{m['recall']:.3f}")
    console.print(table)
    console.print(f"results (one line per record): {out / 'results.jsonl'}")
    if summary.quarantine_file:
        console.print(f"quarantined records with reasons: {summary.quarantine_file}")
    console.print(f"HTML report with highlighted evidence: {report_path}")
    console.print(f"database: {db}  — next: `trustwatch scan YOUR_POSTS.jsonl --out results.jsonl`, `trustwatch policy list`")


@policy_app.command("check")
def policy_check(paths: Annotated[list[str], typer.Argument(help="Pack files or folders.")]) -> None:
    """Validate policy packs; print every problem as file:field: problem; fix.

    Example: trustwatch policy check my_packs/
    """
    from .detect import Detector
    from .policy import load_packs

    packs = load_packs(paths)
    Detector(packs)
    for p in packs:
        based = f" (extends {p.extends})" if p.extends else ""
        gates = f", gates: {', '.join(p.pack.gates)}" if p.pack.gates else ""
        typer.echo(f"ok {p.path}{based}: {p.id} v{p.pack.version}, {len(p.pack.signals)} signals, "
                   f"require: {p.pack.require}{gates}")


@policy_app.command("list")
def policy_list(policy: PolicyOpt = None) -> None:
    """List the packs in use with their criterion text.

    Example: trustwatch policy list
    """
    from .policy import load_packs

    for p in load_packs(policy):
        terms = sum(len(getattr(s, "terms", []) or []) for s in p.signals)
        typer.echo(f"{p.id} v{p.pack.version} [{p.pack.severity}, {p.pack.action}, {p.pack.mode}] {p.pack.title} — {terms} terms")
        typer.echo(f"    {p.pack.criterion.strip()}")


# Review workflow: cases, appeals, notices, export, audit, alerts, shadow (cli_cases.py).
from .cli_cases import register as _register_cases

_register_cases(app)
# Creators, campaigns and the monthly briefing (cli_creators.py).
from .cli_creators import register as _register_creators

_register_creators(app)
# Web app and HTTP API: serve, users, tokens (cli_web.py).
from .cli_web import register as _register_web

_register_web(app)
# Learned detection: train, eval of classifiers (cli_learn.py).
from .cli_learn import register as _register_learn

_register_learn(app)


def main() -> None:
    try:
        app()
    except TrustwatchError as exc:
        err.print(f"error: {exc}", markup=False, highlight=False)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted", markup=False)
        sys.exit(130)


if __name__ == "__main__":
    main()
