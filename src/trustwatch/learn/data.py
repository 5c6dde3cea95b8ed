"""Labeled texts from CSV/TSV, JSON Lines or Parquet (optionally gzip-compressed)."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError


@dataclass
class Labeled:
    texts: list[str]
    labels: list[str]
    skipped: int  # rows without a usable text or label
    sha256: str  # of the file's bytes


def _open_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file.", "Check the path.") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a data file.") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise InputError(f"{path}: damaged gzip data ({exc}).") from None
    return raw


def _kind(path: Path, raw: bytes) -> str:
    name = path.name.lower().removesuffix(".gz")
    if raw[:4] == b"PAR1" or name.endswith(".parquet"):
        return "parquet"
    if name.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if name.endswith(".tsv"):
        return "tsv"
    if name.endswith(".csv"):
        return "csv"
    return "jsonl" if raw.lstrip()[:1] == b"{" else "csv"


def meta_prefix(cols: tuple[str, ...] | list[str], values) -> str:
    """The text form of extra feature columns (`--meta-col`): one token per column, e.g.
    `[sender_type personal_number]`, put before the text so the same n-gram features see it."""
    return "".join(f"[{c} {'' if v is None else str(v).strip()}] " for c, v in zip(cols, values, strict=True))


def read_labeled(path: str | Path, text_col: str, label_col: str, meta_cols: tuple[str, ...] = ()) -> Labeled:
    """Texts and labels of a file. With `meta_cols`, each text is prefixed with those columns'
    values (`meta_prefix`), for data where a column besides the text carries signal."""
    path = Path(path)
    meta_cols = tuple(meta_cols)
    raw = _open_bytes(path)
    digest = hashlib.sha256(raw).hexdigest()
    kind = _kind(path, raw)
    rows: list[tuple[object, object]] = []
    columns: set[str] = set()
    if kind == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(io.BytesIO(raw))
        except (pa.ArrowException, OSError) as exc:
            raise InputError(f"{path}: not a readable Parquet file ({exc}).") from None
        columns = set(table.column_names)
        if {text_col, label_col, *meta_cols} <= columns:
            rows = list(zip(table.column(text_col).to_pylist(), table.column(label_col).to_pylist(),
                            *[table.column(c).to_pylist() for c in meta_cols], strict=True))
    elif kind == "jsonl":
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputError(f"{path}: not UTF-8 text.") from None
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}:{n}: invalid JSON ({exc.msg}).") from None
            if not isinstance(rec, dict):
                raise InputError(f"{path}:{n}: a line is not a JSON object.")
            columns |= rec.keys()
            rows.append((rec.get(text_col), rec.get(label_col), *[rec.get(c) for c in meta_cols]))
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputError(f"{path}: not UTF-8 text.") from None
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter="\t" if kind == "tsv" else ",")
        columns = set(reader.fieldnames or [])
        if {text_col, label_col, *meta_cols} <= columns:
            try:
                rows = [(r.get(text_col), r.get(label_col), *[r.get(c) for c in meta_cols]) for r in reader]
            except csv.Error as exc:
                raise InputError(f"{path}: unreadable CSV ({exc}).") from None
    for col, what in ((text_col, "--text-col"), (label_col, "--label-col"), *[(c, "--meta-col") for c in meta_cols]):
        if col not in columns:
            raise InputError(
                f"{path}: no column {col!r} ({what}); the columns are {sorted(columns)[:20]}.",
                f"Pass {what} with one of them.",
            )
    texts: list[str] = []
    labels: list[str] = []
    skipped = 0
    for t, y, *meta in rows:
        if not isinstance(t, str) or not t.strip() or y is None or (isinstance(y, str) and not y.strip()):
            skipped += 1
            continue
        if isinstance(y, float) and y.is_integer():
            y = int(y)
        texts.append(meta_prefix(meta_cols, meta) + t if meta_cols else t)
        labels.append(str(y).strip())
    if not texts:
        raise InputError(f"{path}: no row has both a text in {text_col!r} and a label in {label_col!r}.")
    return Labeled(texts, labels, skipped, digest)
