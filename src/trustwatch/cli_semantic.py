"""Command-line parts of semantic matching: `scan --claims FILE` and `trustwatch claims check`.

Kept out of cli.py so the scan command only gains an option; the claims themselves become the
built-in `known_false_claim` pack (see detect/claims.py), so results, evidence, the store and the
report treat them like any other category.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from .pipeline import ScanSummary

claims_app = typer.Typer(help="Known false claims: check a fact-checked claims file.", no_args_is_help=True)

ClaimsOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--claims",
        help="CSV of fact-checked claims (claim,verdict,source_url,language[,keywords]); posts restating "
        "a false one get a known_false_claim finding. Repeatable.",
    ),
]


def with_claims(policy: list[str] | None, claims: list[str] | None) -> list[str] | None:
    """The policy list a scan uses: the chosen packs (default: the shipped ones) plus one
    known_false_claim pack per claims file."""
    if not claims:
        return policy
    from .policy import default_pack_paths

    return [*(policy or [str(p) for p in default_pack_paths()]), *claims]


def stage_rows(summary: ScanSummary) -> list[tuple[str, str]]:
    """Summary-table rows for the costly stages: how many posts reached each, and the cache."""
    rows = []
    n = max(summary.results_ok, 1)
    for name, count in sorted(summary.stages.items()):
        rows.append((f"reached {name} stage", f"{int(count):,} ({100 * count / n:.2f}%)"))
    emb = summary.embeddings
    if emb:
        hits = emb.get("memory_hits", 0) + emb.get("disk_hits", 0)
        rows.append(("embeddings computed", f"{int(emb.get('embedded', 0)):,} ({emb.get('embed_seconds', 0):.1f} s)"))
        rows.append(("embedding cache hits", f"{int(hits):,}"))
    return rows


@claims_app.command("check")
def claims_check(path: Annotated[str, typer.Argument(help="Claims CSV file.")]) -> None:
    """Validate a claims file: count the usable false claims and name every skipped row.

    Example: trustwatch claims check examples/claims.csv
    """
    from .detect.claims import parse_claims
    from .errors import InputError

    try:
        claims, problems = parse_claims(path)
    except ValueError as exc:
        raise InputError(f"{str(exc)[0].upper()}{str(exc)[1:]}.") from None
    for p in problems:
        typer.echo(p, err=True)
    langs = {lang: sum(c.language == lang for c in claims) for lang in ("vi", "en")}
    typer.echo(f"ok {path}: {len(claims)} false claims ({langs['vi']} vi, {langs['en']} en), {len(problems)} rows skipped")
