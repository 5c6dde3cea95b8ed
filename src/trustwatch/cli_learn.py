"""`trustwatch train` and the model form of `trustwatch eval` (MODEL_DIR DATA)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.table import Table

TextCol = Annotated[str, typer.Option("--text-col", help="Column (field) holding the text.")]
LabelCol = Annotated[str, typer.Option("--label-col", help="Column (field) holding the label.")]


def train_cmd(
    data: Annotated[str | None, typer.Argument(help="Labeled texts: .csv, .tsv, .jsonl or .parquet (optionally .gz).")] = None,
    out: Annotated[str, typer.Option("--out", "-o", help="Folder to write the model to (manifest.json + weights.npz).")] = "model",
    text_col: TextCol = "text",
    label_col: LabelCol = "label",
    folds: Annotated[int, typer.Option(min=2, max=20, help="Cross-validation folds for tuning and calibration.")] = 5,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress lines.")] = False,
    meta_col: Annotated[list[str] | None, typer.Option("--meta-col", help="Optional extra column whose value is a feature (repeatable); `eval` reads the same columns.")] = None,
    from_decisions: Annotated[str | None, typer.Option("--from-decisions", help="Retrain this pack's classifier from the reviewers' decisions in --db.")] = None,
    db: Annotated[str, typer.Option("--db", envvar="TRUSTWATCH_DB", help="Database with the decisions (for --from-decisions; or env TRUSTWATCH_DB).")] = "./trustwatch.db",
    with_seed: Annotated[bool, typer.Option("--with-seed/--without-seed", help="Keep the seed training data beside the decisions.")] = True,
    embed: Annotated[bool | None, typer.Option("--embed/--no-embed", help="Sentence-embedding view (multilingual-e5-small): by default tried by cross-validation and kept if it helps; --no-embed for a fast model (scans), --embed to force it.")] = None,
) -> None:
    """Train a text classifier: char + word n-grams and shape tokens, a class-weighted linear model
    tuned by cross-validation, a sentence-embedding view kept when cross-validation says it helps
    (--no-embed for a fast model for scans), probabilities calibrated on the held-out folds. The
    defaults are the best settings measured; no flags are needed. With --from-decisions PACK it learns from reviewed
    cases instead and shows the shipped and the new model on decisions neither was trained on.

    Example: trustwatch train labeled.csv --text-col text --label-col label --out models/mine
    Example: trustwatch train --from-decisions scam --db trustwatch.db --out models/scam-2
    """
    from .errors import InputError
    from .learn.data import read_labeled
    from .learn.train import train

    err = Console(stderr=True, emoji=False, markup=False)

    def say(msg: str) -> None:
        if not quiet:
            err.print(msg, markup=False, highlight=False)

    if from_decisions is not None:
        from .learn.decisions import retrain_from_decisions

        res = retrain_from_decisions(from_decisions, db, out, folds=folds, with_seed=with_seed, progress=say)
        typer.echo(f"model: {res['model']} (trained on {res['trained_on']} decisions + {res['seed_examples']} seed examples; "
                   f"{res['held_out']} decisions held out)")
        for name in ("before", "after"):
            r = res[name]
            typer.echo(f"{name}: macro-F1 {r['macro_f1']:.4f}  accuracy {r['accuracy']:.4f}  on {r['n']} held-out decisions")
        return
    if data is None:
        raise InputError("No training data given.", "Name a labeled file, or use --from-decisions PACK.")
    meta_cols = tuple(meta_col or ())
    d = read_labeled(data, text_col, label_col, meta_cols)

    say(f"{data}: {len(d.texts)} examples, {len(set(d.labels))} labels" + (f", {d.skipped} rows skipped (no text or label)" if d.skipped else ""))
    info = {"file": Path(data).name, "sha256": d.sha256, "skipped": d.skipped, "text_col": text_col, "label_col": label_col}
    if meta_cols:
        info["meta_cols"] = list(meta_cols)
    clf = train(d.texts, d.labels, folds=folds, embed=embed, data_info=info, progress=say)
    if meta_cols:
        clf.manifest["meta_cols"] = list(meta_cols)
    path = clf.save(out)
    cv = clf.manifest["cv"]
    m = clf.manifest["model"]
    typer.echo(
        f"model: {path} ({m['model']}{'' if m.get('C') is None else ' C=' + str(m['C'])}; cross-validated macro-F1 {cv['macro_f1']:.4f}, ECE {cv['ece']:.4f}; "
        f"{clf.manifest['train_seconds']:.1f}s)"
    )
    if clf.embeds:
        typer.echo("note: this model has a sentence-embedding view (tens of ms per text to score); "
                   "for a classifier in a scan's policy pack, `--no-embed` trains a model that scores in ~0.1 ms.")


def eval_model(model_dir: str, data: str, text_col: str, label_col: str, as_json: bool, plots_dir: str) -> None:
    from .learn.evaluate import evaluate_model

    res = evaluate_model(model_dir, data, text_col, label_col, plots_dir)
    if as_json:
        sys.stdout.write(orjson.dumps(res, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    console = Console(emoji=False, markup=False)
    table = Table(title=f"{model_dir} on {data} (n={res['n']})")
    for col in ("label", "precision", "recall", "f1", "support"):
        table.add_column(col, justify="left" if col == "label" else "right")
    for name, m in res["per_class"].items():
        table.add_row(name, f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}", str(m["support"]))
    console.print(table)
    conf = Table(title="confusion matrix (rows: true label, columns: predicted)")
    conf.add_column("true \\ predicted")
    for name in res["labels"]:
        conf.add_column(name, justify="right")
    for name, row in zip(res["labels"], res["confusion"], strict=True):
        conf.add_row(name, *map(str, row))
    console.print(conf)
    typer.echo(f"macro-F1 {res['macro_f1']:.4f}  accuracy {res['accuracy']:.4f}  ECE {res['ece']:.4f}")
    typer.echo(f"plots: {res['plots']['pr_curve']} {res['plots']['reliability']}")


def register(app: typer.Typer) -> None:
    app.command(name="train")(train_cmd)
